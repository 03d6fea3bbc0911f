from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

import msgspec
from msgspec import UNSET, UnsetType

from medvirkning.meetings.models import Answer
from medvirkning.schema import (
    OPTIONAL_WEB_LINK,
    WEB_LINK,
    Email,
    Id,
    LongName,
    LongText,
    Ref,
    RequiredText,
    Struct,
)

Place = Annotated[str, msgspec.Meta(max_length=300)]
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
    # A series: the same meeting every week or every other week, until a date.
    repeat_every_weeks: Literal[1, 2] | None = None
    repeat_until: date | None = None


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
    raised_by: Annotated[str, msgspec.Meta(max_length=200)] = ""


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
