"""HTTP endpoints of consents: grant, list, receipt, revoke; thin views over gateway.policy.consent.

Who may do what:
- a token acting for a student (authorization_code; Principal.subject/actor) lists and revokes that
  student's consents; when it is a `student_app` client's, it also grants for that student (the
  actor must pass `may_grant`: the student by the age rule, or a linked guardian). Any other
  client's token acting for a student may not grant (403 `not_a_student_app`): consent.write would
  otherwise let, say, a provider give itself the student's consent;
- a school or board client (with an organisation) records a paper consent for a student of its
  organisation (the signer named in `granted_by` must pass `may_grant`), lists and revokes consents
  of its organisation's students;
- a recipient client lists the consents given to it and may revoke (give up) them.
Reads need scope consent.read, writes consent.write.
"""

from __future__ import annotations

from datetime import UTC, datetime

import marshmallow as ma
from flask import g, jsonify

from gateway.auth.documents import ApiClient
from gateway.auth.http import authenticate_request
from gateway.errors import BadRequest, Forbidden, NotFound
from gateway.extensions import Blueprint
from gateway.oneroster import store
from gateway.policy import consent
from gateway.policy.principals import (
    acting_actor,
    acting_subject,
    organisation_of,
    require_scope,
    require_subject,
)

blp = Blueprint(
    "consents",
    __name__,
    url_prefix="/consents",
    description="Consents of students (or guardians) to recipients: ISO/IEC TS 27560 receipts, revocation",
)
me_blp = Blueprint("me_consents", __name__, url_prefix="/me", description="My data: consents")
SCHOOL_ROLES = ("school", "board")
STUDENT_APP_ROLE = "student_app"
STATUSES = ("active", "pending", "expired", "revoked")


@blp.before_request
@me_blp.before_request
def _authenticate() -> None:
    authenticate_request("Kakehashi")


class ConsentGrantSchema(ma.Schema):
    class Meta:
        unknown = ma.RAISE

    subject = ma.fields.String(metadata={"description": "Student sourcedId (default: the token's subject)"})
    granted_by = ma.fields.String(
        metadata={"description": "Paper consent only: sourcedId of the student or guardian who signed"}
    )
    recipient_client_id = ma.fields.String(
        required=True, metadata={"description": "The client receiving the data"}
    )
    purpose = ma.fields.String(
        required=True, metadata={"description": "A purpose id of profiles/data-categories.yaml"}
    )
    categories = ma.fields.List(ma.fields.String(), required=True, validate=ma.validate.Length(min=1))
    valid_from = ma.fields.AwareDateTime(metadata={"description": "Start (default: now)"})
    valid_until = ma.fields.AwareDateTime(required=True)


class ConsentListArgs(ma.Schema):
    subject = ma.fields.String()
    recipient = ma.fields.String(metadata={"description": "Recipient client id"})
    status = ma.fields.String(validate=ma.validate.OneOf(STATUSES))
    offset = ma.fields.Integer(load_default=0, validate=ma.validate.Range(min=0, max=2**31 - 1))
    limit = ma.fields.Integer(load_default=100, validate=ma.validate.Range(min=1, max=1000))


def _user(sourced_id: str, field: str) -> dict:
    user = store.find_one("users", sourced_id)
    if user is None:
        raise BadRequest(f"{field}: no roster user {sourced_id!r}", details={"field": field})
    return user


def _visibility(principal) -> dict:
    """The consents this principal may see, as query criteria."""
    subject = acting_subject(principal)
    if subject:
        return {"subject": subject}
    if principal.role in SCHOOL_ROLES:
        organisation = organisation_of(principal)
        if not organisation:
            raise Forbidden(
                "a school or board client without an organisation sees no consents", code="no_organisation"
            )
        return {"subject_organisations": organisation}
    return {"recipient_client_id": principal.client_id}


def _visible(principal, consent_id: str) -> dict:
    document = consent.find_consent(consent_id)
    criteria = _visibility(principal)
    for key, value in criteria.items():
        held = document.get(key)
        if not (held == value or (isinstance(held, list) and value in held)):
            raise NotFound(f"no consent with id {consent_id!r}", details={"consent": consent_id})
    return document


@blp.route("", methods=["POST"])
@blp.arguments(ConsentGrantSchema, as_kwargs=True)
@blp.response(201, description="The consent receipt (ISO/IEC TS 27560 fields)")
@blp.doc(security=[{"basicAuth": []}])
def grant(
    recipient_client_id, purpose, categories, valid_until, subject=None, granted_by=None, valid_from=None
):
    """Record a consent: given through a student app (token acting for a student or guardian), or a
    paper consent recorded by the student's school or board."""
    principal = g.principal
    require_scope(principal, "consent.write")
    token_subject = acting_subject(principal)
    if token_subject:
        if principal.role != STUDENT_APP_ROLE:
            raise Forbidden(
                f"consents are given through a {STUDENT_APP_ROLE} client; this {principal.role} "
                "client's token acting for a student may not grant one",
                code="not_a_student_app",
                details={"role": principal.role},
            )
        if subject not in (None, token_subject):
            raise Forbidden(
                "a token acting for a student grants consent for that student only", code="wrong_subject"
            )
        if granted_by is not None:
            raise BadRequest(
                "granted_by is for paper consents; the token's user grants", details={"field": "granted_by"}
            )
        subject, granted_by, method = token_subject, acting_actor(principal), "electronic"
    elif principal.role in SCHOOL_ROLES:
        if not subject or not granted_by:
            raise BadRequest(
                "a paper consent names the subject and who signed it (granted_by)",
                details={"field": "subject" if not subject else "granted_by"},
            )
        method = "paper"
    else:
        raise Forbidden(
            "consents are given by students or guardians (through a student app) or recorded by their school",
            code="not_a_grantor",
        )
    subject_user = _user(subject, "subject")
    actor_user = subject_user if granted_by == subject else _user(granted_by, "granted_by")
    if method == "paper":
        organisation = organisation_of(principal)
        if not organisation or organisation not in consent.organisations_of_user(subject_user):
            raise Forbidden("the student is not in this client's organisation", code="not_your_student")
    role = consent.grantor_role(actor_user, subject_user)
    if role is None:
        raise Forbidden(
            f"{granted_by} may not consent for {subject}: a student consents alone from age "
            f"{consent.min_age()} (birthDate known), otherwise a linked guardian does",
            code="may_not_grant",
            details={"min_age": consent.min_age()},
        )
    recipient = ApiClient.objects(client_id=recipient_client_id).only("organisation", "disabled").first()
    if recipient is None or recipient.disabled:
        raise BadRequest(
            f"no active client {recipient_client_id!r}", details={"field": "recipient_client_id"}
        )
    receipt = consent.grant_consent(
        subject=subject,
        granted_by=granted_by,
        granted_by_role=role,
        recipient_client_id=recipient_client_id,
        recipient_organisation=recipient.organisation,
        purpose=purpose,
        categories=categories,
        valid_from=valid_from or datetime.now(UTC),
        valid_until=valid_until,
        collection_method=method,
        recorded_by=principal.client_id,
    )
    response = jsonify(receipt)
    response.status_code = 201
    response.headers["Location"] = f"/consents/{receipt['kakehashi']['id']}"
    return response


@blp.route("", methods=["GET"])
@blp.arguments(ConsentListArgs, location="query", as_kwargs=True)
@blp.response(200, description="A page of consent receipts, newest first, total in X-Total-Count")
@blp.doc(security=[{"basicAuth": []}])
def list_consents(subject=None, recipient=None, status=None, offset=0, limit=100):
    """The consents this client may see (its students', or those given to it)."""
    require_scope(g.principal, "consent.read")
    total, receipts = consent.list_consents(
        criteria=_visibility(g.principal),
        subject=subject,
        recipient_client_id=recipient,
        status=status,
        offset=offset,
        limit=limit,
    )
    response = jsonify({"consents": receipts, "total": total, "offset": offset, "limit": limit})
    response.headers["X-Total-Count"] = str(total)
    return response


@blp.route("/<consent_id>", methods=["GET"])
@blp.response(200, description="The consent receipt")
@blp.doc(security=[{"basicAuth": []}])
def get_consent(consent_id):
    """One consent receipt (404 when unknown or not visible to this client)."""
    require_scope(g.principal, "consent.read")
    return jsonify(consent.receipt(_visible(g.principal, consent_id)))


def _revoke(consent_id: str):
    principal = g.principal
    require_scope(principal, "consent.write")
    _visible(principal, consent_id)
    by = acting_actor(principal) or f"client:{principal.client_id}"
    return jsonify(consent.revoke_consent(consent_id, by=by))


@blp.route("/<consent_id>/revoke", methods=["POST"])
@blp.response(200, description="The receipt, now revoked; 409 when it already was")
@blp.doc(security=[{"basicAuth": []}])
def revoke_consent(consent_id):
    """Revoke a consent, with effect on the very next request."""
    return _revoke(consent_id)


@blp.route("/<consent_id>", methods=["DELETE"])
@blp.response(200, description="The receipt, now revoked; 409 when it already was")
@blp.doc(security=[{"basicAuth": []}])
def delete_consent(consent_id):
    """Revoke a consent (the record stays, as a revoked one)."""
    return _revoke(consent_id)


@me_blp.route("/consents", methods=["GET"])
@me_blp.response(200, description="My consent receipts, newest first")
@me_blp.doc(security=[{"basicAuth": []}])
def my_consents():
    """The consents given for me (token acting for a student, scope me)."""
    subject = require_subject(g.principal)
    total, receipts = consent.list_consents(subject=subject, limit=1000)
    return jsonify({"consents": receipts, "total": total})
