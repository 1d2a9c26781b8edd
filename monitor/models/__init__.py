"""SQLAlchemy models, one module per aggregate."""
from .audit import AuditRecord, RowDigest
from .catalog import (
    CalendarOverride,
    Document,
    MrpRate,
    RefusalGround,
    Service,
    ServiceVersion,
    VersionDocument,
)
from .cells import (
    FindingBacklog,
    IndicatorCell,
    IndicatorFindingCell,
    IndicatorScopeValue,
    IndicatorValue,
    IndicatorWeek,
    StaleIndicatorWeeks,
)
from .complaints import COMPLAINT_KINDS, Complaint, ComplaintLanguage
from .conclusions import CorrectionRequest, Finding, IndicatorSnapshot, JobRun
from .desk import ACTIONS, Case, Visit
from .escalations import Escalation
from .mail import MAIL_STATUSES, OutgoingMail
from .people import ROLES, Office, RelativeDeclaration, User
from .receipts import ReceiptCode
from .stewardship import CatalogDraft, DraftDecision, ErrorReport
from .witness import VERDICTS, ApplicantFinding, VisitAnswer

__all__ = [
    "ACTIONS", "ApplicantFinding", "AuditRecord", "CatalogDraft", "DraftDecision", "ErrorReport",
    "COMPLAINT_KINDS", "CalendarOverride", "Case", "Complaint", "ComplaintLanguage",
    "CorrectionRequest", "Document", "Escalation", "Finding", "FindingBacklog", "IndicatorCell", "IndicatorFindingCell",
    "IndicatorScopeValue",
    "IndicatorSnapshot", "IndicatorValue", "IndicatorWeek", "JobRun", "MAIL_STATUSES", "MrpRate", "Office",
    "OutgoingMail", "ROLES", "ReceiptCode", "RefusalGround", "RelativeDeclaration", "RowDigest", "Service",
    "ServiceVersion", "StaleIndicatorWeeks", "User", "VERDICTS", "VersionDocument", "Visit", "VisitAnswer",
]
