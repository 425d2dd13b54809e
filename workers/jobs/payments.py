"""Payment jobs."""
from app.payments import services
from workers import job


@job
def settle_pending_card_payments() -> int:
    """Every minute: ask the gateway about card payments left pending by a timeout."""
    return services.settle_pending_card_payments()
