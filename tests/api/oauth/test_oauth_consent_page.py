"""The authorization endpoint's login and Japanese consent page: content, CSRF, who may consent."""

from __future__ import annotations

import json

import requests
from authlib.common.security import generate_token
from authlib.oauth2.rfc7636 import create_s256_code_challenge

from gateway.auth.consent_page import (
    CATEGORY_LABELS,
    SCOPE_CAPABILITIES,
    capabilities_for,
    categories_for,
    personal_categories,
)
from gateway.auth.scopes import KNOWN_SCOPES
from gateway.policy.catalog import load_catalog
from tests.api.oauth.oauth_helpers import (
    PASSWORD,
    REDIRECT_URI,
    STUDENT_APP_SCOPE,
    Browser,
    csrf,
    public_pkce_start,
    register,
    register_student_app,
    seed_owners,
)
from tests.conftest import basic_auth


def authorization_url(live_server, client_id, scope=STUDENT_APP_SCOPE) -> str:
    params = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": REDIRECT_URI,
        "scope": scope,
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
        "このアプリができること",
        "かけはしにあるあなたの学習の記録を見る",  # statements/read
        "あなたのデータをすべて見て、まとめて持ち出す",  # me: the whole record and the export
        "データをすべて消す",  # me: erasure
        "いつまでか",
        "年",
        "同意する",
        "同意しない",
        "いつでも取り消せます",
    ):
        assert text in html, text
    assert consents(app) == []  # showing the page grants nothing


def test_the_page_says_what_each_requested_scope_allows(app, live_server):
    seed_owners(app)
    scope = "statements/read statements/write consent.write"
    client_id, _ = register(
        app,
        name="まなびアプリ",
        role="student_app",
        scopes=scope,
        grant_types=["authorization_code"],
        redirect_uris=[REDIRECT_URI],
        purpose="learning-support",
        public=True,
    )
    url = authorization_url(live_server, client_id, scope)
    browser = Browser(live_server)
    browser.login(url, "user-stu-16")
    html = browser.open(url).text
    for capability in capabilities_for(scope):
        assert f"<li>{capability}</li>" in html, capability
    assert "学習の記録を、かけはしに書きこむ" in html  # statements/write
    assert "あなたの代わりに" in html and "同意をしたり" in html  # consent.write
    assert SCOPE_CAPABILITIES["me"] not in html  # only what was asked for


def test_every_scope_has_a_capability_in_plain_japanese():
    assert SCOPE_CAPABILITIES.keys() == KNOWN_SCOPES
    assert capabilities_for("state profile") == [SCOPE_CAPABILITIES["state"], SCOPE_CAPABILITIES["profile"]]
    # the 1.1 and 1.2 OneRoster scope of one name read the same: said once
    core = "https://purl.imsglobal.org/spec/or/v1p{}/scope/roster-core.readonly"
    assert len(capabilities_for(f"{core.format(1)} {core.format(2)}")) == 1


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


# ------------------------------------------------------------- scopes → data categories (catalog)


def test_every_personal_data_category_is_reachable_by_some_scope():
    catalog = load_catalog()
    about_no_one = {catalog.units, catalog.roster_entity("orgs").record}
    personal = set(catalog.categories) - about_no_one
    assert personal_categories(catalog) == personal
    # `me` reaches the whole record; every category is also reached by a scope of its own resource
    assert categories_for("me", catalog) == [c for c in catalog.categories if c in personal]
    reached = {category for scope in KNOWN_SCOPES - {"me"} for category in categories_for(scope, catalog)}
    for category in catalog.categories:
        if category in personal:
            assert category in reached, f"no scope puts {category} on the consent page"
            assert category in CATEGORY_LABELS, f"{category} has no plain Japanese label"
        else:
            assert category not in reached, f"{category} is about no one: no consent is asked for it"


def test_statement_and_document_scopes_cover_every_category_they_release():
    catalog = load_catalog()
    statements = {rule.category for rule in catalog.statement_rules}
    statements |= {catalog.statement_default, *catalog.data_categories.values()}
    statements |= {category for _section, _iri, category in catalog.statement_fields}
    for scope in ("statements/read", "statements/read/mine", "all/read", "all"):
        assert statements <= set(categories_for(scope, catalog)), scope
    for scope in ("state", "profile", "all/read", "all"):
        assert catalog.documents in categories_for(scope, catalog), scope
    assert "xapi.document" not in categories_for("statements/read", catalog)
    # xAPI's all/read grants no roster reads; the OneRoster scopes do
    assert "roster.demographics" not in categories_for("all/read", catalog)
    demographics = "https://purl.imsglobal.org/spec/or/v1p2/scope/roster-demographics.readonly"
    assert categories_for(demographics, catalog) == ["roster.demographics"]


XAPI = {"X-Experience-API-Version": "2.0.0"}
STU_16 = {"objectType": "Agent", "account": {"homePage": "https://id.s1.kakehashi.example", "name": "stu-16"}}
UNIT = "https://kakehashi.example/units/8451503311000000"


def statement(verb: str, activity_type: str) -> dict:
    return {
        "actor": STU_16,
        "verb": {"id": verb},
        "object": {"id": UNIT, "definition": {"type": activity_type}},
    }


def test_a_consented_student_app_receives_every_category_its_scopes_reach(app, live_server, make_credentials):
    """Under the strict profile a student_app gets a student's data through the consent channel
    only: what the consent page recorded must cover coaching sessions, other learning records and
    the app's State documents."""
    seed_owners(app)
    writer = {**basic_auth(*make_credentials("all")), **XAPI}
    coaching = statement(
        "http://adlnet.gov/expapi/verbs/attended", "http://adlnet.gov/expapi/activities/meeting"
    )
    general = statement(
        "http://adlnet.gov/expapi/verbs/commented", "http://adlnet.gov/expapi/activities/lesson"
    )
    stored = requests.post(f"{live_server}/xapi/statements", json=[coaching, general], headers=writer)
    assert stored.status_code == 200, stored.text
    state = {"activityId": UNIT, "agent": json.dumps(STU_16), "stateId": "progress"}
    saved = requests.put(
        f"{live_server}/xapi/activities/state", params=state, json={"unit": 3}, headers=writer
    )
    assert saved.status_code == 204, saved.text

    scope = "statements/read state"
    client_id = register_student_app(app, scope)
    oauth, verifier, url = public_pkce_start(live_server, client_id, scope)
    browser = Browser(live_server)
    browser.login(url, "user-stu-16")
    page = browser.open(url).text
    for label in (
        "先生との面談をした日と長さ",
        "そのほかの学習の記録",
        "学習アプリがあなたについて保存したデータ",
    ):
        assert label in page, label
    location = browser.decide(url).headers["Location"]
    token = oauth.fetch_token(
        f"{live_server}/oauth/token", authorization_response=location, code_verifier=verifier
    )
    [consent] = consents(app)
    assert {"process.coaching-session", "process.general", "xapi.document"} <= set(consent["categories"])

    reader = {"Authorization": f"Bearer {token['access_token']}", **XAPI}
    released = requests.get(f"{live_server}/xapi/statements", headers=reader)
    assert released.status_code == 200, released.text
    assert len(released.json()["statements"]) == 2
    assert (
        "X-Kakehashi-Withheld" not in released.headers or released.headers["X-Kakehashi-Withheld"] == "none"
    )
    document = requests.get(f"{live_server}/xapi/activities/state", params=state, headers=reader)
    assert document.status_code == 200 and document.json() == {"unit": 3}
