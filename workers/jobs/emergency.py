"""The server-down pages (thin: call the publisher)."""
from app.emergency.services import republish
from workers import job


@job
def publish_server_down_pages() -> list[str]:
    """Hourly: write server-down.ko.html / .en.html next to the status page, so a fresh deploy or an
    emptied directory has them within the hour even when the contact list did not change. Safe to run twice."""
    return republish()
