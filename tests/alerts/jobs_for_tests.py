"""A job that fails the way a real one does (for the failed-jobs and same-error rules)."""


def refuse(n: int) -> None:
    raise RuntimeError("the bank answered 503 Service Unavailable")
