"""Building surveys in the JSON API: the same use cases as the builder pages."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Router, delete, get, post, put
from litestar.params import FromPath, FromQuery, JSONBody

from medvirkning.auth.access import ADMIN, ADMIN_AND_STEERING
from medvirkning.db import Db
from medvirkning.dependencies import User
from medvirkning.schema import Version
from medvirkning.surveys import builder, queries
from medvirkning.surveys.models import Survey
from medvirkning.surveys.schemas import (
    ConditionWrite,
    Move,
    QuestionWrite,
    SectionWrite,
    SurveyCreate,
    SurveyListItem,
    SurveyRead,
    SurveyUpdate,
    VersionRead,
    VersionSeen,
)
from surveys.questions import Language

TAGS = ["Undersøkelser"]


class QuestionAdded(msgspec.Struct, frozen=True):
    question_id: str
    survey: SurveyRead


async def survey_read(db: Db, survey: Survey) -> SurveyRead:
    versions = (await queries.versions_of(db, [survey.id]))[survey.id]
    counts = await queries.answer_counts(db, [v.id for v in versions])
    definition: dict[str, Any] = msgspec.json.decode(versions[-1].definition)
    return SurveyRead(
        id=survey.id,
        version=survey.version,
        title=survey.title,
        language=Language(survey.language_form.value),
        threshold=survey.threshold,
        response_target=survey.response_target,
        is_template=survey.is_template,
        versions=[VersionRead(v.number, v.published_at, counts.get(v.id, 0)) for v in versions],
        definition=definition,
    )


async def survey_list(db: Db, user: User) -> list[SurveyListItem]:
    surveys = await queries.list_surveys(db, user)
    versions = await queries.versions_of(db, [s.id for s in surveys])
    counts = await queries.answer_counts(db, [v.id for vs in versions.values() for v in vs])
    items = []
    for survey in surveys:
        published = [v for v in versions[survey.id] if v.published_at is not None]
        items.append(
            SurveyListItem(
                id=survey.id,
                title=survey.title,
                is_template=survey.is_template,
                published_version=published[-1].number if published else None,
                draft=bool(versions[survey.id]) and versions[survey.id][-1].published_at is None,
                answers=sum(counts.get(v.id, 0) for v in versions[survey.id]),
            )
        )
    return items


@get("/api/surveys", opt=ADMIN_AND_STEERING, tags=TAGS, summary="Undersøkelser og maler")
async def list_surveys(db: Db, user: User) -> list[SurveyListItem]:
    return await survey_list(db, user)


@post("/api/surveys", opt=ADMIN, tags=TAGS, summary="Ny undersøkelse (tom, ikke publisert)")
async def create_survey(db: Db, user: User, data: JSONBody[SurveyCreate]) -> SurveyRead:
    return await survey_read(db, await builder.create_survey(db, data, user.person_id))


@post(
    "/api/surveys/{survey_id:int}/copy", opt=ADMIN, tags=TAGS, summary="Ny undersøkelse fra en mal"
)
async def copy_template(db: Db, user: User, survey_id: FromPath[int]) -> SurveyRead:
    return await survey_read(db, await builder.copy_template(db, survey_id, user.person_id))


@get("/api/surveys/{survey_id:int}", opt=ADMIN_AND_STEERING, tags=TAGS, summary="Én undersøkelse")
async def get_survey(db: Db, user: User, survey_id: FromPath[int]) -> SurveyRead:
    return await survey_read(db, await queries.get_survey(db, user, survey_id))


@put("/api/surveys/{survey_id:int}", opt=ADMIN, tags=TAGS, summary="Endre innstillinger")
async def update_survey(
    db: Db, survey_id: FromPath[int], data: JSONBody[SurveyUpdate]
) -> SurveyRead:
    return await survey_read(db, await builder.update_settings(db, survey_id, data))


@post("/api/surveys/{survey_id:int}/sections", opt=ADMIN, tags=TAGS, summary="Ny seksjon")
async def add_section(db: Db, survey_id: FromPath[int], data: JSONBody[SectionWrite]) -> SurveyRead:
    return await survey_read(db, await builder.add_section(db, survey_id, data))


@put(
    "/api/surveys/{survey_id:int}/sections/{index:int}",
    opt=ADMIN,
    tags=TAGS,
    summary="Endre seksjon (nummer fra 0)",
)
async def update_section(
    db: Db, survey_id: FromPath[int], index: FromPath[int], data: JSONBody[SectionWrite]
) -> SurveyRead:
    return await survey_read(db, await builder.update_section(db, survey_id, index, data))


@delete(
    "/api/surveys/{survey_id:int}/sections/{index:int}",
    opt=ADMIN,
    tags=TAGS,
    summary="Slett seksjon med spørsmålene",
    status_code=200,
)
async def delete_section(
    db: Db, survey_id: FromPath[int], index: FromPath[int], version: FromQuery[Version]
) -> SurveyRead:
    seen = VersionSeen(version=version)
    return await survey_read(db, await builder.delete_section(db, survey_id, index, seen))


@post(
    "/api/surveys/{survey_id:int}/sections/{index:int}/move",
    opt=ADMIN,
    tags=TAGS,
    summary="Flytt seksjon opp eller ned",
)
async def move_section(
    db: Db, survey_id: FromPath[int], index: FromPath[int], data: JSONBody[Move]
) -> SurveyRead:
    return await survey_read(db, await builder.move_section(db, survey_id, index, data))


@post(
    "/api/surveys/{survey_id:int}/sections/{index:int}/questions",
    opt=ADMIN,
    tags=TAGS,
    summary="Nytt spørsmål sist i seksjonen",
)
async def add_question(
    db: Db, survey_id: FromPath[int], index: FromPath[int], data: JSONBody[QuestionWrite]
) -> QuestionAdded:
    survey, question_id = await builder.add_question(db, survey_id, index, data)
    return QuestionAdded(question_id, await survey_read(db, survey))


@put(
    "/api/surveys/{survey_id:int}/questions/{question_id:str}",
    opt=ADMIN,
    tags=TAGS,
    summary="Endre spørsmål",
)
async def update_question(
    db: Db, survey_id: FromPath[int], question_id: FromPath[str], data: JSONBody[QuestionWrite]
) -> SurveyRead:
    return await survey_read(db, await builder.update_question(db, survey_id, question_id, data))


@delete(
    "/api/surveys/{survey_id:int}/questions/{question_id:str}",
    opt=ADMIN,
    tags=TAGS,
    summary="Slett spørsmål",
    status_code=200,
)
async def delete_question(
    db: Db, survey_id: FromPath[int], question_id: FromPath[str], version: FromQuery[Version]
) -> SurveyRead:
    seen = VersionSeen(version=version)
    return await survey_read(db, await builder.delete_question(db, survey_id, question_id, seen))


@post(
    "/api/surveys/{survey_id:int}/questions/{question_id:str}/move",
    opt=ADMIN,
    tags=TAGS,
    summary="Flytt spørsmål opp eller ned",
)
async def move_question(
    db: Db, survey_id: FromPath[int], question_id: FromPath[str], data: JSONBody[Move]
) -> SurveyRead:
    return await survey_read(db, await builder.move_question(db, survey_id, question_id, data))


@put(
    "/api/surveys/{survey_id:int}/questions/{question_id:str}/condition",
    opt=ADMIN,
    tags=TAGS,
    summary="Vis spørsmålet bare etter et bestemt svar",
)
async def set_condition(
    db: Db, survey_id: FromPath[int], question_id: FromPath[str], data: JSONBody[ConditionWrite]
) -> SurveyRead:
    return await survey_read(db, await builder.set_condition(db, survey_id, question_id, data))


@delete(
    "/api/surveys/{survey_id:int}/questions/{question_id:str}/condition",
    opt=ADMIN,
    tags=TAGS,
    summary="Vis spørsmålet alltid",
    status_code=200,
)
async def remove_condition(
    db: Db, survey_id: FromPath[int], question_id: FromPath[str], version: FromQuery[Version]
) -> SurveyRead:
    seen = VersionSeen(version=version)
    return await survey_read(db, await builder.remove_condition(db, survey_id, question_id, seen))


@post(
    "/api/surveys/{survey_id:int}/publish",
    opt=ADMIN,
    tags=TAGS,
    summary="Publiser (fryser versjonen)",
)
async def publish(db: Db, survey_id: FromPath[int], data: JSONBody[VersionSeen]) -> SurveyRead:
    await builder.publish(db, survey_id, data)
    return await survey_read(db, await queries.load_survey(db, survey_id))


survey_api = Router(
    path="/",
    route_handlers=[
        list_surveys,
        create_survey,
        copy_template,
        get_survey,
        update_survey,
        add_section,
        update_section,
        delete_section,
        move_section,
        add_question,
        update_question,
        delete_question,
        move_question,
        set_condition,
        remove_condition,
        publish,
    ],
)
