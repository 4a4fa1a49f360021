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


# xAPI defines no scope of its own for reading the Activities and Agents resources: any client that
# reads or writes xAPI data about activities and agents may read what the LRS knows of them.
DEFINITION_READ_SCOPES = ("statements/read", "statements/read/mine", "define", "state", "profile")


def _require_document_read(principal: Principal, scope: str) -> None:
    # The `state` and `profile` scopes are read/write; `all/read` (and `all`) imply reading both.
    if not (principal.may(scope) or principal.may("all/read")):
        raise Forbidden(
            f"this client may not read these documents (needs scope {scope} or all/read)",
            code="insufficient_scope",
            details={"required_scope": [scope, "all/read"]},
        )


def release_document(principal: Principal, scope: str, document: object) -> object:
    """A State, Activity Profile or Agent Profile document (`scope` "state" or "profile"), as it may
    leave the gateway (today: unchanged); Forbidden (403) when the principal may not read that resource."""
    _require_document_read(principal, scope)
    return document


def release_document_ids(principal: Principal, scope: str, ids: list[str]) -> list[str]:
    """The ids of a document listing (GET without stateId/profileId) that may leave the gateway."""
    _require_document_read(principal, scope)
    return ids


def _require_definition_read(principal: Principal) -> None:
    if not any(principal.may(scope) for scope in DEFINITION_READ_SCOPES):
        raise Forbidden(
            "this client may not read activities or agents (needs an xAPI read scope)",
            code="insufficient_scope",
            details={"required_scope": list(DEFINITION_READ_SCOPES)},
        )


def release_activity(principal: Principal, activity: dict) -> dict:
    """The canonical Activity object (Activities resource) as it may leave the gateway."""
    _require_definition_read(principal)
    return activity


def release_person(principal: Principal, person: dict) -> dict:
    """The Person object (Agents resource) as it may leave the gateway."""
    _require_definition_read(principal)
    return person


# OneRoster (1.2 Rostering §"Scopes"; 1.1 has the same three): the core read operations accept
# roster-core.readonly or roster.readonly, the nested collections (classes of a school, students of
# a class, ...) need roster.readonly, demographics need roster-demographics.readonly. The 1.1 and 1.2
# scope of the same name grant the same reads on both bindings (they serve the same records). xAPI's
# `all` and `all/read` grant no roster reads: roster data is granted by name only.
_ONEROSTER_SCOPE_PREFIXES = (
    "https://purl.imsglobal.org/spec/or/v1p2/scope/",
    "https://purl.imsglobal.org/spec/or/v1p1/scope/",
)
ROSTER_ACCESS_SCOPES = {
    "core": ("roster-core.readonly", "roster.readonly"),
    "roster": ("roster.readonly",),
    "demographics": ("roster-demographics.readonly",),
}
# Never released, whatever the scope: OneRoster allows a user's `password`, the gateway keeps it in.
WITHHELD_ROSTER_FIELDS = {"users": ("password",)}


def require_roster_read(principal: Principal, access: str) -> None:
    """Forbidden (403) unless `principal` holds a OneRoster scope granting `access` ("core",
    "roster" or "demographics", see gateway.oneroster.operations)."""
    names = ROSTER_ACCESS_SCOPES[access]
    accepted = [prefix + name for prefix in _ONEROSTER_SCOPE_PREFIXES for name in names]
    if not any(scope in principal.scopes for scope in accepted):
        raise Forbidden(
            f"this client may not read this roster resource (needs scope {' or '.join(accepted[: len(names)])})",
            code="insufficient_scope",
            details={"required_scope": accepted},
        )


def release_roster(principal: Principal, access: str, entity: str, records: list[dict]) -> list[dict]:
    """The OneRoster records of `entity` (as serialised for the response) that may leave the gateway,
    as they may leave it: today every record the scope allows, without the withheld fields."""
    require_roster_read(principal, access)
    withheld = WITHHELD_ROSTER_FIELDS.get(entity, ())
    if not withheld:
        return records
    return [{key: value for key, value in record.items() if key not in withheld} for record in records]


def release_units(principal: Principal | None, units: list[dict]) -> list[dict]:
    """Curriculum units (学習指導要領コード rows) as they may leave the gateway. They are public
    reference data (MEXT open data), so any authenticated client may read them whatever its
    scopes; the views still require authentication, keeping every API read attributable."""
    if principal is None:
        raise Forbidden("curriculum units are released to authenticated clients only", code="insufficient_scope")
    return units


# Units to review (要復習単元) are derived from a student's exam results and learning statements:
# coaches' and teachers' reports, so they need the reports scope (or a read of every statement).
REVIEW_READ_SCOPES = ("reports.read", "statements/read")


def release_review(principal: Principal, student: str, review: dict) -> dict:
    """The units-to-review report of the roster user `student` as it may leave the gateway (today:
    unchanged); Forbidden (403) unless the principal may read reports or every statement."""
    if not any(principal.may(scope) for scope in REVIEW_READ_SCOPES):
        raise Forbidden(
            "this client may not read units-to-review reports (needs scope reports.read or statements/read)",
            code="insufficient_scope",
            details={"required_scope": list(REVIEW_READ_SCOPES)},
        )
    return review
