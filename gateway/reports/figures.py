"""The monthly class report's figures, computed from statements (plain functions, no Flask, no
database): per student a `StudentMonth`, then the class figures over the students the release
policy lets contribute (gateway.policy.release_reports decides; nothing is filtered here).

What the Kakehashi xAPI profile (profiles/kakehashi.jsonld) gives, and what is counted:

- study time: `result.duration` (ISO 8601) of the study-session (`experienced`) and backtracking
  (`backtracked`) statements of the month; coaching sessions and exam durations are not study;
- achievement: the unit-progress (`progressed`) statements' achievement-rate extension per target
  unit (the curriculum unit studied); the rate at the end of the month, and the gain over the month
  (from the last rate before the month, else the first of the month);
- backtracking events: `backtracked` statements of the month;
- exam scores: exam-section results (`scored` on an exam section, `score.scaled`) per unit (the
  unit in context grouping), 模試 and 定期考査 alike.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

import isodate

from gateway.policy.release_reports import Figure

# the xAPI profile's vocabulary (profiles/kakehashi.jsonld; the demo writes the same IRIs)
EXPERIENCED = "http://adlnet.gov/expapi/verbs/experienced"
PROGRESSED = "http://adlnet.gov/expapi/verbs/progressed"
SCORED = "http://adlnet.gov/expapi/verbs/scored"
BACKTRACKED = "https://kakehashi.example/xapi/verbs/backtracked"
EXAM_SECTION = "https://kakehashi.example/xapi/activity-types/exam-section"
COURSE_OF_STUDY_CODE = "https://kakehashi.example/xapi/extensions/course-of-study-code"
ACHIEVEMENT_RATE = "https://kakehashi.example/xapi/extensions/achievement-rate"

# data categories (profiles/data-categories.yaml) each figure draws on
STUDY = ("process.study-time", "process.backtracking")
ACHIEVEMENT = ("process.achievement",)
BACKTRACKING = ("process.backtracking",)
EXAMS = ("assessment.mock-exam", "assessment.periodic-test")
LEARNING = ("process.study-time", "process.achievement", "process.backtracking")
ENROLLMENT = ("roster.enrollment",)
REPORT_CATEGORIES = (*LEARNING, *EXAMS)

# "Working hard without progress": study time at or above the class median (of the students with
# learning records) and no unit newly reached in the month (no unit-progress statement of the month
# with completion true for a unit not reached before the month). The demo's struggling students
# study as much as the diligent ones and reach no unit; achievement gains did not tell them apart,
# since rates rise with the school's lessons too.


@dataclass
class StudentMonth:
    """One student's month, from the statements released for the report."""

    study_minutes: float = 0.0
    study_sessions: int = 0
    backtracking_events: int = 0
    rates: dict[str, float] = field(default_factory=dict)  # unit → latest rate in the month
    baselines: dict[str, float] = field(default_factory=dict)  # unit → rate before the month's progress
    reached: dict[str, bool] = field(default_factory=dict)  # unit → completion of the latest progress
    reached_before: set[str] = field(default_factory=set)  # units reached before the month
    exam_scores: dict[str, list[float]] = field(default_factory=dict)  # unit → scaled marks
    learning_records: bool = False

    @property
    def achievement_rate(self) -> float | None:
        return round(statistics.fmean(self.rates.values()), 3) if self.rates else None

    @property
    def achievement_gain(self) -> float | None:
        if not self.rates:
            return None
        return round(sum(self.rates[unit] - self.baselines[unit] for unit in self.rates), 3)

    @property
    def newly_reached(self) -> int:
        """Units reached in the month that were not reached before it."""
        return sum(1 for unit, done in self.reached.items() if done and unit not in self.reached_before)

    @property
    def exam_score(self) -> float | None:
        """The mean scaled mark over the month's exam sections."""
        marks = [mark for marks in self.exam_scores.values() for mark in marks]
        return round(statistics.fmean(marks), 4) if marks else None


def _when(statement: dict) -> datetime | None:
    try:
        return isodate.parse_datetime(statement.get("timestamp", ""))
    except (ValueError, isodate.ISO8601Error):
        return None


def _minutes(duration: object) -> float:
    if not isinstance(duration, str):
        return 0.0
    try:
        parsed = isodate.parse_duration(duration)
    except (ValueError, isodate.ISO8601Error):
        return 0.0
    seconds = parsed.total_seconds() if hasattr(parsed, "total_seconds") else 0.0
    return max(seconds, 0.0) / 60


def _unit_code(activity: dict) -> str | None:
    code = (((activity or {}).get("definition") or {}).get("extensions") or {}).get(COURSE_OF_STUDY_CODE)
    return code if isinstance(code, str) else None


def _grouped_units(statement: dict) -> list[dict]:
    return ((statement.get("context") or {}).get("contextActivities") or {}).get("grouping") or []


def student_month(
    statements: list[dict], start: datetime, end: datetime, names: dict[str, str]
) -> StudentMonth:
    """A student's month [start, end) from their statements (those before `start` give the
    achievement baselines). `names` collects unit code → name (ja) as the statements give it."""
    month = StudentMonth()
    before: dict[str, tuple[datetime, float]] = {}
    first_in: dict[str, tuple[datetime, float]] = {}
    latest_in: dict[str, tuple[datetime, float, bool]] = {}
    for statement in statements:
        when = _when(statement)
        if when is None or when >= end:
            continue
        verb = (statement.get("verb") or {}).get("id")
        target = statement.get("object") or {}
        result = statement.get("result") or {}
        if verb == PROGRESSED:
            code, rate = _unit_code(target), (result.get("extensions") or {}).get(ACHIEVEMENT_RATE)
            if code is None or not isinstance(rate, int | float) or isinstance(rate, bool):
                continue
            if when < start:
                if code not in before or when >= before[code][0]:
                    before[code] = (when, float(rate))
                if result.get("completion") is True:
                    month.reached_before.add(code)
                continue
            month.learning_records = True
            if code not in first_in or when < first_in[code][0]:
                first_in[code] = (when, float(rate))
            if code not in latest_in or when >= latest_in[code][0]:
                latest_in[code] = (when, float(rate), result.get("completion") is True)
            continue
        if when < start:
            continue
        if verb in (EXPERIENCED, BACKTRACKED):
            month.learning_records = True
            month.study_minutes += _minutes(result.get("duration"))
            month.study_sessions += 1
            if verb == BACKTRACKED:
                month.backtracking_events += 1
        elif verb == SCORED and (target.get("definition") or {}).get("type") == EXAM_SECTION:
            scaled = (result.get("score") or {}).get("scaled")
            if not isinstance(scaled, int | float) or isinstance(scaled, bool):
                continue
            for activity in _grouped_units(statement):
                code = _unit_code(activity)
                if code:
                    month.exam_scores.setdefault(code, []).append(float(scaled))
                    name = ((activity.get("definition") or {}).get("name") or {}).get("ja")
                    if name:
                        names.setdefault(code, name)
    for code, (_at, rate, completed) in latest_in.items():
        month.rates[code] = rate
        month.reached[code] = completed
        month.baselines[code] = before[code][1] if code in before else first_in[code][1]
    month.study_minutes = round(month.study_minutes, 1)
    return month


def _median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def _correlation(pairs: list[tuple[float, float]]) -> float | None:
    if len(pairs) < 2:
        return None
    try:
        return round(statistics.correlation([x for x, _ in pairs], [y for _, y in pairs]), 3)
    except statistics.StatisticsError:  # one of them constant
        return None


def working_hard_without_progress(month: StudentMonth, median_minutes: float | None) -> bool | None:
    if median_minutes is None or not month.learning_records:
        return None
    return month.study_minutes >= median_minutes and month.study_minutes > 0 and month.newly_reached == 0


def class_figures(
    students: list[str], months: dict[str, StudentMonth], contributes: Callable[[str, tuple], bool]
) -> tuple[list[Figure], dict[str, Figure], float | None]:
    """The class figures and the mean exam score per unit (unit code → [figure]), each over the
    students `contributes` admits for its categories; also the median study time of the students with
    learning records (for the rows' "working hard without progress")."""

    def over(categories: tuple, wanted: Callable[[StudentMonth], bool]) -> list[str]:
        return [s for s in students if contributes(s, categories) and wanted(months[s])]

    def learner(month: StudentMonth) -> bool:
        return month.learning_records

    enrolled = [s for s in students if contributes(s, ENROLLMENT)]
    studying = over(STUDY, learner)
    minutes = [months[s].study_minutes for s in studying]
    median = _median(minutes)
    achieving = over(ACHIEVEMENT, lambda m: bool(m.rates))
    backtracking = over(BACKTRACKING, learner)
    effort = over(LEARNING, learner)  # students with learning records
    median_effort = _median([months[s].study_minutes for s in effort])
    struggling = [s for s in effort if working_hard_without_progress(months[s], median_effort)]
    paired = over((*STUDY, *EXAMS), lambda m: m.learning_records and m.exam_score is not None)
    figures = [
        Figure("studentsInClass", ENROLLMENT, len(enrolled), frozenset(enrolled)),
        Figure("studentsWithLearningRecords", LEARNING, len(effort), frozenset(effort)),
        Figure("studyMinutesTotal", STUDY, round(sum(minutes), 1), frozenset(studying)),
        Figure("studyMinutesMedian", STUDY, median, frozenset(studying)),
        Figure(
            "achievementRateMean",
            ACHIEVEMENT,
            round(statistics.fmean(months[s].achievement_rate for s in achieving), 3) if achieving else None,
            frozenset(achieving),
        ),
        Figure(
            "unitsNewlyReached",
            ACHIEVEMENT,
            sum(months[s].newly_reached for s in achieving),
            frozenset(achieving),
        ),
        Figure(
            "backtrackingEvents",
            BACKTRACKING,
            sum(months[s].backtracking_events for s in backtracking),
            frozenset(backtracking),
        ),
        Figure("workingHardWithoutProgress", LEARNING, len(struggling), frozenset(effort)),
        Figure(
            "studyTimeScoreCorrelation",
            (*STUDY, *EXAMS),
            _correlation([(months[s].study_minutes, months[s].exam_score) for s in paired]),
            frozenset(paired),
        ),
    ]
    by_unit: dict[str, list[str]] = {}
    for student in over(EXAMS, lambda m: bool(m.exam_scores)):
        for code in months[student].exam_scores:
            by_unit.setdefault(code, []).append(student)
    exams = {
        code: Figure(
            "examScoreMean",
            EXAMS,
            round(statistics.fmean(statistics.fmean(months[s].exam_scores[code]) for s in takers), 4),
            frozenset(takers),
        )
        for code, takers in sorted(by_unit.items())
    }
    return figures, exams, median_effort
