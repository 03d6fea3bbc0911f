"""Every table, imported in one place so Alembic and the seed see the whole schema."""

from medvirkning.db import Base
from medvirkning.people.models import Group, Membership, Person
from medvirkning.plan.models import Milestone, Phase, RiskFactor
from medvirkning.region.models import Municipality, Organisation
from medvirkning.seed import SeedRecord

metadata = Base.metadata

__all__ = [
    "Group",
    "Membership",
    "Milestone",
    "Municipality",
    "Organisation",
    "Person",
    "Phase",
    "RiskFactor",
    "SeedRecord",
    "metadata",
]
