"""Pure rules of remittance, each seed table as ONE literal read by code, UI and tests.

- RETRY_DELAYS / GIVE_UP_AFTER: seed 001 §4.2, the automatic retry schedule.
- FAILURE_TYPES: seed 001 §4.1 (what each bank failure means and who acts) with
  Appendix C (whether it is retried, whether the customer must give an account).
- FUND_LEVELS and the breaker rules: seed 001 §5.1–§5.2.
- DELAY_NOTICES: seed 001 §6.2, when a customer is told a payout is late.
- KOREAN_BANKS: the banks a customer may choose.

Nothing here reads the clock, the database or the settings: callers pass them.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext as _lp

from app.remittance.states import BreakerState, PayoutStatus

# --- the retry schedule (seed 001 §4.2) ---------------------------------------------

#: Retry n (1…5) is sent this long after the n-th failed try of a round.
#: "1차: 즉시 (1분 후), 2차: 5분 후, 3차: 30분 후, 4차: 2시간 후, 5차: 12시간 후".
RETRY_DELAYS: tuple[timedelta, ...] = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=12),
)
#: "5회 실패 또는 24시간 경과 시 ABANDONED": when the five retries have failed, or when
#: the next retry would come more than 24 h after the payout was requested.
MAX_RETRIES = len(RETRY_DELAYS)
GIVE_UP_AFTER = timedelta(hours=24)

#: After a timeout the bank is asked (status inquiry) this long later, never sent blind.
INQUIRY_DELAY = timedelta(minutes=1)
#: An attempt still "sending" after this long has no live worker (the attempt job's
#: timeout is far shorter): the sweep rings its job again, which asks the bank first.
STALE_AFTER = timedelta(minutes=5)
ATTEMPT_JOB_TIMEOUT_SECONDS = 120
#: Seed 001 §6.3: a payout late by an hour goes to the operations team.
IN_DOUBT_ESCALATE_AFTER = timedelta(hours=1)


@dataclass(frozen=True)
class RetryDecision:
    next_attempt_at: datetime | None   # None: abandon
    reason: str                        # "retry" | "retries_exhausted" | "deadline_passed"


def decide_retry(failures: int, failed_at: datetime, round_started_at: datetime) -> RetryDecision:
    """What follows the `failures`-th failed try of a round (the first send counts as one).

    Retry k is due RETRY_DELAYS[k-1] after the k-th failure. A round is the first
    send and its five retries; it starts when the payout is requested (or when a
    person retries it). ABANDONED when all five retries failed, or when the next
    retry would fall more than GIVE_UP_AFTER after the round started.
    """
    if failures < 1:
        raise ValueError("failures counts the failed tries, the first send included")
    if failures > MAX_RETRIES:
        return RetryDecision(None, "retries_exhausted")
    at = failed_at + RETRY_DELAYS[failures - 1]
    if at > round_started_at + GIVE_UP_AFTER:
        return RetryDecision(None, "deadline_passed")
    return RetryDecision(at, "retry")


# --- failure types (seed 001 §4.1, Appendix C) ----------------------------------------


@dataclass(frozen=True)
class FailureType:
    code: str
    retried: bool          # the schedule retries it automatically
    account_error: bool    # the customer (or an operator) must correct the account
    meaning: object        # seed §4.1 "설명", in plain words
    response: object       # seed §4.1 "대응": what happens / who acts


#: Seed 001 §4.1 with Appendix C's policy. Account errors are never retried: the
#: payout waits for a corrected account (the customer gets a link to a form).
FAILURE_TYPES: dict[str, FailureType] = {ft.code: ft for ft in (
    FailureType("INVALID_ACCOUNT", False, True, _l("The account number does not exist."),
                _l("The customer is asked to check the account number.")),
    FailureType("CLOSED_ACCOUNT", False, True, _l("The account is closed."),
                _l("The customer is asked for another account.")),
    FailureType("DORMANT_ACCOUNT", False, True, _l("The account is dormant."),
                _l("The customer is asked to reactivate it at the bank or give another account.")),
    FailureType("NAME_MISMATCH", False, True, _l("The account holder's name does not match."),
                _l("The customer is asked to check the holder's name.")),
    FailureType("LIMIT_EXCEEDED", True, False, _l("The transfer limit was exceeded."),
                _l("Retried automatically; if it keeps failing, a person tells the customer about the bank's limit.")),
    FailureType("BANK_ERROR", True, False, _l("The bank's system had an error."),
                _l("Retried automatically.")),
    FailureType("TIMEOUT", True, False, _l("The bank did not answer in time, and the transfer did not happen."),
                _l("The bank was asked first; retried automatically.")),
)}

ACCOUNT_ERRORS = frozenset(code for code, ft in FAILURE_TYPES.items() if ft.account_error)


def failure_type(code: str | None) -> FailureType:
    """The table's row for a failure code; an unknown code is treated as a bank error."""
    return FAILURE_TYPES.get(code or "", FAILURE_TYPES["BANK_ERROR"])


# --- the operating fund and its circuit breaker (seed 001 §5) ---------------------------


@dataclass(frozen=True)
class FundThresholds:
    """Minor units of the fund currency (defaults in the settings: KRW 50M / 20M / 10M / 1M)."""

    warning_below: int
    critical_below: int
    open_below: int
    half_open_max_payout: int

    def __post_init__(self):
        if not (self.warning_below > self.critical_below > self.open_below >= 0):
            raise ValueError("fund thresholds must be warning > critical > breaker-open >= 0")

    @classmethod
    def from_config(cls, config) -> "FundThresholds":
        return cls(config["FUND_WARNING_BELOW"], config["FUND_CRITICAL_BELOW"],
                   config["FUND_BREAKER_OPEN_BELOW"], config["FUND_HALF_OPEN_MAX_PAYOUT"])


#: Seed 001 §5.1: (level, the threshold it is below, alert). Checked lowest first.
FUND_LEVELS: tuple[tuple[str, str, str], ...] = (
    ("breaker_open", "open_below", "CRITICAL"),
    ("critical", "critical_below", "CRITICAL"),
    ("warning", "warning_below", "WARNING"),
)
LEVEL_ORDER = ("ok", "warning", "critical", "breaker_open")


def fund_level(balance: int, t: FundThresholds) -> str:
    """'ok', 'warning', 'critical' or 'breaker_open' for a balance."""
    for level, attr, _alert in FUND_LEVELS:
        if balance < getattr(t, attr):
            return level
    return "ok"


def alert_for(level: str) -> str | None:
    """'CRITICAL' / 'WARNING' / None: the seed's alert for entering a level."""
    return next((alert for lvl, _attr, alert in FUND_LEVELS if lvl == level), None)


def next_breaker_state(current: str, balance: int, t: FundThresholds) -> BreakerState:
    """The breaker after the balance changed (seed 001 §5.2).

    Below the floor it OPENs. Once open, money coming in makes it HALF_OPEN (small
    payouts only) until the balance is healthy again (not below the warning
    threshold), then CLOSED. A CLOSED breaker stays closed above the floor.
    """
    if balance < t.open_below:
        return BreakerState.OPEN
    if BreakerState(current) == BreakerState.CLOSED:
        return BreakerState.CLOSED
    return BreakerState.CLOSED if balance >= t.warning_below else BreakerState.HALF_OPEN


@dataclass(frozen=True)
class Gate:
    allowed: bool
    reason: str | None   # why held: "breaker_open" | "half_open_limit" | "insufficient_fund"


def gate_payout(state: str, balance: int, amount: int, t: FundThresholds) -> Gate:
    """May a payout of `amount` start now? Read under the fund row's lock."""
    state = BreakerState(state)
    if state == BreakerState.OPEN:
        return Gate(False, "breaker_open")
    if state == BreakerState.HALF_OPEN and amount > t.half_open_max_payout:
        return Gate(False, "half_open_limit")
    if amount > balance:
        return Gate(False, "insufficient_fund")
    return Gate(True, None)


HELD_REASONS = {
    "breaker_open": _l("The operating fund is below the floor, so no payout starts until it is topped up."),
    "half_open_limit": _l("After a top-up only small payouts go out until the fund is healthy again."),
    "insufficient_fund": _l("The operating fund has less money than this payout."),
}


# --- telling the customer a payout is late (seed 001 §6.2) -----------------------------


@dataclass(frozen=True)
class DelayNotice:
    stage: str
    statuses: frozenset[PayoutStatus]
    late_after: timedelta   # measured from the request (processing) or the send (transferring)
    promise: timedelta      # how soon we promise it; "1 business day" for abandoned
    script: object          # what support says (seed §6.2)


#: Seed 001 §6.2's scripts. A customer gets each notice at most once per payout.
DELAY_NOTICES: tuple[DelayNotice, ...] = (
    DelayNotice("processing", frozenset({PayoutStatus.REQUESTED, PayoutStatus.PROCESSING,
                                         PayoutStatus.TRANSFER_FAILED, PayoutStatus.HELD_BY_BREAKER}),
                timedelta(minutes=30), timedelta(hours=1),
                _l("Usually done in 1–2 minutes; it can take up to 30 minutes depending on the bank.")),
    DelayNotice("transferring", frozenset({PayoutStatus.TRANSFERRING}), timedelta(minutes=5), timedelta(hours=1),
                _l("The bank is slow today; it should be done within an hour and we will let you know.")),
    DelayNotice("abandoned", frozenset({PayoutStatus.ABANDONED}), timedelta(0), timedelta(days=1),
                _l("Something went wrong with the transfer; a person will contact you within one business day.")),
)


def delay_notice_due(status: str, since: datetime | None, now: datetime,
                     already_sent: list[str] | tuple[str, ...]) -> DelayNotice | None:
    """The notice to send now for a payout in `status` since `since`, if any."""
    for notice in DELAY_NOTICES:
        if status in notice.statuses and notice.stage not in already_sent and since is not None \
                and now - since >= notice.late_after:
            return notice
    return None


def add_business_days(at: datetime, days: int, tz: str) -> datetime:
    """`at` plus `days` working days (Monday–Friday) in the time zone `tz`."""
    local = at.astimezone(ZoneInfo(tz))
    while days > 0:
        local += timedelta(days=1)
        if local.weekday() < 5:
            days -= 1
    return local.astimezone(at.tzinfo)


def expected_by(notice: DelayNotice, now: datetime, next_attempt_at: datetime | None, tz: str) -> datetime:
    """The time promised to the customer in a delay notice."""
    if notice.stage == "abandoned":
        return add_business_days(now, 1, tz)
    promised = now + notice.promise
    return max(promised, next_attempt_at) if next_attempt_at else promised


# --- bank accounts ------------------------------------------------------------------------

#: (code, Korean name, English name): the banks a customer may choose (KFTC codes).
KOREAN_BANKS: tuple[tuple[str, str, str], ...] = (
    ("004", "국민은행", "KB Kookmin Bank"),
    ("088", "신한은행", "Shinhan Bank"),
    ("020", "우리은행", "Woori Bank"),
    ("081", "하나은행", "Hana Bank"),
    ("011", "농협은행", "NongHyup Bank"),
    ("003", "기업은행", "IBK Industrial Bank"),
    ("090", "카카오뱅크", "KakaoBank"),
    ("092", "토스뱅크", "Toss Bank"),
    ("089", "케이뱅크", "K Bank"),
    ("023", "SC제일은행", "SC First Bank"),
    ("027", "한국씨티은행", "Citibank Korea"),
    ("031", "iM뱅크", "iM Bank"),
    ("032", "부산은행", "Busan Bank"),
    ("039", "경남은행", "Kyongnam Bank"),
    ("034", "광주은행", "Kwangju Bank"),
    ("037", "전북은행", "Jeonbuk Bank"),
    ("035", "제주은행", "Jeju Bank"),
    ("002", "산업은행", "KDB Korea Development Bank"),
    ("007", "수협은행", "Suhyup Bank"),
    ("071", "우체국", "Korea Post"),
    ("045", "새마을금고", "MG Saemaul Geumgo"),
    ("048", "신협", "Shinhyup"),
)
BANK_CODES = frozenset(code for code, _ko, _en in KOREAN_BANKS)

_ACCOUNT_CHARS = re.compile(r"^[0-9\- ]+$")


def bank_name(code: str, locale: str = "ko") -> str:
    for bank_code, ko, en in KOREAN_BANKS:
        if bank_code == code:
            return ko if locale == "ko" else en
    return code


def mask_account(number: str) -> str:
    """'***-***-6789': only the last four digits, whatever the account's format."""
    digits = re.sub(r"\D", "", number or "")
    return f"***-***-{digits[-4:]}" if digits else "***"


@dataclass(frozen=True)
class BankAccount:
    """A recipient account. Its repr is masked, so it never lands in a log whole."""

    bank_code: str
    number: str          # digits only
    holder: str

    def __repr__(self) -> str:
        return f"BankAccount({self.bank_code}, {self.masked}, {self.holder!r})"

    @property
    def masked(self) -> str:
        return mask_account(self.number)

    def label(self, locale: str = "ko") -> str:
        """'국민은행 ***-***-6789 (홍길동)'."""
        return f"{bank_name(self.bank_code, locale)} {self.masked} ({self.holder})"


def parse_account(bank_code: str | None, number: str | None, holder: str | None) -> tuple[BankAccount | None, dict]:
    """A BankAccount from form input, or (None, {field: message})."""
    errors: dict[str, object] = {}
    bank_code = (bank_code or "").strip()
    raw = (number or "").strip()
    holder = " ".join((holder or "").split())
    if bank_code not in BANK_CODES:
        errors["bank_code"] = _l("Choose your bank from the list.")
    digits = re.sub(r"\D", "", raw)
    if not raw:
        errors["account_number"] = _l("Enter the account number.")
    elif not _ACCOUNT_CHARS.match(raw) or not 10 <= len(digits) <= 16:
        errors["account_number"] = _l("An account number has 10 to 16 digits (dashes are fine).")
    if not holder:
        errors["account_holder"] = _l("Enter the account holder's name as the bank has it.")
    elif len(holder) > 50:
        errors["account_holder"] = _l("The name is too long (50 characters at most).")
    if errors:
        return None, errors
    return BankAccount(bank_code, digits, holder), {}


# --- who may decide, and what ------------------------------------------------------------------

#: Seed 001 §4.3: the choices a person has for a payout in each status.
#:   edit_account  — send it to a corrected account (after a return: as a new payout)
#:   retry         — one more round of tries to the same account
#:   give_up       — send nothing more; the refund is paid another way
#:   mark_returned — the bank statement shows the money came back
CHOICES: dict[PayoutStatus, tuple[str, ...]] = {
    PayoutStatus.ABANDONED: ("edit_account", "retry", "give_up"),
    PayoutStatus.WAITING_FOR_ACCOUNT: ("edit_account", "give_up"),
    PayoutStatus.HELD_BY_BREAKER: ("give_up",),
    PayoutStatus.RETURNED: ("edit_account", "give_up"),
    PayoutStatus.COMPLETED: ("mark_returned",),
}


def recommend(status: str, failure_code: str | None, abandon_reason: str | None) -> tuple[str | None, object]:
    """(recommended choice, why) for the decision box."""
    status = PayoutStatus(status)
    if status == PayoutStatus.WAITING_FOR_ACCOUNT:
        return "edit_account", _l("The bank refused the account. The customer was sent a link to correct it; "
                                  "if they tell you the right account by phone or email, enter it here.")
    if status == PayoutStatus.HELD_BY_BREAKER:
        return None, _l("Nothing is wrong with this payout: top up the operating fund and it goes out by itself "
                        "within a minute.")
    if status == PayoutStatus.RETURNED:
        return "edit_account", _l("The money came back, usually because the account was closed after we sent it. "
                                  "Ask the customer for another account.")
    if status == PayoutStatus.ABANDONED:
        if failure_code and failure_type(failure_code).account_error:
            return "edit_account", _l("The account itself was refused: check it with the customer first.")
        if failure_code == "LIMIT_EXCEEDED":
            return "give_up", _l("The receiving account's limit keeps refusing it; our policy is to refund such "
                                 "payouts by hand. Tell the customer about the bank's limit, or pay another way.")
        return "retry", _l("The bank's system kept failing. If the bank says it is working again, retry; "
                           "if it still fails, refund another way.")
    return None, ""




def needs_manager(amount: int, manager_above: int) -> bool:
    """Actions on payouts above the threshold (a setting) are for managers only."""
    return amount > manager_above


STATUS_LABELS: dict[PayoutStatus, object] = {
    PayoutStatus.REQUESTED: _l("Waiting to be sent"),
    PayoutStatus.PROCESSING: _l("Being prepared"),
    PayoutStatus.HELD_BY_BREAKER: _l("On hold: operating fund too low"),
    PayoutStatus.TRANSFERRING: _l("Sent to the bank"),
    PayoutStatus.TRANSFER_FAILED: _l("Failed; will retry"),
    PayoutStatus.WAITING_FOR_ACCOUNT: _l("Waiting for a correct account"),
    PayoutStatus.ABANDONED: _l("Stopped after retries"),
    PayoutStatus.COMPLETED: _lp("payout status", "Paid"),
    PayoutStatus.RETURNED: _l("Money came back"),
    PayoutStatus.CANCELED: _l("Closed by a person"),
}

BREAKER_LABELS: dict[BreakerState, object] = {
    BreakerState.CLOSED: _l("Normal: payouts go out"),
    BreakerState.HALF_OPEN: _l("Limited: only small payouts go out"),
    BreakerState.OPEN: _l("Stopped: no payout goes out"),
}

LEVEL_LABELS: dict[str, object] = {
    "ok": _l("Healthy"),
    "warning": _l("Warning: running low"),
    "critical": _l("Critical: top up today"),
    "breaker_open": _l("Payouts stopped: top up now"),
}
