"""The JSON API beyond the registers: members in bulk."""

from __future__ import annotations

from litestar import post
from litestar.params import FromPath, JSONBody

from medvirkning import register
from medvirkning.db import Db
from medvirkning.people.registers import MEMBERSHIPS
from medvirkning.people.schemas import MembersAdded, MembersCreate
from medvirkning.people.services import add_members
from medvirkning.schema import Ref


@post(
    "/api/groups/{group_id:int}/members",
    opt=MEMBERSHIPS.write_access,
    operation_id="groups_add_members",
    summary="Legg til mange medlemmer i en gruppe",
    tags=["Grupper"],
)
async def add_members_api(
    db: Db, group_id: FromPath[int], data: JSONBody[MembersCreate]
) -> MembersAdded:
    result = await add_members(db, group_id, data)
    return MembersAdded(
        added=[register.to_read(MEMBERSHIPS, m) for m in result.added],
        already_members=[Ref(p.id, p.name) for p in result.already_members],
    )
