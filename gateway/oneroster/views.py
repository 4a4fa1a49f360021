"""HTTP endpoints of the OneRoster Rostering services: 1.2 under /ims/oneroster/rostering/v1p2 and
1.1 under /ims/oneroster/v1p1, one thin view per operation of `gateway.oneroster.operations`.

Requests authenticate with HTTP Basic client credentials; the operation's scope is checked before
the query parameters are, and errors are imsx_StatusInfo payloads (gateway.oneroster.status_info).
Collections answer with `X-Total-Count` and an RFC 8288 `Link` header (first, prev, next, last).
"""

from __future__ import annotations

from urllib.parse import urlencode

import marshmallow as ma
from flask import Flask, current_app, g, jsonify, request
from webargs.fields import DelimitedList

from gateway.auth.http import authenticate_request
from gateway.extensions import Blueprint
from gateway.http_errors import register_error_renderer
from gateway.oneroster import service
from gateway.oneroster.operations import OPERATIONS, RosterOperation
from gateway.oneroster.representation import Representation
from gateway.oneroster.status_info import status_info_response
from gateway.policy.release import require_roster_read

ONEROSTER_PREFIX = "/ims/oneroster/"
REALM = "Kakehashi OneRoster"
SERVICES = {
    # version: (blueprint name, URL prefix, resources service prefix, description)
    "1.2": (
        "oneroster_v1p2",
        "/ims/oneroster/rostering/v1p2",
        "/ims/oneroster/resources/v1p2",
        "OneRoster 1.2 Rostering service (read): orgs, academic sessions, courses, classes, users, "
        "enrollments, demographics",
    ),
    "1.1": (
        "oneroster_v1p1",
        "/ims/oneroster/v1p1",
        "/ims/oneroster/v1p1",
        "OneRoster 1.1 Rostering service (read): the same roster in the 1.1 JSON binding",
    ),
}


class CollectionArgs(ma.Schema):
    limit = ma.fields.Integer(
        load_default=service.DEFAULT_LIMIT,
        validate=ma.validate.Range(min=1),
        metadata={
            "description": f"Records per response (default 100; at most {service.MAX_LIMIT} are served)"
        },
    )
    offset = ma.fields.Integer(load_default=0, validate=ma.validate.Range(min=0))
    sort = ma.fields.String(metadata={"description": "Field to sort on (default: sourcedId)"})
    orderBy = ma.fields.String(validate=ma.validate.OneOf(["asc", "desc"]), load_default="asc")
    filter = ma.fields.String(
        metadata={"description": "OneRoster filter, e.g. status='active' AND dateLastModified>'2026-04-01'"}
    )
    fields = DelimitedList(ma.fields.String(), metadata={"description": "Comma-separated fields to return"})


class SingleArgs(ma.Schema):
    fields = DelimitedList(ma.fields.String(), metadata={"description": "Comma-separated fields to return"})


class CodeMinorFieldSchema(ma.Schema):
    imsx_codeMinorFieldName = ma.fields.String(required=True)
    imsx_codeMinorFieldValue = ma.fields.String(required=True)


class CodeMinorSchema(ma.Schema):
    imsx_codeMinorField = ma.fields.List(ma.fields.Nested(CodeMinorFieldSchema), required=True)


class StatusInfoSchema(ma.Schema):
    """OneRoster's error payload (imsx_StatusInfo)."""

    imsx_codeMajor = ma.fields.String(required=True)
    imsx_severity = ma.fields.String(required=True)
    imsx_description = ma.fields.String()
    imsx_CodeMinor = ma.fields.Nested(CodeMinorSchema)


_PAYLOAD_SCHEMAS: dict[str, type[ma.Schema]] = {}


def _payload_schema(key: str, single: bool) -> type[ma.Schema]:
    """A loose schema naming the payload's key (the records' shape is the OneRoster binding's)."""
    if key not in _PAYLOAD_SCHEMAS:
        value = ma.fields.Dict() if single else ma.fields.List(ma.fields.Dict())
        _PAYLOAD_SCHEMAS[key] = ma.Schema.from_dict(
            {key: value}, name=f"OneRoster{key[0].upper()}{key[1:]}{'' if single else 'Set'}"
        )
    return _PAYLOAD_SCHEMAS[key]


def _representation(version: str) -> Representation:
    public = current_app.config["KAKEHASHI_PUBLIC_URL"].rstrip("/")
    _, prefix, resources, _ = SERVICES[version]
    return Representation(version, public + prefix, public + resources)


def link_header(page: service.Page) -> str | None:
    """RFC 8288 links to the first, previous, next and last pages, keeping the other parameters."""
    base = current_app.config["KAKEHASHI_PUBLIC_URL"].rstrip("/") + request.path
    kept = [
        (name, value) for name, value in request.args.items(multi=True) if name not in ("limit", "offset")
    ]

    def url(offset: int) -> str:
        return f"{base}?{urlencode([*kept, ('limit', page.limit), ('offset', offset)])}"

    last = max(0, (page.total - 1) // page.limit * page.limit)
    links = [(url(0), "first")]
    if page.offset > 0:
        links.append((url(max(0, min(page.offset - page.limit, last))), "prev"))
    if page.offset + page.limit < page.total:
        links.append((url(page.offset + page.limit), "next"))
    links.append((url(last), "last"))
    return ", ".join(f'<{target}>; rel="{relation}"' for target, relation in links)


def _collection_view(operation: RosterOperation, version: str):
    def view(args, **params):
        query = service.CollectionQuery(
            limit=args["limit"],
            offset=args["offset"],
            sort=args.get("sort"),
            order_by=args["orderBy"],
            filter=args.get("filter"),
            fields=tuple(args.get("fields") or ()),
        )
        page = service.read_collection(g.principal, operation, _representation(version), params, query)
        response = jsonify({operation.key: page.records})
        response.headers["X-Total-Count"] = str(page.total)
        response.headers["Link"] = link_header(page)
        return response

    return view


def _single_view(operation: RosterOperation, version: str):
    def view(args, sourcedId):  # noqa: N803 - the OneRoster parameter name
        fields = tuple(args.get("fields") or ())
        record = service.read_record(g.principal, operation, _representation(version), sourcedId, fields)
        return jsonify({operation.key: record})

    return view


def build_blueprint(version: str) -> Blueprint:
    name, prefix, _, description = SERVICES[version]
    blp = Blueprint(name, __name__, url_prefix=prefix, description=description)
    by_endpoint = {f"{name}.{operation.operation_id}": operation for operation in OPERATIONS}

    @blp.before_request
    def authenticate_and_authorise() -> None:
        # Before the query parameters are parsed: 401, then 403, then 400.
        g.principal = authenticate_request(REALM)
        operation = by_endpoint.get(request.endpoint)
        if operation is not None:
            require_roster_read(g.principal, operation.access)

    suffix = "" if version == "1.2" else "V1p1"
    for operation in OPERATIONS:
        make = _single_view if operation.single else _collection_view
        view = make(operation, version)
        view.__name__ = operation.operation_id
        view.__doc__ = f"OneRoster {version} {operation.operation_id}: {operation.path}"
        headers = None if operation.single else {
            "X-Total-Count": {"description": "How many records the whole collection has", "schema": {"type": "integer"}},
            "Link": {"description": "RFC 8288 links: first, prev, next, last", "schema": {"type": "string"}},
        }  # fmt: skip
        decorated = blp.doc(operationId=operation.operation_id + suffix, security=[{"basicAuth": []}])(view)
        for status, why in (
            (400, "Invalid query parameter, filter field or selection field"),
            (401, "No or invalid client credentials"),
            (403, "The client lacks the OneRoster scope"),
            (404, "Unknown sourcedId (unknownobject)"),
        ):
            decorated = blp.alt_response(status, schema=StatusInfoSchema, description=why)(decorated)
        decorated = blp.response(
            200, _payload_schema(operation.key, operation.single), description="The records", headers=headers
        )(decorated)
        decorated = blp.arguments(SingleArgs if operation.single else CollectionArgs, location="query")(
            decorated
        )
        blp.route(operation.flask_rule, endpoint=operation.operation_id, methods=["GET"])(decorated)
    return blp


def register(app: Flask, api) -> None:
    """The OneRoster services and their error payload, on `app`."""
    register_error_renderer(app, ONEROSTER_PREFIX, status_info_response)
    for version in SERVICES:
        api.register_blueprint(build_blueprint(version))
