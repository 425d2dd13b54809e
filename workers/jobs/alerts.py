"""Alerts job: the engine's minute (app.alerts.services.evaluate)."""
from app.alerts import services
from workers import job


@job
def evaluate_alerts() -> dict:
    """Every minute: open, repeat, escalate and resolve alerts. Safe to run twice and to overlap
    (each alert opens once; each message number is claimed once)."""
    return services.evaluate()
