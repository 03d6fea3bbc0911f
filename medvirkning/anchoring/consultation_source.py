"""Union consultations as evidence: per municipality (or the region, for KDU's) and phase,
the consultations held, their protocols confirmed, and those held at short notice.

Gaps: a protocol not confirmed by every party some days after the meeting, and a
consultation held with less notice than the service's setting asks. Notice is counted in
Norwegian working days (`consultations.notice`), so the rows are read whole; there are tens
of consultations in a project, not thousands, and their relations load in a fixed number of
statements."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from medvirkning.anchoring.rules import plural
from medvirkning.anchoring.source import Cell, Context, Finding, Gap, Item, PhaseSpan, Target
from medvirkning.consultations import notice
from medvirkning.consultations.models import Consultation, ProtocolStatus
from medvirkning.consultations.queries import documents_sent_at
from medvirkning.formats import OSLO, date_no


@dataclass(frozen=True)
class _Held:
    consultation: Consultation
    starts: datetime  # the meeting's start
    cell: Cell
    confirmed: bool
    notice_days: int | None  # None: no documents were sent before it
    short: bool


class ConsultationSource:
    key = "droftinger"
    title = "Drøftinger med tillitsvalgte"
    figures = {
        "consultations": "drøftinger holdt",
        "confirmed": "protokoller bekreftet",
        "short_notice": "holdt på kort varsel",
    }
    risk_factors = (1,)
    targets = (
        Target(
            "protocol_confirm_days",
            "Dager etter drøftingsmøtet før protokollen skal være bekreftet",
            14,
            "dager",
        ),
    )

    async def _held(self, db: AsyncSession, context: Context) -> list[_Held]:
        """Consultations whose meeting has been held, each placed in its cell."""
        rows = await db.scalars(select(Consultation).order_by(Consultation.id))
        held = []
        for consultation in rows.unique():
            meeting = consultation.meeting
            if meeting is None or meeting.starts_at > context.now:
                continue
            phase_id = consultation.phase_id or _phase_of(context, meeting.starts_at)
            if phase_id is None:
                continue
            sent = documents_sent_at(consultation)
            days = notice.working_days(sent, meeting.starts_at) if sent else None
            protocol = consultation.protocol
            held.append(
                _Held(
                    consultation,
                    meeting.starts_at,
                    (consultation.municipality_id, phase_id),
                    protocol is not None and protocol.status == ProtocolStatus.CONFIRMED,
                    days,
                    days is None or days < context.notice_days,
                )
            )
        return held

    async def collect(self, db: AsyncSession, context: Context) -> Finding:
        figures: dict[Cell, dict[str, int]] = {}
        gaps: list[Gap] = []
        grace = timedelta(days=context.targets["protocol_confirm_days"])
        for held in await self._held(db, context):
            cell = figures.setdefault(held.cell, dict.fromkeys(self.figures, 0))
            cell["consultations"] += 1
            cell["confirmed"] += held.confirmed
            cell["short_notice"] += held.short
            matter, starts = held.consultation.matter, held.starts
            if not held.confirmed and starts + grace <= context.now:
                gaps.append(
                    self._gap(
                        held,
                        f"Protokollen fra drøftingen «{matter}» {date_no(starts)} er ikke "
                        "bekreftet av alle parter.",
                        "protocol_confirm_days",
                    )
                )
            if held.short:
                given = (
                    "uten at dokumentene var sendt"
                    if held.notice_days is None
                    else f"{plural(held.notice_days, 'virkedag', 'virkedager')} etter at "
                    "dokumentene ble sendt"
                )
                gaps.append(
                    self._gap(
                        held,
                        f"Drøftingen «{matter}» {date_no(starts)} ble holdt {given} "
                        f"(minst {context.notice_days}).",
                        "consultation_notice",
                    )
                )
        return Finding(figures, gaps)

    def _gap(self, held: _Held, text: str, rule: str) -> Gap:
        municipality_id, phase_id = held.cell
        return Gap(rule, self.risk_factors, municipality_id, phase_id, text, self.key)

    async def items(
        self, db: AsyncSession, context: Context, municipality_id: int | None, phase: PhaseSpan
    ) -> list[Item]:
        items = []
        for held in await self._held(db, context):
            if held.cell != (municipality_id, phase.id):
                continue
            consultation = held.consultation
            protocol = consultation.protocol
            status = protocol.status.label if protocol else "ingen protokoll"
            days = "dokumenter ikke sendt" if held.notice_days is None else f"{held.notice_days}"
            items.append(
                Item(
                    consultation.matter,
                    held.starts.astimezone(OSLO).date(),
                    f"/droftinger/{consultation.id}",
                    f"protokoll: {status}; varsel i virkedager: {days}",
                )
            )
        return items


def _phase_of(context: Context, moment: datetime) -> int | None:
    day = moment.astimezone(OSLO).date()
    return next((p.id for p in context.phases if p.starts_on <= day <= p.ends_on), None)
