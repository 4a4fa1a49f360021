"""The OAuth2 flows over real HTTP with authlib's requests client: client_credentials,
authorization_code with PKCE (S256 only), refresh rotation, introspection, revocation, metadata."""

from __future__ import annotations

from datetime import timedelta

import pytest
import requests
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session
from authlib.oauth2.rfc7636 import create_s256_code_challenge

from tests.api.oauth.oauth_helpers import (
    REDIRECT_URI,
    STUDENT_APP_SCOPE,
    Browser,
    now,
    public_pkce_start,
    register,
    register_student_app,
    seed_owners,
)

XAPI = {"X-Experience-API-Version": "2.0.0"}


@pytest.fixture
def owners(app):
    seed_owners(app)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", **XAPI}


def code_flow(live_server, client_id, username="user-stu-16", subject=None, scope=STUDENT_APP_SCOPE):
    """A full authorization_code + PKCE round trip; returns (session, token)."""
    oauth, verifier, url = public_pkce_start(live_server, client_id, scope)
    location = Browser(live_server).authorize(url, username, subject)
    token = oauth.fetch_token(
        f"{live_server}/oauth/token", authorization_response=location, code_verifier=verifier
    )
    return oauth, token


def introspect(live_server, credentials, token, hint=None) -> dict:
    data = {"token": token, **({"token_type_hint": hint} if hint else {})}
    response = requests.post(f"{live_server}/oauth/introspect", data=data, auth=credentials)
    assert response.status_code == 200, response.text
    assert response.headers["Cache-Control"] == "no-store"
    return response.json()


# ------------------------------------------------------------------------------------ metadata


def test_metadata_document_describes_the_server(live_server):
    response = requests.get(f"{live_server}/.well-known/oauth-authorization-server")
    assert response.status_code == 200
    document = response.json()
    issuer = "http://gateway.test"
    assert document["issuer"] == issuer
    assert document["token_endpoint"] == f"{issuer}/oauth/token"
    assert document["authorization_endpoint"] == f"{issuer}/oauth/authorize"
    assert document["introspection_endpoint"] == f"{issuer}/oauth/introspect"
    assert document["revocation_endpoint"] == f"{issuer}/oauth/revoke"
    assert document["code_challenge_methods_supported"] == ["S256"]
    assert document["response_types_supported"] == ["code"]
    assert set(document["grant_types_supported"]) == {
        "authorization_code",
        "client_credentials",
        "refresh_token",
    }
    assert set(document["token_endpoint_auth_methods_supported"]) == {
        "client_secret_basic",
        "client_secret_post",
        "none",
    }
    for scope in (
        "statements/read",
        "me",
        "audit.read",
        "consent.write",
        "https://purl.imsglobal.org/spec/or/v1p2/scope/roster.readonly",
    ):
        assert scope in document["scopes_supported"]


# --------------------------------------------------------------------------- client_credentials


@pytest.mark.parametrize("auth_method", ["client_secret_basic", "client_secret_post"])
def test_client_credentials_token_works_on_xapi_and_is_introspectable(app, live_server, auth_method):
    client_id, secret = register(app, scopes="statements/read statements/write")
    oauth = OAuth2Session(client_id, secret, token_endpoint_auth_method=auth_method, scope="statements/read")
    token = oauth.fetch_token(f"{live_server}/oauth/token", grant_type="client_credentials")
    assert token["token_type"] == "Bearer" and token["scope"] == "statements/read"
    assert "refresh_token" not in token
    assert token["expires_in"] == 3600

    statements = requests.get(f"{live_server}/xapi/statements", headers=bearer(token["access_token"]))
    assert statements.status_code == 200, statements.text

    info = introspect(live_server, (client_id, secret), token["access_token"])
    assert info["active"] is True
    assert info["client_id"] == client_id and info["scope"] == "statements/read"
    assert info["token_type"] == "Bearer" and info["iss"] == "http://gateway.test"
    assert info["exp"] - info["iat"] == 3600 and "sub" not in info


def test_token_response_is_not_cacheable_and_the_token_is_stored_hashed(app, live_server):
    from gateway.auth.documents import OAuthToken

    client_id, secret = register(app)
    response = requests.post(
        f"{live_server}/oauth/token", data={"grant_type": "client_credentials"}, auth=(client_id, secret)
    )
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store" and response.headers["Pragma"] == "no-cache"
    access_token = response.json()["access_token"]
    assert response.json()["scope"] == "statements/read"  # omitted scope: what the client holds
    with app.app_context():
        stored = OAuthToken._get_collection().find_one({})
    assert access_token not in str(stored)
    import hashlib

    assert stored["access_token_hash"] == hashlib.sha256(access_token.encode()).hexdigest()


def test_token_errors_follow_rfc_6749(app, live_server):
    client_id, secret = register(app, scopes="statements/read")
    url = f"{live_server}/oauth/token"

    wrong_secret = requests.post(url, data={"grant_type": "client_credentials"}, auth=(client_id, "nope"))
    assert wrong_secret.status_code == 401 and wrong_secret.json()["error"] == "invalid_client"
    assert wrong_secret.headers["WWW-Authenticate"].startswith("Basic")
    unknown_client = requests.post(url, data={"grant_type": "client_credentials"}, auth=("ghost", "x"))
    assert unknown_client.status_code == 401 and unknown_client.json()["error"] == "invalid_client"

    unknown_grant = requests.post(url, data={"grant_type": "password"}, auth=(client_id, secret))
    assert unknown_grant.status_code == 400 and unknown_grant.json()["error"] == "unsupported_grant_type"
    not_registered = requests.post(
        url,
        data={"grant_type": "authorization_code", "code": "x", "redirect_uri": REDIRECT_URI},
        auth=(client_id, secret),
    )
    assert not_registered.status_code == 400 and not_registered.json()["error"] == "unauthorized_client"

    not_held = requests.post(
        url, data={"grant_type": "client_credentials", "scope": "audit.read"}, auth=(client_id, secret)
    )
    assert not_held.status_code == 400 and not_held.json()["error"] == "invalid_scope"
    unknown_scope = requests.post(
        url, data={"grant_type": "client_credentials", "scope": "root"}, auth=(client_id, secret)
    )
    assert unknown_scope.status_code == 400 and unknown_scope.json()["error"] == "invalid_scope"

    as_json = requests.post(url, json={"grant_type": "client_credentials"}, auth=(client_id, secret))
    assert as_json.status_code == 400  # RFC 6749 §3.2: form-encoded only
    assert requests.get(url).status_code == 405
    for response in (wrong_secret, unknown_grant, not_held):
        assert response.headers["Cache-Control"] == "no-store"


def test_public_client_cannot_use_client_credentials(app, live_server):
    client_id = register_student_app(app)
    response = requests.post(
        f"{live_server}/oauth/token", data={"grant_type": "client_credentials", "client_id": client_id}
    )
    assert response.status_code in (400, 401) and response.json()["error"] in (
        "invalid_client",
        "unauthorized_client",
    )


# ------------------------------------------------------------------- bearer on the resource APIs


def test_bearer_token_works_on_oneroster_and_units(app, live_server):
    client_id, secret = register(
        app, scopes="https://purl.imsglobal.org/spec/or/v1p2/scope/roster-core.readonly units.read"
    )
    oauth = OAuth2Session(client_id, secret)
    token = oauth.fetch_token(f"{live_server}/oauth/token", grant_type="client_credentials")
    roster = oauth.get(f"{live_server}/ims/oneroster/rostering/v1p2/orgs")
    assert roster.status_code == 200, roster.text
    units = requests.get(
        f"{live_server}/units?subject=M", headers={"Authorization": f"Bearer {token['access_token']}"}
    )
    assert units.status_code == 200, units.text


def test_a_deployment_can_keep_http_basic_to_the_xapi(app, live_server):
    # KAKEHASHI_BASIC_AUTH=xapi: Basic still works on the xAPI (its conformance needs it); the
    # OneRoster and gateway APIs want a bearer token and say so
    client_id, secret = register(
        app, scopes="statements/read https://purl.imsglobal.org/spec/or/v1p2/scope/roster-core.readonly"
    )
    app.config["KAKEHASHI_BASIC_AUTH"] = "xapi"
    xapi = requests.get(
        f"{live_server}/xapi/statements",
        auth=(client_id, secret),
        headers={"X-Experience-API-Version": "2.0.0"},
    )
    assert xapi.status_code == 200, xapi.text
    roster = requests.get(f"{live_server}/ims/oneroster/rostering/v1p2/orgs", auth=(client_id, secret))
    assert roster.status_code == 401 and roster.headers["WWW-Authenticate"].startswith("Bearer ")
    assert "xAPI only" in roster.json()["imsx_description"]  # OneRoster's error payload
    oauth = OAuth2Session(client_id, secret)
    oauth.fetch_token(f"{live_server}/oauth/token", grant_type="client_credentials")
    assert oauth.get(f"{live_server}/ims/oneroster/rostering/v1p2/orgs").status_code == 200


def test_invalid_expired_and_revoked_tokens_get_401_invalid_token(app, live_server):
    from gateway.auth.documents import OAuthToken

    client_id, secret = register(app)
    url = f"{live_server}/oauth/token"

    def fresh() -> str:
        return requests.post(url, data={"grant_type": "client_credentials"}, auth=(client_id, secret)).json()[
            "access_token"
        ]

    expired, revoked = fresh(), fresh()
    with app.app_context():
        from gateway.auth.tokens import digest

        OAuthToken.objects(access_token_hash=digest(expired)).update_one(
            set__expires_at=now() - timedelta(seconds=1)
        )
    revocation = requests.post(
        f"{live_server}/oauth/revoke", data={"token": revoked}, auth=(client_id, secret)
    )
    assert revocation.status_code == 200 and revocation.headers["Cache-Control"] == "no-store"

    for token in ("not-a-token", expired, revoked):
        response = requests.get(f"{live_server}/xapi/statements", headers=bearer(token))
        assert response.status_code == 401
        challenge = response.headers["WWW-Authenticate"]
        assert 'Bearer realm="Kakehashi xAPI", error="invalid_token"' in challenge
        assert response.json()["error"]["code"] == "invalid_token"
        roster = requests.get(
            f"{live_server}/ims/oneroster/rostering/v1p2/orgs", headers={"Authorization": f"Bearer {token}"}
        )
        assert roster.status_code == 401 and 'error="invalid_token"' in roster.headers["WWW-Authenticate"]

    assert introspect(live_server, (client_id, secret), expired) == {"active": False}
    assert introspect(live_server, (client_id, secret), revoked) == {"active": False}
    assert introspect(live_server, (client_id, secret), "never-issued") == {"active": False}
    # RFC 7009 §2.2: revoking an unknown or already revoked token is a success.
    for token in ("never-issued", revoked):
        assert (
            requests.post(
                f"{live_server}/oauth/revoke", data={"token": token}, auth=(client_id, secret)
            ).status_code
            == 200
        )


def test_missing_scope_is_403_with_a_bearer_challenge(app, live_server):
    client_id, secret = register(app, scopes="statements/write")
    token = requests.post(
        f"{live_server}/oauth/token", data={"grant_type": "client_credentials"}, auth=(client_id, secret)
    ).json()["access_token"]
    response = requests.get(f"{live_server}/xapi/statements", headers=bearer(token))
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "insufficient_scope"
    challenge = response.headers["WWW-Authenticate"]
    assert challenge.startswith('Bearer error="insufficient_scope"') and "statements/read" in challenge
    roster = requests.get(
        f"{live_server}/ims/oneroster/rostering/v1p2/orgs", headers={"Authorization": f"Bearer {token}"}
    )
    assert roster.status_code == 403
    assert roster.headers["WWW-Authenticate"].startswith(
        'Bearer error="insufficient_scope", scope="https://purl'
    )
    # HTTP Basic keeps working on xAPI, and its 403 carries no Bearer challenge.
    basic = requests.get(f"{live_server}/xapi/statements", headers=XAPI, auth=(client_id, secret))
    assert basic.status_code == 403 and "WWW-Authenticate" not in basic.headers


def test_a_client_introspects_only_its_own_tokens(app, live_server):
    owner_id, owner_secret = register(app)
    other_id, other_secret = register(app)
    token = requests.post(
        f"{live_server}/oauth/token", data={"grant_type": "client_credentials"}, auth=(owner_id, owner_secret)
    ).json()["access_token"]
    assert introspect(live_server, (other_id, other_secret), token) == {"active": False}
    unauthenticated = requests.post(f"{live_server}/oauth/introspect", data={"token": token})
    assert unauthenticated.status_code == 401 and unauthenticated.json()["error"] == "invalid_client"
    missing = requests.post(f"{live_server}/oauth/introspect", data={}, auth=(owner_id, owner_secret))
    assert missing.status_code == 400 and missing.json()["error"] == "invalid_request"
    bad_hint = requests.post(
        f"{live_server}/oauth/introspect",
        data={"token": token, "token_type_hint": "id_token"},
        auth=(owner_id, owner_secret),
    )
    # RFC 7662 §2.1: an unknown hint only means searching every token type.
    assert bad_hint.status_code == 200 and bad_hint.json()["active"] is True
    bad_revoke_hint = requests.post(
        f"{live_server}/oauth/revoke",
        data={"token": token, "token_type_hint": "id_token"},
        auth=(owner_id, owner_secret),
    )
    assert bad_revoke_hint.status_code == 400 and bad_revoke_hint.json()["error"] == "unsupported_token_type"
    foreign_revoke = requests.post(
        f"{live_server}/oauth/revoke", data={"token": token}, auth=(other_id, other_secret)
    )
    assert foreign_revoke.status_code == 400
    assert introspect(live_server, (owner_id, owner_secret), token)["active"] is True


# ------------------------------------------------------------------ authorization_code + PKCE


def test_authorization_code_with_pkce_acts_for_the_student(app, live_server, owners):
    client_id = register_student_app(app)
    oauth, token = code_flow(live_server, client_id)
    assert token["token_type"] == "Bearer" and token["refresh_token"]
    assert set(token["scope"].split()) == set(STUDENT_APP_SCOPE.split())

    from gateway.auth.documents import OAuthToken
    from gateway.policy.consent import find_consent

    with app.app_context():
        stored = OAuthToken.objects.get(client_id=client_id)
        consent = find_consent(stored.consent_id)
    assert (stored.subject, stored.actor) == ("stu-16", "stu-16")
    assert consent["subject"] == "stu-16" and consent["granted_by_role"] == "student"
    assert consent["recipient_client_id"] == client_id and consent["purpose"] == "learning-support"
    assert "process.study-time" in consent["categories"] and consent["recipient_organisation"] == "S1"

    with app.test_request_context():
        from gateway.auth.service import authenticate_bearer

        principal = authenticate_bearer(token["access_token"])
    assert principal.subject == "stu-16" and principal.actor == "stu-16"
    assert principal.consent_id == stored.consent_id and principal.token_id == stored.id
    assert principal.organisation == "S1" and principal.role == "student_app"


def test_refresh_rotates_and_a_replayed_refresh_token_revokes_the_family(app, live_server, owners):
    client_id = register_student_app(app)
    oauth, first = code_flow(live_server, client_id)
    second = oauth.refresh_token(f"{live_server}/oauth/token", refresh_token=first["refresh_token"])
    assert second["refresh_token"] != first["refresh_token"]
    assert second["access_token"] != first["access_token"]
    ok = requests.get(f"{live_server}/xapi/statements", headers=bearer(second["access_token"]))
    assert ok.status_code != 401

    replay = requests.post(
        f"{live_server}/oauth/token",
        data={"grant_type": "refresh_token", "refresh_token": first["refresh_token"], "client_id": client_id},
    )
    assert replay.status_code == 400 and replay.json()["error"] == "invalid_grant"
    # The replay of a rotated-out refresh token revoked every token of that consent.
    after = requests.get(f"{live_server}/xapi/statements", headers=bearer(second["access_token"]))
    assert after.status_code == 401
    narrower = requests.post(
        f"{live_server}/oauth/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": second["refresh_token"],
            "client_id": client_id,
        },
    )
    assert narrower.status_code == 400 and narrower.json()["error"] == "invalid_grant"


def test_refresh_cannot_widen_the_scope(app, live_server, owners):
    client_id = register_student_app(app)
    _, token = code_flow(live_server, client_id, scope="me")
    wider = requests.post(
        f"{live_server}/oauth/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": token["refresh_token"],
            "client_id": client_id,
            "scope": "me statements/read",
        },
    )
    assert wider.status_code == 400 and wider.json()["error"] == "invalid_scope"


def _authorization_url(live_server, client_id, **params) -> str:
    query = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": REDIRECT_URI,
        "state": "s1",
        **params,
    }
    return requests.Request("GET", f"{live_server}/oauth/authorize", params=query).prepare().url


@pytest.mark.parametrize(
    "params, why",
    [
        ({}, "code_challenge is missing"),
        ({"code_challenge": create_s256_code_challenge("v" * 50), "code_challenge_method": "plain"}, "S256"),
        ({"code_challenge": "v" * 50}, "S256"),  # no method named means plain (RFC 7636 §4.3)
    ],
)
def test_pkce_must_be_s256(app, live_server, owners, params, why):
    client_id = register_student_app(app)
    response = Browser(live_server).open(_authorization_url(live_server, client_id, **params))
    assert response.status_code == 302
    location = response.headers["Location"]
    assert (
        location.startswith(REDIRECT_URI) and "error=invalid_request" in location and "state=s1" in location
    )
    assert why.replace(" ", "+") in location


def test_unknown_client_or_redirect_uri_is_shown_not_redirected(app, live_server, owners):
    client_id = register_student_app(app)
    challenge = {"code_challenge": create_s256_code_challenge("v" * 50), "code_challenge_method": "S256"}
    for url in (
        _authorization_url(live_server, "ghost", **challenge),
        _authorization_url(
            live_server, client_id, **{**challenge, "redirect_uri": "https://evil.example/cb"}
        ),
    ):
        response = Browser(live_server).open(url)
        assert response.status_code == 400 and "Location" not in response.headers
        assert "text/html" in response.headers["Content-Type"]


def _code_and_verifier(live_server, client_id, username="user-stu-16"):
    verifier = generate_token(64)
    url = _authorization_url(
        live_server,
        client_id,
        code_challenge=create_s256_code_challenge(verifier),
        code_challenge_method="S256",
        scope=STUDENT_APP_SCOPE,
    )
    location = Browser(live_server).authorize(url, username)
    code = requests.utils.urlparse(location).query
    return dict(pair.split("=") for pair in code.split("&"))["code"], verifier


def test_wrong_verifier_and_a_reused_code_are_invalid_grant(app, live_server, owners):
    client_id = register_student_app(app)
    token_url = f"{live_server}/oauth/token"

    def exchange(code, verifier):
        return requests.post(
            token_url,
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": REDIRECT_URI,
                "client_id": client_id,
                "code_verifier": verifier,
            },
        )

    code, verifier = _code_and_verifier(live_server, client_id)
    wrong = exchange(code, generate_token(64))
    assert wrong.status_code == 400 and wrong.json()["error"] == "invalid_grant"

    code, verifier = _code_and_verifier(live_server, client_id)
    missing = requests.post(
        token_url,
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT_URI,
            "client_id": client_id,
        },
    )
    assert missing.status_code == 400 and missing.json()["error"] in ("invalid_request", "invalid_grant")

    code, verifier = _code_and_verifier(live_server, client_id)
    first = exchange(code, verifier)
    assert first.status_code == 200, first.text
    again = exchange(code, verifier)
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"
    # RFC 6749 §4.1.2: tokens issued from a replayed code are revoked.
    revoked = requests.get(f"{live_server}/xapi/statements", headers=bearer(first.json()["access_token"]))
    assert revoked.status_code == 401

    code, verifier = _code_and_verifier(live_server, client_id)
    other_redirect = requests.post(
        token_url,
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": "https://app.example/other",
            "client_id": client_id,
            "code_verifier": verifier,
        },
    )
    assert other_redirect.status_code == 400 and other_redirect.json()["error"] == "invalid_grant"


def test_expired_code_is_invalid_grant(app, live_server, owners):
    from gateway.auth.documents import AuthorizationCode

    client_id = register_student_app(app)
    code, verifier = _code_and_verifier(live_server, client_id)
    with app.app_context():
        AuthorizationCode.objects.update(set__expires_at=now() - timedelta(seconds=1))
    response = requests.post(
        f"{live_server}/oauth/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT_URI,
            "client_id": client_id,
            "code_verifier": verifier,
        },
    )
    assert response.status_code == 400 and response.json()["error"] == "invalid_grant"


def test_revoking_the_consent_deactivates_its_tokens(app, live_server, owners):
    from gateway.auth.documents import OAuthToken
    from gateway.policy.consent import revoke_consent

    client_id = register_student_app(app)
    oauth, token = code_flow(live_server, client_id)
    assert introspect_public(live_server, client_id, token)["active"] is True
    with app.app_context():
        revoke_consent(OAuthToken.objects.get(client_id=client_id).consent_id, by="stu-16")
    response = requests.get(f"{live_server}/xapi/statements", headers=bearer(token["access_token"]))
    assert response.status_code == 401 and 'error="invalid_token"' in response.headers["WWW-Authenticate"]
    refresh = requests.post(
        f"{live_server}/oauth/token",
        data={"grant_type": "refresh_token", "refresh_token": token["refresh_token"], "client_id": client_id},
    )
    assert refresh.status_code == 400 and refresh.json()["error"] == "invalid_grant"


def introspect_public(live_server, client_id, token):
    """Introspection is for confidential clients: a public app's token is read back via the store."""
    from gateway.auth.service import authenticate_bearer

    return {"active": authenticate_bearer(token["access_token"]) is not None}


def test_introspection_reports_subject_actor_and_consent(app, live_server, owners):
    # A confidential web app of a juku using authorization_code (client_secret_basic).
    client_id, secret = register(
        app,
        name="さくら塾",
        scopes="statements/read",
        grant_types=["authorization_code", "refresh_token"],
        redirect_uris=[REDIRECT_URI],
        purpose="learning-support",
    )
    oauth = OAuth2Session(
        client_id, secret, redirect_uri=REDIRECT_URI, scope="statements/read", code_challenge_method="S256"
    )
    verifier = generate_token(64)
    url, _ = oauth.create_authorization_url(f"{live_server}/oauth/authorize", code_verifier=verifier)
    location = Browser(live_server).authorize(url, "user-g-12", subject="stu-12")
    token = oauth.fetch_token(
        f"{live_server}/oauth/token", authorization_response=location, code_verifier=verifier
    )

    access = introspect(live_server, (client_id, secret), token["access_token"])
    assert access["active"] is True and access["sub"] == "stu-12" and access["act"] == {"sub": "g-12"}
    assert access["consent_id"] and access["token_type"] == "Bearer"
    refresh = introspect(live_server, (client_id, secret), token["refresh_token"], hint="refresh_token")
    assert refresh["active"] is True and "token_type" not in refresh
    assert refresh["exp"] - refresh["iat"] == 30 * 86400

    from gateway.policy.consent import find_consent, revoke_consent

    with app.app_context():
        assert find_consent(access["consent_id"])["granted_by_role"] == "guardian"
        revoke_consent(access["consent_id"], by="g-12")
    assert introspect(live_server, (client_id, secret), token["access_token"]) == {"active": False}
    assert introspect(live_server, (client_id, secret), token["refresh_token"]) == {"active": False}


def test_a_public_client_revokes_its_own_refresh_token(app, live_server, owners):
    client_id = register_student_app(app)
    _, token = code_flow(live_server, client_id)
    revoked = requests.post(
        f"{live_server}/oauth/revoke",
        data={"token": token["refresh_token"], "token_type_hint": "refresh_token", "client_id": client_id},
    )
    assert revoked.status_code == 200
    refresh = requests.post(
        f"{live_server}/oauth/token",
        data={"grant_type": "refresh_token", "refresh_token": token["refresh_token"], "client_id": client_id},
    )
    assert refresh.status_code == 400 and refresh.json()["error"] == "invalid_grant"
    # Revoking the refresh token also revoked the access token issued with it (RFC 7009 §2.1).
    response = requests.get(f"{live_server}/xapi/statements", headers=bearer(token["access_token"]))
    assert response.status_code == 401


def test_tokens_follow_the_client_registry(app, live_server):
    from gateway.auth.documents import ApiClient

    client_id, secret = register(app, scopes="statements/read statements/write")
    token = requests.post(
        f"{live_server}/oauth/token", data={"grant_type": "client_credentials"}, auth=(client_id, secret)
    ).json()["access_token"]
    with app.app_context():
        ApiClient.objects(client_id=client_id).update_one(set__scopes=["statements/write"])
    narrowed = requests.get(f"{live_server}/xapi/statements", headers=bearer(token))
    assert narrowed.status_code == 403  # a client narrowed by its administrator narrows its tokens
    with app.app_context():
        ApiClient.objects(client_id=client_id).update_one(set__disabled=True)
    disabled = requests.get(f"{live_server}/xapi/statements", headers=bearer(token))
    assert disabled.status_code == 401 and 'error="invalid_token"' in disabled.headers["WWW-Authenticate"]


@pytest.mark.parametrize("path", ["/oauth/token", "/oauth/introspect", "/oauth/revoke"])
@pytest.mark.parametrize("credentials", ["\x80\x81", "not*base64", "//8="])
def test_malformed_basic_credentials_are_an_invalid_client(client, path, credentials):
    """Was a 500 for non-ASCII characters (authlib decoded them unguarded); RFC 6749 §5.2."""
    response = client.post(
        path,
        data={"grant_type": "client_credentials", "token": "x"},
        headers={"Authorization": f"Basic {credentials}"},
    )
    assert response.status_code == 401
    assert response.json["error"] == "invalid_client"
    assert response.headers["WWW-Authenticate"].startswith("Basic")
    assert response.headers["Cache-Control"] == "no-store"
