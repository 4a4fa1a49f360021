"""Exam CSVs described by a declarative column mapping (`mappings/exam-formats/<format>.yaml`):
one row per student and section (`granularity: section`, e.g. a 模試's per-unit results) or per
student and question (`granularity: question`, e.g. a 定期考査 marked per question with unit tags,
summed per unit tag). A new exam format is a new YAML file, not code."""

from __future__ import annotations

from datetime import time
from pathlib import Path
from urllib.parse import quote

import jsonschema
import yaml

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
from gateway.resources import data_path

_VALUE = {
    "type": "object",
    "properties": {"column": {"type": "string", "minLength": 1}, "value": {"type": "string", "minLength": 1}},
    "oneOf": [{"required": ["column"]}, {"required": ["value"]}],
    "additionalProperties": False,
}
MAPPING_SCHEMA = {
    "type": "object",
    "required": ["format", "description", "granularity", "exam", "student", "unit", "score"],
    "additionalProperties": False,
    "properties": {
        "format": {"type": "string", "pattern": "^[a-z0-9][a-z0-9-]*$"},
        "description": {"type": "string"},
        "encoding": {"type": "string"},
        "granularity": {"enum": ["section", "question"]},
        "exam": {
            "type": "object",
            "required": ["id", "title", "kind", "date", "platform"],
            "additionalProperties": False,
            "properties": {
                "id": _VALUE,
                "title": _VALUE,
                "kind": {"enum": ["mock", "periodic"]},
                "date": _VALUE,
                "ends_at": {"type": "string", "pattern": "^[0-2][0-9]:[0-5][0-9]$"},
                "platform": {"type": "string", "minLength": 1},
            },
        },
        "student": {
            "type": "object",
            "required": ["column", "match"],
            "additionalProperties": False,
            "properties": {
                "column": {"type": "string"},
                "match": {"enum": ["sourcedId", "identifier", "username"]},
                "school": {"type": "string", "pattern": "^[A-Z][0-9]{12}$"},
            },
        },
        "unit": {
            "type": "object",
            "required": ["column", "section_id"],
            "additionalProperties": False,
            "properties": {
                "column": {"type": "string"},
                "crosswalk": {"type": "string"},
                "crosswalk_key": {"type": "string"},
                "section_id": {"type": "string"},
                "title": {"type": "string"},
            },
        },
        "question": {
            "type": "object",
            "required": ["column"],
            "additionalProperties": False,
            "properties": {"column": {"type": "string"}},
        },
        "score": {
            "type": "object",
            "required": ["raw", "max"],
            "additionalProperties": False,
            "properties": {"raw": {"type": "string"}, "max": {"type": "string"}},
        },
        "deviation": {"type": "string"},
    },
}


def format_paths() -> dict[str, Path]:
    return {path.stem: path for path in sorted(data_path("mappings", "exam-formats").glob("*.yaml"))}


def load_mapping(path: Path) -> dict:
    """The mapping of `path`; ValueError naming what is wrong."""
    try:
        mapping = yaml.safe_load(path.read_text(encoding="utf-8"))
        jsonschema.validate(mapping, MAPPING_SCHEMA)
    except (yaml.YAMLError, jsonschema.ValidationError) as error:
        detail = getattr(error, "message", str(error))
        where = "/".join(str(p) for p in getattr(error, "absolute_path", ()))
        raise ValueError(f"{where}: {detail}" if where else detail) from error
    if mapping["granularity"] == "question" and "question" not in mapping:
        raise ValueError("granularity question needs a question column")
    if mapping["student"]["match"] == "identifier" and "school" not in mapping["student"]:
        raise ValueError("student.match identifier needs student.school (identifiers are unique per school)")
    return mapping


def _columns(mapping: dict) -> list[str]:
    columns = [mapping["student"]["column"], mapping["unit"]["column"], *mapping["score"].values()]
    columns += [
        mapping["exam"][k]["column"] for k in ("id", "title", "date") if "column" in mapping["exam"][k]
    ]
    if "question" in mapping:
        columns.append(mapping["question"]["column"])
    if "deviation" in mapping:
        columns.append(mapping["deviation"])
    return list(dict.fromkeys(columns))


def _value(spec: dict, row: dict) -> str:
    return spec["value"] if "value" in spec else row.get(spec["column"], "")


def read_mapped(path: Path, mapping: dict, units: UnitResolver) -> ReadMarks:
    """The marks of one CSV file read with `mapping`."""
    read = ReadMarks()
    name = path.name
    rows = read_rows(path, _columns(mapping), read.issues, mapping.get("encoding", "utf-8-sig"))
    read.rows = len(rows)
    exam_spec, unit_spec, score = mapping["exam"], mapping["unit"], mapping["score"]
    hours, minutes = (int(part) for part in exam_spec.get("ends_at", "09:00").split(":"))
    crosswalk = unit_spec.get("crosswalk")
    exams: dict[str, tuple[Exam, int]] = {}
    seen: dict[tuple, int] = {}
    summed: dict[tuple, SectionMark] = {}
    for line, row in rows:
        where = (name, line)
        before = len(read.issues)
        values = {}
        for key in ("id", "title", "date"):
            values[key] = _value(exam_spec[key], row)
            if not values[key]:
                read.issues.append(issue("required-value", name, line, exam_spec[key].get("column")))
        student_value = row[mapping["student"]["column"]]
        if not student_value:
            read.issues.append(issue("required-value", name, line, mapping["student"]["column"]))
        else:
            read.students.append(
                StudentRef(
                    student_value,
                    mapping["student"]["match"],
                    mapping["student"].get("school"),
                    name,
                    line,
                    mapping["student"]["column"],
                )
            )
        unit_value = row[unit_spec["column"]]
        if not unit_value:
            read.issues.append(issue("required-value", name, line, unit_spec["column"]))
        if len(read.issues) > before:
            continue
        taken = timestamp(
            values["date"], exam_spec["date"].get("column", "date"), where, read.issues, time(hours, minutes)
        )
        exam = Exam(values["id"], values["title"], exam_spec["kind"], taken or "", exam_spec["platform"])
        if exam.activity_id in exams and taken and exams[exam.activity_id][0] != exam:
            first = exams[exam.activity_id][1]
            read.issues.append(
                issue(
                    "inconsistent",
                    name,
                    line,
                    exam_spec["title"].get("column", "exam"),
                    first=first,
                    value=f"{exam.title} {exam.taken}",
                    other=f"{exams[exam.activity_id][0].title} {exams[exam.activity_id][0].taken}",
                )
            )
        exams.setdefault(exam.activity_id, (exam, line))
        key_value = unit_spec.get("crosswalk_key", "{value}").format(exam=exam.activity_id, value=unit_value)
        codes = units.codes(key_value, crosswalk, where, unit_spec["column"], read.issues)
        raw, points = (
            number(row, score["raw"], where, read.issues),
            number(row, score["max"], where, read.issues),
        )
        valid_score = check_score(raw, points, where, score["raw"], score["max"], read.issues)
        question = row[mapping["question"]["column"]] if "question" in mapping else ""
        key = (exam.activity_id, student_value, unit_value, question)
        if key in seen:
            read.issues.append(
                issue("duplicate-row", name, line, first=seen[key], key=" / ".join(k for k in key if k))
            )
            continue
        seen[key] = line
        if len(read.issues) > before or not taken or not codes or not valid_score:
            continue
        student = StudentRef(
            student_value,
            mapping["student"]["match"],
            mapping["student"].get("school"),
            name,
            line,
            mapping["student"]["column"],
        )
        if "deviation" in mapping and row.get(mapping["deviation"], ""):
            deviation = number(row, mapping["deviation"], where, read.issues)
            earlier = read.deviations.get((exam.activity_id, student_value))
            if earlier and deviation is not None and earlier[0] != deviation:
                read.issues.append(
                    issue(
                        "inconsistent",
                        name,
                        line,
                        mapping["deviation"],
                        first=earlier[1].line,
                        value=deviation,
                        other=earlier[0],
                    )
                )
            elif deviation is not None:
                read.deviations[(exam.activity_id, student_value)] = (deviation, student)
        label = units.label(key_value, crosswalk) or unit_value
        section_id = unit_spec["section_id"].format(exam=exam.activity_id, value=quote(unit_value, safe=""))
        title = unit_spec.get("title", "{exam_title} {label}").format(
            exam_title=exam.title, label=label, value=unit_value
        )
        section_key = (exam.activity_id, student_value, unit_value)
        if section_key in summed:  # questions of the same unit tag add up to one section mark
            summed[section_key].raw += raw
            summed[section_key].max += points
            continue
        mark = SectionMark(student_value, exam, section_id, title, codes, raw, points, f"unit:{unit_value}")
        summed[section_key] = mark
        read.marks.append((mark, student))
    return read
