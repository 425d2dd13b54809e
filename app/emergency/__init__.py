"""When Frontdesk is down: the server-down procedure and the contact list, published as static pages (seed 004 §2.3, §3)."""
