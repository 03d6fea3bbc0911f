"""The builder's forms as the pages send them (one option a line, a box for "required",
numbers with a decimal comma) turned into the Structs the API takes."""

from __future__ import annotations

from typing import Any

from medvirkning.errors import BadRequest
from medvirkning.surveys.schemas import (
    ConditionWrite,
    Move,
    QuestionWrite,
    SectionWrite,
    SurveyCreate,
    SurveyUpdate,
    VersionSeen,
)
from medvirkning.web import struct_from_form

SURVEY_FIELDS = ["title", "language", "threshold", "response_target", "introduction"]
QUESTION_FIELDS = [
    "type",
    "text",
    "help",
    "required",
    "options",
    "labels",
    "low_label",
    "high_label",
    "max_length",
    "minimum",
    "maximum",
    "integer",
]
LABEL_FIELDS = [f"label_{point}" for point in range(1, 6)]


def one(data: dict[str, Any], name: str) -> str:
    value = data.get(name, "")
    return str(value[-1] if isinstance(value, list) else value)


def lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _seen(data: dict[str, Any]) -> dict[str, Any]:
    """The version the page showed: every change sends it, so a stale one is refused."""
    version = one(data, "version").strip()
    if not version:
        raise BadRequest("Skjemaet er gammelt. Last siden på nytt, og prøv igjen.")
    return {"version": version}


def survey_from_form(data: dict[str, Any], editing: bool) -> Any:
    fields = {name: one(data, name) for name in SURVEY_FIELDS}
    if editing:
        return struct_from_form(SurveyUpdate, fields | _seen(data), [*SURVEY_FIELDS, "version"])
    return struct_from_form(SurveyCreate, fields, SURVEY_FIELDS)


def section_from_form(data: dict[str, Any]) -> SectionWrite:
    fields = {"title": one(data, "title"), "description": one(data, "description")} | _seen(data)
    result: SectionWrite = struct_from_form(SectionWrite, fields, [*fields])
    return result


def _number(text: str) -> str:
    # Norwegians write 2,5.
    return text.strip().replace(",", ".").replace(" ", "")


def question_from_form(data: dict[str, Any]) -> QuestionWrite:
    labels = [one(data, name).strip() for name in LABEL_FIELDS]
    fields: dict[str, Any] = {
        "type": one(data, "type"),
        "text": one(data, "text"),
        "help": one(data, "help"),
        "required": "true" if one(data, "required") else "false",
        "options": lines(one(data, "options")),
        "labels": labels if any(labels) else [],
        "low_label": one(data, "low_label"),
        "high_label": one(data, "high_label"),
        "max_length": one(data, "max_length"),
        "minimum": _number(one(data, "minimum")),
        "maximum": _number(one(data, "maximum")),
        "integer": "true" if one(data, "integer") else "false",
    } | _seen(data)
    result: QuestionWrite = struct_from_form(QuestionWrite, fields, [*fields])
    return result


def condition_from_form(data: dict[str, Any]) -> ConditionWrite:
    answer = one(data, "answer")
    fields: dict[str, Any] = {
        "question": one(data, "question"),
        "options": [str(v) for v in data.get("options", [])]
        if isinstance(data.get("options"), list)
        else [o for o in [one(data, "options")] if o],
        "answer": {"ja": "true", "nei": "false"}.get(answer, ""),
        "operator": one(data, "operator"),
        "value": _number(one(data, "value")),
    } | _seen(data)
    result: ConditionWrite = struct_from_form(ConditionWrite, fields, [*fields])
    return result


def move_from_form(data: dict[str, Any]) -> Move:
    fields = {"direction": one(data, "direction")} | _seen(data)
    result: Move = struct_from_form(Move, fields, [*fields])
    return result


def seen_from_form(data: dict[str, Any]) -> VersionSeen:
    result: VersionSeen = struct_from_form(VersionSeen, _seen(data), ["version"])
    return result


def question_values(question: Any) -> dict[str, Any]:
    """A stored question as its form shows it."""
    labels = getattr(question, "labels", ())
    values = {
        "type": question.kind.value,
        "text": question.text,
        "help": question.help,
        "required": question.required,
        "options": "\n".join(getattr(question, "options", ())),
        "low_label": getattr(question, "low_label", ""),
        "high_label": getattr(question, "high_label", ""),
        "max_length": str(getattr(question, "max_length", "") or ""),
        "minimum": _shown(getattr(question, "minimum", None)),
        "maximum": _shown(getattr(question, "maximum", None)),
        "integer": getattr(question, "integer", True),
    }
    values |= dict(zip(LABEL_FIELDS, labels, strict=False))
    return values


def _shown(number: float | None) -> str:
    if number is None:
        return ""
    return str(int(number)) if float(number).is_integer() else str(number).replace(".", ",")


def typed_values(data: dict[str, Any]) -> dict[str, Any]:
    """What the user typed, to show again after a refusal (boxes as ticked or not)."""
    values: dict[str, Any] = {name: one(data, name) for name in data if name != "_csrf_token"}
    values["required"] = bool(one(data, "required"))
    values["integer"] = bool(one(data, "integer"))
    return values
