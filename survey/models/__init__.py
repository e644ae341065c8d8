"""The survey's data: vendors, questionnaire versions, campaigns, organisations, responses.

One module per noun. Every public name is re-exported here, so that `from survey.models
import X` and the migrations' references (e.g. `survey.models.default_reminder_offsets`)
keep working.
"""

from __future__ import annotations

from survey.models.accounts import User, UserManager
from survey.models.audit import AuditEvent, AuditEventQuerySet
from survey.models.campaigns import Campaign, ScoringVersion, default_reminder_offsets
from survey.models.exports import ExportJob
from survey.models.organisations import (
    CAGE_LIST_RE,
    CAGE_RE,
    UEI_RE,
    Invitation,
    Membership,
    Organisation,
    validate_cage_list,
    validate_uei,
)
from survey.models.programs import Contract, IntermediaryAlias
from survey.models.questionnaires import (
    QuestionnaireVersion,
    QuestionnaireVersionManager,
    Vendor,
    canonical_json,
)
from survey.models.records import Attachment, Submission
from survey.models.responses import Incomplete, Refused, Response, ResponseQuerySet
from survey.models.review import ReminderSent, ReviewComment, ReviewWorkflow
from survey.models.uses import USE_COLUMNS, Use

__all__ = [
    "CAGE_LIST_RE",
    "CAGE_RE",
    "UEI_RE",
    "USE_COLUMNS",
    "Attachment",
    "AuditEvent",
    "AuditEventQuerySet",
    "Campaign",
    "Contract",
    "ExportJob",
    "Incomplete",
    "IntermediaryAlias",
    "Invitation",
    "Membership",
    "Organisation",
    "QuestionnaireVersion",
    "QuestionnaireVersionManager",
    "Refused",
    "ReminderSent",
    "Response",
    "ResponseQuerySet",
    "ReviewComment",
    "ReviewWorkflow",
    "ScoringVersion",
    "Submission",
    "Use",
    "User",
    "UserManager",
    "Vendor",
    "canonical_json",
    "default_reminder_offsets",
    "validate_cage_list",
    "validate_uei",
]
