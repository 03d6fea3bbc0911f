"""The JSON API of a register, built from its description.

No `from __future__ import annotations` here: each handler is annotated with the register's
own Structs when it is built, so the OpenAPI schema names the real types.
"""

from typing import Annotated, Any

import msgspec
from litestar import Request, Router, get, patch, post
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from medvirkning import register as service
from medvirkning.db import Db
from medvirkning.dependencies import User
from medvirkning.errors import BadRequest, FieldError
from medvirkning.input_limits import within_range
from medvirkning.register import ListQuery, Register
from medvirkning.register_rows import list_reads

MAX_SEARCH = 200


def list_query_from(
    register: Register,
    request: Request[Any, Any, Any],
    q: str,
    include_inactive: bool,
    limit: int,
    offset: int,
    total: bool = False,
) -> ListQuery:
    """The common list parameters plus the register's own filters (`?group_id=3`)."""
    if len(q) > MAX_SEARCH:  # SQLite refuses a LIKE pattern past 50,000 bytes
        raise BadRequest.for_field("q", f"Søket kan være høyst {MAX_SEARCH} tegn.")
    filters: dict[str, Any] = {}
    for name, column in register.filters.items():
        raw = request.query_params.get(name)
        if raw in (None, ""):
            continue
        try:
            filters[name] = msgspec.convert(raw, column.type.python_type, strict=False)
            if isinstance(filters[name], int) and not isinstance(filters[name], bool):
                within_range(name, filters[name])
        except (msgspec.ValidationError, NotImplementedError) as exc:
            message = "Filteret har en ugyldig verdi."
            raise BadRequest(message, [FieldError(name, message)]) from exc
    return ListQuery(
        q=q,
        include_inactive=include_inactive,
        filters=filters,
        limit=limit,
        offset=offset,
        total=total,
    )


def api_router(register: Register) -> Router:
    create_type, update_type, read_type = register.create, register.update, register.read
    page_type = msgspec.defstruct(
        f"{read_type.__name__}Page",
        [("items", list[read_type]), ("total", int | None), ("limit", int), ("offset", int)],  # type: ignore[valid-type]
        frozen=True,
    )
    slug = register.slug.replace("-", "_")

    @get(
        "/",
        opt=register.read_access,
        operation_id=f"{slug}_list",
        summary=f"Søk i {register.title.lower()}",
    )
    async def list_records(
        request: Request[Any, Any, Any],
        db: Db,
        user: User,
        q: FromQuery[str] = "",
        include_inactive: FromQuery[bool] = False,
        limit: Annotated[int, QueryParameter(ge=1, le=500)] = 50,
        offset: Annotated[int, QueryParameter(ge=0)] = 0,
        total: Annotated[
            bool, QueryParameter(description="Tell antall treff (null ellers): én spørring til")
        ] = False,
    ) -> page_type:  # type: ignore[valid-type]
        query = list_query_from(register, request, q, include_inactive, limit, offset, total)
        items, count = await list_reads(db, register, query, user)
        return page_type(items=items, total=count, limit=limit, offset=offset)

    @get(
        "/{record_id:int}",
        opt=register.read_access,
        operation_id=f"{slug}_read",
        summary=f"Les {register.singular}",
    )
    async def read_record(db: Db, user: User, record_id: FromPath[int]) -> read_type:  # type: ignore[valid-type]
        row = await service.read_record(db, register, record_id, user)
        return service.to_read(register, row)

    @post(
        "/",
        opt=register.write_access,
        operation_id=f"{slug}_create",
        summary=f"Opprett {register.singular}",
    )
    async def create_record(db: Db, data: JSONBody[create_type]) -> read_type:  # type: ignore[valid-type]
        return service.to_read(register, await service.create_record(db, register, data))

    @patch(
        "/{record_id:int}",
        opt=register.write_access,
        operation_id=f"{slug}_update",
        summary=f"Endre {register.singular}",
    )
    async def update_record(
        db: Db,
        record_id: FromPath[int],
        data: JSONBody[update_type],  # type: ignore[valid-type]
    ) -> read_type:  # type: ignore[valid-type]
        row = await service.update_record(db, register, record_id, data)
        return service.to_read(register, row)

    handlers: list[Any] = [list_records, read_record, create_record, update_record]
    if register.deactivatable:

        @post(
            "/{record_id:int}/deactivate",
            opt=register.write_access,
            operation_id=f"{slug}_deactivate",
            summary=f"Deaktiver {register.singular}",
            status_code=200,
        )
        async def deactivate(db: Db, record_id: FromPath[int]) -> read_type:  # type: ignore[valid-type]
            return service.to_read(
                register, await service.set_active(db, register, record_id, False)
            )

        @post(
            "/{record_id:int}/reactivate",
            opt=register.write_access,
            operation_id=f"{slug}_reactivate",
            summary=f"Aktiver {register.singular} igjen",
            status_code=200,
        )
        async def reactivate(db: Db, record_id: FromPath[int]) -> read_type:  # type: ignore[valid-type]
            return service.to_read(
                register, await service.set_active(db, register, record_id, True)
            )

        handlers += [deactivate, reactivate]
    return Router(path=f"/api/{register.slug}", route_handlers=handlers, tags=[register.title])
