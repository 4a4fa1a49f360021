"""The single release hook: every statement and document the gateway returns passes through here.

Today it enforces the xAPI scopes of the calling client; the consent and security-tier policy
engine plugs in at these same functions, so no endpoint ever filters data on its own.
"""

from __future__ import annotations

from dataclasses import dataclass

from gateway.auth.service import Principal
from gateway.errors import Forbidden


@dataclass(frozen=True)
class StatementReadScope:
    """Which statements a principal may read: all, or only those it is the authority of."""

    authority_key: str | None = None  # None: every statement

    def criteria(self) -> dict:
        """Query criteria that keep a statement query inside this scope."""
        return {} if self.authority_key is None else {"authority": self.authority_key}

    def allows(self, record: dict) -> bool:
        return self.authority_key is None or record.get("authority") == self.authority_key


def statement_read_scope(principal: Principal, own_authority_key: str) -> StatementReadScope:
    """The statements `principal` may read; Forbidden (403) when it may read none."""
    if principal.may("statements/read"):
        return StatementReadScope()
    if principal.may("statements/read/mine"):
        return StatementReadScope(authority_key=own_authority_key)
    raise Forbidden(
        "this client may not read statements (needs scope statements/read or statements/read/mine)",
        code="insufficient_scope",
        details={"required_scope": ["statements/read", "statements/read/mine"]},
    )


def release_statements(scope: StatementReadScope, records: list[dict]) -> list[dict]:
    """The statements of `records` that may leave the gateway, as they may leave it."""
    return [record["statement"] for record in records if scope.allows(record)]


def require_write(principal: Principal, scope: str = "statements/write") -> None:
    if not principal.may(scope):
        raise Forbidden(
            f"this client may not write (needs scope {scope})",
            code="insufficient_scope",
            details={"required_scope": [scope]},
        )
