"""HTTP endpoints of the document resources under /xapi: thin views over
gateway.lrs.xapi_documents.service, authenticated and version-negotiated like /xapi/statements
(whose module also adds the version and CORS headers of every /xapi response)."""

from __future__ import annotations

import json

import marshmallow as ma
from flask import current_app, g, request
from flask.views import MethodView
from werkzeug.datastructures import ETags

from gateway.extensions import Blueprint
from gateway.lrs.views import authenticate_and_negotiate
from gateway.lrs.xapi_documents import service
from gateway.lrs.xapi_documents.service import (
    DocumentContext,
    EntityTags,
    IncomingDocument,
    Preconditions,
    StoredDocument,
)

blp = Blueprint(
    "xapi_documents",
    __name__,
    url_prefix="/xapi",
    description="xAPI document resources: State, Activity Profile and Agent Profile (1.0.3 and 2.0)",
)
blp.before_request(authenticate_and_negotiate)

_SECURITY = [{"basicAuth": []}]
_DOCUMENT_BODY = {
    "description": "The document, stored as sent with its Content-Type. POST merges a JSON object "
    "into an existing JSON object document.",
    "content": {
        "application/json": {"schema": {"type": "object"}},
        "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
    },
}


def _string(description: str, *, required: bool = False) -> ma.fields.String:
    return ma.fields.String(required=required, metadata={"description": description})


_ACTIVITY_ID = "Activity id (IRI)"
_AGENT = "JSON Agent (or identified Group) with exactly one inverse functional identifier"
_REGISTRATION = "Registration UUID"
_SINCE = "Only ids of documents stored or updated after this ISO 8601 timestamp (exclusive)"


class StateArgs(ma.Schema):
    activityId = _string(_ACTIVITY_ID, required=True)
    agent = _string(_AGENT, required=True)
    registration = _string(_REGISTRATION)
    stateId = _string("Id of the state document", required=True)


class StateDeleteArgs(StateArgs):
    stateId = _string("Id of the state document; without it, every state of the context is deleted")


class StateGetArgs(StateDeleteArgs):
    stateId = _string("Id of the state document; without it, the ids of the context's documents")
    since = _string(_SINCE)


class ActivityProfileArgs(ma.Schema):
    activityId = _string(_ACTIVITY_ID, required=True)
    profileId = _string("Id of the profile document", required=True)


class ActivityProfileGetArgs(ActivityProfileArgs):
    profileId = _string("Id of the profile document; without it, the ids of the activity's documents")
    since = _string(_SINCE)


class AgentProfileArgs(ma.Schema):
    agent = _string(_AGENT, required=True)
    profileId = _string("Id of the profile document", required=True)


class AgentProfileGetArgs(AgentProfileArgs):
    profileId = _string("Id of the profile document; without it, the ids of the agent's documents")
    since = _string(_SINCE)


def _incoming() -> IncomingDocument:
    return IncomingDocument(
        request.get_data(), request.headers.get("Content-Type") or service.DEFAULT_CONTENT_TYPE
    )


def _entity_tags(header: str) -> EntityTags | None:
    if header not in request.headers:
        return None
    tags: ETags = request.if_match if header == "If-Match" else request.if_none_match
    return EntityTags(
        star=tags.star_tag,
        strong=frozenset(tags.as_set()),
        all=frozenset(tags.as_set(include_weak=True)),
    )


def _preconditions() -> Preconditions:
    return Preconditions(_entity_tags("If-Match"), _entity_tags("If-None-Match"))


def _document_response(document: StoredDocument):
    response = current_app.response_class(document.content, 200, content_type=document.content_type)
    response.set_etag(document.etag)
    response.last_modified = document.updated
    environ = request.environ
    if request.if_match.star_tag:
        # "*" matches any current representation (RFC 9110 §13.1.1), and one exists here; werkzeug
        # would answer 412 (it compares "*" as if it were a tag)
        environ = {key: value for key, value in environ.items() if key != "HTTP_IF_MATCH"}
    return response.make_conditional(environ)


def _get(context: DocumentContext, document_id: str | None, since: str | None):
    if document_id is not None:
        return _document_response(
            service.get_document(g.principal, g.xapi_version, context, document_id, since)
        )
    listing = service.list_document_ids(g.principal, context, service.since_parameter(since, g.xapi_version))
    body = json.dumps(listing.ids, ensure_ascii=False).encode()
    response = current_app.response_class(body, 200, mimetype="application/json")
    response.set_etag(service.document_etag(body))
    if listing.last_modified is not None:
        response.last_modified = listing.last_modified
    return response


@blp.route("/activities/state")
class State(MethodView):
    @blp.arguments(StateGetArgs, location="query", as_kwargs=True)
    @blp.response(200, description="The document (with ETag and Last-Modified), or a JSON array of stateIds")
    @blp.doc(security=_SECURITY)
    def get(self, activityId, agent, stateId=None, registration=None, since=None):  # noqa: N803
        """One state document by `stateId`, or the stateIds of an Activity and Agent (+ registration)."""
        if stateId is None:
            context = service.all_states_context(activityId, agent, registration, g.xapi_version)
        else:
            context = service.state_context(activityId, agent, registration, g.xapi_version)
        return _get(context, stateId, since)

    @blp.arguments(StateArgs, location="query", as_kwargs=True)
    @blp.response(204)
    @blp.doc(security=_SECURITY, requestBody=_DOCUMENT_BODY)
    def put(self, activityId, agent, stateId, registration=None):  # noqa: N803
        """Store a state document, replacing any previous one.

        `If-Match` / `If-None-Match` are honoured (412 when they do not hold). xAPI 2.0 refuses a PUT
        without either over an existing document (409); xAPI 1.0.3 lets it overwrite.
        """
        context = service.state_context(activityId, agent, registration, g.xapi_version)
        service.put_document(g.principal, g.xapi_version, context, stateId, _incoming(), _preconditions())

    @blp.arguments(StateArgs, location="query", as_kwargs=True)
    @blp.response(204)
    @blp.doc(security=_SECURITY, requestBody=_DOCUMENT_BODY)
    def post(self, activityId, agent, stateId, registration=None):  # noqa: N803
        """Store a state document, or merge a JSON object into the stored JSON object."""
        context = service.state_context(activityId, agent, registration, g.xapi_version)
        service.post_document(g.principal, context, stateId, _incoming(), _preconditions())

    @blp.arguments(StateDeleteArgs, location="query", as_kwargs=True)
    @blp.response(204)
    @blp.doc(security=_SECURITY)
    def delete(self, activityId, agent, stateId=None, registration=None):  # noqa: N803
        """Delete one state document, or (without `stateId`) all of an Activity and Agent (+ registration)."""
        if stateId is None:
            context = service.all_states_context(activityId, agent, registration, g.xapi_version)
            service.delete_documents(g.principal, context)
        else:
            context = service.state_context(activityId, agent, registration, g.xapi_version)
            service.delete_document(g.principal, context, stateId, _preconditions())


@blp.route("/activities/profile")
class ActivityProfile(MethodView):
    @blp.arguments(ActivityProfileGetArgs, location="query", as_kwargs=True)
    @blp.response(
        200, description="The document (with ETag and Last-Modified), or a JSON array of profileIds"
    )
    @blp.doc(security=_SECURITY)
    def get(self, activityId, profileId=None, since=None):  # noqa: N803
        """One activity profile document by `profileId`, or the profileIds of an Activity."""
        return _get(service.activity_profile_context(activityId, g.xapi_version), profileId, since)

    @blp.arguments(ActivityProfileArgs, location="query", as_kwargs=True)
    @blp.response(204)
    @blp.doc(security=_SECURITY, requestBody=_DOCUMENT_BODY)
    def put(self, activityId, profileId):  # noqa: N803
        """Store an activity profile document, replacing any previous one.

        `If-Match` / `If-None-Match` are honoured (412 when they do not hold); a PUT without either over
        an existing document is refused (409).
        """
        context = service.activity_profile_context(activityId, g.xapi_version)
        service.put_document(g.principal, g.xapi_version, context, profileId, _incoming(), _preconditions())

    @blp.arguments(ActivityProfileArgs, location="query", as_kwargs=True)
    @blp.response(204)
    @blp.doc(security=_SECURITY, requestBody=_DOCUMENT_BODY)
    def post(self, activityId, profileId):  # noqa: N803
        """Store an activity profile document, or merge a JSON object into the stored JSON object."""
        context = service.activity_profile_context(activityId, g.xapi_version)
        service.post_document(g.principal, context, profileId, _incoming(), _preconditions())

    @blp.arguments(ActivityProfileArgs, location="query", as_kwargs=True)
    @blp.response(204)
    @blp.doc(security=_SECURITY)
    def delete(self, activityId, profileId):  # noqa: N803
        """Delete an activity profile document."""
        context = service.activity_profile_context(activityId, g.xapi_version)
        service.delete_document(g.principal, context, profileId, _preconditions())


@blp.route("/agents/profile")
class AgentProfile(MethodView):
    @blp.arguments(AgentProfileGetArgs, location="query", as_kwargs=True)
    @blp.response(
        200, description="The document (with ETag and Last-Modified), or a JSON array of profileIds"
    )
    @blp.doc(security=_SECURITY)
    def get(self, agent, profileId=None, since=None):  # noqa: N803
        """One agent profile document by `profileId`, or the profileIds of an Agent."""
        return _get(service.agent_profile_context(agent, g.xapi_version), profileId, since)

    @blp.arguments(AgentProfileArgs, location="query", as_kwargs=True)
    @blp.response(204)
    @blp.doc(security=_SECURITY, requestBody=_DOCUMENT_BODY)
    def put(self, agent, profileId):  # noqa: N803
        """Store an agent profile document, replacing any previous one.

        `If-Match` / `If-None-Match` are honoured (412 when they do not hold); a PUT without either over
        an existing document is refused (409).
        """
        context = service.agent_profile_context(agent, g.xapi_version)
        service.put_document(g.principal, g.xapi_version, context, profileId, _incoming(), _preconditions())

    @blp.arguments(AgentProfileArgs, location="query", as_kwargs=True)
    @blp.response(204)
    @blp.doc(security=_SECURITY, requestBody=_DOCUMENT_BODY)
    def post(self, agent, profileId):  # noqa: N803
        """Store an agent profile document, or merge a JSON object into the stored JSON object."""
        context = service.agent_profile_context(agent, g.xapi_version)
        service.post_document(g.principal, context, profileId, _incoming(), _preconditions())

    @blp.arguments(AgentProfileArgs, location="query", as_kwargs=True)
    @blp.response(204)
    @blp.doc(security=_SECURITY)
    def delete(self, agent, profileId):  # noqa: N803
        """Delete an agent profile document."""
        context = service.agent_profile_context(agent, g.xapi_version)
        service.delete_document(g.principal, context, profileId, _preconditions())
