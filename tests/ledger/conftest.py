"""The ledger's tests reuse the refunds' and the payouts' fixtures."""
from tests.refunds.conftest import refund_request  # noqa: F401
from tests.remittance.conftest import approved_refund, payout_worker, top_up  # noqa: F401
