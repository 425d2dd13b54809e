"""Audit-log job: the nightly check of the hash chain."""
from app.auditlog import chain
from workers import job


@job
def verify_audit_chain() -> dict:
    """Daily: walk the audit log's hash chain, store the outcome (a checkpoint when intact) and, on a
    new break, raise the CRITICAL alert and the back-office banner (app.auditlog.chain). Changes no
    audit row. Safe to run twice: the second run stores the same outcome again."""
    report = chain.run_verification()
    return {"alarming": report.alarming, "rows": report.row_count, "last_id": report.last_id,
            "problems": report.problem_count, "new_problems": len(report.new_problems),
            "first": chain.describe(report.first) if report.first else None}
