"""Database reads and writes, one module per aggregate: visits and cases, findings, the
catalog, the calendar overrides, the audit trail and its row digests, a week's rows.

Stores add and flush; they never commit: the request or command that started the work
commits once (see monitor/services)."""
