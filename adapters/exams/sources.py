"""Reading exam CSVs: rows with their line numbers, numbers and dates checked, units resolved to
学習指導要領コード (directly or through a crosswalk), each defect an issue with file/line/column."""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta, timezone
from pathlib import Path

from adapters.exams.report import ExamIssue, issue
from adapters.exams.results import SectionMark
from gateway.errors import BadRequest
from gateway.units.codes import parse_code

JST = timezone(timedelta(hours=9))
DIRECT_SOURCES = ("学習指導要領コード", "MEXT")  # learning-objective sources that are codes themselves


@dataclass(frozen=True)
class StudentRef:
    """Where a mark names its student, and how to find them in the roster."""

    value: str
    match: str  # sourcedId | identifier | username
    school: str | None  # 学校コード restricting an identifier match
    file: str
    line: int
    column: str


@dataclass
class ReadMarks:
    marks: list[tuple[SectionMark, StudentRef]] = field(default_factory=list)
    deviations: dict[tuple[str, str], tuple[float, StudentRef]] = field(default_factory=dict)
    students: list[StudentRef] = field(default_factory=list)  # every row's student, marks or not
    issues: list[ExamIssue] = field(default_factory=list)
    rows: int = 0


def read_rows(path: Path, required: list[str], issues: list, encoding: str = "utf-8-sig"):
    """(line, row dict) for each data row of `path`; [] with issues when the file cannot be read
    or lacks a required column."""
    name = path.name
    if not path.is_file():
        issues.append(issue("file-missing", name))
        return []
    try:
        text = path.read_text(encoding=encoding)
    except UnicodeDecodeError:
        issues.append(issue("encoding", name, encoding=encoding))
        return []
    reader = csv.reader(text.splitlines(keepends=True), strict=True)
    try:
        header = next(reader, None)
        if header is None:
            issues.append(issue("empty-file", name))
            return []
        header = [h.strip() for h in header]
        missing = [c for c in required if c not in header]
        for column in missing:
            issues.append(issue("missing-column", name, 1, column))
        if missing:
            return []
        rows = []
        for row in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            if len(row) != len(header):
                issues.append(issue("field-count", name, line, count=len(row), expected=len(header)))
                continue
            rows.append((line, {h: cell.strip() for h, cell in zip(header, row, strict=True)}))
        return rows
    except csv.Error as error:
        issues.append(issue("csv-syntax", name, reader.line_num, detail=str(error)))
        return []


def number(row: dict, column: str, where: tuple[str, int], issues: list) -> float | None:
    value = row.get(column, "")
    if value == "":
        issues.append(issue("required-value", *where, column))
        return None
    try:
        parsed = float(value)
    except ValueError:
        parsed = float("nan")
    if parsed != parsed or parsed in (float("inf"), float("-inf")):
        issues.append(issue("number", *where, column, value=value))
        return None
    return parsed


def check_score(raw, points, where, raw_column, max_column, issues) -> bool:
    if raw is None or points is None:
        return False
    if points <= 0:
        issues.append(issue("max-positive", *where, max_column, value=f"{points:g}"))
        return False
    if not 0 <= raw <= points:
        issues.append(issue("score-range", *where, raw_column, value=f"{raw:g}", max=f"{points:g}"))
        return False
    return True


def timestamp(value: str, column: str, where, issues, at: time = time(9, 0)) -> str | None:
    """ISO 8601 of a date (at `at`, JST) or a date-time (JST when no offset is given)."""
    try:
        if len(value) == 10:
            moment = datetime.combine(datetime.strptime(value, "%Y-%m-%d").date(), at, JST)
        else:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=JST)
    except ValueError:
        issues.append(issue("datetime", *where, column, value=value))
        return None
    return moment.isoformat()


class UnitResolver:
    """Source unit ids → 学習指導要領コード, directly or through a named crosswalk."""

    def __init__(self, crosswalks: dict, known_codes: frozenset[str]):
        self.crosswalks, self.known_codes = crosswalks, known_codes

    def codes(self, value: str, crosswalk: str | None, where, column: str, issues: list) -> tuple[str, ...]:
        if crosswalk is None or crosswalk in DIRECT_SOURCES:
            try:
                code = parse_code(value, field=column).code
            except BadRequest as error:
                issues.append(issue("malformed-code", *where, column, value=value, detail=error.message))
                return ()
            if code not in self.known_codes:
                issues.append(issue("unknown-code", *where, column, value=value))
                return ()
            return (code,)
        walk = self.crosswalks.get(crosswalk)
        if walk is None:
            issues.append(issue("unknown-crosswalk", *where, column, crosswalk=crosswalk))
            return ()
        codes = walk.codes_for(value)
        if not codes:
            issues.append(issue("unknown-unit", *where, column, value=value, crosswalk=crosswalk))
        return codes

    def label(self, value: str, crosswalk: str | None) -> str | None:
        walk = self.crosswalks.get(crosswalk) if crosswalk else None
        return walk.labels.get(value) if walk else None
