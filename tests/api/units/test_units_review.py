"""GET /units/review: units to review (要復習単元) for a demo student and exam, with the
foundations the prerequisite graph and the student's own statements suggest checking first."""

from __future__ import annotations

from collections import Counter

import pytest

from tests.conftest import basic_auth

NOVEMBER_MOCK = "https://shingaku-moshi.example/exams/2026/h1-3/math"


@pytest.fixture
def demo_student(app):
    """The demo roster and every statement of the juku student who backtracked most (a
    struggling student): their sourcedId."""
    from gateway.auth.service import Principal
    from gateway.demo import vocabulary as v
    from gateway.demo.roster import build_roster
    from gateway.demo.seed import _load_roster
    from gateway.demo.statements import build_statements
    from gateway.lrs.service import WriteContext, store_statements
    from gateway.lrs.versions import XAPI_2_0_0

    roster = build_roster()
    statements = build_statements(roster)
    backtracks = Counter(
        s["actor"]["account"]["name"] for s in statements if s["verb"]["id"] == v.BACKTRACKED
    )
    student = backtracks.most_common(1)[0][0]
    mine = [s for s in statements if s["actor"]["account"]["name"] == student]
    writer = Principal("demo-writer", "demo", "provider", frozenset({"statements/write"}))
    with app.app_context():
        _load_roster(roster, {})
        store_statements(mine, WriteContext(writer, XAPI_2_0_0, "http://gateway.test"))
    return student


def _consent(app, student: str, client_id: str) -> None:
    """The student's own consent to the juku's coach: their exam results and learning records."""
    from datetime import UTC, datetime, timedelta

    from gateway.policy.consent import grant_consent
    from gateway.policy.release import REVIEW_CATEGORIES

    now = datetime.now(UTC)
    with app.app_context():
        grant_consent(
            subject=student,
            granted_by=student,
            granted_by_role="student",
            recipient_client_id=client_id,
            purpose="learning-support",
            categories=REVIEW_CATEGORIES,
            valid_from=now - timedelta(minutes=1),
            valid_until=now + timedelta(days=30),
        )


def test_units_to_review_lists_the_units_and_their_foundations(app, client, make_credentials, demo_student):
    coach_id, coach_secret = make_credentials(scope="reports.read")  # a juku (provider) client
    coach = basic_auth(coach_id, coach_secret)
    asked = {"student": demo_student, "exam": NOVEMBER_MOCK}
    # The demo board's strict profile: named results go to a juku only by the student's consent.
    assert client.get("/units/review", query_string=asked, headers=coach).status_code == 404
    _consent(app, demo_student, coach_id)
    response = client.get("/units/review", query_string=asked, headers=coach)
    assert response.status_code == 200, response.get_json()
    assert 'rel="decision"' in response.headers["Link"]
    report = response.get_json()
    assert report["exam"] == {"id": NOVEMBER_MOCK, "title": "第3回 高1全国模試（11月） 数学"}
    assert report["unitsOnExam"] == 7
    rates = [unit["rate"] for unit in report["units"]]
    assert rates and rates == sorted(rates) and all(rate < 0.6 for rate in rates)
    by_code = {unit["code"]: unit for unit in report["units"]}
    # 二次関数の最大・最小 (45%) builds on 関数 y=ax² and, further down, 一次関数 and 比例・反比例.
    quadratic = by_code["8451503312000000"]
    assert quadratic["heading"] == "二次関数の最大・最小"  # the name the statements carry (tables not loaded)
    depths = {f["code"]: f["depth"] for f in quadratic["foundations"]}
    assert depths and min(depths.values()) == 1 and max(depths.values()) >= 2
    # Foundations the student went back to come first, each with the reason.
    flags = [f["checkFirst"] for f in quadratic["foundations"]]
    assert flags == sorted(flags, reverse=True) and any(flags)
    first = quadratic["foundations"][0]
    assert (
        first["reasons"]
        and first["evidence"]["backtracked"] + (first["evidence"]["achievementRate"] or 0) > 0
    )
    assert report["checkFirst"] and {c["code"] for c in report["checkFirst"]} <= {
        f["code"] for unit in report["units"] for f in unit["foundations"] if f["checkFirst"]
    }
    # A stricter threshold lists more units; a loose one fewer.
    strict = client.get(
        "/units/review",
        query_string={"student": demo_student, "exam": NOVEMBER_MOCK, "threshold": 0.9},
        headers=coach,
    ).get_json()
    assert len(strict["units"]) >= len(report["units"])


def test_units_to_review_is_released_to_coaches_only_and_checks_its_input(
    client, make_credentials, demo_student
):
    query = {"student": demo_student, "exam": NOVEMBER_MOCK}
    provider = basic_auth(*make_credentials(scope="statements/write"))
    assert client.get("/units/review", query_string=query, headers=provider).status_code == 403
    coach = basic_auth(*make_credentials(scope="reports.read"))
    assert (
        client.get("/units/review", query_string={**query, "threshold": 0}, headers=coach).status_code == 400
    )
    assert client.get("/units/review", query_string={**query, "extra": 1}, headers=coach).status_code == 400
    assert (
        client.get(
            "/units/review", query_string={"student": "nobody", "exam": NOVEMBER_MOCK}, headers=coach
        ).status_code
        == 404
    )
    unknown_exam = client.get(
        "/units/review", query_string={**query, "exam": "https://x.example/exam"}, headers=coach
    )
    assert unknown_exam.status_code == 404
