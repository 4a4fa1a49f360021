"""/me: my roster record, the export archive, erasure (with a scan of every collection afterwards),
and "who saw my data" (/me/audit), plus the admin audit query."""

from __future__ import annotations

import io
import json
import uuid
import zipfile
from datetime import UTC, datetime, timedelta

import bson
import pytest

from gateway.auth.service import Principal
from gateway.policy import audit
from tests.api.policy.helpers import ActingPrincipal, act_as, seed_roster

HOME = "https://id.d122299000010.kakehashi.example"
ME = {"objectType": "Agent", "account": {"homePage": HOME, "name": "stu-16"}}
ME_MBOX = {"objectType": "Agent", "mbox": "mailto:hanako.yamada@example.jp"}
OTHER = {"objectType": "Agent", "account": {"homePage": HOME, "name": "stu-other"}}
VERB = {"id": "http://adlnet.gov/expapi/verbs/experienced"}
# Everything that identifies stu-16: none of it may remain anywhere after the erasure.
IDENTIFIERS = ("stu-16", "hanako.yamada@example.jp", "花子", "山田", "user-stu-16")


def statement(actor, activity="https://kakehashi.example/act/1", **extra) -> dict:
    return {"id": str(uuid.uuid4()), "actor": actor, "verb": VERB, "object": {"id": activity}, **extra}


@pytest.fixture
def world(app, client, xapi_headers):
    """stu-16's statements (as account, as mbox, as instructor of another's), documents, consent,
    releases in the audit log; stu-other's data that must survive."""
    with app.app_context():
        seed_roster()
    statements = [
        statement(ME),
        statement(ME_MBOX, "https://kakehashi.example/act/2"),
        statement(OTHER, context={"instructor": ME}),
        statement(OTHER, "https://kakehashi.example/act/3"),
    ]
    assert client.post("/xapi/statements", json=statements[:2], headers=xapi_headers).status_code == 200
    assert client.post("/xapi/statements", json=statements[2:], headers=xapi_headers).status_code == 200
    for agent, state in ((ME, "花子の進み具合"), (OTHER, "other progress")):
        response = client.put(
            "/xapi/activities/state",
            query_string={
                "activityId": "https://kakehashi.example/act/1",
                "agent": json.dumps(agent),
                "stateId": "progress",
            },
            json={"note": state},
            headers=xapi_headers,
        )
        assert response.status_code == 204
    response = client.put(
        "/xapi/agents/profile",
        query_string={"agent": json.dumps(ME), "profileId": "prefs"},
        json={"nickname": "はなちゃん", "email": "hanako.yamada@example.jp"},
        headers=xapi_headers,
    )
    assert response.status_code == 204
    with app.app_context():
        from gateway.policy import consent

        consent.grant_consent(
            subject="stu-16",
            granted_by="stu-16",
            granted_by_role="student",
            recipient_client_id="juku-1",
            purpose="learning-support",
            categories=["process.study-time"],
            valid_from=datetime.now(UTC),
            valid_until=datetime.now(UTC) + timedelta(days=30),
        )
        juku = Principal("juku-1", "Juku", "provider", frozenset({"statements/read"}))
        audit.record_release(
            principal=juku,
            request_id="r1",
            resource="xapi.statements",
            categories=["process.study-time"],
            subjects=["stu-16", "stu-other"],
            decisions=[{"subject": "stu-16", "category": "process.study-time", "form": "identified"}],
            withheld={"process.coaching-note": 1},
        )
    return statements


def me_token(subject="stu-16", scopes=("me",)) -> ActingPrincipal:
    return ActingPrincipal(
        "app-1", "まなびアプリ", "student_app", frozenset(scopes), subject=subject, actor=subject
    )


def test_me_is_my_roster_record_without_password(client, monkeypatch, world):
    act_as(monkeypatch, me_token())
    response = client.get("/me")
    assert response.status_code == 200
    assert response.json["user"]["sourcedId"] == "stu-16"
    assert response.json["user"]["givenName"] == "花子"
    assert "password" not in response.json["user"]
    assert response.json["demographics"]["sex"] == "female"


def test_export_is_a_zip_of_everything_about_me(client, monkeypatch, world):
    act_as(monkeypatch, me_token())
    response = client.get("/me/export")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    manifest = json.loads(archive.read("manifest.json"))
    assert manifest["format"] == "kakehashi-export/1"
    names = {entry["name"]: entry for entry in manifest["files"]}
    assert set(names) == {"roster.json", "statements.json", "documents.json", "consents.json", "audit.json"}
    import hashlib

    for name, entry in names.items():
        assert hashlib.sha256(archive.read(name)).hexdigest() == entry["sha256"]
    statements = json.loads(archive.read("statements.json"))
    assert {s["id"] for s in statements} == {s["id"] for s in world[:3]}  # account, mbox, instructor
    documents = json.loads(archive.read("documents.json"))
    assert {d["resource"] for d in documents} == {"state", "agentProfile"}
    assert json.loads(archive.read("consents.json"))[0]["record_header"]["pii_principal_id"] == "stu-16"
    entries = json.loads(archive.read("audit.json"))
    assert [entry["client_id"] for entry in entries] == ["juku-1"]
    assert entries[0]["subject_count"] == 2 and "subjects" not in entries[0]
    roster = json.loads(archive.read("roster.json"))
    assert roster["user"]["email"] == "hanako.yamada@example.jp" and roster["enrollments"]


def test_an_address_shared_with_another_student_is_not_mine_to_export_or_erase(
    client, monkeypatch, world, app
):
    # stu-other gets stu-16's address (a family address): the statement by that mbox may be either
    # student's record, so neither exports it and an erasure leaves it
    from gateway.lrs.erasure import statement_records
    from gateway.oneroster.repository import collection
    from gateway.policy.rights import agent_keys_of

    with app.app_context():
        collection("users").update_one({"_id": "stu-other"}, {"$set": {"email": "Hanako.Yamada@example.jp"}})
        assert not any(
            key.startswith("mbox") for key in agent_keys_of(collection("users").find_one({"_id": "stu-16"}))
        )
    act_as(monkeypatch, me_token())
    archive = zipfile.ZipFile(io.BytesIO(client.get("/me/export").data))
    statements = json.loads(archive.read("statements.json"))
    assert {s["id"] for s in statements} == {world[0]["id"], world[2]["id"]}  # account, instructor
    assert client.post("/me/erase", json={"confirm": "erase"}).status_code == 200
    with app.app_context():
        kept = statement_records(["mbox:mailto:hanako.yamada@example.jp"])
    assert [record["_id"] for record in kept] == [world[1]["id"]]


def test_who_saw_my_data(client, monkeypatch, world):
    act_as(monkeypatch, me_token())
    client.get("/me")
    page = client.get("/me/audit").json
    assert page["total"] == 2
    release = next(entry for entry in page["entries"] if entry["client_id"] == "juku-1")
    assert release["subject_count"] == 2 and "subjects" not in release
    assert len(release["decisions"]) == 1  # the decision about me
    act_as(monkeypatch, me_token("stu-other"))
    assert client.get("/me/audit").json["total"] == 1


def test_admin_audit_query(client, monkeypatch, world):
    act_as(monkeypatch, ActingPrincipal("admin", "Board admin", "board", frozenset({"audit.read"})))
    assert client.get("/audit?client=juku-1").json["total"] == 1
    page = client.get("/audit?subject=stu-other").json
    assert page["total"] == 1
    entry_id = page["entries"][0]["id"]
    assert client.get(f"/audit/{entry_id}").json["withheld"] == [
        {"what": "process.coaching-note", "detail": 1}
    ]
    assert client.get("/audit/nope").status_code == 404
    assert client.get("/audit?since=2999-01-01T00:00:00Z").json["total"] == 0
    assert client.get("/audit?since=2026-01-01").status_code == 400  # no time zone
    assert client.get("/audit?since=2026-01-02T00:00:00Z&until=2026-01-01T00:00:00Z").status_code == 400
    assert client.get("/audit?limit=0").status_code == 400
    act_as(monkeypatch, ActingPrincipal("v", "Vendor", "provider", frozenset({"consent.read"})))
    assert client.get("/audit").status_code == 403


def test_an_organisation_s_administrator_reads_the_entries_that_concern_it(client, monkeypatch, world, app):
    # entries name their subjects' schools and boards; a school's or a board's audit.read client
    # reads those that concern it (its students, releases to its own clients), a deployment
    # administrator (no organisation) every entry
    juku = Principal("juku-1", "Juku", "provider", frozenset({"statements/read"}))
    other_school = Principal(
        "s2-app", "Other school", "school", frozenset({"statements/read"}), organisation="S2"
    )
    with app.app_context():

        def entry(principal, subjects, organisations) -> str:
            return audit.record_release(
                principal=principal, request_id=None, resource="xapi.statements", categories=["process.general"],
                subjects=subjects, decisions=[], withheld={}, organisations=organisations,
            )  # fmt: skip

        ours = entry(juku, ["stu-16"], ["S1", "B1"])
        theirs = entry(juku, ["stu-elsewhere"], ["S2", "B2"])
        to_them = entry(other_school, ["stu-elsewhere"], ["S2", "B2"])
    for organisation in ("S1", "B1"):
        act_as(
            monkeypatch,
            ActingPrincipal("adm", "Admin", "school", frozenset({"audit.read"}), organisation=organisation),
        )
        page = client.get("/audit").json
        assert [e["id"] for e in page["entries"]] == [ours] and page["total"] == 1
        assert client.get("/audit?subject=stu-16").json["total"] == 1
        assert client.get("/audit?subject=stu-elsewhere").json["total"] == 0
        assert client.get(f"/audit/{ours}").status_code == 200
        assert client.get(f"/audit/{theirs}").status_code == 404
    act_as(
        monkeypatch, ActingPrincipal("adm", "Admin", "school", frozenset({"audit.read"}), organisation="S2")
    )
    assert {e["id"] for e in client.get("/audit").json["entries"]} == {theirs, to_them}
    act_as(monkeypatch, ActingPrincipal("adm", "Deployment admin", "board", frozenset({"audit.read"})))
    assert {ours, theirs, to_them} <= {e["id"] for e in client.get("/audit").json["entries"]}
    act_as(monkeypatch, me_token())
    (mine,) = [e for e in client.get("/me/audit").json["entries"] if e["id"] == ours]
    assert "organisations" not in mine  # other subjects' schools are not the student's business


def _traces(database, needles: tuple[str, ...]) -> list[tuple[str, str]]:
    found = []
    for name in database.list_collection_names():
        for document in database[name].find({}):
            raw = bson.encode(document)
            found += [(name, needle) for needle in needles if needle.encode() in raw]
    return found


def test_erasure_leaves_no_trace_in_any_collection(client, monkeypatch, world, app, xapi_headers):
    from gateway.storage.connection import database

    act_as(monkeypatch, me_token())
    client.get("/me")  # one more release about me in the audit log
    with app.app_context():
        assert _traces(database(), IDENTIFIERS)  # the scan does see them before
    refused = client.post("/me/erase")
    assert refused.status_code == 400 and refused.json["error"]["details"]["field"] == "confirm"
    response = client.post("/me/erase", json={"confirm": "erase"})
    assert response.status_code == 200, response.json
    counts = response.json["counts"]
    assert (
        counts["statements"] == 3 and counts["stateDocuments"] == 1 and counts["agentProfileDocuments"] == 1
    )
    assert counts["consents"] == 1
    with app.app_context():
        assert _traces(database(), IDENTIFIERS) == []
        assert audit.verify_chain() == (True, None)
        tombstone = database()["erasure_tombstones"].find_one({"_id": response.json["tombstone"]})
        assert tombstone["requested_by_role"] == "student"
        from gateway.policy import rights

        assert rights.was_erased("stu-16") and not rights.was_erased("stu-other")
    # Everything of the other student is still there.
    left = client.get("/xapi/statements", headers=xapi_headers).json["statements"]
    voiding = [s for s in left if s["verb"]["id"] == "http://adlnet.gov/expapi/verbs/voided"]
    assert {s["id"] for s in left} - {s["id"] for s in voiding} == {world[3]["id"]}
    # each purged statement is voided by the gateway, so systems that copied it drop their copy
    assert counts["voidingStatements"] == 3 == len(voiding)
    assert {s["object"]["id"] for s in voiding} == {s["id"] for s in world[:3]}
    assert all(s["actor"]["account"]["name"] == "kakehashi-erasure" for s in voiding)
    # an app sending an erased statement again finds it voided on arrival
    resent = world[0]
    assert client.post("/xapi/statements", json=resent, headers=xapi_headers).status_code == 200
    by_id = {"statementId": resent["id"]}
    assert client.get("/xapi/statements", query_string=by_id, headers=xapi_headers).status_code == 404
    by_voided_id = {"voidedStatementId": resent["id"]}
    assert client.get("/xapi/statements", query_string=by_voided_id, headers=xapi_headers).status_code == 200
    act_as(monkeypatch, me_token("stu-other"))
    assert client.get("/me").status_code == 200
    # the juku's release and this /me at least (the release hook may audit the xAPI read above too)
    seen_by = {entry["client_id"] for entry in client.get("/me/audit").json["entries"]}
    assert {"juku-1", "app-1"} <= seen_by
    act_as(monkeypatch, me_token())
    assert client.get("/me").status_code == 404


def test_purging_statements_rewrites_their_batches_without_a_trace(client, world, app):
    """repository.purge_statements: the other statements of a batch stay, readable in place."""
    from gateway.lrs import repository
    from gateway.storage.connection import database

    with app.app_context():
        keys = ["account:" + HOME + "|stu-16", "mbox:mailto:hanako.yamada@example.jp"]
        assert len(repository.purge_statements(keys)) == 3
        left = [record["_id"] for record in repository.all_records()]
        assert left == [world[3]["id"]]
        batches = list(database()["xapi_statement_batches"].find({}))
        assert not any(b"stu-16" in bson.encode(batch) for batch in batches)
