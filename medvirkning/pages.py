"""The pages outside the registers: the front page and the accessibility statement."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from litestar import Request, get
from litestar.response import Template
from sqlalchemy import func, select

from medvirkning.auth.access import EVERYONE, OPEN, Principal
from medvirkning.auth.models import Role
from medvirkning.db import Db
from medvirkning.formats import OSLO
from medvirkning.mail.controllers import outbox_counts
from medvirkning.people.models import Group, Person
from medvirkning.plan.models import Milestone, Phase
from medvirkning.region.models import Municipality


@get("/", include_in_schema=False, opt=EVERYONE)
async def home(request: Request[Principal, Any, Any], db: Db) -> Template:
    async def count(model: type[Municipality | Person | Group]) -> int:
        stmt = select(func.count()).select_from(model).where(model.active.is_(True))
        return await db.scalar(stmt) or 0

    phases = (await db.scalars(select(Phase).where(Phase.active).order_by(Phase.number))).all()
    upcoming = (
        await db.scalars(
            select(Milestone)
            .where(Milestone.active, Milestone.due_on >= datetime.now(OSLO).date())
            .order_by(Milestone.due_on)
            .limit(5)
        )
    ).all()
    return Template(
        "home.html",
        context={
            "counts": {
                "municipalities": await count(Municipality),
                "people": await count(Person),
                "groups": await count(Group),
            },
            "phases": phases,
            "upcoming": upcoming,
            # Admins see at once when e-mail could not be sent.
            "failed_mail": (await outbox_counts(db)).get("failed", 0)
            if request.user.has(Role.ADMIN)
            else 0,
        },
    )


@get("/tilgjengelighet", include_in_schema=False, opt=OPEN)
async def accessibility_statement() -> Template:
    return Template("accessibility.html")
