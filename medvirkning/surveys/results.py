"""A published version's results under its anonymity rules: the engine aggregates the stored
answers per municipality, and only what it lets through reaches a page or an export."""

from __future__ import annotations

from dataclasses import dataclass

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from medvirkning.auth.access import Principal
from medvirkning.errors import NotFound
from medvirkning.region.models import Municipality
from medvirkning.surveys import queries
from medvirkning.surveys.models import Survey, SurveyAnswer, SurveyVersion
from medvirkning.surveys.store import definition_of
from surveys.aggregate import QuestionResult, Response, Results, Summary, aggregate
from surveys.answers import validate_answers
from surveys.definition import Survey as Definition
from surveys.problems import number_text
from surveys.questions import Question

WITHOUT_MUNICIPALITY = "Uten kommune"  # an answer given through an open link


@dataclass(frozen=True)
class SurveyResults:
    survey: Survey
    version: SurveyVersion
    definition: Definition
    results: Results
    published: list[SurveyVersion]  # every published version, to choose among

    def questions(self) -> list[tuple[int, Question, QuestionResult]]:
        """Each question with its number and its results, in the survey's order."""
        found = {result.question: result for result in self.results.questions}
        return [
            (n, question, found[question.id])
            for n, question in enumerate(self.definition.questions(), start=1)
        ]

    def shown_groups(self) -> dict[str, int]:
        """The municipalities whose number of respondents may be shown."""
        return {g.group: g.answered for g in self.results.groups if g.answered is not None}


async def survey_results(
    db: AsyncSession, user: Principal, survey_id: int, number: int | None = None
) -> SurveyResults | None:
    """The results of the published version asked for (else the newest); None if none is."""
    survey = await queries.get_survey(db, user, survey_id)
    version = await queries.published_version(db, survey_id, number)
    if version is None:
        if number is not None:
            raise NotFound(f"Undersøkelsen har ingen publisert versjon {number}.")
        return None
    definition = definition_of(version)
    names = {row[0]: row[1] for row in await db.execute(select(Municipality.id, Municipality.name))}
    rows = await db.execute(
        select(SurveyAnswer.municipality_id, SurveyAnswer.answers).where(
            SurveyAnswer.survey_version_id == version.id
        )
    )
    responses = [
        Response(
            names.get(row[0] or 0, WITHOUT_MUNICIPALITY),
            # Stored in normal form; read back through the same rules (lists become tuples).
            validate_answers(definition, msgspec.json.decode(row[1])),
        )
        for row in rows
    ]
    versions = (await queries.versions_of(db, [survey_id]))[survey_id]
    return SurveyResults(
        survey=survey,
        version=version,
        definition=definition,
        results=aggregate(definition, responses),
        published=[v for v in versions if v.published_at is not None],
    )


async def municipality_names(db: AsyncSession) -> list[str]:
    """Every municipality in the register, for the filter: one with no answers looks the same
    as one hidden under the threshold."""
    return list(
        await db.scalars(
            select(Municipality.name)
            .where(Municipality.active.is_(True))
            .order_by(Municipality.name)
        )
    )


def summary_for(result: QuestionResult, group: str | None) -> Summary | None:
    """The whole survey's figures, or one municipality's; None where the rules hide them."""
    if group is None:
        return result.total
    found = next((g for g in result.groups if g.group == group), None)
    return found.summary if found else None


def percent(share: float) -> str:
    return number_text(round(share * 100, 1))


def decimal(value: float | None) -> str:
    return "" if value is None else number_text(round(value, 2))
