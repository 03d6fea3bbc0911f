"""After the meeting, on the meeting page: attendance, minutes, and the points raised."""

from __future__ import annotations

from typing import Any

from litestar import Router, get, post
from litestar.params import FromPath, URLEncodedBody
from litestar.response import Redirect, Template

from medvirkning.auth.access import ADMIN
from medvirkning.db import Db
from medvirkning.dependencies import AppSettings, User
from medvirkning.errors import NotFound
from medvirkning.meetings import queries, record
from medvirkning.meetings.pages import act, confirm
from medvirkning.meetings.schemas import AttendanceUpdate, MinutesUpdate, PointCreate
from medvirkning.web import struct_from_form


@post("/admin/meetings/{meeting_id:int}/attendance", opt=ADMIN, include_in_schema=False)
async def attendance(
    db: Db,
    settings: AppSettings,
    user: User,
    meeting_id: FromPath[int],
    data: URLEncodedBody[dict[str, Any]],
) -> Template | Redirect:
    async def save_attendance() -> None:
        form = {"attended_person_ids": data.get("present", [])}
        payload = struct_from_form(AttendanceUpdate, form, ["attended_person_ids"])
        await record.record_attendance(db, meeting_id, payload)

    return await act(db, settings, user, meeting_id, save_attendance, "oppmote")


@post("/admin/meetings/{meeting_id:int}/minutes", opt=ADMIN, include_in_schema=False)
async def minutes(
    db: Db,
    settings: AppSettings,
    user: User,
    meeting_id: FromPath[int],
    data: URLEncodedBody[dict[str, Any]],
) -> Template | Redirect:
    async def save() -> None:
        payload = struct_from_form(MinutesUpdate, data, ["minutes"])
        await record.set_minutes(db, meeting_id, payload)

    typed = {"minutes": str(data.get("minutes", ""))}
    return await act(db, settings, user, meeting_id, save, "referat", typed)


@post("/admin/meetings/{meeting_id:int}/points", opt=ADMIN, include_in_schema=False)
async def add_point(
    db: Db,
    settings: AppSettings,
    user: User,
    meeting_id: FromPath[int],
    data: URLEncodedBody[dict[str, Any]],
) -> Template | Redirect:
    async def save() -> None:
        payload = struct_from_form(PointCreate, data, ["text", "raised_by"])
        await record.add_point(db, meeting_id, payload)

    typed = {"text": str(data.get("text", "")), "raised_by": str(data.get("raised_by", ""))}
    return await act(db, settings, user, meeting_id, save, "punkt", typed)


@get(
    "/admin/meetings/{meeting_id:int}/points/{point_id:int}/delete",
    opt=ADMIN,
    include_in_schema=False,
)
async def delete_point_page(
    db: Db, user: User, meeting_id: FromPath[int], point_id: FromPath[int]
) -> Template:
    meeting = await queries.get_meeting(db, user, meeting_id)
    point = next((p for p in meeting.points if p.id == point_id), None)
    if point is None:
        raise NotFound("Fant ikke punktet.")
    return confirm(
        meeting,
        "Slette punktet?",
        f"«{point.text}» slettes fra møtet. Dette kan ikke angres.",
        f"/admin/meetings/{meeting.id}/points/{point.id}/delete",
        "Ja, slett punktet",
    )


@post(
    "/admin/meetings/{meeting_id:int}/points/{point_id:int}/delete",
    opt=ADMIN,
    include_in_schema=False,
)
async def delete_point(
    db: Db, settings: AppSettings, user: User, meeting_id: FromPath[int], point_id: FromPath[int]
) -> Template | Redirect:
    async def delete() -> None:
        await record.delete_point(db, meeting_id, point_id)

    return await act(db, settings, user, meeting_id, delete, "punkt-slettet")


record_pages = Router(
    path="/",
    include_in_schema=False,
    route_handlers=[attendance, minutes, add_point, delete_point_page, delete_point],
)
