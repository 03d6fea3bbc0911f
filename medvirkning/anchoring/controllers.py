"""The anchoring record in the JSON API, with its schema."""

from __future__ import annotations

from litestar import get

from medvirkning.anchoring.record import compile_record
from medvirkning.anchoring.views import RecordRead, record_read
from medvirkning.auth.access import ADMIN_AND_STEERING
from medvirkning.db import Db


@get(
    "/api/anchoring-record",
    opt=ADMIN_AND_STEERING,
    operation_id="anchoring_record",
    summary="Forankringsdokumentasjonen: bevis og mangler per kommune, fase og risikofaktor",
    tags=["Forankring"],
)
async def anchoring_record_api(db: Db) -> RecordRead:
    return record_read(await compile_record(db))
