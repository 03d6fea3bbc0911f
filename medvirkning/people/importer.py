"""Import people from the CSV file a project leader gets from HR.

Comma or semicolon separated; UTF-8 with or without BOM, or Windows-1252. Every bad line
is reported by its line number; nothing is imported when a line is bad, unless told to
skip bad lines.
"""

from __future__ import annotations

import csv
import io
from typing import Any

import msgspec
from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from medvirkning.audit import record_bulk_create
from medvirkning.errors import FieldError, InvalidInput
from medvirkning.people.models import Person
from medvirkning.people.schemas import PersonCreate
from medvirkning.region.models import Municipality, Organisation
from medvirkning.region.registers import UNIONS
from medvirkning.web import struct_from_form

# Header names HR files use, in Norwegian and English, for each field.
HEADERS = {
    "name": ("navn", "fullt navn", "name"),
    "email": ("e-post", "epost", "e-postadresse", "email", "e-mail"),
    "municipality": ("kommune", "kommunenummer", "municipality"),
    "organisation": ("organisasjon", "organisation", "organization"),
    "title": ("stilling", "tittel", "stillingstittel", "title"),
    "union": ("fagforening", "forbund", "union"),
    "language_form": ("målform", "malform", "language_form"),
}
LABELS = {
    "name": "navn",
    "email": "e-post",
    "municipality_id": "kommune",
    "organisation_id": "organisasjon",
    "union_id": "fagforening",
    "title": "stilling",
    "language_form": "målform",
}
LANGUAGE_FORMS = {"bokmål": "bokmal", "bokmal": "bokmal", "nynorsk": "nynorsk", "": "bokmal"}


class ImportFailed(Exception):
    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(f"{len(problems)} bad lines")


def decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252")


def _columns(header: list[str]) -> dict[str, int]:
    names = [h.strip().lower() for h in header]
    columns: dict[str, int] = {}
    for field, aliases in HEADERS.items():
        for index, name in enumerate(names):
            if name in aliases:
                columns[field] = index
                break
    missing = [f for f in ("name", "email") if f not in columns]
    if missing or ("municipality" not in columns and "organisation" not in columns):
        raise ImportFailed(
            [
                "linje 1: overskriftslinjen må ha kolonnene Navn, E-post og Kommune "
                "(eller Organisasjon)."
            ]
        )
    return columns


async def _lookup(db: AsyncSession) -> dict[str, dict[str, int]]:
    municipalities = await db.scalars(select(Municipality).where(Municipality.active))
    organisations = (await db.scalars(select(Organisation).where(Organisation.active))).all()
    by_name: dict[str, dict[str, int]] = {"municipality": {}, "organisation": {}, "union": {}}
    for m in municipalities:
        by_name["municipality"][m.name.lower()] = m.id
        by_name["municipality"][m.number] = m.id
    for o in organisations:
        kind = "union" if o.kind in UNIONS else "organisation"
        by_name[kind][o.name.lower()] = o.id
        if o.short_name:
            by_name[kind][o.short_name.lower()] = o.id
    return by_name


async def import_people(
    db: AsyncSession, data: bytes, skip_bad_lines: bool = False
) -> tuple[int, list[str]]:
    """Add the file's people; return how many were imported and the bad lines skipped."""
    text = decode(data)
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        raise ImportFailed(["Filen er tom."]) from None
    columns = _columns(header)
    lookup = await _lookup(db)
    taken = {e.lower() for e in await db.scalars(select(func.lower(Person.email)))}
    people: list[dict[str, Any]] = []
    problems: list[str] = []
    for row in reader:
        if not any(cell.strip() for cell in row):
            continue
        line = reader.line_num
        try:
            person = _person(row, columns, lookup)
        except InvalidInput as invalid:
            details = "; ".join(
                f"{LABELS.get(e.field, e.field)}: {e.message}" for e in invalid.errors
            )
            problems.append(f"linje {line}: {details}")
            continue
        if person.email.lower() in taken:
            problems.append(f"linje {line}: e-post: {person.email} finnes allerede.")
            continue
        taken.add(person.email.lower())
        people.append(msgspec.structs.asdict(person))
    if problems and not skip_bad_lines:
        raise ImportFailed(problems)
    if people:
        ids = await db.scalars(
            insert(Person).returning(Person.id, sort_by_parameter_order=True), people
        )
        await record_bulk_create(db, Person.__tablename__, list(zip(ids, people, strict=True)))
    return len(people), problems


def _person(
    row: list[str], columns: dict[str, int], lookup: dict[str, dict[str, int]]
) -> PersonCreate:
    def cell(field: str) -> str:
        index = columns.get(field)
        return row[index].strip() if index is not None and index < len(row) else ""

    form: dict[str, Any] = {"name": cell("name"), "email": cell("email"), "title": cell("title")}
    errors: list[tuple[str, str]] = []
    links = (
        ("municipality_id", "municipality"),
        ("organisation_id", "organisation"),
        ("union_id", "union"),
    )
    for field, kind in links:
        value = cell(kind)
        form[field] = ""
        if value:
            found = lookup[kind].get(value.lower())
            if found is None:
                errors.append((field, f"«{value}» finnes ikke i registeret."))
            else:
                form[field] = str(found)
    language = cell("language_form").lower()
    form["language_form"] = LANGUAGE_FORMS.get(language, language)
    if not form["municipality_id"] and not form["organisation_id"] and not errors:
        errors.append(("municipality_id", "Kommune eller organisasjon må fylles ut."))
    field_errors = [FieldError(f, m) for f, m in errors]
    try:
        person = struct_from_form(PersonCreate, form, list(form))
    except InvalidInput as invalid:
        raise InvalidInput(errors=invalid.errors + field_errors) from None
    if field_errors:
        raise InvalidInput(errors=field_errors)
    assert isinstance(person, PersonCreate)
    return person
