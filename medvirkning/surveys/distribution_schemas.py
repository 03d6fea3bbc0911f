"""The shapes of a survey's distribution at the edge: audience, schedule, open links, rates."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec

from medvirkning.people.models import MembershipRole
from medvirkning.schema import Email, Id, Struct

# A list pasted or uploaded: a large municipality's whole staff fits.
MAX_AUDIENCE_LIST = 10_000


class AudienceCreate(Struct):
    """Who is asked: everyone in these municipalities, these groups' members, the holders of
    these roles in any group, and the listed addresses (people not registered count in
    `list_municipality_id`, or in no municipality)."""

    municipality_ids: list[Id] = []
    group_ids: list[Id] = []
    roles: list[MembershipRole] = []
    emails: Annotated[list[Email], msgspec.Meta(max_length=MAX_AUDIENCE_LIST)] = []
    list_municipality_id: Id | None = None


class AudienceAdded(msgspec.Struct):
    added: int
    already: int


class ScheduleUpdate(Struct):
    opens_at: datetime | None = None
    closes_at: datetime | None = None


class OpenLinkCreate(Struct):
    municipality_id: Id | None = None
    limit_per_hour: Annotated[int, msgspec.Meta(ge=1, le=100_000)] = 60


class OpenLinkRead(msgspec.Struct):
    id: int
    url: str
    municipality: str | None
    limit_per_hour: int


class LettersSent(msgspec.Struct):
    sent: int


class MunicipalityRate(msgspec.Struct):
    """One municipality's response rate; the counts are None where the group is hidden."""

    municipality: str
    invited: int
    answered: int | None
    percent: int | None
    hidden: bool


class ResponseRates(msgspec.Struct):
    threshold: int
    invited: int
    answered: int | None
    percent: int | None
    municipalities: list[MunicipalityRate]
