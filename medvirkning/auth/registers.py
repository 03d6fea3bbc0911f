"""The role register: who holds which role, a union representative with its scope."""

from __future__ import annotations

from typing import Any

import msgspec
from msgspec import UNSET, UnsetType
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from medvirkning.auth.access import ADMIN
from medvirkning.auth.models import Role, RoleGrant
from medvirkning.errors import FieldError
from medvirkning.people.models import Person
from medvirkning.people.registers import PERSON_PICKER
from medvirkning.region.models import Municipality, Organisation
from medvirkning.region.registers import UNIONS, municipality_options, union_options
from medvirkning.register import Column, FormField, Register, Values, must_exist
from medvirkning.schema import Id, Ref, Struct, Version


class RoleGrantCreate(Struct):
    person_id: Id
    role: Role
    union_id: Id | None = None
    municipality_id: Id | None = None


class RoleGrantUpdate(Struct):
    union_id: Id | UnsetType | None = UNSET
    municipality_id: Id | UnsetType | None = UNSET
    version: Version | UnsetType = UNSET


class RoleGrantRead(msgspec.Struct, frozen=True):
    id: int
    person: Ref
    role: Role
    union: Ref | None
    municipality: Ref | None
    active: bool
    version: str


async def _grant_rules(db: AsyncSession, values: Values, before: Any) -> list[FieldError]:
    errors = await must_exist(db, Person, values, before, "person_id", "Velg en person som finnes.")
    errors += await must_exist(
        db, Municipality, values, before, "municipality_id", "Velg en kommune som finnes."
    )
    union_id = values.get("union_id")
    if values["role"] == Role.UNION_REP:
        union = await db.get(Organisation, union_id) if union_id else None
        if union is None or union.kind not in UNIONS:
            errors.append(
                FieldError("union_id", "En tillitsvalgt representerer en fagforening: velg den.")
            )
    elif union_id is not None or values.get("municipality_id") is not None:
        errors.append(FieldError("union_id", "Bare tillitsvalgte har fagforening og omfang."))
    if errors:
        return errors
    same = select(RoleGrant.id).where(
        RoleGrant.person_id == values["person_id"],
        RoleGrant.role == values["role"],
        RoleGrant.active.is_(True),
        RoleGrant.union_id.is_(None) if union_id is None else RoleGrant.union_id == union_id,
        RoleGrant.municipality_id.is_(None)
        if values.get("municipality_id") is None
        else RoleGrant.municipality_id == values["municipality_id"],
    )
    if before is not None:
        same = same.where(RoleGrant.id != before.id)
    if await db.scalar(same.limit(1)) is not None:
        errors.append(FieldError("role", "Personen har allerede denne rollen."))
    return errors


def _scope(grant: RoleGrant) -> str:
    if grant.role != Role.UNION_REP:
        return ""
    where = grant.municipality.name if grant.municipality else "hele regionen"
    return f"{grant.union.name if grant.union else ''}, {where}"


ROLE_GRANTS = Register(
    slug="role-grants",
    title="Roller",
    singular="rolle",
    model=RoleGrant,
    create=RoleGrantCreate,
    update=RoleGrantUpdate,
    read=RoleGrantRead,
    search=(),
    order_by=(RoleGrant.role, RoleGrant.id),
    columns=(
        Column("Person", lambda g: g.person.name),
        Column("Rolle", lambda g: g.role.label),
        Column("Omfang", _scope),
    ),
    fields=(
        FormField("person_id", "Person", kind="pick", pick=PERSON_PICKER),
        FormField("role", "Rolle", kind="select"),
        FormField(
            "union_id",
            "Fagforening",
            kind="select",
            options=union_options,
            hint="Bare for tillitsvalgte.",
        ),
        FormField(
            "municipality_id",
            "Kommune",
            kind="select",
            options=municipality_options,
            hint="Bare for tillitsvalgte: la stå tom når vervet gjelder hele regionen.",
        ),
    ),
    rules=(_grant_rules,),
    filters={"person_id": RoleGrant.person_id, "role": RoleGrant.role},
    read_access=ADMIN,
    label=lambda g: f"{g.person.name}: {g.role.label}",
)
