"""The audit-log page: every recorded state change, filtered, read-only."""
