"""Input pages beyond the register's: a meeting point taken in as input, and "you said, we
did" per municipality and per group, for those it concerns."""

from __future__ import annotations

from datetime import datetime

from litestar import Router, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from medvirkning.auth.access import ADMIN, EVERYONE
from medvirkning.db import Db
from medvirkning.dependencies import AppSettings, User
from medvirkning.formats import OSLO
from medvirkning.inputs import queries, services
from medvirkning.inputs.models import Input
from medvirkning.meetings import queries as meeting_queries
from medvirkning.meetings.pages import detail
from medvirkning.web import attempt


@post(
    "/admin/meetings/{meeting_id:int}/points/{point_id:int}/input",
    opt=ADMIN,
    include_in_schema=False,
)
async def point_to_input(
    db: Db, settings: AppSettings, user: User, meeting_id: FromPath[int], point_id: FromPath[int]
) -> Template | Redirect:
    created: list[Input] = []

    async def take_in() -> None:
        created.append(await services.point_to_input(db, meeting_id, point_id))

    if error := await attempt(db, take_in):
        meeting = await meeting_queries.get_meeting(db, user, meeting_id)
        return await detail(db, settings, meeting, error=error)
    # Straight to the new input, to sort it by theme and follow it up.
    return Redirect(f"/admin/inputs/{created[0].id}?saved=1", status_code=303)


@get("/innspill", opt=EVERYONE, include_in_schema=False)
async def answers_index(db: Db, user: User) -> Template:
    municipalities, groups = await queries.answer_scopes(db, user, datetime.now(OSLO).date())
    return Template(
        "inputs/index.html", context={"municipalities": municipalities, "groups": groups}
    )


@get("/innspill/kommuner/{municipality_id:int}", opt=EVERYONE, include_in_schema=False)
async def municipality_answers(db: Db, user: User, municipality_id: FromPath[int]) -> Template:
    municipality = await queries.municipality_for(db, user, municipality_id)
    inputs = await queries.answered_inputs(db, Input.municipality_id == municipality.id)
    return Template(
        "inputs/answers.html",
        context={"heading": f"Dere sa, vi gjorde: {municipality.name}", "inputs": inputs},
    )


@get("/innspill/grupper/{group_id:int}", opt=EVERYONE, include_in_schema=False)
async def group_answers(db: Db, user: User, group_id: FromPath[int]) -> Template:
    group = await queries.group_for(db, user, group_id, datetime.now(OSLO).date())
    inputs = await queries.answered_inputs(db, Input.group_id == group.id)
    return Template(
        "inputs/answers.html",
        context={"heading": f"Dere sa, vi gjorde: {group.name}", "inputs": inputs},
    )


input_pages = Router(
    path="/",
    include_in_schema=False,
    route_handlers=[point_to_input, answers_index, municipality_answers, group_answers],
)
