"""Every roster user a statement names is a subject of its release: the actor (or a Group's
members), an Agent/Group object, a SubStatement's actor and object, context.instructor and
context.team. The least revealing decision over them wins; a pseudonymised statement replaces
every roster user by the recipient's pseudonym of that user; the audit entry names them all."""

from __future__ import annotations

import json
import uuid

import pytest

from tests.api.policy.test_release_matrix import ADL, MOCK_EXAM, NOTE, bearer_client, is_pseudonym, seed
from tests.conftest import basic_auth

STRICT = {"objectType": "Agent", "account": {"homePage": "https://id.d122299000010.kakehashi.example", "name": "stu-strict"}}  # fmt: skip
PERMISSIVE = {"objectType": "Agent", "account": {"homePage": "https://id.d199299000020.kakehashi.example", "name": "stu-perm"}}  # fmt: skip
TEACHER = {"objectType": "Agent", "name": "先生", "mbox": "mailto:teacher@example.org"}
STUDY = {"verb": {"id": ADL + "verbs/experienced"}}  # process.general (tier III in both profiles)


@pytest.fixture
def post(app, client, make_credentials):
    seed(app)
    writer = {**basic_auth(*make_credentials("statements/write")), "X-Experience-API-Version": "1.0.3"}

    def post(**statement) -> str:
        statement_id = str(uuid.uuid4())
        body = {"id": statement_id, **statement}
        response = client.post("/xapi/statements", json=body, headers=writer)
        assert response.status_code == 200, response.json
        return statement_id

    return post


@pytest.fixture
def audited(monkeypatch):
    import gateway.policy.audit as audit

    calls, real = [], audit.record_release

    def record(**kwargs):
        calls.append(kwargs)
        return real(**kwargs)

    monkeypatch.setattr(audit, "record_release", record)
    return calls


def read(client, headers) -> dict:
    response = client.get("/xapi/statements?limit=100", headers=headers)
    assert response.status_code == 200, response.json
    return {statement["id"]: statement for statement in response.json["statements"]}


def test_the_least_revealing_subject_decides_and_every_roster_user_is_pseudonymised(
    app, client, post, audited
):
    # mock exam (tier II) to a provider: the permissive profile gives identified, the strict one
    # pseudonymised: the statement goes pseudonymised, both students replaced, the teacher kept
    team = {"objectType": "Group", "name": "班", "member": [STRICT, TEACHER]}
    statement_id = post(actor=PERMISSIVE, context={"team": team, "instructor": TEACHER}, **MOCK_EXAM)
    only_permissive = post(actor=PERMISSIVE, **MOCK_EXAM)
    _, headers = bearer_client(app, client, "provider")
    statements = read(client, headers)
    released = statements[statement_id]
    assert is_pseudonym(released["actor"])
    team_out = released["context"]["team"]
    assert team_out["objectType"] == "Group" and team_out["name"] == "班"
    assert is_pseudonym(team_out["member"][0]) and team_out["member"][1] == TEACHER
    assert team_out["member"][0] != released["actor"]  # one pseudonym per student
    assert released["context"]["instructor"] == TEACHER
    assert statements[only_permissive]["actor"]["account"]["name"] == "stu-perm"
    (entry,) = audited
    assert sorted(entry["subjects"]) == ["stu-perm", "stu-strict"]


def test_one_subject_s_deny_withholds_the_statement(app, client, post):
    # tier III to a third party: strict gives aggregate (withheld), permissive pseudonymised
    about_strict = post(actor=TEACHER, object=STRICT, **STUDY)
    about_permissive = post(actor=TEACHER, object=PERMISSIVE, **STUDY)
    both = post(actor=TEACHER, object={"objectType": "Group", "member": [PERMISSIVE, STRICT]}, **STUDY)
    sub = post(
        actor=TEACHER,
        verb={"id": ADL + "verbs/experienced"},
        object={
            "objectType": "SubStatement",
            "actor": STRICT,
            **STUDY,
            "object": {"id": "https://kakehashi.example/a"},
        },
    )
    sub_object = post(
        actor=TEACHER,
        verb={"id": ADL + "verbs/experienced"},
        object={"objectType": "SubStatement", "actor": TEACHER, "verb": STUDY["verb"], "object": PERMISSIVE},
    )
    _, headers = bearer_client(app, client, "third_party")
    response = client.get("/xapi/statements?limit=100", headers=headers)
    statements = {s["id"]: s for s in response.json["statements"]}
    assert about_strict not in statements and both not in statements and sub not in statements
    released = statements[about_permissive]
    assert released["actor"] == TEACHER and is_pseudonym(released["object"])
    assert released["object"]["objectType"] == "Agent"
    inner = statements[sub_object]["object"]
    assert inner["actor"] == TEACHER and is_pseudonym(inner["object"])
    assert "process.general=3" in response.headers["X-Kakehashi-Withheld"]


def test_an_instructor_who_is_a_roster_user_is_a_subject(app, client, post):
    withheld = post(
        actor=TEACHER, context={"instructor": STRICT}, object={"id": "https://kakehashi.example/a"}, **STUDY
    )
    _, headers = bearer_client(app, client, "third_party")
    assert withheld not in read(client, headers)
    _, headers = bearer_client(app, client, "provider")
    assert read(client, headers)[withheld]["context"]["instructor"] == STRICT


def test_students_of_one_profile_are_decided_by_their_own_consents_on_one_page(app, client, post, audited):
    # the release plans a page once per kind of subject and statement: two students under the same
    # (strict) profile and school differ only by their consents, and so do their statements
    from datetime import UTC, datetime, timedelta

    from gateway.oneroster.repository import collection
    from gateway.policy.consent import grant_consent

    with app.app_context():
        collection("users").insert_one(
            {"_id": "stu-strict-2", "sourcedId": "stu-strict-2", "status": "active",
             "roles": [{"roleType": "primary", "role": "student", "org": {"sourcedId": "S1", "type": "org"}}]}
        )  # fmt: skip
    other = {"objectType": "Agent", "account": {**STRICT["account"], "name": "stu-strict-2"}}
    consented, not_consented = post(actor=STRICT, **MOCK_EXAM), post(actor=other, **MOCK_EXAM)
    client_id, headers = bearer_client(app, client, "provider")
    now = datetime.now(UTC)
    with app.app_context():
        grant_consent(
            subject="stu-strict", granted_by="stu-strict", granted_by_role="student",
            recipient_client_id=client_id, purpose="learning-support", categories=["assessment.mock-exam"],
            valid_from=now - timedelta(days=1), valid_until=now + timedelta(days=30),
        )  # fmt: skip
    statements = read(client, headers)
    assert statements[consented]["actor"]["account"]["name"] == "stu-strict"
    assert is_pseudonym(statements[not_consented]["actor"])
    (entry,) = audited
    by_subject = {subject: decision for decision in entry["decisions"] for subject in decision["subjects"]}
    assert by_subject["stu-strict"]["form"] == "identified" and by_subject["stu-strict"]["consent"]
    assert by_subject["stu-strict-2"]["form"] == "pseudonymised"
    assert by_subject["stu-strict-2"].get("consent") is None
    assert sorted(entry["organisations"]) == ["B1", "S1"]  # their school and board read the entry


def test_attachments_that_would_undo_the_shaping_are_withheld(app, client, post, make_credentials):
    # a signature's JWS carries the statement as stored (the coaching note a provider may not
    # read, the student's identity); any attachment of a pseudonymised statement may name the student
    import uuid as uuid_module

    from tests.api.test_xapi_attachments import _signed, attachment, multipart, post_multipart
    from tests.api.test_xapi_slice import statement

    writer = {**basic_auth(*make_credentials("statements/write")), "X-Experience-API-Version": "1.0.3"}
    session = statement(
        id=str(uuid_module.uuid4()),
        actor=STRICT,
        verb={"id": ADL + "verbs/attended"},
        object={"id": "https://kakehashi.example/activities/meeting",
                "definition": {"type": ADL + "activities/meeting"}},
        result={"extensions": {NOTE: "数学の復習を提案"}},
    )  # fmt: skip
    signed, token = _signed(session)
    assert (
        post_multipart(client, writer, multipart(signed, [("application/octet-stream", token)])).status_code
        == 200
    )
    essay = {**attachment(b"essay"), "fileUrl": "https://files.example/essay.pdf"}
    mock_exam = post(actor=STRICT, attachments=[essay], **MOCK_EXAM)

    _, provider = bearer_client(app, client, "provider")
    response = client.get("/xapi/statements", headers=provider, query_string={"attachments": "true"})
    assert response.status_code == 200 and response.mimetype == "multipart/mixed"
    assert token not in response.data  # no part carries the signature
    document = json.loads(response.data.split(b"\r\n\r\n", 1)[1].split(b"\r\n--", 1)[0])
    released = {s["id"]: s for s in document["statements"]}
    assert NOTE not in (released[session["id"]].get("result") or {}).get("extensions", {})
    assert "attachments" not in released[session["id"]]  # identified, but its note removed
    assert is_pseudonym(released[mock_exam]["actor"]) and "attachments" not in released[mock_exam]
    withheld = response.headers["X-Kakehashi-Withheld"]
    assert "process.coaching-session#attachment=1" in withheld
    assert "assessment.mock-exam#attachment=1" in withheld
    # a school reads both as stored, signature included
    _, school = bearer_client(app, client, "school")
    as_stored = client.get("/xapi/statements", headers=school, query_string={"attachments": "true"})
    assert token in as_stored.data


def test_xapi_2_context_agents_and_groups_and_a_substatement_s_context_name_subjects(
    app, client, make_credentials, audited
):
    # a teacher's statements (no roster user) naming the student in context.contextAgents,
    # context.contextGroups and a SubStatement's context: about the student; the mock exams go to a
    # provider pseudonymised (strict profile) with each naming replaced, valid xAPI 2.0 still
    seed(app)
    writer = {**basic_auth(*make_credentials("statements/write")), "X-Experience-API-Version": "2.0.0"}
    relevant = ["https://kakehashi.example/relevant-types/student"]
    by_context_agent = {
        "id": str(uuid.uuid4()), "actor": TEACHER, **MOCK_EXAM,
        "context": {"contextAgents": [{"objectType": "contextAgent", "agent": STRICT, "relevantTypes": relevant}]},
    }  # fmt: skip
    by_context_group = {
        "id": str(uuid.uuid4()), "actor": TEACHER, **MOCK_EXAM,
        "context": {"contextGroups": [{"objectType": "contextGroup",
                                       "group": {"objectType": "Group", "name": "班", "member": [STRICT, TEACHER]}}]},
    }  # fmt: skip
    in_sub_context = {
        "id": str(uuid.uuid4()), "actor": TEACHER, "verb": {"id": ADL + "verbs/experienced"},
        "object": {"objectType": "SubStatement", "actor": TEACHER, **MOCK_EXAM,
                   "context": {"instructor": STRICT}},
    }  # fmt: skip
    batch = [by_context_agent, by_context_group, in_sub_context]
    response = client.post("/xapi/statements", json=batch, headers=writer)
    assert response.status_code == 200, response.json
    _, provider = bearer_client(app, client, "provider")
    page = client.get("/xapi/statements", headers={**provider, "X-Experience-API-Version": "2.0.0"})
    released = {s["id"]: s for s in page.json["statements"]}
    agent = released[by_context_agent["id"]]["context"]["contextAgents"][0]
    assert is_pseudonym(agent["agent"]) and agent["objectType"] == "contextAgent" and agent["relevantTypes"]
    group = released[by_context_group["id"]]["context"]["contextGroups"][0]["group"]
    assert group["name"] == "班" and is_pseudonym(group["member"][0]) and group["member"][1] == TEACHER
    # the SubStatement's statement is process.general (tier III): identified to a provider, and
    # to a third party (aggregate) withheld, which only a statement about a roster user can be
    assert released[in_sub_context["id"]]["object"]["context"]["instructor"] == STRICT
    assert all(statement["actor"] == TEACHER for statement in released.values())
    assert audited and all(entry["subjects"] == ["stu-strict"] for entry in audited)
    _, third_party = bearer_client(app, client, "third_party")
    page = client.get("/xapi/statements", headers={**third_party, "X-Experience-API-Version": "2.0.0"})
    assert in_sub_context["id"] not in {s["id"] for s in page.json["statements"]}
