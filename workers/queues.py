"""Queue names: `high` (payments, payouts), `default`, `low` (reports, cleanup)."""
from app.extensions import QUEUE_NAMES

HIGH, DEFAULT, LOW = QUEUE_NAMES
