from __future__ import annotations

from datetime import date
from typing import Annotated

import msgspec
from msgspec import UNSET, UnsetType

from medvirkning.choices import WrittenForm
from medvirkning.people.models import GroupKind, MembershipRole
from medvirkning.schema import Email, Id, LongText, Name, Ref, ShortText, Struct, Version


class PersonCreate(Struct):
    name: Name
    email: Email
    municipality_id: Id | None = None
    organisation_id: Id | None = None
    title: ShortText = ""
    union_id: Id | None = None
    language_form: WrittenForm = WrittenForm.BOKMAL


class PersonUpdate(Struct):
    name: Name | UnsetType = UNSET
    email: Email | UnsetType = UNSET
    municipality_id: Id | UnsetType | None = UNSET
    organisation_id: Id | UnsetType | None = UNSET
    title: ShortText | UnsetType = UNSET
    union_id: Id | UnsetType | None = UNSET
    language_form: WrittenForm | UnsetType = UNSET
    version: Version | UnsetType = UNSET


class PersonRead(msgspec.Struct, frozen=True):
    id: int
    name: str
    email: str
    municipality: Ref | None
    organisation: Ref | None
    title: str
    union: Ref | None
    language_form: WrittenForm
    active: bool
    version: str


class GroupCreate(Struct):
    name: Name
    kind: GroupKind
    municipality_id: Id | None = None
    phase_id: Id | None = None
    purpose: LongText = ""


class GroupUpdate(Struct):
    name: Name | UnsetType = UNSET
    kind: GroupKind | UnsetType = UNSET
    municipality_id: Id | UnsetType | None = UNSET
    phase_id: Id | UnsetType | None = UNSET
    purpose: LongText | UnsetType = UNSET
    version: Version | UnsetType = UNSET


class GroupRead(msgspec.Struct, frozen=True):
    id: int
    name: str
    kind: GroupKind
    municipality: Ref | None
    phase: Ref | None
    purpose: str
    active: bool
    version: str


class MembershipCreate(Struct):
    group_id: Id
    person_id: Id
    role: MembershipRole
    starts_on: date
    ends_on: date | None = None


class MembershipUpdate(Struct):
    role: MembershipRole | UnsetType = UNSET
    starts_on: date | UnsetType = UNSET
    ends_on: date | UnsetType | None = UNSET
    version: Version | UnsetType = UNSET


class MembershipRead(msgspec.Struct, frozen=True):
    id: int
    group: Ref
    person: Ref
    role: MembershipRole
    starts_on: date
    ends_on: date | None
    version: str


# At most this many people in one request (a group, not the whole region).
MANY = 5000


class MembersCreate(Struct):
    """Many people into one group at once: picked by id, pasted by address, or both."""

    person_ids: Annotated[list[Id], msgspec.Meta(max_length=MANY)] = []
    emails: Annotated[list[Email], msgspec.Meta(max_length=MANY)] = []
    role: MembershipRole = MembershipRole.MEMBER
    starts_on: date | None = None  # today in Europe/Oslo when left out


class MembersAdded(msgspec.Struct, frozen=True):
    added: list[MembershipRead]
    already_members: list[Ref]  # members of the group on that date already: not added again
