"""Status page jobs: thin wrappers around app.status.static."""
from app.status.static import publish_site
from workers import job


@job
def refresh_static_status_site() -> dict:
    """Every 5 minutes: render the static status site again, so planned maintenance shows as under way
    when its time comes and the page's "generated at" time stays fresh. Safe twice (same pages)."""
    return {"files": len(publish_site())}
