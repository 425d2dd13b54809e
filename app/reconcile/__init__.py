"""Reconciliation: every business day (Asia/Seoul), our ledger against the card gateway's settlement file
and the bank statements (seed 001 §3). It finds differences and lets people resolve them; it never changes
a booking, a payment, a refund or a payout by itself (DESIGN invariant 10).

The three reconciliations of a business date D (one run each, re-runnable):

1. gateway (PG, 06:00 the next morning) — ledger rows `card_charge`/`card_refund` with business date D
   against the APPROVAL/CANCEL rows of the gateway's settlement file for D (app/payments/settlement.py;
   fetched from the gateway, or uploaded; the last one received for D is used).
   - 1:1 by transaction id (`external_ref` = the gateway's charge or refund id): equal amounts MATCHED,
     else AMOUNT_MISMATCH; then by order id (our payment's public id, or the booking code) + amount.
   - A file row left over: its transaction is in our ledger on another day → TIMING_MISMATCH; an
     approval whose order we do not have, or a second approval of an order whose payment has another
     charge → GHOST_TRANSACTION; an approval for a payment of ours still `pending` (or `failed`) →
     STATUS_MISMATCH (sync: ask the gateway, apply through payments' own path; for a failed one: give
     the capture back); a cancel for a refund of ours still processing/failed → STATUS_MISMATCH; a
     cancel for a known order with no such refund → EXTERNAL_ONLY.
   - A ledger row left over: in the day before's or after's file → TIMING_MISMATCH; else INTERNAL_ONLY.
2. payouts (06:30) — ledger `refund_payout`/`settlement_payout` rows of D (the day the bank completed
   them), and `bank_fee`/`payout_return` rows read from a line booked on D, against the statement's
   non-pending lines of kind payout, fee, payout_return and other (money out) booked on D. Paired by the
   line the ledger row names, else by the payout the line is linked to (or our transfer id in its
   reference or memo). Left over: the other half on the day before/after → TIMING_MISMATCH; a payout
   with no line → INTERNAL_ONLY; a line for a payout we do not have as completed → STATUS_MISMATCH
   (sync: ask the bank through the payout's own attempt when it is still `transferring`); a debit linked
   to no payout or fee → EXTERNAL_ONLY.
3. settlement (07:00) — (a) the gateway's credit: the file's net (amounts − fees) of a settlement date S
   against the credits whose memo names S (`settlement_date_in`, "SANDBOXPG 정산 20261207"); S belongs
   to the run of the day its credit was booked (usually S + 1), or of S + 1 while none came. (b) Every
   decided deposit or reversal line booked on D against the ledger rows naming it (n:1 when a line paid
   several bookings; a credit and its reversal that moved no money cancel out); a decided line with no
   ledger row → EXTERNAL_ONLY. (c) A deposit recorded by hand (no line) → INTERNAL_ONLY. Lines still
   waiting for a person's decision are counted apart, not compared.

Items: one per natural key (the transaction, payout, line or settlement date), so a re-run updates the
same item; the SLA, owner role and actions per type are policies.MISMATCH_TYPES. A TIMING pair resolves
itself ("cleared") once both days are reconciled; an item whose difference is gone when a day is run
again resolves itself ("gone"); a person's resolution always stands. Amounts must match to the won.

- policies.py   seed 001's tables: the three sources and their times, mismatch types with SLA, actions
- models.py     ReconciliationRun (one per day and source), ReconciliationItem, SettlementFile
- matching.py   the pure matchers: rows in, matched pairs and findings out (no database)
- loaders.py    what each source reads, in a few batched queries
- services.py   running a day (idempotent), storing settlement files, the morning jobs
- actions.py    what people do with an item: take it, sync, refund a double charge, write off, explain
- queries.py, forms.py, views.py, today.py, cli.py   the back-office pages, Today, `flask reconcile`
"""
