"""The Norwegian texts a respondent reads about their answers, in bokmål and in nynorsk."""

from __future__ import annotations

from surveys.questions import Language

ANSWER_MESSAGES: dict[Language, dict[str, str]] = {
    Language.BOKMAL: {
        "required": "Du må svare på «{text}».",
        "not_an_option": "Svaret på «{text}» er ikke et av svaralternativene.",
        "duplicate_choice": "Svaret på «{text}» har samme alternativ krysset av to ganger.",
        "not_a_whole_number": "Svaret på «{text}» må være et helt tall.",
        "not_a_number": "Svaret på «{text}» må være et tall.",
        "out_of_range": "Svaret på «{text}» må være fra {low} til {high}.",
        "below_minimum": "Svaret på «{text}» kan ikke være mindre enn {low}.",
        "above_maximum": "Svaret på «{text}» kan ikke være større enn {high}.",
        "not_yes_no": "Svaret på «{text}» må være ja eller nei.",
        "not_text": "Svaret på «{text}» må være tekst.",
        "too_long": "Svaret på «{text}» kan være høyst {limit} tegn langt (det er {length}).",
        "bad_character": "Svaret på «{text}» inneholder tegn som ikke kan lagres.",
        "unknown_question": "Undersøkelsen har ikke noe spørsmål «{field}».",
        "hidden_answered": "«{text}» skal ikke besvares etter svarene du har gitt før.",
    },
    Language.NYNORSK: {
        "required": "Du må svare på «{text}».",
        "not_an_option": "Svaret på «{text}» er ikkje eitt av svaralternativa.",
        "duplicate_choice": "Svaret på «{text}» har same alternativ kryssa av to gonger.",
        "not_a_whole_number": "Svaret på «{text}» må vere eit heilt tal.",
        "not_a_number": "Svaret på «{text}» må vere eit tal.",
        "out_of_range": "Svaret på «{text}» må vere frå {low} til {high}.",
        "below_minimum": "Svaret på «{text}» kan ikkje vere mindre enn {low}.",
        "above_maximum": "Svaret på «{text}» kan ikkje vere større enn {high}.",
        "not_yes_no": "Svaret på «{text}» må vere ja eller nei.",
        "not_text": "Svaret på «{text}» må vere tekst.",
        "too_long": "Svaret på «{text}» kan vere høgst {limit} teikn langt (det er {length}).",
        "bad_character": "Svaret på «{text}» inneheld teikn som ikkje kan lagrast.",
        "unknown_question": "Undersøkinga har ikkje noko spørsmål «{field}».",
        "hidden_answered": "«{text}» skal ikkje svarast på etter svara du har gitt før.",
    },
}

# Definitions are written by a project leader on the service's pages, which are in bokmål.
DEFINITION_MESSAGES: dict[str, str] = {
    "unreadable": "Definisjonen kan ikke leses: {detail}",
    "missing_title": "Undersøkelsen mangler tittel.",
    "threshold_too_low": "Anonymitetsgrensen må være minst 3 (den er {value}).",
    "no_sections": "Undersøkelsen har ingen seksjoner.",
    "empty_section": "Seksjonen «{title}» har ingen spørsmål.",
    "missing_id": "Spørsmålet «{text}» mangler id.",
    "duplicate_id": "Spørsmålet «{field}» finnes mer enn én gang.",
    "missing_text": "Spørsmålet «{field}» mangler spørsmålstekst.",
    "too_few_options": "Spørsmålet «{field}» må ha minst to svaralternativer.",
    "empty_option": "Spørsmålet «{field}» har et tomt svaralternativ.",
    "duplicate_option": "Spørsmålet «{field}» har svaralternativet «{option}» mer enn én gang.",
    "likert_labels": "Spørsmålet «{field}» må ha fem merkelapper, fra 1 til 5, ingen tomme.",
    "minimum_above_maximum": "Spørsmålet «{field}» har minste verdi større enn største verdi.",
    "text_limit": "Spørsmålet «{field}» må tillate svar på mellom 1 og {ceiling} tegn.",
    "condition_not_earlier": "Spørsmålet «{field}» har et vilkår på «{ref}», "
    "som ikke er et tidligere spørsmål.",
    "condition_kind": "Spørsmålet «{field}» har et vilkår som ikke passer til typen "
    "spørsmål «{ref}» er.",
    "condition_no_options": "Spørsmålet «{field}» har et vilkår på «{ref}» uten svaralternativer.",
    "condition_option": "Spørsmålet «{field}» har et vilkår på «{option}», "
    "som ikke er et svaralternativ på «{ref}».",
    "condition_operator": "Spørsmålet «{field}» har en ukjent sammenligning «{operator}».",
    "condition_value": "Spørsmålet «{field}» sammenligner med {value}, "
    "som «{ref}» aldri kan ha som svar.",
}
