"""The scopes a client can hold: xAPI's, OneRoster's (1.1 and 1.2) and the gateway's own."""

from __future__ import annotations

# xAPI 1.0.3 §4.1.1 / 2.0 "OAuth Scope". `all` implies everything; `all/read` every read.
XAPI_SCOPES = frozenset(
    {
        "statements/write",
        "statements/read",
        "statements/read/mine",
        "state",
        "define",
        "profile",
        "all/read",
        "all",
    }
)

_OR11 = "https://purl.imsglobal.org/spec/or/v1p1/scope/"
_OR12 = "https://purl.imsglobal.org/spec/or/v1p2/scope/"
ONEROSTER_SCOPES = frozenset(
    prefix + name
    for prefix in (_OR11, _OR12)
    for name in ("roster-core.readonly", "roster.readonly", "roster-demographics.readonly")
)

GATEWAY_SCOPES = frozenset(
    {"reports.read", "consent.read", "consent.write", "audit.read", "me", "units.read"}
)

KNOWN_SCOPES = XAPI_SCOPES | ONEROSTER_SCOPES | GATEWAY_SCOPES


def parse_scopes(text: str) -> frozenset[str]:
    """Space-separated scopes (RFC 6749 §3.3); unknown ones are an error, not silently dropped."""
    scopes = frozenset(text.split())
    unknown = sorted(scopes - KNOWN_SCOPES)
    if unknown:
        raise ValueError(f"unknown scope(s): {', '.join(unknown)}")
    if not scopes:
        raise ValueError("at least one scope is required")
    return scopes


def grants(held: frozenset[str], wanted: str) -> bool:
    """Whether scopes `held` allow the xAPI scope `wanted` (with `all` and `all/read` implied)."""
    if wanted in held or "all" in held:
        return True
    is_read = wanted.endswith("/read") or wanted == "statements/read/mine"
    return is_read and "all/read" in held
