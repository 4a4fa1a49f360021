"""Shared set-up of the OAuth2 tests: a small roster with passwords, clients, a browser that logs in."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import requests
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session

PASSWORD = "correct horse battery"
REDIRECT_URI = "https://app.example/callback"
STUDENT_APP_SCOPE = "statements/read me"


def born(age: int) -> str:
    today = date.today()
    return (
        date(today.year - age, 1, 1).isoformat()
        if today.month > 1
        else date(today.year - age - 1, 1, 1).isoformat()
    )


def seed_owners(app) -> None:
    """stu-16 may consent alone; stu-12 needs guardian g-12; passwords set through the service."""
    from gateway.auth.owners import set_password
    from gateway.oneroster.repository import collection

    def user(sourced_id, role, given, family, agents=()):
        return {
            "_id": sourced_id,
            "sourcedId": sourced_id,
            "status": "active",
            "enabledUser": "true",
            "username": f"user-{sourced_id}",
            "givenName": given,
            "familyName": family,
            "roles": [{"roleType": "primary", "role": role, "org": {"sourcedId": "S1", "type": "org"}}],
            "agents": [{"sourcedId": agent, "type": "user"} for agent in agents],
        }

    with app.app_context():
        collection("orgs").insert_one(
            {"_id": "S1", "sourcedId": "S1", "name": "かけはし高校", "type": "school"}
        )
        collection("users").insert_many(
            [
                user("stu-16", "student", "花子", "山田"),
                user("stu-12", "student", "太郎", "佐藤", agents=["g-12"]),
                user("g-12", "guardian", "次郎", "佐藤", agents=["stu-12"]),
                user("t-1", "teacher", "先生", "田中"),
            ]
        )
        collection("demographics").insert_many(
            [
                {"_id": "stu-16", "sourcedId": "stu-16", "birthDate": born(16)},
                {"_id": "stu-12", "sourcedId": "stu-12", "birthDate": born(12)},
            ]
        )
        for username in ("user-stu-16", "user-stu-12", "user-g-12"):
            set_password(username, PASSWORD)


def register(app, **options) -> tuple[str, str | None]:
    from gateway.auth.service import register_client

    defaults = {"name": "Test app", "role": "provider", "scopes": "statements/read"}
    defaults.update(options)
    with app.app_context():
        issued = register_client(
            defaults.pop("name"), defaults.pop("role"), defaults.pop("scopes"), **defaults
        )
    return issued.client_id, issued.client_secret


def register_student_app(app, scopes: str = STUDENT_APP_SCOPE, **options) -> str:
    client_id, _ = register(
        app,
        name="まなびアプリ",
        role="student_app",
        scopes=scopes,
        grant_types=["authorization_code", "refresh_token"],
        redirect_uris=[REDIRECT_URI],
        purpose="learning-support",
        public=True,
        organisation="S1",
        **options,
    )
    return client_id


def csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


class Browser:
    """The resource owner's user agent: logs in and decides on the consent page."""

    def __init__(self, base: str):
        self.base = base
        self.session = requests.Session()

    def open(self, url: str) -> requests.Response:
        return self.session.get(url, allow_redirects=False)

    def login(self, url: str, username: str, password: str = PASSWORD) -> requests.Response:
        page = self.open(url)
        assert page.status_code == 200, page.text
        return self.session.post(
            url,
            data={
                "csrf_token": csrf(page.text),
                "action": "login",
                "username": username,
                "password": password,
            },
            allow_redirects=False,
        )

    def decide(self, url: str, action: str = "approve", subject: str | None = None) -> requests.Response:
        page = self.open(url)
        assert page.status_code == 200, page.text
        form = {"csrf_token": csrf(page.text), "action": action}
        if subject:
            form["subject"] = subject
        return self.session.post(url, data=form, allow_redirects=False)

    def authorize(self, url: str, username: str, subject: str | None = None) -> str:
        """Logs in, approves, returns the redirect back to the client (with code and state)."""
        logged_in = self.login(url, username)
        assert logged_in.status_code == 303, logged_in.text
        decided = self.decide(url, subject=subject)
        assert decided.status_code == 302, decided.text
        return decided.headers["Location"]


def now() -> datetime:
    return datetime.now(UTC)


def public_pkce_start(live_server: str, client_id: str, scope: str, redirect_uri: str = REDIRECT_URI):
    """A public client's authorization_code + PKCE (S256) session, its code verifier and the
    authorization URL to open: (session, verifier, url)."""
    oauth = OAuth2Session(
        client_id,
        token_endpoint_auth_method="none",
        redirect_uri=redirect_uri,
        scope=scope,
        code_challenge_method="S256",
    )
    verifier = generate_token(64)
    url, _ = oauth.create_authorization_url(f"{live_server}/oauth/authorize", code_verifier=verifier)
    return oauth, verifier, url
