"""The consent API: grants by a student app (student or guardian), paper consents by the school,
receipts, listing per visibility, revocation, /me/consents."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from gateway.policy import consent
from tests.api.policy.helpers import ActingPrincipal, act_as, seed_roster

UNTIL = (datetime.now(UTC) + timedelta(days=90)).isoformat()
APP = dict(client_id="app-1", name="まなびアプリ", role="student_app")


@pytest.fixture
def roster(app, make_credentials):
    with app.app_context():
        seed_roster()
    return make_credentials("statements/read", role="provider", name="Juku")[0]


def body(recipient, **extra):
    return {
        "recipient_client_id": recipient,
        "purpose": "learning-support",
        "categories": ["process.study-time", "assessment.mock-exam"],
        "valid_until": UNTIL,
        **extra,
    }


def student_app(subject, actor=None, scopes=("consent.write", "consent.read", "me")):
    return ActingPrincipal(**APP, scopes=frozenset(scopes), subject=subject, actor=actor or subject)


def test_student_of_16_consents_and_revokes(client, monkeypatch, roster, app):
    act_as(monkeypatch, student_app("stu-16"))
    response = client.post("/consents", json=body(roster))
    assert response.status_code == 201, response.json
    receipt = response.json
    assert receipt["record_header"]["pii_principal_id"] == "stu-16"
    assert receipt["kakehashi"]["granted_by_role"] == "student"
    assert receipt["kakehashi"]["collection_method"] == "electronic"
    assert response.headers["Location"] == f"/consents/{receipt['kakehashi']['id']}"
    assert client.get(f"/consents/{receipt['kakehashi']['id']}").json["consent_status"] == "active"
    assert client.get("/me/consents").json["total"] == 1
    with app.app_context():
        assert consent.active_consents(roster, ["stu-16"])
    revoked = client.post(f"/consents/{receipt['kakehashi']['id']}/revoke")
    assert revoked.status_code == 200 and revoked.json["consent_status"] == "revoked"
    with app.app_context():
        assert consent.active_consents(roster, ["stu-16"]) == {}
    again = client.delete(f"/consents/{receipt['kakehashi']['id']}")
    assert again.status_code == 409 and again.json["error"]["code"] == "consent_revoked"


def test_student_of_14_needs_a_guardian(client, monkeypatch, roster):
    act_as(monkeypatch, student_app("stu-14"))
    refused = client.post("/consents", json=body(roster))
    assert refused.status_code == 403 and refused.json["error"]["code"] == "may_not_grant"
    act_as(monkeypatch, student_app("stu-14", actor="g-14"))
    granted = client.post("/consents", json=body(roster))
    assert granted.status_code == 201
    assert granted.json["kakehashi"]["granted_by"] == "g-14"
    assert granted.json["kakehashi"]["granted_by_role"] == "guardian"


def test_a_token_grants_for_its_own_subject_only(client, monkeypatch, roster):
    act_as(monkeypatch, student_app("stu-16"))
    response = client.post("/consents", json=body(roster, subject="stu-other"))
    assert response.status_code == 403 and response.json["error"]["code"] == "wrong_subject"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"purpose": "advertising"}, "purpose"),
        ({"categories": ["roster.shoe-size"]}, "categories"),
        ({"categories": []}, "categories"),
        ({"valid_until": "2020-01-01T00:00:00+09:00"}, "valid_until"),
        ({"valid_until": "2030-01-01T00:00:00"}, "valid_until"),
        ({"recipient_client_id": "nobody"}, "recipient_client_id"),
        ({"colour": "blue"}, "colour"),
    ],
)
def test_bad_grants_are_400_naming_the_field(client, monkeypatch, roster, app, change, field):
    act_as(monkeypatch, student_app("stu-16"))
    response = client.post("/consents", json={**body(roster), **change})
    assert response.status_code == 400, response.json
    details = response.json["error"]["details"]
    assert details.get("field") == field or field in details
    with app.app_context():
        assert consent.Consent.objects.count() == 0


def test_school_records_a_paper_consent_for_its_student(client, monkeypatch, roster):
    school = ActingPrincipal(
        "school-1", "かけはし高校", "school", frozenset({"consent.write", "consent.read"}), organisation="S1"
    )
    act_as(monkeypatch, school)
    response = client.post("/consents", json=body(roster, subject="stu-14", granted_by="g-14"))
    assert response.status_code == 201, response.json
    assert response.json["kakehashi"]["collection_method"] == "paper"
    assert response.json["kakehashi"]["recorded_by"] == "school-1"
    missing = client.post("/consents", json=body(roster, subject="stu-14"))
    assert missing.status_code == 400 and missing.json["error"]["details"]["field"] == "granted_by"
    other_school = ActingPrincipal(
        "school-2", "別の学校", "school", frozenset({"consent.write"}), organisation="S9"
    )
    act_as(monkeypatch, other_school)
    refused = client.post("/consents", json=body(roster, subject="stu-14", granted_by="g-14"))
    assert refused.status_code == 403 and refused.json["error"]["code"] == "not_your_student"
    board = ActingPrincipal("board-1", "教育委員会", "board", frozenset({"consent.read"}), organisation="B1")
    act_as(monkeypatch, board)
    assert client.get("/consents").json["total"] == 1


def test_listing_follows_visibility(client, monkeypatch, roster):
    act_as(monkeypatch, student_app("stu-16"))
    mine = client.post("/consents", json=body(roster)).json["kakehashi"]["id"]
    act_as(monkeypatch, student_app("stu-other"))
    client.post("/consents", json=body(roster))
    assert client.get(f"/consents/{mine}").status_code == 404
    assert client.get("/consents").json["total"] == 1
    recipient = ActingPrincipal(roster, "Juku", "provider", frozenset({"consent.read", "consent.write"}))
    act_as(monkeypatch, recipient)
    listing = client.get("/consents?status=active")
    assert listing.json["total"] == 2 and listing.headers["X-Total-Count"] == "2"
    assert client.get("/consents?subject=stu-16").json["total"] == 1
    assert client.get("/consents?status=nonsense").status_code == 400
    assert client.get("/consents?colour=blue").status_code == 400
    assert client.post(f"/consents/{mine}/revoke").json["kakehashi"]["revoked_by"] == f"client:{roster}"


def test_scopes_and_roles(client, monkeypatch, roster):
    act_as(monkeypatch, student_app("stu-16", scopes=("consent.read",)))
    assert client.post("/consents", json=body(roster)).json["error"]["code"] == "insufficient_scope"
    vendor = ActingPrincipal("v", "Vendor", "provider", frozenset({"consent.write"}))
    act_as(monkeypatch, vendor)
    assert client.post("/consents", json=body(roster)).json["error"]["code"] == "not_a_grantor"
    act_as(monkeypatch, ActingPrincipal("v", "Vendor", "provider", frozenset({"me"})))
    assert client.get("/me/consents").json["error"]["code"] == "subject_required"


@pytest.mark.parametrize("role", ["provider", "third_party", "school", "board"])
def test_only_a_student_app_token_grants_for_its_student(client, monkeypatch, roster, app, role):
    """consent.write on a token acting for a student does not let any client give itself (or
    another recipient) the student's consent: the electronic path is the student app's."""
    token = ActingPrincipal(
        "c-1",
        "塾のアプリ",
        role,
        frozenset({"consent.write", "consent.read"}),
        organisation="S1",
        subject="stu-16",
        actor="stu-16",
    )
    act_as(monkeypatch, token)
    for grant in (body(roster), body("c-1"), body(roster, subject="stu-16")):
        response = client.post("/consents", json=grant)
        assert response.status_code == 403, response.json
        assert response.json["error"]["code"] == "not_a_student_app"
        assert response.json["error"]["details"] == {"role": role}
    with app.app_context():
        assert consent.Consent.objects.count() == 0
    # the same client recording a paper consent, without acting for a student, is unchanged
    if role == "school":
        act_as(monkeypatch, ActingPrincipal("c-1", "かけはし高校", role, token.scopes, organisation="S1"))
        paper = client.post("/consents", json=body(roster, subject="stu-14", granted_by="g-14"))
        assert paper.status_code == 201 and paper.json["kakehashi"]["collection_method"] == "paper"


def test_basic_credentials_work_for_a_recipient(client, make_credentials, roster):
    from tests.conftest import basic_auth

    assert client.get("/consents").status_code == 401
    credentials = make_credentials("consent.read", role="provider")
    response = client.get("/consents", headers=basic_auth(*credentials))
    assert response.status_code == 200 and response.json["total"] == 0
