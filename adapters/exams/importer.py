"""`import_exams`: read an exam file set in one format, resolve students and units, build
Kakehashi-profile statements and store them through the LRS service in one all-or-nothing batch.
Any defect → a report (file, line, column, rule, JA/EN) and nothing stored."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from flask import current_app

from adapters.exams.gradebook import read_gradebook
from adapters.exams.mapped import format_paths, load_mapping, read_mapped
from adapters.exams.report import ImportResult, issue
from adapters.exams.results import exam_statement, section_statement
from adapters.exams.sources import ReadMarks, StudentRef, UnitResolver
from gateway.auth.service import Principal
from gateway.errors import Conflict
from gateway.lrs import repository as lrs_repository
from gateway.lrs.service import WriteContext, store_statements
from gateway.lrs.versions import XAPI_2_0_0
from gateway.oneroster import identity, store
from gateway.units import repository as units_repository
from gateway.units.service import crosswalks, table_codes
from gateway.xapi_profile.templates import check_statement
from gateway.xapi_profile.validation import kakehashi_profile

GRADEBOOK = "oneroster-gradebook"
# The authority recorded on imported statements: the importer itself, run by an operator.
IMPORTER = Principal(
    "kakehashi-exam-import", "Kakehashi exam-result import", "board", frozenset({"statements/write"})
)


def formats() -> list[str]:
    return [GRADEBOOK, *format_paths()]


def import_exams(
    path: Path, format_name: str, *, dry_run: bool = False, progress: Callable[[str, int], None] | None = None
) -> ImportResult:
    progress = progress or (lambda kind, amount: None)
    path = Path(path)
    result = ImportResult(format_name, str(path), dry_run)
    units = UnitResolver(crosswalks(), table_codes())
    if format_name == GRADEBOOK:
        read = read_gradebook(path, units)
    elif format_name in format_paths():
        mapping_path = format_paths()[format_name]
        try:
            mapping = load_mapping(mapping_path)
        except ValueError as error:
            result.issues.append(issue("mapping", mapping_path.name, detail=str(error)))
            return result
        files = sorted(path.glob("*.csv")) if path.is_dir() else [path]
        read = ReadMarks()
        for file in files:
            part = read_mapped(file, mapping, units)
            read.marks += part.marks
            read.deviations.update(part.deviations)
            read.students += part.students
            read.issues += part.issues
            read.rows += part.rows
    else:
        result.issues.append(issue("unknown-format", value=format_name, allowed=", ".join(formats())))
        return result
    result.issues += read.issues
    progress("total", len(read.marks) + 1)
    agents = _resolve_students(read.students, result)
    result.issues.sort(key=lambda i: (i.file or "", i.line or 0))
    result.counts = {"rows": read.rows, "section marks": len(read.marks)}
    if result.issues:
        return result
    statements = _statements(read, agents, format_name, progress)
    for statement in statements:
        template, problems = check_statement(kakehashi_profile(), statement)
        if template is None:
            result.issues.append(
                issue("profile", template="exam-result", detail="; ".join(map(str, problems)))
            )
    if result.issues:
        return result
    ids = [s["id"] for s in statements]
    stored = lrs_repository.find_by_ids(ids)
    result.counts.update(
        {
            "students": len({s["actor"]["account"]["name"] for s in statements}),
            "exams": len(
                {s["object"]["id"] for s in statements if "parent" not in s["context"]["contextActivities"]}
            ),
            "statements": len(statements),
            "already stored": len(stored),
            "new": len(statements) - len(stored) if not dry_run else 0,
        }
    )
    result.statement_ids = ids
    if dry_run:
        result.counts["would store"] = len(statements) - len(stored)
        return result
    context = WriteContext(IMPORTER, XAPI_2_0_0, current_app.config["KAKEHASHI_PUBLIC_URL"])
    try:
        store_statements(statements, context)
    except Conflict as error:
        result.counts["new"] = 0
        result.issues.append(
            issue("statement-conflict", value=str((error.details or {}).get("statementId", error.message)))
        )
        return result
    progress("stored", 1)
    return result


def _resolve_students(refs: list[StudentRef], result: ImportResult) -> dict[tuple[str, str], dict]:
    """(match, value) → account Agent; unknown, ambiguous, non-student users are issues."""
    agents: dict[tuple[str, str], dict] = {}
    wanted: dict[tuple[str, str | None], set[str]] = {}
    for ref in refs:
        wanted.setdefault((ref.match, ref.school), set()).add(ref.value)
    found: dict[tuple[str, str], list[dict]] = {}
    for (match, school), values in wanted.items():
        path = "_id" if match == "sourcedId" else match
        users = store.find_by_field("users", path, sorted(values))
        if school:
            org_ids = {o["_id"] for o in store.find_by_field("orgs", "identifier", [school])}
            users = [u for u in users if identity.home_org_id(u) in org_ids]
        for user in users:
            found.setdefault((match, user["_id"] if match == "sourcedId" else user.get(match)), []).append(
                user
            )
    reported = set()
    linked: dict[str, dict | None] = {}
    for ref in refs:
        key = (ref.match, ref.value)
        users = found.get(key, [])
        problem = None
        if not users:
            problem = issue(
                "unknown-student", ref.file, ref.line, ref.column, value=ref.value, match=ref.match
            )
        elif len(users) > 1:
            problem = issue(
                "ambiguous-student", ref.file, ref.line, ref.column, value=ref.value, match=ref.match
            )
        else:
            user = users[0]
            roles = {r.get("role") for r in user.get("roles") or ()} | {user.get("role")}
            if "student" not in roles:
                problem = issue(
                    "not-a-student",
                    ref.file,
                    ref.line,
                    ref.column,
                    value=ref.value,
                    role=", ".join(sorted(r for r in roles if r)),
                )
            else:
                if user["_id"] not in linked:  # one lookup per student, not per row
                    linked[user["_id"]] = identity.agent_for_user(user)
                agent = linked[user["_id"]]
                if agent is None:
                    problem = issue("no-home-org", ref.file, ref.line, ref.column, value=ref.value)
                else:
                    agents[key] = agent
        if problem is not None and (ref.file, ref.line) not in reported:
            reported.add((ref.file, ref.line))
            result.issues.append(problem)
    return agents


def _statements(read: ReadMarks, agents: dict, source: str, progress) -> list[dict]:
    codes = {c for mark, _ in read.marks for c in mark.codes}
    headings = {code: unit["heading"] for code, unit in units_repository.find_units(codes).items()}
    statements = []
    by_exam: dict[tuple[str, str], list] = {}
    for mark, ref in read.marks:
        agent = agents[(ref.match, ref.value)]
        statements.append(section_statement(mark, agent, headings, source))
        by_exam.setdefault((mark.exam.activity_id, ref.value), []).append((mark, agent, ref))
        progress("built", 1)
    for (exam_id, value), entries in by_exam.items():
        marks = [m for m, _, _ in entries]
        deviation = read.deviations.get((exam_id, value))
        statements.append(
            exam_statement(
                marks[0].exam,
                marks[0].student,
                entries[0][1],
                marks,
                source,
                deviation[0] if deviation else None,
            )
        )
    return statements
