"""The demo's student app and logins: a printed login completes the PKCE flow with authlib's client."""

from __future__ import annotations

from tests.api.oauth.oauth_helpers import Browser, csrf, public_pkce_start


def test_demo_student_app_flow_with_a_printed_login(app, live_server):
    from gateway.auth.service import authenticate_bearer
    from gateway.demo.roster import build_roster
    from gateway.demo.seed import (
        DEMO_STUDENT_APP_ID,
        DEMO_STUDENT_APP_REDIRECT_URI,
        DEMO_STUDENT_APP_SCOPE,
        _load_roster,
        register_demo_clients,
        set_demo_passwords,
    )

    roster = build_roster()
    with app.app_context():
        credentials = register_demo_clients()
        _load_roster(roster, {})
        logins = set_demo_passwords(roster)
    app_entry = next(c for c in credentials if c["client_id"] == DEMO_STUDENT_APP_ID)
    assert app_entry["client_secret"] is None and app_entry["redirect_uri"] == DEMO_STUDENT_APP_REDIRECT_URI
    assert [login["role"] for login in logins] == ["student", "student", "guardian"]

    for login in (logins[0], logins[2]):
        oauth, verifier, url = public_pkce_start(
            live_server, DEMO_STUDENT_APP_ID, DEMO_STUDENT_APP_SCOPE, DEMO_STUDENT_APP_REDIRECT_URI
        )
        browser = Browser(live_server)
        browser.login(url, login["username"], login["password"])
        page = browser.open(url)
        subject = next(u for u in roster.users if u["username"] == login["for"])["sourcedId"]
        assert f'value="{subject}"' in page.text
        decided = browser.session.post(
            url,
            data={"csrf_token": csrf(page.text), "action": "approve", "subject": subject},
            allow_redirects=False,
        )
        location = decided.headers["Location"]
        token = oauth.fetch_token(
            f"{live_server}/oauth/token", authorization_response=location, code_verifier=verifier
        )
        with app.test_request_context():
            principal = authenticate_bearer(token["access_token"])
        assert principal.subject == subject and principal.role == "student_app"
