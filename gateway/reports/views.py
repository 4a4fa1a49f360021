"""HTTP endpoints of the reports: thin views over gateway.reports.service (scope reports.read)."""

from __future__ import annotations

import marshmallow as ma
from flask import g, jsonify

from gateway.auth.http import authenticate_request
from gateway.extensions import Blueprint
from gateway.reports import service

blp = Blueprint(
    "reports",
    __name__,
    url_prefix="/reports",
    description="Teachers' reports: a class's month in a few figures, with per-student details on demand. "
    "Every figure and row is released by the release policy (aggregates below the security profile's "
    "minimum group size are suppressed).",
)


@blp.before_request
def _authenticate() -> None:
    authenticate_request("Kakehashi")


class MonthArgs(ma.Schema):
    month = ma.fields.String(
        required=True,
        validate=ma.validate.Regexp(service.MONTH, error="must be YYYY-MM (e.g. 2026-10)"),
        metadata={"description": "The month, YYYY-MM (Japan time: from the 1st, 00:00 JST)"},
    )


@blp.route("/classes/<classSourcedId>/monthly")
@blp.arguments(MonthArgs, location="query", as_kwargs=True)
@blp.response(
    200,
    description="The class's figures for the month: students in class, students with learning records, study "
    "time (total, median per student), achievement rate, units reached, backtracking events, students working "
    "hard without progress, study time vs exam score correlation, mean exam score per unit. Each figure: "
    "value and the number of students it covers, or null with `suppressed` (reason) when too few students "
    "contribute. X-Kakehashi-Withheld counts what was withheld; Link rel=decision names the audit entry.",
)
@blp.doc(security=[{"basicAuth": []}])
def class_monthly_report(classSourcedId, month):  # noqa: N803
    """A class's month in a few figures (needs reports.read)."""
    return jsonify(service.monthly_report(g.principal, classSourcedId, month))


@blp.route("/classes/<classSourcedId>/monthly/students")
@blp.arguments(MonthArgs, location="query", as_kwargs=True)
@blp.response(
    200,
    description="One row per student, in the form the release policy gives that student: identified (sourcedId "
    "and name), pseudonymised (the recipient's pseudonym), or left out (counted in studentsLeftOut); fields "
    "released only in aggregate are removed and listed in the row's `withheld`.",
)
@blp.doc(security=[{"basicAuth": []}])
def class_monthly_students(classSourcedId, month):  # noqa: N803
    """Per-student details of a class's month (needs reports.read)."""
    return jsonify(service.monthly_students(g.principal, classSourcedId, month))
