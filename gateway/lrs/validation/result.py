"""The Result of a statement and its Score."""

from __future__ import annotations

from typing import Any

from gateway.lrs.validation.core import At, boolean, json_object, number, string
from gateway.lrs.validation.formats import duration, extensions

_RESULT = frozenset({"score", "success", "completion", "response", "duration", "extensions"})


def result(value: object, at: At) -> dict[str, Any]:
    fields = json_object(value, at, _RESULT)
    if "score" in fields:
        score(fields["score"], at.key("score"))
    for name in ("success", "completion"):
        if name in fields:
            boolean(fields[name], at.key(name))
    if "response" in fields:
        string(fields["response"], at.key("response"))
    if "duration" in fields:
        duration(fields["duration"], at.key("duration"))
    if "extensions" in fields:
        extensions(fields["extensions"], at.key("extensions"))
    return fields


def score(value: object, at: At) -> dict[str, Any]:
    """scaled within [-1, 1]; min below max; raw within [min, max] for whichever bounds are given."""
    fields = json_object(value, at, ("scaled", "raw", "min", "max"))
    for name in fields:
        number(fields[name], at.key(name))
    if "scaled" in fields and not -1 <= fields["scaled"] <= 1:
        at.key("scaled").fail("must be between -1 and 1")
    if "min" in fields and "max" in fields and not fields["min"] < fields["max"]:
        at.key("min").fail("must be less than max")
    if "raw" in fields:
        if "min" in fields and fields["raw"] < fields["min"]:
            at.key("raw").fail("must not be less than min")
        if "max" in fields and fields["raw"] > fields["max"]:
            at.key("raw").fail("must not be greater than max")
    return fields
