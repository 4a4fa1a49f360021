"""Units to review (要復習単元): for a student and an exam, the units whose mark is below a mastery
threshold, each with the foundational units (prerequisite graph) the student's own statements
suggest checking first. Plain functions over the LRS and the roster; released by
gateway.policy.release.release_review.

How the foundations are ordered, per unit to review: first those the student's statements point at
(the student already went back to it — `backtracked`; its latest achievement rate in the app is
below the threshold; or its mark in an exam section is below it), weakest evidence first; then
the others, nearest (depth 1) first. `checkFirst` lists those pointed-at foundations across all
units to review, each once, in that order."""

from __future__ import annotations

from dataclasses import dataclass, field

from gateway.demo import vocabulary as v
from gateway.errors import BadRequest, NotFound
from gateway.lrs import repository as lrs_repository
from gateway.lrs.identifiers import agent_key
from gateway.oneroster import identity, store
from gateway.units import repository
from gateway.units.service import prerequisite_graph

DEFAULT_THRESHOLD = 0.6
STATEMENT_LIMIT = 20_000  # a student's statements read per report (three months of daily study: ~1,000)


@dataclass
class UnitEvidence:
    """What a student's statements say about one unit."""

    achievement: float | None = None  # latest achievement rate reported by a learning app
    achievement_at: str = ""
    backtracked: int = 0  # times the student went back to it as a foundation
    backtracked_minutes: int = 0
    last_backtracked: str = ""
    exam_marks: list[tuple[str, float]] = field(default_factory=list)  # (timestamp, scaled) per section

    def to_json(self) -> dict:
        latest_exam = max(self.exam_marks, default=None)
        return {
            "achievementRate": self.achievement,
            "backtracked": self.backtracked,
            "backtrackedMinutes": self.backtracked_minutes,
            "lastBacktracked": self.last_backtracked or None,
            "latestExamRate": latest_exam[1] if latest_exam else None,
        }


def _codes(activity: dict) -> list[str]:
    extensions = ((activity or {}).get("definition") or {}).get("extensions") or {}
    code = extensions.get(v.COURSE_OF_STUDY_CODE)
    return [code] if isinstance(code, str) else []


def _minutes(statement: dict) -> int:
    value = ((statement.get("context") or {}).get("extensions") or {}).get(v.STUDY_MINUTES)
    return value if isinstance(value, int) else 0


def student_statements(student: str) -> tuple[dict, list[dict]]:
    """The roster user and its statements (oldest stored first); NotFound when not a roster user."""
    user = store.find_one("users", student)
    if user is None:
        raise NotFound(f"no roster user with sourcedId {student!r}", details={"parameter": "student"})
    agent = identity.agent_for_user(user)
    if agent is None:
        raise NotFound(
            f"roster user {student!r} has no home org, so no statements", details={"parameter": "student"}
        )
    records = lrs_repository.find_page(
        {"agents": agent_key(agent)}, ascending=True, limit=STATEMENT_LIMIT, after=None
    )
    return user, [record["statement"] for record in records]


def evidence_by_unit(statements: list[dict]) -> dict[str, UnitEvidence]:
    evidence: dict[str, UnitEvidence] = {}
    for statement in statements:
        verb = (statement.get("verb") or {}).get("id")
        target = statement.get("object") or {}
        result = statement.get("result") or {}
        when = statement.get("timestamp", "")
        if verb == v.PROGRESSED:
            rate = (result.get("extensions") or {}).get(v.ACHIEVEMENT_RATE)
            for code in _codes(target):
                unit = evidence.setdefault(code, UnitEvidence())
                if isinstance(rate, int | float) and when >= unit.achievement_at:
                    unit.achievement, unit.achievement_at = float(rate), when
        elif verb == v.BACKTRACKED:
            for code in _codes(target):
                unit = evidence.setdefault(code, UnitEvidence())
                unit.backtracked += 1
                unit.backtracked_minutes += _minutes(statement)
                unit.last_backtracked = max(unit.last_backtracked, when[:10])
        elif verb == v.SCORED and ((target.get("definition") or {}).get("type")) == v.EXAM_SECTION:
            score = result.get("score") or {}
            if isinstance(score.get("scaled"), int | float):
                grouping = ((statement.get("context") or {}).get("contextActivities") or {}).get(
                    "grouping"
                ) or []
                for activity in grouping:
                    for code in _codes(activity):
                        evidence.setdefault(code, UnitEvidence()).exam_marks.append(
                            (when, float(score["scaled"]))
                        )
    return evidence


def _names_in(statements: list[dict]) -> dict[str, str]:
    names: dict[str, str] = {}
    for statement in statements:
        activities = (statement.get("context") or {}).get("contextActivities") or {}
        for activity in [statement.get("object") or {}, *(activities.get("grouping") or [])]:
            name = ((activity.get("definition") or {}).get("name") or {}).get("ja")
            for code in _codes(activity):
                if name:
                    names.setdefault(code, name)
    return names


def exam_marks(statements: list[dict], exam: str) -> tuple[str | None, dict[str, dict]]:
    """The exam's title and, per unit code, the summed raw and max marks of its sections (the
    latest statement per section when a section was reported more than once)."""
    sections: dict[str, dict] = {}
    title = None
    for statement in statements:
        if (statement.get("verb") or {}).get("id") != v.SCORED:
            continue
        activities = (statement.get("context") or {}).get("contextActivities") or {}
        parents = activities.get("parent") or []
        parent = next((p for p in parents if p.get("id") == exam), None)
        if parent is None:
            continue
        title = title or ((parent.get("definition") or {}).get("name") or {}).get("ja")
        section = (statement.get("object") or {}).get("id")
        previous = sections.get(section)
        if previous is None or statement.get("timestamp", "") >= previous.get("timestamp", ""):
            sections[section] = statement
    units: dict[str, dict] = {}
    for statement in sections.values():
        score = (statement.get("result") or {}).get("score") or {}
        if not isinstance(score.get("raw"), int | float) or not isinstance(score.get("max"), int | float):
            continue
        for activity in statement["context"]["contextActivities"].get("grouping") or []:
            for code in _codes(activity):
                unit = units.setdefault(code, {"raw": 0, "max": 0, "sections": 0})
                unit["raw"] += score["raw"]
                unit["max"] += score["max"]
                unit["sections"] += 1
    return title, units


def _reasons(evidence: UnitEvidence | None, threshold: float) -> list[str]:
    if evidence is None:
        return []
    reasons = []
    if evidence.backtracked:
        reasons.append(f"backtracked {evidence.backtracked}× (last {evidence.last_backtracked})")
    if evidence.achievement is not None and evidence.achievement < threshold:
        reasons.append(f"achievement rate {evidence.achievement:.0%} < {threshold:.0%}")
    latest = max(evidence.exam_marks, default=None)
    if latest and latest[1] < threshold:
        reasons.append(f"latest exam mark {latest[1]:.0%} < {threshold:.0%}")
    return reasons


def _weakness(evidence: UnitEvidence | None) -> float:
    """Lower is weaker: the lowest of the latest achievement rate and the latest exam mark."""
    if evidence is None:
        return 1.0
    values = [evidence.achievement] if evidence.achievement is not None else []
    if evidence.exam_marks:
        values.append(max(evidence.exam_marks)[1])
    return min(values, default=1.0 if not evidence.backtracked else 0.99)


def units_to_review(student: str, exam: str, threshold: float = DEFAULT_THRESHOLD) -> dict:
    """The report for `student` (roster sourcedId) and `exam` (the exam activity id)."""
    if not 0 < threshold <= 1:
        raise BadRequest(
            "threshold must be in (0, 1]", details={"parameter": "threshold", "value": threshold}
        )
    _user, statements = student_statements(student)
    title, marks = exam_marks(statements, exam)
    if not marks:
        raise NotFound(
            f"no section results of exam {exam!r} for student {student!r}",
            details={"student": student, "exam": exam},
        )
    evidence = evidence_by_unit(statements)
    graph = prerequisite_graph()
    below = sorted(
        ((code, mark) for code, mark in marks.items() if mark["raw"] / mark["max"] < threshold),
        key=lambda item: (item[1]["raw"] / item[1]["max"], item[0]),
    )
    units = []
    pointed: dict[str, tuple] = {}
    for code, mark in below:
        foundations = []
        for entry in graph.foundations_of(code):
            found = evidence.get(entry["code"])
            reasons = _reasons(found, threshold)
            foundations.append(
                {
                    **entry,
                    "checkFirst": bool(reasons),
                    "reasons": reasons,
                    "evidence": found.to_json() if found else None,
                }
            )
            if reasons:
                key = (_weakness(found), entry["depth"], entry["code"])
                pointed[entry["code"]] = min(pointed.get(entry["code"], key), key)
        foundations.sort(
            key=lambda f: (
                not f["checkFirst"],
                _weakness(evidence.get(f["code"])) if f["checkFirst"] else 0,
                f["depth"],
                f["code"],
            )
        )
        units.append(
            {
                "code": code,
                "raw": mark["raw"],
                "max": mark["max"],
                "rate": round(mark["raw"] / mark["max"], 4),
                "foundations": foundations,
            }
        )
    codes = {code for code, _ in below} | {f["code"] for u in units for f in u["foundations"]}
    # The loaded tables' headings; else the unit names the statements themselves carry.
    headings = {
        **_names_in(statements),
        **{code: u["heading"] for code, u in repository.find_units(codes).items()},
    }
    for unit in units:
        unit["heading"] = headings.get(unit["code"])
        for foundation in unit["foundations"]:
            foundation["heading"] = headings.get(foundation["code"])
    return {
        "student": student,
        "exam": {"id": exam, "title": title},
        "threshold": threshold,
        "unitsOnExam": len(marks),
        "units": units,
        "checkFirst": [
            {"code": code, "heading": headings.get(code)} for code in sorted(pointed, key=pointed.__getitem__)
        ],
    }


def review_for(principal, student: str, exam: str, threshold: float = DEFAULT_THRESHOLD) -> dict:
    """The report as it may leave the gateway to `principal` (gateway.policy.release.release_review)."""
    from gateway.policy.release import release_review

    return release_review(principal, student, units_to_review(student, exam, threshold))
