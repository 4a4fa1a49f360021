"""Client secrets: generated with 256 bits of entropy and stored only as a SHA-256 digest.

A slow password hash (scrypt, argon2) protects low-entropy human passwords from guessing; these
secrets are random, so guessing is hopeless and a fast digest is the standard choice. It also
keeps HTTP Basic authentication, which checks the secret on every xAPI request, cheap.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

SCHEME = "sha256"


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def new_client_id() -> str:
    return secrets.token_hex(10)


def hash_secret(secret: str) -> str:
    return f"{SCHEME}${hashlib.sha256(secret.encode()).hexdigest()}"


def verify_secret(secret: str, stored_hash: str) -> bool:
    return hmac.compare_digest(hash_secret(secret), stored_hash)
