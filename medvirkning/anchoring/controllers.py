"""The anchoring record in the JSON API, with its schema."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import get, put
from litestar.params import JSONBody

from medvirkning.anchoring import targets
from medvirkning.anchoring.record import all_targets, compile_record
from medvirkning.anchoring.views import RecordRead, record_read
from medvirkning.auth.access import ADMIN, ADMIN_AND_STEERING
from medvirkning.db import Db
from medvirkning.dependencies import AppSettings


@get(
    "/api/anchoring-record",
    opt=ADMIN_AND_STEERING,
    operation_id="anchoring_record",
    summary="Forankringsdokumentasjonen: bevis og mangler per kommune, fase og risikofaktor",
    tags=["Forankring"],
)
async def anchoring_record_api(db: Db, settings: AppSettings) -> RecordRead:
    return record_read(await compile_record(db, settings))


class TargetRead(msgspec.Struct, frozen=True):
    code: str
    label: str
    unit: str
    default: int
    value: int


async def _targets(db: Db) -> list[TargetRead]:
    values = await targets.current(db)
    return [TargetRead(t.code, t.label, t.unit, t.default, values[t.code]) for t in all_targets()]


@get(
    "/api/anchoring-targets",
    opt=ADMIN_AND_STEERING,
    operation_id="anchoring_targets",
    summary="Målene reglene for mangler måler mot",
    tags=["Forankring"],
)
async def targets_api(db: Db) -> list[TargetRead]:
    return await _targets(db)


@put(
    "/api/anchoring-targets",
    opt=ADMIN,
    operation_id="anchoring_targets_set",
    summary='Sett ett eller flere mål, for eksempel {"input_follow_up_days": 14}',
    tags=["Forankring"],
)
async def set_targets_api(db: Db, data: JSONBody[dict[str, Any]]) -> list[TargetRead]:
    await targets.set_targets(db, targets.from_form(data, partial=True))
    return await _targets(db)
