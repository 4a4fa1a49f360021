"""Small OneRoster CSV file sets for the importer tests: a valid set per version, edited per defect."""

from __future__ import annotations

import csv
from pathlib import Path

from adapters.oneroster.columns import COLUMNS

# Fixed UUIDv4 sourcedIds, so a test can name the record a defect is in.
BOARD = "6f1c5a4e-3b2d-4c1e-9f8a-0a1b2c3d4e01"
SCHOOL = "6f1c5a4e-3b2d-4c1e-9f8a-0a1b2c3d4e02"
YEAR = "6f1c5a4e-3b2d-4c1e-9f8a-0a1b2c3d4e03"
COURSE = "6f1c5a4e-3b2d-4c1e-9f8a-0a1b2c3d4e04"
CLASS = "6f1c5a4e-3b2d-4c1e-9f8a-0a1b2c3d4e05"
TEACHER = "6f1c5a4e-3b2d-4c1e-9f8a-0a1b2c3d4e06"
STUDENTS = [f"6f1c5a4e-3b2d-4c1e-9f8a-0a1b2c3d4f{n:02d}" for n in range(1, 4)]
ROLE = "7a1c5a4e-3b2d-4c1e-9f8a-0a1b2c3d4e{:02d}"
ENROLLMENT = "8b1c5a4e-3b2d-4c1e-9f8a-0a1b2c3d4e{:02d}"
KANA = [("サトウ", "ハナコ"), ("スズキ", "タロウ"), ("タナカ", "ユイ")]


def manifest(version: str = "1.2", mode: str = "bulk", files=None, **extra) -> list[tuple[str, str]]:
    files = files or [
        "orgs",
        "academicSessions",
        "courses",
        "classes",
        "users",
        "enrollments",
        "demographics",
    ]
    if version == "1.2" and "roles" not in files and files is not None and mode == "bulk":
        files = [*files, "roles"]
    rows = [("manifest.version", "1.0"), ("oneroster.version", version)]
    rows += [(f"file.{name}", mode) for name in files]
    rows += [("source.systemName", "Test SIS"), ("source.systemCode", "test-sis")]
    rows += list(extra.items())
    return rows


def rows_for(version: str) -> dict[str, list[dict]]:
    """A board, a school, a school year, one course and class, a teacher and three students."""
    orgs = [
        {"sourcedId": BOARD, "name": "静岡県教育委員会", "type": "district", "identifier": "220001"},
        {
            "sourcedId": SCHOOL,
            "name": "静岡県立若葉台高等学校",
            "type": "school",
            "identifier": "D122299000010",
            "parentSourcedId": BOARD,
        },
    ]
    sessions = [
        {
            "sourcedId": YEAR,
            "title": "2026年度",
            "type": "schoolYear",
            "startDate": "2026-04-01",
            "endDate": "2027-03-31",
            "schoolYear": "2026",
        }
    ]
    courses = [
        {
            "sourcedId": COURSE,
            "title": "2026年度 数学Ⅰ",
            "schoolYearSourcedId": YEAR,
            "grades": "H1",
            "orgSourcedId": SCHOOL,
        }
    ]
    classes = [
        {
            "sourcedId": CLASS,
            "title": "1年1組 数学Ⅰ",
            "grades": "H1",
            "courseSourcedId": COURSE,
            "classType": "scheduled",
            "schoolSourcedId": SCHOOL,
            "termSourcedIds": YEAR,
        }
    ]
    people = [(TEACHER, "教員", "先生", "teacher", ("ヤマダ", "イチロウ"))] + [
        (sid, f"生徒{n}", "山田", "student", KANA[n]) for n, sid in enumerate(STUDENTS)
    ]
    users, roles, enrollments, demographics = [], [], [], []
    for n, (sid, given, family, role, (kana_family, kana_given)) in enumerate(people):
        user = {
            "sourcedId": sid,
            "enabledUser": "true",
            "username": f"user{n}",
            "givenName": given,
            "familyName": family,
            "grades": "H1" if role == "student" else "",
            "email": f"user{n}@school.example" if role == "teacher" else "",
        }
        if version == "1.1":
            user.update(orgSourcedIds=SCHOOL, role=role)
        else:
            user.update(
                {
                    "primaryOrgSourcedId": SCHOOL,
                    "metadata.jp.kanaGivenName": kana_given,
                    "metadata.jp.kanaFamilyName": kana_family,
                }
            )
            roles.append(
                {
                    "sourcedId": ROLE.format(n),
                    "userSourcedId": sid,
                    "roleType": "primary",
                    "role": role,
                    "orgSourcedId": SCHOOL,
                }
            )
        users.append(user)
        enrollments.append(
            {
                "sourcedId": ENROLLMENT.format(n),
                "classSourcedId": CLASS,
                "schoolSourcedId": SCHOOL,
                "userSourcedId": sid,
                "role": role,
                "primary": "true" if role == "teacher" else "false",
            }
        )
        if role == "student":
            demographics.append({"sourcedId": sid, "birthDate": "2010-05-01", "sex": "female"})
    sets = {
        "orgs": orgs,
        "academicSessions": sessions,
        "courses": courses,
        "classes": classes,
        "users": users,
        "enrollments": enrollments,
        "demographics": demographics,
    }
    if version == "1.2":
        sets["roles"] = roles
    return sets


def write_set(
    directory: Path,
    version: str = "1.2",
    rows: dict[str, list[dict]] | None = None,
    mode: str = "bulk",
    manifest_rows: list[tuple[str, str]] | None = None,
    extra_columns: dict[str, list[str]] | None = None,
) -> Path:
    """Writes manifest.csv and one file per entity of `rows` (every column of the version's header,
    plus the metadata.* columns the rows use)."""
    directory.mkdir(parents=True, exist_ok=True)
    rows = rows_for(version) if rows is None else rows
    with (directory / "manifest.csv").open("w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file, lineterminator="\r\n")
        writer.writerow(["propertyName", "value"])
        writer.writerows(manifest_rows or manifest(version, mode, list(rows)))
    for entity, records in rows.items():
        header = list(COLUMNS[version][entity])
        for record in records:
            header += [k for k in record if k not in header]
        header += (extra_columns or {}).get(entity, [])
        with (directory / f"{entity}.csv").open("w", encoding="utf-8", newline="") as file:
            writer = csv.DictWriter(file, fieldnames=header, lineterminator="\r\n", restval="")
            writer.writeheader()
            writer.writerows(records)
    return directory
