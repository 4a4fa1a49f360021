"""The demo data set: deterministic; Japan Profile roster and CSV set; valid, realistic xAPI statements."""

from __future__ import annotations

import csv
import re
import statistics
import uuid
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from gateway.demo import vocabulary as v
from gateway.demo.roster import (
    CSV_FILES,
    PREFECTURAL_SCHOOL_CODE,
    PRIVATE_SCHOOL_CODE,
    agent_for_user,
    build_roster,
    write_csv_set,
)
from gateway.demo.statements import build_statements, sender_of
from gateway.lrs.validation import validate_statements

SHARED = Path(__file__).resolve().parents[3] / ".." / "shared"
MEXT_TABLES = SHARED / "data" / "mext-course-of-study"
START, END = date(2026, 9, 1), date(2026, 11, 27)

UUID_V4 = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")
FULL_WIDTH_KATAKANA = re.compile(r"[ァ-ヶー]+")
HALF_WIDTH_KATAKANA = re.compile(r"[｡-ﾟ]")
SCHOOL_CODE = re.compile(r"[A-H][12][0-4][0-9][123][0-9]{8}")
BOARD_CODE = re.compile(r"[0-4][0-9]{5}")
RECORD_TYPES = ("orgs", "academic_sessions", "courses", "classes", "users", "roles", "enrollments")


@pytest.fixture(scope="module")
def roster():
    return build_roster()


@pytest.fixture(scope="module")
def statements(roster):
    return build_statements(roster)


@pytest.fixture(scope="module")
def mext_texts() -> dict[str, str]:
    if not MEXT_TABLES.is_dir():
        pytest.skip(f"the MEXT 学習指導要領コード tables are not at {MEXT_TABLES}")
    texts = {}
    for table in ("82V11.csv", "83V11.csv", "84V10.csv"):
        with (MEXT_TABLES / table).open(encoding="utf-8", newline="") as file:
            texts.update(
                (row["学習指導要領コード"], row["学習指導要領テキスト"]) for row in csv.DictReader(file)
            )
    return texts


def by_id(records) -> dict[str, dict]:
    return {record["sourcedId"]: record for record in records}


def students_of(roster, code: str) -> list[dict]:
    school = next(org for org in roster.orgs if org["identifier"] == code)
    return [s for s in roster.students() if s["primaryOrgSourcedId"] == school["sourcedId"]]


def kind(statement: dict) -> str:
    verb = statement["verb"]["id"]
    if verb == v.SCORED:
        return "exam section" if statement["object"]["definition"]["type"] == v.EXAM_SECTION else "exam total"
    if verb == v.WAS_FLAGGED:
        return statement["object"]["id"]
    return verb


def unit_codes(activities) -> list[str]:
    return [
        a["definition"]["extensions"][v.COURSE_OF_STUDY_CODE]
        for a in activities
        if a["definition"]["type"] == v.CURRICULUM_UNIT
    ]


# --- determinism ---------------------------------------------------------------------------------


def test_the_same_seed_gives_the_same_data_set(roster, statements):
    again = build_roster()
    assert again == roster
    assert build_statements(again) == statements


def test_another_seed_gives_other_people_and_ids(roster):
    other = build_roster(seed=7)
    assert {u["sourcedId"] for u in other.users}.isdisjoint(u["sourcedId"] for u in roster.users)
    assert [u["familyName"] + u["givenName"] for u in other.students()] != [
        u["familyName"] + u["givenName"] for u in roster.students()
    ]


# --- roster --------------------------------------------------------------------------------------


def test_two_high_schools_with_80_and_23_first_years(roster):
    assert len(roster.students()) == 103
    assert len(students_of(roster, PREFECTURAL_SCHOOL_CODE)) == 80
    assert len(students_of(roster, PRIVATE_SCHOOL_CODE)) == 23
    classes = by_id(roster.classes)
    homeroom_sizes = Counter(
        classes[e["classSourcedId"]]["title"]
        for e in roster.enrollments
        if e["role"] == "student" and classes[e["classSourcedId"]]["classType"] == "homeroom"
    )
    assert homeroom_sizes == {"1年1組": 40, "1年2組": 40, "1年A組": 23}
    assert Counter(c["classType"] for c in roster.classes) == {"homeroom": 3, "scheduled": 6}
    # Every student is in a homeroom, a 数学Ⅰ class and a 数学A class.
    assert Counter(
        Counter(e["userSourcedId"] for e in roster.enrollments if e["role"] == "student").values()
    ) == {3: 103}
    assert 6 <= len(roster.teachers()) <= 10
    assert {c["title"] for c in roster.courses} == {
        "2026年度 数学Ⅰ",
        "2026年度 数学A",
        "2026年度 ホームルーム",
    }


def test_juku_students_come_from_both_schools(roster):
    juku = set(roster.juku_students)
    assert len(juku) == len(roster.juku_students) == 40
    assert len(juku & {s["sourcedId"] for s in students_of(roster, PREFECTURAL_SCHOOL_CODE)}) == 30
    assert len(juku & {s["sourcedId"] for s in students_of(roster, PRIVATE_SCHOOL_CODE)}) == 10
    assert roster.provider("juku")["kind"] == "juku"
    assert roster.provider("juku")["sourcedId"] not in by_id(roster.orgs)


def test_board_and_schools_follow_the_japan_profile(roster):
    board = next(org for org in roster.orgs if org["type"] == "district")
    assert board["name"].endswith("県教育委員会")
    assert BOARD_CODE.fullmatch(board["identifier"]) and board["parentSourcedId"] == ""
    public, private = (
        next(o for o in roster.orgs if o["identifier"] == code)
        for code in (PREFECTURAL_SCHOOL_CODE, PRIVATE_SCHOOL_CODE)
    )
    for school in (public, private):
        assert school["type"] == "school" and SCHOOL_CODE.fullmatch(school["identifier"])
    assert public["identifier"][4] == "2" and public["parentSourcedId"] == board["sourcedId"]
    assert private["identifier"][4] == "3" and private["parentSourcedId"] == ""
    (session,) = roster.academic_sessions
    assert (session["title"], session["type"], session["schoolYear"]) == ("2026年度", "schoolYear", "2026")
    assert (session["startDate"], session["endDate"]) == ("2026-04-01", "2027-03-31")


def test_every_record_follows_the_japan_profile(roster):
    sourced_ids = [r["sourcedId"] for field in RECORD_TYPES for r in getattr(roster, field)]
    assert all(UUID_V4.fullmatch(i) for i in sourced_ids)
    assert len(set(sourced_ids)) == len(sourced_ids)
    masters = [u["userMasterIdentifier"] for u in roster.users]
    assert all(UUID_V4.fullmatch(i) for i in masters) and len(set(masters)) == len(masters)
    for field in (*RECORD_TYPES, "demographics"):
        for record in getattr(roster, field):
            # Bulk files leave status and dateLastModified blank; no half-width katakana anywhere.
            assert record["status"] == record["dateLastModified"] == ""
            assert not any(HALF_WIDTH_KATAKANA.search(value) for value in record.values())
    for user in roster.users:
        assert FULL_WIDTH_KATAKANA.fullmatch(user["metadata.jp.kanaFamilyName"])
        assert FULL_WIDTH_KATAKANA.fullmatch(user["metadata.jp.kanaGivenName"])
        assert (
            user["preferredFamilyName"] == user["familyName"]
            and user["preferredGivenName"] == user["givenName"]
        )
    assert {u["grades"] for u in roster.students()} == {"H1"}
    assert {c["grades"] for c in (*roster.classes, *roster.courses)} == {"H1"}
    assert all(c["title"].startswith("2026年度") and c["courseCode"] == "" for c in roster.courses)


def test_student_enrollments_are_never_primary_and_teachers_lead_their_classes(roster):
    roles = {r["userSourcedId"]: r["role"] for r in roster.roles}
    for enrollment in roster.enrollments:
        assert roles[enrollment["userSourcedId"]] == enrollment["role"]
        assert enrollment["primary"] == ("false" if enrollment["role"] == "student" else "true")
    shusseki = [int(e["metadata.jp.ShussekiNo"]) for e in roster.enrollments if e["metadata.jp.ShussekiNo"]]
    assert sorted(shusseki) == sorted([*range(1, 41), *range(1, 41), *range(1, 24)])


def test_references_resolve(roster):
    orgs, classes, users, courses = (
        by_id(x) for x in (roster.orgs, roster.classes, roster.users, roster.courses)
    )
    sessions = by_id(roster.academic_sessions)
    assert sorted(r["userSourcedId"] for r in roster.roles) == sorted(users)  # one role per user
    for role in roster.roles:
        assert orgs[role["orgSourcedId"]]["type"] == "school" and role["roleType"] == "primary"
    for enrollment in roster.enrollments:
        assert enrollment["classSourcedId"] in classes and enrollment["userSourcedId"] in users
        assert classes[enrollment["classSourcedId"]]["schoolSourcedId"] == enrollment["schoolSourcedId"]
    for klass in roster.classes:
        assert klass["courseSourcedId"] in courses and klass["termSourcedIds"] in sessions
    for user in roster.users:
        assert user["primaryOrgSourcedId"] in orgs
        assert classes[user["metadata.jp.homeClass"]]["classType"] == "homeroom"
        for agent in filter(None, user["agentSourcedIds"].split(",")):
            assert user["sourcedId"] in users[agent]["agentSourcedIds"].split(",")
    assert {d["sourcedId"] for d in roster.demographics} == {s["sourcedId"] for s in roster.students()}


def test_agents_are_accounts_under_each_schools_host(roster):
    homepages = set()
    for student in roster.students():
        agent = agent_for_user(student, roster.org(student["primaryOrgSourcedId"]))
        assert agent == {
            "objectType": "Agent",
            "name": f"{student['familyName']} {student['givenName']}",
            "account": {"homePage": agent["account"]["homePage"], "name": student["sourcedId"]},
        }
        homepages.add(agent["account"]["homePage"])
    assert homepages == {
        f"https://id.{code.lower()}.kakehashi.example"
        for code in (PREFECTURAL_SCHOOL_CODE, PRIVATE_SCHOOL_CODE)
    }


def test_csv_set_can_be_read_back(roster, tmp_path):
    write_csv_set(roster, tmp_path)
    manifest = dict(read_csv(tmp_path / "manifest.csv")[1])
    assert manifest["manifest.version"] == "1.0" and manifest["oneroster.version"] == "1.2"
    assert manifest["source.systemName"]
    declared = {key[len("file.") :]: value for key, value in manifest.items() if key.startswith("file.")}
    assert {name for name, value in declared.items() if value == "bulk"} == set(CSV_FILES)
    assert set(declared.values()) == {"bulk", "absent"}
    for name, (field, columns) in CSV_FILES.items():
        path = tmp_path / f"{name}.csv"
        raw = path.read_bytes()
        assert not raw.startswith(b"\xef\xbb\xbf")
        assert raw.count(b"\n") == raw.count(b"\r\n") > 1  # CRLF line ends only
        header, rows = read_csv(path)
        assert header == list(columns)
        assert [dict(zip(header, row, strict=True)) for row in rows] == list(getattr(roster, field))
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["manifest.csv", *(f"{n}.csv" for n in CSV_FILES)]
    )


def read_csv(path: Path) -> tuple[list[str], list[list[str]]]:
    with path.open(encoding="utf-8", newline="") as file:
        header, *rows = list(csv.reader(file))
    return header, rows


def test_units_are_the_mext_tables_rows(mext_texts):
    for unit in v.UNITS:
        assert unit.code in mext_texts, unit
        assert mext_texts[unit.code].startswith(unit.mext_text), unit
        assert all(p in v.UNITS_BY_CODE for p in unit.prerequisites)
    assert {u.code[:4] for u in v.UNITS if u.grade == "H1"} == {"8451", "8454"}  # 数学Ⅰ and 数学A


# --- statements ----------------------------------------------------------------------------------


def test_volume_and_kinds(statements):
    kinds = Counter(map(kind, statements))
    assert 8_000 <= len(statements) <= 20_000
    assert set(kinds) == {
        v.EXPERIENCED, v.PROGRESSED, v.BACKTRACKED, v.ATTENDED, "exam section", "exam total",
        v.ALERT_INACTIVE, v.ALERT_EFFORT_WITHOUT_PROGRESS,
    }  # fmt: skip
    assert kinds[v.EXPERIENCED] == kinds[v.PROGRESSED]  # progress is reported after every session


def test_ids_are_unique_uuids(statements):
    ids = [s["id"] for s in statements]
    assert len(set(ids)) == len(ids)
    assert all(str(uuid.UUID(i)) == i and uuid.UUID(i).version == 5 for i in ids)


def test_timestamps_are_japan_time_within_the_period(statements):
    for statement in statements:
        when = datetime.fromisoformat(statement["timestamp"])
        assert when.utcoffset() == timedelta(hours=9) and statement["timestamp"].endswith("+09:00")
        assert START <= when.date() <= END
    assert statements == sorted(statements, key=lambda s: (s["timestamp"], s["id"]))


@pytest.mark.slow
@pytest.mark.parametrize("version", ["1.0.3", "2.0.0"])
def test_statements_are_valid_xapi(statements, version):
    validate_statements(statements, version)


def test_statements_leave_lrs_properties_out_and_use_ja_and_en(statements):
    for statement in statements:
        assert not {"authority", "stored", "version"} & set(statement)
        assert set(statement["actor"]) == {"objectType", "name", "account"}
        assert set(statement["verb"]["display"]) == {"ja", "en"}
        assert statement["context"]["platform"]
        activities = [
            statement["object"],
            *(a for group in statement["context"]["contextActivities"].values() for a in group),
        ]
        for activity in activities:
            for language_map in (activity.get("definition", {}).get(k, {}) for k in ("name", "description")):
                assert set(language_map) <= {"ja", "en"}


def test_every_unit_referenced_is_in_the_mext_tables(statements, mext_texts):
    referenced = set()
    for statement in statements:
        for activity in [statement["object"], *statement["context"]["contextActivities"].get("grouping", ())]:
            if activity["definition"]["type"] == v.CURRICULUM_UNIT:
                code = activity["definition"]["extensions"][v.COURSE_OF_STUDY_CODE]
                assert activity["id"] == v.UNIT_ACTIVITY_BASE + code
                referenced.add(code)
    assert referenced <= set(mext_texts)
    assert len(referenced) >= 25


def test_juku_statements_are_only_about_juku_students(roster, statements):
    juku = roster.provider("juku")
    about = defaultdict(set)
    for statement in statements:
        about[sender_of(statement, roster)["sourcedId"]].add(statement["actor"]["account"]["name"])
        if statement["verb"]["id"] != v.SCORED:
            assert sender_of(statement, roster) == juku
    assert about[juku["sourcedId"]] == set(roster.juku_students)
    assert about[roster.provider("exam_vendor")["sourcedId"]] == {s["sourcedId"] for s in roster.students()}
    for school in roster.schools():
        assert about[school["sourcedId"]] == {
            s["sourcedId"] for s in students_of(roster, school["identifier"])
        }


def test_backtracking_goes_to_an_earlier_grades_prerequisite(statements):
    backtracks = [s for s in statements if s["verb"]["id"] == v.BACKTRACKED]
    assert backtracks
    for statement in backtracks:
        (foundation,) = unit_codes([statement["object"]])
        (target,) = unit_codes(statement["context"]["contextActivities"]["grouping"])
        assert v.UNITS_BY_CODE[foundation].grade.startswith("J") and v.UNITS_BY_CODE[target].grade == "H1"
        assert foundation in prerequisites_of(target)
        assert statement["result"]["duration"] == f"PT{statement['context']['extensions'][v.STUDY_MINUTES]}M"


def prerequisites_of(code: str) -> set[str]:
    direct = set(v.UNITS_BY_CODE[code].prerequisites)
    return direct.union(*(prerequisites_of(p) for p in direct))


def test_exam_sections_add_up_to_the_exam_total(statements):
    sections = defaultdict(int)
    totals = {}
    for statement in statements:
        if statement["verb"]["id"] != v.SCORED:
            continue
        student = statement["actor"]["account"]["name"]
        score = statement["result"]["score"]
        assert 0 <= score["raw"] <= score["max"] and score["min"] == 0
        assert score["scaled"] == pytest.approx(score["raw"] / score["max"], abs=1e-4)
        if statement["object"]["definition"]["type"] == v.EXAM_SECTION:
            (exam,) = statement["context"]["contextActivities"]["parent"]
            assert statement["object"]["id"].startswith(exam["id"] + "/sections/")
            assert len(unit_codes(statement["context"]["contextActivities"]["grouping"])) == 1
            sections[student, exam["id"]] += score["raw"]
        else:
            totals[student, statement["object"]["id"]] = score["raw"]
    assert sections == totals
    assert len(totals) == 103 * 4  # two 模試 and two 中間考査 per student


def test_coaching_is_weekly_with_a_japanese_note(roster, statements):
    coaching = [s for s in statements if s["verb"]["id"] == v.ATTENDED]
    per_student = Counter(s["actor"]["account"]["name"] for s in coaching)
    assert set(per_student) == set(roster.juku_students)
    assert max(per_student.values()) <= 13  # at most one a week
    assert statistics.median(per_student.values()) >= 10
    for statement in coaching:
        note = statement["result"]["extensions"][v.COACHING_NOTE]
        assert (
            statement["context"]["language"] == "ja" and re.search(r"[ぁ-ん]", note) and note.endswith("。")
        )
        assert (
            statement["context"]["instructor"]["account"]["homePage"] == roster.provider("juku")["homePage"]
        )


def test_study_time_and_results_relate_as_in_the_pilots(roster, statements):
    """Alerts single out who studies much without progress and who stopped studying."""
    minutes = Counter()
    september = {}
    flagged = defaultdict(set)
    for statement in statements:
        student = statement["actor"]["account"]["name"]
        if statement["verb"]["id"] in (v.EXPERIENCED, v.BACKTRACKED):
            minutes[student] += statement["context"]["extensions"][v.STUDY_MINUTES]
        elif statement["verb"]["id"] == v.WAS_FLAGGED:
            flagged[statement["object"]["id"]].add(student)
        elif statement["object"]["id"].endswith("/h1-2/math"):
            september[student] = statement["result"]["score"]["raw"]
    juku = roster.juku_students
    median_minutes = statistics.median(minutes[s] for s in juku)
    median_score = statistics.median(september[s] for s in juku)
    hard_workers = flagged[v.ALERT_EFFORT_WITHOUT_PROGRESS]
    assert hard_workers and statistics.mean(minutes[s] for s in hard_workers) > median_minutes
    assert statistics.mean(september[s] for s in hard_workers) < median_score
    idle = flagged[v.ALERT_INACTIVE]
    assert idle and statistics.mean(minutes[s] for s in idle) < median_minutes
