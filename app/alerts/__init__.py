"""Alerts that reach a person: rules, deduplication, repeats, escalation, silences (seeds 000 §1, 001 §7)."""
