"""The survey engine alone (`surveys/`), without the service: definitions, every question
type and condition, every validation rule with its Norwegian message, and aggregation
under the anonymity threshold, including a group that subtraction would reveal."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from surveys.aggregate import Response, Results, aggregate
from surveys.anonymity import hidden_groups
from surveys.answers import AnswerSet, validate_answers
from surveys.definition import Section, Survey, check_definition, parse_definition
from surveys.problems import InvalidAnswers, InvalidDefinition, Problem
from surveys.questions import (
    LIKERT_LABELS,
    QUESTION_CLASSES,
    ChoiceIn,
    Compare,
    Language,
    Likert,
    LongText,
    MultipleChoice,
    Number,
    QuestionType,
    Scale,
    ShortText,
    SingleChoice,
    YesNo,
    YesNoIs,
)

ROLES = ("Leder", "Saksbehandler", "Lønn og personal", "Annet")
SYSTEMS = ("Lønn", "Regnskap", "Innkjøp", "Fakturabehandling")


def expectations_survey(**changes: Any) -> Survey:
    """Phase 1 of the mandate: what staff expect of the new ERP system."""
    survey = Survey(
        title="Forventninger til nytt økonomi- og lønnssystem",
        sections=(
            Section(
                "Om deg",
                (
                    SingleChoice(id="rolle", text="Hva er rollen din?", options=ROLES),
                    ShortText(
                        id="annen_rolle",
                        text="Hvilken rolle?",
                        show_if=ChoiceIn("rolle", ("Annet",)),
                    ),
                    MultipleChoice(
                        id="systemer",
                        text="Hvilke systemer bruker du?",
                        options=SYSTEMS,
                        required=False,
                    ),
                    ShortText(
                        id="lonn_svakhet",
                        text="Hva fungerer dårlig i lønnssystemet i dag?",
                        required=False,
                        max_length=50,
                        show_if=ChoiceIn("systemer", ("Lønn",)),
                    ),
                    Number(
                        id="ar",
                        text="Hvor mange år har du jobbet i kommunen?",
                        minimum=0,
                        maximum=50,
                        required=False,
                    ),
                    YesNo(
                        id="systembytte",
                        text="Har du vært med på et systembytte før?",
                        show_if=Compare("ar", ">=", 10),
                    ),
                ),
            ),
            Section(
                "Opplæring og forventninger",
                (
                    YesNo(id="opplaering", text="Har du fått tilbud om opplæring?"),
                    Likert(
                        id="nytte",
                        text="Opplæringen var nyttig.",
                        labels=LIKERT_LABELS[Language.BOKMAL],
                        show_if=YesNoIs("opplaering", True),
                    ),
                    Number(
                        id="timer",
                        text="Hvor mange timer opplæring vil du trenge?",
                        integer=False,
                        minimum=0,
                        maximum=200,
                        required=False,
                        show_if=Compare("nytte", "<=", 2),
                    ),
                    Scale(id="anbefale", text="Hvor trygg er du på det nye systemet?"),
                    LongText(
                        id="hvorfor",
                        text="Hva gjør deg utrygg?",
                        required=False,
                        max_length=100,
                        show_if=Compare("anbefale", "<", 5),
                    ),
                ),
            ),
        ),
    )
    return check_definition(msgspec.structs.replace(survey, **changes))


SURVEY = expectations_survey()
NYNORSK = expectations_survey(language=Language.NYNORSK)
COMPLETE = {
    "rolle": "Saksbehandler",
    "systemer": ["Regnskap", "Lønn"],
    "lonn_svakhet": "  For mange  manuelle\r\nsteg ",
    "ar": "12",
    "systembytte": "nei",
    "opplaering": True,
    "nytte": "2",
    "timer": "7,5",
    "anbefale": 3,
    "hvorfor": "Lite opplæring.\r\nFå superbrukere.",
}


def problems(survey: Survey, answers: dict[str, object], **options: bool) -> list[Problem]:
    with pytest.raises(InvalidAnswers) as refused:
        validate_answers(survey, answers, **options)
    return list(refused.value.problems)


def definition_problems(raw: dict[str, Any]) -> list[Problem]:
    with pytest.raises(InvalidDefinition) as refused:
        parse_definition(raw)
    return list(refused.value.problems)


def raw_survey(*questions: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {
        "title": "Test",
        "sections": [{"title": "Del 1", "questions": list(questions)}],
        **fields,
    }


YES_NO_A = {"type": "yes_no", "id": "a", "text": "Bruker du systemet?"}


# --- definitions ------------------------------------------------------------------------------


def test_each_question_type_is_one_class_that_a_definition_names_by_its_type():
    assert set(QUESTION_CLASSES) == set(QuestionType)
    assert len(set(QUESTION_CLASSES.values())) == len(QuestionType)
    encoded = msgspec.json.encode(SURVEY)
    types = [q["type"] for s in msgspec.json.decode(encoded)["sections"] for q in s["questions"]]
    assert set(types) == {kind.value for kind in QuestionType}
    assert parse_definition(encoded) == SURVEY


def test_a_survey_has_threshold_5_and_bokmal_unless_it_says_otherwise():
    survey = parse_definition(raw_survey(YES_NO_A))
    assert (survey.threshold, survey.language) == (5, Language.BOKMAL)
    assert parse_definition(raw_survey(YES_NO_A, language="nynorsk")).language == Language.NYNORSK


def test_a_threshold_of_3_is_accepted_and_below_3_refused():
    assert parse_definition(raw_survey(YES_NO_A, threshold=3)).threshold == 3
    assert definition_problems(raw_survey(YES_NO_A, threshold=2)) == [
        Problem("", "threshold_too_low", "Anonymitetsgrensen må være minst 3 (den er 2).")
    ]
    # A survey built in code is checked at the edge too, and so is the aggregation's input.
    built = msgspec.structs.replace(SURVEY, threshold=1)
    with pytest.raises(InvalidDefinition, match="minst 3"):
        check_definition(built)
    with pytest.raises(InvalidDefinition, match="minst 3"):
        aggregate(built, [])
    with pytest.raises(ValueError, match="below 3"):
        hidden_groups({"Rollag": 2, "Kongsberg": 40}, 2)


def _when(kind: str, question: str, **fields: Any) -> dict[str, Any]:
    return {"kind": kind, "question": question, **fields}


CHOICE_B = {"type": "single_choice", "id": "b", "text": "Rolle?", "options": ["Leder", "Annet"]}
DEFINITION_RULES = [
    (
        {"type": "single_choice", "id": "b", "text": "Rolle?", "options": ["Leder"]},
        "too_few_options",
        "Spørsmålet «b» må ha minst to svaralternativer.",
    ),
    (
        {"type": "multiple_choice", "id": "b", "text": "System?", "options": ["Lønn", " "]},
        "empty_option",
        "Spørsmålet «b» har et tomt svaralternativ.",
    ),
    (
        {"type": "single_choice", "id": "b", "text": "Rolle?", "options": ["Leder", "leder "]},
        "duplicate_option",
        "Spørsmålet «b» har svaralternativet «leder» mer enn én gang.",
    ),
    (
        {"type": "likert", "id": "b", "text": "Enig?", "labels": ["Uenig", "Enig"]},
        "likert_labels",
        "Spørsmålet «b» må ha fem merkelapper, fra 1 til 5, ingen tomme.",
    ),
    (
        {"type": "number", "id": "b", "text": "År?", "minimum": 10, "maximum": 2},
        "minimum_above_maximum",
        "Spørsmålet «b» har minste verdi større enn største verdi.",
    ),
    (
        {"type": "short_text", "id": "b", "text": "Hvorfor?", "max_length": 501},
        "text_limit",
        "Spørsmålet «b» må tillate svar på mellom 1 og 500 tegn.",
    ),
    (
        {"type": "long_text", "id": "b", "text": "Hvorfor?", "max_length": 0},
        "text_limit",
        "Spørsmålet «b» må tillate svar på mellom 1 og 10000 tegn.",
    ),
    (
        {"type": "scale", "id": "b", "text": " "},
        "missing_text",
        "Spørsmålet «b» mangler spørsmålstekst.",
    ),
    (
        {
            "type": "scale",
            "id": "b",
            "text": "Trygg?",
            "show_if": _when("compare", "a", operator=">", value=2),
        },
        "condition_kind",
        "Spørsmålet «b» har et vilkår som ikke passer til typen spørsmål «a» er.",
    ),
    (
        {
            "type": "scale",
            "id": "b",
            "text": "Trygg?",
            "show_if": _when("yes_no_is", "c", value=True),
        },
        "condition_not_earlier",
        "Spørsmålet «b» har et vilkår på «c», som ikke er et tidligere spørsmål.",
    ),
    (
        {
            "type": "scale",
            "id": "b",
            "text": "Trygg?",
            "show_if": _when("compare", "b", operator=">", value=2),
        },
        "condition_not_earlier",
        "Spørsmålet «b» har et vilkår på «b», som ikke er et tidligere spørsmål.",
    ),
    (
        {
            "type": "scale",
            "id": "b",
            "text": "Trygg?",
            "show_if": _when("choice_in", "a", options=["Ja"]),
        },
        "condition_kind",
        "Spørsmålet «b» har et vilkår som ikke passer til typen spørsmål «a» er.",
    ),
    (
        {
            "type": "yes_no",
            "id": "b",
            "text": "Igjen?",
            "show_if": _when("yes_no_is", "a", value="ja"),
        },
        "unreadable",
        None,
    ),
]


@pytest.mark.parametrize(("question", "code", "message"), DEFINITION_RULES)
def test_a_definition_is_refused_with_a_message_naming_the_question(question, code, message):
    found = definition_problems(raw_survey(YES_NO_A, question))
    assert [problem.code for problem in found] == [code]
    if message is not None:
        assert found == [Problem("b", code, message)]
    else:
        assert found[0].message.startswith("Definisjonen kan ikke leses: ")


def test_duplicate_and_missing_question_ids_are_refused():
    duplicate = {"type": "scale", "id": "a", "text": "Trygg?"}
    assert definition_problems(raw_survey(YES_NO_A, duplicate)) == [
        Problem("a", "duplicate_id", "Spørsmålet «a» finnes mer enn én gang.")
    ]
    nameless = {"type": "scale", "id": " ", "text": "Trygg?"}
    assert definition_problems(raw_survey(YES_NO_A, nameless)) == [
        Problem("", "missing_id", "Spørsmålet «Trygg?» mangler id.")
    ]


def test_a_condition_on_a_later_question_is_refused():
    later = {
        **YES_NO_A,
        "show_if": _when("choice_in", "b", options=["Leder"]),
    }
    assert definition_problems(raw_survey(later, CHOICE_B)) == [
        Problem(
            "a",
            "condition_not_earlier",
            "Spørsmålet «a» har et vilkår på «b», som ikke er et tidligere spørsmål.",
        )
    ]


def test_a_choice_condition_names_only_the_earlier_questions_own_options():
    wrong = {**YES_NO_A, "id": "c", "show_if": _when("choice_in", "b", options=["Leder", "Sjef"])}
    assert definition_problems(raw_survey(CHOICE_B, wrong)) == [
        Problem(
            "c",
            "condition_option",
            "Spørsmålet «c» har et vilkår på «Sjef», som ikke er et svaralternativ på «b».",
        )
    ]
    empty = {**wrong, "show_if": _when("choice_in", "b", options=[])}
    assert definition_problems(raw_survey(CHOICE_B, empty)) == [
        Problem(
            "c",
            "condition_no_options",
            "Spørsmålet «c» har et vilkår på «b» uten svaralternativer.",
        )
    ]


def test_a_comparison_that_no_answer_could_meet_is_refused():
    scale = {"type": "scale", "id": "b", "text": "Trygg?"}
    never = {**YES_NO_A, "id": "c", "show_if": _when("compare", "b", operator=">", value=10)}
    assert definition_problems(raw_survey(scale, never)) == [
        Problem(
            "c",
            "condition_value",
            "Spørsmålet «c» sammenligner med 10, som «b» aldri kan ha som svar.",
        )
    ]
    likert = {
        "type": "likert",
        "id": "b",
        "text": "Enig?",
        "labels": list(LIKERT_LABELS[Language.BOKMAL]),
    }
    below = {**never, "show_if": _when("compare", "b", operator="<", value=1)}
    assert [p.code for p in definition_problems(raw_survey(likert, below))] == ["condition_value"]
    unknown = Survey(
        title="Test",
        sections=(
            Section(
                "Del 1",
                (
                    Scale(id="b", text="Trygg?"),
                    YesNo(
                        id="c", text="Hvorfor?", show_if=Compare("b", "~", 3)
                    ),  # a typo past the Literal
                ),
            ),
        ),
    )
    with pytest.raises(InvalidDefinition) as refused:
        check_definition(unknown)
    assert refused.value.problems == (
        Problem("c", "condition_operator", "Spørsmålet «c» har en ukjent sammenligning «~»."),
    )


def test_empty_sections_and_surveys_are_refused_and_every_problem_is_reported_at_once():
    assert definition_problems({"title": " ", "sections": []}) == [
        Problem("", "missing_title", "Undersøkelsen mangler tittel."),
        Problem("", "no_sections", "Undersøkelsen har ingen seksjoner."),
    ]
    raw = raw_survey(
        {"type": "single_choice", "id": "b", "text": "", "options": ["Leder"]}, threshold=2
    )
    raw["sections"].append({"title": "Om opplæring", "questions": []})
    assert [(p.field, p.code) for p in definition_problems(raw)] == [
        ("", "threshold_too_low"),
        ("b", "missing_text"),
        ("b", "too_few_options"),
        ("", "empty_section"),
    ]
    assert definition_problems(raw)[-1].message == "Seksjonen «Om opplæring» har ingen spørsmål."


# --- answers: every type, normalised --------------------------------------------------------


def test_a_complete_answer_set_comes_back_in_normal_form():
    assert validate_answers(SURVEY, COMPLETE) == AnswerSet(
        {
            "rolle": "Saksbehandler",
            "systemer": ("Lønn", "Regnskap"),  # in the survey's order, not the ticking order
            "lonn_svakhet": "For mange manuelle steg",  # one line, spaces collapsed
            "ar": 12,
            "systembytte": False,
            "opplaering": True,
            "nytte": 2,
            "timer": 7.5,  # a decimal comma, as Norwegians write it
            "anbefale": 3,
            "hvorfor": "Lite opplæring.\nFå superbrukere.",
        }
    )


def test_optional_questions_left_blank_are_left_out():
    answers = {"rolle": "Leder", "systemer": [], "ar": " ", "opplaering": "nei", "anbefale": "8"}
    assert validate_answers(SURVEY, answers).answers == {
        "rolle": "Leder",
        "opplaering": False,
        "anbefale": 8,
    }


def test_a_single_ticked_box_posted_as_text_counts_as_one_choice():
    answers = {"rolle": "Leder", "systemer": "Innkjøp", "opplaering": "NEI", "anbefale": 10}
    assert validate_answers(SURVEY, answers).answers["systemer"] == ("Innkjøp",)


# --- conditions -------------------------------------------------------------------------------

BASE = {"rolle": "Leder", "opplaering": False, "anbefale": 9}


@pytest.mark.parametrize(
    ("earlier", "question", "shown"),
    [
        ({"rolle": "Annet"}, "annen_rolle", True),
        ({"rolle": "Leder"}, "annen_rolle", False),
        ({"systemer": ["Innkjøp", "Lønn"]}, "lonn_svakhet", True),
        ({"systemer": ["Innkjøp"]}, "lonn_svakhet", False),
        ({"systemer": []}, "lonn_svakhet", False),
        ({"opplaering": True}, "nytte", True),
        ({"opplaering": False}, "nytte", False),
        ({"ar": 10}, "systembytte", True),
        ({"ar": 9}, "systembytte", False),
        ({}, "systembytte", False),  # not answered: the condition is not met
        ({"anbefale": 4}, "hvorfor", True),
        ({"anbefale": 5}, "hvorfor", False),
        ({"opplaering": True, "nytte": 2}, "timer", True),
        ({"opplaering": True, "nytte": 3}, "timer", False),
        # A question whose condition's question is itself hidden is hidden too.
        ({"opplaering": False, "nytte": 1}, "timer", False),
    ],
)
def test_a_question_is_shown_only_when_its_condition_holds(earlier, question, shown):
    required = {"annen_rolle": "Controller", "systembytte": "ja", "nytte": 3, "timer": "1"}
    answers = {**BASE, **earlier, question: required.get(question, "Noe")}
    assert (question in validate_answers(SURVEY, answers).answers) == shown


@pytest.mark.parametrize(
    ("operator", "shown_for"),
    [
        ("<", {0, 1, 2, 3}),
        ("<=", {0, 1, 2, 3, 4}),
        ("==", {4}),
        ("!=", {0, 1, 2, 3, 5, 6, 7, 8, 9, 10}),
        (">=", {4, 5, 6, 7, 8, 9, 10}),
        (">", {5, 6, 7, 8, 9, 10}),
    ],
)
def test_each_comparison_of_a_scale_answer(operator, shown_for):
    survey = check_definition(
        Survey(
            title="Test",
            sections=(
                Section(
                    "Del 1",
                    (
                        Scale(id="trygg", text="Hvor trygg er du?"),
                        YesNo(
                            id="hjelp",
                            text="Vil du ha hjelp?",
                            show_if=Compare("trygg", operator, 4),
                        ),
                    ),
                ),
            ),
        )
    )
    shown = {
        point
        for point in range(11)
        if "hjelp" in validate_answers(survey, {"trygg": point, "hjelp": "ja"}).answers
    }
    assert shown == shown_for


def test_an_answer_set_survives_a_json_round_trip_unchanged():
    answers = validate_answers(SURVEY, COMPLETE)
    assert msgspec.json.decode(msgspec.json.encode(answers), type=AnswerSet) == answers


# --- answers: every rule, with the Norwegian message and the question named --------------------

ANSWER_RULES = [
    ({"rolle": None}, "rolle", "required", "Du må svare på «Hva er rollen din?»."),
    (
        {"rolle": "Sjef"},
        "rolle",
        "not_an_option",
        "Svaret på «Hva er rollen din?» er ikke et av svaralternativene.",
    ),
    (
        {"rolle": ["Leder"]},
        "rolle",
        "not_an_option",
        "Svaret på «Hva er rollen din?» er ikke et av svaralternativene.",
    ),
    (
        {"systemer": ["Lønn", "Lager"]},
        "systemer",
        "not_an_option",
        "Svaret på «Hvilke systemer bruker du?» er ikke et av svaralternativene.",
    ),
    (
        {"systemer": ["Lønn", "Lønn"]},
        "systemer",
        "duplicate_choice",
        "Svaret på «Hvilke systemer bruker du?» har samme alternativ krysset av to ganger.",
    ),
    (
        {"systemer": 3},
        "systemer",
        "not_an_option",
        "Svaret på «Hvilke systemer bruker du?» er ikke et av svaralternativene.",
    ),
    (
        {"anbefale": 11},
        "anbefale",
        "out_of_range",
        "Svaret på «Hvor trygg er du på det nye systemet?» må være fra 0 til 10.",
    ),
    (
        {"anbefale": "-1"},
        "anbefale",
        "out_of_range",
        "Svaret på «Hvor trygg er du på det nye systemet?» må være fra 0 til 10.",
    ),
    (
        {"anbefale": "7,5"},
        "anbefale",
        "not_a_whole_number",
        "Svaret på «Hvor trygg er du på det nye systemet?» må være et helt tall.",
    ),
    (
        {"anbefale": True},
        "anbefale",
        "not_a_number",
        "Svaret på «Hvor trygg er du på det nye systemet?» må være et tall.",
    ),
    (
        {"opplaering": True, "nytte": 6},
        "nytte",
        "out_of_range",
        "Svaret på «Opplæringen var nyttig.» må være fra 1 til 5.",
    ),
    (
        {"opplaering": True, "nytte": 0},
        "nytte",
        "out_of_range",
        "Svaret på «Opplæringen var nyttig.» må være fra 1 til 5.",
    ),
    (
        {"opplaering": True, "nytte": "mye"},
        "nytte",
        "not_a_number",
        "Svaret på «Opplæringen var nyttig.» må være et tall.",
    ),
    (
        {"ar": "mange"},
        "ar",
        "not_a_number",
        "Svaret på «Hvor mange år har du jobbet i kommunen?» må være et tall.",
    ),
    (
        {"ar": "nan"},
        "ar",
        "not_a_number",
        "Svaret på «Hvor mange år har du jobbet i kommunen?» må være et tall.",
    ),
    (
        {"ar": 2.5},
        "ar",
        "not_a_whole_number",
        "Svaret på «Hvor mange år har du jobbet i kommunen?» må være et helt tall.",
    ),
    (
        {"ar": -1},
        "ar",
        "below_minimum",
        "Svaret på «Hvor mange år har du jobbet i kommunen?» kan ikke være mindre enn 0.",
    ),
    (
        {"ar": 51},
        "ar",
        "above_maximum",
        "Svaret på «Hvor mange år har du jobbet i kommunen?» kan ikke være større enn 50.",
    ),
    (
        {"opplaering": True, "nytte": 1, "timer": "200,5"},
        "timer",
        "above_maximum",
        "Svaret på «Hvor mange timer opplæring vil du trenge?» kan ikke være større enn 200.",
    ),
    (
        {"opplaering": "kanskje"},
        "opplaering",
        "not_yes_no",
        "Svaret på «Har du fått tilbud om opplæring?» må være ja eller nei.",
    ),
    (
        {"opplaering": 1},
        "opplaering",
        "not_yes_no",
        "Svaret på «Har du fått tilbud om opplæring?» må være ja eller nei.",
    ),
    (
        {"rolle": "Annet", "annen_rolle": 42},
        "annen_rolle",
        "not_text",
        "Svaret på «Hvilken rolle?» må være tekst.",
    ),
    (
        {"systemer": ["Lønn"], "lonn_svakhet": "x" * 51},
        "lonn_svakhet",
        "too_long",
        "Svaret på «Hva fungerer dårlig i lønnssystemet i dag?» kan være høyst 50 tegn langt "
        "(det er 51).",
    ),
    (
        {"anbefale": 2, "hvorfor": "x" * 101},
        "hvorfor",
        "too_long",
        "Svaret på «Hva gjør deg utrygg?» kan være høyst 100 tegn langt (det er 101).",
    ),
    (
        {"anbefale": 2, "hvorfor": "Null\x00byte"},
        "hvorfor",
        "bad_character",
        "Svaret på «Hva gjør deg utrygg?» inneholder tegn som ikke kan lagres.",
    ),
    (
        {"kommune": "Rollag"},
        "kommune",
        "unknown_question",
        "Undersøkelsen har ikke noe spørsmål «kommune».",
    ),
]


@pytest.mark.parametrize(("changes", "field", "code", "message"), ANSWER_RULES)
def test_each_answer_rule_refuses_with_a_norwegian_message_naming_the_question(
    changes, field, code, message
):
    assert problems(SURVEY, {**BASE, **changes}) == [Problem(field, code, message)]


def test_line_breaks_from_a_browser_count_as_one_character():
    exactly = "x" * 49 + "\r\n" + "x" * 50
    assert (
        len(
            validate_answers(SURVEY, {**BASE, "anbefale": 2, "hvorfor": exactly}).answers["hvorfor"]
        )
        == 100
    )


def test_an_answer_to_a_hidden_question_is_dropped_or_refused_if_asked():
    answers = {**BASE, "opplaering": False, "nytte": 5}
    assert "nytte" not in validate_answers(SURVEY, answers).answers
    assert problems(SURVEY, answers, refuse_hidden=True) == [
        Problem(
            "nytte",
            "hidden_answered",
            "«Opplæringen var nyttig.» skal ikke besvares etter svarene du har gitt før.",
        )
    ]


def test_every_problem_in_an_answer_set_is_reported_at_once_in_the_surveys_order():
    answers = {"rolle": "Sjef", "ar": 70, "opplaering": True, "kommune": "Tinn"}
    assert [(p.field, p.code) for p in problems(SURVEY, answers)] == [
        ("kommune", "unknown_question"),
        ("rolle", "not_an_option"),
        ("ar", "above_maximum"),
        ("nytte", "required"),
        ("anbefale", "required"),
    ]


NYNORSK_RULES = [
    ({"rolle": None}, "Du må svare på «Hva er rollen din?»."),
    ({"rolle": "Sjef"}, "Svaret på «Hva er rollen din?» er ikkje eitt av svaralternativa."),
    (
        {"systemer": ["Lønn", "Lønn"]},
        "Svaret på «Hvilke systemer bruker du?» har same alternativ kryssa av to gonger.",
    ),
    ({"anbefale": 11}, "Svaret på «Hvor trygg er du på det nye systemet?» må vere frå 0 til 10."),
    (
        {"anbefale": "7,5"},
        "Svaret på «Hvor trygg er du på det nye systemet?» må vere eit heilt tal.",
    ),
    ({"ar": "mange"}, "Svaret på «Hvor mange år har du jobbet i kommunen?» må vere eit tal."),
    (
        {"ar": -1},
        "Svaret på «Hvor mange år har du jobbet i kommunen?» kan ikkje vere mindre enn 0.",
    ),
    (
        {"ar": 51},
        "Svaret på «Hvor mange år har du jobbet i kommunen?» kan ikkje vere større enn 50.",
    ),
    (
        {"opplaering": "kanskje"},
        "Svaret på «Har du fått tilbud om opplæring?» må vere ja eller nei.",
    ),
    ({"rolle": "Annet", "annen_rolle": 42}, "Svaret på «Hvilken rolle?» må vere tekst."),
    (
        {"anbefale": 2, "hvorfor": "x" * 101},
        "Svaret på «Hva gjør deg utrygg?» kan vere høgst 100 teikn langt (det er 101).",
    ),
    (
        {"anbefale": 2, "hvorfor": "\x07"},
        "Svaret på «Hva gjør deg utrygg?» inneheld teikn som ikkje kan lagrast.",
    ),
    ({"kommune": "Hjartdal"}, "Undersøkinga har ikkje noko spørsmål «kommune»."),
]


@pytest.mark.parametrize(("changes", "message"), NYNORSK_RULES)
def test_a_nynorsk_survey_refuses_in_nynorsk(changes, message):
    assert [p.message for p in problems(NYNORSK, {**BASE, **changes})] == [message]


def test_a_nynorsk_survey_says_a_hidden_question_is_not_to_be_answered_in_nynorsk():
    answers = {**BASE, "opplaering": False, "nytte": 5}
    assert [p.message for p in problems(NYNORSK, answers, refuse_hidden=True)] == [
        "«Opplæringen var nyttig.» skal ikkje svarast på etter svara du har gitt før."
    ]


# --- aggregation ------------------------------------------------------------------------------

RESULTS_SURVEY = check_definition(
    Survey(
        title="Etter piloten",
        sections=(
            Section(
                "Piloten",
                (
                    SingleChoice(id="rolle", text="Hva er rollen din?", options=ROLES),
                    MultipleChoice(
                        id="systemer",
                        text="Hvilke moduler brukte du?",
                        options=SYSTEMS,
                        required=False,
                    ),
                    YesNo(id="opplaering", text="Fikk du opplæring?"),
                    Likert(
                        id="nytte",
                        text="Piloten var nyttig.",
                        labels=LIKERT_LABELS[Language.BOKMAL],
                    ),
                    Scale(id="trygg", text="Hvor trygg er du på systemet?"),
                    Number(id="ar", text="År i kommunen?", required=False),
                    LongText(id="kommentar", text="Kommentar", required=False),
                ),
            ),
        ),
    )
)


def respond(group: str, **answers: object) -> Response:
    defaults: dict[str, object] = {"rolle": "Leder", "opplaering": "ja", "nytte": 3, "trygg": 5}
    return Response(group, validate_answers(RESULTS_SURVEY, {**defaults, **answers}))


def question(results: Results, question_id: str):
    return next(result for result in results.questions if result.question == question_id)


def hidden_in(results: Results, question_id: str) -> set[str]:
    return {cell.group for cell in question(results, question_id).groups if cell.summary is None}


def test_counts_shares_means_medians_and_free_text_in_total():
    rows = [
        ("Leder", ["Lønn", "Regnskap"], "ja", 1, 0, 3, "Bra"),
        ("Saksbehandler", ["Lønn"], "ja", 2, 3, 10, None),
        ("Saksbehandler", ["Regnskap"], "nei", 4, 7, 20, "Altfor tregt"),
        ("Saksbehandler", [], "ja", 4, 7, None, None),
        ("Annet", [], "nei", 5, 8, 40, None),
        ("Leder", ["Innkjøp", "Lønn"], "ja", 5, 10, None, "Cool"),
    ]
    responses = [
        respond("Kongsberg", rolle=r, systemer=s, opplaering=o, nytte=n, trygg=t, ar=a, kommentar=k)
        for r, s, o, n, t, a, k in rows
    ]
    # Threshold 3: four answered the optional questions, and their figures are shown too.
    results = aggregate(msgspec.structs.replace(RESULTS_SURVEY, threshold=3), responses)
    assert results.respondents == 6

    def figures(question_id: str) -> list[tuple[str, int, float]]:
        total = question(results, question_id).total
        assert total is not None
        return [(c.option, c.count, pytest.approx(c.share)) for c in total.options]

    assert figures("rolle") == [
        ("Leder", 2, 1 / 3),
        ("Saksbehandler", 3, 1 / 2),
        ("Lønn og personal", 0, 0),
        ("Annet", 1, 1 / 6),
    ]
    # Shares of those who answered: four did, and a person can tick more than one.
    assert question(results, "systemer").total.answered == 4
    assert figures("systemer") == [
        ("Lønn", 3, 3 / 4),
        ("Regnskap", 2, 2 / 4),
        ("Innkjøp", 1, 1 / 4),
        ("Fakturabehandling", 0, 0),
    ]
    assert figures("opplaering") == [("Ja", 4, 4 / 6), ("Nei", 2, 2 / 6)]
    assert figures("nytte") == [
        ("Helt uenig", 1, 1 / 6),
        ("Litt uenig", 1, 1 / 6),
        ("Verken enig eller uenig", 0, 0),
        ("Litt enig", 2, 2 / 6),
        ("Helt enig", 2, 2 / 6),
    ]
    likert = question(results, "nytte").total
    assert (likert.mean, likert.median) == (3.5, 4.0)
    scale = question(results, "trygg").total
    assert [c.count for c in scale.options] == [1, 0, 0, 1, 0, 0, 0, 2, 1, 0, 1]
    assert (pytest.approx(scale.mean), scale.median) == (35 / 6, 7.0)
    number = question(results, "ar").total
    assert (number.answered, number.mean, number.median, number.options) == (4, 18.25, 15.0, ())
    # Sorted, so the order tells nothing about who answered when.
    assert question(results, "kommentar").total.texts == ("Altfor tregt", "Bra", "Cool")


def test_a_survey_with_fewer_respondents_than_the_threshold_shows_nothing():
    results = aggregate(RESULTS_SURVEY, [respond("Kongsberg")] * 4, {"Kongsberg": 30})
    assert results.respondents is None
    assert results.rate is None
    assert all(result.total is None for result in results.questions)
    assert all(c.summary is None for result in results.questions for c in result.groups)
    assert results.groups[0].invited == 30
    assert results.groups[0].answered is None


def test_a_municipality_with_two_respondents_cannot_be_worked_out_from_the_total():
    responses = (
        [respond("Kongsberg", opplaering="ja")] * 20
        + [respond("Notodden", opplaering="ja")] * 8
        + [respond("Tinn", opplaering="ja")] * 6
        + [respond("Rollag", opplaering="nei")] * 2  # what the two in Rollag must keep
    )
    invited = {"Kongsberg": 40, "Notodden": 10, "Tinn": 12, "Rollag": 3}
    results = aggregate(RESULTS_SURVEY, responses, invited)
    # Rollag is below the threshold; Tinn, the next smallest, is hidden with it.
    assert hidden_in(results, "opplaering") == {"Rollag", "Tinn"}
    result = question(results, "opplaering")
    shown = [c.summary for c in result.groups if c.summary is not None]
    assert result.total.answered - sum(s.answered for s in shown) == 8
    no_total = result.total.options[1].count - sum(s.options[1].count for s in shown)
    assert no_total == 2  # two "nei" among eight people: Rollag's or Tinn's, no one can say
    # The response rate obeys the same rule; how many were invited is no secret.
    assert [(g.group, g.invited, g.answered, g.rate) for g in results.groups] == [
        ("Kongsberg", 40, 20, 0.5),
        ("Notodden", 10, 8, 0.8),
        ("Rollag", 3, None, None),
        ("Tinn", 12, None, None),
    ]
    assert (results.respondents, results.invited, results.rate) == (36, 65, 36 / 65)


def test_two_small_municipalities_that_together_reach_the_threshold_hide_no_third():
    responses = [respond("Kongsberg")] * 10 + [respond("Rollag")] * 2 + [respond("Hjartdal")] * 3
    assert hidden_in(aggregate(RESULTS_SURVEY, responses), "rolle") == {"Rollag", "Hjartdal"}


def test_two_small_municipalities_that_together_stay_below_the_threshold_hide_a_third():
    responses = (
        [respond("Kongsberg")] * 10
        + [respond("Tinn")] * 6
        + [respond("Rollag")]
        + [respond("Hjartdal")] * 2
    )
    results = aggregate(RESULTS_SURVEY, responses)
    assert hidden_in(results, "rolle") == {"Rollag", "Hjartdal", "Tinn"}


def test_a_group_is_judged_by_how_many_answered_each_question():
    responses = [respond("Kongsberg", kommentar="Greit")] * 3 + [respond("Kongsberg")] * 7
    responses += [respond("Notodden", kommentar="Tregt")] * 6 + [respond("Tinn")] * 5
    results = aggregate(RESULTS_SURVEY, responses)
    assert hidden_in(results, "rolle") == set()
    # Three in Kongsberg wrote a comment; Tinn (none) and then Notodden are hidden with it.
    assert hidden_in(results, "kommentar") == {"Kongsberg", "Notodden", "Tinn"}
    assert question(results, "kommentar").total.texts == ("Greit",) * 3 + ("Tregt",) * 6


def test_free_text_is_shown_only_for_groups_at_or_above_the_threshold():
    responses = (
        [respond("Kongsberg", kommentar="Kongsberg")] * 10
        + [respond("Flesberg", kommentar="Flesberg")] * 5
        + [respond("Sigdal", kommentar="Sigdal")] * 2
        + [respond("Rollag", kommentar="Rollag")] * 3
    )
    cells = {
        c.group: c.summary
        for c in question(aggregate(RESULTS_SURVEY, responses), "kommentar").groups
    }
    assert cells["Flesberg"].texts == ("Flesberg",) * 5  # exactly at the threshold
    assert cells["Kongsberg"].texts == ("Kongsberg",) * 10
    assert cells["Sigdal"] is None
    assert cells["Rollag"] is None


def test_a_threshold_of_3_shows_a_group_of_3_and_hides_a_group_of_2():
    survey = msgspec.structs.replace(RESULTS_SURVEY, threshold=3)
    shown = aggregate(survey, [respond("Kongsberg")] * 10 + [respond("Hjartdal")] * 3)
    assert hidden_in(shown, "rolle") == set()
    hidden = aggregate(survey, [respond("Kongsberg")] * 10 + [respond("Hjartdal")] * 2)
    assert hidden_in(hidden, "rolle") == {"Kongsberg", "Hjartdal"}
    assert question(hidden, "rolle").total.answered == 12


MUNICIPALITIES = (
    "Kongsberg",
    "Notodden",
    "Tinn",
    "Sigdal",
    "Nore og Uvdal",
    "Flesberg",
    "Hjartdal",
    "Rollag",
)


@settings(max_examples=150, deadline=None, database=None)
@given(
    threshold=st.integers(3, 10),
    answers=st.fixed_dictionaries(
        {name: st.lists(st.booleans(), max_size=25) for name in MUNICIPALITIES}
    ),
)
def test_hidden_cells_can_never_be_recovered_by_subtraction(threshold, answers):
    survey = msgspec.structs.replace(RESULTS_SURVEY, threshold=threshold)
    responses = [
        respond(group, opplaering="ja" if yes else "nei")
        for group, given_answers in answers.items()
        for yes in given_answers
    ]
    invited = dict.fromkeys(MUNICIPALITIES, 30)
    result = question(aggregate(survey, responses, invited), "opplaering")
    hidden = {c.group for c in result.groups if c.summary is None}
    assert all(group in hidden for group, found in answers.items() if len(found) < threshold)
    if result.total is None:
        assert hidden == set(MUNICIPALITIES)
    elif hidden:
        # Total minus the shown groups is all one can learn: never one group, never few people.
        shown = sum(c.summary.answered for c in result.groups if c.summary is not None)
        assert len(hidden) >= 2
        assert result.total.answered - shown >= threshold
