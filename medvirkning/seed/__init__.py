"""Seed data from the TOML files beside this module; each item is loaded once, ever.

An item's key is recorded when it is loaded, so a restart loads nothing twice and an
admin's correction (a renamed municipality, a moved milestone) is never overwritten.
"""

from __future__ import annotations

import tomllib
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import String, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from medvirkning.choices import LanguageForm
from medvirkning.db import Base, utcnow
from medvirkning.inputs.models import Decision, DecisionBody, Theme
from medvirkning.plan.models import Milestone, Phase, RiskFactor
from medvirkning.region.models import Municipality, Organisation, OrganisationKind
from medvirkning.seed.survey_templates import seed_survey_templates

SEED_DIR = Path(__file__).parent


class SeedRecord(Base):
    __tablename__ = "seed_record"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    applied_at: Mapped[datetime] = mapped_column(default=utcnow)


def _load(name: str) -> dict[str, Any]:
    with (SEED_DIR / name).open("rb") as file:
        return tomllib.load(file)


async def apply_seed(db: AsyncSession) -> int:
    """Load every seed item not loaded before; return how many were loaded."""
    if db.get_bind().dialect.name == "postgresql":
        # Several instances may start at once; one seeds, the others wait and find it done.
        await db.execute(text("SELECT pg_advisory_xact_lock(72051)"))
    done = set(await db.scalars(select(SeedRecord.key)))
    loaded = 0

    async def adopt(
        key: str, model: type[Base], natural: dict[str, Any], values: dict[str, Any]
    ) -> Any:
        nonlocal loaded
        record = f"{model.__tablename__}:{key}"
        existing = await db.scalar(select(model).filter_by(**natural))
        if record in done:
            return existing
        row = existing or model(**natural, **values)
        if existing is None:
            db.add(row)
            loaded += 1
        db.add(SeedRecord(key=record))
        done.add(record)
        await db.flush()
        return row

    region = _load("municipalities.toml")
    for item in region["municipality"]:
        await adopt(
            item["key"],
            Municipality,
            {"number": item["number"]},
            {"name": item["name"], "language_form": LanguageForm(item["language_form"])},
        )
    organisations: dict[str, Organisation | None] = {}
    for item in _load("organisations.toml")["organisation"]:
        parent = organisations.get(item.get("parent", ""))
        organisations[item["key"]] = await adopt(
            item["key"],
            Organisation,
            {"name": item["name"]},
            {
                "short_name": item["short_name"],
                "kind": OrganisationKind(item["kind"]),
                "parent_id": parent.id if parent else None,
            },
        )
    plan = _load("plan.toml")
    phases: dict[int, Phase | None] = {}
    for item in plan["phase"]:
        phases[item["number"]] = await adopt(
            item["key"],
            Phase,
            {"number": item["number"]},
            {k: item[k] for k in ("name", "goal", "starts_on", "ends_on")},
        )
    for item in plan["milestone"]:
        phase = phases[item["phase"]]
        if phase is None:  # an admin removed the phase's seed row; leave its milestones out
            continue
        await adopt(
            item["key"],
            Milestone,
            {"phase_id": phase.id, "name": item["name"]},
            {"due_on": item["due_on"]},
        )
    for item in plan["risk_factor"]:
        await adopt(
            item["key"],
            RiskFactor,
            {"number": item["number"]},
            {"risk": item["risk"], "follow_up": item["follow_up"]},
        )
    for record in await seed_survey_templates(db, done):
        db.add(SeedRecord(key=record))
        loaded += 1
    await db.flush()
    inputs = _load("inputs.toml")
    for item in inputs["theme"]:
        await adopt(item["key"], Theme, {"name": item["name"]}, {})
    # KDU's decisions concern all eight municipalities.
    everyone = list(await db.scalars(select(Municipality.id)))
    for item in inputs["decision"]:
        await adopt(
            item["key"],
            Decision,
            {"body": DecisionBody(item["body"]), "decided_on": item["decided_on"]},
            {k: item[k] for k in ("case_number", "title", "summary")}
            | {"municipality_ids": everyone},
        )
    return loaded
