"""The authorization endpoint's login and Japanese consent page: content, CSRF, who may consent."""

from __future__ import annotations

import requests
from authlib.common.security import generate_token
from authlib.oauth2.rfc7636 import create_s256_code_challenge

from tests.api.oauth.oauth_helpers import (
    PASSWORD,
    REDIRECT_URI,
    STUDENT_APP_SCOPE,
    Browser,
    csrf,
    register_student_app,
    seed_owners,
)


def authorization_url(live_server, client_id) -> str:
    params = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": REDIRECT_URI,
        "scope": STUDENT_APP_SCOPE,
        "state": "xyz",
        "code_challenge": create_s256_code_challenge(generate_token(64)),
        "code_challenge_method": "S256",
    }
    return requests.Request("GET", f"{live_server}/oauth/authorize", params=params).prepare().url


def consents(app) -> list[dict]:
    from gateway.policy.consent import Consent

    with app.app_context():
        return list(Consent._get_collection().find({}))


def test_login_then_consent_page_in_plain_japanese(app, live_server):
    seed_owners(app)
    client_id = register_student_app(app)
    url = authorization_url(live_server, client_id)
    browser = Browser(live_server)
    login = browser.open(url)
    assert login.status_code == 200 and "ログイン" in login.text and "まなびアプリ" in login.text
    assert login.headers["X-Frame-Options"] == "DENY" and login.headers["Cache-Control"] == "no-store"
    assert "frame-ancestors 'none'" in login.headers["Content-Security-Policy"]

    assert browser.login(url, "user-stu-16").status_code == 303
    page = browser.open(url)
    assert page.status_code == 200
    html = page.text
    assert '<html lang="ja">' in html
    for text in (
        "だれに渡すか",
        "まなびアプリ",
        "かけはし高校",  # recipient and its organisation
        "何のために使うか",
        "あなたの学習を手助けするため",  # purpose
        "どのデータか",
        "勉強した時間",
        "定期テストの点数",  # categories
        "いつまでか",
        "年",
        "同意する",
        "同意しない",
        "いつでも取り消せます",
    ):
        assert text in html, text
    assert consents(app) == []  # showing the page grants nothing


def test_wrong_password_shows_the_login_again(app, live_server):
    seed_owners(app)
    url = authorization_url(live_server, register_student_app(app))
    response = Browser(live_server).login(url, "user-stu-16", "wrong password")
    assert response.status_code == 401 and "ユーザー名かパスワードがちがいます" in response.text
    unknown = Browser(live_server).login(url, "nobody", PASSWORD)
    assert unknown.status_code == 401


def test_consent_form_without_the_csrf_token_changes_nothing(app, live_server):
    seed_owners(app)
    url = authorization_url(live_server, register_student_app(app))
    browser = Browser(live_server)
    browser.login(url, "user-stu-16")
    browser.open(url)
    for token in (None, "forged"):
        form = {"action": "approve", **({"csrf_token": token} if token else {})}
        response = browser.session.post(url, data=form, allow_redirects=False)
        assert response.status_code == 400 and "Location" not in response.headers
    # A login form posted cross-site (another browser, no session) is refused too.
    other = requests.post(
        url,
        data={"action": "login", "username": "user-stu-16", "password": PASSWORD, "csrf_token": "x"},
        allow_redirects=False,
    )
    assert other.status_code == 400
    assert consents(app) == []


def test_deny_redirects_with_access_denied_and_stores_nothing(app, live_server):
    seed_owners(app)
    url = authorization_url(live_server, register_student_app(app))
    browser = Browser(live_server)
    browser.login(url, "user-stu-16")
    response = browser.decide(url, "deny")
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith(REDIRECT_URI) and "error=access_denied" in location and "state=xyz" in location
    assert consents(app) == []


def test_a_student_under_the_consent_age_needs_a_guardian(app, live_server):
    seed_owners(app)
    url = authorization_url(live_server, register_student_app(app))
    browser = Browser(live_server)
    browser.login(url, "user-stu-12")
    page = browser.open(url)
    assert page.status_code == 403 and "保護者" in page.text
    # The guardian sees the child on the page and consents for them.
    guardian = Browser(live_server)
    guardian.login(url, "user-g-12")
    page = guardian.open(url)
    assert page.status_code == 200 and 'value="stu-12"' in page.text and "佐藤 太郎" in page.text
    decided = guardian.session.post(
        url,
        data={"csrf_token": csrf(page.text), "action": "approve", "subject": "stu-12"},
        allow_redirects=False,
    )
    assert decided.status_code == 302 and "code=" in decided.headers["Location"]
    [consent] = consents(app)
    assert (consent["subject"], consent["granted_by"], consent["granted_by_role"]) == (
        "stu-12",
        "g-12",
        "guardian",
    )


def test_a_guardian_cannot_consent_for_someone_elses_child(app, live_server):
    seed_owners(app)
    url = authorization_url(live_server, register_student_app(app))
    guardian = Browser(live_server)
    guardian.login(url, "user-g-12")
    page = guardian.open(url)
    response = guardian.session.post(
        url,
        data={"csrf_token": csrf(page.text), "action": "approve", "subject": "stu-16"},
        allow_redirects=False,
    )
    assert response.status_code == 400 and consents(app) == []


def test_the_login_lasts_one_decision(app, live_server):
    seed_owners(app)
    url = authorization_url(live_server, register_student_app(app))
    browser = Browser(live_server)
    browser.authorize(url, "user-stu-16")
    assert "ログイン" in browser.open(url).text
