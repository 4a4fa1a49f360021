"""/me and consents with real OAuth2 bearer tokens bound to a consent: revocation stops the token on
the very next request; an erasure removes the person's tokens and login too."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from gateway.policy import consent
from tests.api.policy.helpers import seed_roster


@pytest.fixture
def token(app):
    """A student_app token acting for stu-16 under an active consent: (access token, consent id)."""
    from gateway.auth.documents import OwnerPassword
    from gateway.auth.service import register_client
    from gateway.auth.tokens import ResourceOwner, store_token

    with app.app_context():
        seed_roster()
        issued = register_client("まなびアプリ", "student_app", "me consent.read consent.write")
        receipt = consent.grant_consent(
            subject="stu-16",
            granted_by="stu-16",
            granted_by_role="student",
            recipient_client_id=issued.client_id,
            purpose="learning-support",
            categories=["process.study-time"],
            valid_from=datetime.now(UTC),
            valid_until=datetime.now(UTC) + timedelta(days=30),
        )
        consent_id = receipt["kakehashi"]["id"]
        store_token(
            {"access_token": "token-stu-16", "expires_in": 3600, "scope": "me consent.read consent.write"},
            client_id=issued.client_id,
            grant_type="authorization_code",
            owner=ResourceOwner("stu-16", "stu-16", consent_id),
        )
        OwnerPassword._get_collection().insert_one(
            {
                "_id": "stu-16",
                "username": "user-stu-16",
                "password_hash": "x",
                "updated_at": datetime.now(UTC),
            }
        )
    return {"Authorization": "Bearer token-stu-16"}, consent_id


def test_revoking_the_tokens_consent_stops_the_very_next_request(client, token):
    headers, consent_id = token
    assert client.get("/me", headers=headers).status_code == 200
    assert client.get("/me/consents", headers=headers).json["total"] == 1
    revoked = client.post(f"/consents/{consent_id}/revoke", headers=headers)
    assert revoked.status_code == 200 and revoked.json["kakehashi"]["revoked_by"] == "stu-16"
    after = client.get("/me", headers=headers)
    assert after.status_code == 401
    assert "invalid_token" in after.headers["WWW-Authenticate"]


def test_erasure_removes_the_persons_tokens_and_login(client, token, app):
    headers, _ = token
    response = client.delete("/me", headers=headers, json={"confirm": "erase"})
    assert response.status_code == 200, response.json
    assert response.json["counts"]["oauth"] == 2  # the token and the password
    assert client.get("/me", headers=headers).status_code == 401
    import bson

    from gateway.storage.connection import database

    with app.app_context():
        for name in database().list_collection_names():
            for document in database()[name].find({}):
                assert b"stu-16" not in bson.encode(document), name


def test_a_token_whose_consent_expired_releases_nothing(client, token, app):
    headers, consent_id = token
    assert client.get("/me", headers=headers).status_code == 200
    with app.app_context():
        consent.Consent._get_collection().update_one(
            {"_id": consent_id}, {"$set": {"valid_until": datetime.now(UTC) - timedelta(seconds=1)}}
        )
        consent.note_change(consent.find_consent(consent_id)["recipient_client_id"])
        assert (
            consent.active_consents(consent.find_consent(consent_id)["recipient_client_id"], ["stu-16"]) == {}
        )
    assert client.get("/me", headers=headers).status_code == 401
