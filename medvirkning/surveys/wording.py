"""How the builder and results pages name question types and describe conditions, in bokmål."""

from __future__ import annotations

from surveys.definition import Survey as Definition
from surveys.problems import number_text
from surveys.questions import ChoiceIn, Compare, Question, QuestionType, YesNoIs

TYPE_LABELS = {
    QuestionType.SINGLE_CHOICE: "Ett valg blant flere",
    QuestionType.MULTIPLE_CHOICE: "Flere valg (kryss av for alt som passer)",
    QuestionType.LIKERT: "Enig eller uenig (1–5)",
    QuestionType.SCALE: "Skala fra 0 til 10",
    QuestionType.YES_NO: "Ja eller nei",
    QuestionType.SHORT_TEXT: "Kort tekst",
    QuestionType.LONG_TEXT: "Lang tekst",
    QuestionType.NUMBER: "Tall",
}
OPERATOR_LABELS = {
    "<": "mindre enn",
    "<=": "høyst",
    "==": "lik",
    "!=": "ikke lik",
    ">=": "minst",
    ">": "større enn",
}
# The questions a condition can look at (free text cannot be compared).
CONDITION_KINDS = {
    QuestionType.SINGLE_CHOICE,
    QuestionType.MULTIPLE_CHOICE,
    QuestionType.LIKERT,
    QuestionType.SCALE,
    QuestionType.YES_NO,
    QuestionType.NUMBER,
}


def numbered(definition: Definition) -> dict[str, int]:
    """Each question's number as a respondent counts them, from 1 through every section."""
    return {question.id: n for n, question in enumerate(definition.questions(), start=1)}


def describe_condition(question: Question, definition: Definition) -> str:
    condition = question.show_if
    if condition is None:
        return ""
    target = next((q for q in definition.questions() if q.id == condition.question), None)
    name = f"«{target.text}»" if target else f"«{condition.question}»"
    if isinstance(condition, ChoiceIn):
        chosen = ", ".join(f"«{option}»" for option in condition.options)
        return f"Vises bare hvis svaret på {name} er {chosen}."
    if isinstance(condition, YesNoIs):
        return f"Vises bare hvis svaret på {name} er {'ja' if condition.value else 'nei'}."
    if isinstance(condition, Compare):
        operator = OPERATOR_LABELS[condition.operator]
        return f"Vises bare hvis svaret på {name} er {operator} {number_text(condition.value)}."
    return ""


def earlier_targets(definition: Definition, question_id: str) -> list[Question]:
    """The questions before this one that a condition can look at."""
    found = []
    for question in definition.questions():
        if question.id == question_id:
            break
        if question.kind in CONDITION_KINDS:
            found.append(question)
    return found
