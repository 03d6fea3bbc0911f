"""The JSON API of a survey's distribution: audience, personal links, reminders, opening and
closing times, open links, and the response rate under the anonymity rule."""

from __future__ import annotations

from litestar import Router, get, post, put
from litestar.params import FromPath, JSONBody
from sqlalchemy import select

from medvirkning.auth.access import ADMIN
from medvirkning.db import Db
from medvirkning.dependencies import AppSettings
from medvirkning.region.models import Municipality
from medvirkning.settings import Settings
from medvirkning.surveys import distribution
from medvirkning.surveys.distribution_schemas import (
    AudienceAdded,
    AudienceCreate,
    LettersSent,
    OpenLinkCreate,
    OpenLinkRead,
    ResponseRates,
    ScheduleUpdate,
)
from medvirkning.surveys.respondents import SurveyOpenLink


def open_link_url(settings: Settings, link: SurveyOpenLink) -> str:
    return f"{settings.public_base_url}/apen-undersokelse/{link.code}"


async def open_link_reads(db: Db, settings: Settings, survey_id: int) -> list[OpenLinkRead]:
    names = dict((await db.execute(select(Municipality.id, Municipality.name))).all())
    links = await db.scalars(
        select(SurveyOpenLink)
        .where(SurveyOpenLink.survey_id == survey_id)
        .order_by(SurveyOpenLink.id)
    )
    return [
        OpenLinkRead(
            id=link.id,
            url=open_link_url(settings, link),
            municipality=names.get(link.municipality_id) if link.municipality_id else None,
            limit_per_hour=link.limit_per_hour,
        )
        for link in links
    ]


@post("/{survey_id:int}/audience", status_code=201)
async def add_audience(
    db: Db, survey_id: FromPath[int], data: JSONBody[AudienceCreate]
) -> AudienceAdded:
    return await distribution.add_audience(db, survey_id, data)


@post("/{survey_id:int}/links", status_code=201)
async def send_links(db: Db, settings: AppSettings, survey_id: FromPath[int]) -> LettersSent:
    return LettersSent(sent=await distribution.send_links(db, settings, survey_id))


@post("/{survey_id:int}/reminders", status_code=201)
async def send_reminders(db: Db, settings: AppSettings, survey_id: FromPath[int]) -> LettersSent:
    return LettersSent(sent=await distribution.send_reminders(db, settings, survey_id))


@put("/{survey_id:int}/schedule")
async def set_schedule(
    db: Db, survey_id: FromPath[int], data: JSONBody[ScheduleUpdate]
) -> ScheduleUpdate:
    survey = await distribution.set_schedule(db, survey_id, data)
    return ScheduleUpdate(opens_at=survey.opens_at, closes_at=survey.closes_at)


@post("/{survey_id:int}/open-links", status_code=201)
async def create_open_link(
    db: Db, settings: AppSettings, survey_id: FromPath[int], data: JSONBody[OpenLinkCreate]
) -> OpenLinkRead:
    link = await distribution.create_open_link(db, survey_id, data)
    return next(r for r in await open_link_reads(db, settings, survey_id) if r.id == link.id)


@get("/{survey_id:int}/open-links")
async def list_open_links(
    db: Db, settings: AppSettings, survey_id: FromPath[int]
) -> list[OpenLinkRead]:
    await distribution.get_survey(db, survey_id)
    return await open_link_reads(db, settings, survey_id)


@get("/{survey_id:int}/response-rate")
async def response_rate(db: Db, survey_id: FromPath[int]) -> ResponseRates:
    survey = await distribution.get_survey(db, survey_id)
    return await distribution.response_rates(db, survey)


distribution_api = Router(
    path="/api/surveys",
    opt=ADMIN,
    tags=["Undersøkelser: utsending"],
    route_handlers=[
        add_audience,
        send_links,
        send_reminders,
        set_schedule,
        create_open_link,
        list_open_links,
        response_rate,
    ],
)
