from __future__ import annotations

from datetime import date
from typing import Annotated

import msgspec
from msgspec import UNSET, UnsetType

from medvirkning.schema import Id, LongName, LongText, Ref, RequiredText, Struct, Version

Number = Annotated[int, msgspec.Meta(ge=1, le=99)]


class PhaseCreate(Struct):
    number: Number
    name: LongName
    starts_on: date
    ends_on: date
    goal: LongText = ""


class PhaseUpdate(Struct):
    number: Number | UnsetType = UNSET
    name: LongName | UnsetType = UNSET
    starts_on: date | UnsetType = UNSET
    ends_on: date | UnsetType = UNSET
    goal: LongText | UnsetType = UNSET
    version: Version | UnsetType = UNSET


class PhaseRead(msgspec.Struct, frozen=True):
    id: int
    number: int
    name: str
    goal: str
    starts_on: date
    ends_on: date
    active: bool
    version: str


class MilestoneCreate(Struct):
    phase_id: Id
    name: LongName
    due_on: date
    description: LongText = ""


class MilestoneUpdate(Struct):
    phase_id: Id | UnsetType = UNSET
    name: LongName | UnsetType = UNSET
    due_on: date | UnsetType = UNSET
    description: LongText | UnsetType = UNSET
    version: Version | UnsetType = UNSET


class MilestoneRead(msgspec.Struct, frozen=True):
    id: int
    phase: Ref
    name: str
    due_on: date
    description: str
    active: bool
    version: str


class RiskFactorCreate(Struct):
    number: Number
    risk: RequiredText
    follow_up: RequiredText


class RiskFactorUpdate(Struct):
    number: Number | UnsetType = UNSET
    risk: RequiredText | UnsetType = UNSET
    follow_up: RequiredText | UnsetType = UNSET
    version: Version | UnsetType = UNSET


class RiskFactorRead(msgspec.Struct, frozen=True):
    id: int
    number: int
    risk: str
    follow_up: str
    active: bool
    version: str
