"""Starting an answer through an open link (an intranet page): each start makes an anonymous
recipient with a link of its own, so the visitor can save and come back, and answers once.
Starts are counted per client (as a keyed hash) and refused past the link's hourly limit."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import case, select
from sqlalchemy.ext.asyncio import AsyncSession

from medvirkning.auth.models import SignInAttempt
from medvirkning.db import upsert_for, utcnow
from medvirkning.errors import AppError, NotFound
from medvirkning.settings import Settings
from medvirkning.signing import sign
from medvirkning.surveys.answering import add_link
from medvirkning.surveys.respondents import SurveyOpenLink, SurveyRecipient

WINDOW = timedelta(hours=1)


class TooManyStarts(AppError):
    code = "rate_limited"
    status_code = 429
    message = "For mange svar er startet fra denne maskinen den siste timen. Prøv igjen senere."


async def open_link(db: AsyncSession, code: str) -> SurveyOpenLink:
    found = await db.scalar(select(SurveyOpenLink).where(SurveyOpenLink.code == code))
    if found is None:
        raise NotFound("Lenken er ikke gyldig.")
    return found


async def _count(db: AsyncSession, key: str) -> int:
    """One more start for the key, in one atomic statement (the sign-in limit's table)."""
    now = utcnow()
    upsert = upsert_for(db.get_bind().dialect.name)
    stmt = upsert(SignInAttempt).values(key=key, window_start=now, requests=1)
    current = SignInAttempt.window_start > now - WINDOW
    stmt = stmt.on_conflict_do_update(
        index_elements=[SignInAttempt.key],
        set_={
            "requests": case((current, SignInAttempt.requests + 1), else_=1),
            "window_start": case((current, SignInAttempt.window_start), else_=now),
        },
    )
    return (await db.execute(stmt.returning(SignInAttempt.requests))).scalar_one()


async def start(db: AsyncSession, settings: Settings, link: SurveyOpenLink, client: str) -> str:
    """A fresh personal token for one visitor of the open link."""
    key = f"survey-open:{link.id}:" + sign(settings, "survey-open-client", client, length=48)
    if await _count(db, key) > link.limit_per_hour:
        raise TooManyStarts()
    recipient = SurveyRecipient(
        survey_id=link.survey_id, municipality_id=link.municipality_id, open_link_id=link.id
    )
    db.add(recipient)
    await db.flush()
    token = await add_link(db, settings, recipient.id)
    await db.flush()
    return token
