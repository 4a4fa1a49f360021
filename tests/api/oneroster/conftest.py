"""A small roster stored in the contract shape (gateway.oneroster.repository), clients with the
OneRoster scopes, and the official OneRoster 1.2 OpenAPI document for validating responses."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jsonschema
import pytest
from referencing import Registry
from referencing.jsonschema import DRAFT7

from tests.conftest import basic_auth

OR12 = "https://purl.imsglobal.org/spec/or/v1p2/scope/"
OR11 = "https://purl.imsglobal.org/spec/or/v1p1/scope/"
V12 = "/ims/oneroster/rostering/v1p2"
V11 = "/ims/oneroster/v1p1"
PUBLIC = "http://gateway.test"
REFERENCE = Path(__file__).resolve().parents[4] / "shared" / "reference" / "oneroster-v1p2-openapi"
ROSTERS_OPENAPI = REFERENCE / "onerosterv1p2rostersservice_openapi3_v1p0.json"

BASE_TIME = datetime(2026, 4, 1, 9, 0, tzinfo=UTC)


def ref(sourced_id: str, kind: str) -> dict:
    return {"sourcedId": sourced_id, "type": kind}


def _common(sourced_id: str, minutes: int, **fields) -> dict:
    return {
        "_id": sourced_id,
        "sourcedId": sourced_id,
        "status": "active",
        "dateLastModified": BASE_TIME + timedelta(minutes=minutes),
        "_source": "test",
        "_batch": "batch-1",
        **fields,
    }


def _user(sourced_id, minutes, given, family, role, org, **fields) -> dict:
    user = {
        "enabledUser": "true",
        "username": sourced_id,
        "givenName": given,
        "familyName": family,
        "roles": [{"roleType": "primary", "role": role, "org": ref(org, "org"), "beginDate": "2026-04-01"}],
        "primaryOrg": ref(org, "org"),
        "grades": ["H1"] if role == "student" else [],
    }
    return _common(sourced_id, minutes, **{**user, **fields})


def roster_records() -> dict[str, list[dict]]:
    """Two schools under a board: sessions, courses, classes, students, teachers, a guardian."""
    orgs = [
        _common("board", 0, name="静岡県教育委員会", type="district", identifier="220001"),
        _common("school-a", 1, name="若葉台高等学校", type="school", identifier="D122299000010",
                parent=ref("board", "org"), metadata={"jp.kanaName": "ワカバダイ"}),
        _common("school-b", 2, name="翠嶺学園高等学校", type="school", identifier="D122399000020"),
    ]  # fmt: skip
    sessions = [
        _common("year-2026", 0, title="2026年度", type="schoolYear", startDate="2026-04-01",
                endDate="2027-03-31", schoolYear="2026", children=[ref("term-1", "academicSession")]),
        _common("term-1", 1, title="前期", type="term", startDate="2026-04-01", endDate="2026-09-30",
                schoolYear="2026", parent=ref("year-2026", "academicSession")),
        _common("term-2", 2, title="後期", type="term", startDate="2026-10-01", endDate="2027-03-31",
                schoolYear="2026", parent=ref("year-2026", "academicSession")),
        _common("period-1", 3, title="1学期中間", type="gradingPeriod", startDate="2026-04-01",
                endDate="2026-06-30", schoolYear="2026", parent=ref("term-1", "academicSession")),
    ]  # fmt: skip
    courses = [
        _common("course-math", 0, title="2026年度 数学Ⅰ", courseCode="", grades=["H1"], subjects=["数学"],
                org=ref("school-a", "org"), schoolYear=ref("year-2026", "academicSession")),
        _common("course-hr", 1, title="2026年度 ホームルーム", courseCode="HR", org=ref("school-b", "org")),
    ]  # fmt: skip
    classes = [
        _common("class-a1", 0, title="1年1組", classCode="H1-1", classType="homeroom", grades=["H1"],
                course=ref("course-math", "course"), school=ref("school-a", "org"),
                terms=[ref("year-2026", "academicSession")], metadata={"jp.specialNeeds": "false"}),
        _common("class-a2", 1, title="1年1組 数学Ⅰ", classCode="H1-1-M1", classType="scheduled",
                grades=["H1"], subjects=["数学"], periods=["1", "2"], course=ref("course-math", "course"),
                school=ref("school-a", "org"), terms=[ref("term-1", "academicSession")]),
        _common("class-b1", 2, title="1年A組", classCode="H1-A", classType="homeroom",
                course=ref("course-hr", "course"), school=ref("school-b", "org"),
                terms=[ref("term-2", "academicSession")]),
    ]  # fmt: skip
    users = [
        _user("student-1", 0, "蓮", "佐藤", "student", "school-a", identifier="2026101",
              metadata={"jp.kanaGivenName": "レン", "jp.kanaFamilyName": "サトウ", "jp.homeClass": "class-a1"}),
        _user("student-2", 1, "陽葵", "鈴木", "student", "school-a", identifier="2026102",
              metadata={"jp.kanaGivenName": "ヒマリ", "jp.kanaFamilyName": "スズキ"}),
        _user("student-3", 2, "湊", "高橋", "student", "school-a", identifier="2026103",
              email="minato@example.jp", password="secret-password"),
        _user("student-4", 3, "O'Brien", "Smith", "student", "school-b", identifier="2026104"),
        _user("teacher-1", 4, "花子", "田中", "teacher", "school-a", email="tanaka@wakabadai.example",
              identifier="T001", userIds=[{"type": "LTI", "identifier": "lti-teacher-1"}]),
        _user("teacher-2", 5, "一郎", "伊藤", "teacher", "school-b", enabledUser="false"),
        _user("guardian-1", 6, "美咲", "佐藤", "guardian", "school-a",
              agents=[ref("student-1", "user")]),
    ]  # fmt: skip
    enrollments = []
    for number, (user, klass, school, role) in enumerate(
        [
            ("student-1", "class-a1", "school-a", "student"),
            ("student-2", "class-a1", "school-a", "student"),
            ("student-3", "class-a1", "school-a", "student"),
            ("student-1", "class-a2", "school-a", "student"),
            ("student-2", "class-a2", "school-a", "student"),
            ("teacher-1", "class-a1", "school-a", "teacher"),
            ("teacher-1", "class-a2", "school-a", "teacher"),
            ("student-4", "class-b1", "school-b", "student"),
            ("teacher-2", "class-b1", "school-b", "teacher"),
        ],
        start=1,
    ):
        enrollments.append(
            _common(f"enrollment-{number}", number, user=ref(user, "user"), **{"class": ref(klass, "class")},
                    school=ref(school, "org"), role=role, primary="true" if role == "teacher" else "false",
                    beginDate="2026-04-01", endDate="2027-03-31")
        )  # fmt: skip
    demographics = [
        _common("student-1", 0, birthDate="2010-05-01", sex="male"),
        _common("student-2", 1, birthDate="2010-08-12", sex="female"),
    ]
    user_profiles = [
        {**_common("profile-1", 0), "user": ref("student-1", "user"), "profileId": "https://app.example/p/1",
         "profileType": "learner", "vendorId": "aoba", "credentials": [{"type": "password", "username": "ren",
                                                                       "password": "never-shown"}]},
    ]  # fmt: skip
    return {
        "orgs": orgs,
        "academicSessions": sessions,
        "courses": courses,
        "classes": classes,
        "users": users,
        "enrollments": enrollments,
        "demographics": demographics,
        "userProfiles": user_profiles,
    }


@pytest.fixture
def roster(app) -> dict[str, list[dict]]:
    """The small roster, inserted straight into the roster collections."""
    from gateway.oneroster.repository import collection

    records = roster_records()
    with app.app_context():
        for entity, documents in records.items():
            collection(entity).insert_many(documents)
    return records


@pytest.fixture
def roster_headers(make_credentials) -> dict[str, str]:
    """A school's client with every OneRoster 1.2 read scope (the release policy gives a school
    its students' records identified, kana, contact and demographics included)."""
    scopes = " ".join(OR12 + name for name in ("roster.readonly", "roster-demographics.readonly"))
    return basic_auth(*make_credentials(scopes, role="school"))


@pytest.fixture
def headers_with(make_credentials):
    def make(*scopes: str) -> dict[str, str]:
        return basic_auth(*make_credentials(" ".join(scopes), role="school"))

    return make


def _check_datetime(value) -> bool:
    if not isinstance(value, str):
        return True
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})", value):
        return False
    datetime.fromisoformat(value.replace("Z", "+00:00"))
    return True


@pytest.fixture(scope="session")
def rosters_openapi() -> dict:
    if not ROSTERS_OPENAPI.is_file():
        pytest.skip(
            f"the official OneRoster 1.2 OpenAPI documents are not at {REFERENCE} "
            "(1EdTech licence: they are read from ../shared/reference, never copied into the repo)"
        )
    return json.loads(ROSTERS_OPENAPI.read_text())


@pytest.fixture(scope="session")
def openapi_validator(rosters_openapi):
    """validate(instance, schema_name) against components/schemas/<schema_name> of the official
    document, formats (date, date-time, uri) checked."""
    registry = Registry().with_resource("urn:oneroster-rosters", DRAFT7.create_resource(rosters_openapi))
    formats = jsonschema.FormatChecker()
    formats.checks("date-time")(_check_datetime)

    def validate(instance, schema_name: str) -> None:
        schema = {"$ref": f"urn:oneroster-rosters#/components/schemas/{schema_name}"}
        jsonschema.Draft7Validator(schema, registry=registry, format_checker=formats).validate(instance)

    return validate


@pytest.fixture(scope="session")
def response_schema_name(rosters_openapi):
    """The name of the schema an operation's 200 response (or its errors) has in the official document."""

    def name(path: str, status: str = "200") -> str:
        operation = rosters_openapi["paths"][path]["get"]
        reference = operation["responses"][status]["content"]["application/json"]["schema"]["$ref"]
        return reference.rsplit("/", 1)[1]

    return name
