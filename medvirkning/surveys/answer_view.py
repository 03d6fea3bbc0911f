"""What the answering page shows of one section: its questions as form fields (each with an
element id for its error link), the texts in the survey's language form, and the answers
read back from the form."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from surveys.answers import is_shown
from surveys.definition import Survey as Definition
from surveys.questions import (
    LIKERT_LABELS,
    Language,
    Likert,
    MultipleChoice,
    Question,
    Refusal,
    Scale,
    SingleChoice,
    Value,
    is_blank,
)

PREFIX = "svar."  # form names: the question's id behind it, apart from the page's own fields

WORDS: dict[str, dict[str, str]] = {
    "bokmal": {
        "part": "Del {n} av {total}",
        "progress": "Framdrift",
        "next": "Neste",
        "back": "Forrige",
        "save": "Lagre og fortsett senere",
        "send": "Send svar",
        "optional": "(valgfritt)",
        "yes": "Ja",
        "no": "Nei",
        "errors": "Noen svar må rettes før du kan gå videre",
        "saved": "Svarene dine er lagret. Åpne den samme lenken når du vil fortsette.",
        "condition": "Svar bare hvis det passer med svaret ditt på «{text}».",
        "anonymous": "Svaret ditt er anonymt: det lagres uten navn, e-postadresse og "
        "klokkeslett. Resultater vises bare for grupper med minst {threshold} svar.",
        "low": "0 = {label}",
        "high": "10 = {label}",
        "required_note": "Spørsmål merket (valgfritt) kan du hoppe over.",
    },
    "nynorsk": {
        "part": "Del {n} av {total}",
        "progress": "Framdrift",
        "next": "Neste",
        "back": "Førre",
        "save": "Lagre og hald fram seinare",
        "send": "Send svar",
        "optional": "(valfritt)",
        "yes": "Ja",
        "no": "Nei",
        "errors": "Nokre svar må rettast før du kan gå vidare",
        "saved": "Svara dine er lagra. Opne den same lenkja når du vil halde fram.",
        "condition": "Svar berre om det passar med svaret ditt på «{text}».",
        "anonymous": "Svaret ditt er anonymt: det blir lagra utan namn, e-postadresse og "
        "klokkeslett. Resultat blir berre viste for grupper med minst {threshold} svar.",
        "low": "0 = {label}",
        "high": "10 = {label}",
        "required_note": "Spørsmål merkte (valfritt) kan du hoppe over.",
    },
}


@dataclass
class Field:
    """One question on the page: its form name, element id, choices and what was given."""

    question: Question
    name: str
    element: str  # the id of its first input, where an error link lands
    choices: list[tuple[str, str]]  # (value, label); empty for text and number
    value: Any
    note: str = ""
    error: str = ""

    @property
    def kind(self) -> str:
        return self.question.kind.value


def _choices(question: Question, language: str) -> list[tuple[str, str]]:
    words = WORDS[language]
    if isinstance(question, SingleChoice | MultipleChoice):
        return [(option, option) for option in question.options]
    if isinstance(question, Likert):
        labels = question.labels or LIKERT_LABELS[Language(language)]
        return [(str(n), f"{n} – {label}") for n, label in enumerate(labels, start=1)]
    if isinstance(question, Scale):
        return [(str(n), str(n)) for n in range(11)]
    if question.kind.value == "yes_no":
        return [("ja", words["yes"]), ("nei", words["no"])]
    return []


def _cleaned(definition: Definition, answers: dict[str, Any]) -> dict[str, Value]:
    """The earlier answers that decide conditions, cleaned as the engine would."""
    clean: dict[str, Value] = {}
    for question in definition.questions():
        given = answers.get(question.id)
        if not is_shown(question, clean) or is_blank(given):
            continue
        try:
            clean[question.id] = question.clean(given)
        except Refusal:
            continue
    return clean


def section_fields(
    definition: Definition, answers: dict[str, Any], section: int, errors: dict[str, str]
) -> list[Field]:
    """The section's questions that apply, given the answers so far. A question whose
    condition looks at this same section is shown with a note: without JavaScript the page
    cannot hide it as the respondent answers."""
    language = definition.language.value
    here = definition.sections[section].questions
    ids_here = {question.id for question in here}
    texts = {question.id: question.text for question in definition.questions()}
    clean = _cleaned(definition, answers)
    fields = []
    for index, question in enumerate(here):
        note = ""
        if question.show_if is not None:
            if question.show_if.question in ids_here:
                note = WORDS[language]["condition"].format(text=texts[question.show_if.question])
            elif not is_shown(question, clean):
                continue
        choices = _choices(question, language)
        element = f"q{index}-0" if choices else f"q{index}"
        fields.append(
            Field(
                question=question,
                name=PREFIX + question.id,
                element=element,
                choices=choices,
                value=answers.get(
                    question.id, [] if question.kind.value == "multiple_choice" else ""
                ),
                note=note,
                error=errors.get(question.id, ""),
            )
        )
    return fields


def read_section(
    definition: Definition, form: dict[str, Any], section: int, earlier: dict[str, Any]
) -> dict[str, Any]:
    """The answers so far with this section's replaced by what the form sent (a question
    left empty is taken out, so clearing an answer clears it)."""
    answers = dict(earlier)
    for question in definition.sections[section].questions:
        raw = form.get(PREFIX + question.id)
        if question.kind.value == "multiple_choice":
            chosen = raw if isinstance(raw, list) else ([] if raw in (None, "") else [raw])
            value: Any = [str(option) for option in chosen]
        else:
            value = (raw[-1] if isinstance(raw, list) else raw) or ""
            value = str(value)
        if is_blank(value):
            answers.pop(question.id, None)
        else:
            answers[question.id] = value
    return answers


def section_of(definition: Definition) -> dict[str, int]:
    """Which section each question is in, for links to errors on another page."""
    return {
        question.id: number
        for number, section in enumerate(definition.sections)
        for question in section.questions
    }
