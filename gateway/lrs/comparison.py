"""Statement equivalence (xAPI "Statement Comparison Requirements"): what is compared when a
statement id is re-sent and when a signed statement is checked against its JWS payload."""

from __future__ import annotations

import hashlib
import re

import orjson

from gateway.lrs.normalise import normalise_statement

# Set or rewritten by the LRS, so never part of a comparison.
LRS_SET_PROPERTIES = ("authority", "stored", "version")
_SECONDS = re.compile(r"(?P<whole>\d+)(?:[.,](?P<fraction>\d+))?S$")


def _truncate_duration(duration: str) -> str:
    """Durations compare at 0.01 s precision: extra digits are truncated (never rounded)."""
    match = _SECONDS.search(duration)
    if not match:
        return duration
    hundredths = ((match["fraction"] or "") + "00")[:2]
    return duration[: match.start()] + f"{int(match['whole'])}.{hundredths}S"


def _normalise(statement: dict, *, normalised: bool = False) -> dict:
    # What the LRS rewrites when storing (context activity arrays, UTC timestamps) is not a difference.
    if not normalised:
        statement = normalise_statement(statement)
    comparable = {key: value for key, value in statement.items() if key not in LRS_SET_PROPERTIES}
    result = comparable.get("result")
    if isinstance(result, dict) and isinstance(result.get("duration"), str):
        comparable["result"] = {**result, "duration": _truncate_duration(result["duration"])}
    target = comparable.get("object")
    if isinstance(target, dict) and target.get("objectType") == "SubStatement":
        comparable["object"] = _normalise(target)
    if isinstance(comparable.get("id"), str):
        comparable["id"] = comparable["id"].lower()
    return comparable


def comparison_digest(statement: dict, *, normalised: bool = False) -> str:
    """Equal for equivalent statements (`normalised`: already as normalise_statement returns it)."""
    comparable = _normalise(statement, normalised=normalised)
    return hashlib.sha256(orjson.dumps(comparable, option=orjson.OPT_SORT_KEYS)).hexdigest()


def equivalent(first: dict, second: dict) -> bool:
    return comparison_digest(first) == comparison_digest(second)
