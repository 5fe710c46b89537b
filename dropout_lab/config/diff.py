"""Where two resolved configs differ: the first key path, with both values."""

from __future__ import annotations

from .keypath import format_loc

ABSENT = object()  # a key one config has and the other has not
# keys that never make two configs different: a name only labels a run
NEVER_COUNTED = ("name",)


def first_difference(a, b, loc: tuple = ()) -> tuple[str, object, object] | None:
    """The first key path (in ``a``'s order, then ``b``'s) where two parsed configs differ,
    with both values (``ABSENT`` where one has no such key); ``None`` when they are equal."""
    if isinstance(a, dict) and isinstance(b, dict):
        for key in [*a, *(k for k in b if k not in a)]:
            found = first_difference(a.get(key, ABSENT), b.get(key, ABSENT), (*loc, key))
            if found:
                return found
        return None
    if isinstance(a, list) and isinstance(b, list):
        for i, (x, y) in enumerate(zip(a, b, strict=False)):
            found = first_difference(x, y, (*loc, i))
            if found:
                return found
        if len(a) != len(b):
            i = min(len(a), len(b))
            return format_loc((*loc, i)), a[i] if i < len(a) else ABSENT, b[i] if i < len(b) else ABSENT
        return None
    if a == b and type(a) is type(b):
        return None
    return format_loc(loc), a, b


def config_difference(a, b, ignore: tuple[str, ...] = NEVER_COUNTED) -> tuple[str, object, object] | None:
    """``first_difference`` of two configs, not counting the top-level keys in ``ignore``
    (the ``name`` by default: runs of one config under two names are runs of the same config)."""
    if isinstance(a, dict) and isinstance(b, dict):
        a = {k: v for k, v in a.items() if k not in ignore}
        b = {k: v for k, v in b.items() if k not in ignore}
    return first_difference(a, b)


def show_value(value) -> str:
    """A value in a message: JSON, or ``(absent)``."""
    import json

    return "(absent)" if value is ABSENT else json.dumps(value)
