"""The scheduled job of meetings: reminders to those who have not answered (days before)
and to those who accepted (hours before); never for a cancelled or past meeting."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from medvirkning.db import utcnow
from medvirkning.meetings import letters
from medvirkning.meetings.models import Answer, Invitation, Meeting
from medvirkning.meetings.queries import with_meeting
from medvirkning.settings import Settings


async def send_due_reminders(
    db: AsyncSession, settings: Settings, now: datetime | None = None
) -> int:
    """Write the reminders due now to the outbox; returns how many were written."""
    now = now or utcnow()
    no_answer_from = now + timedelta(days=settings.reminder_days_before)
    accepted_from = now + timedelta(hours=settings.reminder_hours_before)
    invitations = await db.scalars(
        select(Invitation)
        .join(Meeting)
        .options(with_meeting())
        .where(
            Meeting.cancelled_at.is_(None),
            Meeting.starts_at > now,
            Invitation.removed_at.is_(None),
            (
                (Invitation.answer == Answer.NO_ANSWER)
                & Invitation.no_answer_reminded_at.is_(None)
                & (Meeting.starts_at <= no_answer_from)
            )
            | (
                (Invitation.answer == Answer.ACCEPTED)
                & Invitation.accepted_reminded_at.is_(None)
                & (Meeting.starts_at <= accepted_from)
            ),
        )
    )
    count = 0
    for invitation in invitations.unique():
        if invitation.answer == Answer.NO_ANSWER and not _asked_long_enough(invitation, now):
            continue
        column = (
            Invitation.no_answer_reminded_at
            if invitation.answer == Answer.NO_ANSWER
            else Invitation.accepted_reminded_at
        )
        # Taken only if still unmarked: two instances never remind the same person twice.
        marked = await db.execute(
            update(Invitation)
            .where(Invitation.id == invitation.id, column.is_(None))
            .values({column.key: now})
            .execution_options(synchronize_session=False)
        )
        if marked.rowcount != 1:  # type: ignore[attr-defined]
            continue
        await letters.send(db, settings, invitation.meeting, None, "reminder", [invitation])
        count += 1
    await db.flush()
    return count


def _asked_long_enough(invitation: Invitation, now: datetime) -> bool:
    """ "You have not answered" comes a day after the invitation at the earliest, or half
    the time until the meeting when that is shorter: never minutes after it."""
    asked = invitation.created_at
    return now >= asked + min(timedelta(days=1), (invitation.meeting.starts_at - asked) / 2)
