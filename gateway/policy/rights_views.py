"""HTTP endpoints of the student's data rights: `/me`, `/me/export`, `/me/erase` (and DELETE /me);
thin views over gateway.policy.rights. A token acting for a student with scope `me`."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Response, g, jsonify, request

from gateway.auth.http import authenticate_request
from gateway.errors import BadRequest
from gateway.extensions import Blueprint
from gateway.policy import audit, rights
from gateway.policy.principals import acting_actor, require_subject
from gateway.policy.release import release_policy

blp = Blueprint("me", __name__, url_prefix="/me", description="My data: roster record, export, erasure")
ERASE_CONFIRMATION = "erase"


@blp.before_request
def _authenticate() -> None:
    authenticate_request("Kakehashi")


def _audit(resource: str, subject: str, categories: list[str]) -> None:
    audit.record_release(
        principal=g.principal,
        request_id=g.get("request_id"),
        resource=resource,
        categories=categories,
        subjects=[subject],
        decisions=[{"rule": "data-subject-access", "form": "identified"}],
        withheld={},
        organisations=_organisations_of(subject),
    )


def _organisations_of(subject: str) -> tuple[str, ...]:
    found = release_policy().directory.subject(subject)
    return found.orgs if found is not None else ()


@blp.route("", methods=["GET"])
@blp.response(200, description="My roster record (OneRoster 1.2 user, with demographics)")
@blp.doc(security=[{"basicAuth": []}])
def me():
    """My roster record."""
    subject = require_subject(g.principal)
    record = rights.my_record(subject)
    _audit("me", subject, ["roster.identity", "roster.demographics"])
    return jsonify(record)


@blp.route("/export", methods=["GET"])
@blp.response(200, description="A zip archive: manifest.json and JSON files of everything about me")
@blp.doc(security=[{"basicAuth": []}])
def export():
    """Everything the gateway holds about me, as one portable archive."""
    subject = require_subject(g.principal)
    archive = rights.export_archive(subject)
    _audit("me.export", subject, ["*"])
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return Response(
        archive,
        mimetype="application/zip",
        headers={"Content-Disposition": f'attachment; filename="kakehashi-export-{stamp}.zip"'},
    )


def _erase():
    subject = require_subject(g.principal)
    body = request.get_json(silent=True) if request.data else {}
    if not isinstance(body, dict) or body.get("confirm") != ERASE_CONFIRMATION:
        raise BadRequest(
            f'erasure cannot be undone: send {{"confirm": "{ERASE_CONFIRMATION}"}} to confirm',
            details={"field": "confirm"},
        )
    role = "student" if acting_actor(g.principal) == subject else "guardian"
    return jsonify(rights.erase_subject(subject, requested_by_role=role, requested_via=g.principal.client_id))


@blp.route("/erase", methods=["POST"])
@blp.response(200, description="The tombstone of the erasure (no identifiers) and what was removed")
@blp.doc(security=[{"basicAuth": []}])
def erase():
    """Erase everything about me (body {"confirm": "erase"}): statements purged, documents, roster
    records and consents removed, a tombstone recorded."""
    return _erase()


@blp.route("", methods=["DELETE"])
@blp.response(200, description="As POST /me/erase")
@blp.doc(security=[{"basicAuth": []}])
def delete_me():
    """Erase everything about me (as POST /me/erase)."""
    return _erase()
