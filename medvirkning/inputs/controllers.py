"""The JSON side of what the input pages do beyond the register's own API."""

from __future__ import annotations

from litestar import post
from litestar.params import FromPath

from medvirkning import register
from medvirkning.auth.access import ADMIN
from medvirkning.db import Db
from medvirkning.inputs import services
from medvirkning.inputs.registers import INPUTS
from medvirkning.inputs.schemas import InputRead


@post(
    "/api/meetings/{meeting_id:int}/points/{point_id:int}/input",
    opt=ADMIN,
    operation_id="meeting_point_to_input",
    summary="Registrer et punkt fra møtet som innspill",
    tags=["Innspill"],
)
async def point_to_input_api(
    db: Db, meeting_id: FromPath[int], point_id: FromPath[int]
) -> InputRead:
    row = await services.point_to_input(db, meeting_id, point_id)
    return register.to_read(INPUTS, await db.get(INPUTS.model, row.id, populate_existing=True))
