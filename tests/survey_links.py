"""Test helpers for surveys that are sent out and answered: a published survey, recipients
with personal links, and the links read back from the outbox as a recipient reads them."""

from __future__ import annotations

import asyncio
import email
import email.policy
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from medvirkning.db import create_engine, create_sessionmaker
from medvirkning.mail.models import OutboxMessage
from medvirkning.settings import Settings
from medvirkning.surveys import distribution
from medvirkning.surveys.distribution_schemas import AudienceCreate
from medvirkning.surveys.store import create_survey, publish
from surveys.definition import parse_definition

LINK = re.compile(r"/undersokelse/([A-Za-z0-9_\-]{20,})")


def definition(language: str = "bokmal", threshold: int = 5, title: str = "") -> dict[str, Any]:
    """Two sections, with a condition from the first into the second."""
    return {
        "title": title or "Forventninger til nytt ERP-system",
        "language": language,
        "threshold": threshold,
        "introduction": "Vi vil vite hva du venter deg av det nye systemet.",
        "sections": [
            {
                "title": "Om deg",
                "questions": [
                    {
                        "type": "single_choice",
                        "id": "arbeid",
                        "text": "Hva jobber du mest med?",
                        "options": ["Lønn", "Regnskap", "Innkjøp", "Annet"],
                    },
                    {"type": "yes_no", "id": "bruker", "text": "Bruker du dagens system?"},
                    {
                        "type": "number",
                        "id": "aar",
                        "text": "Hvor mange år har du jobbet i kommunen?",
                        "minimum": 0,
                        "maximum": 60,
                        "required": False,
                    },
                ],
            },
            {
                "title": "Forventninger",
                "questions": [
                    {
                        "type": "likert",
                        "id": "forenkle",
                        "text": "Det nye systemet vil gjøre arbeidet mitt enklere.",
                        "labels": [
                            "Helt uenig",
                            "Litt uenig",
                            "Verken enig eller uenig",
                            "Litt enig",
                            "Helt enig",
                        ],
                    },
                    {
                        "type": "scale",
                        "id": "trygg",
                        "text": "Hvor trygg er du på å ta i bruk nytt system?",
                        "low_label": "Ikke trygg",
                        "high_label": "Helt trygg",
                    },
                    {
                        "type": "multiple_choice",
                        "id": "opplaering",
                        "text": "Hvilken opplæring ønsker du?",
                        "options": ["Kurs", "Video", "Veileder"],
                        "required": False,
                    },
                    {
                        "type": "short_text",
                        "id": "savner",
                        "text": "Hva savner du mest i dagens system?",
                        "required": False,
                        "show_if": {"kind": "yes_no_is", "question": "bruker", "value": True},
                    },
                    {
                        "type": "long_text",
                        "id": "annet",
                        "text": "Har du noe mer å si?",
                        "required": False,
                    },
                ],
            },
        ],
    }


async def published_survey(db: AsyncSession, **options: Any) -> int:
    survey = await create_survey(db, parse_definition(definition(**options)))
    await publish(db, survey.id)
    return survey.id


async def send_to(
    db: AsyncSession, settings: Settings, survey_id: int, emails: list[str], **audience: Any
) -> int:
    await distribution.add_audience(db, survey_id, AudienceCreate(emails=emails, **audience))
    return await distribution.send_links(db, settings, survey_id)


def link_in(raw: bytes) -> str:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    text = message.get_body(preferencelist=("plain",))
    assert text is not None
    found = LINK.search(text.get_content())  # type: ignore[attr-defined]
    assert found, "the letter holds no survey link"
    return found.group(1)


async def links_in_outbox(db: AsyncSession) -> dict[str, str]:
    """Each recipient's newest survey link, from the letters still in the outbox."""
    rows = await db.execute(
        select(OutboxMessage.recipient, OutboxMessage.mime)
        .where(OutboxMessage.kind.like("survey_%"))
        .order_by(OutboxMessage.id)
    )
    return {recipient: link_in(mime) for recipient, mime in rows if mime is not None}


def full_answers(n: int = 0) -> dict[str, Any]:
    """A complete answer set as the form posts it; `n` marks it in the free text."""
    return {
        "arbeid": "Lønn",
        "bruker": "ja",
        "aar": str(n % 60),
        "forenkle": "4",
        "trygg": "7",
        "opplaering": ["Kurs", "Video"],
        "savner": "Bedre rapporter",
        "annet": f"Svar nummer {n}",
    }


def form(answers: dict[str, Any], section: int, action: str) -> dict[str, Any]:
    """The page's form for one section (1-based), with its button."""
    first = {"arbeid", "bruker", "aar"}
    chosen = {
        f"svar.{key}": value for key, value in answers.items() if (key in first) == (section == 1)
    }
    return {**chosen, "del": str(section), "handling": action}


@asynccontextmanager
async def session_on(url: str) -> AsyncIterator[AsyncSession]:
    """A session on the database at `url`, for tests that serve the app themselves."""
    engine = create_engine(url)
    try:
        async with create_sessionmaker(engine)() as session:
            yield session
    finally:
        await engine.dispose()


async def until_mixed(db: AsyncSession) -> None:
    """Wait for the answering pages' queue to mix what its batches left waiting (at most
    about a second after the last batch, `submitting.SubmitQueue`)."""
    from medvirkning.surveys.respondents import SurveyUnmixed

    for _ in range(300):
        if not await db.scalar(select(func.count()).select_from(SurveyUnmixed)):
            return
        await db.rollback()  # the next look sees what has committed since
        await asyncio.sleep(0.05)
    raise AssertionError("the answers were not mixed within 15 seconds")


async def answer_through(settings: Settings, token: str, answers: dict[str, Any]) -> None:
    """Submit through the link as the answering page does, in a transaction of its own."""
    from medvirkning.surveys import answering
    from medvirkning.transaction import Database

    database = Database.connect(settings.database_url)
    try:
        async with database.transaction() as db:
            found = await answering.respondent(db, settings, token)
            await answering.submit(db, found, answers)
    finally:
        await database.close()
