"""The results of a survey: a page with a chart and a table per question and a municipality
filter, the same as CSV and JSON files, and in the API. Admins and the steering group only;
every figure comes through the anonymity rules, so a hidden municipality stays hidden."""

from __future__ import annotations

from dataclasses import dataclass

from litestar import Response, Router, get
from litestar.params import FromPath, FromQuery
from litestar.response import Template

from medvirkning.auth.access import ADMIN_AND_STEERING
from medvirkning.db import Db
from medvirkning.dependencies import User
from medvirkning.errors import NotFound
from medvirkning.surveys.exports import ResultsExport, results_csv, results_export
from medvirkning.surveys.results import (
    WITHOUT_MUNICIPALITY,
    SurveyResults,
    decimal,
    municipality_names,
    percent,
    summary_for,
    survey_results,
)
from medvirkning.surveys.wording import TYPE_LABELS
from surveys.aggregate import Summary

CHART_WIDTH = 600
BAR_SPACE = 400  # the longest bar, at 100 %; the rest of the width holds the figures


@dataclass(frozen=True)
class Bar:
    label: str
    count: int
    percent: str
    y: int
    width: float


@dataclass(frozen=True)
class QuestionView:
    number: int
    id: str
    text: str
    kind: str
    kind_label: str
    summary: Summary | None
    bars: list[Bar]
    mean: str
    median: str

    @property
    def height(self) -> int:
        return 40 * len(self.bars) + 10


def question_views(found: SurveyResults, group: str | None) -> list[QuestionView]:
    views = []
    for number, question, result in found.questions():
        summary = summary_for(result, group)
        options = summary.options if summary else ()
        views.append(
            QuestionView(
                number=number,
                id=question.id,
                text=question.text,
                kind=question.kind.value,
                kind_label=TYPE_LABELS[question.kind],
                summary=summary,
                bars=[
                    Bar(
                        o.option,
                        o.count,
                        percent(o.share),
                        40 * i + 10,
                        round(o.share * BAR_SPACE, 1),
                    )
                    for i, o in enumerate(options)
                ],
                mean=decimal(summary.mean) if summary else "",
                median=decimal(summary.median) if summary else "",
            )
        )
    return views


async def _found(db: Db, user: User, survey_id: int, versjon: int | None) -> SurveyResults:
    found = await survey_results(db, user, survey_id, versjon)
    if found is None:
        raise NotFound("Undersøkelsen er ikke publisert, så den har ingen resultater ennå.")
    return found


@get("/admin/surveys/{survey_id:int}/results", opt=ADMIN_AND_STEERING, include_in_schema=False)
async def results_page(
    db: Db,
    user: User,
    survey_id: FromPath[int],
    versjon: FromQuery[int | None] = None,
    kommune: FromQuery[str] = "",
) -> Template:
    found = await _found(db, user, survey_id, versjon)
    names = await municipality_names(db)
    if WITHOUT_MUNICIPALITY in {g.group for g in found.results.groups}:
        names.append(WITHOUT_MUNICIPALITY)  # answers through an open link
    group = kommune or None
    if group is not None and group not in names:
        raise NotFound("Velg en kommune fra listen.")
    shown = found.shown_groups()
    return Template(
        "surveys/results/page.html",
        context={
            "found": found,
            "survey": found.survey,
            "threshold": found.results.threshold,
            "questions": question_views(found, group),
            "group": group,
            "group_shown": group is None or group in shown,
            "municipalities": [(name, shown.get(name)) for name in names],
            "chart_width": CHART_WIDTH,
            "bar_space": BAR_SPACE,
        },
    )


def _download(content: bytes, name: str, media_type: str) -> Response[bytes]:
    return Response(
        content,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@get("/admin/surveys/{survey_id:int}/results.csv", opt=ADMIN_AND_STEERING, include_in_schema=False)
async def results_csv_file(
    db: Db, user: User, survey_id: FromPath[int], versjon: FromQuery[int | None] = None
) -> Response[bytes]:
    found = await _found(db, user, survey_id, versjon)
    name = f"undersokelse-{survey_id}-versjon-{found.version.number}.csv"
    return _download(results_csv(found), name, "text/csv; charset=utf-8")


@get("/admin/surveys/{survey_id:int}/results.json", opt=ADMIN_AND_STEERING, include_in_schema=False)
async def results_json_file(
    db: Db, user: User, survey_id: FromPath[int], versjon: FromQuery[int | None] = None
) -> Response[ResultsExport]:
    found = await _found(db, user, survey_id, versjon)
    name = f"undersokelse-{survey_id}-versjon-{found.version.number}.json"
    return Response(
        results_export(found),
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@get(
    "/api/surveys/{survey_id:int}/results",
    opt=ADMIN_AND_STEERING,
    tags=["Undersøkelser"],
    summary="Resultater under anonymitetsgrensen (skjulte kommuner er utelatt)",
)
async def results_api(
    db: Db, user: User, survey_id: FromPath[int], versjon: FromQuery[int | None] = None
) -> ResultsExport:
    return results_export(await _found(db, user, survey_id, versjon))


results_routes = Router(
    path="/", route_handlers=[results_page, results_csv_file, results_json_file, results_api]
)
