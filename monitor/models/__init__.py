"""SQLAlchemy models, one module per aggregate."""
from .audit import AuditRecord
from .catalog import (
    CalendarOverride, Document, MrpRate, RefusalGround, Service, ServiceVersion, VersionDocument,
)
from .complaints import COMPLAINT_KINDS, Complaint
from .conclusions import Finding, IndicatorSnapshot, JobRun
from .desk import ACTIONS, Case, Visit
from .people import ROLES, Office, RelativeDeclaration, User

__all__ = [
    "ACTIONS", "AuditRecord", "COMPLAINT_KINDS", "CalendarOverride", "Case", "Complaint",
    "Document", "Finding", "IndicatorSnapshot", "JobRun", "MrpRate", "Office", "ROLES", "RefusalGround",
    "RelativeDeclaration", "Service", "ServiceVersion", "User", "VersionDocument", "Visit",
]
