"""Pluggable adapters: the bank, the card gateway, mail and SMS, chosen by a setting.

Each of `BANK_ADAPTER`, `PAYMENT_GATEWAY`, `MAIL_BACKEND` and `SMS_BACKEND` holds either
a short name of ours (`sandbox`; `smtp`/`outbox` for mail; `console` for SMS) or an
import path `package.module:Class` of your own adapter. The class must have every
method of its Protocol (app.remittance.bank.Bank, app.payments.gateway.PaymentGateway,
app.notifications.channels.MailBackend / SmsProvider); the constructor contract is:

- a classmethod `from_config(config)` when the class has one (it gets the Flask config);
- otherwise the class itself, called with the Flask config if its constructor takes one
  positional argument, or with no arguments.

An adapter is built for each use (keep the constructor cheap: share HTTP clients at
module level). `check_adapters(config)` runs in create_app, so a bad path, a missing
class or a class missing a method stops the process at start-up with a message that
names the variable and what to set, instead of a failure on the first payout.
"""
from __future__ import annotations

import importlib
import inspect
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from app.config import ConfigError

#: Where each adapter kind is described (module:attribute of an AdapterSpec), in the order checked.
SPECS = (
    "app.payments.gateway:GATEWAY_SPEC",
    "app.remittance.bank:BANK_SPEC",
    "app.notifications.channels:MAIL_SPEC",
    "app.notifications.channels:SMS_SPEC",
)

#: The demo script settings of the sandboxes (app.core.sandbox_script), checked at start-up too.
SCRIPT_SETTINGS = {"SANDBOX_BANK_SCRIPT": "app.remittance.sandbox_bank:SCRIPT",
                   "SANDBOX_GATEWAY_SCRIPT": "app.payments.sandbox:SCRIPT"}


class AdapterError(ConfigError):
    """An adapter setting names something that cannot be used; the process must not start."""


@dataclass(frozen=True)
class AdapterSpec:
    """One adapter kind: its setting, our short names (→ import paths) and its Protocol."""

    setting: str
    short_names: dict[str, str]
    protocol: type

    def resolve(self, value: str) -> type:
        return resolve_class(self.setting, value, tuple(sorted(self.short_names.items())), self.protocol)

    def load(self, value: str, config) -> Any:
        return load_adapter(self.setting, value, self.short_names, self.protocol, config)

    def is_ours(self, value: str, short_name: str) -> bool:
        """Whether `value` names our adapter `short_name`, by its short name or its import path."""
        return value == short_name or value == self.short_names.get(short_name)


def protocol_methods(protocol: type) -> list[str]:
    """The methods a Protocol requires: its own functions, less those it lists in
    `optional_methods` (callers check for those with getattr)."""
    optional = set(getattr(protocol, "optional_methods", ()))
    names = []
    for name, member in vars(protocol).items():
        if not name.startswith("_") and inspect.isfunction(member) and name not in optional:
            names.append(name)
    return sorted(names)


def _hint(setting: str, short_names) -> str:
    ours = ", ".join(name for name, _path in short_names)
    return f"Set {setting} to one of ours ({ours}) or to the import path package.module:Class of your adapter."


@lru_cache(maxsize=64)
def resolve_class(setting: str, value: str, short_names: tuple[tuple[str, str], ...], protocol: type) -> type:
    """The class `value` names (a short name of ours or `package.module:Class`), checked against
    `protocol`; raises AdapterError naming the setting and what to set. Cached per value."""
    hint = _hint(setting, short_names)
    path = dict(short_names).get(value, value)
    module_name, sep, class_name = (path or "").partition(":")
    if not sep or not module_name or not class_name:
        raise AdapterError(f"{setting}={value!r} is neither one of ours nor an import path "
                           f"package.module:Class. {hint}")
    try:
        module = importlib.import_module(module_name)
    except Exception as exc:  # ImportError, or the module itself failing while it loads
        raise AdapterError(f"{setting}={value!r}: the module {module_name!r} cannot be imported "
                           f"({type(exc).__name__}: {exc}). {hint}") from exc
    target: Any = module
    for part in class_name.split("."):
        target = getattr(target, part, None)
        if target is None:
            raise AdapterError(f"{setting}={value!r}: the module {module_name!r} has no {class_name!r}. {hint}")
    if not inspect.isclass(target):
        raise AdapterError(f"{setting}={value!r}: {class_name!r} is not a class. {hint}")
    missing = [name for name in protocol_methods(protocol) if not callable(getattr(target, name, None))]
    if missing:
        raise AdapterError(f"{setting}={value!r}: the class {class_name} lacks {', '.join(m + '()' for m in missing)}, "
                           f"which the {protocol.__name__} protocol ({protocol.__module__}) requires. "
                           f"Add the method(s), or {hint[0].lower() + hint[1:]}")
    if not callable(getattr(target, "from_config", None)):
        _constructor_arity(setting, value, target, hint)
    return target


def _constructor_arity(setting: str, value: str, cls: type, hint: str) -> int:
    """0 or 1: how many positional arguments the constructor wants (1: the Flask config)."""
    try:
        params = list(inspect.signature(cls).parameters.values())
    except (TypeError, ValueError):
        return 0
    required = [p for p in params if p.default is p.empty
                and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
    if len(required) > 1 or any(p.kind == p.KEYWORD_ONLY for p in required):
        raise AdapterError(f"{setting}={value!r}: the class {cls.__name__} must be constructible with the Flask "
                           f"config or with no arguments (or have a from_config(config) classmethod). {hint}")
    return len(required)


def load_adapter(setting: str, value: str, short_names: dict[str, str], protocol: type, config) -> Any:
    """A new instance of the adapter `value` names (see the module doc for the constructor contract).
    Raises AdapterError when `value` cannot be used. Changes nothing; safe to call any number of times."""
    items = tuple(sorted(short_names.items()))
    cls = resolve_class(setting, value, items, protocol)
    if callable(getattr(cls, "from_config", None)):
        return cls.from_config(config)
    if _constructor_arity(setting, value, cls, _hint(setting, items)):
        return cls(config)
    return cls()


def spec(path: str) -> AdapterSpec:
    module_name, _, attribute = path.partition(":")
    return getattr(importlib.import_module(module_name), attribute)


def check_adapters(config) -> None:
    """Start-up check of every adapter setting: each names a usable class. Raises AdapterError
    listing every problem. Builds no adapter (constructors may open connections); reads only."""
    problems = []
    for path in SPECS:
        adapter = spec(path)
        try:
            adapter.resolve(config[adapter.setting])
        except AdapterError as exc:
            problems.append(str(exc))
    for setting, path in SCRIPT_SETTINGS.items():
        if config.get(setting):
            try:
                spec(path).parse_setting(config[setting])
            except ValueError as exc:
                problems.append(f"{setting}={config[setting]!r}: {exc}. Write it as outcome,outcome "
                                f"or operation=outcome,outcome;operation=outcome (app/core/sandbox_script.py).")
    if problems:
        raise AdapterError("Frontdesk cannot start: an adapter setting is wrong:\n- " + "\n- ".join(problems))
