"""Refunds: the pure policy (by days to check-in and seed 004's cases) and decisions."""
