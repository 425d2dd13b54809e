"""Booking jobs: ending holds that were never paid."""
from app.booking import services
from workers import job


@job
def expire_holds() -> int:
    """Every minute: cancel pending card bookings past their hold, free their
    rooms once, tell the guest. Batched; safe to run twice or concurrently."""
    return services.expire_due_holds()


@job
def cancel_unpaid_bank_transfers() -> int:
    """Every 5 minutes: cancel bank-transfer bookings whose deposit did not
    arrive within their 24-hour hold. Safe to run twice or concurrently."""
    return services.cancel_unpaid_bank_transfers()
