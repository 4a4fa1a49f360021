"""The opaque `more` cursor of statement queries: the query, page size and keyset position, in a
signed, expiring JWS (joserfc), bound to the client that ran the query."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import time
from datetime import datetime

from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import OctKey

from gateway.errors import BadRequest
from gateway.lrs.query import StatementQuery

CURSOR_LIFETIME_S = 24 * 3600


def _key(secret: str) -> OctKey:
    return OctKey.import_key(hashlib.sha256(("xapi-more:" + secret).encode()).digest())


def encode_cursor(
    query: StatementQuery, page_size: int, after: tuple[str, int], secret: str, client_id: str
) -> str:
    fields = dataclasses.asdict(query)
    for name in ("since", "until"):
        if fields[name] is not None:
            fields[name] = fields[name].isoformat()
    payload = {
        "q": fields,
        "n": page_size,
        "after": list(after),
        "sub": client_id,
        "exp": int(time.time()) + CURSOR_LIFETIME_S,
    }
    token = jws.serialize_compact({"alg": "HS256"}, json.dumps(payload, separators=(",", ":")), _key(secret))
    return token


def decode_cursor(token: str, secret: str, client_id: str):
    """(StatementQuery, page size, keyset position (batch id, index)) of a cursor this gateway issued to `client_id`."""
    try:
        payload = json.loads(jws.deserialize_compact(token, _key(secret), algorithms=["HS256"]).payload)
    except (JoseError, ValueError, TypeError):
        raise BadRequest("the more cursor is not valid", details={"parameter": "more"}) from None
    if payload.get("sub") != client_id or payload.get("exp", 0) < time.time():
        raise BadRequest(
            "the more cursor has expired or belongs to another client",
            details={"parameter": "more"},
        )
    fields = payload["q"]
    for name in ("since", "until"):
        if fields[name] is not None:
            fields[name] = datetime.fromisoformat(fields[name])
    fields["languages"] = tuple(fields["languages"])
    batch_id, index = payload["after"]
    return StatementQuery(**fields), payload["n"], (batch_id, index)
