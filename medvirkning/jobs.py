"""Background jobs of the service: each runs in a loop until the service stops, and a
failing round (the database away, or a bug) never stops it for good."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from sqlalchemy.exc import SQLAlchemyError

log = logging.getLogger("medvirkning.jobs")


async def every(
    name: str, seconds: float, stop: asyncio.Event, work: Callable[[], Awaitable[object]]
) -> None:
    """Run `work` now and then every `seconds` until `stop` is set."""
    while not stop.is_set():
        try:
            await work()
        except (SQLAlchemyError, OSError) as exc:  # the database is away: try next round
            log.warning("%s could not run: %s", name, exc)
        except Exception:  # a bug must not stop the job for good
            log.exception("%s failed; trying again next round", name)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=seconds)
