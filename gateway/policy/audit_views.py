"""HTTP endpoints of the release audit log: the admin query (scope audit.read) and "who saw my data"
(`/me/audit`, a token acting for a student with scope me); thin views over gateway.policy.audit.

An administrator client registered for an organisation (a school's or a board's, `--organisation`)
reads the entries that concern it (audit.concerns: data about its students, releases to its own
clients); one registered without an organisation (a deployment administrator) reads every entry."""

from __future__ import annotations

import marshmallow as ma
from flask import g, jsonify

from gateway.auth.http import authenticate_request
from gateway.errors import BadRequest, NotFound
from gateway.extensions import Blueprint
from gateway.policy import audit
from gateway.policy.principals import require_scope, require_subject
from gateway.policy.release import release_policy

blp = Blueprint("audit", __name__, url_prefix="/audit", description="The release audit log (hash-chained)")
me_blp = Blueprint("me_audit", __name__, url_prefix="/me", description="My data: who saw it")


@blp.before_request
@me_blp.before_request
def _authenticate() -> None:
    authenticate_request("Kakehashi")


class AuditQueryArgs(ma.Schema):
    client = ma.fields.String(metadata={"description": "Recipient client id"})
    subject = ma.fields.String(metadata={"description": "Student sourcedId the data was about"})
    since = ma.fields.AwareDateTime(metadata={"description": "Entries at or after (ISO 8601 with zone)"})
    until = ma.fields.AwareDateTime(metadata={"description": "Entries before (ISO 8601 with zone)"})
    offset = ma.fields.Integer(load_default=0, validate=ma.validate.Range(min=0, max=2**31 - 1))
    limit = ma.fields.Integer(load_default=100, validate=ma.validate.Range(min=1, max=1000))


class MyAuditArgs(ma.Schema):
    since = ma.fields.AwareDateTime()
    until = ma.fields.AwareDateTime()
    offset = ma.fields.Integer(load_default=0, validate=ma.validate.Range(min=0, max=2**31 - 1))
    limit = ma.fields.Integer(load_default=100, validate=ma.validate.Range(min=1, max=1000))


def _page(total: int, entries: list[dict], offset: int, limit: int):
    response = jsonify({"entries": entries, "total": total, "offset": offset, "limit": limit})
    response.headers["X-Total-Count"] = str(total)
    return response


def _check_window(since, until) -> None:
    if since is not None and until is not None and until <= since:
        raise BadRequest("until must be after since", details={"field": "until"})


@blp.route("")
@blp.arguments(AuditQueryArgs, location="query", as_kwargs=True)
@blp.response(200, description="A page of audit entries, newest first, total in X-Total-Count")
@blp.doc(security=[{"basicAuth": []}])
def query_audit(client=None, subject=None, since=None, until=None, offset=0, limit=100):
    """Release audit entries by recipient client, subject and time (scope audit.read)."""
    require_scope(g.principal, "audit.read")
    _check_window(since, until)
    organisation = getattr(g.principal, "organisation", None)
    if organisation is not None and subject is not None and not _under(subject, organisation):
        return _page(0, [], offset, limit)  # a student of another organisation: as an unknown one
    total, entries = audit.query_entries(
        client_id=client,
        subject=subject,
        since=since,
        until=until,
        offset=offset,
        limit=limit,
        organisation=organisation,
    )
    return _page(total, entries, offset, limit)


def _under(subject: str, organisation: str) -> bool:
    """Whether the roster user `subject` belongs to `organisation` (their school or its board)."""
    found = release_policy().directory.subject(subject)
    return found is not None and organisation in found.orgs


@blp.route("/<entry_id>")
@blp.response(200, description="One audit entry (the decision record a response's Link header names)")
@blp.doc(security=[{"basicAuth": []}])
def get_entry(entry_id):
    """One audit entry: with scope audit.read, any (a deployment administrator) or those that
    concern the client's organisation; and the entries of releases to the calling client itself
    (the decision record its response's Link names). Others answer 404, as a missing entry does."""
    entry = audit.find_entry(entry_id)
    organisation = getattr(g.principal, "organisation", None)
    readable = entry is not None and (
        entry["client_id"] == g.principal.client_id
        or (
            "audit.read" in g.principal.scopes
            and (organisation is None or audit.concerns(entry, organisation))
        )
    )
    if not readable:
        entry = None
    if entry is None:
        raise NotFound(f"no audit entry {entry_id!r}", details={"entry": entry_id})
    return jsonify(entry)


@me_blp.route("/audit")
@me_blp.arguments(MyAuditArgs, location="query", as_kwargs=True)
@me_blp.response(200, description="Who received data about me, newest first")
@me_blp.doc(security=[{"basicAuth": []}])
def my_audit(since=None, until=None, offset=0, limit=100):
    """Who saw my data: every release that included data about me (token acting for me, scope me)."""
    subject = require_subject(g.principal)
    _check_window(since, until)
    total, entries = audit.query_entries(
        subject=subject, since=since, until=until, offset=offset, limit=limit
    )
    return _page(total, [audit.for_subject(entry, subject) for entry in entries], offset, limit)
