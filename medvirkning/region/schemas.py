from __future__ import annotations

from typing import Annotated

import msgspec
from msgspec import UNSET, UnsetType

from medvirkning.choices import LanguageForm
from medvirkning.region.models import OrganisationKind
from medvirkning.schema import MUNICIPALITY_NUMBER, SINGLE_LINE, Id, Name, Ref, Struct, Version

Number = Annotated[str, msgspec.Meta(pattern=MUNICIPALITY_NUMBER, description="Kommunenummer")]
ShortName = Annotated[str, msgspec.Meta(max_length=40, pattern=SINGLE_LINE)]


class MunicipalityCreate(Struct):
    number: Number
    name: Name
    language_form: LanguageForm


class MunicipalityUpdate(Struct):
    number: Number | UnsetType = UNSET
    name: Name | UnsetType = UNSET
    language_form: LanguageForm | UnsetType = UNSET
    version: Version | UnsetType = UNSET


class MunicipalityRead(msgspec.Struct, frozen=True):
    id: int
    number: str
    name: str
    language_form: LanguageForm
    active: bool
    version: str


class OrganisationCreate(Struct):
    name: Name
    kind: OrganisationKind
    short_name: ShortName = ""
    parent_id: Id | None = None


class OrganisationUpdate(Struct):
    name: Name | UnsetType = UNSET
    kind: OrganisationKind | UnsetType = UNSET
    short_name: ShortName | UnsetType = UNSET
    parent_id: Id | UnsetType | None = UNSET
    version: Version | UnsetType = UNSET


class OrganisationRead(msgspec.Struct, frozen=True):
    id: int
    name: str
    short_name: str
    kind: OrganisationKind
    parent: Ref | None
    active: bool
    version: str
