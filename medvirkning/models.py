"""Every table, imported in one place so Alembic and the seed see the whole schema."""

from medvirkning.anchoring.models import AnchoringTarget
from medvirkning.audit import AuditEvent
from medvirkning.auth.models import ApiToken, RoleGrant, SignInAttempt, SignInLink, UserSession
from medvirkning.consultations.models import (
    Consultation,
    ConsultationComment,
    ConsultationDocument,
    ConsultationLogEntry,
    ConsultationUnion,
    ProtocolAnswer,
    ProtocolVersion,
)
from medvirkning.db import Base
from medvirkning.inputs.models import (
    Decision,
    DecisionMunicipality,
    Input,
    LearningPoint,
    Theme,
)
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
    "AnchoringTarget",
    "ApiToken",
    "AuditEvent",
    "CalendarFeed",
    "Consultation",
    "ConsultationComment",
    "ConsultationDocument",
    "ConsultationLogEntry",
    "ConsultationUnion",
    "Decision",
    "DecisionMunicipality",
    "Group",
    "Input",
    "Invitation",
    "LearningPoint",
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
    "ProtocolAnswer",
    "ProtocolVersion",
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
    "Theme",
    "UserSession",
    "meeting_group",
    "metadata",
]
