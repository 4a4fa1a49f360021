"""Curriculum units: loading the MEXT tables, looking codes up, searching; every read released
through gateway.policy.release."""

from __future__ import annotations

import functools

from gateway.auth.service import Principal
from gateway.errors import NotFound
from gateway.policy.release import release_units
from gateway.units import repository
from gateway.units.codes import SCHOOL_TYPE_NAMES, parse_code
from gateway.units.crosswalks import Crosswalk, read_crosswalks
from gateway.units.prerequisites import PrerequisiteGraph, prerequisite_paths, read_graph
from gateway.units.tables import TABLES, read_table, search_form

DEFAULT_LIMIT = 50
MAX_LIMIT = 500


def load_tables(names: list[str] | None = None) -> dict[str, dict]:
    """Loads the code tables (all three by default) into the database; per table the row count
    read and what was inserted, updated, removed and is now stored."""
    report = {}
    for name in names or list(TABLES):
        records = read_table(name)
        report[name] = repository.replace_table(name, [record.document() for record in records])
    return report


def require_known(code_text: object, *, field: str = "code") -> dict:
    """The stored unit of a code; 400 when malformed, 404 when well-formed but in no table."""
    code = parse_code(code_text, field=field)
    unit = repository.find_unit(code.code)
    if unit is None:
        raise NotFound(
            f"{field} {code.code} is a well-formed 学習指導要領コード but is in none of the loaded tables",
            code="unknown_unit_code",
            details={"field": field, "value": code.code},
        )
    return unit


def representation(unit: dict, children: list[dict] | None = None) -> dict:
    code = parse_code(unit["_id"])
    shaped = {
        "code": unit["_id"],
        "text": unit["text"],
        "heading": unit["heading"],
        "table": unit["table"],
        "schoolType": unit["school_type"],
        "schoolTypeName": SCHOOL_TYPE_NAMES.get(unit["_id"][1]),
        "subject": {"key": unit["subject"], "name": unit["subject_name"]},
        "course": unit["course"] if unit["course"][3] != "0" else None,
        "grades": unit["grades"],
        "gradeCode": unit["grade_code"],
        "goalContent": code.goal_content,
        "parent": unit.get("parent"),
    }
    if children is not None:
        shaped["children"] = [{"code": child["_id"], "heading": child["heading"]} for child in children]
    return shaped


def unit(principal: Principal, code_text: str) -> dict:
    found = require_known(code_text)
    return release_units(principal, [representation(found, repository.children_of(found["_id"]))])[0]


def search(
    principal: Principal, *, subject=None, grade=None, school_type=None, q=None, offset=0, limit=DEFAULT_LIMIT
) -> tuple[int, list[dict]]:
    total, units = repository.search(
        subject=subject,
        grade=grade,
        school_type=school_type,
        text=search_form(q) if q else None,
        offset=offset,
        limit=min(limit, MAX_LIMIT),
    )
    return total, release_units(principal, [representation(u) for u in units])


@functools.cache
def table_codes() -> frozenset[str]:
    """Every code of the shipped tables (read from the files: the mapping data is validated
    against the tables themselves, whatever the database holds)."""
    return frozenset(record.code.code for name in TABLES for record in read_table(name))


@functools.cache
def prerequisite_graph() -> PrerequisiteGraph:
    return read_graph(prerequisite_paths(), set(table_codes()))


def crosswalks() -> dict[str, Crosswalk]:
    return read_crosswalks(set(table_codes()))


def _with_headings(entries: list[dict]) -> list[dict]:
    units = repository.find_units(entry["code"] for entry in entries)
    return [
        {**entry, "heading": units[entry["code"]]["heading"] if entry["code"] in units else None}
        for entry in entries
    ]


def foundations(principal: Principal, code_text: str) -> dict:
    """The units `code` builds on, transitively, with depth (1 = direct foundation)."""
    found = require_known(code_text)
    entries = _with_headings(prerequisite_graph().foundations_of(found["_id"]))
    return {"code": found["_id"], "foundations": release_units(principal, entries)}


def building_on(principal: Principal, code_text: str) -> dict:
    """The units that build on `code`, transitively, with depth (1 = builds on it directly)."""
    found = require_known(code_text)
    entries = _with_headings(prerequisite_graph().units_building_on(found["_id"]))
    return {"code": found["_id"], "buildsOn": release_units(principal, entries)}
