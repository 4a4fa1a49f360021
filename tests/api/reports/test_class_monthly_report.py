"""GET /reports/classes/{id}/monthly and …/monthly/students: figures and rows as the release policy
gives them, through real HTTP with real client credentials.

The roster: board 220001 (the strict profile: min_group_size 10) > school S1, class C1 with 12
students who all study in the app in October 2026, three of whom also sat an exam; class C2 of 4
students; school S2 (other) with its own client."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.conftest import basic_auth

HOME_PAGE = "https://id.d122299000010.kakehashi.example"
UNIT = "https://kakehashi.example/units/8451503311000000"
CODE = "8451503311000000"
C1 = [f"s{number:02d}" for number in range(1, 13)]
C2 = ["t01", "t02", "t03", "t04"]
EXAM_TAKERS = C1[:3]
REPORT_CATEGORIES = (
    "process.study-time",
    "process.achievement",
    "process.backtracking",
    "assessment.mock-exam",
    "assessment.periodic-test",
)


def _unit() -> dict:
    return {
        "objectType": "Activity",
        "id": UNIT,
        "definition": {
            "type": "https://kakehashi.example/xapi/activity-types/curriculum-unit",
            "name": {"ja": "二次関数のグラフ"},
            "extensions": {"https://kakehashi.example/xapi/extensions/course-of-study-code": CODE},
        },
    }


def _statement(student: str, verb: str, target: dict, when: str, result: dict, context: dict | None = None):
    statement = {
        "actor": {"objectType": "Agent", "account": {"homePage": HOME_PAGE, "name": student}},
        "verb": {"id": verb},
        "object": target,
        "result": result,
        "timestamp": when,
    }
    if context:
        statement["context"] = context
    return statement


def _learning(student: str, index: int) -> list[dict]:
    """Study sessions of 30 + 10·index minutes in October 2026 (JST), progress on the unit, one
    backtracking session for the first four, an exam section for the exam takers; and a session in
    September that the October report must not count."""
    minutes = 30 + 10 * index
    statements = [
        _statement(
            student,
            "http://adlnet.gov/expapi/verbs/experienced",
            _unit(),
            "2026-10-05T19:00:00+09:00",
            {"duration": f"PT{minutes}M"},
        ),
        _statement(
            student,
            "http://adlnet.gov/expapi/verbs/experienced",
            _unit(),
            "2026-09-20T19:00:00+09:00",
            {"duration": "PT5H"},
        ),
        _statement(
            student,
            "http://adlnet.gov/expapi/verbs/progressed",
            _unit(),
            "2026-10-05T19:01:00+09:00",
            {
                "completion": index % 2 == 0,
                "extensions": {
                    "https://kakehashi.example/xapi/extensions/achievement-rate": 0.5 + index / 40
                },
            },
        ),
    ]
    if index < 4:
        statements.append(
            _statement(
                student,
                "https://kakehashi.example/xapi/verbs/backtracked",
                _unit(),
                "2026-10-06T19:00:00+09:00",
                {"duration": "PT20M"},
            )
        )
    if student in EXAM_TAKERS:
        statements.append(
            _statement(
                student,
                "http://adlnet.gov/expapi/verbs/scored",
                {
                    "objectType": "Activity",
                    "id": "https://exams.example/2026/midterm/sections/1",
                    "definition": {"type": "https://kakehashi.example/xapi/activity-types/exam-section"},
                },
                "2026-10-14T10:00:00+09:00",
                {"score": {"raw": 6 + index, "min": 0, "max": 10, "scaled": (6 + index) / 10}},
                {"contextActivities": {"grouping": [_unit()]}},
            )
        )
    return statements


@pytest.fixture
def roster(app):
    """Orgs, users, enrollments (roster collections) and the students' statements."""
    from gateway.auth.service import Principal
    from gateway.lrs.service import WriteContext, store_statements
    from gateway.lrs.versions import XAPI_2_0_0
    from gateway.oneroster.repository import collection

    with app.app_context():
        collection("orgs").insert_many(
            [
                {
                    "_id": "B1",
                    "sourcedId": "B1",
                    "name": "静岡県教育委員会",
                    "type": "district",
                    "identifier": "220001",
                },
                {
                    "_id": "S1",
                    "sourcedId": "S1",
                    "name": "かけはし高校",
                    "type": "school",
                    "identifier": "D122299000010",
                    "parent": {"sourcedId": "B1", "type": "org"},
                },
                {
                    "_id": "S2",
                    "sourcedId": "S2",
                    "name": "となり高校",
                    "type": "school",
                    "identifier": "D122299000029",
                    "parent": {"sourcedId": "B1", "type": "org"},
                },
            ]
        )
        collection("classes").insert_many(
            [
                {
                    "_id": klass,
                    "sourcedId": klass,
                    "title": title,
                    "school": {"sourcedId": "S1", "type": "org"},
                }
                for klass, title in (("C1", "1年1組"), ("C2", "1年2組"))
            ]
        )
        collection("users").insert_many(
            [
                {
                    "_id": student,
                    "sourcedId": student,
                    "status": "active",
                    "username": f"user-{student}",
                    "givenName": f"名{student}",
                    "familyName": "山田",
                    "roles": [
                        {"roleType": "primary", "role": "student", "org": {"sourcedId": "S1", "type": "org"}}
                    ],
                }
                for student in C1 + C2
            ]
        )
        collection("enrollments").insert_many(
            [
                {
                    "_id": f"enr-{klass}-{student}",
                    "sourcedId": f"enr-{klass}-{student}",
                    "user": {"sourcedId": student, "type": "user"},
                    "class": {"sourcedId": klass, "type": "class"},
                    "school": {"sourcedId": "S1", "type": "org"},
                    "role": "student",
                }
                for klass, students in (("C1", C1), ("C2", C2))
                for student in students
            ]
        )
        statements = [s for index, student in enumerate(C1 + C2) for s in _learning(student, index % 12)]
        writer = Principal("report-writer", "app", "provider", frozenset({"statements/write"}))
        store_statements(statements, WriteContext(writer, XAPI_2_0_0, "http://gateway.test"))


def _client(app, role: str, scope: str = "reports.read", organisation: str | None = None) -> tuple[str, dict]:
    from gateway.auth.service import register_client

    with app.app_context():
        issued = register_client(f"{role} client", role, scope, organisation=organisation)
    return issued.client_id, basic_auth(issued.client_id, issued.client_secret)


def _monthly(client, headers, klass="C1", month="2026-10"):
    return client.get(f"/reports/classes/{klass}/monthly", query_string={"month": month}, headers=headers)


def _students(client, headers, klass="C1", month="2026-10"):
    return client.get(
        f"/reports/classes/{klass}/monthly/students", query_string={"month": month}, headers=headers
    )


def test_teacher_gets_the_figures_and_named_rows(app, client, roster):
    _, teacher = _client(app, "school", organisation="S1")
    response = _monthly(client, teacher)
    assert response.status_code == 200, response.get_json()
    report = response.get_json()
    figures = report["figures"]
    assert report["class"] == {"sourcedId": "C1", "title": "1年1組"} and report["minGroupSize"] == 10
    assert figures["studentsInClass"] == {"value": 12, "students": 12, "categories": ["roster.enrollment"]}
    assert figures["studentsWithLearningRecords"]["value"] == 12
    minutes = [30 + 10 * i + (20 if i < 4 else 0) for i in range(12)]  # September's sessions not counted
    assert figures["studyMinutesTotal"]["value"] == sum(minutes)
    assert figures["studyMinutesMedian"]["value"] == sorted(minutes)[5] / 2 + sorted(minutes)[6] / 2
    assert figures["backtrackingEvents"]["value"] == 4
    assert figures["achievementRateMean"]["value"] == pytest.approx(
        sum(0.5 + i / 40 for i in range(12)) / 12, abs=1e-3
    )
    # at or above the median and no unit newly reached: the odd indices among the upper half
    assert figures["workingHardWithoutProgress"]["value"] == 3
    # only three students sat the exam: below the minimum group size, so suppressed
    (unit,) = report["examScoresByUnit"]
    assert unit["unit"] == CODE and unit["value"] is None and unit["suppressed"]["reason"] == "min_group_size"
    assert figures["studyTimeScoreCorrelation"]["value"] is None
    assert "assessment.mock-exam#figure=2" in response.headers["X-Kakehashi-Withheld"]
    rows = _students(client, teacher).get_json()
    assert len(rows["students"]) == 12 and rows["studentsLeftOut"] == 0
    assert {row["student"]["form"] for row in rows["students"]} == {"identified"}
    first = next(row for row in rows["students"] if row["student"]["sourcedId"] == "s01")
    assert first["studyMinutes"] == 50 and first["examScores"] == {CODE: 0.6} and first["withheld"] == []


def test_small_class_figures_are_suppressed(app, client, roster):
    _, teacher = _client(app, "school", organisation="S1")
    response = _monthly(client, teacher, klass="C2")
    assert response.status_code == 200
    figures = response.get_json()["figures"]
    assert all(figure["value"] is None for figure in figures.values())
    assert figures["studentsInClass"]["suppressed"]["minGroupSize"] == 10
    withheld = response.headers["X-Kakehashi-Withheld"]
    assert "roster.enrollment#figure=1" in withheld and "process.study-time#figure=" in withheld


def test_provider_under_strict_profile_gets_aggregates_and_pseudonymised_rows(app, client, roster):
    _, juku = _client(app, "provider")
    figures = _monthly(client, juku).get_json()["figures"]
    assert figures["studentsInClass"]["value"] == 12 and figures["studyMinutesTotal"]["value"] > 0
    rows = _students(client, juku).get_json()["students"]
    # exam results are tier II: pseudonymised for a provider, so no row names a student
    assert len(rows) == 12 and {row["student"]["form"] for row in rows} == {"pseudonymised"}
    assert all("sourcedId" not in row["student"] and "familyName" not in row["student"] for row in rows)
    assert len({row["student"]["pseudonym"] for row in rows}) == 12
    # a third party gets the aggregates only: every row is left out
    _, third = _client(app, "third_party")
    assert _monthly(client, third).get_json()["figures"]["studentsInClass"]["value"] == 12
    response = _students(client, third)
    assert response.get_json()["students"] == [] and response.get_json()["studentsLeftOut"] == 12


def test_another_schools_client_gets_nothing_of_the_class(app, client, roster):
    _, other = _client(app, "school", organisation="S2")
    figures = _monthly(client, other).get_json()["figures"]
    assert all(figure["value"] is None for figure in figures.values())
    body = _students(client, other).get_json()
    assert body["students"] == [] and body["studentsLeftOut"] == 12


def test_a_consent_names_the_student_to_the_provider(app, client, roster):
    from gateway.policy.consent import grant_consent

    juku_id, juku = _client(app, "provider")
    now = datetime.now(UTC)
    with app.app_context():
        grant_consent(
            subject="s02",
            granted_by="s02",
            granted_by_role="student",
            recipient_client_id=juku_id,
            purpose="learning-support",
            categories=REPORT_CATEGORIES,
            valid_from=now - timedelta(minutes=1),
            valid_until=now + timedelta(days=30),
        )
    rows = _students(client, juku).get_json()["students"]
    named = [row for row in rows if row["student"]["form"] == "identified"]
    assert len(named) == 1 and named[0]["student"]["sourcedId"] == "s02"
    assert named[0]["examScores"] == {CODE: 0.7}
    assert sum(row["student"]["form"] == "pseudonymised" for row in rows) == 11


def test_each_report_writes_one_audit_entry(app, client, roster):
    _, teacher = _client(app, "school", organisation="S1")
    response = _monthly(client, teacher)
    entry_id = response.headers["X-Kakehashi-Decision"]
    assert f"/audit/{entry_id}>" in response.headers["Link"]
    _, auditor = _client(app, "board", scope="audit.read")
    entry = client.get(f"/audit/{entry_id}", headers=auditor)
    assert entry.status_code == 200, entry.get_json()
    entry = entry.get_json()
    assert entry["resource"] == "reports/classes/monthly"
    assert set(REPORT_CATEGORIES) <= set(entry["categories"]) and "roster.enrollment" in entry["categories"]
    assert len(entry["subjects"]) == 12 and entry["decisions"]


def test_reports_need_the_scope_a_known_class_and_a_month(app, client, roster):
    _, reader = _client(app, "school", scope="statements/read", organisation="S1")
    response = _monthly(client, reader)
    assert response.status_code == 403 and response.get_json()["error"]["code"] == "insufficient_scope"
    _, teacher = _client(app, "school", organisation="S1")
    unknown = _monthly(client, teacher, klass="nope")
    assert unknown.status_code == 404 and unknown.get_json()["error"]["details"] == {"classSourcedId": "nope"}
    assert _students(client, teacher, klass="nope").status_code == 404
    for month in ("2026-13", "2026-1", "October", ""):
        bad = _monthly(client, teacher, month=month)
        assert bad.status_code == 400, month
        assert "month" in bad.get_json()["error"]["details"]
    missing = client.get("/reports/classes/C1/monthly", headers=teacher)
    assert missing.status_code == 400 and "month" in missing.get_json()["error"]["details"]
    extra = client.get(
        "/reports/classes/C1/monthly", query_string={"month": "2026-10", "x": 1}, headers=teacher
    )
    assert extra.status_code == 400


def test_a_statement_by_an_address_two_students_share_counts_for_neither(app, client, xapi_headers):
    # the identity rule: an mbox is a student's when the address is theirs alone
    from gateway.oneroster.repository import collection
    from gateway.reports.repository import statements_of

    def user(sourced_id: str, email: str) -> dict:
        return {"_id": sourced_id, "sourcedId": sourced_id, "status": "active", "email": email,
                "primaryOrg": {"sourcedId": "S9", "type": "org"},
                "roles": [{"roleType": "primary", "role": "student", "org": {"sourcedId": "S9", "type": "org"}}]}  # fmt: skip

    users = [
        user("stu-a", "family@example.jp"),
        user("stu-b", "Family@example.jp"),
        user("stu-c", "c@example.jp"),
    ]
    with app.app_context():
        collection("orgs").insert_one(
            {"_id": "S9", "sourcedId": "S9", "type": "school", "identifier": "D199999999999"}
        )
        collection("users").insert_many([dict(u) for u in users])
    statements = [
        {"actor": {"mbox": mbox}, "verb": {"id": "http://adlnet.gov/expapi/verbs/experienced"},
         "object": {"id": "https://kakehashi.example/act/shared"}}
        for mbox in ("mailto:family@example.jp", "mailto:c@example.jp")
    ]  # fmt: skip
    assert client.post("/xapi/statements", json=statements, headers=xapi_headers).status_code == 200
    with app.app_context():
        found = statements_of(users)
    assert found["stu-a"] == [] and found["stu-b"] == []
    assert [s["actor"]["mbox"] for s in found["stu-c"]] == ["mailto:c@example.jp"]
