from __future__ import annotations

from datetime import date
from typing import Annotated

import msgspec
from msgspec import UNSET, UnsetType

from medvirkning.inputs.models import (
    DecisionBody,
    FollowUp,
    KnownRisk,
    LessonKind,
    Priority,
    SourceKind,
    StakeholderKind,
)
from medvirkning.schema import (
    OPTIONAL_WEB_LINK,
    SINGLE_LINE,
    Id,
    LongName,
    LongText,
    Name,
    Ref,
    RequiredText,
    Struct,
    Version,
)

Reference = Annotated[str, msgspec.Meta(max_length=300, pattern=SINGLE_LINE)]
CaseNumber = Annotated[str, msgspec.Meta(max_length=40, pattern=SINGLE_LINE)]
DocumentLink = Annotated[str, msgspec.Meta(max_length=1000, pattern=OPTIONAL_WEB_LINK)]
MunicipalityIds = Annotated[
    list[Id],
    msgspec.Meta(max_length=100, description="Kommunene vedtaket gjelder (minst én)"),
]


class ThemeCreate(Struct):
    name: Name


class ThemeUpdate(Struct):
    name: Name | UnsetType = UNSET
    version: Version | UnsetType = UNSET


class ThemeRead(msgspec.Struct, frozen=True):
    id: int
    name: str
    active: bool
    version: str


class InputCreate(Struct):
    text: RequiredText
    stakeholder_kind: StakeholderKind
    theme_id: Id
    source_kind: SourceKind
    municipality_id: Id | None = None
    group_id: Id | None = None
    phase_id: Id | None = None
    source_note: Reference = ""
    received_on: date | None = None
    status: FollowUp = FollowUp.RECEIVED
    reference: Reference = ""
    reason: LongText = ""


class InputUpdate(Struct):
    text: RequiredText | UnsetType = UNSET
    stakeholder_kind: StakeholderKind | UnsetType = UNSET
    theme_id: Id | UnsetType = UNSET
    source_kind: SourceKind | UnsetType = UNSET
    municipality_id: Id | UnsetType | None = UNSET
    group_id: Id | UnsetType | None = UNSET
    phase_id: Id | UnsetType | None = UNSET
    source_note: Reference | UnsetType = UNSET
    received_on: date | UnsetType = UNSET
    status: FollowUp | UnsetType = UNSET
    reference: Reference | UnsetType = UNSET
    reason: LongText | UnsetType = UNSET
    version: Version | UnsetType = UNSET


class InputRead(msgspec.Struct, frozen=True):
    id: int
    text: str
    stakeholder_kind: StakeholderKind
    municipality: Ref | None
    group: Ref | None
    theme: Ref
    phase: Ref | None
    source_kind: SourceKind
    meeting_point_id: int | None
    source_note: str
    received_on: date
    status: FollowUp
    reference: str
    reason: str
    active: bool
    version: str


class DecisionCreate(Struct):
    body: DecisionBody
    decided_on: date
    title: LongName
    municipality_ids: MunicipalityIds
    case_number: CaseNumber = ""
    summary: LongText = ""
    document_url: DocumentLink = ""


class DecisionUpdate(Struct):
    body: DecisionBody | UnsetType = UNSET
    decided_on: date | UnsetType = UNSET
    title: LongName | UnsetType = UNSET
    case_number: CaseNumber | UnsetType = UNSET
    summary: LongText | UnsetType = UNSET
    municipality_ids: MunicipalityIds | UnsetType = UNSET
    document_url: DocumentLink | UnsetType = UNSET
    version: Version | UnsetType = UNSET


class DecisionRead(msgspec.Struct, frozen=True):
    id: int
    body: DecisionBody
    decided_on: date
    case_number: str
    title: str
    summary: str
    municipality_ids: list[int]
    municipalities: list[Ref]
    document_url: str
    active: bool
    version: str


class LearningPointCreate(Struct):
    kind: LessonKind
    what_happened: RequiredText
    phase_id: Id
    cause: LongText = ""
    effect: LongText = ""
    warning_signs: LongText = ""
    known_risk: KnownRisk = KnownRisk.NO
    recommendation: LongText = ""
    risk_factor_id: Id | None = None
    priority: Priority = Priority.MEDIUM
    recorded_on: date | None = None


class LearningPointUpdate(Struct):
    kind: LessonKind | UnsetType = UNSET
    what_happened: RequiredText | UnsetType = UNSET
    phase_id: Id | UnsetType = UNSET
    cause: LongText | UnsetType = UNSET
    effect: LongText | UnsetType = UNSET
    warning_signs: LongText | UnsetType = UNSET
    known_risk: KnownRisk | UnsetType = UNSET
    recommendation: LongText | UnsetType = UNSET
    risk_factor_id: Id | UnsetType | None = UNSET
    priority: Priority | UnsetType = UNSET
    recorded_on: date | UnsetType = UNSET
    version: Version | UnsetType = UNSET


class LearningPointRead(msgspec.Struct, frozen=True):
    id: int
    kind: LessonKind
    what_happened: str
    cause: str
    effect: str
    warning_signs: str
    known_risk: KnownRisk
    recommendation: str
    phase: Ref
    risk_factor_id: int | None
    priority: Priority
    recorded_on: date
    recorded_by: Ref | None
    active: bool
    version: str
