"""Deposits: bank statements imported, each deposit matched to its booking and
confirmed once (seed 004 §2.1, seed 001 §3)."""
