"""OneRoster CSV import into the roster store: valid 1.1, 1.2 and Japan Profile sets, bulk re-imports,
deltas, and each class of defect reported precisely with nothing changed."""

from __future__ import annotations

import csv
import shutil
import zipfile
from datetime import UTC, datetime

import pytest

from adapters.oneroster.importer import import_roster
from gateway.oneroster import repository
from tests.integration.roster_sets import (
    CLASS,
    ENROLLMENT,
    SCHOOL,
    STUDENTS,
    TEACHER,
    manifest,
    rows_for,
    write_set,
)


def snapshot() -> dict[str, list[dict]]:
    return {e: sorted(repository.collection(e).find({}), key=lambda d: d["_id"]) for e in repository.ENTITIES}


def counts(result) -> dict[str, tuple[int, int, int, int]]:
    return {e: (n.created, n.updated, n.deleted, n.unchanged) for e, n in result.counts.items()}


def only_errors(result) -> list:
    return [issue for issue in result.issues if issue.severity == "error"]


def test_japan_profile_set_imports_in_the_1_2_shape(app, tmp_path):
    path = write_set(tmp_path / "set", manifest_rows=manifest("1.2", profile="jp") + [])
    with app.app_context():
        result = import_roster(path)
        assert not result.rejected, result.issues_table("en")
        assert result.japan_profile and result.applied
        assert counts(result)["users"] == (4, 0, 0, 0)
        assert counts(result)["enrollments"] == (4, 0, 0, 0)
        student = repository.collection("users").find_one({"_id": STUDENTS[0]})
        enrollment = repository.collection("enrollments").find_one({"_id": ENROLLMENT.format(1)})
        klass = repository.collection("classes").find_one({"_id": CLASS})
        session = repository.collection("academicSessions").find_one({})
    assert student["roles"] == [
        {"roleType": "primary", "role": "student", "org": {"sourcedId": SCHOOL, "type": "org"}}
    ]
    assert student["metadata"] == {"jp.kanaGivenName": "ハナコ", "jp.kanaFamilyName": "サトウ"}
    assert student["enabledUser"] == "true" and student["grades"] == ["H1"]
    assert student["primaryOrg"] == {"sourcedId": SCHOOL, "type": "org"}
    assert student["_source"] == "Test SIS" and student["_batch"] == result.batch
    assert isinstance(student["dateLastModified"], datetime) and student["status"] == "active"
    assert "password" not in student
    assert enrollment["user"] == {"sourcedId": STUDENTS[0], "type": "user"}
    assert enrollment["class"] == {"sourcedId": CLASS, "type": "class"}
    assert enrollment["primary"] == "false" and enrollment["role"] == "student"
    assert klass["terms"] == [{"sourcedId": session["_id"], "type": "academicSession"}]
    assert session["schoolYear"] == "2026" and session["type"] == "schoolYear"


def test_oneroster_1_1_set_imports_with_roles_converted_to_1_2(app, tmp_path):
    path = write_set(tmp_path / "set", version="1.1")
    with app.app_context():
        result = import_roster(path)
        assert not result.rejected, result.issues_table("en")
        teacher = repository.collection("users").find_one({"_id": TEACHER})
    assert teacher["roles"] == [
        {"roleType": "primary", "role": "teacher", "org": {"sourcedId": SCHOOL, "type": "org"}}
    ]
    assert teacher["primaryOrg"] == {"sourcedId": SCHOOL, "type": "org"}
    assert result.version == "1.1" and not result.japan_profile
    assert counts(result)["enrollments"] == (4, 0, 0, 0)


def test_plain_1_2_set_imports_from_a_zip(app, tmp_path):
    rows = rows_for("1.2")
    rows["orgs"][1]["identifier"] = "not a 学校コード"  # only a Japan Profile rule forbids this
    folder = write_set(tmp_path / "set", rows=rows)
    archive = tmp_path / "roster.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        for file in folder.iterdir():
            zipped.write(file, f"export/{file.name}")
    with app.app_context():
        result = import_roster(archive)
        assert not result.rejected, result.issues_table("en")
        assert repository.count("users") == 4
        # the same set as Japan Profile is rejected for that identifier
        rejected = import_roster(archive, profile="jp")
    assert [(i.file, i.line, i.column, i.rule) for i in only_errors(rejected)] == [
        ("orgs.csv", 3, "identifier", "jp-school-code")
    ]


def test_reimporting_the_same_bulk_set_changes_nothing(app, tmp_path):
    path = write_set(tmp_path / "set")
    with app.app_context():
        import_roster(path, profile="jp")
        before = snapshot()
        again = import_roster(path, profile="jp")
        assert snapshot() == before
    assert not again.rejected
    assert all(created == updated == deleted == 0 for created, updated, deleted, _ in counts(again).values())
    assert counts(again)["enrollments"] == (0, 0, 0, 4)


def test_bulk_file_replaces_the_set_of_its_source(app, tmp_path):
    with app.app_context():
        import_roster(write_set(tmp_path / "full"), profile="jp")
        rows = rows_for("1.2")
        rows["enrollments"] = rows["enrollments"][:2]
        rows["users"][1]["givenName"] = "花子"
        result = import_roster(write_set(tmp_path / "smaller", rows=rows), profile="jp")
        assert repository.count("enrollments") == 2
        assert repository.collection("users").find_one({"_id": STUDENTS[0]})["givenName"] == "花子"
    assert counts(result)["enrollments"] == (0, 0, 2, 2)
    assert counts(result)["users"] == (0, 1, 0, 3)


def _delta_set(tmp_path):
    """Renames a student, removes one enrollment, adds one, and carries one stale row."""
    fields = [
        "sourcedId",
        "status",
        "dateLastModified",
        "enabledUser",
        "givenName",
        "familyName",
        "primaryOrgSourcedId",
    ]
    directory = tmp_path / "delta"
    directory.mkdir()
    with (directory / "manifest.csv").open("w", newline="", encoding="utf-8") as file:
        csv.writer(file).writerows(
            [("propertyName", "value"), *manifest("1.2", "delta", ["users", "enrollments"])]
        )
    future = "2099-01-01T00:00:00.000Z"
    with (directory / "users.csv").open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(fields)
        writer.writerow([STUDENTS[0], "active", future, "true", "陽菜", "山田", SCHOOL])
        writer.writerow([STUDENTS[1], "active", "2000-01-01T00:00:00Z", "true", "古い", "山田", SCHOOL])
    with (directory / "enrollments.csv").open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(
            [
                "sourcedId",
                "status",
                "dateLastModified",
                "classSourcedId",
                "schoolSourcedId",
                "userSourcedId",
                "role",
                "primary",
            ]
        )
        writer.writerow(
            [ENROLLMENT.format(3), "tobedeleted", future, CLASS, SCHOOL, STUDENTS[2], "student", "false"]
        )
        writer.writerow(
            [ENROLLMENT.format(9), "active", future, CLASS, SCHOOL, STUDENTS[2], "student", "false"]
        )
    return directory


def test_delta_set_applies_exactly(app, tmp_path):
    with app.app_context():
        import_roster(write_set(tmp_path / "set"), profile="jp")
        before = snapshot()
        result = import_roster(_delta_set(tmp_path), profile="jp")
        assert not result.rejected, result.issues_table("en")
        after = snapshot()
    assert counts(result) == {"users": (0, 1, 0, 1), "enrollments": (1, 0, 1, 0)}
    assert [issue.rule for issue in result.issues] == ["stale-record"]
    renamed = next(u for u in after["users"] if u["_id"] == STUDENTS[0])
    assert renamed["givenName"] == "陽菜"
    assert renamed["dateLastModified"] == datetime(2099, 1, 1, tzinfo=UTC)
    assert renamed["roles"][0]["role"] == "student"  # roles kept from the stored roles
    assert {e["_id"] for e in after["enrollments"]} == {e["_id"] for e in before["enrollments"]} - {
        ENROLLMENT.format(3)
    } | {ENROLLMENT.format(9)}
    unchanged = [e for e in repository.ENTITIES if e not in ("users", "enrollments")]
    assert {e: after[e] for e in unchanged} == {e: before[e] for e in unchanged}
    assert next(u for u in after["users"] if u["_id"] == STUDENTS[1]) == next(
        u for u in before["users"] if u["_id"] == STUDENTS[1]
    )


def test_dry_run_reports_counts_and_changes_nothing(app, tmp_path):
    with app.app_context():
        result = import_roster(write_set(tmp_path / "set"), dry_run=True, profile="jp")
        assert snapshot() == {e: [] for e in repository.ENTITIES}
    assert not result.rejected and not result.applied
    assert counts(result)["users"] == (4, 0, 0, 0)


def _edit(rows, entity, index, **values):
    rows[entity][index].update(values)
    return rows


DEFECTS = {
    "bad UUID": (
        lambda rows: _edit(rows, "enrollments", 1, sourcedId="enrollment-2"),
        [("enrollments.csv", 3, "sourcedId", "jp-uuid")],
    ),
    "half-width katakana": (
        lambda rows: _edit(rows, "users", 2, **{"metadata.jp.kanaGivenName": "ﾀﾛｳ"}),
        [("users.csv", 4, "metadata.jp.kanaGivenName", "jp-halfwidth-katakana")],
    ),
    "kana not katakana": (
        lambda rows: _edit(rows, "users", 2, **{"metadata.jp.kanaGivenName": "たろう"}),
        [("users.csv", 4, "metadata.jp.kanaGivenName", "jp-kana")],
    ),
    "bad 学校コード": (
        lambda rows: _edit(rows, "orgs", 1, identifier="D12229900001"),
        [("orgs.csv", 3, "identifier", "jp-school-code")],
    ),
    "bad 教育委員会コード check digit": (
        lambda rows: _edit(rows, "orgs", 0, identifier="220002"),
        [("orgs.csv", 2, "identifier", "jp-board-code")],
    ),
    "orphan enrollment": (
        lambda rows: _edit(rows, "enrollments", 2, userSourcedId="0f1c5a4e-3b2d-4c1e-9f8a-0a1b2c3d4eff"),
        [("enrollments.csv", 4, "userSourcedId", "reference")],
    ),
    "enrollment school is not a school": (
        lambda rows: _edit(rows, "enrollments", 0, schoolSourcedId=rows["orgs"][0]["sourcedId"]),
        [("enrollments.csv", 2, "schoolSourcedId", "reference-type")],
    ),
    "duplicate sourcedId": (
        lambda rows: {**rows, "enrollments": rows["enrollments"] + [dict(rows["enrollments"][0])]},
        [("enrollments.csv", 6, "sourcedId", "duplicate-sourcedId")],
    ),
    "grade code": (
        lambda rows: _edit(rows, "classes", 0, grades="10"),
        [("classes.csv", 2, "grades", "jp-grade")],
    ),
    "school year title": (
        lambda rows: _edit(rows, "academicSessions", 0, title="2026"),
        [("academicSessions.csv", 2, "title", "jp-session-title")],
    ),
    "student enrollment primary": (
        lambda rows: _edit(rows, "enrollments", 1, primary="true"),
        [("enrollments.csv", 3, "primary", "jp-student-primary")],
    ),
    "bad date": (
        lambda rows: _edit(rows, "demographics", 0, birthDate="2010/05/01"),
        [("demographics.csv", 2, "birthDate", "date")],
    ),
    "bad enumeration": (
        lambda rows: _edit(rows, "roles", 1, role="pupil"),
        [("roles.csv", 3, "role", "enum")],
    ),
}


@pytest.mark.parametrize("defect", list(DEFECTS))
def test_each_defect_is_reported_precisely_and_changes_nothing(app, tmp_path, defect):
    edit, expected = DEFECTS[defect]
    with app.app_context():
        import_roster(write_set(tmp_path / "valid"), profile="jp")
        before = snapshot()
        rows = edit(rows_for("1.2"))
        rows["users"][1]["givenName"] = "変更"  # a valid change next to the defect must not apply either
        result = import_roster(write_set(tmp_path / "defective", rows=rows), profile="jp")
        assert snapshot() == before
    assert result.rejected and not result.applied
    assert [(i.file, i.line, i.column, i.rule) for i in only_errors(result)] == expected
    issue = only_errors(result)[0].to_json()
    assert issue["message_ja"] and issue["message_en"] and issue["message_ja"] != issue["message_en"]


def _drop_column(folder, file, column):
    path = folder / file
    with path.open(encoding="utf-8", newline="") as handle:
        lines = list(csv.reader(handle))
    drop = lines[0].index(column)
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([[v for i, v in enumerate(line) if i != drop] for line in lines])


def _manifest_row(index, row):
    rows = manifest("1.2")
    rows[index] = row
    return rows


# File-set defects: (manifest rows or None, change to the written folder, expected (file, line, column, rule)).
FILESET_DEFECTS = {
    "missing required column": (
        None,
        lambda folder: _drop_column(folder, "enrollments.csv", "classSourcedId"),
        [("enrollments.csv", 1, "classSourcedId", "missing-column")],
    ),
    "wrong manifest version": (
        _manifest_row(0, ("manifest.version", "2.0")),
        None,
        [("manifest.csv", 2, "manifest.version", "manifest-version")],
    ),
    "unsupported oneroster version": (
        _manifest_row(1, ("oneroster.version", "1.0")),
        None,
        [("manifest.csv", 3, "oneroster.version", "oneroster-version")],
    ),
    "unknown file": (
        None,
        lambda folder: shutil.copy(folder / "users.csv", folder / "teachers.csv"),
        [("teachers.csv", None, None, "unknown-file")],
    ),
    "file missing": (
        None,
        lambda folder: (folder / "courses.csv").unlink(),
        [("courses.csv", None, None, "file-missing")],
    ),
}


@pytest.mark.parametrize("defect", list(FILESET_DEFECTS))
def test_each_file_set_defect_is_reported_and_changes_nothing(app, tmp_path, defect):
    manifest_rows, change, expected = FILESET_DEFECTS[defect]
    folder = write_set(tmp_path / "defective", manifest_rows=manifest_rows)
    if change:
        change(folder)
    with app.app_context():
        import_roster(write_set(tmp_path / "valid"), profile="jp")
        before = snapshot()
        result = import_roster(folder, profile="jp")
        assert snapshot() == before
    assert result.rejected and not result.applied
    assert [(i.file, i.line, i.column, i.rule) for i in only_errors(result)] == expected


def test_a_failure_while_writing_leaves_the_previous_roster_served(app, tmp_path, monkeypatch):
    with app.app_context():
        import_roster(write_set(tmp_path / "valid"), profile="jp")
        before = snapshot()
        rows = rows_for("1.2")
        for user in rows["users"]:
            user["givenName"] += "2"
        monkeypatch.setattr(repository, "WRITE_CHUNK", 1)
        original = repository.Collection.bulk_write
        calls = []

        def failing(self, *args, **kwargs):
            calls.append(1)
            if len(calls) == 3:
                raise RuntimeError("disk full")
            return original(self, *args, **kwargs)

        monkeypatch.setattr(repository.Collection, "bulk_write", failing)
        with pytest.raises(RuntimeError):
            import_roster(write_set(tmp_path / "changed", rows=rows), profile="jp")
        monkeypatch.undo()
        assert snapshot() == before
        assert repository.last_imports(5)[0]["counts"]["users"]["created"] == 4
