"""Support tickets with SLA clocks: intake, owners, replies, CSAT and SLA compliance (seed 002)."""
