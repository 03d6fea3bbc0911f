"""Results as files: CSV as Norwegian Excel opens it (UTF-8 with BOM, semicolons, decimal
comma) and JSON, with exactly what the results page may show: hidden groups are left out."""

from __future__ import annotations

import csv
import io

import msgspec

from medvirkning.surveys.results import SurveyResults, decimal, percent
from medvirkning.surveys.wording import TYPE_LABELS
from surveys.aggregate import Summary

ALL = "Alle kommuner"
CSV_HEADER = ["Nr.", "Spørsmål", "Kommune", "Hva", "Verdi", "Andel (%)"]
# A spreadsheet runs a cell that starts like a formula; OWASP adds tab and carriage return.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralised(cell: str) -> str:
    """A cell a spreadsheet shows as text, never runs."""
    return f"'{cell}" if cell.startswith(FORMULA_STARTS) else cell


def _summary_rows(summary: Summary) -> list[tuple[str, str, str]]:
    rows = [("Antall svar", str(summary.answered), "")]
    rows += [(o.option, str(o.count), percent(o.share)) for o in summary.options]
    if summary.mean is not None:
        rows.append(("Gjennomsnitt", decimal(summary.mean), ""))
        rows.append(("Median", decimal(summary.median), ""))
    rows += [("Fritekst", text, "") for text in summary.texts]
    return rows


def results_csv(found: SurveyResults) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    for number, question, result in found.questions():
        scopes = [(ALL, result.total)] + [(g.group, g.summary) for g in result.groups]
        for group, summary in scopes:
            if summary is None:
                continue  # hidden under the threshold: not even an empty row
            for what, value, share in _summary_rows(summary):
                cells = [str(number), question.text, group, what, value, share]
                writer.writerow([neutralised(cell) for cell in cells])
    # The BOM tells Excel the file is UTF-8 (otherwise "Økonomi" turns into "Ã˜konomi").
    return out.getvalue().encode("utf-8-sig")


class GroupExport(msgspec.Struct, frozen=True):
    municipality: str
    summary: Summary


class QuestionExport(msgspec.Struct, frozen=True):
    number: int
    id: str
    text: str
    type: str
    type_label: str
    total: Summary | None  # None: fewer than the threshold answered it
    municipalities: list[GroupExport]  # only those shown; the hidden are left out


class MunicipalityCount(msgspec.Struct, frozen=True):
    municipality: str
    respondents: int


class ResultsExport(msgspec.Struct, frozen=True):
    survey_id: int
    title: str
    version: int
    threshold: int
    respondents: int | None  # None: fewer than the threshold answered at all
    municipalities: list[MunicipalityCount]
    questions: list[QuestionExport]


def results_export(found: SurveyResults) -> ResultsExport:
    return ResultsExport(
        survey_id=found.survey.id,
        title=found.definition.title,
        version=found.version.number,
        threshold=found.results.threshold,
        respondents=found.results.respondents,
        municipalities=[MunicipalityCount(g, n) for g, n in found.shown_groups().items()],
        questions=[
            QuestionExport(
                number=number,
                id=question.id,
                text=question.text,
                type=question.kind.value,
                type_label=TYPE_LABELS[question.kind],
                total=result.total,
                municipalities=[
                    GroupExport(g.group, g.summary) for g in result.groups if g.summary is not None
                ],
            )
            for number, question, result in found.questions()
        ],
    )
