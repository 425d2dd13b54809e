"""Payment jobs."""
from app.payments import services, webhooks
from workers import job


@job
def settle_pending_card_payments() -> int:
    """Every minute: ask the gateway about card payments left pending by a timeout."""
    return services.settle_pending_card_payments()


@job
def deliver_sandbox_webhooks() -> int:
    """Every minute: post the sandbox gateway's undelivered webhooks to our own
    /v1/webhooks/gateway, as a real gateway would. Safe to run twice: a webhook
    is marked delivered once answered, and receiving one again changes nothing."""
    return webhooks.deliver_sandbox_webhooks()
