"""Delta CSV imports: a row not newer than the stored record is skipped whether it upserts or deletes
(reported as a stale record, counted unchanged), and a newer tobedeleted row deletes."""

from __future__ import annotations

import csv

from adapters.oneroster.importer import import_roster
from gateway.oneroster import repository
from tests.integration.roster_sets import CLASS, ENROLLMENT, ROLE, SCHOOL, STUDENTS, manifest, write_set

OLD = "2000-01-01T00:00:00.000Z"  # before the bulk import that stored the records
NEW = "2099-01-01T00:00:00.000Z"


def write_delta(directory, rows: dict[str, list[list[str]]]):
    headers = {
        "enrollments": ["sourcedId", "status", "dateLastModified", "classSourcedId", "schoolSourcedId", "userSourcedId", "role"],
        "roles": ["sourcedId", "status", "dateLastModified", "userSourcedId", "roleType", "role", "orgSourcedId"],
    }  # fmt: skip
    directory.mkdir()
    with (directory / "manifest.csv").open("w", newline="", encoding="utf-8") as file:
        csv.writer(file).writerows([("propertyName", "value"), *manifest("1.2", "delta", list(rows))])
    for entity, lines in rows.items():
        with (directory / f"{entity}.csv").open("w", newline="", encoding="utf-8") as file:
            csv.writer(file).writerows([headers[entity], *lines])
    return directory


def test_a_tobedeleted_row_older_than_the_stored_record_is_skipped_like_a_stale_upsert(app, tmp_path):
    delta = write_delta(
        tmp_path / "delta",
        {
            "roles": [[ROLE.format(1), "tobedeleted", OLD, STUDENTS[0], "primary", "student", SCHOOL]],
            "enrollments": [
                [ENROLLMENT.format(1), "active", OLD, CLASS, SCHOOL, STUDENTS[0], "teacher"],
                [ENROLLMENT.format(2), "tobedeleted", OLD, CLASS, SCHOOL, STUDENTS[1], "student"],
                [ENROLLMENT.format(3), "tobedeleted", NEW, CLASS, SCHOOL, STUDENTS[2], "student"],
            ],
        },
    )
    with app.app_context():
        import_roster(write_set(tmp_path / "set"), profile="jp")
        result = import_roster(delta, profile="jp")
        assert not result.rejected, result.issues_table("en")
        enrollments = {d["_id"]: d for d in repository.collection("enrollments").find({})}
        student = repository.collection("users").find_one({"_id": STUDENTS[0]})
        assert repository.collection("roles").find_one({"_id": ROLE.format(1)}) is not None
    assert [(i.rule, i.file, i.line, i.column, i.severity) for i in result.issues] == [
        ("stale-record", "roles.csv", 2, "dateLastModified", "warning"),
        ("stale-record", "enrollments.csv", 2, "dateLastModified", "warning"),
        ("stale-record", "enrollments.csv", 3, "dateLastModified", "warning"),
    ]
    assert result.counts["roles"].to_json() == {"created": 0, "updated": 0, "deleted": 0, "unchanged": 1}
    assert result.counts["enrollments"].to_json() == {
        "created": 0,
        "updated": 0,
        "deleted": 1,
        "unchanged": 2,
    }
    assert set(enrollments) == {ENROLLMENT.format(n) for n in (0, 1, 2)}
    assert enrollments[ENROLLMENT.format(1)]["role"] == "student"
    assert [role["role"] for role in student["roles"]] == ["student"]
