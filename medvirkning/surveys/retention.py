"""Forgetting on a schedule: drafts go when a survey closes (they can no longer be sent),
and 30 days after closing the links go and the recipients lose their e-mail address and
person, so from then on not even who answered is known (the counts per municipality stay)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Select, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from medvirkning.db import utcnow
from medvirkning.surveys.models import Survey
from medvirkning.surveys.respondents import SurveyDraft, SurveyLink, SurveyRecipient

FORGET_AFTER = timedelta(days=30)
EVERY_SECONDS = 3600


def _recipients_of_surveys_closed_before(moment: datetime) -> Select[int]:
    closed = select(Survey.id).where(Survey.closes_at.is_not(None), Survey.closes_at <= moment)
    return select(SurveyRecipient.id).where(SurveyRecipient.survey_id.in_(closed))


async def forget_what_is_no_longer_needed(db: AsyncSession) -> int:
    """Delete the drafts of closed surveys; erase who was asked 30 days after closing.
    Returns how many recipients were erased."""
    now = utcnow()
    closed = _recipients_of_surveys_closed_before(now)
    drafts = select(SurveyLink.id).where(SurveyLink.recipient_id.in_(closed))
    await db.execute(delete(SurveyDraft).where(SurveyDraft.link_id.in_(drafts)))
    long_closed = _recipients_of_surveys_closed_before(now - FORGET_AFTER)
    await db.execute(delete(SurveyLink).where(SurveyLink.recipient_id.in_(long_closed)))
    erased = await db.execute(
        update(SurveyRecipient)
        .where(SurveyRecipient.id.in_(long_closed), SurveyRecipient.email.is_not(None))
        .values(email=None, person_id=None)
    )
    return int(getattr(erased, "rowcount", 0) or 0)
