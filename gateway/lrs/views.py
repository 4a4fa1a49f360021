"""HTTP endpoints of the LRS under /xapi: thin views over gateway.lrs.service."""

from __future__ import annotations

from flask import current_app, g, jsonify, request, url_for
from flask.views import MethodView
from werkzeug.http import http_date

from gateway.auth.http import authenticate_request
from gateway.auth.service import remember_xapi_version
from gateway.errors import BadRequest
from gateway.extensions import Blueprint
from gateway.lrs import service
from gateway.lrs.alternate_syntax import check_alternate_request
from gateway.lrs.attachments import AttachmentPart, multipart_response, parse_multipart_statements
from gateway.lrs.cors import allow_cross_origin
from gateway.lrs.identifiers import agent_key
from gateway.lrs.jsontext import parse_json
from gateway.lrs.schemas import (
    AboutSchema,
    StatementIdArgs,
    StatementQueryArgs,
    StatementResultSchema,
)
from gateway.lrs.versions import (
    SUPPORTED_VERSIONS,
    VERSION_HEADER,
    declared_version,
    negotiate_version,
)
from gateway.xapi_profile.ingest import WARNING_HEADER, warning_header

blp = Blueprint(
    "xapi", __name__, url_prefix="/xapi", description="xAPI Learning Record Store (1.0.3 and 2.0)"
)

SINGLE_STATEMENT_PARAMETERS = {"statementId", "voidedStatementId", "attachments", "format"}
CONSISTENT_THROUGH_HEADER = "X-Experience-API-Consistent-Through"


def _is_statement_request() -> bool:
    return request.endpoint == "xapi.Statements"


@blp.before_request
def note_consistency() -> None:
    """Taken before anything is read, so the header never claims more than the read could see."""
    if _is_statement_request():
        g.consistent_through = service.consistent_through()


@blp.after_request
def declare_consistency(response):
    # xAPI 1.0.3 Communication 2.1.3.s2.b5: "on all responses to Statements Resource requests",
    # whatever the method and status.
    if _is_statement_request():
        response.headers[CONSISTENT_THROUGH_HEADER] = service.iso_timestamp(
            g.get("consistent_through") or service.consistent_through()
        )
    return response


@blp.before_request
def authenticate_and_negotiate() -> None:
    if request.method == "OPTIONS":
        return  # what the resource allows, for anyone (CORS preflights carry no credentials)
    try:
        g.xapi_version = negotiate_version(request.headers.get(VERSION_HEADER))
    except BadRequest as unsupported:
        g.xapi_version = None
        refusal = unsupported
    else:
        refusal = None
    check_alternate_request(request.environ, g.xapi_version)
    if request.endpoint == "xapi.about":
        return
    principal = authenticate_request()
    if refusal is not None:
        g.xapi_declared_version = declared_version(None, principal.last_xapi_version)
        raise refusal
    remember_xapi_version(principal, g.xapi_version)


def _is_xapi_path() -> bool:
    return request.path.startswith(blp.url_prefix + "/")


@blp.after_app_request
def cross_origin(response):
    """App-wide, so that responses of no route (404, 405) under /xapi get the headers too."""
    return allow_cross_origin(response) if _is_xapi_path() else response


@blp.after_app_request
def declare_version(response):
    # 1.0.3 Communication 3.3.s3.b1: "in every response", routing errors under /xapi included.
    if not _is_xapi_path():
        return response
    response.headers[VERSION_HEADER] = g.get("xapi_declared_version") or declared_version(
        g.get("xapi_version"), None
    )
    return response


def _write_context() -> service.WriteContext:
    return service.WriteContext(g.principal, g.xapi_version, current_app.config["KAKEHASHI_PUBLIC_URL"])


def _profile_warning_headers(context: service.WriteContext) -> dict:
    if not context.profile_warnings:
        return {}
    return {WARNING_HEADER: warning_header(context.profile_warnings)}


def _own_authority_key() -> str:
    return agent_key(_write_context().authority)


def _statements_body() -> tuple[object, dict[str, AttachmentPart]]:
    """The JSON body and any attachment parts (multipart/mixed) of a statement write."""
    if request.mimetype == "multipart/mixed":
        return parse_multipart_statements(request.get_data(), request.content_type)
    if request.mimetype != "application/json":
        raise BadRequest(
            f"Content-Type must be application/json or multipart/mixed (got {request.mimetype or 'none'})",
            details={"header": "Content-Type"},
        )
    try:
        return parse_json(request.get_data(), limit_nesting=False), {}  # validation limits it
    except ValueError as error:
        raise BadRequest(f"the body is not valid JSON: {error}", details={"property": "body"}) from None


def _with_attachments(document: object, statements: list[dict], wanted: bool, headers: dict):
    """The JSON response, or multipart/mixed with the attachment contents when asked for."""
    if not wanted:
        return jsonify(document), 200, headers
    body, content_type = multipart_response(document, service.attachment_contents(statements))
    return current_app.response_class(body, 200, {**headers, "Content-Type": content_type})


def _languages() -> tuple[str, ...]:
    """The acceptable language ranges of Accept-Language, best quality first (q=0 excluded)."""
    ranked = sorted(request.accept_languages, key=lambda entry: -entry[1])
    return tuple(tag for tag, quality in ranked if quality > 0)


@blp.route("/about")
@blp.response(200, AboutSchema)
def about():
    """The xAPI versions this LRS speaks (no authentication, no version header required)."""
    return {"version": list(SUPPORTED_VERSIONS), "extensions": {}}


@blp.route("/statements")
class Statements(MethodView):
    @blp.arguments(StatementQueryArgs, location="query", as_kwargs=True)
    @blp.response(200, StatementResultSchema)
    @blp.doc(security=[{"basicAuth": []}])
    def get(self, **args):
        """One statement by `statementId`/`voidedStatementId`, or a page of statements by query."""
        languages = _languages()
        single = {"statementId", "voidedStatementId"} & args.keys()
        if single:
            extra = {name for name in request.args if name not in SINGLE_STATEMENT_PARAMETERS}
            if len(single) > 1 or extra:
                raise BadRequest(
                    "statementId/voidedStatementId may only be combined with attachments and format",
                    details={"parameters": sorted(extra | single)},
                )
            parameter = single.pop()
            statement, stored = service.get_statement(
                g.principal,
                args[parameter],
                voided=parameter == "voidedStatementId",
                own_authority_key=_own_authority_key(),
                statement_format=args["format"],
                languages=languages,
            )
            headers = {"Last-Modified": http_date(stored)}
            return _with_attachments(statement, [statement], args["attachments"], headers)
        secret = current_app.config["SECRET_KEY"]
        if "more" in args:
            if len(request.args) > 1:
                raise BadRequest(
                    "more cannot be combined with other parameters", details={"parameter": "more"}
                )
            page = service.continue_query(g.principal, args["more"], _own_authority_key(), secret)
        else:
            query = service.statement_query(args, g.xapi_version, languages)
            page = service.query_statements(g.principal, query, _own_authority_key(), secret)
        more = url_for("xapi.Statements", more=page.more) if page.more else ""
        # Responses are built here (not dumped through the schema, which only documents them).
        headers = {"Last-Modified": http_date(page.last_modified)} if page.last_modified else {}
        wanted = page.attachments
        return _with_attachments(
            {"statements": page.statements, "more": more}, page.statements, wanted, headers
        )

    @blp.response(200, description="Ids of the stored statements, in order")
    @blp.doc(
        security=[{"basicAuth": []}],
        requestBody={
            "content": {"application/json": {"schema": {"oneOf": [{"type": "object"}, {"type": "array"}]}}}
        },
    )
    def post(self):
        """Store one statement or a batch (all or nothing)."""
        body, attachments = _statements_body()
        statements = body if isinstance(body, list) else [body]
        if not statements:
            raise BadRequest("the batch is empty", details={"property": "statements"})
        context = _write_context()
        response = jsonify(service.store_statements(statements, context, attachments))
        response.headers.update(_profile_warning_headers(context))
        return response

    @blp.arguments(StatementIdArgs, location="query", as_kwargs=True)
    @blp.response(204)
    @blp.doc(
        security=[{"basicAuth": []}],
        requestBody={"content": {"application/json": {"schema": {"type": "object"}}}},
    )
    def put(self, statementId):  # noqa: N803 - the xAPI parameter name
        """Store one statement under the given id."""
        body, attachments = _statements_body()
        context = _write_context()
        service.put_statement(statementId, body, context, attachments)
        return None, _profile_warning_headers(context)
