"""OneRoster 1.2 Gradebook CSV (lineItems, results, and when present categories, scoreScales,
lineItemLearningObjectiveIds, resultLearningObjectiveIds) → section marks.

A lineItem is an exam section (大問) and its category the exam (定期考査); a lineItem without a
category is an exam of one section. The units are the learning objectives whose `source` is
学習指導要領コード (or MEXT), or the name of a crosswalk in mappings/crosswalks/ for other ids.
Results are matched to roster students by studentSourcedId; only graded results are imported
(scoreStatus "fully graded" or "partially graded"), records with status tobedeleted are ignored."""

from __future__ import annotations

import re
from pathlib import Path

from adapters.exams.report import issue
from adapters.exams.results import Exam, SectionMark
from adapters.exams.sources import (
    ReadMarks,
    StudentRef,
    UnitResolver,
    check_score,
    number,
    read_rows,
    timestamp,
)
from gateway.oneroster import identity, store

FILES = {
    "lineItems.csv": ["sourcedId", "title", "classSourcedId", "resultValueMax"],
    "results.csv": ["sourcedId", "lineItemSourcedId", "studentSourcedId", "scoreStatus", "score"],
    "categories.csv": ["sourcedId", "title"],
    "scoreScales.csv": ["sourcedId", "title", "scoreScaleValue"],
    "lineItemLearningObjectiveIds.csv": ["lineItemSourcedId", "source", "learningObjectiveId"],
    "resultLearningObjectiveIds.csv": ["resultSourcedId", "source", "learningObjectiveId"],
}
OPTIONAL = {"categories.csv", "scoreScales.csv", "resultLearningObjectiveIds.csv"}
GRADED = ("fully graded", "partially graded")
SCORE_STATUSES = ("exempt", "fully graded", "not submitted", "partially graded", "submitted")
PLATFORM = "OneRoster Gradebook"


def _scale_values(text: str) -> dict[str, float] | None:
    """`scoreScaleValue` as label → number: pairs "A:5" separated by commas or semicolons
    (braces allowed, as the 1.2 CSV binding writes its list of {itemValueLHS, itemValueRHS})."""
    values = {}
    for part in re.split(r"[;,]\s*(?=[{]?[^:{};,]+:)", text.strip()):
        part = part.strip().strip("{}").strip()
        if not part:
            continue
        label, _, amount = part.partition(":")
        try:
            values[label.strip()] = float(amount)
        except ValueError:
            return None
    return values or None


def read_gradebook(directory: Path, units: UnitResolver) -> ReadMarks:
    read = ReadMarks()
    tables = {}
    for name, required in FILES.items():
        if name in OPTIONAL and not (directory / name).is_file():
            tables[name] = []
            continue
        tables[name] = [
            (line, row)
            for line, row in read_rows(directory / name, required, read.issues)
            if row.get("status", "") != "tobedeleted"
        ]
    if read.issues:
        return read
    read.rows = sum(len(rows) for rows in tables.values())
    categories = {row["sourcedId"]: row for _, row in tables["categories.csv"]}
    scales = {}
    for line, row in tables["scoreScales.csv"]:
        values = _scale_values(row["scoreScaleValue"])
        if values is None:
            read.issues.append(
                issue("number", "scoreScales.csv", line, "scoreScaleValue", value=row["scoreScaleValue"])
            )
        scales[row["sourcedId"]] = values or {}
    objectives: dict[str, list[str]] = {}
    objective_problems: set[str] = set()  # lineItems with a bad objective: already reported
    unitless: set[str] = set()
    for line, row in tables["lineItemLearningObjectiveIds.csv"]:
        where = ("lineItemLearningObjectiveIds.csv", line)
        objectives.setdefault(row["lineItemSourcedId"], [])
        before = len(read.issues)
        codes = units.codes(
            row["learningObjectiveId"], row["source"] or None, where, "learningObjectiveId", read.issues
        )
        objectives[row["lineItemSourcedId"]] += [
            c for c in codes if c not in objectives[row["lineItemSourcedId"]]
        ]
        if len(read.issues) > before:
            objective_problems.add(row["lineItemSourcedId"])
    result_objectives: dict[str, list[str]] = {}
    for line, row in tables["resultLearningObjectiveIds.csv"]:
        where = ("resultLearningObjectiveIds.csv", line)
        codes = units.codes(
            row["learningObjectiveId"], row["source"] or None, where, "learningObjectiveId", read.issues
        )
        result_objectives.setdefault(row["resultSourcedId"], []).extend(codes)
    line_items: dict[str, tuple[dict, int, Exam | None, float | None]] = {}
    for line, row in tables["lineItems.csv"]:
        where = ("lineItems.csv", line)
        school = row.get("schoolSourcedId") or _school_of_class(row["classSourcedId"])
        if school is None:
            read.issues.append(
                issue("reference", *where, "classSourcedId", value=row["classSourcedId"], target="classes")
            )
            continue
        base = f"{identity.home_page(school).rstrip('/')}/oneroster"
        category = row.get("categorySourcedId", "")
        if category and category not in categories:
            read.issues.append(
                issue("reference", *where, "categorySourcedId", value=category, target="categories.csv")
            )
            continue
        scale = row.get("scoreScaleSourcedId", "")
        if scale and scale not in scales:
            read.issues.append(
                issue("reference", *where, "scoreScaleSourcedId", value=scale, target="scoreScales.csv")
            )
            continue
        points = (
            number(row, "resultValueMax", where, read.issues)
            if row["resultValueMax"] or not scale
            else max(scales[scale].values(), default=None)
        )
        if points is not None and points <= 0:
            read.issues.append(issue("max-positive", *where, "resultValueMax", value=points))
            points = None
        date_value = row.get("dueDate") or row.get("assignDate", "")
        taken = timestamp(date_value, "dueDate", where, read.issues) if date_value else None
        if category:
            exam = Exam(
                f"{base}/categories/{category}",
                categories[category]["title"],
                "periodic",
                taken or "",
                PLATFORM,
            )
        else:
            exam = Exam(
                f"{base}/lineItems/{row['sourcedId']}", row["title"], "periodic", taken or "", PLATFORM
            )
        line_items[row["sourcedId"]] = (row, line, exam, points)
    seen: dict[tuple[str, str], int] = {}
    for line, row in tables["results.csv"]:
        where = ("results.csv", line)
        status = row["scoreStatus"]
        if status not in SCORE_STATUSES:
            read.issues.append(
                issue("enum", *where, "scoreStatus", value=status, allowed=", ".join(SCORE_STATUSES))
            )
            continue
        if status not in GRADED:
            continue
        item = line_items.get(row["lineItemSourcedId"])
        if item is None:
            if not any(i.file == "lineItems.csv" for i in read.issues):
                read.issues.append(
                    issue(
                        "reference",
                        *where,
                        "lineItemSourcedId",
                        value=row["lineItemSourcedId"],
                        target="lineItems.csv",
                    )
                )
            continue
        item_row, item_line, exam, points = item
        key = (row["lineItemSourcedId"], row["studentSourcedId"])
        if key in seen:
            read.issues.append(issue("duplicate-row", *where, first=seen[key], key=" / ".join(key)))
            continue
        seen[key] = line
        if not row["studentSourcedId"]:
            read.issues.append(issue("required-value", *where, "studentSourcedId"))
            continue
        read.students.append(
            StudentRef(row["studentSourcedId"], "sourcedId", None, "results.csv", line, "studentSourcedId")
        )
        scale = item_row.get("scoreScaleSourcedId", "")
        if row["score"] == "" and row.get("textScore") and scale:
            raw = scales[scale].get(row["textScore"])
            if raw is None:
                read.issues.append(
                    issue("score-scale-value", *where, "textScore", value=row["textScore"], scale=scale)
                )
                continue
        else:
            raw = number(row, "score", where, read.issues)
        if not check_score(raw, points, where, "score", "resultValueMax", read.issues):
            continue
        codes = tuple(
            dict.fromkeys(
                [*objectives.get(item_row["sourcedId"], []), *result_objectives.get(row["sourcedId"], [])]
            )
        )
        if not codes:
            # Once per lineItem, and not when its learning objectives were already reported.
            if item_row["sourcedId"] not in unitless | objective_problems:
                read.issues.append(
                    issue("no-units", "lineItems.csv", item_line, "sourcedId", value=item_row["sourcedId"])
                )
            unitless.add(item_row["sourcedId"])
            continue
        taken = exam.taken
        if not taken and row.get("scoreDate"):
            taken = timestamp(row["scoreDate"], "scoreDate", where, read.issues) or ""
        if not taken:
            read.issues.append(issue("required-value", *where, "scoreDate"))
            continue
        exam = Exam(exam.activity_id, exam.title, exam.kind, taken, exam.platform)
        section_id = exam.activity_id + (
            "/section"
            if exam.activity_id.endswith(item_row["sourcedId"])
            else f"/lineItems/{item_row['sourcedId']}"
        )
        mark = SectionMark(
            row["studentSourcedId"],
            exam,
            section_id,
            f"{exam.title} {item_row['title']}" if exam.title != item_row["title"] else exam.title,
            codes,
            raw,
            points,
            f"lineItem:{item_row['sourcedId']}",
        )
        read.marks.append(
            (
                mark,
                StudentRef(
                    row["studentSourcedId"], "sourcedId", None, "results.csv", line, "studentSourcedId"
                ),
            )
        )
    return read


def _school_of_class(class_id: str) -> str | None:
    record = store.find_one("classes", class_id)
    school = (record or {}).get("school")
    return school.get("sourcedId") if isinstance(school, dict) else None
