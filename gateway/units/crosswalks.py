"""Crosswalks: a provider's or exam's own unit ids → one or more 学習指導要領コード, with validation
and a coverage report.

A crosswalk is a CSV in `mappings/crosswalks/` named after its source system, header
`source_id,codes,label,note`: `codes` holds one or more 16-character codes separated by spaces.
Targets are always 学習指導要領コード, never another crosswalk's source ids, so crosswalks do not
chain and cannot form cycles; a target that is not a well-formed code is reported as such.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

from gateway.errors import BadRequest
from gateway.resources import data_path
from gateway.units.codes import parse_code

HEADER = ["source_id", "codes", "label", "note"]


@dataclass(frozen=True)
class CrosswalkProblem:
    line: int
    source_id: str
    problem: str

    def __str__(self) -> str:
        return f"line {self.line} ({self.source_id or 'no source id'}): {self.problem}"


@dataclass
class Crosswalk:
    name: str
    mapping: dict[str, tuple[str, ...]] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    problems: list[CrosswalkProblem] = field(default_factory=list)

    def codes_for(self, source_id: str) -> tuple[str, ...]:
        """The codes a source id maps to; () when it maps to nothing."""
        return self.mapping.get(source_id, ())

    def coverage(self, source_ids) -> dict:
        """Which of `source_ids` (e.g. every unit id a provider sent) the crosswalk maps, and which
        map to nothing."""
        ids = list(dict.fromkeys(source_ids))
        unmapped = [i for i in ids if i not in self.mapping]
        return {
            "crosswalk": self.name,
            "sources": len(ids),
            "mapped": len(ids) - len(unmapped),
            "unmapped": unmapped,
            "codes": len({c for i in ids for c in self.codes_for(i)}),
        }


def crosswalk_paths() -> list[Path]:
    return sorted(data_path("mappings", "crosswalks").glob("*.csv"))


def read_crosswalk(path: Path, known_codes: set[str]) -> Crosswalk:
    """The crosswalk of `path`, every defect collected in `problems` (valid rows still mapped):
    bad header, empty or duplicate source id, no codes, malformed code, code in no table."""
    crosswalk = Crosswalk(path.stem)
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if header != HEADER:
            crosswalk.problems.append(CrosswalkProblem(1, "", f"header is {header!r}, expected {HEADER!r}"))
            return crosswalk
        for line, row in enumerate(reader, start=2):
            if len(row) != len(HEADER):
                crosswalk.problems.append(CrosswalkProblem(line, "", f"{len(row)} fields, expected 4"))
                continue
            source_id, codes_text, label, _note = (value.strip() for value in row)
            problems = []
            if not source_id:
                problems.append("empty source_id")
            elif source_id in crosswalk.mapping or source_id in crosswalk.labels:
                problems.append(f"duplicate source_id {source_id!r}")
            codes = codes_text.split()
            if not codes:
                problems.append("no target code")
            for code in codes:
                try:
                    parse_code(code, field="target code")
                except BadRequest as error:
                    problems.append(error.message)
                    continue
                if code not in known_codes:
                    problems.append(f"unknown target code {code}: in none of the 学習指導要領コード tables")
            if len(set(codes)) != len(codes):
                problems.append("a target code is listed twice")
            crosswalk.labels.setdefault(source_id, label)
            if problems:
                crosswalk.problems.extend(CrosswalkProblem(line, source_id, p) for p in problems)
            else:
                crosswalk.mapping[source_id] = tuple(codes)
    return crosswalk


def read_crosswalks(known_codes: set[str]) -> dict[str, Crosswalk]:
    return {path.stem: read_crosswalk(path, known_codes) for path in crosswalk_paths()}
