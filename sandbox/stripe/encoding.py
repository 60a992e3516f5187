"""Stripe's form encoding: bracket keys (`line_items[0][price]`, `metadata[k]`, `expand[]`) to nested values.

The SDK always sends indexed arrays (`expand[0]=a`); `key[]` (curl, other clients) appends. Every leaf
stays a string, as on the wire; endpoints coerce with `as_int` / `as_bool` and friends.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import parse_qsl

from sandbox.stripe.errors import StripeError, invalid

_KEY = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")
_APPEND = object()  # marks a `[]` segment


def split_key(key: str) -> list[Any]:
    """`a[b][0][]` -> ["a", "b", "0", _APPEND]; a key that is not bracket notation stays whole."""
    found = _KEY.match(key)
    if not found:
        return [key]
    head, rest = found.groups()
    segments: list[Any] = [head]
    segments += [part or _APPEND for part in re.findall(r"\[([^\[\]]*)\]", rest)]
    return segments


def decode_pairs(pairs: Iterable[tuple[str, str]]) -> dict[str, Any]:
    root: dict[str, Any] = {}
    for key, value in pairs:
        segments = split_key(key)
        node = root
        for position, segment in enumerate(segments):
            if segment is _APPEND:
                segment = str(len(node))
            last = position == len(segments) - 1
            if last:
                if isinstance(node.get(segment), dict):
                    raise invalid(key, f"Invalid value for {key}: it is also used as a hash.")
                node[segment] = value
            else:
                child = node.setdefault(segment, {})
                if not isinstance(child, dict):
                    raise invalid(key, f"Invalid hash: {key} (its parent is also a plain value)")
                node = child
    return _listify(root)


def _listify(node: Any) -> Any:
    """Hashes whose keys are all array indexes become lists, ordered by index."""
    if not isinstance(node, dict):
        return node
    converted = {key: _listify(value) for key, value in node.items()}
    if converted and all(key.isdigit() for key in converted):
        return [converted[key] for key in sorted(converted, key=int)]
    return converted


def decode_form(body: bytes) -> dict[str, Any]:
    try:
        text = body.decode()
    except UnicodeDecodeError as exc:
        raise StripeError("Request body is not valid UTF-8.") from exc
    return decode_pairs(parse_qsl(text, keep_blank_values=True))


def as_list(value: Any) -> list[Any]:
    if value is None or value == "":
        return []
    if isinstance(value, list):
        return value
    if isinstance(value, dict):  # sparse indexes such as items[1] alone
        return list(value.values())
    return [value]


def as_int(params: dict[str, Any], name: str, default: int | None = None) -> int | None:
    value = params.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except (TypeError, ValueError):
        raise StripeError(f"Invalid integer: {value}", code="parameter_invalid_integer", param=name) from None


def as_bool(params: dict[str, Any], name: str, default: bool | None = None) -> bool | None:
    value = params.get(name)
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    if str(value).lower() in ("true", "false"):
        return str(value).lower() == "true"
    raise invalid(name, f"Invalid boolean: {value}")


def as_dict(params: dict[str, Any], name: str) -> dict[str, Any]:
    value = params.get(name)
    if value is None or value == "":
        return {}
    if isinstance(value, list):  # metadata[0]=x decodes as a list; Stripe treats it as keys "0"
        return {str(index): item for index, item in enumerate(value)}
    if not isinstance(value, dict):
        raise invalid(name, f"Invalid hash: {name}")
    return value


def merge_metadata(current: dict[str, str], update: Any) -> dict[str, str]:
    """Stripe's metadata update: keys merge, an empty value deletes a key, `metadata=` clears it all."""
    if update == "":
        return {}
    merged = dict(current)
    for key, value in as_dict({"metadata": update}, "metadata").items():
        if value == "":
            merged.pop(key, None)
        else:
            merged[key] = str(value)
    return merged
