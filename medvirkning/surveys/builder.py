"""Building a survey: create or copy one, change its settings, sections, questions and
conditions, and publish it. Each use case takes the Struct both the API and the pages fill.

Every change carries the version of the survey the user saw, and is refused if someone has
changed the survey since (`register.claim_version`). A published version is frozen: the
first change after publishing starts a new, unpublished version, and answers keep the
version they were given on.
"""

from __future__ import annotations

from collections.abc import Callable

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from medvirkning.choices import WrittenForm
from medvirkning.db import utcnow
from medvirkning.errors import Conflict, InvalidInput
from medvirkning.register import claim_version
from medvirkning.surveys import drafting, queries
from medvirkning.surveys.models import Survey, SurveyVersion
from medvirkning.surveys.schemas import (
    ConditionWrite,
    Move,
    QuestionWrite,
    SectionWrite,
    SurveyCreate,
    SurveyUpdate,
    VersionSeen,
)
from medvirkning.surveys.store import latest_version
from surveys.definition import Survey as Definition


class AlreadyPublished(Conflict):
    code = "already_published"
    message = "Denne versjonen er allerede publisert. Gjør en endring først for å lage en ny."


class TemplateNotSent(Conflict):
    code = "template_not_sent"
    message = "En mal publiseres ikke. Lag en kopi av malen, og publiser kopien."


class NotATemplate(Conflict):
    code = "not_a_template"
    message = "Bare maler kan kopieres."


def _encoded(definition: Definition) -> str:
    return msgspec.json.encode(definition).decode()


def _label(survey: Survey) -> str:
    return f"«{survey.title}»"


async def create_survey(db: AsyncSession, data: SurveyCreate, created_by: int | None) -> Survey:
    """A new survey with an empty, unpublished first version."""
    definition = Definition(
        title=data.title.strip(),
        sections=(),
        language=data.language,
        threshold=data.threshold,
        introduction=data.introduction.strip(),
    )
    return await new_survey(db, drafting.checked(definition), data.response_target, created_by)


async def new_survey(
    db: AsyncSession,
    definition: Definition,
    response_target: int,
    created_by: int | None,
    *,
    is_template: bool = False,
) -> Survey:
    survey = Survey(
        title=definition.title,
        language_form=WrittenForm(definition.language.value),
        threshold=definition.threshold,
        response_target=response_target,
        is_template=is_template,
        created_by_id=created_by,
    )
    db.add(survey)
    await db.flush()
    db.add(SurveyVersion(survey_id=survey.id, number=1, definition=_encoded(definition)))
    await db.flush()
    return survey


async def copy_template(db: AsyncSession, template_id: int, created_by: int | None) -> Survey:
    """A new survey, unpublished, with the template's questions, to adjust and publish."""
    template = await queries.load_survey(db, template_id)
    if not template.is_template:
        raise NotATemplate()
    definition = queries.draft_of(await latest_version(db, template_id))
    return await new_survey(db, definition, template.response_target, created_by)


async def _edit(
    db: AsyncSession,
    survey_id: int,
    seen: str,
    change: Callable[[Definition], Definition],
    editing: str = "",
) -> Survey:
    """Apply a change to the newest definition, in a new version if that one is published."""
    survey = await queries.load_survey(db, survey_id)
    await claim_version(db, survey, seen, _label)
    version = await latest_version(db, survey_id)
    definition = drafting.checked(change(queries.draft_of(version)), editing=editing)
    if version.published_at is not None:
        # Published is frozen: answers given on it keep meaning what they meant.
        version = SurveyVersion(survey_id=survey_id, number=version.number + 1, definition="")
        db.add(version)
    version.definition = _encoded(definition)
    survey.title = definition.title
    survey.threshold = definition.threshold
    survey.language_form = WrittenForm(definition.language.value)
    await db.flush()
    await db.refresh(survey)
    return survey


async def update_settings(db: AsyncSession, survey_id: int, data: SurveyUpdate) -> Survey:
    def change(definition: Definition) -> Definition:
        return msgspec.structs.replace(
            definition,
            title=data.title.strip(),
            language=data.language,
            threshold=data.threshold,
            introduction=data.introduction.strip(),
        )

    survey = await _edit(db, survey_id, data.version, change)
    survey.response_target = data.response_target
    await db.flush()
    return survey


async def add_section(db: AsyncSession, survey_id: int, data: SectionWrite) -> Survey:
    return await _edit(db, survey_id, data.version, lambda d: drafting.add_section(d, data))


async def update_section(
    db: AsyncSession, survey_id: int, index: int, data: SectionWrite
) -> Survey:
    return await _edit(
        db, survey_id, data.version, lambda d: drafting.update_section(d, index, data)
    )


async def delete_section(db: AsyncSession, survey_id: int, index: int, data: VersionSeen) -> Survey:
    return await _edit(db, survey_id, data.version, lambda d: drafting.delete_section(d, index))


async def move_section(db: AsyncSession, survey_id: int, index: int, data: Move) -> Survey:
    return await _edit(
        db, survey_id, data.version, lambda d: drafting.move_section(d, index, data.direction)
    )


async def add_question(
    db: AsyncSession, survey_id: int, section: int, data: QuestionWrite
) -> tuple[Survey, str]:
    """The survey and the new question's id (q1, q2, …: stable through moves and versions)."""
    added: list[str] = []

    def change(definition: Definition) -> Definition:
        question_id = drafting.new_question_id(definition)
        added.append(question_id)
        question = drafting.build_question(question_id, data, definition, None)
        # Checked here too, so the new question's problems are named by its form's fields.
        return drafting.checked(
            drafting.add_question(definition, section, question), editing=question_id
        )

    survey = await _edit(db, survey_id, data.version, change)
    return survey, added[0]


async def update_question(
    db: AsyncSession, survey_id: int, question_id: str, data: QuestionWrite
) -> Survey:
    def change(definition: Definition) -> Definition:
        old = drafting.find(definition, question_id)[2]
        question = drafting.build_question(question_id, data, definition, old.show_if)
        return drafting.replace_question(definition, question)

    return await _edit(db, survey_id, data.version, change, editing=question_id)


async def delete_question(
    db: AsyncSession, survey_id: int, question_id: str, data: VersionSeen
) -> Survey:
    return await _edit(
        db, survey_id, data.version, lambda d: drafting.delete_question(d, question_id)
    )


async def move_question(db: AsyncSession, survey_id: int, question_id: str, data: Move) -> Survey:
    return await _edit(
        db,
        survey_id,
        data.version,
        lambda d: drafting.move_question(d, question_id, data.direction),
        editing=question_id,
    )


async def set_condition(
    db: AsyncSession, survey_id: int, question_id: str, data: ConditionWrite
) -> Survey:
    """Show the question only after a fitting answer to an earlier one."""

    def change(definition: Definition) -> Definition:
        question = drafting.find(definition, question_id)[2]
        condition = drafting.build_condition(data, definition)
        return drafting.replace_question(
            definition, msgspec.structs.replace(question, show_if=condition)
        )

    return await _edit(db, survey_id, data.version, change, editing=question_id)


async def remove_condition(
    db: AsyncSession, survey_id: int, question_id: str, data: VersionSeen
) -> Survey:
    def change(definition: Definition) -> Definition:
        question = drafting.find(definition, question_id)[2]
        return drafting.replace_question(
            definition, msgspec.structs.replace(question, show_if=None)
        )

    return await _edit(db, survey_id, data.version, change)


async def publish(db: AsyncSession, survey_id: int, data: VersionSeen) -> SurveyVersion:
    """Freeze the newest version: from now on answers are given on it."""
    survey = await queries.load_survey(db, survey_id)
    if survey.is_template:
        raise TemplateNotSent()
    await claim_version(db, survey, data.version, _label)
    version = await latest_version(db, survey_id)
    if version.published_at is not None:
        raise AlreadyPublished()
    try:
        drafting.checked(queries.draft_of(version), publishing=True)
    except InvalidInput as refused:
        refused.message = "Undersøkelsen kan ikke publiseres ennå. Rett dette først:"
        raise
    version.published_at = utcnow()
    await db.flush()
    await db.refresh(survey)
    return version
