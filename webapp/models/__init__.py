"""Typed SQLAlchemy 2 models, one module per area; imported here so Alembic sees them all."""
from webapp.models.activities import Activity, ActivityLevel, ActivityReport, ActivityStatus
from webapp.models.answers import Answer, AnswerState, Submission
from webapp.models.audit import AuditEvent
from webapp.models.mail import MailKind, MailState, OutboxMessage, PersonalLink
from webapp.models.org import Organisation, OrganisationKind
from webapp.models.people import AppSetting, SubGoalAssignment
from webapp.models.plan import ActionPlan, ActivityArea, FocusArea, SubGoal
from webapp.models.questionnaire import STATUS_OPTIONS, Question, Questionnaire, QuestionType
from webapp.models.reports import ReportFile, ReportJob, ReportJobState, ReportPhase, ReportTemplate
from webapp.models.review import AnswerRevision, ReviewerAssignment
from webapp.models.rounds import (
    AssignmentMode,
    Round,
    RoundRecipient,
    RoundSection,
    RoundStatus,
    RoundSubGoal,
)
from webapp.models.users import (
    AccountToken,
    RecoveryCode,
    Role,
    TokenPurpose,
    User,
    UserSession,
    user_organisations,
)

__all__ = [
    "AccountToken", "AppSetting", "SubGoalAssignment", "TokenPurpose", "ActionPlan", "Activity",
    "ActivityArea", "Question", "Questionnaire", "QuestionType", "STATUS_OPTIONS", "ActivityLevel",
    "ActivityReport", "ActivityStatus", "Answer", "AssignmentMode", "AnswerRevision",
    "ReviewerAssignment", "AnswerState", "AuditEvent", "FocusArea", "MailKind", "MailState",
    "OutboxMessage", "PersonalLink", "Organisation", "OrganisationKind", "ReportFile", "ReportJob",
    "ReportJobState", "ReportPhase", "ReportTemplate", "RoundSection", "Role", "RecoveryCode",
    "Round", "RoundRecipient", "RoundStatus", "RoundSubGoal", "SubGoal", "Submission", "User",
    "UserSession", "user_organisations",
]
