"""HTTP endpoints of the Activities and Agents resources under /xapi: thin views over
gateway.lrs.activities.service, authenticated and version-negotiated like /xapi/statements
(whose module also adds the version and CORS headers of every /xapi response)."""

from __future__ import annotations

import marshmallow as ma
from flask import current_app, g, jsonify

from gateway.extensions import Blueprint
from gateway.lrs.activities import service
from gateway.lrs.identifiers import agent_key
from gateway.lrs.service import authority_for
from gateway.lrs.views import authenticate_and_negotiate

blp = Blueprint(
    "xapi_activities",
    __name__,
    url_prefix="/xapi",
    description="xAPI Activities and Agents resources: canonical Activities and Person objects",
)
blp.before_request(authenticate_and_negotiate)


class ActivityArgs(ma.Schema):
    activityId = ma.fields.String(required=True, metadata={"description": "Activity id (IRI)"})


class AgentArgs(ma.Schema):
    agent = ma.fields.String(
        required=True,
        metadata={"description": "JSON Agent with exactly one inverse functional identifier (not a Group)"},
    )


@blp.route("/activities")
@blp.arguments(ActivityArgs, location="query", as_kwargs=True)
@blp.response(200, description="The Activity object, with the LRS's canonical definition when it has one")
@blp.doc(security=[{"basicAuth": []}])
def activity(activityId):  # noqa: N803 - the xAPI parameter name
    """The canonical Activity object, merged from the definitions in stored statements."""
    return jsonify(service.canonical_activity(g.principal, activityId, g.xapi_version))


@blp.route("/agents")
@blp.arguments(AgentArgs, location="query", as_kwargs=True)
@blp.response(200, description="A Person object: arrays of names and of the given identifier")
@blp.doc(security=[{"basicAuth": []}])
def person(agent):
    """The Person object for an Agent: its identifier and the names stored statements gave it."""
    own_authority = agent_key(authority_for(g.principal, current_app.config["KAKEHASHI_PUBLIC_URL"]))
    return jsonify(service.person(g.principal, agent, g.xapi_version, own_authority))
