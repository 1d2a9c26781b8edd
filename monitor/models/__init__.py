"""SQLAlchemy models, one module per aggregate."""
from .audit import AuditRecord, RowDigest
from .catalog import (
    CalendarOverride, Document, MrpRate, RefusalGround, Service, ServiceVersion, VersionDocument,
)
from .complaints import COMPLAINT_KINDS, Complaint
from .conclusions import CorrectionRequest, Finding, IndicatorSnapshot, JobRun
from .desk import ACTIONS, Case, Visit
from .escalations import Escalation
from .people import ROLES, Office, RelativeDeclaration, User
from .receipts import ReceiptCode

__all__ = [
    "ACTIONS", "AuditRecord", "COMPLAINT_KINDS", "CalendarOverride", "Case", "Complaint", "CorrectionRequest",
    "Document", "Escalation", "Finding", "IndicatorSnapshot", "JobRun", "MrpRate", "Office", "ROLES", "RefusalGround",
    "ReceiptCode", "RelativeDeclaration", "RowDigest", "Service", "ServiceVersion", "User", "VersionDocument", "Visit",
]
