"""Ready-made surveys seeded as templates to copy (`Survey.is_template`), each loaded once."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from medvirkning.surveys.builder import new_survey
from surveys.definition import parse_definition

SEED_DIR = Path(__file__).parent
# key: the definition file beside this module
TEMPLATES = {"phase1-expectations": "phase1_survey.json"}


async def seed_survey_templates(db: AsyncSession, done: set[str]) -> list[str]:
    """Create each template not seeded before; the seed record keys it loaded."""
    loaded = []
    for key, name in TEMPLATES.items():
        record = f"survey:{key}"
        if record in done:
            continue
        definition = parse_definition((SEED_DIR / name).read_text(encoding="utf-8"))
        await new_survey(db, definition, 50, None, is_template=True)
        loaded.append(record)
    return loaded
