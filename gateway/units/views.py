"""HTTP endpoints of the curriculum units (学習指導要領コード): thin views over gateway.units.service.

Reads need HTTP Basic client credentials (any registered client: the tables are public reference
data, released by gateway.policy.release.release_units)."""

from __future__ import annotations

import marshmallow as ma
from flask import g, jsonify

from gateway.auth.http import authenticate_request
from gateway.extensions import Blueprint
from gateway.units import review, service
from gateway.units.codes import SCHOOL_TYPES

blp = Blueprint(
    "units",
    __name__,
    url_prefix="/units",
    description="Curriculum units: the MEXT 学習指導要領コード tables (elementary, lower- and upper-secondary)",
)


@blp.before_request
def _authenticate() -> None:
    authenticate_request("Kakehashi")


class UnitSearchArgs(ma.Schema):
    subject = ma.fields.String(
        metadata={
            "description": "Subject name as in the tables (数学, 算数, 国語...) or a code prefix "
            "of 3 characters (subject, e.g. 835) or 4 (course, e.g. 8451 数学Ⅰ)"
        }
    )
    grade = ma.fields.Integer(
        validate=ma.validate.Range(min=1, max=6),
        metadata={"description": "School grade (学年) the unit is for"},
    )
    schoolType = ma.fields.String(
        validate=ma.validate.OneOf(sorted(set(SCHOOL_TYPES.values()))),
        metadata={"description": "School type: elementary, lower_secondary, upper_secondary"},
    )
    q = ma.fields.String(
        validate=ma.validate.Length(min=1, max=200),
        metadata={"description": "Text the unit contains (Japanese; full-/half-width and spacing ignored)"},
    )
    offset = ma.fields.Integer(load_default=0, validate=ma.validate.Range(min=0, max=2**31 - 1))
    limit = ma.fields.Integer(
        load_default=service.DEFAULT_LIMIT, validate=ma.validate.Range(min=1, max=service.MAX_LIMIT)
    )


@blp.route("")
@blp.arguments(UnitSearchArgs, location="query", as_kwargs=True)
@blp.response(200, description="A page of units in table order, with the total in X-Total-Count")
@blp.doc(security=[{"basicAuth": []}])
def search_units(subject=None, grade=None, schoolType=None, q=None, offset=0, limit=service.DEFAULT_LIMIT):  # noqa: N803
    """Search the units by subject, grade and Japanese text."""
    total, units = service.search(
        g.principal, subject=subject, grade=grade, school_type=schoolType, q=q, offset=offset, limit=limit
    )
    response = jsonify({"units": units, "total": total, "offset": offset, "limit": limit})
    response.headers["X-Total-Count"] = str(total)
    return response


class ReviewArgs(ma.Schema):
    student = ma.fields.String(required=True, metadata={"description": "The student's roster sourcedId"})
    exam = ma.fields.String(required=True, metadata={"description": "The exam's activity id (IRI)"})
    threshold = ma.fields.Float(
        load_default=review.DEFAULT_THRESHOLD,
        validate=ma.validate.Range(min=0, max=1, min_inclusive=False),
        metadata={"description": "Mastery threshold: units whose mark (raw/max) is below it are listed"},
    )


@blp.route("/review")
@blp.arguments(ReviewArgs, location="query", as_kwargs=True)
@blp.response(
    200,
    description="Units to review (要復習単元) below the threshold, lowest first, each with its foundations "
    "(checkFirst when the student's statements point at them), and checkFirst across all units",
)
@blp.doc(security=[{"basicAuth": []}])
def units_review(student, exam, threshold=review.DEFAULT_THRESHOLD):
    """Units to review for a student and an exam, for coaches (needs reports.read or statements/read)."""
    return jsonify(review.review_for(g.principal, student, exam, threshold))


@blp.route("/<code>")
@blp.response(200, description="The unit: text, parent, children, school type, subject, grades")
@blp.doc(security=[{"basicAuth": []}])
def get_unit(code):
    """One unit by its 16-character 学習指導要領コード (400 when malformed, 404 when unknown)."""
    return jsonify(service.unit(g.principal, code))


@blp.route("/<code>/foundations")
@blp.response(200, description="Foundational units, transitively: code, depth (1 = direct), via, rationale")
@blp.doc(security=[{"basicAuth": []}])
def unit_foundations(code):
    """The units a unit builds on (prerequisite graph, mathematics), nearest first."""
    return jsonify(service.foundations(g.principal, code))


@blp.route("/<code>/builds-on")
@blp.response(200, description="Units building on this one, transitively: code, depth, via, rationale")
@blp.doc(security=[{"basicAuth": []}])
def units_building_on(code):
    """The units that build on a unit (prerequisite graph, mathematics), nearest first."""
    return jsonify(service.building_on(g.principal, code))
