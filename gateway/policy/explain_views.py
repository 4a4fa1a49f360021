"""POST /policy/explain: which data a client would receive for a request, in which form and why
(admins: scope audit.read); a thin view over gateway.policy.explain."""

from __future__ import annotations

import marshmallow as ma
from flask import g, jsonify

from gateway.auth.http import authenticate_request
from gateway.errors import Forbidden
from gateway.extensions import Blueprint
from gateway.policy.explain import explain
from gateway.policy.principals import require_scope

blp = Blueprint("policy", __name__, url_prefix="/policy", description="The release policy, explained")


@blp.before_request
def _authenticate() -> None:
    authenticate_request("Kakehashi")


class ExplainRequest(ma.Schema):
    class Meta:
        unknown = ma.RAISE

    client_id = ma.fields.String(required=True, metadata={"description": "The recipient client"})
    resource = ma.fields.String(
        required=True,
        metadata={"description": "xapi/statements or oneroster/<entity> (e.g. oneroster/users)"},
    )
    params = ma.fields.Dict(
        load_default=dict,
        metadata={"description": "statements: statementId or limit (1..100); oneroster: sourcedId"},
    )


@blp.route("/explain", methods=["POST"])
@blp.arguments(ExplainRequest)
@blp.response(200, description="Per item: the profile, the decision on the whole and on each field, and why")
@blp.doc(security=[{"basicAuth": []}])
def explain_release(body):
    """Which fields `client_id` would receive for a request, in which form, by which rule and consent
    (scope audit.read, a deployment administrator: a client registered without an organisation,
    since the answer names any organisation's students). Reads only; writes no audit entry."""
    require_scope(g.principal, "audit.read")
    if getattr(g.principal, "organisation", None) is not None:
        raise Forbidden(
            "explain is for deployment administrators (an audit.read client without an organisation): "
            "it answers about every organisation's students",
            code="insufficient_scope",
            details={"organisation": g.principal.organisation},
        )
    return jsonify(explain(body["client_id"], body["resource"], body["params"]))
