"""Alert conditions of the service levels, for the alert engine (app.alerts.rules names them by string).

- check_api_p95: the last API_P95_WINDOW of requests answered slower than 500 ms at the 95th
  percentile (seed 001 §7.1 "API 응답 지연", Appendix A "API P95 < 500ms"), once at least
  API_P95_MIN_REQUESTS requests were recorded (one slow request at night is not an incident).
- check_slo_breaches: each SLO of app.observability.slo.SLOS over the last 24 hours (with at
  least MIN_EVENTS events, the seed's failed-jobs rule excepted: one is too many) and over the
  rolling 30 days. Subject "slo:<key>", so each SLO is its own incident. The seed rates a breach
  P2 (payments, payouts, reconciliation) or P3 (response time, failed jobs); the alert table has
  one rule per level (check_slo_breaches_p2 / _p3), so a P2 breach is CRITICAL and a P3 one a WARNING.

Both read recorded data only and change nothing; running them twice is harmless.
"""
from __future__ import annotations

from datetime import timedelta

from app.alerts.firing import Firing
from app.core import clock
from app.observability import slo as slos

#: The API p95 check's window, and the fewest requests it judges.
API_P95_WINDOW = timedelta(minutes=10)
API_P95_MIN_REQUESTS = 20
#: SLO windows: the last day (a fresh breach) and the objective's own period (the budget).
SLO_WINDOWS: dict[str, timedelta] = {"24h": timedelta(hours=24), "30d": timedelta(days=30)}
#: The fewest events an SLO is judged on in a window (failed jobs: any number; one failure is a breach).
MIN_EVENTS = 20


def check_api_p95() -> list[Firing]:
    """Firing("api:p95") while the last 10 minutes' p95 is 500 ms or more (≥ 20 requests)."""
    from app.observability.models import BUCKETS_MS
    from app.observability.requests import histogram, quantile_from_buckets

    slo = slos.SLO_BY_KEY["api_p95"]
    until = clock.now()
    counts, slowest = histogram(until - API_P95_WINDOW, until, slos.API_P95_PATH_PREFIX)
    total = sum(counts)
    if total < API_P95_MIN_REQUESTS:
        return []
    p95 = quantile_from_buckets(counts, 0.95, slowest)
    if p95 is None or p95 < slo.target:
        return []
    within = sum(counts[:BUCKETS_MS.index(int(slo.target)) + 1])
    return [Firing("api:p95", {"p95_ms": round(p95), "limit_ms": int(slo.target), "requests": total,
                               "slow": total - within, "minutes": int(API_P95_WINDOW.total_seconds() // 60)})]


def _details(slo: slos.SLO, window: str, m: slos.Measurement) -> dict:
    details = {"slo": slo.key, "window": window, "severity": slo.severity, "good": m.good, "total": m.total,
               "bad": m.bad}
    if slo.kind == "ratio":
        details.update(value_percent=round(100 * (m.value or 0), 2), target_percent=round(100 * slo.target, 2))
    elif slo.kind == "p95_ms":
        details.update(p95_ms=round(m.value or 0), limit_ms=int(slo.target))
    else:
        details.update(count=int(m.value or 0))
    return details


def check_slo_breaches(severity: str | None = None) -> list[Firing]:
    """One Firing("slo:<key>") per SLO missed over the last 24 hours or the rolling 30 days
    (only the SLOs the seed rates `severity`, "P2" or "P3", when given)."""
    until = clock.now()
    firings = []
    for slo in slos.SLOS:
        if severity is not None and slo.severity != severity:
            continue
        for window, length in SLO_WINDOWS.items():
            m = slos.measure(slo.key, until - length, until)
            judged = m.total >= MIN_EVENTS or (slo.kind == "zero" and m.bad > 0)
            if judged and m.met is False:
                firings.append(Firing(f"slo:{slo.key}", _details(slo, window, m)))
                break  # the fresher window speaks for the SLO
    return firings


def check_slo_breaches_p2() -> list[Firing]:
    """The breaches the seed calls a P2 incident: payment and payout success, reconciliation match."""
    return check_slo_breaches("P2")


def check_slo_breaches_p3() -> list[Firing]:
    """The breaches the seed rates P3: response time and failed background jobs."""
    return check_slo_breaches("P3")
