"""HTTP Basic credentials are remembered for a few seconds (gateway.auth.service): statement
batches do not each read the client, and a client disabled in the database is refused within
that bound (at once when the bound is 0)."""

from __future__ import annotations

from tests.conftest import basic_auth


def _about_statements(client, headers):
    return client.get("/xapi/statements", query_string={"limit": 1}, headers=headers).status_code


def _disable(app, client_id):
    from gateway.auth.documents import ApiClient

    with app.app_context():
        ApiClient.objects(client_id=client_id).update_one(set__disabled=True)


def test_accepted_credentials_are_remembered_within_the_bound(app, client, make_credentials):
    client_id, secret = make_credentials()
    headers = {**basic_auth(client_id, secret), "X-Experience-API-Version": "2.0.0"}
    assert _about_statements(client, headers) == 200
    _disable(app, client_id)
    assert _about_statements(client, headers) == 200  # remembered: disabled counts within 5 s
    wrong = {**basic_auth(client_id, secret + "x"), "X-Experience-API-Version": "2.0.0"}
    assert _about_statements(client, wrong) == 401  # a wrong secret is never taken from memory
    app.config["KAKEHASHI_CLIENT_CACHE_SECONDS"] = 0
    assert _about_statements(client, headers) == 401


def test_without_the_cache_a_disabled_client_is_refused_at_once(app, client, make_credentials):
    app.config["KAKEHASHI_CLIENT_CACHE_SECONDS"] = 0
    client_id, secret = make_credentials()
    headers = {**basic_auth(client_id, secret), "X-Experience-API-Version": "2.0.0"}
    assert _about_statements(client, headers) == 200
    _disable(app, client_id)
    assert _about_statements(client, headers) == 401


def test_a_new_secret_replaces_the_remembered_one_at_once(app, client):
    from gateway.auth.service import register_client

    with app.app_context():
        register_client("Cached", "provider", "all", client_id="cached-client", client_secret="first-secret")
    first = {**basic_auth("cached-client", "first-secret"), "X-Experience-API-Version": "2.0.0"}
    assert _about_statements(client, first) == 200
    from gateway.auth.documents import ApiClient

    with app.app_context():
        ApiClient.objects(client_id="cached-client").delete()
        register_client("Cached", "provider", "all", client_id="cached-client", client_secret="second-secret")
    assert _about_statements(client, first) == 401
