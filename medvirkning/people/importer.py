"""Import people from the CSV file a project leader gets from HR.

Comma or semicolon separated; UTF-8 with or without BOM, or Windows-1252, decided from the
whole file (a file mixing the two is refused). Every bad line is reported by its line
number; nothing is imported when a line is bad, unless told to skip bad lines.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Iterator
from typing import Any, cast

import msgspec
from sqlalchemy import Table, func, insert, select
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
# Bytes that could not be decoded, kept by `surrogateescape` as U+DC80–U+DCFF.
ESCAPED = re.compile("[\udc80-\udcff]")
# A character only a valid UTF-8 multi-byte sequence gives (not ASCII, not an escaped byte).
MULTI_BYTE = re.compile("[^\x00-\x7f\udc80-\udcff]")
# Control characters no name, address or title holds; tab is allowed.
CONTROL = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f]")
LINE_BREAK = re.compile("\r\n|\r|\n")
FIELD_LIMIT_KB = csv.field_size_limit() // 1024
# Addresses in one statement when reading the new people's ids back (SQLite takes 32,766
# values a statement).
IDS_AT_A_TIME = 5_000


class ImportFailed(InvalidInput):
    code = "import_failed"
    message = "Filen ble ikke importert."

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(errors=[FieldError("file", problem) for problem in problems])


def decode(data: bytes) -> str:
    """The file's text: UTF-8 if it all is, else Windows-1252 if nothing in it is UTF-8."""
    data = data.removeprefix(codecs.BOM_UTF8)
    text = data.decode("utf-8", errors="surrogateescape")
    odd = ESCAPED.search(text)
    if odd is None:
        return text
    if MULTI_BYTE.search(text):
        raise ImportFailed(
            [
                f"{_where(text, odd.start())}: byten 0x{ord(odd.group()) - 0xDC00:02X} er ikke "
                "gyldig UTF-8, men resten av filen er UTF-8 (æ, ø og å skrevet som UTF-8). Filen "
                "blander to tegnkodinger; lagre den på nytt som UTF-8 og prøv igjen."
            ]
        )
    text = data.decode("cp1252", errors="surrogateescape")
    odd = ESCAPED.search(text)
    if odd is not None:
        raise ImportFailed(
            [
                f"{_where(text, odd.start())}: byten 0x{ord(odd.group()) - 0xDC00:02X} er verken "
                "gyldig UTF-8 eller et tegn i Windows-1252. Lagre filen som UTF-8 og prøv igjen."
            ]
        )
    return text


def _where(text: str, index: int) -> str:
    """`linje N, kolonne X` for a character of the file, as a person finds it in Excel."""
    starts = [0] + [m.end() for m in LINE_BREAK.finditer(text, 0, index)]
    line = len(starts)
    end = LINE_BREAK.search(text, index)
    delimiter = _delimiter(text)
    header = next(csv.reader([LINE_BREAK.split(text, 1)[0]], delimiter=delimiter), [])
    fields = next(
        csv.reader([text[starts[-1] : end.start() if end else None]], delimiter=delimiter)
    )
    column = next((n for n, field in enumerate(fields) if ESCAPED.search(field)), None)
    if column is None or line == 1 or column >= len(header):
        return f"linje {line}"
    return f"linje {line}, kolonne {header[column].strip()}"


def _delimiter(text: str) -> str:
    first_line = LINE_BREAK.split(text, 1)[0]
    return ";" if first_line.count(";") > first_line.count(",") else ","


def _rows(reader: Any) -> Iterator[list[str]]:
    """The reader's rows; a line the csv module cannot read refuses the file, named."""
    try:
        yield from reader
    except csv.Error as error:
        problem = (
            f"et felt er lengre enn {FIELD_LIMIT_KB} kB. Mangler et avsluttende anførselstegn?"
            if "field limit" in str(error)
            else "linjen kan ikke leses som CSV."
        )
        raise ImportFailed([f"linje {reader.line_num}: {problem}"]) from None


def _control_character(row: list[str], labels: dict[int, str]) -> str | None:
    """The problem with the first field holding a control character, if any."""
    for index, cell in enumerate(row):
        found = CONTROL.search(cell)
        if found:
            label = labels.get(index, f"kolonne {index + 1}")
            return (
                f"{label}: inneholder kontrolltegnet U+{ord(found.group()):04X}, som ikke er "
                "tillatt (tabulator er det eneste som er lov)."
            )
    return None


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
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    rows = _rows(reader)
    header = next(rows, None)
    if header is None:
        raise ImportFailed(["Filen er tom."])
    columns = _columns(header)
    labels = {n: name.strip() for n, name in enumerate(header)}
    labels.update({n: LABELS.get(f, LABELS.get(f"{f}_id", f)) for f, n in columns.items()})
    lookup = await _lookup(db)
    taken = {e.lower() for e in await db.scalars(select(func.lower(Person.email)))}
    people: list[dict[str, Any]] = []
    problems: list[str] = []
    for row in rows:
        if not any(cell.strip() for cell in row):
            continue
        line = reader.line_num
        control = _control_character(row, labels)
        if control:
            problems.append(f"linje {line}: {control}")
            continue
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
        people.append({**msgspec.structs.asdict(person), "active": True})
    if problems and not skip_bad_lines:
        raise ImportFailed(problems)
    await _insert(db, people)
    return len(people), problems


async def _insert(db: AsyncSession, people: list[dict[str, Any]]) -> None:
    """All people in one statement, their ids read back, then their audit rows in one, in
    the same transaction."""
    if not people:
        return
    # Without RETURNING the rows go to the driver's executemany, as a bare insert's do:
    # asked back, SQLAlchemy built multi-row statements value by value, the most of an
    # import's time. Their ids are read back by address (unique, lower-cased) after.
    await db.execute(insert(cast(Table, Person.__table__)), people)
    emails = [person["email"].lower() for person in people]
    lowered = func.lower(Person.email)
    ids: dict[str, int] = {}
    for first in range(0, len(emails), IDS_AT_A_TIME):
        some = emails[first : first + IDS_AT_A_TIME]
        ids.update((await db.execute(select(lowered, Person.id).where(lowered.in_(some)))).all())
    created = [{"id": ids[person["email"].lower()], **person} for person in people]
    await record_bulk_create(db, Person, created)


def _person(
    row: list[str], columns: dict[str, int], lookup: dict[str, dict[str, int]]
) -> PersonCreate:
    cells = dict.fromkeys(HEADERS, "")
    cells.update({f: row[i].strip() for f, i in columns.items() if i < len(row)})
    form: dict[str, Any] = {"name": cells["name"], "email": cells["email"], "title": cells["title"]}
    errors: list[tuple[str, str]] = []
    links = (
        ("municipality_id", "municipality"),
        ("organisation_id", "organisation"),
        ("union_id", "union"),
    )
    for field, kind in links:
        value = cells[kind]
        form[field] = None
        if value:
            found = lookup[kind].get(value.lower())
            if found is None:
                errors.append((field, f"«{value}» finnes ikke i registeret."))
            else:
                form[field] = found
    language = cells["language_form"].lower()
    form["language_form"] = LANGUAGE_FORMS.get(language, language)
    if not form["municipality_id"] and not form["organisation_id"] and not errors:
        errors.append(("municipality_id", "Kommune eller organisasjon må fylles ut."))
    if not errors:
        # One conversion for a good line; the field-by-field one below words the errors.
        try:
            return msgspec.convert(form, PersonCreate, strict=False)
        except msgspec.ValidationError:
            pass
    form = {k: "" if v is None else str(v) for k, v in form.items()}
    field_errors = [FieldError(f, m) for f, m in errors]
    try:
        person = struct_from_form(PersonCreate, form, list(form))
    except InvalidInput as invalid:
        raise InvalidInput(errors=invalid.errors + field_errors) from None
    if field_errors:
        raise InvalidInput(errors=field_errors)
    assert isinstance(person, PersonCreate)
    return person
