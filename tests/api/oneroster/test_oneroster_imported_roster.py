"""End to end: the demo roster (Japan Profile CSV) imported by the importer, then read through every
1.2 and 1.1 operation; every record of every collection validates against the official 1.2 schemas."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from gateway.demo.roster import build_roster, write_csv_set
from gateway.oneroster import identity
from tests.api.oneroster.conftest import V11, V12
from tests.api.oneroster.test_oneroster_schema import rostering_reads

pytestmark = pytest.mark.slow


@pytest.fixture
def imported(app, tmp_path: Path):
    from adapters.oneroster.importer import import_roster

    roster = build_roster()
    write_csv_set(roster, tmp_path / "csv")
    with app.app_context():
        result = import_roster(tmp_path / "csv", profile="jp")
    assert not result.rejected, result.issues_table("en")
    return roster


def sample_ids(roster) -> dict[str, str]:
    school = roster.schools()[0]["sourcedId"]
    klass = next(c for c in roster.classes if c["schoolSourcedId"] == school)
    student = next(s for s in roster.students() if s["primaryOrgSourcedId"] == school)
    teacher = next(t for t in roster.teachers() if t["primaryOrgSourcedId"] == school)
    return {
        "academicSessions": roster.academic_sessions[0]["sourcedId"],
        "classes": klass["sourcedId"],
        "courses": klass["courseSourcedId"],
        "demographics": student["sourcedId"],
        "enrollments": roster.enrollments[0]["sourcedId"],
        "orgs": roster.orgs[0]["sourcedId"],
        "schools": school,
        "students": student["sourcedId"],
        "teachers": teacher["sourcedId"],
        "users": teacher["sourcedId"],
        "classSourcedId": klass["sourcedId"],
        "courseSourcedId": klass["courseSourcedId"],
        "schoolSourcedId": school,
        "studentSourcedId": student["sourcedId"],
        "teacherSourcedId": teacher["sourcedId"],
        "userSourcedId": student["sourcedId"],
    }


def concrete(path: str, ids: dict[str, str]) -> str:
    path = path.replace("{sourcedId}", ids.get(path.split("/")[1], "none"))
    return re.sub(r"\{(\w+)\}", lambda match: ids.get(match.group(1), "none"), path)


def test_every_operation_on_the_imported_demo_roster_validates(
    client, imported, roster_headers, rosters_openapi, openapi_validator, response_schema_name
):
    ids = sample_ids(imported)
    for path in rostering_reads(rosters_openapi):
        response = client.get(V12 + concrete(path, ids) + ("" if "{sourcedId}" in path else "?limit=1000"),
                              headers=roster_headers)  # fmt: skip
        if "/terms" in path or "/gradingPeriods" in path:
            # Japan Profile rosters have schoolYear sessions only: no terms, no grading periods.
            assert response.status_code in (200, 404), path
        else:
            assert response.status_code == 200, (path, response.json)
        if response.status_code == 200:
            openapi_validator(response.json, response_schema_name(path))
        else:
            openapi_validator(response.json, "imsx_StatusInfoDType")
        v1p1 = client.get(V11 + concrete(path, ids), headers=roster_headers)
        assert v1p1.status_code == response.status_code, path


def test_the_imported_roster_is_served_whole(client, imported, roster_headers):
    for path, records in (
        ("/orgs", imported.orgs),
        ("/users", imported.users),
        ("/enrollments", imported.enrollments),
        ("/students", imported.students()),
    ):
        response = client.get(f"{V12}{path}?limit=1000&fields=sourcedId", headers=roster_headers)
        (served,) = response.json.values()
        assert {record["sourcedId"] for record in served} == {record["sourcedId"] for record in records}


def test_japan_profile_metadata_is_served_and_filterable(client, imported, roster_headers):
    student = imported.students()[0]
    user = client.get(f"{V12}/users/{student['sourcedId']}", headers=roster_headers).json["user"]
    assert user["metadata"]["jp.kanaGivenName"] == student["metadata.jp.kanaGivenName"]
    kana = student["metadata.jp.kanaFamilyName"]
    found = client.get(
        f"{V12}/users",
        query_string={"filter": f"metadata.jp.kanaFamilyName='{kana}'"},
        headers=roster_headers,
    )
    assert student["sourcedId"] in {u["sourcedId"] for u in found.json["users"]}
    assert all(u["metadata"]["jp.kanaFamilyName"] == kana for u in found.json["users"])


def test_imported_users_link_to_their_demo_agents(app, client, imported):
    from gateway.demo.roster import agent_for_user
    from gateway.oneroster import store

    with app.app_context():
        for student in imported.students()[:10]:
            demo_agent = agent_for_user(student, imported.org(student["primaryOrgSourcedId"]))
            stored = store.find_one("users", student["sourcedId"])
            assert identity.agent_for_user(stored)["account"] == demo_agent["account"]
            assert identity.user_for_agent(demo_agent)["_id"] == student["sourcedId"]
