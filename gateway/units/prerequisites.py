"""The prerequisite ("foundational unit") graph: `mappings/prerequisites/<subject>.csv`, header
`unit,foundation,rationale` (the unit builds on the foundation; one edge per row, a reason each).

Validated as a DAG over codes in the MEXT tables; queries walk it breadth-first with depth."""

from __future__ import annotations

import csv
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

from gateway.errors import BadRequest
from gateway.resources import data_path
from gateway.units.codes import parse_code

HEADER = ["unit", "foundation", "rationale"]


class PrerequisiteGraphError(ValueError):
    """A prerequisite file that is not a DAG over known codes; `problems` lists every defect."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass
class PrerequisiteGraph:
    foundations: dict[str, dict[str, str]] = field(default_factory=dict)  # unit → {foundation: rationale}
    builds_on: dict[str, set[str]] = field(default_factory=dict)  # foundation → units

    def add(self, unit: str, foundation: str, rationale: str) -> None:
        self.foundations.setdefault(unit, {})[foundation] = rationale
        self.builds_on.setdefault(foundation, set()).add(unit)

    def codes(self) -> set[str]:
        return set(self.foundations) | set(self.builds_on)

    def foundations_of(self, code: str) -> list[dict]:
        """Every unit `code` builds on, transitively, each at its shortest depth (1 = direct),
        with the edge that reached it."""
        return self._walk(code, lambda c: sorted(self.foundations.get(c, {})), "foundation")

    def units_building_on(self, code: str) -> list[dict]:
        """Every unit that builds on `code`, transitively, at its shortest depth."""
        return self._walk(code, lambda c: sorted(self.builds_on.get(c, ())), "unit")

    def _walk(self, start: str, neighbours, role: str) -> list[dict]:
        seen = {start: 0}
        found = []
        queue = deque([start])
        while queue:
            current = queue.popleft()
            for nxt in neighbours(current):
                if nxt in seen:
                    continue
                seen[nxt] = seen[current] + 1
                unit, foundation = (current, nxt) if role == "foundation" else (nxt, current)
                found.append(
                    {
                        "code": nxt,
                        "depth": seen[nxt],
                        "via": current,
                        "rationale": self.foundations[unit][foundation],
                    }
                )
                queue.append(nxt)
        return found

    def cycle(self) -> list[str] | None:
        """A cycle (as a code path) if the graph has one, else None."""
        state: dict[str, int] = {}
        path: list[str] = []

        def visit(code: str) -> list[str] | None:
            state[code] = 1
            path.append(code)
            for nxt in sorted(self.foundations.get(code, {})):
                if state.get(nxt) == 1:
                    return path[path.index(nxt) :] + [nxt]
                if nxt not in state and (found := visit(nxt)):
                    return found
            state[code] = 2
            path.pop()
            return None

        for code in sorted(self.codes()):
            if code not in state and (found := visit(code)):
                return found
        return None


def prerequisite_paths() -> list[Path]:
    return sorted(data_path("mappings", "prerequisites").glob("*.csv"))


def read_graph(paths: list[Path], known_codes: set[str]) -> PrerequisiteGraph:
    """The graph of `paths`; PrerequisiteGraphError listing every defect (header, malformed or
    unknown code, self-edge, duplicate edge, missing rationale, cycle)."""
    graph = PrerequisiteGraph()
    problems = []
    for path in paths:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.reader(handle)
            header = next(reader, None)
            if header != HEADER:
                problems.append(f"{path.name}: header is {header!r}, expected {HEADER!r}")
                continue
            for line, row in enumerate(reader, start=2):
                where = f"{path.name} line {line}"
                if len(row) != 3:
                    problems.append(f"{where}: {len(row)} fields, expected 3")
                    continue
                unit, foundation, rationale = (value.strip() for value in row)
                bad = False
                for column, code in (("unit", unit), ("foundation", foundation)):
                    try:
                        parse_code(code, field=column)
                    except BadRequest as error:
                        problems.append(f"{where}: {error.message}")
                        bad = True
                        continue
                    if code not in known_codes:
                        problems.append(
                            f"{where}: {column} {code} is in none of the 学習指導要領コード tables"
                        )
                        bad = True
                if unit == foundation:
                    problems.append(f"{where}: {unit} is its own foundation")
                    bad = True
                if not rationale:
                    problems.append(f"{where}: no rationale")
                    bad = True
                if foundation in graph.foundations.get(unit, {}):
                    problems.append(f"{where}: duplicate edge {unit} ← {foundation}")
                    bad = True
                if not bad:
                    graph.add(unit, foundation, rationale)
    if not problems and (cycle := graph.cycle()):
        problems.append("cycle: " + " ← ".join(cycle))
    if problems:
        raise PrerequisiteGraphError(problems)
    return graph
