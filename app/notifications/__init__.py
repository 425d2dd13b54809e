"""Customer notifications: an outbox written with the business change, sent by workers."""
