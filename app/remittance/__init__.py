"""Remittance: payouts to bank accounts with retries, the operating fund and its breaker.

- states.py     payout statuses, attempt outcomes, breaker states: the transition tables
- policies.py   seed 001's tables: retry schedule, failure types, fund levels, delay notices
- models.py     Payout, PayoutAttempt, OperatingFund, FundEntry
- services.py   creating payouts and running one attempt at the bank (exactly once)
- sweep.py      the minute sweep: RQ is only the doorbell, the database remembers
- fund.py       the fund's ledger and circuit breaker
- decisions.py  what people decide: retry, correct the account, give up, a return; the customer's form
- bank.py       the bank adapter; sandbox_bank.py the sandbox bank
- tokens.py     signed, expiring links to the customer's bank-account form
"""
