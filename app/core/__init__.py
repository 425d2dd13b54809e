"""Shared plumbing: base types, clock, money, errors, audit, request context, jobs."""
