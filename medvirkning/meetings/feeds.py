"""Calendar subscription feeds for a person or a group: a URL with a secret derived from the
service's key and a version, so renewing the secret is bumping the version."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from medvirkning.meetings.models import CalendarFeed
from medvirkning.settings import Settings
from medvirkning.signing import sign


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
    return sign(settings, "feed", kind, owner_id, version, length=40)


async def feed_url(db: AsyncSession, settings: Settings, kind: str, owner_id: int) -> str:
    token = await feed_token(db, settings, kind, owner_id)
    return f"{settings.public_base_url}/kalender/{kind}/{owner_id}/{token}.ics"


async def renew_feed(db: AsyncSession, kind: str, owner_id: int) -> None:
    """The old address stops working; calendars must subscribe to the new one."""
    feed = await _feed(db, kind, owner_id)
    feed.version += 1
    await db.flush()
