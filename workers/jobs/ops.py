"""Back-office housekeeping jobs (thin: call the service)."""
from app.ops import services
from workers import job


@job
def clean_up_old_conflicts() -> int:
    """Daily (04:30 KST): anonymise resolved/dismissed conflicts past CONFLICT_RETENTION_DAYS. Safe to run twice."""
    return services.clean_up_old_conflicts()
