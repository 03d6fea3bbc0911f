from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

import msgspec
from msgspec import UNSET, UnsetType

from medvirkning.meetings.models import Answer
from medvirkning.people.models import GroupKind
from medvirkning.schema import (
    OPTIONAL_WEB_LINK,
    SINGLE_LINE,
    WEB_LINK,
    Email,
    Id,
    LongName,
    LongText,
    Ref,
    RequiredText,
    Struct,
    Version,
)

Place = Annotated[str, msgspec.Meta(max_length=300, pattern=SINGLE_LINE)]
Link = Annotated[str, msgspec.Meta(max_length=500, pattern=OPTIONAL_WEB_LINK)]


class DocumentCreate(Struct):
    title: LongName
    url: Annotated[str, msgspec.Meta(max_length=1000, pattern=WEB_LINK)]


class MeetingCreate(Struct):
    title: LongName
    starts_at: datetime
    ends_at: datetime
    group_ids: list[Id] = []
    invitee_emails: list[Email] = []
    agenda: LongText = ""
    place: Place = ""
    video_link: Link = ""
    phase_id: Id | None = None
    milestone_id: Id | None = None
    documents: list[DocumentCreate] = []
    # A series: weekly, every other week, or monthly on the same weekday ("the third
    # Wednesday") or date; until a date or for a count. `repeat_every_weeks` is the older
    # spelling of weekly (1) and biweekly (2).
    repeat: Literal["weekly", "biweekly", "monthly_weekday", "monthly_date"] | None = None
    repeat_every_weeks: Literal[1, 2] | None = None
    repeat_until: date | None = None
    repeat_count: Annotated[int, msgspec.Meta(ge=2, le=110)] | None = None
    # Every active group of these kinds, e.g. all reference groups.
    group_kinds: list[GroupKind] = []


class MeetingUpdate(Struct):
    title: LongName | UnsetType = UNSET
    starts_at: datetime | UnsetType = UNSET
    ends_at: datetime | UnsetType = UNSET
    agenda: LongText | UnsetType = UNSET
    place: Place | UnsetType = UNSET
    video_link: Link | UnsetType = UNSET
    phase_id: Id | UnsetType | None = UNSET
    milestone_id: Id | UnsetType | None = UNSET
    documents: list[DocumentCreate] | UnsetType = UNSET
    # In a series: change this meeting only, or this and every later one.
    all_to_come: bool = False
    # The version the change was made from: refused if someone saved the meeting since.
    version: Version | UnsetType = UNSET


class InviteesCreate(Struct):
    emails: list[Email]


class AnswerUpdate(Struct):
    answer: Answer


class AttendanceUpdate(Struct):
    attended_person_ids: list[Id]


class MinutesUpdate(Struct):
    minutes: LongText


class PointCreate(Struct):
    text: RequiredText
    raised_by: Annotated[str, msgspec.Meta(max_length=200, pattern=SINGLE_LINE)] = ""


class InvitationRead(msgspec.Struct, frozen=True):
    id: int
    person: Ref
    email: str
    answer: Answer
    answered_at: datetime | None
    attended: bool | None
    removed: bool


class DocumentRead(msgspec.Struct, frozen=True):
    title: str
    url: str
    sent_at: datetime | None


class PointRead(msgspec.Struct, frozen=True):
    id: int
    text: str
    raised_by: str
    input_id: int | None


class MeetingRead(msgspec.Struct, frozen=True):
    id: int
    version: str
    uid: str
    sequence: int
    series_uid: str | None
    recurrence_id: datetime | None
    title: str
    agenda: str
    starts_at: datetime
    ends_at: datetime
    place: str
    video_link: str
    groups: list[Ref]
    phase: Ref | None
    milestone: Ref | None
    cancelled: bool
    minutes: str
    documents: list[DocumentRead]
    invitations: list[InvitationRead]
    points: list[PointRead]


class MyMeetingRead(msgspec.Struct, frozen=True):
    """A member's view: the meeting with only their own invitation."""

    invitation_id: int
    answer: Answer
    meeting: MeetingRead


class FeedRead(msgspec.Struct, frozen=True):
    url: str
