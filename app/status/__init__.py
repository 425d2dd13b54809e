"""The public status page that stays up when Frontdesk is down: incidents, maintenance, subscribers (seed 002 D, E)."""
