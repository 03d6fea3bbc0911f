"""The people, group and membership registers."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from medvirkning.auth.access import ADMIN
from medvirkning.errors import FieldError
from medvirkning.formats import date_no
from medvirkning.people.models import Group, Membership, Person
from medvirkning.people.names import look_alike_problem
from medvirkning.people.queries import person_labels, search_people
from medvirkning.people.schemas import (
    GroupCreate,
    GroupRead,
    GroupUpdate,
    MembershipCreate,
    MembershipRead,
    MembershipUpdate,
    PersonCreate,
    PersonRead,
    PersonUpdate,
)
from medvirkning.plan.models import Phase
from medvirkning.plan.registers import phase_options
from medvirkning.region.models import Municipality, Organisation
from medvirkning.region.registers import (
    UNIONS,
    municipality_options,
    organisation_options,
    union_options,
)
from medvirkning.register import (
    Column,
    FormField,
    Picker,
    Register,
    Unique,
    Values,
    must_exist,
    options,
)

# People are too many to list in a form (50,000): search, then pick.
PERSON_PICKER = Picker(search=search_people, labels=person_labels)


async def group_options(db: AsyncSession) -> list[tuple[str, str]]:
    return await options(db, Group, lambda g: g.name, order_by=Group.name)


async def _person_affiliation(db: AsyncSession, values: Values, before: Any) -> list[FieldError]:
    errors = await must_exist(
        db, Municipality, values, before, "municipality_id", "Velg en kommune som finnes."
    )
    errors += await must_exist(
        db, Organisation, values, before, "organisation_id", "Velg en organisasjon som finnes."
    )
    if values.get("municipality_id") is None and values.get("organisation_id") is None:
        message = "Velg kommunen eller organisasjonen personen hører til."
        errors.append(FieldError("municipality_id", message))
    if (problem := look_alike_problem(values.get("name") or "")) is not None:
        errors.append(FieldError("name", problem))
    union_id = values.get("union_id")
    if union_id is not None and not (before is not None and before.union_id == union_id):
        union = await db.get(Organisation, union_id)
        if union is None or not union.active or union.kind not in UNIONS:
            errors.append(FieldError("union_id", "Velg en fagforening som finnes."))
    return errors


async def _group_links(db: AsyncSession, values: Values, before: Any) -> list[FieldError]:
    return await must_exist(
        db, Municipality, values, before, "municipality_id", "Velg en kommune som finnes."
    ) + await must_exist(db, Phase, values, before, "phase_id", "Velg en fase som finnes.")


async def _membership_rules(db: AsyncSession, values: Values, before: Any) -> list[FieldError]:
    errors = await must_exist(db, Group, values, before, "group_id", "Velg en gruppe som finnes.")
    errors += await must_exist(
        db, Person, values, before, "person_id", "Velg en person som finnes."
    )
    starts_on, ends_on = values.get("starts_on"), values.get("ends_on")
    if starts_on and ends_on and ends_on < starts_on:
        errors.append(FieldError("ends_on", "Sluttdatoen kan ikke være før startdatoen."))
    if errors:
        return errors
    overlapping = select(Membership.id).where(
        Membership.group_id == values["group_id"],
        Membership.person_id == values["person_id"],
        (Membership.ends_on.is_(None)) | (Membership.ends_on >= starts_on),
    )
    if ends_on is not None:
        overlapping = overlapping.where(Membership.starts_on <= ends_on)
    if before is not None:
        overlapping = overlapping.where(Membership.id != before.id)
    if await db.scalar(overlapping.limit(1)) is not None:
        message = "Personen er allerede medlem av gruppen i denne perioden."
        errors.append(FieldError("person_id", message))
    return errors


def _scope(group: Group) -> str:
    return group.municipality.name if group.municipality else "Hele regionen"


PEOPLE = Register(
    slug="people",
    title="Personer",
    singular="person",
    model=Person,
    create=PersonCreate,
    update=PersonUpdate,
    read=PersonRead,
    search=(Person.name, Person.email, Person.title),
    order_by=(Person.name, Person.id),
    columns=(
        Column("Navn", lambda p: p.name),
        Column("E-post", lambda p: p.email),
        Column(
            "Kommune / organisasjon",
            lambda p: p.municipality.name if p.municipality else p.organisation.name,
        ),
        Column("Stilling", lambda p: p.title),
        Column("Fagforening", lambda p: p.union.name if p.union else ""),
    ),
    fields=(
        FormField("name", "Navn", autocomplete="name"),
        FormField("email", "E-post", kind="email", autocomplete="email"),
        FormField("municipality_id", "Kommune", kind="select", options=municipality_options),
        FormField(
            "organisation_id",
            "Organisasjon",
            kind="select",
            options=organisation_options,
            hint="For regionale organer, som K-IKT eller sekretariatet.",
        ),
        FormField("title", "Stilling", autocomplete="organization-title"),
        FormField(
            "union_id",
            "Fagforening",
            kind="select",
            options=union_options,
            hint="Bare for tillitsvalgte.",
        ),
        FormField("language_form", "Foretrukket målform", kind="select"),
    ),
    rules=(_person_affiliation,),
    unique=(
        Unique(
            "email", "Det finnes allerede en person med denne e-postadressen.", ignore_case=True
        ),
    ),
    read_access=ADMIN,  # e-mail addresses are personal data
    filters={
        "municipality_id": Person.municipality_id,
        "organisation_id": Person.organisation_id,
        "union_id": Person.union_id,
    },
    label=lambda p: p.name,
)

GROUPS = Register(
    slug="groups",
    title="Grupper",
    singular="gruppe",
    model=Group,
    create=GroupCreate,
    update=GroupUpdate,
    read=GroupRead,
    search=(Group.name, Group.purpose),
    order_by=(Group.name,),
    columns=(
        Column("Navn", lambda g: g.name),
        Column("Type", lambda g: g.kind.label),
        Column("Omfang", _scope),
        Column("Fase", lambda g: g.phase.name if g.phase else ""),
    ),
    fields=(
        FormField("name", "Navn"),
        FormField("kind", "Type", kind="select"),
        FormField(
            "municipality_id",
            "Kommune",
            kind="select",
            options=municipality_options,
            hint="La stå tom når gruppen gjelder hele regionen.",
        ),
        FormField("phase_id", "Fase", kind="select", options=phase_options),
        FormField("purpose", "Formål", kind="textarea"),
    ),
    rules=(_group_links,),
    unique=(Unique("name", "Det finnes allerede en gruppe med dette navnet.", ignore_case=True),),
    filters={"kind": Group.kind, "municipality_id": Group.municipality_id},
    label=lambda g: g.name,
)

MEMBERSHIPS = Register(
    slug="memberships",
    title="Medlemskap",
    singular="medlemskap",
    model=Membership,
    create=MembershipCreate,
    update=MembershipUpdate,
    read=MembershipRead,
    search=(),
    order_by=(Membership.starts_on, Membership.id),
    columns=(
        Column("Gruppe", lambda m: m.group.name),
        Column("Person", lambda m: m.person.name),
        Column("Rolle", lambda m: m.role.label),
        Column("Fra", lambda m: date_no(m.starts_on)),
        Column("Til", lambda m: date_no(m.ends_on)),
    ),
    fields=(
        FormField("group_id", "Gruppe", kind="select", options=group_options),
        FormField("person_id", "Person", kind="pick", pick=PERSON_PICKER),
        FormField("role", "Rolle", kind="select"),
        FormField("starts_on", "Fra dato", kind="date"),
        FormField("ends_on", "Til dato", kind="date", hint="La stå tom når medlemskapet varer."),
    ),
    rules=(_membership_rules,),
    filters={"group_id": Membership.group_id, "person_id": Membership.person_id},
    deactivatable=False,
    label=lambda m: f"{m.person.name} i {m.group.name}",
    new_label="Nytt medlemskap",
)
