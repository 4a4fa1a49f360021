"""The form in which a valid statement is stored and returned: what the LRS rewrites without
changing its meaning (xAPI 1.0.3 Data 2.4.6.2 and 4.5, 2.0 4.2.2.5 and 4.2.7)."""

from __future__ import annotations

import re
from datetime import UTC

from gateway.lrs.validation.formats import parse_datetime

# The seconds' decimal fraction as written; converting to UTC (whole minutes of offset) keeps it.
# Already in the stored form (the common case), nothing to rewrite.
_UTC_FORM = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?Z")
_FRACTION = re.compile(r"T[^.,]*[.,](?P<digits>[0-9]+)")


def normalise_statement(statement: dict) -> dict:
    """A copy of a valid statement as stored: context activities as arrays, timestamps in UTC.
    Only the parts it rewrites are copied."""
    statement = dict(statement)
    if isinstance(statement.get("context"), dict):
        statement["context"] = _context(statement["context"])
    if isinstance(statement.get("timestamp"), str):
        statement["timestamp"] = utc_timestamp(statement["timestamp"])
    target = statement.get("object")
    if isinstance(target, dict) and target.get("objectType") == "SubStatement":
        statement["object"] = normalise_statement(target)
    return statement


def _context(context: dict) -> dict:
    """1.0.3 Data 2.4.6.2.s4.b3 / 2.0 4.2.2.5: a single context Activity is returned as an array
    of one, so clients read one shape."""
    activities = context.get("contextActivities")
    if not isinstance(activities, dict):
        return context
    return {
        **context,
        "contextActivities": {
            kind: value if isinstance(value, list) else [value] for kind, value in activities.items()
        },
    }


def utc_timestamp(value: str) -> str:
    """A timestamp with a time zone, as the same instant in UTC ("Z"), its fraction of a second kept
    digit for digit (1.0.3 Data 4.5.s1.b6 SHOULD*, 2.0 4.2.7 shall). Without a time zone (allowed
    in 1.0.3 only) it is kept as sent: which instant it means is unknown."""
    if _UTC_FORM.fullmatch(value):
        return value
    try:
        moment = parse_datetime(value)
        if moment.tzinfo is None:
            return value
        utc = moment.astimezone(UTC)
    except (ValueError, OverflowError):
        return value
    fraction = _FRACTION.search(value)
    digits = f".{fraction['digits']}" if fraction else ""
    date = f"{utc.year:04d}-{utc.month:02d}-{utc.day:02d}"
    return f"{date}T{utc.hour:02d}:{utc.minute:02d}:{utc.second:02d}{digits}Z"
