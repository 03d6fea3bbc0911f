"""Names that cannot pass for someone else's: no letters that only look like ordinary ones
(fullwidth forms, odd spaces) and no mixing of alphabets whose letters look alike."""

from __future__ import annotations

import unicodedata

# Latin, Cyrillic and Greek share look-alike letters (a/а, o/о, p/р): one name, one of them.
LOOK_ALIKE_SCRIPTS = frozenset({"LATIN", "CYRILLIC", "GREEK"})


def _script(letter: str) -> str:
    return unicodedata.name(letter, "").split(" ", 1)[0]


def look_alike_problem(name: str) -> str | None:
    """Why the name could be mistaken for another, in Norwegian; None when it cannot."""
    if unicodedata.normalize("NFKC", name) != name:
        return (
            "Navnet har tegn som bare ligner vanlige bokstaver eller mellomrom "
            "(for eksempel fullbreddetegn eller hardt mellomrom). Skriv det med vanlige tegn."
        )
    scripts = {_script(c) for c in name if c.isalpha()} & LOOK_ALIKE_SCRIPTS
    if len(scripts) > 1:
        return (
            "Navnet blander bokstaver fra ulike alfabeter (for eksempel latinske og kyrilliske), "
            "så det kan se ut som et annet navn. Skriv det med ett alfabet."
        )
    return None
