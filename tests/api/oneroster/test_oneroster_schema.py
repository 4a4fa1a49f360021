"""Every rostering read operation of the official OneRoster 1.2 OpenAPI document is served, and its
responses (records and imsx_StatusInfo errors) validate against that document's schemas."""

from __future__ import annotations

import re

import pytest

from tests.api.oneroster.conftest import V11, V12

SAMPLE_IDS = {
    "academicSessions": "year-2026",
    "classes": "class-a1",
    "courses": "course-math",
    "demographics": "student-1",
    "enrollments": "enrollment-1",
    "gradingPeriods": "period-1",
    "orgs": "board",
    "schools": "school-a",
    "students": "student-1",
    "teachers": "teacher-1",
    "terms": "term-1",
    "users": "teacher-1",
}
PARAMETER_IDS = {
    "classSourcedId": "class-a1",
    "courseSourcedId": "course-math",
    "schoolSourcedId": "school-a",
    "studentSourcedId": "student-1",
    "teacherSourcedId": "teacher-1",
    "termSourcedId": "term-1",
    "userSourcedId": "student-1",
}


def concrete(path: str) -> str:
    collection = path.split("/")[1]
    path = path.replace("{sourcedId}", SAMPLE_IDS[collection])
    return re.sub(r"\{(\w+)\}", lambda match: PARAMETER_IDS[match.group(1)], path)


def rostering_reads(document: dict) -> list[str]:
    return sorted(path for path, item in document["paths"].items() if "get" in item)


def test_every_official_rostering_read_is_served_and_valid(
    client, roster, roster_headers, rosters_openapi, openapi_validator, response_schema_name
):
    paths = rostering_reads(rosters_openapi)
    assert len(paths) == 41
    for path in paths:
        response = client.get(V12 + concrete(path), headers=roster_headers)
        assert response.status_code == 200, (path, response.json)
        body = response.json
        openapi_validator(body, response_schema_name(path))
        (records,) = body.values()
        assert records, f"{path} should find records in the test roster"


def test_the_official_endpoint_list_matches(rosters_openapi):
    from pathlib import Path

    from tests.api.oneroster.conftest import REFERENCE

    summary = (Path(REFERENCE) / "endpoints_summary.csv").read_text().splitlines()
    official = {line.split(",")[2] for line in summary[1:] if line.startswith("rosters,GET,")}
    assert official == set(rostering_reads(rosters_openapi))


def test_the_whole_roster_validates_record_by_record(
    client, roster, roster_headers, openapi_validator, response_schema_name
):
    """Every stored record (not only one sample of each) serialises valid: all fields, lists, refs."""
    for path in (
        "/orgs",
        "/academicSessions",
        "/courses",
        "/classes",
        "/users",
        "/enrollments",
        "/demographics",
    ):
        response = client.get(f"{V12}{path}?limit=1000", headers=roster_headers)
        openapi_validator(response.json, response_schema_name(path))
        assert len(next(iter(response.json.values()))) == int(response.headers["X-Total-Count"])


ERRORS = [
    (f"{V12}/users/nobody", 404),
    (f"{V12}/schools/board", 404),
    (f"{V12}/users?filter=nonsense", 400),
    (f"{V12}/users?fields=shoeSize", 400),
    (f"{V12}/users?limit=0", 400),
    (f"{V12}/users?colour=blue", 400),
    (f"{V12}/classes/unknown/students", 404),
    (f"{V12}/nothing-here", 404),
    (f"{V11}/users/nobody", 404),
]


def test_errors_are_valid_imsx_status_info(client, roster, roster_headers, openapi_validator):
    for url, status in ERRORS:
        response = client.get(url, headers=roster_headers)
        assert response.status_code == status, url
        openapi_validator(response.json, "imsx_StatusInfoDType")
        assert response.json["imsx_codeMajor"] == "failure"
        assert response.json["imsx_severity"] == "error"


def test_unauthenticated_and_forbidden_errors_are_valid_imsx(client, roster, headers_with, openapi_validator):
    missing = client.get(f"{V12}/orgs")
    assert missing.status_code == 401 and missing.headers["WWW-Authenticate"].startswith("Basic")
    openapi_validator(missing.json, "imsx_StatusInfoDType")
    forbidden = client.get(f"{V12}/orgs", headers=headers_with("statements/read"))
    assert forbidden.status_code == 403
    openapi_validator(forbidden.json, "imsx_StatusInfoDType")


def test_the_validator_rejects_what_the_schemas_forbid(openapi_validator):
    from jsonschema import ValidationError

    org = {"sourcedId": "x", "status": "active", "dateLastModified": "2026-04-01T00:00:00.000Z", "name": "n",
           "type": "school", "identifier": "i"}  # fmt: skip
    openapi_validator({"org": org}, "SingleOrgDType")
    for broken in (
        {**org, "dateLastModified": "yesterday"},
        {**org, "parent": {"sourcedId": "p", "type": "org"}},  # a GUIDRef needs its href
        {**org, "shoeSize": 42},
        {key: value for key, value in org.items() if key != "identifier"},
    ):
        with pytest.raises(ValidationError):
            openapi_validator({"org": broken}, "SingleOrgDType")
