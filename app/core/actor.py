"""Who is acting: an operator, a guest, an API client or the system itself."""
from __future__ import annotations

from dataclasses import dataclass

from flask import g, has_request_context


@dataclass(frozen=True)
class Actor:
    kind: str  # "operator" | "guest" | "system"
    id: int | None = None
    name: str = ""

    @classmethod
    def system(cls, name: str = "system") -> "Actor":
        return cls("system", None, name)

    @classmethod
    def guest(cls, email: str) -> "Actor":
        return cls("guest", None, email)

    @classmethod
    def operator(cls, operator) -> "Actor":
        return cls("operator", operator.id, operator.email)

    @property
    def is_operator(self) -> bool:
        return self.kind == "operator"


def current_actor(default: Actor | None = None) -> Actor:
    """The actor of the current request (set by auth), else `default` or system."""
    if has_request_context():
        actor = getattr(g, "actor", None)
        if actor is not None:
            return actor
    return default or Actor.system()
