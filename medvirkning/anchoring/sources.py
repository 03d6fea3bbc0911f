"""The evidence sources of groups, meetings and input (decisions and learning points in
`register_sources.py`, surveys in `survey_source.py`). Each compiles its figures for every
cell in one grouped query, so the record sends the same statements however much there is."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import and_, case, distinct, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from medvirkning.anchoring.rules import above_zero, below_target, plural
from medvirkning.anchoring.source import Cell, Context, Finding, Item, PhaseSpan, Target
from medvirkning.formats import date_no
from medvirkning.inputs.models import FollowUp, Input
from medvirkning.meetings.models import Invitation, Meeting
from medvirkning.people.models import Group, GroupKind, Membership, Person
from medvirkning.plan.models import Phase

TAKING_PART = (GroupKind.WORKING_GROUP, GroupKind.REFERENCE_GROUP)


def table(rows: Sequence[Any], names: Sequence[str]) -> dict[Cell, dict[str, int]]:
    """Grouped rows (municipality, phase, figures…) as figures per cell; rows outside every
    phase are left out."""
    figures: dict[Cell, dict[str, int]] = {}
    for municipality_id, phase_id, *values in rows:
        if phase_id is not None:
            figures[(municipality_id, phase_id)] = {
                n: int(v or 0) for n, v in zip(names, values, strict=True)
            }
    return figures


class GroupSource:
    key = "grupper"
    title = "Medlemmer i arbeids- og referansegrupper"
    figures = {"members": "medlemmer i arbeids- og referansegrupper"}
    risk_factors = (1, 2)
    targets = (
        Target("group_members", "Minste antall medlemmer per kommune og fase", 1, "personer"),
    )

    def _memberships(self) -> Any:
        return (
            select(Membership)
            .join(Group, Group.id == Membership.group_id)
            .join(Person, Person.id == Membership.person_id)
            .join(
                Phase,
                and_(
                    Membership.starts_on <= Phase.ends_on,
                    or_(Membership.ends_on.is_(None), Membership.ends_on >= Phase.starts_on),
                    or_(Group.phase_id.is_(None), Group.phase_id == Phase.id),
                ),
            )
            .where(Group.kind.in_(TAKING_PART), Group.active.is_(True))
        )

    async def collect(self, db: AsyncSession, context: Context) -> Finding:
        stmt = (
            self._memberships()
            .with_only_columns(Person.municipality_id, Phase.id, func.count(distinct(Person.id)))
            .where(Person.municipality_id.is_not(None))
            .group_by(Person.municipality_id, Phase.id)
        )
        figures = table((await db.execute(stmt)).all(), ["members"])
        gaps = below_target(
            context,
            figures,
            "members",
            "group_members",
            context.municipalities,
            lambda found, target: (
                "Ingen fra kommunen er med i en arbeids- eller referansegruppe."
                if found == 0
                else f"Bare {plural(found, 'person', 'personer')} i arbeids- og "
                f"referansegrupper (målet er {target})."
            ),
            self.risk_factors,
            self.key,
        )
        return Finding(figures, gaps)

    async def items(
        self, db: AsyncSession, context: Context, municipality_id: int | None, phase: PhaseSpan
    ) -> list[Item]:
        if municipality_id is None:
            return []
        stmt = self._memberships().where(
            Phase.id == phase.id, Person.municipality_id == municipality_id
        )
        rows = (await db.scalars(stmt.order_by(Group.name, Person.name))).unique()
        return [
            Item(
                f"{m.person.name} ({m.role.label}) i {m.group.name}",
                m.starts_on,
                f"/admin/groups/{m.group_id}",
                f"til {date_no(m.ends_on)}" if m.ends_on else "",
            )
            for m in rows
        ]


class MeetingSource:
    key = "moter"
    title = "Møter holdt og oppmøte"
    figures = {
        "meetings": "møter med oppmøte fra kommunen",
        "attended": "deltakelser",
        "invited": "invitasjoner",
    }
    risk_factors = (1, 3)
    targets = (
        Target(
            "meetings_attended", "Minste antall møter med oppmøte per kommune og fase", 1, "møter"
        ),
    )

    def _held(self, context: Context) -> Any:
        return (
            select(
                Person.municipality_id.label("municipality_id"),
                func.coalesce(Meeting.phase_id, context.phase_of_moment(Meeting.starts_at)).label(
                    "phase_id"
                ),
                Meeting.id.label("meeting_id"),
                Invitation.id.label("invitation_id"),
                Invitation.attended.label("attended"),
            )
            .select_from(Invitation)
            .join(Meeting, Meeting.id == Invitation.meeting_id)
            .join(Person, Person.id == Invitation.person_id)
            .where(
                Meeting.cancelled_at.is_(None),
                Meeting.ends_at < context.now,
                Invitation.removed_at.is_(None),
            )
        )

    async def collect(self, db: AsyncSession, context: Context) -> Finding:
        # Counted per meeting and municipality first, so the phase is worked out per meeting.
        per_meeting = (
            select(
                Invitation.meeting_id.label("meeting_id"),
                Person.municipality_id.label("municipality_id"),
                func.count(Invitation.id).label("invited"),
                func.sum(case((Invitation.attended.is_(True), 1), else_=0)).label("came"),
            )
            .join(Person, Person.id == Invitation.person_id)
            .where(Invitation.removed_at.is_(None), Person.municipality_id.is_not(None))
            .group_by(Invitation.meeting_id, Person.municipality_id)
            .subquery()
        )
        held = (
            select(
                per_meeting.c.municipality_id,
                func.coalesce(Meeting.phase_id, context.phase_of_moment(Meeting.starts_at)).label(
                    "phase_id"
                ),
                per_meeting.c.invited,
                per_meeting.c.came,
            )
            .join(Meeting, Meeting.id == per_meeting.c.meeting_id)
            .where(Meeting.cancelled_at.is_(None), Meeting.ends_at < context.now)
            .subquery()
        )
        # Grouped outside: PostgreSQL would not match the phase expression's parameters twice.
        stmt = select(
            held.c.municipality_id,
            held.c.phase_id,
            func.count(case((held.c.came > 0, 1))),
            func.sum(held.c.came),
            func.sum(held.c.invited),
        ).group_by(held.c.municipality_id, held.c.phase_id)
        figures = table((await db.execute(stmt)).all(), list(self.figures))
        gaps = below_target(
            context,
            figures,
            "meetings",
            "meetings_attended",
            context.municipalities,
            lambda found, target: (
                "Ingen fra kommunen har vært på et møte i fasen."
                if found == 0
                else f"Oppmøte på bare {plural(found, 'møte', 'møter')} (målet er {target})."
            ),
            self.risk_factors,
            self.key,
        )
        return Finding(figures, gaps)

    async def items(
        self, db: AsyncSession, context: Context, municipality_id: int | None, phase: PhaseSpan
    ) -> list[Item]:
        if municipality_id is None:
            return []
        held = self._held(context).where(Person.municipality_id == municipality_id).subquery()
        came = held.c.attended.is_(True)
        stmt = (
            select(
                Meeting.id,
                Meeting.title,
                Meeting.starts_at,
                func.count(case((came, held.c.invitation_id))),
                func.count(held.c.invitation_id),
            )
            .join(held, held.c.meeting_id == Meeting.id)
            .where(held.c.phase_id == phase.id)
            .group_by(Meeting.id, Meeting.title, Meeting.starts_at)
            .order_by(Meeting.starts_at)
        )
        return [
            Item(
                title,
                starts_at.date(),
                f"/admin/meetings/{meeting_id}",
                f"{came_} av {invited} møtte",
            )
            for meeting_id, title, starts_at, came_, invited in await db.execute(stmt)
        ]


class InputSource:
    key = "innspill"
    title = "Innspill og oppfølging"
    figures = {
        "received": "innspill",
        "followed_up": "fulgt opp",
        "taken_in": "tatt inn",
        "overdue": "ikke fulgt opp i tide",
    }
    risk_factors = (1,)
    targets = (
        Target("input_follow_up_days", "Dager et innspill kan vente på oppfølging", 30, "dager"),
    )

    def _phase(self, context: Context) -> Any:
        return func.coalesce(Input.phase_id, context.phase_of_day(Input.received_on))

    async def collect(self, db: AsyncSession, context: Context) -> Finding:
        due = context.today - timedelta(days=context.targets["input_follow_up_days"])
        waiting = Input.status == FollowUp.RECEIVED
        inner = (
            select(
                Input.municipality_id.label("municipality_id"),
                self._phase(context).label("phase_id"),
                Input.id.label("id"),
                case((waiting, 0), else_=1).label("followed_up"),
                case((Input.status == FollowUp.TAKEN_IN, 1), else_=0).label("taken_in"),
                case((and_(waiting, Input.received_on <= due), 1), else_=0).label("overdue"),
            )
            .where(Input.active.is_(True))
            .subquery()
        )
        stmt = select(
            inner.c.municipality_id,
            inner.c.phase_id,
            func.count(inner.c.id),
            func.sum(inner.c.followed_up),
            func.sum(inner.c.taken_in),
            func.sum(inner.c.overdue),
        ).group_by(inner.c.municipality_id, inner.c.phase_id)
        figures = table((await db.execute(stmt)).all(), list(self.figures))
        days = context.targets["input_follow_up_days"]
        gaps = above_zero(
            figures,
            "overdue",
            "input_follow_up_days",
            lambda n: f"{plural(n, 'innspill', 'innspill')} er ikke fulgt opp etter {days} dager.",
            self.risk_factors,
            self.key,
        )
        return Finding(figures, gaps)

    async def items(
        self, db: AsyncSession, context: Context, municipality_id: int | None, phase: PhaseSpan
    ) -> list[Item]:
        where = (
            Input.municipality_id.is_(None)
            if municipality_id is None
            else Input.municipality_id == municipality_id
        )
        rows = await db.scalars(
            select(Input)
            .where(Input.active.is_(True), where, self._phase(context) == phase.id)
            .order_by(Input.received_on, Input.id)
        )
        return [
            Item(i.text, i.received_on, f"/admin/inputs/{i.id}", i.status.label)
            for i in rows.unique()
        ]
