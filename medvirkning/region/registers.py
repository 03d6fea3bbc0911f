"""The municipality and organisation registers."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from medvirkning.auth.access import EVERYONE
from medvirkning.errors import FieldError
from medvirkning.region.models import Municipality, Organisation, OrganisationKind
from medvirkning.region.schemas import (
    MunicipalityCreate,
    MunicipalityRead,
    MunicipalityUpdate,
    OrganisationCreate,
    OrganisationRead,
    OrganisationUpdate,
)
from medvirkning.register import Column, FormField, Register, Unique, Values, options

UNIONS = (OrganisationKind.UNION, OrganisationKind.UNION_FEDERATION)


def _name(row: Any) -> str:
    return str(row.name)


async def municipality_options(db: AsyncSession) -> list[tuple[str, str]]:
    return await options(db, Municipality, _name, order_by=Municipality.name)


async def organisation_options(db: AsyncSession) -> list[tuple[str, str]]:
    criterion = Organisation.kind.not_in(UNIONS)
    return await options(db, Organisation, _name, criterion, order_by=Organisation.name)


async def union_options(db: AsyncSession) -> list[tuple[str, str]]:
    criterion = Organisation.kind.in_(UNIONS)
    return await options(db, Organisation, _name, criterion, order_by=Organisation.name)


async def federation_options(db: AsyncSession) -> list[tuple[str, str]]:
    criterion = Organisation.kind == OrganisationKind.UNION_FEDERATION
    return await options(db, Organisation, _name, criterion, order_by=Organisation.name)


async def _parent_is_federation(db: AsyncSession, values: Values, before: Any) -> list[FieldError]:
    """Only a union has a parent, and that parent is an active union federation."""
    parent_id = values.get("parent_id")
    if parent_id is None:
        return []
    if before is not None and before.id == parent_id:
        return [FieldError("parent_id", "En organisasjon kan ikke høre inn under seg selv.")]
    if values.get("kind") != OrganisationKind.UNION:
        return [
            FieldError("parent_id", "Bare en fagforening kan høre inn under en sammenslutning.")
        ]
    parent = await db.get(Organisation, parent_id)
    unchanged = before is not None and before.parent_id == parent_id
    if parent is None or parent.kind != OrganisationKind.UNION_FEDERATION:
        return [FieldError("parent_id", "Velg en forhandlingssammenslutning som finnes.")]
    if not parent.active and not unchanged:
        return [FieldError("parent_id", "Sammenslutningen er deaktivert.")]
    return []


MUNICIPALITIES = Register(
    slug="municipalities",
    title="Kommuner",
    singular="kommune",
    model=Municipality,
    create=MunicipalityCreate,
    update=MunicipalityUpdate,
    read=MunicipalityRead,
    search=(Municipality.name, Municipality.number),
    order_by=(Municipality.name,),
    columns=(
        Column("Kommunenummer", lambda m: m.number),
        Column("Navn", lambda m: m.name),
        Column("Målform", lambda m: m.language_form.label),
    ),
    fields=(
        FormField("number", "Kommunenummer", hint="Fire sifre, for eksempel 3303."),
        FormField("name", "Navn"),
        FormField("language_form", "Offisiell målform", kind="select"),
    ),
    unique=(
        Unique("number", "Det finnes allerede en kommune med dette kommunenummeret."),
        Unique("name", "Det finnes allerede en kommune med dette navnet.", ignore_case=True),
    ),
    read_access=EVERYONE,
    label=lambda m: m.name,
)

ORGANISATIONS = Register(
    slug="organisations",
    title="Organisasjoner",
    singular="organisasjon",
    model=Organisation,
    create=OrganisationCreate,
    update=OrganisationUpdate,
    read=OrganisationRead,
    search=(Organisation.name, Organisation.short_name),
    order_by=(Organisation.kind, Organisation.name),
    columns=(
        Column("Navn", lambda o: o.name),
        Column("Kortnavn", lambda o: o.short_name),
        Column("Type", lambda o: o.kind.label),
        Column("Hører inn under", lambda o: o.parent.name if o.parent else ""),
    ),
    fields=(
        FormField("name", "Navn"),
        FormField("short_name", "Kortnavn"),
        FormField("kind", "Type", kind="select"),
        FormField(
            "parent_id",
            "Forhandlingssammenslutning",
            kind="select",
            options=federation_options,
            hint="Bare for fagforeninger.",
        ),
    ),
    rules=(_parent_is_federation,),
    unique=(
        Unique("name", "Det finnes allerede en organisasjon med dette navnet.", ignore_case=True),
    ),
    filters={"kind": Organisation.kind},
    read_access=EVERYONE,
    label=lambda o: o.name,
)
