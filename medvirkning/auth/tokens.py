"""The admin's API tokens: making one for a role (and a union representative's scope), with
an optional last day."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from medvirkning.auth.access import Principal
from medvirkning.auth.models import ApiToken, Role
from medvirkning.auth.schemas import ApiTokenCreate
from medvirkning.auth.services import create_api_token, token_creator
from medvirkning.errors import InvalidInput
from medvirkning.formats import OSLO
from medvirkning.region.models import Municipality, Organisation
from medvirkning.region.registers import UNIONS


async def _check_scope(db: AsyncSession, data: ApiTokenCreate) -> None:
    """A union representative's token names an existing union (and maybe municipality)."""
    if data.role != Role.UNION_REP:
        if data.union_id is not None or data.municipality_id is not None:
            raise InvalidInput.for_field(
                "union_id", "Bare en tillitsvalgt-nøkkel har fagforening og kommune."
            )
        return
    union = await db.get(Organisation, data.union_id) if data.union_id else None
    if union is None or not union.active or union.kind not in UNIONS:
        raise InvalidInput.for_field("union_id", "En tillitsvalgt-nøkkel må ha en fagforening.")
    if data.municipality_id is not None:
        municipality = await db.get(Municipality, data.municipality_id)
        if municipality is None or not municipality.active:
            raise InvalidInput.for_field("municipality_id", "Velg en kommune som finnes.")


async def create_token(
    db: AsyncSession, user: Principal, data: ApiTokenCreate
) -> tuple[ApiToken, str]:
    await _check_scope(db, data)
    expires_at = None
    if data.expires_on is not None:
        today = datetime.now(OSLO).date()
        if data.expires_on < today:
            raise InvalidInput.for_field("expires_on", "Utløpsdatoen kan ikke være passert.")
        if data.expires_on > today + timedelta(days=3653):
            raise InvalidInput.for_field("expires_on", "Utløpsdatoen kan ligge høyst ti år fram.")
        # Works through the whole last day, Norwegian time.
        expires_at = datetime.combine(data.expires_on + timedelta(days=1), time(), OSLO)
    return await create_api_token(
        db,
        data.name.strip(),
        data.role,
        await token_creator(db, user),
        data.union_id,
        data.municipality_id,
        expires_at,
    )
