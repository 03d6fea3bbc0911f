"""Calendar subscription feeds for a person or a group: a URL with a secret derived from the
service's key and a version, so renewing the secret is bumping the version."""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from medvirkning.db import utcnow
from medvirkning.meetings.models import CalendarFeed, Invitation, Meeting, meeting_group
from medvirkning.settings import Settings


async def _feed(db: AsyncSession, kind: str, owner_id: int) -> CalendarFeed:
    feed = await db.scalar(
        select(CalendarFeed).where(
            CalendarFeed.owner_kind == kind, CalendarFeed.owner_id == owner_id
        )
    )
    if feed is None:
        feed = CalendarFeed(owner_kind=kind, owner_id=owner_id, version=1)
        db.add(feed)
        await db.flush()
    return feed


async def feed_token(db: AsyncSession, settings: Settings, kind: str, owner_id: int) -> str:
    version = (await _feed(db, kind, owner_id)).version
    message = f"feed:{kind}:{owner_id}:{version}".encode()
    return hmac.new(settings.secret_key.encode(), message, hashlib.sha256).hexdigest()[:40]


async def renew_feed(db: AsyncSession, kind: str, owner_id: int) -> None:
    """The old address stops working; calendars must subscribe to the new one."""
    feed = await _feed(db, kind, owner_id)
    if feed is None:
        db.add(CalendarFeed(owner_kind=kind, owner_id=owner_id, version=2))
    else:
        feed.version += 1
    await db.flush()


async def feed_owner_meetings(db: AsyncSession, kind: str, owner_id: int) -> list[Meeting]:
    since = utcnow() - timedelta(days=90)
    stmt = select(Meeting).where(Meeting.ends_at >= since).order_by(Meeting.starts_at)
    if kind == "person":
        stmt = stmt.join(Invitation).where(
            Invitation.person_id == owner_id, Invitation.removed_at.is_(None)
        )
    else:
        stmt = stmt.join(meeting_group).where(meeting_group.c.group_id == owner_id)
    return list((await db.scalars(stmt)).unique())
