"""A job that always fails, for the failed-jobs page tests (RQ imports it by path)."""


def explode(booking_code: str) -> None:
    raise RuntimeError(f"the sandbox bank refused booking {booking_code}")
