"""A roster to consent about, and principals acting for a student until OAuth2 tokens carry them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from flask import g

from gateway.auth.scopes import grants

VIEW_MODULES = ("consent_views", "audit_views", "rights_views")


@dataclass(frozen=True)
class ActingPrincipal:
    """The contract's Principal (gateway.auth.service) with subject/actor, for view tests."""

    client_id: str
    name: str
    role: str
    scopes: frozenset[str]
    last_xapi_version: str | None = None
    organisation: str | None = None
    subject: str | None = None
    actor: str | None = None
    consent_id: str | None = None
    token_id: str | None = None

    def may(self, scope: str) -> bool:
        return grants(self.scopes, scope)


def act_as(monkeypatch, principal: ActingPrincipal) -> None:
    """Requests to the policy views authenticate as `principal` (whatever their credentials)."""
    import importlib

    def authenticate(realm: str = "") -> ActingPrincipal:
        g.principal = principal
        return principal

    for name in VIEW_MODULES:
        monkeypatch.setattr(
            importlib.import_module(f"gateway.policy.{name}"), "authenticate_request", authenticate
        )


def born(years: int) -> str:
    today = datetime.now(UTC).date()
    return (date(today.year - years, today.month, min(today.day, 28)) - timedelta(days=1)).isoformat()


def seed_roster() -> None:
    """Board B1 > school S1; students stu-16 (16, e-mail) and stu-14 (14, guardian g-14); stu-other."""
    from gateway.oneroster.repository import collection

    collection("orgs").insert_many(
        [
            {
                "_id": "B1",
                "sourcedId": "B1",
                "name": "静岡県教育委員会",
                "type": "district",
                "identifier": "220001",
            },
            {
                "_id": "S1",
                "sourcedId": "S1",
                "name": "かけはし高校",
                "type": "school",
                "identifier": "D122299000010",
                "parent": {"sourcedId": "B1", "type": "org"},
            },
        ]
    )

    def user(sourced_id, role, given, family, email=None, agents=()):
        return {
            "_id": sourced_id,
            "sourcedId": sourced_id,
            "status": "active",
            "enabledUser": "true",
            "username": f"user-{sourced_id}",
            "givenName": given,
            "familyName": family,
            "email": email,
            "roles": [{"roleType": "primary", "role": role, "org": {"sourcedId": "S1", "type": "org"}}],
            "agents": [{"sourcedId": agent, "type": "user"} for agent in agents],
            "password": "never-released",
        }

    collection("users").insert_many(
        [
            user("stu-16", "student", "花子", "山田", email="hanako.yamada@example.jp"),
            user("stu-14", "student", "太郎", "佐藤", agents=["g-14"]),
            user("g-14", "guardian", "次郎", "佐藤", agents=["stu-14"]),
            user("stu-other", "student", "一郎", "鈴木", email="ichiro@example.jp"),
        ]
    )
    collection("demographics").insert_many(
        [
            {"_id": "stu-16", "sourcedId": "stu-16", "birthDate": born(16), "sex": "female"},
            {"_id": "stu-14", "sourcedId": "stu-14", "birthDate": born(14), "sex": "male"},
            {"_id": "stu-other", "sourcedId": "stu-other", "birthDate": born(16), "sex": "male"},
        ]
    )
    collection("enrollments").insert_many(
        [
            {
                "_id": f"enr-{u}",
                "sourcedId": f"enr-{u}",
                "user": {"sourcedId": u, "type": "user"},
                "class": {"sourcedId": "C1", "type": "class"},
                "school": {"sourcedId": "S1", "type": "org"},
                "role": "student",
            }
            for u in ("stu-16", "stu-14", "stu-other")
        ]
    )
