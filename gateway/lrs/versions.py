"""xAPI version negotiation through the X-Experience-API-Version header."""

from __future__ import annotations

import re

from gateway.errors import BadRequest

VERSION_HEADER = "X-Experience-API-Version"
XAPI_1_0_3 = "1.0.3"
XAPI_2_0_0 = "2.0.0"
SUPPORTED_VERSIONS = (XAPI_1_0_3, XAPI_2_0_0)
NEWEST_VERSION = XAPI_2_0_0

_VERSION = re.compile(r"^(?P<major>\d+)\.(?P<minor>\d+)(?:\.(?P<patch>\d+))?$")


def negotiate_version(header: str | None) -> str:
    """The version this LRS speaks for a request: the newest patch of the requested major.minor.

    xAPI: requests without the header, or with a version the LRS does not support, are rejected
    with 400. 1.0.0-1.0.3 are served as 1.0.3; 2.0.x as 2.0.0.
    """
    if header is None or not header.strip():
        raise BadRequest(
            f"the {VERSION_HEADER} header is required (supported: {', '.join(SUPPORTED_VERSIONS)})",
            code="version_required",
            details={"header": VERSION_HEADER},
        )
    match = _VERSION.match(header.strip())
    if match:
        major_minor = (int(match["major"]), int(match["minor"]))
        patch = int(match["patch"] or 0)
        if major_minor == (1, 0) and patch <= 3:
            return XAPI_1_0_3
        if major_minor == (2, 0):
            return XAPI_2_0_0
    raise BadRequest(
        f"unsupported {VERSION_HEADER} {header.strip()!r} (supported: {', '.join(SUPPORTED_VERSIONS)})",
        code="version_unsupported",
        details={"header": VERSION_HEADER},
    )


def declared_version(negotiated: str | None, last_used: str | None) -> str:
    """The X-Experience-API-Version of a response ("every response", 1.0.3 Communication 3.3.s3.b1,
    2.0 4.1.2): the version negotiated for the request. A request that named no supported version
    (400) was served in none; its response declares the version the same client named last, the one
    it is known to speak, and otherwise the newest. So a 1.0.3 client that leaves the header out is
    answered as a 1.0.3 LRS would answer it (1.0.3), and a 2.0 client as a 2.0 LRS would (2.0.0)."""
    return negotiated or last_used or NEWEST_VERSION
