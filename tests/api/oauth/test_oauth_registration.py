"""OAuth2 client registration: grants, redirect URIs, purpose, public clients; the CLI; demo logins."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from gateway.cli import main
from gateway.errors import BadRequest


def register(app, **options):
    from gateway.auth.service import register_client

    with app.app_context():
        return register_client(
            options.pop("name", "App"),
            options.pop("role", "provider"),
            options.pop("scopes", "statements/read"),
            **options,
        )


CODE = {
    "grant_types": ["authorization_code"],
    "redirect_uris": ["https://app.example/cb"],
    "purpose": "learning-support",
}


@pytest.mark.parametrize(
    "options, field, why",
    [
        ({"grant_types": ["password"]}, "grant", "unknown: password"),
        ({"grant_types": []}, "grant", "grant types"),
        ({"grant_types": ["refresh_token"]}, "grant", "only issued with authorization_code"),
        ({**CODE, "redirect_uris": []}, "redirect_uri", "at least one redirect URI"),
        ({**CODE, "redirect_uris": ["http://app.example/cb"]}, "redirect_uri", "https"),
        ({**CODE, "redirect_uris": ["https://app.example/cb#x"]}, "redirect_uri", "fragment"),
        ({**CODE, "redirect_uris": ["/cb"]}, "redirect_uri", "absolute"),
        ({"redirect_uris": ["https://app.example/cb"]}, "redirect_uri", "only used by authorization_code"),
        ({**CODE, "purpose": None}, "purpose", "purpose"),
        ({**CODE, "purpose": "marketing"}, "purpose", "purpose"),
        ({"purpose": "learning-support"}, "purpose", "consent page"),
        ({"public": True, "role": "student_app"}, "grant", "client_credentials"),
        ({**CODE, "public": True}, "public", "student_app"),
    ],
)
def test_bad_registrations_are_refused_with_the_field(app, options, field, why):
    from gateway.auth.documents import ApiClient

    with pytest.raises(BadRequest) as error:
        register(app, **options)
    assert error.value.details == {"field": field} and why in error.value.message
    with app.app_context():
        assert ApiClient.objects.count() == 0


def test_public_and_loopback_registrations(app):
    from gateway.auth.documents import ApiClient

    issued = register(
        app, role="student_app", public=True, **{**CODE, "redirect_uris": ["http://127.0.0.1:8765/cb"]}
    )
    assert issued.client_secret is None
    with app.app_context():
        stored = ApiClient.objects.get(client_id=issued.client_id)
    assert stored.secret_hash is None and stored.token_endpoint_auth_method == "none"
    assert stored.grant_types == ["authorization_code"] and stored.purpose == "learning-support"


def test_a_public_client_cannot_use_http_basic(app, client):
    issued = register(app, role="student_app", public=True, **CODE)
    from tests.conftest import basic_auth

    response = client.get(
        "/xapi/statements", headers={**basic_auth(issued.client_id, ""), "X-Experience-API-Version": "2.0.0"}
    )
    assert response.status_code == 401


def cli(monkeypatch, database_uri, tmp_path, *args, input=None):
    monkeypatch.setenv("MONGODB_URI", database_uri)
    monkeypatch.setenv("MONGODB_DB", "kakehashi_test")
    monkeypatch.setenv("KAKEHASHI_DATA_DIR", str(tmp_path / "data"))
    return CliRunner().invoke(main, list(args), input=input)


def test_clients_create_with_oauth_options(app, monkeypatch, database_uri, tmp_path):
    from gateway.auth.documents import ApiClient

    result = cli(
        monkeypatch,
        database_uri,
        tmp_path,
        "clients",
        "create",
        "--name",
        "まなびアプリ",
        "--role",
        "student_app",
        "--scope",
        "statements/read me",
        "--grant",
        "authorization_code",
        "--grant",
        "refresh_token",
        "--redirect-uri",
        "https://app.example/cb",
        "--purpose",
        "learning-support",
        "--public",
        "--json",
    )
    assert result.exit_code == 0, result.output
    issued = json.loads(result.output)
    assert issued["client_secret"] is None
    with app.app_context():
        stored = ApiClient.objects.get(client_id=issued["client_id"])
    assert stored.grant_types == ["authorization_code", "refresh_token"]
    assert stored.redirect_uris == ["https://app.example/cb"]

    plain = cli(
        monkeypatch,
        database_uri,
        tmp_path,
        "clients",
        "create",
        "--name",
        "School",
        "--role",
        "school",
        "--scope",
        "statements/read",
    )
    assert plain.exit_code == 0 and "client_secret:" in plain.output
    bad = cli(
        monkeypatch,
        database_uri,
        tmp_path,
        "clients",
        "create",
        "--name",
        "X",
        "--role",
        "provider",
        "--scope",
        "statements/read",
        "--grant",
        "authorization_code",
    )
    assert bad.exit_code != 0 and "redirect URI" in bad.output


def test_users_set_password(app, monkeypatch, database_uri, tmp_path):
    from tests.api.oauth.oauth_helpers import seed_owners

    seed_owners(app)
    ok = cli(
        monkeypatch,
        database_uri,
        tmp_path,
        "users",
        "set-password",
        "user-stu-16",
        input="new password 1\nnew password 1\n",
    )
    assert ok.exit_code == 0 and "stu-16" in ok.output
    from gateway.auth.owners import login

    with app.app_context():
        assert login("user-stu-16", "new password 1")["_id"] == "stu-16"
        assert login("user-stu-16", "correct horse battery") is None
    teacher = cli(
        monkeypatch, database_uri, tmp_path, "users", "set-password", "user-t-1", "--password", "long enough"
    )
    assert teacher.exit_code != 0 and "students and guardians" in teacher.output
    short = cli(
        monkeypatch, database_uri, tmp_path, "users", "set-password", "user-stu-16", "--password", "short"
    )
    assert short.exit_code != 0 and "at least 8" in short.output
    unknown = cli(
        monkeypatch, database_uri, tmp_path, "users", "set-password", "ghost", "--password", "long enough"
    )
    assert unknown.exit_code != 0 and "no roster user" in unknown.output


def test_passwords_are_stored_as_scrypt_hashes(app):
    from gateway.auth.documents import OwnerPassword
    from tests.api.oauth.oauth_helpers import PASSWORD, seed_owners

    seed_owners(app)
    with app.app_context():
        stored = OwnerPassword._get_collection().find_one({"_id": "stu-16"})
    assert stored["password_hash"].startswith("scrypt$") and PASSWORD not in str(stored)


def test_repeated_wrong_passwords_lock_the_login_for_a_while(app):
    from gateway.auth.documents import OwnerPassword
    from gateway.auth.owners import MAX_FAILED_LOGINS, login, set_password
    from tests.api.oauth.oauth_helpers import PASSWORD, seed_owners

    seed_owners(app)
    with app.app_context():
        for _ in range(MAX_FAILED_LOGINS):
            assert login("user-stu-16", "guess") is None
        assert login("user-stu-16", PASSWORD) is None  # locked: even the right password
        assert login("user-g-12", PASSWORD)["_id"] == "g-12"  # other accounts unaffected
        set_password("user-stu-16", PASSWORD)  # an administrator's reset unlocks
        assert login("user-stu-16", PASSWORD)["_id"] == "stu-16"
        assert OwnerPassword.objects.get(user_sourced_id="stu-16").failed_logins == 0
