"""Resource owners (roster students and guardians) logging in at the authorization endpoint.

The password is gateway-local and scrypt-hashed: a stand-in until a deployment plugs in its SSO
(学習eポータル / OIDC), which would replace `login` and nothing else."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import UTC, datetime, timedelta

from gateway.auth.documents import OwnerPassword
from gateway.errors import BadRequest, NotFound

# scrypt parameters (RFC 7914): n=2^14, r=8, p=1 is the interactive-login setting, ~16 MB, ~50 ms.
_N, _R, _P = 2**14, 8, 1
MIN_PASSWORD_LENGTH = 8
# Online guessing: after this many consecutive failures the account refuses every password for a while.
MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)
OWNER_ROLES = ("student", "guardian", "parent", "relative")


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=_N, r=_R, p=_P, maxmem=64 * 1024 * 1024)
    return f"scrypt${_N}${_R}${_P}${salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str) -> bool:
    scheme, n, r, p, salt, digest = stored.split("$")
    if scheme != "scrypt":
        return False
    candidate = hashlib.scrypt(
        password.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p), maxmem=64 * 1024 * 1024
    )
    return hmac.compare_digest(candidate.hex(), digest)


def roster_user(sourced_id: str) -> dict | None:
    from gateway.oneroster import store

    return store.find_one("users", sourced_id)


def roster_user_by_username(username: str) -> dict | None:
    from gateway.oneroster import store

    matches = store.find_matching("users", {"username": username})
    return matches[0] if len(matches) == 1 else None


def roster_roles(user: dict) -> set[str]:
    roles = {role.get("role") for role in user.get("roles") or () if isinstance(role, dict)}
    return {role for role in roles if role}


def set_password(username: str, password: str) -> dict:
    """Sets the gateway password of the roster user `username` (a student or a guardian)."""
    user = roster_user_by_username(username)
    if user is None:
        raise NotFound(f"no roster user with username {username!r}", details={"field": "username"})
    if not roster_roles(user) & set(OWNER_ROLES):
        raise BadRequest(
            "only students and guardians log in at the authorization endpoint", details={"field": "username"}
        )
    if len(password) < MIN_PASSWORD_LENGTH:
        raise BadRequest(
            f"the password must have at least {MIN_PASSWORD_LENGTH} characters", details={"field": "password"}
        )
    OwnerPassword.objects(user_sourced_id=user["_id"]).update_one(
        set__username=username,
        set__password_hash=hash_password(password),
        set__updated_at=datetime.now(UTC),
        set__failed_logins=0,
        unset__locked_until=True,
        upsert=True,
    )
    return user


def login(username: str, password: str) -> dict | None:
    """The roster user for valid credentials, else None (never says which part was wrong)."""
    stored = OwnerPassword.objects(username=username).first()
    if stored is None:
        hash_password(password)  # same cost whether or not the user exists
        return None
    now = datetime.now(UTC)
    locked = stored.locked_until is not None and stored.locked_until.replace(tzinfo=UTC) > now
    if locked or not verify_password(password, stored.password_hash):
        if not locked:
            _record_failure(stored, now)
        return None
    if stored.failed_logins:
        OwnerPassword.objects(user_sourced_id=stored.user_sourced_id).update_one(set__failed_logins=0)
    return roster_user(stored.user_sourced_id)


def _record_failure(stored: OwnerPassword, now: datetime) -> None:
    collection = OwnerPassword._get_collection()
    after = collection.find_one_and_update(
        {"_id": stored.user_sourced_id}, {"$inc": {"failed_logins": 1}}, return_document=True
    )
    if after and after.get("failed_logins", 0) >= MAX_FAILED_LOGINS:
        collection.update_one(
            {"_id": stored.user_sourced_id}, {"$set": {"failed_logins": 0, "locked_until": now + LOCKOUT}}
        )
