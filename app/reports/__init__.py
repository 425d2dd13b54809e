"""Daily, weekly and monthly reports (seed 001 §9, seed 000's statistics)."""
