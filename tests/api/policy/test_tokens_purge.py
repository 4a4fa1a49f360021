"""`kakehashi tokens purge`: tokens and codes expired or revoked longer than the grace period are
removed; a token family with a live token keeps its rotated-out tokens (replay detection)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from click.testing import CliRunner

from gateway.cli import main

NOW = datetime.now(UTC)


def days(n: float) -> datetime:
    return NOW + timedelta(days=n)


def token(token_id, *, expires, refresh_expires=None, revoked=None, consent=None, client="app"):
    return {
        "_id": token_id,
        "access_token_hash": f"a-{token_id}",
        **({"refresh_token_hash": f"r-{token_id}"} if refresh_expires else {}),
        "client_id": client,
        "grant_type": "authorization_code" if consent else "client_credentials",
        "scope": "me",
        "subject": "stu" if consent else None,
        "actor": "stu" if consent else None,
        "consent_id": consent,
        "issued_at": days(-40),
        "expires_at": expires,
        "refresh_expires_at": refresh_expires,
        "revoked_at": revoked,
    }


def code(code_id, *, expires, consent):
    return {
        "_id": code_id,
        "client_id": "app",
        "scope": "me",
        "subject": "stu",
        "actor": "stu",
        "consent_id": consent,
        "code_challenge": "x",
        "code_challenge_method": "S256",
        "expires_at": expires,
        "used_at": expires,
    }


def seed(app):
    from gateway.auth.documents import AuthorizationCode, OAuthToken

    with app.app_context():
        OAuthToken._get_collection().insert_many(
            [
                token("cc-old", expires=days(-10)),  # expired 10 days ago: removed
                token("cc-recent", expires=days(-1)),  # expired yesterday: within the grace period
                token("cc-live", expires=days(1)),
                token("cc-revoked", expires=days(1), revoked=days(-9)),  # revoked long ago: removed
                token("cc-just-revoked", expires=days(1), revoked=days(-0.5)),
                # family F: an access token expired long ago but its refresh token is still valid
                token("f-expired-access", expires=days(-20), refresh_expires=days(10), consent="F"),
                # family G: rotated twice; the newest pair is live, so the rotated-out ones stay
                token("g-1", expires=days(-29), refresh_expires=days(1), revoked=days(-28), consent="G"),
                token("g-2", expires=days(-14), refresh_expires=days(15), revoked=days(-13), consent="G"),
                token("g-3", expires=days(1), refresh_expires=days(29), consent="G"),
                # family H: revoked as a whole (a replay was detected) long ago: removed
                token("h-1", expires=days(-20), refresh_expires=days(10), revoked=days(-19), consent="H"),
                token("h-2", expires=days(-20), refresh_expires=days(10), revoked=days(-19), consent="H"),
            ]
        )
        AuthorizationCode._get_collection().insert_many(
            [code("code-g", expires=days(-29), consent="G"), code("code-h", expires=days(-20), consent="H")]
        )


def remaining(app) -> tuple[set, set]:
    from gateway.auth.documents import AuthorizationCode, OAuthToken

    with app.app_context():
        return (
            {row["_id"] for row in OAuthToken._get_collection().find({}, {"_id": 1})},
            {row["_id"] for row in AuthorizationCode._get_collection().find({}, {"_id": 1})},
        )


def test_purge_removes_dead_tokens_and_codes_and_keeps_live_families(app):
    from gateway.auth.tokens import purge_dead_tokens, refresh_token_state

    seed(app)
    with app.app_context():
        dry = purge_dead_tokens(timedelta(days=7), dry_run=True)
    assert len(remaining(app)[0]) == 11  # a dry run removes nothing
    with app.app_context():
        report = purge_dead_tokens(timedelta(days=7))
    assert (
        (report.tokens, report.refresh_tokens, report.codes)
        == (4, 2, 1)
        == (dry.tokens, dry.refresh_tokens, dry.codes)
    )
    assert report.kept_for_replay_detection == 3  # g-1, g-2 and code-g
    tokens, codes = remaining(app)
    assert tokens == {"cc-recent", "cc-live", "cc-just-revoked", "f-expired-access", "g-1", "g-2", "g-3"}
    assert codes == {"code-g"}
    with app.app_context():
        # the rotated-out refresh token of a live family is still recognised as revoked (replay)
        assert refresh_token_state(_by_hash("r-g-1")) == "revoked"


def _by_hash(refresh_hash):
    from gateway.auth.documents import OAuthToken

    return OAuthToken.objects(refresh_token_hash=refresh_hash).first()


def test_the_cli_prints_the_counts(app, monkeypatch, database_uri, tmp_path):
    seed(app)
    monkeypatch.setenv("MONGODB_URI", database_uri)
    monkeypatch.setenv("MONGODB_DB", "kakehashi_test")
    monkeypatch.setenv("KAKEHASHI_DATA_DIR", str(tmp_path / "data"))
    result = CliRunner().invoke(main, ["tokens", "purge", "--grace-days", "0"])
    assert result.exit_code == 0, result.output
    # with no grace: also the token expired yesterday and the one revoked hours ago
    assert "Removed 6 token(s) (2 with a refresh token) and 1 authorization code(s)" in result.output
    assert "kept 3" in result.output
    assert CliRunner().invoke(main, ["tokens", "purge", "--grace-days", "-1"]).exit_code == 2
