"""Who is who, for every package that invites, asks or consults people: the members of
groups on a date, and registered people by e-mail address."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from medvirkning.choices import WrittenForm
from medvirkning.errors import FieldError
from medvirkning.people.models import Group, GroupKind, Membership, Person


@dataclass(frozen=True, slots=True)
class Addressee:
    """A person as a letter addresses them, without the weight of a record: 2,000 members
    as records held 3.7 MiB at a large invitation's peak, as these about 0.4."""

    id: int
    name: str
    email: str
    active: bool
    language_form: WrittenForm

    @classmethod
    def of(cls, person: Person) -> Addressee:
        return cls(person.id, person.name, person.email, person.active, person.language_form)


async def active_groups(
    db: AsyncSession, group_ids: Sequence[int], field: str = "group_ids"
) -> tuple[list[Group], list[FieldError]]:
    """The groups by id, in the order asked, and an error for each that is gone."""
    found = (
        {g.id: g for g in await db.scalars(select(Group).where(Group.id.in_(group_ids)))}
        if group_ids
        else {}
    )
    groups, errors = [], []
    for index, group_id in enumerate(group_ids):
        group = found.get(group_id)
        if group is None or not group.active:
            errors.append(FieldError(f"{field}[{index}]", "Velg en gruppe som finnes."))
        else:
            groups.append(group)
    return groups, errors


async def groups_of_kinds(db: AsyncSession, kinds: Sequence[GroupKind]) -> list[Group]:
    """Every active group of these kinds, by name (e.g. all reference groups)."""
    if not kinds:
        return []
    stmt = select(Group).where(Group.active.is_(True), Group.kind.in_(kinds)).order_by(Group.name)
    return list(await db.scalars(stmt))


async def people_by_email(
    db: AsyncSession, emails: Sequence[str], field: str
) -> tuple[list[Person], list[FieldError]]:
    """Active people by address (in one query), and an error naming each unknown one."""
    wanted = [address.strip().lower() for address in emails]
    found = (
        {
            p.email.lower(): p
            for p in await db.scalars(select(Person).where(func.lower(Person.email).in_(wanted)))
        }
        if wanted
        else {}
    )
    people, errors = [], []
    for index, address in enumerate(emails):
        person = found.get(wanted[index])
        if person is None or not person.active:
            message = f"Fant ingen aktiv person med e-postadressen {address}."
            errors.append(FieldError(f"{field}[{index}]", message))
        else:
            people.append(person)
    return people, errors


def _members_on(group_ids: Sequence[int], on: date) -> ColumnElement[bool]:
    return and_(
        Membership.person_id == Person.id,
        Membership.group_id.in_(group_ids),
        Membership.starts_on <= on,
        (Membership.ends_on.is_(None)) | (Membership.ends_on >= on),
        Person.active.is_(True),
    )


async def members_on(db: AsyncSession, group_ids: Sequence[int], on: date) -> list[Person]:
    """The active people who are members of any of the groups on that day, by name."""
    if not group_ids:
        return []
    stmt = select(Person).join(Membership, _members_on(group_ids, on)).order_by(Person.name)
    return list((await db.scalars(stmt)).unique())


async def addressees_on(db: AsyncSession, group_ids: Sequence[int], on: date) -> list[Addressee]:
    """The same people as `members_on`, as letters address them."""
    if not group_ids:
        return []
    columns = (Person.id, Person.name, Person.email, Person.active, Person.language_form)
    stmt = select(*columns).join(Membership, _members_on(group_ids, on)).distinct()
    return [Addressee(*row) for row in await db.execute(stmt.order_by(Person.name))]


def _person_label(person: Person, with_email: bool) -> str:
    where = (person.municipality or person.organisation).name  # type: ignore[union-attr]
    return f"{person.name} ({where}, {person.email})" if with_email else f"{person.name} ({where})"


async def search_people(db: AsyncSession, q: str, limit: int) -> tuple[list[tuple[str, str]], int]:
    """Active people whose name or address contains the words, by name: the first `limit`
    as (id, label) and how many matched (for a picker: never a list of every person)."""
    text = q.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    match = (Person.name.ilike(f"%{text}%", escape="\\")) | (
        Person.email.ilike(f"%{text}%", escape="\\")
    )
    where = (Person.active.is_(True), match)
    total = await db.scalar(select(func.count()).select_from(Person).where(*where)) or 0
    rows = await db.scalars(
        select(Person).where(*where).order_by(Person.name, Person.id).limit(limit)
    )
    return [(str(p.id), _person_label(p, True)) for p in rows.unique()], total


async def person_labels(db: AsyncSession, ids: Sequence[int]) -> dict[int, str]:
    """Name and affiliation of the people by id (what a picker shows for the chosen ones);
    no address, since steering reads these pages too."""
    if not ids:
        return {}
    rows = await db.scalars(select(Person).where(Person.id.in_(ids)))
    return {p.id: _person_label(p, False) for p in rows.unique()}


async def people_by_id(
    db: AsyncSession, person_ids: Sequence[int], field: str
) -> tuple[list[Person], list[FieldError]]:
    """Active people by id (in one query), and an error naming each that is gone."""
    found = (
        {p.id: p for p in await db.scalars(select(Person).where(Person.id.in_(person_ids)))}
        if person_ids
        else {}
    )
    people, errors = [], []
    for index, person_id in enumerate(person_ids):
        person = found.get(person_id)
        if person is None or not person.active:
            errors.append(FieldError(f"{field}[{index}]", "Velg en person som finnes."))
        else:
            people.append(person)
    return people, errors
