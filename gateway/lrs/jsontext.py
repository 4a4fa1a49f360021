"""Strict JSON text (RFC 8259) for request bodies and parameters: Python's json module also reads
NaN, Infinity and -Infinity, and turns numbers too large for a double (1e999) into infinity,
none of which is JSON or can be stored and returned as JSON. Integers beyond 64 bits (which BSON
cannot store) are read as doubles, as most JSON parsers (JavaScript's among them) read them."""

from __future__ import annotations

import json
import math

import orjson


def _reject_constant(name: str) -> float:
    raise ValueError(f"{name} is not a JSON number")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"the number {text} is too large")
    return value


_INT64 = range(-(2**63), 2**63)
# orjson reads what these hooks would (floats finite, no NaN, UTF-8 only) but keeps integers up
# to 2**64 - 1; a body with a run of 19 digits takes the hooked path (found by mapping every digit
# to "0": bytes.translate and `in` are much faster than a regular expression here).
_DIGITS_AS_ZERO = bytes.maketrans(b"0123456789", b"0000000000")
_LONG_RUN = b"0" * 19


def _storable_int(text: str) -> int | float:
    value = int(text)
    return value if value in _INT64 else _finite_float(text)


# RFC 8259 §9 lets a parser limit nesting. Deeper values could be read but not handled: orjson
# writes at most 254 levels (statement digests, responses) and json.dumps runs out of stack.
MAX_NESTING = 100


def parse_json(text: str | bytes, *, limit_nesting: bool = True) -> object:
    """json.loads for RFC 8259 JSON only, bytes read as UTF-8 (RFC 8259 §8.1; json.loads would
    also guess UTF-16 and UTF-32), nested at most MAX_NESTING levels; ValueError (UnicodeDecodeError
    included) otherwise. `limit_nesting=False` for statement bodies, whose validation bounds their
    nesting (only extension values nest freely, and it checks them): walking a 100-statement body
    for its depth costs about as much as parsing it."""
    value = _parse(text)
    if limit_nesting and _nesting(value) > MAX_NESTING:
        raise ValueError(f"the JSON text is nested more than {MAX_NESTING} levels deep")
    return value


def _parse(text: str | bytes) -> object:
    if isinstance(text, bytes) and _LONG_RUN not in text.translate(_DIGITS_AS_ZERO):
        try:
            return orjson.loads(text)  # the fast path; a failure is judged (and worded) below
        except orjson.JSONDecodeError:
            pass
    if isinstance(text, bytes):
        text = text.decode("utf-8")
    try:
        return json.loads(
            text, parse_constant=_reject_constant, parse_float=_finite_float, parse_int=_storable_int
        )
    except RecursionError:
        # orjson refuses more than 1024 levels; json.loads runs out of stack before that.
        raise ValueError(f"the JSON text is nested more than {MAX_NESTING} levels deep") from None


def _nesting(value: object) -> int:
    """How many arrays and objects deep the value goes (0 for a scalar), level by level."""
    depth = 0
    level = [value] if isinstance(value, dict | list) else []
    while level:
        depth += 1
        level = [
            child
            for container in level
            for child in (container.values() if isinstance(container, dict) else container)
            if isinstance(child, dict | list)
        ]
    return depth
