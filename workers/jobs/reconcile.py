"""Reconciliation jobs: thin wrappers (a source in, a service call) — the service re-checks everything."""
from app.reconcile import services
from workers import job


@job
def reconcile_gateway() -> dict:
    """06:00 KST: yesterday's card payments against the gateway's settlement file (fetched first), and the
    day before again while it has open items. Safe to run twice: the same differences give the same items."""
    return services.reconcile_scheduled("gateway")


@job
def reconcile_payouts() -> dict:
    """06:30 KST: yesterday's payouts, returns and fees against the bank statement. Safe to run twice."""
    return services.reconcile_scheduled("payouts")


@job
def reconcile_settlement() -> dict:
    """07:00 KST: the gateway's payment to us and yesterday's bank deposits. Safe to run twice."""
    return services.reconcile_scheduled("settlement")
