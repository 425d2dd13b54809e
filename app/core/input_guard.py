"""The edges where hostile input arrives, checked once for every request.

* Text may not carry NUL characters or lone surrogates (PostgreSQL refuses NUL
  in text, and a lone surrogate cannot be encoded): query string, form fields,
  JSON bodies. Such a request gets a 422 (JSON) or 400 page and changes nothing.
* JSON nesting deeper than MAX_JSON_DEPTH is refused before Python's parser
  recurses (it would raise RecursionError).
* `<int:…>` URL parts stop at the 32-bit columns they are looked up in
  (MAX_INT32): a larger number is simply not found (404).
"""
from __future__ import annotations

from typing import Any

from flask import Flask, request
from flask_babel import lazy_gettext as _l
from werkzeug.routing import IntegerConverter

from app.core.errors import ValidationFailed

#: The largest value of the 32-bit integer columns (ids, amounts, prices).
MAX_INT32 = 2**31 - 1
MAX_JSON_DEPTH = 32


class BoundedIntConverter(IntegerConverter):
    """Flask's `int` converter, bounded by the column it is looked up in."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", MAX_INT32)
        super().__init__(map, *args, **kwargs)


def bad_text(value: str) -> bool:
    """NUL, or a lone surrogate (text that cannot be written as UTF-8)."""
    if "\x00" in value:
        return True
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def json_depth_exceeds(raw: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """True when brackets outside strings nest deeper than `limit` (a cheap scan, no parsing)."""
    if raw.count(b"[") + raw.count(b"{") <= limit:
        return False
    depth, in_string, escaped = 0, False, False
    for byte in raw:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:      # backslash
                escaped = True
            elif byte == 0x22:      # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):  # [ {
            depth += 1
            if depth > limit:
                return True
        elif byte in (0x5D, 0x7D):
            depth -= 1
    return False


def _walk(value: Any) -> bool:
    """True if any string (key or value) in a parsed JSON document is bad text."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if bad_text(item):
                return True
        elif isinstance(item, dict):
            for key, inner in item.items():
                if isinstance(key, str) and bad_text(key):
                    return True
                stack.append(inner)
        elif isinstance(item, list):
            stack.extend(item)
    return False


def _reject(message=None):
    raise ValidationFailed(message or _l("The request contains characters that are not allowed in text "
                                         "(a NUL character or broken Unicode). Nothing was changed."))


def check_request() -> None:
    """Refuse hostile text anywhere in the request (see the module doc)."""
    for key, value in request.args.items(multi=True):
        if bad_text(key) or bad_text(value):
            _reject()
    if "\x00" in request.path:
        _reject()
    if request.method in ("POST", "PUT", "PATCH", "DELETE"):
        if request.is_json:
            raw = request.get_data(cache=True)
            if json_depth_exceeds(raw):
                _reject(_l("The JSON body nests deeper than %(n)s levels.", n=MAX_JSON_DEPTH))
            data = request.get_json(silent=True)
            if data is not None and _walk(data):
                _reject()
        elif request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
            # A part whose name cannot be read (e.g. `name="x\\"`) comes back with the name None.
            nameless = _l("A part of the form has no readable name. Nothing was changed.")
            for key, value in request.form.items(multi=True):
                if key is None:
                    _reject(nameless)
                if bad_text(key) or bad_text(value or ""):
                    _reject()
            for key, storage in request.files.items(multi=True):
                if key is None:
                    _reject(nameless)
                if bad_text(key) or bad_text(storage.filename or ""):
                    _reject()


def init_input_guard(app: Flask) -> None:
    """Install the bounded `int` converter (before blueprints register their routes) and the check."""
    app.url_map.converters["int"] = BoundedIntConverter
    app.before_request(check_request)
