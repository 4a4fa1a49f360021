"""Pulling a roster from a OneRoster 1.1 or 1.2 REST provider (played by `responses`) into the store:
full pulls (collections with no records emptied, endpoints not offered left alone, nested metadata
flattened), and delta pulls that upsert what changed, delete what the provider marks tobedeleted and
drop the roles a user lost."""

from __future__ import annotations

import pytest
import responses
from responses import matchers

from adapters.oneroster.rest_client import ProviderConfig, ProviderError, pull_roster
from gateway.oneroster import repository

BASE = "https://sis.example.jp"
REMOTE = ProviderConfig(BASE, f"{BASE}/token", "id", "secret", name="Remote SIS")
ROOT = f"{BASE}/ims/oneroster/rostering/v1p2"
ROOT_1_1 = f"{BASE}/ims/oneroster/v1p1"
DLM = "2026-04-01T00:00:00.000Z"
LATER = "2026-05-10T08:00:00.000Z"
SCHOOL = {"sourcedId": "s1", "type": "org", "href": f"{ROOT}/orgs/s1"}


def serve(collections: dict[str, list[dict]], root: str = ROOT, since: str | None = None) -> None:
    """The provider: its token endpoint and each collection; with `since`, a collection answers only
    a request carrying the delta filter for that moment."""
    responses.add(responses.POST, f"{BASE}/token", json={"access_token": "t", "token_type": "Bearer"})
    for endpoint, items in collections.items():
        match = []
        if since is not None:
            match = [
                matchers.query_param_matcher({"filter": f"dateLastModified>'{since}'"}, strict_match=False)
            ]
        responses.add(
            responses.GET,
            f"{root}/{endpoint}",
            json={endpoint: items},
            headers={"X-Total-Count": str(len(items))},
            match=match,
        )


def roster(users: list[dict], enrollments: list[dict] | None = None) -> dict[str, list[dict]]:
    """A school, a school year, a course and a class (1.2 JSON binding), with `users`."""
    return {
        "orgs": [{"sourcedId": "s1", "status": "active", "dateLastModified": DLM, "name": "若葉台高校", "type": "school", "identifier": "D122299000010"}],
        "academicSessions": [{"sourcedId": "y1", "status": "active", "dateLastModified": DLM, "title": "2026年度", "type": "schoolYear", "startDate": "2026-04-01", "endDate": "2027-03-31", "schoolYear": "2026"}],
        "courses": [{"sourcedId": "co1", "status": "active", "dateLastModified": DLM, "title": "数学Ⅰ", "courseCode": "", "org": SCHOOL}],
        "classes": [{"sourcedId": "c1", "status": "active", "dateLastModified": DLM, "title": "1年1組 数学Ⅰ", "classType": "scheduled", "course": {"sourcedId": "co1", "type": "course"}, "school": SCHOOL, "terms": [{"sourcedId": "y1", "type": "academicSession"}]}],
        "users": users,
        "enrollments": [enrollment("e1", "u1")] if enrollments is None else enrollments,
        "demographics": [],
    }  # fmt: skip


def provider(users):
    serve(roster(users))


def enrollment(sourced_id: str, user: str, status: str = "active", modified: str = DLM) -> dict:
    return {
        "sourcedId": sourced_id,
        "status": status,
        "dateLastModified": modified,
        "user": {"sourcedId": user, "type": "user"},
        "class": {"sourcedId": "c1", "type": "class"},
        "school": SCHOOL,
        "role": "student",
        "primary": "false",
    }


def student(given: str, sourced_id: str = "u1", modified: str = DLM, roles=None) -> dict:
    return {
        "sourcedId": sourced_id,
        "status": "active",
        "dateLastModified": modified,
        "enabledUser": "true",
        "givenName": given,
        "familyName": "佐藤",
        "roles": roles or [{"roleType": "primary", "role": "student", "org": SCHOOL}],
    }


def counts(result) -> dict[str, tuple[int, int, int, int]]:
    return {e: (n.created, n.updated, n.deleted, n.unchanged) for e, n in result.counts.items()}


@responses.activate
def test_a_pulled_roster_is_stored_like_an_imported_one(app):
    provider([student("花子")])
    with app.app_context():
        result = pull_roster(REMOTE, sleep=lambda s: None)
        assert not result.rejected, result.issues_table("en")
        user = repository.collection("users").find_one({"_id": "u1"})
        enrollment = repository.collection("enrollments").find_one({"_id": "e1"})
        again = pull_roster(REMOTE, sleep=lambda s: None)
    assert user["roles"] == [
        {"roleType": "primary", "role": "student", "org": {"sourcedId": "s1", "type": "org"}}
    ]
    assert user["_source"] == "Remote SIS"
    assert enrollment["class"] == {"sourcedId": "c1", "type": "class"}
    assert all(not (n.created or n.updated or n.deleted) for n in again.counts.values())
    assert again.counts["users"].unchanged == 1 and again.counts["enrollments"].unchanged == 1


@responses.activate
def test_a_oneroster_1_1_provider_is_pulled_and_its_roles_stored_in_the_1_2_shape(app):
    school = {"sourcedId": "s1", "type": "org", "href": f"{ROOT_1_1}/orgs/s1"}
    collections = {
        "orgs": [{"sourcedId": "s1", "status": "active", "dateLastModified": DLM, "name": "若葉台高校", "type": "school", "identifier": "D122299000010", "children": []}],
        "academicSessions": [{"sourcedId": "y1", "status": "active", "dateLastModified": DLM, "title": "2026年度", "type": "schoolYear", "startDate": "2026-04-01", "endDate": "2027-03-31", "schoolYear": "2026"}],
        "courses": [{"sourcedId": "co1", "status": "active", "dateLastModified": DLM, "title": "数学Ⅰ", "schoolYear": {"sourcedId": "y1", "type": "academicSession"}, "grades": ["10"], "org": school}],
        "classes": [{"sourcedId": "c1", "status": "active", "dateLastModified": DLM, "title": "1年1組 数学Ⅰ", "classType": "scheduled", "course": {"sourcedId": "co1", "type": "course"}, "school": school, "terms": [{"sourcedId": "y1", "type": "academicSession"}], "periods": ["1", "2"]}],
        "users": [
            {"sourcedId": "t1", "status": "active", "dateLastModified": DLM, "enabledUser": "true", "username": "yamada", "givenName": "一郎", "familyName": "山田", "role": "teacher", "orgs": [school], "email": "yamada@school.example", "userIds": [{"type": "LDAP", "identifier": "yamada"}]},
            {"sourcedId": "u1", "status": "active", "dateLastModified": DLM, "enabledUser": "true", "username": "sato", "givenName": "花子", "familyName": "佐藤", "role": "student", "orgs": [school], "grades": ["10"], "agents": [{"sourcedId": "p1", "type": "user"}]},
            {"sourcedId": "p1", "status": "active", "dateLastModified": DLM, "enabledUser": "false", "username": "sato-parent", "givenName": "一子", "familyName": "佐藤", "role": "parent", "orgs": [school]},
        ],
        "enrollments": [{"sourcedId": "e1", "status": "active", "dateLastModified": DLM, "user": {"sourcedId": "u1", "type": "user"}, "class": {"sourcedId": "c1", "type": "class"}, "school": school, "role": "student", "primary": False}],
        "demographics": [{"sourcedId": "u1", "status": "active", "dateLastModified": DLM, "birthDate": "2010-05-01", "sex": "female"}],
    }  # fmt: skip
    serve(collections, root=ROOT_1_1)
    config = ProviderConfig(BASE, f"{BASE}/token", "id", "secret", version="1.1", name="Old SIS")
    with app.app_context():
        result = pull_roster(config, sleep=lambda s: None)
        assert not result.rejected, result.issues_table("en")
        stored = {e: {d["_id"]: d for d in repository.collection(e).find({})} for e in repository.ENTITIES}
    assert result.version == "1.1"
    assert all(
        call.request.url.startswith(f"{BASE}/token") or "/ims/oneroster/v1p1/" in call.request.url
        for call in responses.calls
    )
    assert counts(result) == {
        "orgs": (1, 0, 0, 0),
        "academicSessions": (1, 0, 0, 0),
        "courses": (1, 0, 0, 0),
        "classes": (1, 0, 0, 0),
        "users": (3, 0, 0, 0),
        "demographics": (1, 0, 0, 0),
        "enrollments": (1, 0, 0, 0),
    }
    teacher, student_, parent = (stored["users"][i] for i in ("t1", "u1", "p1"))
    assert teacher["roles"] == [
        {"roleType": "primary", "role": "teacher", "org": {"sourcedId": "s1", "type": "org"}}
    ]
    assert teacher["primaryOrg"] == {"sourcedId": "s1", "type": "org"}
    assert teacher["userIds"] == [{"type": "LDAP", "identifier": "yamada"}]
    assert parent["roles"][0]["role"] == "parent" and parent["enabledUser"] == "false"
    assert student_["agents"] == [{"sourcedId": "p1", "type": "user"}] and student_["grades"] == ["10"]
    assert stored["courses"]["co1"]["schoolYear"] == {"sourcedId": "y1", "type": "academicSession"}
    assert stored["classes"]["c1"]["periods"] == ["1", "2"]
    assert stored["enrollments"]["e1"]["primary"] == "false"
    assert stored["demographics"]["u1"]["birthDate"] == "2010-05-01"
    assert {d["_source"] for records in stored.values() for d in records.values()} == {"Old SIS"}


@responses.activate
def test_a_delta_pull_applies_what_changed_since(app):
    teacher_roles = [
        {"roleType": "primary", "role": "teacher", "org": SCHOOL},
        {"roleType": "secondary", "role": "siteAdministrator", "org": SCHOOL},
    ]
    users = [
        student("花子"),
        student("一郎", "t1", roles=teacher_roles),
        student("次郎", "u2"),
    ]
    serve(roster(users, [enrollment("e1", "u1"), enrollment("e2", "u2")]))
    with app.app_context():
        first = pull_roster(REMOTE, sleep=lambda s: None)
        assert not first.rejected, first.issues_table("en")
        assert repository.collection("roles").count_documents({}) == 4
        responses.reset()
        changes = {
            **{entity: [] for entity in roster([])},
            "users": [
                student("陽菜", modified=LATER),  # renamed
                student("一郎", "t1", modified=LATER, roles=teacher_roles[:1]),  # no longer siteAdministrator
                {"sourcedId": "u2", "status": "tobedeleted", "dateLastModified": LATER},  # left
                student("三郎", "u3", modified=LATER),  # joined
            ],
            "enrollments": [
                enrollment("e2", "u2", "tobedeleted", LATER),
                enrollment("e3", "u3", modified=LATER),
            ],
        }
        serve(changes, since=DLM)
        since = repository.latest_modification("users", "Remote SIS")
        result = pull_roster(REMOTE, since=since, sleep=lambda s: None)
        assert not result.rejected, result.issues_table("en")
        users = {d["_id"]: d for d in repository.collection("users").find({})}
        roles = {(d["user"]["sourcedId"], d["role"]) for d in repository.collection("roles").find({})}
        enrollments = {d["_id"] for d in repository.collection("enrollments").find({})}
    assert result.files == {"users": "delta", "roles": "delta", "enrollments": "delta"}
    assert counts(result) == {
        "roles": (1, 0, 2, 2),  # u3's created; t1's siteAdministrator and u2's student deleted
        "users": (1, 2, 1, 0),
        "enrollments": (1, 0, 1, 0),
    }
    assert set(users) == {"u1", "t1", "u3"}
    assert users["u1"]["givenName"] == "陽菜"
    assert users["t1"]["roles"] == [
        {"roleType": "primary", "role": "teacher", "org": {"sourcedId": "s1", "type": "org"}}
    ]
    assert roles == {("u1", "student"), ("t1", "teacher"), ("u3", "student")}
    assert enrollments == {"e1", "e3"}
    assert users["u1"]["_source"] == users["u3"]["_source"] == "Remote SIS"


@responses.activate
def test_a_full_pull_removes_what_an_empty_collection_no_longer_has_and_keeps_what_is_not_offered(app):
    demographic = {"sourcedId": "u1", "status": "active", "dateLastModified": DLM, "birthDate": "2010-05-01"}
    serve({**roster([student("花子")]), "demographics": [demographic]})
    with app.app_context():
        assert not pull_roster(REMOTE, sleep=lambda s: None).rejected
        responses.reset()
        collections = roster([student("花子")], enrollments=[])
        del collections["demographics"]
        serve(collections)
        responses.add(responses.GET, f"{ROOT}/demographics", status=501)  # not offered any more
        result = pull_roster(REMOTE, sleep=lambda s: None)
        assert not result.rejected, result.issues_table("en")
        assert repository.count("enrollments") == 0
        assert repository.count("demographics") == 1
    assert result.files["enrollments"] == "bulk" and "demographics" not in result.files
    assert counts(result)["enrollments"] == (0, 0, 1, 0)


@responses.activate
def test_a_provider_offering_no_roster_endpoint_is_an_error_that_changes_nothing(app):
    serve(roster([student("花子")]))
    with app.app_context():
        assert not pull_roster(REMOTE, sleep=lambda s: None).rejected
        responses.reset()
        serve({})
        for endpoint in roster([]):
            responses.add(responses.GET, f"{ROOT}/{endpoint}", status=404)
        with pytest.raises(ProviderError, match="offers none of the roster endpoints"):
            pull_roster(REMOTE, sleep=lambda s: None)
        assert repository.count("orgs") == repository.count("users") == 1


@responses.activate
def test_nested_japan_profile_metadata_is_stored_under_its_dotted_keys(app):
    user = {**student("花子"), "metadata": {"jp": {"kanaGivenName": "ハナコ", "kanaFamilyName": "サトウ"}}}
    membership = {**enrollment("e1", "u1"), "metadata": {"jp": {"shussekiNo": 12, "publicFlg": False}}}
    serve(roster([user], [membership]))
    with app.app_context():
        result = pull_roster(REMOTE, sleep=lambda s: None)
        assert not result.rejected, result.issues_table("en")
        stored_user = repository.collection("users").find_one({"_id": "u1"})
        stored_enrollment = repository.collection("enrollments").find_one({"_id": "e1"})
    assert stored_user["metadata"] == {"jp.kanaGivenName": "ハナコ", "jp.kanaFamilyName": "サトウ"}
    assert stored_enrollment["metadata"] == {"jp.shussekiNo": "12", "jp.publicFlg": "false"}
