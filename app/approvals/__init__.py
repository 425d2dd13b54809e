"""Four eyes on large money (DESIGN invariant 11): one operator requests, another approves."""
