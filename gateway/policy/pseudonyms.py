"""Keyed pseudonyms: HMAC-SHA256 over (recipient, subject) with a server secret, so a recipient
sees the same pseudonym for a student on every request, and two recipients cannot link theirs."""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from functools import lru_cache
from pathlib import Path

PSEUDONYM_HOME_PAGE = "https://pseudonym.kakehashi.example"
KEY_FILE = "pseudonym.key"


def load_key(config: dict) -> bytes:
    """KAKEHASHI_PSEUDONYM_KEY (app config, else environment), else a key generated once into the
    data directory (readable by its owner only)."""
    configured = config.get("KAKEHASHI_PSEUDONYM_KEY") or os.environ.get("KAKEHASHI_PSEUDONYM_KEY")
    if configured:
        return configured.encode()
    path = Path(config.get("KAKEHASHI_DATA_DIR") or "./var") / KEY_FILE
    if path.exists():
        return path.read_text().strip().encode()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another worker created it first
        return path.read_text().strip().encode()
    with os.fdopen(descriptor, "w") as file:
        file.write(key)
    return key.encode()


@lru_cache(maxsize=65_536)  # a pure function of its arguments: one HMAC per pair, not per response
def pseudonym(key: bytes, recipient_scope: str, subject: str) -> str:
    return hmac.new(key, f"{recipient_scope}\x1f{subject}".encode(), hashlib.sha256).hexdigest()


def pseudonymous_agent(key: bytes, recipient_scope: str, subject: str) -> dict:
    """A spec-valid xAPI Agent standing for `subject` towards this recipient."""
    return {
        "objectType": "Agent",
        "account": {"homePage": PSEUDONYM_HOME_PAGE, "name": pseudonym(key, recipient_scope, subject)},
    }
