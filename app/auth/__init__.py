"""Operators, roles, sign-in and API tokens."""
