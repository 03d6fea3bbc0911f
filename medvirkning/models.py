"""Every table, imported in one place so Alembic and the seed see the whole schema."""

from medvirkning.audit import AuditEvent
from medvirkning.auth.models import ApiToken, RoleGrant, SignInAttempt, SignInLink, UserSession
from medvirkning.db import Base
from medvirkning.mail.models import OutboxMessage
from medvirkning.meetings.models import (
    CalendarFeed,
    Invitation,
    Meeting,
    MeetingDocument,
    MeetingPoint,
    meeting_group,
)
from medvirkning.people.models import Group, Membership, Person
from medvirkning.plan.models import Milestone, Phase, RiskFactor
from medvirkning.region.models import Municipality, Organisation
from medvirkning.seed import SeedRecord
from medvirkning.surveys.models import Survey, SurveyAnswer, SurveyVersion
from medvirkning.surveys.respondents import (
    SurveyAnswered,
    SurveyDraft,
    SurveyLink,
    SurveyOpenLink,
    SurveyRecipient,
)

metadata = Base.metadata

__all__ = [
    "ApiToken",
    "AuditEvent",
    "CalendarFeed",
    "Group",
    "Invitation",
    "Meeting",
    "MeetingDocument",
    "MeetingPoint",
    "Membership",
    "Milestone",
    "Municipality",
    "Organisation",
    "OutboxMessage",
    "Person",
    "Phase",
    "RiskFactor",
    "RoleGrant",
    "SeedRecord",
    "SignInAttempt",
    "SignInLink",
    "Survey",
    "SurveyAnswer",
    "SurveyAnswered",
    "SurveyDraft",
    "SurveyLink",
    "SurveyOpenLink",
    "SurveyRecipient",
    "SurveyVersion",
    "UserSession",
    "meeting_group",
    "metadata",
]
