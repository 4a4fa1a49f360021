"""Consent records: grant, receipt, revoke, expiry, active_consents in one query, the age rule."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta

import pytest

from gateway.errors import BadRequest, Conflict, NotFound
from gateway.policy import consent as consents

NOW = datetime.now(UTC)


def grant(**overrides) -> dict:
    arguments = dict(
        subject="stu-1",
        granted_by="stu-1",
        granted_by_role="student",
        recipient_client_id="client-a",
        purpose="learning-support",
        categories=["process.study-time", "assessment.mock-exam"],
        valid_from=NOW - timedelta(minutes=1),
        valid_until=NOW + timedelta(days=30),
    )
    arguments.update(overrides)
    return consents.grant_consent(**arguments)


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield


def test_grant_returns_a_27560_receipt(ctx):
    receipt = grant(recipient_organisation="org-juku")
    assert receipt["consent_status"] == "active"
    assert receipt["record_header"]["pii_principal_id"] == "stu-1"
    purpose = receipt["pii_processing"]["purposes"][0]
    assert purpose["purpose"] == "learning-support" and purpose["lawful_basis"] == "consent"
    assert purpose["pii_information"] == [
        {"pii_type": "process.study-time"},
        {"pii_type": "assessment.mock-exam"},
    ]
    assert purpose["recipient_third_parties"] == ["recipient:client-a"]
    assert receipt["party_identification"][0]["organisation"] == "org-juku"
    assert receipt["event"][0]["state"] == "given" and receipt["event"][0]["entity_role"] == "student"
    assert receipt["event"][0]["duration"] == 30 * 86400 + 60
    assert consents.consent_is_active(receipt["kakehashi"]["id"])


def test_the_receipt_names_the_student_s_school_as_controller_and_the_recipient_as_third_party(ctx):
    from gateway.auth.service import register_client
    from gateway.oneroster.repository import collection

    collection("orgs").insert_one(
        {"_id": "sch-1", "sourcedId": "sch-1", "name": "県立一高", "type": "school"}
    )
    collection("users").insert_one(
        {"_id": "stu-1", "sourcedId": "stu-1", "roles": [{"role": "student", "org": {"sourcedId": "sch-1"}}]}
    )
    juku = register_client("学習塾ひかり", "provider", "statements/read")
    receipt = grant(recipient_client_id=juku.client_id)
    purpose = receipt["pii_processing"]["purposes"][0]
    assert purpose["pii_controllers"] == ["org:sch-1"]
    assert purpose["recipient_third_parties"] == [f"recipient:{juku.client_id}"]
    parties = {party["party_role"]: party for party in receipt["party_identification"]}
    assert parties["PII Controller"]["party_name"] == "県立一高"
    assert parties["Third Party"]["party_name"] == "学習塾ひかり"


def test_revocation_is_immediate_and_once(ctx):
    receipt = grant()
    revoked = consents.revoke_consent(receipt["kakehashi"]["id"], by="stu-1")
    assert revoked["consent_status"] == "revoked"
    assert revoked["event"][-1]["state"] == "withdrawn"
    assert not consents.consent_is_active(receipt["kakehashi"]["id"])
    assert consents.active_consents("client-a", ["stu-1"]) == {}
    with pytest.raises(Conflict):
        consents.revoke_consent(receipt["kakehashi"]["id"], by="stu-1")
    with pytest.raises(NotFound):
        consents.revoke_consent("no-such-consent", by="stu-1")


def test_expired_and_pending_consents_are_not_active(ctx):
    receipt = grant(valid_until=NOW + timedelta(days=1))
    later = NOW + timedelta(days=2)
    assert not consents.consent_is_active(receipt["kakehashi"]["id"], at=later)
    assert consents.active_consents("client-a", ["stu-1"], at=later) == {}
    pending = grant(subject="stu-2", granted_by="stu-2", valid_from=NOW + timedelta(days=3))
    assert not consents.consent_is_active(pending["kakehashi"]["id"])
    assert consents.consent_is_active(pending["kakehashi"]["id"], at=NOW + timedelta(days=4))


def test_active_consents_groups_by_subject(ctx):
    first = grant()
    grant(
        subject="stu-2", granted_by="guardian-2", granted_by_role="guardian", categories=["roster.identity"]
    )
    grant(subject="stu-3", granted_by="stu-3", recipient_client_id="client-b")
    found = consents.active_consents("client-a", ["stu-1", "stu-2", "stu-3", "stu-4"])
    assert set(found) == {"stu-1", "stu-2"}
    view = found["stu-1"][0]
    assert view.id == first["kakehashi"]["id"]
    assert view.categories == frozenset({"process.study-time", "assessment.mock-exam"})
    assert found["stu-2"][0].categories == frozenset({"roster.identity"})


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"purpose": "advertising"}, "purpose"),
        ({"categories": []}, "categories"),
        ({"categories": ["roster.shoe-size"]}, "categories"),
        ({"valid_until": NOW - timedelta(days=1), "valid_from": NOW - timedelta(days=2)}, "valid_until"),
        ({"valid_until": NOW - timedelta(days=2)}, "valid_until"),
        ({"valid_from": datetime(2026, 1, 1)}, "valid_from"),
        ({"granted_by_role": "teacher"}, "granted_by_role"),
        ({"granted_by": "someone-else"}, "granted_by"),
        ({"subject": ""}, "subject"),
        ({"valid_until": NOW + timedelta(days=5000)}, "valid_until"),
    ],
)
def test_bad_grants_name_the_field_and_store_nothing(ctx, overrides, field):
    with pytest.raises(BadRequest) as error:
        grant(**overrides)
    assert error.value.details["field"] == field
    assert consents.Consent.objects.count() == 0


def student(sourced_id: str, born: date | None, agents=()) -> dict:
    user = {
        "sourcedId": sourced_id,
        "roles": [{"roleType": "primary", "role": "student", "org": {"sourcedId": "school-1"}}],
        "agents": [{"sourcedId": agent, "type": "user"} for agent in agents],
    }
    if born:
        user["birthDate"] = born.isoformat()
    return user


def guardian(sourced_id: str, agents=()) -> dict:
    return {
        "sourcedId": sourced_id,
        "roles": [{"roleType": "primary", "role": "guardian", "org": {"sourcedId": "school-1"}}],
        "agents": [{"sourcedId": agent, "type": "user"} for agent in agents],
    }


def years_ago(years: int, days: int = 0) -> date:
    today = datetime.now(UTC).date()
    return today.replace(year=today.year - years) - timedelta(days=days)


def test_age_rule(ctx, app):
    older = student("s-16", years_ago(16))
    younger = student("s-14", years_ago(15) + timedelta(days=1), agents=["g-1"])
    unknown = student("s-unknown", None)
    adult = student("s-19", years_ago(19), agents=["g-1"])
    parent = guardian("g-1")
    assert consents.may_grant(older, older)
    assert not consents.may_grant(younger, younger)  # 15 tomorrow
    assert consents.may_grant(parent, younger)
    assert not consents.may_grant(unknown, unknown)
    assert consents.may_grant(
        guardian("g-2", agents=["s-unknown"]), unknown
    )  # linked from the guardian's side
    assert not consents.may_grant(parent, older)  # not linked
    assert not consents.may_grant(parent, adult)  # 18 or older decides alone
    assert not consents.may_grant(older, younger)  # another student
    app.config["KAKEHASHI_CONSENT_MIN_AGE"] = 13
    assert consents.may_grant(younger, younger)


def test_birth_date_read_from_roster_demographics(ctx):
    from gateway.oneroster.repository import collection

    collection("demographics").insert_one({"_id": "s-d", "birthDate": years_ago(16).isoformat()})
    assert consents.may_grant(student("s-d", None), student("s-d", None))


def test_a_revocation_made_by_another_process_reaches_its_next_request(app, database_uri, tmp_path):
    """Each app (gateway process) answers from a recipient's consents read within the lease. A
    revocation made through another app waits out the lease before it answers, so the next call of
    every app is decided without it; a grant made elsewhere is seen once the lease has run out."""
    from gateway import create_app

    lease = consents.CONSENT_LEASE_SECONDS
    other = create_app(
        {
            "MONGODB_URI": database_uri,
            "MONGODB_DB": "kakehashi_test",
            "SECRET_KEY": "x",
            "KAKEHASHI_DATA_DIR": tmp_path,
        }
    )
    with app.app_context():
        assert consents.active_consents("client-a", ["stu-1"]) == {}  # cached: none
    with other.app_context():
        consent_id = grant()["kakehashi"]["id"]
        assert [view.id for view in consents.active_consents("client-a", ["stu-1"])["stu-1"]] == [consent_id]
    time.sleep(lease)
    with app.app_context():
        assert [view.id for view in consents.active_consents("client-a", ["stu-1"])["stu-1"]] == [consent_id]
    with other.app_context():
        started = time.monotonic()
        consents.revoke_consent(consent_id, by="stu-1")
        assert time.monotonic() - started >= lease  # waited out every process's lease
    with app.app_context():
        assert consents.active_consents("client-a", ["stu-1"]) == {}


def test_a_revocation_waits_out_the_longest_lease_any_process_uses(app, database_uri, tmp_path):
    # a gateway configured with a longer lease than the process revoking: the revocation waits for it
    from gateway import create_app

    longer = create_app(
        {"MONGODB_URI": database_uri, "MONGODB_DB": "kakehashi_test", "SECRET_KEY": "x",
         "KAKEHASHI_DATA_DIR": tmp_path, "KAKEHASHI_CONSENT_LEASE_SECONDS": 0.6}
    )  # fmt: skip
    with app.app_context():
        consent_id = grant()["kakehashi"]["id"]
    with longer.app_context():
        assert consents.active_consents("client-a", ["stu-1"])  # read under a 0.6 s lease
    with app.app_context():
        started = time.monotonic()
        consents.revoke_consent(consent_id, by="stu-1")
        assert time.monotonic() - started >= 0.6
    with longer.app_context():
        assert consents.active_consents("client-a", ["stu-1"]) == {}


def test_expiry_needs_no_change_to_be_seen(ctx):
    receipt = grant(valid_until=NOW + timedelta(days=1))
    assert consents.active_consents("client-a", ["stu-1"])  # cached now
    later = NOW + timedelta(days=2)
    assert consents.active_consents("client-a", ["stu-1"], at=later) == {}
    assert not consents.consent_is_active(receipt["kakehashi"]["id"], at=later)
