"""Reading the MEXT 学習指導要領コード tables (`mappings/course-of-study/*.csv`) into unit records."""

from __future__ import annotations

import csv
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from gateway.resources import data_path
from gateway.units.codes import UnitCode, parse_code

# The tables shipped, by file stem: the school type each must hold (position 2 of every code).
TABLES = {"82V11": "2", "83V11": "3", "84V10": "4"}
HEADER = ["教科等", "No", "学習指導要領テキスト", "学習指導要領コード"]
_SPACE = re.compile(r"\s+")


class TableError(ValueError):
    """A code table that cannot be loaded as it is (wrong header, bad or duplicate code)."""


@dataclass(frozen=True)
class UnitRecord:
    """One row of a code table, with its place in the hierarchy worked out."""

    code: UnitCode
    table: str
    number: int
    subject_name: str
    text: str
    parent: str | None

    def document(self) -> dict:
        code = self.code
        return {
            "_id": code.code,
            "table": self.table,
            "no": self.number,
            "subject_name": self.subject_name,
            "text": self.text,
            "heading": self.text.split("\n", 1)[0].strip(),
            "search_text": search_form(self.text),
            "parent": self.parent,
            "school_type": code.school_type,
            "subject": code.subject,
            "course": code.course,
            "grade_code": code.grade_code,
            "grades": list(code.grades),
        }


def search_form(text: str) -> str:
    """Text as searched: NFKC (full-width digits and letters → ASCII, half-width kana → full)
    without white space, since the tables space out headings (`算　　数`)."""
    return _SPACE.sub("", unicodedata.normalize("NFKC", text))


def table_path(name: str) -> Path:
    return data_path("mappings", "course-of-study", f"{name}.csv")


def read_table(name: str, path: Path | None = None) -> list[UnitRecord]:
    """Every row of table `name` as a UnitRecord; TableError naming the row on any defect."""
    path = path or table_path(name)
    school_type = TABLES[name]
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if header != HEADER:
            raise TableError(f"{path.name}: header is {header!r}, expected {HEADER!r}")
        rows = []
        seen: set[str] = set()
        for line, row in enumerate(reader, start=2):
            if len(row) != 4:
                raise TableError(f"{path.name} record {line}: {len(row)} fields, expected 4")
            subject_name, number, text, code_text = row
            try:
                code = parse_code(code_text)
            except Exception as error:  # BadRequest: keep its message, name the row
                raise TableError(f"{path.name} record {line}: {getattr(error, 'message', error)}") from None
            if code_text[1] != school_type:
                raise TableError(
                    f"{path.name} record {line}: code {code_text} is not of school type {school_type}"
                )
            if code_text in seen:
                raise TableError(f"{path.name} record {line}: duplicate code {code_text}")
            seen.add(code_text)
            rows.append((code, int(number), subject_name.strip(), text.strip()))
    return [
        UnitRecord(
            code=code,
            table=name,
            number=number,
            subject_name=subject_name,
            text=text,
            parent=next((a for a in code.ancestors() if a in seen), None),
        )
        for code, number, subject_name, text in rows
    ]
