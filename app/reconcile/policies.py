"""Pure rules of reconciliation: seed 001 §3 as literals read by code, pages, jobs and tests.

- SOURCES: the three daily reconciliations and when each runs (seed 001 §3.1 / BATCH: PG 06:00,
  payouts 06:30, settlement 07:00, Korean time).
- MISMATCH_TYPES: seed 001 §3.3, each type's SLA, who owns it by default, what a person may do.
- ACTIONS: the resolutions a person chooses (always with a written reason) and the role each needs;
  AUTOMATIC: the resolutions a run makes by itself.
- MATCH_RATE_SLO: seed 001 appendix A, "대사 일치율 ≥ 99.9 %".

Nothing here reads the clock, the database or the settings: callers pass them.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import ROUND_DOWN, Decimal
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l

KOREA = ZoneInfo("Asia/Seoul")


class RunStatus:
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"


class ItemStatus:
    OPEN = "open"
    RESOLVED = "resolved"


#: The three reconciliations of a business date. `runs_at`: Korean time on the next day (seed 001 BATCH).
SOURCES: dict[str, dict] = {
    "gateway": {"runs_at": time(6, 0), "label": _l("Card payments (gateway)"),
                "internal": _l("Our ledger"), "external": _l("The gateway's settlement file"),
                "about": _l("Every card payment and card refund in our ledger against the gateway's daily "
                            "settlement file.")},
    "payouts": {"runs_at": time(6, 30), "label": _l("Payouts"),
                "internal": _l("Our ledger"), "external": _l("The bank statement"),
                "about": _l("Every payout, returned payout and bank fee in our ledger against the money that "
                            "left (or came back to) our account on the bank statement.")},
    "settlement": {"runs_at": time(7, 0), "label": _l("Gateway settlement and deposits"),
                   "internal": _l("What we expect"), "external": _l("The bank statement"),
                   "about": _l("The gateway's payment of the day's card money into our account, and every bank "
                               "deposit in our ledger against its line on the statement.")},
}
SOURCE_ORDER = ("gateway", "payouts", "settlement")

#: A run left RUNNING longer than this is taken to have died (seed 001 §3.2: "30분 이상 시 확인").
RUN_STALE_AFTER = timedelta(minutes=30)

AMOUNT_MISMATCH = "AMOUNT_MISMATCH"
STATUS_MISMATCH = "STATUS_MISMATCH"
GHOST_TRANSACTION = "GHOST_TRANSACTION"
TIMING_MISMATCH = "TIMING_MISMATCH"
INTERNAL_ONLY = "INTERNAL_ONLY"
EXTERNAL_ONLY = "EXTERNAL_ONLY"

#: Seed 001 §3.3, one row per type: SLA from when a run first found it, the role that owns it
#: until a person takes it, and the actions offered (the first is the recommendation).
MISMATCH_TYPES: dict[str, dict] = {
    AMOUNT_MISMATCH: {
        "sla": timedelta(hours=4), "owner_role": "staff", "severity": "warn",
        "actions": ("explained", "write_off"),
        "label": _l("The amounts differ"),
        "what": _l("Both sides have the transaction, but not for the same amount."),
        "todo": _l("Look at both amounts and find out why they differ (a partial cancel, a fee, a typing "
                   "mistake). Write down what you found; a manager writes off a difference we cannot recover."),
    },
    STATUS_MISMATCH: {
        "sla": timedelta(hours=4), "owner_role": "staff", "severity": "warn",
        "actions": ("sync_status", "explained", "write_off"),
        "label": _l("The status differs"),
        "what": _l("The other side moved the money, but our record still says it did not happen (or is "
                   "still waiting)."),
        "todo": _l("Ask the gateway or the bank what happened and bring our record up to date."),
    },
    GHOST_TRANSACTION: {
        "sla": timedelta(0), "owner_role": "manager", "severity": "bad",
        "actions": ("refund_capture", "explained", "write_off"),
        "label": _l("Unknown or double charge"),
        "what": _l("The gateway took money for an order we do not have, or took it twice for one order."),
        "todo": _l("Tell a manager now. A double charge is given back to the card; an unknown order may be "
                   "fraud and is checked with the gateway."),
    },
    TIMING_MISMATCH: {
        "sla": timedelta(hours=24), "owner_role": "staff", "severity": "info",
        "actions": ("explained",),
        "label": _l("Recorded on different days"),
        "what": _l("Both sides have the transaction, but on either side of midnight."),
        "todo": _l("Nothing to do yet: it clears by itself once the other day is reconciled (the next "
                   "morning). If it stays open, look at both days."),
    },
    INTERNAL_ONLY: {
        "sla": timedelta(hours=4), "owner_role": "staff", "severity": "warn",
        "actions": ("explained", "write_off"),
        "label": _l("Only in our records"),
        "what": _l("Our ledger says money moved, but the gateway's file or the bank statement does not show it."),
        "todo": _l("Check the gateway's or the bank's own website for this transaction, then write down "
                   "what you found."),
    },
    EXTERNAL_ONLY: {
        "sla": timedelta(0), "owner_role": "manager", "severity": "bad",
        "actions": ("explained", "write_off"),
        "label": _l("Only on the other side"),
        "what": _l("Money moved on the gateway or the bank that our records know nothing about."),
        "todo": _l("Tell a manager now: money we cannot explain may be a security problem."),
    },
}
TYPE_ORDER = (GHOST_TRANSACTION, EXTERNAL_ONLY, AMOUNT_MISMATCH, STATUS_MISMATCH, INTERNAL_ONLY, TIMING_MISMATCH)

#: What a person may do with an open item. Every action needs a written reason.
ACTIONS: dict[str, dict] = {
    "sync_status": {"role": "staff", "label": _l("Ask and bring our record up to date"),
                    "effect": _l("We ask the gateway or the bank about this transaction and record what it "
                                 "answers, exactly as if the answer had come on time (the booking and the guest's "
                                 "messages follow from it).")},
    "refund_capture": {"role": "manager", "label": _l("Give the double charge back to the card"),
                       "effect": _l("We ask the gateway to give %(amount)s back to the card. The booking does not "
                                    "change.")},
    "write_off": {"role": "manager", "label": _l("Write off the difference (manager)"),
                  "effect": _l("The difference of %(amount)s is accepted as it is and recorded as written off in "
                               "the history. No money moves.")},
    "explained": {"role": "staff", "label": _l("Mark as explained"),
                  "effect": _l("The item is closed with your explanation. Nothing else changes.")},
}
#: Resolutions a run makes by itself.
AUTOMATIC = {
    "cleared": _l("Cleared: both days are reconciled and the transaction is on both sides."),
    "gone": _l("Cleared: the difference was no longer there when the day was reconciled again."),
}
RESOLUTION_LABELS = {**{k: v["label"] for k, v in ACTIONS.items()}, **AUTOMATIC}

#: Plain words for what a row on either side is.
ROW_LABELS = {
    "card_charge": _l("Card payment"), "card_refund": _l("Card refund"), "bank_deposit": _l("Bank deposit"),
    "deposit_reversal": _l("Deposit taken back by the bank"), "refund_payout": _l("Refund sent to a guest"),
    "settlement_payout": _l("Payment sent to a partner"), "payout_return": _l("Payout that came back"),
    "bank_fee": _l("Bank fee"), "unrelated": _l("Money that is not a booking's"), "coupon_issued": _l("Coupon"),
    "deposit": _l("Money in"), "payout": _l("Money out (payout)"), "fee": _l("Bank fee"),
    "reversal": _l("Reversal by the bank"), "gateway_settlement": _l("The gateway's payment to us"),
    "other": _l("Other money out"), "pending": _l("Not booked yet"),
    "APPROVAL": _l("Card payment approved"), "CANCEL": _l("Card payment canceled"),
}

#: What our card payment says, in words for the item page.
PAYMENT_STATES = {"pending": _l("still waiting for the gateway's answer"), "completed": _l("paid"),
                  "failed": _l("failed (nothing taken, as far as we know)"), "canceled": _l("canceled"),
                  "reversed": _l("taken back by the bank")}

#: Seed 001 appendix A: the share of reconciled transactions that matched, at least.
MATCH_RATE_SLO = Decimal("0.999")


def compute_due_at(mismatch_type: str, first_seen_at: datetime) -> datetime:
    """When an item must be dealt with: first found + its type's SLA ("immediate" is due at once)."""
    return first_seen_at + MISMATCH_TYPES[mismatch_type]["sla"]


def is_overdue(due_at: datetime, now: datetime) -> bool:
    return now >= due_at


def compute_match_rate(matched: int, total: int) -> Decimal | None:
    """MATCHED / TOTAL to six places, rounded down (so 99.95 % never shows as 100 %); None for an empty day."""
    if total < 0 or matched < 0 or matched > total:
        raise ValueError("matched must be between 0 and total")
    if total == 0:
        return None
    return (Decimal(matched) / Decimal(total)).quantize(Decimal("0.000001"), rounding=ROUND_DOWN)


def meets_slo(rate: Decimal | None) -> bool:
    return rate is None or rate >= MATCH_RATE_SLO


def actions_for(mismatch_type: str, *, can_sync: bool, can_refund: bool) -> tuple[str, ...]:
    """The actions offered for an item: its type's list, less those its facts do not allow."""
    offered = []
    for action in MISMATCH_TYPES[mismatch_type]["actions"]:
        if action == "sync_status" and not can_sync:
            continue
        if action == "refund_capture" and not can_refund:
            continue
        offered.append(action)
    if can_refund and "refund_capture" not in offered:
        offered.insert(0, "refund_capture")
    return tuple(offered)


def previous_business_date(now: datetime) -> date:
    """The business date a morning run reconciles: yesterday in Korea."""
    return now.astimezone(KOREA).date() - timedelta(days=1)


def cron_for_korean_time(at: time, local_tz) -> str:
    """The cron expression that fires at `at` Korean time in a clock process whose local zone is
    `local_tz`: rq cron matches its fields against the process's local time (UTC on our servers),
    so 06:00 KST is "0 21 * * *" there (21:00 UTC of the day before). Korea has no summer time."""
    korean = datetime.combine(date(2026, 1, 15), at, tzinfo=KOREA)
    local = korean.astimezone(local_tz)
    return f"{local.minute} {local.hour} * * *"
