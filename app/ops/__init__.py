"""The back office: Today, order confirmation, conflicts, alerts, reports, audit log."""
