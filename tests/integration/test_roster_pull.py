"""Pulling a roster from a OneRoster 1.2 REST provider (played by `responses`) into the store."""

from __future__ import annotations

import responses

from adapters.oneroster.rest_client import ProviderConfig, pull_roster
from gateway.oneroster import repository

BASE = "https://sis.example.jp"
ROOT = f"{BASE}/ims/oneroster/rostering/v1p2"
DLM = "2026-04-01T00:00:00.000Z"
SCHOOL = {"sourcedId": "s1", "type": "org", "href": f"{ROOT}/orgs/s1"}


def provider(users):
    responses.add(responses.POST, f"{BASE}/token", json={"access_token": "t", "token_type": "Bearer"})
    collections = {
        "orgs": [{"sourcedId": "s1", "status": "active", "dateLastModified": DLM, "name": "若葉台高校", "type": "school", "identifier": "D122299000010"}],
        "academicSessions": [{"sourcedId": "y1", "status": "active", "dateLastModified": DLM, "title": "2026年度", "type": "schoolYear", "startDate": "2026-04-01", "endDate": "2027-03-31", "schoolYear": "2026"}],
        "courses": [{"sourcedId": "co1", "status": "active", "dateLastModified": DLM, "title": "数学Ⅰ", "courseCode": "", "org": SCHOOL}],
        "classes": [{"sourcedId": "c1", "status": "active", "dateLastModified": DLM, "title": "1年1組 数学Ⅰ", "classType": "scheduled", "course": {"sourcedId": "co1", "type": "course"}, "school": SCHOOL, "terms": [{"sourcedId": "y1", "type": "academicSession"}]}],
        "users": users,
        "enrollments": [{"sourcedId": "e1", "status": "active", "dateLastModified": DLM, "user": {"sourcedId": "u1", "type": "user"}, "class": {"sourcedId": "c1", "type": "class"}, "school": SCHOOL, "role": "student", "primary": "false"}],
        "demographics": [],
    }  # fmt: skip
    for endpoint, items in collections.items():
        responses.add(
            responses.GET,
            f"{ROOT}/{endpoint}",
            json={endpoint: items},
            headers={"X-Total-Count": str(len(items))},
        )


def student(given: str) -> dict:
    return {
        "sourcedId": "u1",
        "status": "active",
        "dateLastModified": DLM,
        "enabledUser": "true",
        "givenName": given,
        "familyName": "佐藤",
        "roles": [{"roleType": "primary", "role": "student", "org": SCHOOL}],
    }


@responses.activate
def test_a_pulled_roster_is_stored_like_an_imported_one(app):
    provider([student("花子")])
    config = ProviderConfig(BASE, f"{BASE}/token", "id", "secret", name="Remote SIS")
    with app.app_context():
        result = pull_roster(config, sleep=lambda s: None)
        assert not result.rejected, result.issues_table("en")
        user = repository.collection("users").find_one({"_id": "u1"})
        enrollment = repository.collection("enrollments").find_one({"_id": "e1"})
        again = pull_roster(config, sleep=lambda s: None)
    assert user["roles"] == [
        {"roleType": "primary", "role": "student", "org": {"sourcedId": "s1", "type": "org"}}
    ]
    assert user["_source"] == "Remote SIS"
    assert enrollment["class"] == {"sourcedId": "c1", "type": "class"}
    assert all(n.unchanged and not (n.created or n.updated or n.deleted) for n in again.counts.values())
