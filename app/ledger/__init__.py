"""The money ledger: one row per movement of money Frontdesk knows of (see models)."""
