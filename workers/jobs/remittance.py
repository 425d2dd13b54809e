"""Payout jobs: thin wrappers (ids in, a service call) — the services do the re-checks."""
from app.remittance import services, sweep
from workers import job


@job
def run_payout_attempt(payout_id: int, number: int) -> str:
    """One attempt of a payout (job id `remittance-attempt-<payout>-<n>`). Safe to run twice
    and after a killed worker: it reads the database and asks the bank before any send."""
    return services.run_payout_attempt(payout_id, number)


@job
def sweep_payouts() -> dict:
    """Every minute: ring due attempts, resume held payouts, queue delay notices. Safe to run twice."""
    return sweep.sweep_payouts()
