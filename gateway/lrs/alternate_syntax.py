"""The Alternate Request Syntax of xAPI 1.0.3 (Communication 1.3), for clients that can only send
GET and POST and cannot set headers: `POST /xapi/...?method=PUT` with the content, the headers
and the query parameters as form parameters. A WSGI middleware turns such a request back into
the request it stands for before Flask routes it, so every resource serves it unchanged.

IEEE 9274.1.1 (xAPI 2.0) removed the syntax: the LRS refuses it (400) when the request's version
is 2.0. Malformed alternate requests are refused (400) as well; both refusals are raised inside
the app (gateway.lrs.views), so they get the gateway's error shape and headers."""

from __future__ import annotations

import io
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode

from werkzeug.http import parse_options_header

from gateway.errors import BadRequest, GatewayError, PayloadTooLarge
from gateway.lrs.versions import XAPI_2_0_0

ENVIRON_KEY = "kakehashi.xapi.alternate_request"
FORM = "application/x-www-form-urlencoded"
METHODS = frozenset({"GET", "HEAD", "PUT", "POST", "DELETE"})
# 1.3.s3.b6/b7: form parameters the LRS treats as headers (Content-Length is recomputed).
HEADER_PARAMETERS = {
    "authorization": "HTTP_AUTHORIZATION",
    "x-experience-api-version": "HTTP_X_EXPERIENCE_API_VERSION",
    "content-type": "CONTENT_TYPE",
    "content-length": None,
    "if-match": "HTTP_IF_MATCH",
    "if-none-match": "HTTP_IF_NONE_MATCH",
}
# 1.5: requests "normally use an application/json content type"; the content of an alternate
# request that does not say otherwise is taken as JSON.
DEFAULT_CONTENT_TYPE = "application/json"


@dataclass(frozen=True)
class AlternateRequest:
    """What the middleware found: the method the request stands for, or why it is refused."""

    method: str | None
    refusal: GatewayError | None = None


def alternate_request(environ: dict) -> AlternateRequest | None:
    """The alternate request behind this WSGI request, if it was one."""
    return environ.get(ENVIRON_KEY)


def check_alternate_request(environ: dict, version: str | None) -> None:
    """Raises the refusal of an alternate request: a malformed one, or one in xAPI 2.0."""
    alternate = alternate_request(environ)
    if alternate is None:
        return
    if alternate.refusal is not None:
        raise alternate.refusal
    if version == XAPI_2_0_0:
        raise BadRequest(
            "the Alternate Request Syntax (a method query parameter) is not part of xAPI 2.0: "
            "send the request with its own method and headers",
            code="alternate_syntax_not_supported",
            details={"parameter": "method"},
        )


class AlternateRequestSyntax:
    """WSGI middleware: rewrites alternate requests under `prefix` (see the module docstring)."""

    def __init__(self, app, prefix: str, max_body_bytes: int | None):
        self.app = app
        self.prefix = prefix
        self.max_body_bytes = max_body_bytes

    def __call__(self, environ, start_response):
        if environ.get("REQUEST_METHOD") == "POST" and environ.get("PATH_INFO", "").startswith(self.prefix):
            query = parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True)
            if any(name == "method" for name, _value in query):
                environ = self._translate(environ, query)
        return self.app(environ, start_response)

    def _translate(self, environ: dict, query: list[tuple[str, str]]) -> dict:
        try:
            return _rewritten(environ, query, self._body(environ))
        except GatewayError as refusal:
            return {**environ, ENVIRON_KEY: AlternateRequest(None, refusal)}

    def _body(self, environ: dict) -> bytes:
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            raise BadRequest("Content-Length is not a number", details={"header": "Content-Length"}) from None
        if self.max_body_bytes is not None and length > self.max_body_bytes:
            raise PayloadTooLarge(
                f"requests are limited to {self.max_body_bytes} bytes", details={"limit": self.max_body_bytes}
            )
        return environ["wsgi.input"].read(length) if length > 0 else b""


def _refuse(why: str, **details) -> BadRequest:
    return BadRequest(f"invalid Alternate Request Syntax request: {why}", details=details or None)


def _rewritten(environ: dict, query: list[tuple[str, str]], body: bytes) -> dict:
    """The WSGI environ of the request an alternate request stands for."""
    if len(query) != 1:
        # 1.3.s3.b3: "MUST NOT include any other query string parameters on the request".
        raise _refuse("the query string may only hold `method`", parameters=sorted({n for n, _ in query}))
    method = query[0][1].upper()
    if method not in METHODS:
        raise _refuse(f"method must be one of {', '.join(sorted(METHODS))}", parameter="method")
    form = _form(environ, body)
    rewritten = {**environ, "REQUEST_METHOD": method, ENVIRON_KEY: AlternateRequest(method)}
    parameters = []
    content = None
    content_type = None
    for name, value in form:
        lowered = name.lower()
        if name == "content":
            content = value.encode("utf-8")  # 1.3.s3.b5: the content is a UTF-8 string
        elif lowered == "content-type":
            content_type = value
        elif lowered in HEADER_PARAMETERS:
            if HEADER_PARAMETERS[lowered]:
                rewritten[HEADER_PARAMETERS[lowered]] = value
        else:
            parameters.append((name, value))  # 1.3.s3.b14: any other form parameter is a query parameter
    if method in ("PUT", "POST") and content is None:
        raise _refuse(f"a {method} needs its content in the form parameter `content`", parameter="content")
    content = content or b""
    rewritten["QUERY_STRING"] = urlencode(parameters)
    rewritten["wsgi.input"] = io.BytesIO(content)
    rewritten["CONTENT_LENGTH"] = str(len(content))
    if content:
        rewritten["CONTENT_TYPE"] = content_type or DEFAULT_CONTENT_TYPE
    else:
        rewritten.pop("CONTENT_TYPE", None)
    return rewritten


def _form(environ: dict, body: bytes) -> list[tuple[str, str]]:
    """The form parameters, each name at most once."""
    if not body:
        return []
    declared = environ.get("CONTENT_TYPE")
    if declared and parse_options_header(declared)[0].lower() != FORM:
        raise _refuse(f"the body must be a {FORM} form", header="Content-Type")
    try:
        form = parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=True)
    except (UnicodeDecodeError, ValueError):
        raise _refuse(f"the body is not a {FORM} form in UTF-8", property="body") from None
    names = [name.lower() if name.lower() in HEADER_PARAMETERS else name for name, _value in form]
    if len(set(names)) != len(names):
        raise _refuse("a form parameter is given more than once", property="body")
    return form
