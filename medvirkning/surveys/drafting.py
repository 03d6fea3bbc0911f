"""Changes to a survey definition as the builder makes them: pure functions from one frozen
definition to the next, so each is easy to test and the use cases only store the result."""

from __future__ import annotations

import re
from typing import Any

import msgspec

from medvirkning.errors import FieldError, InvalidInput
from medvirkning.surveys.schemas import ConditionWrite, QuestionWrite, SectionWrite
from surveys.definition import Section, check_definition
from surveys.definition import Survey as Definition
from surveys.problems import InvalidDefinition
from surveys.questions import (
    LIKERT_LABELS,
    QUESTION_CLASSES,
    ChoiceIn,
    Compare,
    Condition,
    Question,
    QuestionType,
    YesNoIs,
)

# A draft may have no sections yet, or a section still without questions; publishing may not.
DRAFT_ALLOWS = {"no_sections", "empty_section"}
# Which form field each of the engine's problems belongs to, for the question being edited.
PROBLEM_FIELDS = {
    "missing_title": "title",
    "threshold_too_low": "threshold",
    "missing_text": "text",
    "too_few_options": "options",
    "empty_option": "options",
    "duplicate_option": "options",
    "likert_labels": "labels",
    "minimum_above_maximum": "minimum",
    "text_limit": "max_length",
    "condition_not_earlier": "question",
    "condition_kind": "question",
    "condition_no_options": "options",
    "condition_option": "options",
    "condition_operator": "operator",
    "condition_value": "value",
}
CHOICES = (QuestionType.SINGLE_CHOICE, QuestionType.MULTIPLE_CHOICE)
COMPARABLE = (QuestionType.LIKERT, QuestionType.SCALE, QuestionType.NUMBER)


def checked(definition: Definition, *, editing: str = "", publishing: bool = False) -> Definition:
    """The definition if sound (a draft may still be unfinished), else InvalidInput naming a
    form field for problems of the question being edited and the question id for others."""
    try:
        check_definition(definition)
    except InvalidDefinition as refused:
        problems = [p for p in refused.problems if publishing or p.code not in DRAFT_ALLOWS]
        if problems:
            errors = [
                FieldError(
                    PROBLEM_FIELDS.get(p.code, p.field) if p.field in ("", editing) else p.field,
                    p.message,
                )
                for p in problems
            ]
            raise InvalidInput(errors=errors) from None
    return definition


def new_question_id(definition: Definition) -> str:
    numbers = [
        int(m.group(1)) for q in definition.questions() if (m := re.fullmatch(r"q(\d+)", q.id))
    ]
    return f"q{max(numbers, default=0) + 1}"


def build_question(
    question_id: str, data: QuestionWrite, definition: Definition, show_if: Condition | None
) -> Question:
    """The engine's question of the type asked for, from the fields that type uses."""
    common: dict[str, Any] = {
        "id": question_id,
        "text": data.text.strip(),
        "help": data.help.strip(),
        "required": data.required,
        "show_if": show_if,
    }
    extra: dict[str, Any] = {}
    if data.type in CHOICES:
        extra = {"options": tuple(option.strip() for option in data.options)}
    elif data.type == QuestionType.LIKERT:
        labels = [label.strip() for label in data.labels]
        extra = {"labels": tuple(labels) if any(labels) else LIKERT_LABELS[definition.language]}
    elif data.type == QuestionType.SCALE:
        extra = {"low_label": data.low_label.strip(), "high_label": data.high_label.strip()}
    elif data.type in (QuestionType.SHORT_TEXT, QuestionType.LONG_TEXT):
        extra = {"max_length": data.max_length} if data.max_length else {}
    elif data.type == QuestionType.NUMBER:
        extra = {"minimum": data.minimum, "maximum": data.maximum, "integer": data.integer}
    question: Question = QUESTION_CLASSES[data.type](**common, **extra)  # type: ignore[assignment]
    return question


def build_condition(data: ConditionWrite, definition: Definition) -> Condition:
    target = find(definition, data.question)[2]
    if target.kind in CHOICES:
        return ChoiceIn(target.id, tuple(option.strip() for option in data.options))
    if target.kind == QuestionType.YES_NO:
        if data.answer is None:
            raise InvalidInput.for_field("answer", "Velg ja eller nei.")
        return YesNoIs(target.id, data.answer)
    if target.kind in COMPARABLE:
        errors = []
        if data.operator is None:
            errors.append(FieldError("operator", "Velg en sammenligning."))
        if data.value is None:
            errors.append(FieldError("value", "Skriv et tall å sammenligne med."))
        if errors or data.operator is None or data.value is None:
            raise InvalidInput(errors=errors)
        return Compare(target.id, data.operator, data.value)
    raise InvalidInput.for_field(
        "question", "Vilkår kan bare se på valg-, ja/nei-, skala- og tallspørsmål, ikke fritekst."
    )


def find(definition: Definition, question_id: str) -> tuple[int, int, Question]:
    """The section index, the place in the section, and the question."""
    for s, section in enumerate(definition.sections):
        for q, question in enumerate(section.questions):
            if question.id == question_id:
                return s, q, question
    raise InvalidInput.for_field(
        "question", f"Undersøkelsen har ikke noe spørsmål «{question_id}»."
    )


def section_at(definition: Definition, index: int) -> Section:
    if not 0 <= index < len(definition.sections):
        raise InvalidInput.for_field("section", "Undersøkelsen har ikke denne seksjonen.")
    return definition.sections[index]


def with_sections(definition: Definition, sections: list[Section]) -> Definition:
    return msgspec.structs.replace(definition, sections=tuple(sections))


def with_questions(section: Section, questions: list[Question]) -> Section:
    return msgspec.structs.replace(section, questions=tuple(questions))


def add_section(definition: Definition, data: SectionWrite) -> Definition:
    section = Section(data.title.strip(), (), data.description.strip())
    return with_sections(definition, [*definition.sections, section])


def update_section(definition: Definition, index: int, data: SectionWrite) -> Definition:
    section = msgspec.structs.replace(
        section_at(definition, index),
        title=data.title.strip(),
        description=data.description.strip(),
    )
    sections = list(definition.sections)
    sections[index] = section
    return with_sections(definition, sections)


def delete_section(definition: Definition, index: int) -> Definition:
    gone = {question.id for question in section_at(definition, index).questions}
    sections = [s for i, s in enumerate(definition.sections) if i != index]
    _refuse_orphans(with_sections(definition, sections), gone, "Seksjonen")
    return with_sections(definition, sections)


def move_section(definition: Definition, index: int, direction: str) -> Definition:
    section_at(definition, index)
    other = index - 1 if direction == "up" else index + 1
    if not 0 <= other < len(definition.sections):
        place = "først" if direction == "up" else "sist"
        raise InvalidInput.for_field("direction", f"Seksjonen står allerede {place}.")
    sections = list(definition.sections)
    sections[index], sections[other] = sections[other], sections[index]
    return with_sections(definition, sections)


def add_question(definition: Definition, index: int, question: Question) -> Definition:
    section = section_at(definition, index)
    sections = list(definition.sections)
    sections[index] = with_questions(section, [*section.questions, question])
    return with_sections(definition, sections)


def replace_question(definition: Definition, question: Question) -> Definition:
    s, q, _ = find(definition, question.id)
    questions = list(definition.sections[s].questions)
    questions[q] = question
    sections = list(definition.sections)
    sections[s] = with_questions(sections[s], questions)
    return with_sections(definition, sections)


def delete_question(definition: Definition, question_id: str) -> Definition:
    s, _, _ = find(definition, question_id)
    sections = list(definition.sections)
    sections[s] = with_questions(
        sections[s], [x for x in sections[s].questions if x.id != question_id]
    )
    _refuse_orphans(with_sections(definition, sections), {question_id}, "Spørsmålet")
    return with_sections(definition, sections)


def move_question(definition: Definition, question_id: str, direction: str) -> Definition:
    """One place up or down; past the first or last of its section, into the next section."""
    s, q, question = find(definition, question_id)
    sections = [list(section.questions) for section in definition.sections]
    del sections[s][q]
    if direction == "up" and q > 0:
        sections[s].insert(q - 1, question)
    elif direction == "down" and q < len(sections[s]):
        sections[s].insert(q + 1, question)
    elif direction == "up" and s > 0:
        sections[s - 1].append(question)
    elif direction == "down" and s + 1 < len(sections):
        sections[s + 1].insert(0, question)
    else:
        place = "først" if direction == "up" else "sist"
        raise InvalidInput.for_field("direction", f"Spørsmålet står allerede {place}.")
    return with_sections(
        definition,
        [with_questions(section, sections[i]) for i, section in enumerate(definition.sections)],
    )


def _refuse_orphans(definition: Definition, gone: set[str], what: str) -> None:
    """A question shown only after an answer that would no longer be asked: refuse, naming it."""
    dependent = [
        question.text
        for question in definition.questions()
        if question.show_if is not None and question.show_if.question in gone
    ]
    if dependent:
        raise InvalidInput.for_field(
            "question",
            f"{what} kan ikke slettes: «{dependent[0]}» vises bare etter svaret på det. "
            "Fjern det vilkåret først.",
        )
