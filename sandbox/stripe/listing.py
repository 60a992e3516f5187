"""List pagination (`limit`, `starting_after`, `ending_before`) and `expand[]` of ids into objects."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sandbox.stripe.encoding import as_int
from sandbox.stripe.errors import invalid
from sandbox.stripe.objects import list_object
from sandbox.stripe.state import Store, public


def expand(store: Store, obj: dict[str, Any], paths: list[str]) -> dict[str, Any]:
    for path in paths:
        _expand(store, obj, path.split("."))
    return obj


def _expand(store: Store, node: Any, parts: list[str]) -> None:
    if isinstance(node, list):
        for element in node:
            _expand(store, element, parts)
        return
    if not isinstance(node, dict) or not parts:
        return
    head, rest = parts[0], parts[1:]
    value = node.get(head)
    if isinstance(value, str):
        found = store.find(value)
        if found is not None:
            value = node[head] = public(found)
    _expand(store, value, rest)


def paginate(
    store: Store, objects: Iterable[dict[str, Any]], params: dict[str, Any], url: str, expand_paths: list[str]
) -> dict[str, Any]:
    """Newest first, as Stripe lists; `expand[]=data.x` expands inside each element."""
    limit = as_int(params, "limit", 10) or 10
    if not 1 <= limit <= 100:
        raise invalid("limit", "This value must be between 1 and 100.")
    ordered = sorted(objects, key=lambda obj: obj["_sequence"], reverse=True)
    ids = [obj["id"] for obj in ordered]
    if params.get("starting_after"):
        cursor = params["starting_after"]
        ordered = ordered[ids.index(cursor) + 1 :] if cursor in ids else []
        page, has_more = ordered[:limit], len(ordered) > limit
    elif params.get("ending_before"):
        cursor = params["ending_before"]
        ordered = ordered[: ids.index(cursor)] if cursor in ids else []
        page, has_more = ordered[-limit:], len(ordered) > limit
    else:
        page, has_more = ordered[:limit], len(ordered) > limit
    data = [public(obj) for obj in page]
    inner = [path.removeprefix("data.") for path in expand_paths if path.startswith("data.")]
    for element in data:
        expand(store, element, inner)
    return list_object(data, url, has_more)


def created_filter(params: dict[str, Any]) -> Any:
    """`created=<ts>` or `created[gt|gte|lt|lte]=<ts>` as a predicate on an object."""
    created = params.get("created")
    if created is None:
        return lambda obj: True
    if not isinstance(created, dict):
        exact = as_int(params, "created")
        return lambda obj: obj["created"] == exact
    bounds = {op: as_int(created, op) for op in ("gt", "gte", "lt", "lte") if op in created}
    checks = {
        "gt": lambda a, b: a > b,
        "gte": lambda a, b: a >= b,
        "lt": lambda a, b: a < b,
        "lte": lambda a, b: a <= b,
    }
    return lambda obj: all(checks[op](obj["created"], bound) for op, bound in bounds.items())
