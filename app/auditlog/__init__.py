"""The audit log: its back-office page, the hash chain's check and alert, and the app's database role."""
