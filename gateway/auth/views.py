"""OAuth2 endpoints: token, authorization (login + consent page), introspection, revocation, metadata."""

from __future__ import annotations

import base64
import hmac
import os
import secrets

from authlib.oauth2 import OAuth2Error
from flask import current_app, jsonify, redirect, render_template, request, session
from flask.views import MethodView

from gateway.auth import owners
from gateway.auth.consent_page import (
    DEFAULT_CONSENT_DAYS,
    PURPOSE_LABELS,
    capabilities_for,
    categories_for,
    category_labels,
    consent_period,
    japanese_date,
)
from gateway.auth.documents import ApiClient
from gateway.auth.server import ALL_AUTH_METHODS, CONFIDENTIAL_AUTH_METHODS
from gateway.auth.tokens import ResourceOwner, now
from gateway.extensions import Blueprint
from gateway.oneroster import store
from gateway.policy.release import release_policy

blp = Blueprint(
    "oauth",
    __name__,
    description="OAuth 2.0 authorization server (RFC 6749, 7636 S256, 7662, 7009, 8414)",
    template_folder="templates",
)

_OWNER = "kakehashi.oauth.owner"
_CSRF = "kakehashi.oauth.csrf"
_PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",  # the consent page must not be framed (clickjacking, RFC 6749 §10.13)
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
    "Referrer-Policy": "no-referrer",
}


def server():
    return current_app.extensions["kakehashi.oauth"]


def _no_store(response):
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    return response


def _malformed_basic_credentials():
    """RFC 6749 §5.2 invalid_client (401) for HTTP Basic credentials that are not base64 of UTF-8
    text: authlib raises on them (non-ASCII characters) instead of refusing the client."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        base64.b64decode(token.strip(), validate=True).decode("utf-8")
    except ValueError:  # binascii.Error and UnicodeDecodeError included
        response = jsonify(
            error="invalid_client",
            error_description="malformed HTTP Basic credentials: not base64 of client_id:client_secret",
        )
        response.status_code = 401
        response.headers["WWW-Authenticate"] = 'Basic realm="Kakehashi"'
        return _no_store(response)
    return None


@blp.route("/oauth/token", methods=["POST"])
@blp.doc(
    summary="Token endpoint (RFC 6749 §3.2)",
    description="Form-encoded. Grants: client_credentials, authorization_code (PKCE S256), refresh_token "
    "(rotated). Client authentication: client_secret_basic, client_secret_post, none (public clients).",
)
def issue_token():
    return _malformed_basic_credentials() or _no_store(server().create_token_response())


@blp.route("/oauth/introspect", methods=["POST"])
@blp.doc(
    summary="Token introspection (RFC 7662)", description="A client introspects the tokens issued to it."
)
def introspect_token():
    return _malformed_basic_credentials() or _no_store(server().create_endpoint_response("introspection"))


@blp.route("/oauth/revoke", methods=["POST"])
@blp.doc(summary="Token revocation (RFC 7009)")
def revoke_token():
    return _malformed_basic_credentials() or _no_store(server().create_endpoint_response("revocation"))


@blp.route("/.well-known/oauth-authorization-server", methods=["GET"])
@blp.doc(summary="Authorization server metadata (RFC 8414)")
def metadata():
    issuer = server().issuer
    return {
        "issuer": issuer,
        "authorization_endpoint": f"{issuer}/oauth/authorize",
        "token_endpoint": f"{issuer}/oauth/token",
        "introspection_endpoint": f"{issuer}/oauth/introspect",
        "revocation_endpoint": f"{issuer}/oauth/revoke",
        "scopes_supported": server().scopes_supported,
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "client_credentials", "refresh_token"],
        "token_endpoint_auth_methods_supported": ALL_AUTH_METHODS,
        "introspection_endpoint_auth_methods_supported": CONFIDENTIAL_AUTH_METHODS,
        "revocation_endpoint_auth_methods_supported": ALL_AUTH_METHODS,
        "code_challenge_methods_supported": ["S256"],
        "ui_locales_supported": ["ja"],
    }


def _page(template: str, status: int = 200, **context):
    response = current_app.make_response((render_template(template, **context), status))
    response.headers.update(_PAGE_HEADERS)
    return response


def _csrf_token() -> str:
    if _CSRF not in session:
        session[_CSRF] = secrets.token_urlsafe(32)
    return session[_CSRF]


def _display_name(user: dict) -> str:
    return f"{user.get('familyName', '')} {user.get('givenName', '')}".strip() or user.get("username", "")


@blp.route("/oauth/authorize")
class Authorize(MethodView):
    """Authorization endpoint (RFC 6749 §3.1): the resource owner logs in, then sees the consent page."""

    @blp.doc(summary="Authorization endpoint: login and consent page (HTML, Japanese)")
    def get(self):
        grant = self._grant()
        if not hasattr(grant, "request"):
            return grant  # an error response
        owner = self._owner()
        if owner is None:
            return self._login_page(grant)
        return self._consent_page(grant, owner)

    @blp.doc(summary="Login and consent decisions (form posts of the pages)")
    def post(self):
        grant = self._grant()
        if not hasattr(grant, "request"):
            return grant
        sent = request.form.get("csrf_token", "")
        if not sent or not hmac.compare_digest(sent, session.get(_CSRF, "")):
            return _page(
                "oauth/error.html",
                400,
                message="ページの有効期限が切れました。もう一度はじめからやり直してください。",
                error="invalid_request",
                description="missing or wrong CSRF token",
            )
        action = request.form.get("action")
        if action == "login":
            user = owners.login(request.form.get("username", ""), request.form.get("password", ""))
            if user is None:
                return self._login_page(grant, "ユーザー名かパスワードがちがいます。", 401)
            session[_OWNER] = user["_id"]
            return redirect(request.full_path, code=303)
        owner = self._owner()
        if owner is None:
            return self._login_page(grant)
        if action == "deny":
            session.pop(_OWNER, None)
            return server().create_authorization_response(grant_user=None, grant=grant)
        if action != "approve":
            return self._consent_page(grant, owner, status=400)
        return self._approve(grant, owner)

    # -- helpers

    def _grant(self):
        try:
            return server().get_consent_grant(end_user=None)
        except OAuth2Error as error:
            if error.redirect_uri:  # the client and its redirect URI are known: tell the client
                return server().handle_error_response(None, error)
            # RFC 6749 §4.1.2.1: never redirect to an unverified URI; tell the user instead.
            return _page(
                "oauth/error.html",
                400,
                message="アプリからのお願いの内容がまちがっています。アプリの提供者に知らせてください。",
                error=error.error,
                description=error.get_error_description()
                if hasattr(error, "get_error_description")
                else error.description,
            )

    def _owner(self) -> dict | None:
        sourced_id = session.get(_OWNER)
        return owners.roster_user(sourced_id) if sourced_id else None

    def _client(self, grant) -> ApiClient:
        return grant.request.client.document

    def _login_page(self, grant, error: str | None = None, status: int = 200):
        return _page(
            "oauth/login.html",
            status,
            client_name=self._client(grant).name,
            action=request.full_path,
            csrf_token=_csrf_token(),
            error=error,
        )

    def _subjects(self, owner: dict) -> list[dict]:
        """The students this owner may consent for: themself, or the students they are guardian of."""
        from gateway.policy.consent import may_grant

        candidates = [owner]
        for agent in owner.get("agents") or ():
            student = owners.roster_user(agent.get("sourcedId", "")) if isinstance(agent, dict) else None
            if student is not None:
                candidates.append(student)
        return [user for user in candidates if may_grant(owner, user)]

    def _terms(self, grant):
        client = self._client(grant)
        categories = categories_for(grant.request.scope or "", release_policy().catalog)
        days = int(
            current_app.config.get("KAKEHASHI_OAUTH_CONSENT_DAYS")
            or os.environ.get("KAKEHASHI_OAUTH_CONSENT_DAYS")
            or DEFAULT_CONSENT_DAYS
        )
        return client, categories, consent_period(days, now().replace(microsecond=0))

    def _consent_page(self, grant, owner: dict, status: int = 200):
        client, categories, (start, end) = self._terms(grant)
        subjects = self._subjects(owner)
        if not subjects:
            return _page(
                "oauth/error.html",
                403,
                message="あなたはこのアプリへの同意をすることができません。保護者の方に同意してもらってください。",
                error="access_denied",
                description="this user may not consent (age rule or no guardianship)",
            )
        if not categories:
            return _page(
                "oauth/error.html",
                400,
                message="このアプリがほしいデータの種類が分かりません。アプリの提供者に知らせてください。",
                error="invalid_scope",
                description="the requested scopes reach no data category",
            )
        return _page(
            "oauth/consent.html",
            status,
            client_name=client.name,
            organisation_name=store.organisation_name(client.organisation),
            purpose_label=PURPOSE_LABELS.get(client.purpose, client.purpose),
            category_labels=category_labels(categories, release_policy().catalog),
            capabilities=capabilities_for(grant.request.scope or ""),
            valid_from=japanese_date(start),
            valid_until=japanese_date(end),
            actor_name=_display_name(owner),
            actor_id=owner["_id"],
            subjects=[{"id": s["_id"], "name": _display_name(s)} for s in subjects],
            action=request.full_path,
            csrf_token=_csrf_token(),
        )

    def _approve(self, grant, owner: dict):
        from gateway.policy.consent import grant_consent, grantor_role

        subjects = {s["_id"]: s for s in self._subjects(owner)}
        subject = subjects.get(request.form.get("subject") or owner["_id"])
        if subject is None:
            return self._consent_page(grant, owner, status=400)
        client, categories, (start, end) = self._terms(grant)
        receipt = grant_consent(
            subject=subject["_id"],
            granted_by=owner["_id"],
            granted_by_role=grantor_role(owner, subject),
            recipient_client_id=client.client_id,
            recipient_organisation=client.organisation,
            purpose=client.purpose,
            categories=categories,
            valid_from=start,
            valid_until=end,
        )
        consent_id = receipt["kakehashi"]["id"]
        session.pop(_OWNER, None)  # shared school tablets: the login lasts one decision
        return server().create_authorization_response(
            grant_user=ResourceOwner(subject["_id"], owner["_id"], consent_id), grant=grant
        )
