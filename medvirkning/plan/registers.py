"""The phase, milestone and risk factor registers."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from medvirkning.auth.access import EVERYONE
from medvirkning.errors import FieldError
from medvirkning.formats import date_no
from medvirkning.plan.models import Milestone, Phase, RiskFactor
from medvirkning.plan.schemas import (
    MilestoneCreate,
    MilestoneRead,
    MilestoneUpdate,
    PhaseCreate,
    PhaseRead,
    PhaseUpdate,
    RiskFactorCreate,
    RiskFactorRead,
    RiskFactorUpdate,
)
from medvirkning.register import Column, FormField, Register, Unique, Values, must_exist, options


async def phase_options(db: AsyncSession) -> list[tuple[str, str]]:
    return await options(db, Phase, lambda p: f"Fase {p.number}: {p.name}", order_by=Phase.number)


async def milestone_options(db: AsyncSession) -> list[tuple[str, str]]:
    return await options(
        db, Milestone, lambda m: f"{m.name} ({date_no(m.due_on)})", order_by=Milestone.due_on
    )


async def _phase_dates(db: AsyncSession, values: Values, before: Any) -> list[FieldError]:
    if values["ends_on"] < values["starts_on"]:
        return [FieldError("ends_on", "Sluttdatoen kan ikke være før startdatoen.")]
    return []


async def _milestone_phase(db: AsyncSession, values: Values, before: Any) -> list[FieldError]:
    return await must_exist(db, Phase, values, before, "phase_id", "Velg en fase som finnes.")


PHASES = Register(
    slug="phases",
    title="Faser",
    singular="fase",
    model=Phase,
    create=PhaseCreate,
    update=PhaseUpdate,
    read=PhaseRead,
    search=(Phase.name, Phase.goal),
    order_by=(Phase.number,),
    columns=(
        Column("Nr.", lambda p: p.number),
        Column("Navn", lambda p: p.name),
        Column("Fra", lambda p: date_no(p.starts_on)),
        Column("Til", lambda p: date_no(p.ends_on)),
    ),
    fields=(
        FormField("number", "Nummer", kind="number"),
        FormField("name", "Navn"),
        FormField("starts_on", "Fra dato", kind="date"),
        FormField("ends_on", "Til dato", kind="date"),
        FormField("goal", "Mål", kind="textarea"),
    ),
    rules=(_phase_dates,),
    unique=(Unique("number", "Det finnes allerede en fase med dette nummeret."),),
    read_access=EVERYONE,
    label=lambda p: f"Fase {p.number}: {p.name}",
)

MILESTONES = Register(
    slug="milestones",
    title="Milepæler",
    singular="milepæl",
    model=Milestone,
    create=MilestoneCreate,
    update=MilestoneUpdate,
    read=MilestoneRead,
    search=(Milestone.name, Milestone.description),
    order_by=(Milestone.due_on, Milestone.id),
    columns=(
        Column("Fase", lambda m: m.phase.number),
        Column("Milepæl", lambda m: m.name),
        Column("Dato (tentativ)", lambda m: date_no(m.due_on)),
    ),
    fields=(
        FormField("phase_id", "Fase", kind="select", options=phase_options),
        FormField("name", "Navn"),
        FormField("due_on", "Dato", kind="date", hint="Tentativ dato."),
        FormField("description", "Beskrivelse", kind="textarea"),
    ),
    rules=(_milestone_phase,),
    filters={"phase_id": Milestone.phase_id},
    read_access=EVERYONE,
    label=lambda m: m.name,
)

RISK_FACTORS = Register(
    slug="risk-factors",
    title="Risikofaktorer",
    singular="risikofaktor",
    model=RiskFactor,
    create=RiskFactorCreate,
    update=RiskFactorUpdate,
    read=RiskFactorRead,
    search=(RiskFactor.risk, RiskFactor.follow_up),
    order_by=(RiskFactor.number,),
    columns=(
        Column("Nr.", lambda r: r.number),
        Column("Kritisk suksessfaktor", lambda r: r.risk),
        Column("Oppfølging", lambda r: r.follow_up),
    ),
    fields=(
        FormField("number", "Nummer", kind="number"),
        FormField("risk", "Kritisk suksessfaktor", kind="textarea"),
        FormField("follow_up", "Oppfølging", kind="textarea"),
    ),
    unique=(Unique("number", "Det finnes allerede en risikofaktor med dette nummeret."),),
    read_access=EVERYONE,
    label=lambda r: f"{r.number}. {r.risk}",
)
