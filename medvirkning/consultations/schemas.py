from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec
from msgspec import UNSET, UnsetType

from medvirkning.consultations.models import Answer, ConsultationKind, ProtocolStatus
from medvirkning.meetings.schemas import DocumentCreate
from medvirkning.schema import (
    SINGLE_LINE,
    Id,
    LongName,
    LongText,
    Ref,
    RequiredText,
    Struct,
    Version,
)

DecisionRef = Annotated[str, msgspec.Meta(max_length=200, pattern=SINGLE_LINE)]


class UnionPart(Struct):
    """A union taking part: who came for it, its position and its protocol addition."""

    union_id: Id
    participants: LongText = ""
    position: LongText = ""
    addition: LongText = ""


class ConsultationCreate(Struct):
    matter: LongName
    kind: ConsultationKind
    # None: the regional level, through KDU.
    municipality_id: Id | None = None
    phase_id: Id | None = None
    milestone_id: Id | None = None
    decision_ref: DecisionRef = ""
    meeting_id: Id | None = None
    employer_participants: LongText = ""
    unions: list[UnionPart] = []
    agreed: bool | None = None
    documents: list[DocumentCreate] = []


class ConsultationUpdate(Struct):
    matter: LongName | UnsetType = UNSET
    kind: ConsultationKind | UnsetType = UNSET
    phase_id: Id | UnsetType | None = UNSET
    milestone_id: Id | UnsetType | None = UNSET
    decision_ref: DecisionRef | UnsetType = UNSET
    meeting_id: Id | UnsetType | None = UNSET
    employer_participants: LongText | UnsetType = UNSET
    unions: list[UnionPart] | UnsetType = UNSET
    agreed: bool | UnsetType | None = UNSET
    version: Version | UnsetType = UNSET


class ProtocolEdit(Struct):
    text: LongText
    # A sent or confirmed protocol is not changed: a correction makes a new version.
    correction: bool = False


class ProtocolAnswerCreate(Struct):
    answer: Answer
    reason: LongText = ""
    # Which party answers: a union the user represents, or none for the employer side.
    union_id: Id | None = None


class CommentCreate(Struct):
    text: RequiredText


class DocumentRead(msgspec.Struct, frozen=True):
    id: int
    title: str
    url: str
    sent_at: datetime | None


class UnionPartRead(msgspec.Struct, frozen=True):
    union: Ref
    participants: str
    position: str
    addition: str
    answer: Answer | None  # on the newest protocol version
    reason: str


class ProtocolRead(msgspec.Struct, frozen=True):
    number: int
    text: str
    status: ProtocolStatus
    sent_at: datetime | None
    locked_at: datetime | None
    employer_answer: Answer | None


class CommentRead(msgspec.Struct, frozen=True):
    author: str
    text: str
    at: datetime


class ConsultationRead(msgspec.Struct, frozen=True):
    id: int
    version: str
    matter: str
    kind: ConsultationKind
    municipality: Ref | None
    level: str
    phase: Ref | None
    milestone: Ref | None
    decision_ref: str
    meeting: Ref | None
    meeting_starts_at: datetime | None
    employer_participants: str
    agreed: bool | None
    documents: list[DocumentRead]
    unions: list[UnionPartRead]
    protocols: list[ProtocolRead]
    comments: list[CommentRead]
    notice_working_days: int | None
    short_notice: bool
    log_head: str | None


class VerdictRead(msgspec.Struct, frozen=True):
    ok: bool
    entries: int
    head: str | None
    broken: int | None
    reason: str
    message: str
