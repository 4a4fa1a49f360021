"""The monthly class report: which students, which statements, which month; the figures come
from gateway.reports.figures and leave through gateway.policy.release_reports."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

from gateway.auth.service import Principal
from gateway.errors import BadRequest, NotFound
from gateway.policy.release_reports import ReportRelease, RowField, require_report_read
from gateway.reports import figures as f
from gateway.reports import repository

# Months are school months: they begin at midnight Japan time.
TIME_ZONE = ZoneInfo("Asia/Tokyo")
MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
MONTHLY_RESOURCE = "reports/classes/monthly"
STUDENTS_RESOURCE = "reports/classes/monthly/students"


def month_bounds(month: str) -> tuple[datetime, datetime]:
    """[first day 00:00, first day of the next month 00:00) in Japan time, for "YYYY-MM"."""
    found = MONTH.match(month or "")
    if not found:
        raise BadRequest(
            f"month must be YYYY-MM (e.g. 2026-10), not {month!r}", details={"month": ["must be YYYY-MM"]}
        )
    year, number = int(found.group(1)), int(found.group(2))
    start = datetime(year, number, 1, tzinfo=TIME_ZONE)
    end = datetime(year + (number == 12), number % 12 + 1, 1, tzinfo=TIME_ZONE)
    return start, end


class _ClassMonth:
    """A class's students and their months, as released to one principal."""

    def __init__(self, principal: Principal, class_id: str, month: str):
        require_report_read(principal)
        self.start, self.end = month_bounds(month)
        self.klass = repository.find_class(class_id)
        if self.klass is None:
            raise NotFound(f"no class with sourcedId {class_id!r}", details={"classSourcedId": class_id})
        self.month = month
        self.users = {user["_id"]: user for user in repository.class_students(class_id)}
        self.students = sorted(self.users)
        self.release = ReportRelease(principal, self.students, f.REPORT_CATEGORIES + f.ENROLLMENT)
        admitted = self.release.admit(repository.statements_of(list(self.users.values())))
        self.unit_names: dict[str, str] = {}
        self.months = {
            student: f.student_month(admitted.get(student, []), self.start, self.end, self.unit_names)
            for student in self.students
        }
        self.figures, self.exams, median = f.class_figures(
            self.students, self.months, self.release.contributes
        )
        # a row says "working hard without progress" only where the class median may be released
        effort = next(figure for figure in self.figures if figure.name == "workingHardWithoutProgress")
        self.row_median = None if self.release.suppresses(effort) else median

    def heading(self) -> dict:
        return {
            "class": {"sourcedId": self.klass["_id"], "title": self.klass.get("title")},
            "month": self.month,
            "period": {"from": self.start.isoformat(), "until": self.end.isoformat()},
            "minGroupSize": self.release.min_group_size,
        }


def monthly_report(principal: Principal, class_id: str, month: str) -> dict:
    """The month's figures for a class, each released or suppressed by the release policy."""
    report = _ClassMonth(principal, class_id, month)
    body = {
        **report.heading(),
        "figures": {figure.name: report.release.release_figure(figure) for figure in report.figures},
        "examScoresByUnit": [
            {"unit": code, "name": report.unit_names.get(code), **report.release.release_figure(figure)}
            for code, figure in report.exams.items()
        ],
    }
    report.release.finish(MONTHLY_RESOURCE)
    return body


def monthly_students(principal: Principal, class_id: str, month: str) -> dict:
    """Details on demand: one row per student, in the form the release policy gives that student
    (identified rows first, in name order; pseudonymised rows after, in pseudonym order, so the
    order says nothing about who is who)."""
    report = _ClassMonth(principal, class_id, month)
    rows = []
    left_out = 0
    for student in report.students:
        month_ = report.months[student]
        user = report.users[student]
        fields = _row_fields(month_, report.row_median)
        identity = {
            "sourcedId": student,
            "familyName": user.get("familyName"),
            "givenName": user.get("givenName"),
        }
        row = report.release.release_row(student, identity, fields)
        if row is None:
            left_out += 1
        else:
            rows.append(row)
    rows.sort(
        key=lambda row: (
            row["student"]["form"] != "identified",
            row["student"].get("pseudonym") or "",
            row["student"].get("familyName") or "",
            row["student"].get("givenName") or "",
        )
    )
    body = {**report.heading(), "students": rows, "studentsLeftOut": left_out}
    report.release.finish(STUDENTS_RESOURCE)
    return body


def _row_fields(month: f.StudentMonth, median: float | None) -> list[RowField]:
    return [
        RowField("studyMinutes", f.STUDY, month.study_minutes),
        RowField("studySessions", f.STUDY, month.study_sessions),
        RowField("backtrackingEvents", f.BACKTRACKING, month.backtracking_events),
        RowField("achievementRate", f.ACHIEVEMENT, month.achievement_rate),
        RowField("achievementGain", f.ACHIEVEMENT, month.achievement_gain),
        RowField("unitsReached", f.ACHIEVEMENT, sum(month.reached.values())),
        RowField("unitsNewlyReached", f.ACHIEVEMENT, month.newly_reached),
        RowField(
            "examScores",
            f.EXAMS,
            {code: round(sum(marks) / len(marks), 4) for code, marks in sorted(month.exam_scores.items())},
        ),
        RowField("workingHardWithoutProgress", f.LEARNING, f.working_hard_without_progress(month, median)),
    ]
