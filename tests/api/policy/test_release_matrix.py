"""The decision matrix: every recipient role × channel × consent state × tier of the shipped
security profiles, through real HTTP requests with real OAuth2 bearer tokens (client_credentials).

Two students: one under board 220001 (strict profile), one under a board given the permissive
profile. School and board clients are run as the school/board of one student (so the other is
another school's), and without an organisation: their school channel reaches their own students
only (another school's student is `deny` by that channel, a consent still applies); a client
without an organisation is bound to none. Each has one statement per statement category (tiers I–III) and roster records (kana,
contact, demographics); tier IV is reference data about no one (OneRoster orgs, curriculum units). Expected forms are read from the profile files here, independently of the
engine, and no response may hold a field the profile forbids.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import requests
import yaml

from gateway.resources import data_path

V = "https://kakehashi.example/xapi/"
ADL = "http://adlnet.gov/expapi/"
EXAM_KIND = V + "extensions/exam-kind"
NOTE = V + "extensions/coaching-note"
DEVIATION = V + "extensions/deviation-score"
ACHIEVEMENT = V + "extensions/achievement-rate"
ROLES = ("school", "board", "provider", "third_party", "student_app")
STATES = ("none", "active", "revoked", "expired")
STRICT_BOARD, PERMISSIVE_BOARD = "220001", "990001"
STUDENTS = {"stu-strict": ("S1", "strict"), "stu-perm": ("S2", "permissive")}
ORG_CHAINS = {"stu-strict": ("S1", "B1"), "stu-perm": ("S2", "B2")}
# the recipients of the matrix: (role, the client's organisation); school and board clients as the
# organisation of one student and of the other (own vs other school), and with none
RECIPIENTS = [
    ("school", "S1"), ("school", "S2"), ("school", None),
    ("board", "B1"), ("board", "B2"), ("board", None),
    ("provider", None), ("third_party", None), ("student_app", None),
]  # fmt: skip
OR12 = "https://purl.imsglobal.org/spec/or/v1p2/scope/"
READ_SCOPES = f"statements/read {OR12}roster.readonly {OR12}roster-demographics.readonly"

# (verb, activity type, activity extensions, result extensions) → category; fields with their own
STATEMENT_KINDS = {
    "assessment.periodic-test": (
        ADL + "verbs/scored",
        ADL + "activities/assessment",
        {EXAM_KIND: "periodic"},
        {},
    ),
    "assessment.mock-exam": (
        ADL + "verbs/scored",
        ADL + "activities/assessment",
        {EXAM_KIND: "mock"},
        {DEVIATION: 55.0},
    ),
    "process.study-time": (ADL + "verbs/experienced", V + "activity-types/curriculum-unit", {}, {}),
    "process.achievement": (
        ADL + "verbs/progressed",
        V + "activity-types/curriculum-unit",
        {},
        {ACHIEVEMENT: 0.5},
    ),
    "process.backtracking": (V + "verbs/backtracked", V + "activity-types/curriculum-unit", {}, {}),
    "process.coaching-session": (
        ADL + "verbs/attended",
        ADL + "activities/meeting",
        {},
        {NOTE: "数学の復習を提案"},
    ),
    "process.learning-alert": (V + "verbs/was-flagged", V + "activity-types/learning-alert", {}, {}),
}
FIELD_CATEGORIES = {
    NOTE: "process.coaching-note",
    DEVIATION: "assessment.mock-exam",
    ACHIEVEMENT: "process.achievement",
}
RANK = {"deny": 0, "aggregate": 1, "pseudonymised": 2, "identified": 3}
PSEUDONYM_HOME_PAGE = "https://pseudonym.kakehashi.example"
# a mock-exam statement without its actor (assessment.mock-exam: pseudonymised to a provider under
# the strict profile), for the other release tests
MOCK_EXAM = {
    "verb": {"id": ADL + "verbs/scored"},
    "object": {
        "objectType": "Activity",
        "id": "https://kakehashi.example/activities/mock",
        "definition": {"type": ADL + "activities/assessment", "extensions": {EXAM_KIND: "mock"}},
    },
}


def is_pseudonym(agent: dict) -> bool:
    """Whether an Agent is a recipient's pseudonym of a roster user (and nothing more)."""
    return agent.get("account", {}).get("homePage") == PSEUDONYM_HOME_PAGE and "name" not in agent


class HttpResponse:
    """A `requests` response read like Flask's test response (`.json` is the parsed body)."""

    def __init__(self, response: requests.Response):
        self.status_code = response.status_code
        self.headers = response.headers
        self.json = response.json() if response.content else None


class HttpClient:
    """The matrix talks to the gateway over real HTTP (waitress on a free port), as clients do."""

    def __init__(self, base: str):
        self.base = base
        self.session = requests.Session()

    def get(self, path: str, *, headers=None, query_string=None) -> HttpResponse:
        return HttpResponse(
            self.session.get(self.base + path, headers=headers, params=query_string, timeout=30)
        )

    def post(self, path: str, *, headers=None, data=None, json=None) -> HttpResponse:
        return HttpResponse(
            self.session.post(self.base + path, headers=headers, data=data, json=json, timeout=30)
        )


@pytest.fixture
def client(live_server):
    """Overrides the suite's in-process test client: every request below goes over HTTP."""
    http = HttpClient(live_server)
    yield http
    http.session.close()


def profile(name: str) -> dict:
    return yaml.safe_load(data_path("profiles", "security", f"{name}.yaml").read_text(encoding="utf-8"))


PROFILES = {"strict": profile("strict"), "permissive": profile("permissive")}


def serves(role: str, organisation: str | None, student: str) -> bool:
    """Whether the recipient's school channel reaches the student (own school / board)."""
    return role not in ("school", "board") or organisation is None or organisation in ORG_CHAINS[student]


def expected_form(
    profile_name: str, role: str, category: str, consent_active: bool, served: bool = True
) -> str:
    data = PROFILES[profile_name]
    cell = data["forms"][data["categories"][category]][role]
    form = cell["school"] if served else "deny"
    if consent_active and RANK[cell["consent"]] > RANK[form]:
        form = cell["consent"]
    return form


def basic(client_id, secret) -> dict:
    return {"Authorization": "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()}


def seed(app) -> None:
    from gateway.oneroster.repository import collection
    from gateway.policy.profiles import ProfileSet
    from gateway.policy.release import release_policy

    with app.app_context():
        collection("orgs").insert_many(
            [
                {"_id": "B1", "sourcedId": "B1", "name": "静岡県教育委員会", "type": "district", "identifier": STRICT_BOARD},
                {"_id": "B2", "sourcedId": "B2", "name": "試験市教育委員会", "type": "district", "identifier": PERMISSIVE_BOARD},
                {"_id": "S1", "sourcedId": "S1", "name": "一高", "type": "school", "identifier": "D122299000010", "parent": {"sourcedId": "B1", "type": "org"}},
                {"_id": "S2", "sourcedId": "S2", "name": "二高", "type": "school", "identifier": "D199299000020", "parent": {"sourcedId": "B2", "type": "org"}},
            ]
        )  # fmt: skip
        collection("users").insert_many(
            [
                {
                    "_id": sid,
                    "sourcedId": sid,
                    "status": "active",
                    "enabledUser": "true",
                    "username": f"user-{sid}",
                    "givenName": "花子",
                    "familyName": "山田",
                    "email": f"{sid}@example.jp",
                    "metadata": {"jp.kanaGivenName": "ハナコ", "jp.kanaFamilyName": "ヤマダ"},
                    "roles": [
                        {
                            "roleType": "primary",
                            "role": "student",
                            "org": {"sourcedId": school, "type": "org"},
                        }
                    ],
                    "primaryOrg": {"sourcedId": school, "type": "org"},
                }
                for sid, (school, _) in STUDENTS.items()
            ]
        )
        collection("demographics").insert_many(
            [{"_id": sid, "sourcedId": sid, "birthDate": "2010-05-01", "sex": "female"} for sid in STUDENTS]
        )
        policy = release_policy(app)
        profiles = policy.profiles
        # the permissive profile lists no board as shipped: give it the test board
        policy.profiles = ProfileSet(
            profiles.profiles,
            {**profiles.by_board, PERMISSIVE_BOARD: profiles.named("permissive")},
            profiles.default,
        )
        policy.directory.clear()


def statement(student: str, school_code: str, category: str) -> dict:
    verb, activity_type, activity_extensions, result_extensions = STATEMENT_KINDS[category]
    definition = {"type": activity_type}
    if activity_extensions:
        definition["extensions"] = activity_extensions
    body = {
        "id": str(uuid.uuid4()),
        "actor": {"objectType": "Agent", "account": {"homePage": f"https://id.{school_code.lower()}.kakehashi.example", "name": student}},
        "verb": {"id": verb},
        "object": {"objectType": "Activity", "id": f"https://kakehashi.example/activities/{category}", "definition": definition},
        "result": {"completion": True},
    }  # fmt: skip
    if result_extensions:
        body["result"]["extensions"] = dict(result_extensions)
    return body


@pytest.fixture
def world(app, client, make_credentials):
    seed(app)
    writer = {**basic(*make_credentials("statements/write")), "X-Experience-API-Version": "1.0.3"}
    sent = {}
    codes = {"S1": "D122299000010", "S2": "D199299000020"}
    batch = []
    for student, (school, _) in STUDENTS.items():
        for category in STATEMENT_KINDS:
            body = statement(student, codes[school], category)
            sent[body["id"]] = (student, category)
            batch.append(body)
    assert client.post("/xapi/statements", json=batch, headers=writer).status_code == 200
    # a statement about an agent who is no roster user: released per scope whatever the policy
    stranger = statement("nobody", "D000000000000", "process.coaching-session")
    stranger["actor"] = {"mbox": "mailto:stranger@example.org"}
    assert client.post("/xapi/statements", json=stranger, headers=writer).status_code == 200
    return {"sent": sent, "stranger": stranger["id"]}


def bearer_client(app, client, role: str, organisation: str | None = None) -> tuple[str, dict]:
    from gateway.auth.service import register_client

    with app.app_context():
        issued = register_client(f"matrix {role}", role, READ_SCOPES, organisation=organisation)
    response = client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials", "scope": READ_SCOPES},
        headers=basic(issued.client_id, issued.client_secret),
    )
    assert response.status_code == 200, response.json
    token = response.json["access_token"]
    return issued.client_id, {"Authorization": f"Bearer {token}", "X-Experience-API-Version": "1.0.3"}


def set_consent(app, client_id: str, state: str) -> list[str]:
    if state == "none":
        return []
    from gateway.policy.consent import Consent, grant_consent, revoke_consent

    now = datetime.now(UTC)
    ids = []
    with app.app_context():
        for student in STUDENTS:
            receipt = grant_consent(
                subject=student,
                granted_by=student,
                granted_by_role="student",
                recipient_client_id=client_id,
                purpose="learning-support",
                categories=[
                    *STATEMENT_KINDS,
                    "process.coaching-note",
                    "roster.identity",
                    "roster.kana",
                    "roster.contact",
                    "roster.demographics",
                ],
                valid_from=now - timedelta(days=1),
                valid_until=now + timedelta(days=30),
            )
            consent_id = (
                receipt.get("kakehashi", {}).get("id")
                or receipt.get("id")
                or receipt["record_header"]["record_id"]
            )
            ids.append(consent_id)
            if state == "revoked":
                revoke_consent(consent_id, by=student)
            elif state == "expired":
                Consent.objects(id=consent_id).update_one(
                    set__valid_from=now - timedelta(days=10), set__valid_until=now - timedelta(seconds=1)
                )
    return ids


def get_all_statements(client, headers) -> tuple[list[dict], object]:
    response = client.get("/xapi/statements?limit=100", headers=headers)
    assert response.status_code == 200, response.json
    return response.json["statements"], response


def check_statements(statements, world, role: str, consent_active, organisation: str | None = None) -> dict:
    """`consent_active`: True/False for every student, or the set of students with an active consent."""
    seen = {s["id"]: s for s in statements}
    assert world["stranger"] in seen and NOTE in seen[world["stranger"]]["result"]["extensions"]
    withheld = 0
    for statement_id, (student, category) in world["sent"].items():
        profile_name = STUDENTS[student][1]
        active = student in consent_active if isinstance(consent_active, set) else consent_active
        served = serves(role, organisation, student)
        whole = expected_form(profile_name, role, category, active, served)
        if RANK[whole] < RANK["pseudonymised"]:
            assert statement_id not in seen, (profile_name, role, category, whole)
            withheld += 1
            continue
        released = seen[statement_id]
        extensions = (released.get("result") or {}).get("extensions") or {}
        kept_forms = [whole]
        for iri, field_category in FIELD_CATEGORIES.items():
            if iri not in STATEMENT_KINDS[category][3]:
                continue
            field_form = expected_form(profile_name, role, field_category, active, served)
            if RANK[field_form] < RANK["pseudonymised"]:
                assert iri not in extensions, (profile_name, role, category, iri, field_form)
            else:
                assert iri in extensions
                kept_forms.append(field_form)
        effective = min(kept_forms, key=RANK.get)
        actor = released["actor"]
        if effective == "pseudonymised":
            assert actor["account"]["homePage"] == "https://pseudonym.kakehashi.example"
            assert actor["account"]["name"] != student and "name" not in actor
        else:
            assert actor["account"]["name"] == student
    return {"withheld": withheld}


def check_users(client, headers, role: str, consent_active: bool, organisation: str | None = None) -> None:
    response = client.get("/ims/oneroster/rostering/v1p2/users", headers=headers)
    assert response.status_code == 200, response.json
    users = {user["sourcedId"]: user for user in response.json["users"]}
    for student, (_, profile_name) in STUDENTS.items():
        served = serves(role, organisation, student)
        identity = expected_form(profile_name, role, "roster.identity", consent_active, served)
        if identity != "identified":
            assert student not in users
            continue
        user = users[student]
        kana = expected_form(profile_name, role, "roster.kana", consent_active, served) == "identified"
        contact = expected_form(profile_name, role, "roster.contact", consent_active, served) == "identified"
        assert ("jp.kanaGivenName" in (user.get("metadata") or {})) is kana
        assert ("email" in user) is contact
    response = client.get("/ims/oneroster/rostering/v1p2/demographics", headers=headers)
    assert response.status_code == 200
    released = {record["sourcedId"] for record in response.json["demographics"]}
    for student, (_, profile_name) in STUDENTS.items():
        served = serves(role, organisation, student)
        allowed = (
            expected_form(profile_name, role, "roster.demographics", consent_active, served) == "identified"
        )
        assert (student in released) is allowed, (profile_name, role, organisation)


DEFAULT_PROFILE = next(name for name, data in PROFILES.items() if data.get("default"))


def check_reference(client, headers, role: str) -> None:
    """Tier IV: reference data about no one (OneRoster orgs, curriculum units), decided under the
    default profile whatever the consents and the client's organisation."""
    orgs = client.get("/ims/oneroster/rostering/v1p2/orgs", headers=headers)
    assert orgs.status_code == 200
    released = expected_form(DEFAULT_PROFILE, role, "roster.reference", False) == "identified"
    assert {org["sourcedId"] for org in orgs.json["orgs"]} == (
        {"B1", "B2", "S1", "S2"} if released else set()
    )
    units = client.get("/units?limit=1", headers=headers)
    released = expected_form(DEFAULT_PROFILE, role, "reference.curriculum", False) == "identified"
    assert units.status_code == (200 if released else 403)


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize(
    ("role", "organisation"), RECIPIENTS, ids=[f"{r}-{o or 'no-org'}" for r, o in RECIPIENTS]
)
def test_decision_matrix(app, client, world, role, organisation, state):
    client_id, headers = bearer_client(app, client, role, organisation)
    set_consent(app, client_id, state)
    statements, response = get_all_statements(client, headers)
    outcome = check_statements(statements, world, role, state == "active", organisation)
    header = response.headers["X-Kakehashi-Withheld"]
    counted = sum(
        int(part.split("=")[1]) for part in header.split(", ") if "#field" not in part and "=" in part
    )
    assert counted == outcome["withheld"]
    assert 'rel="decision"' in response.headers["Link"]
    check_users(client, headers, role, state == "active", organisation)
    check_reference(client, headers, role)


def test_reference_data_follows_the_profile_when_it_withholds_it(app, client, world):
    """No shipped profile withholds tier IV; one that does is obeyed, and says so in the headers."""
    from gateway.policy.profiles import ProfileSet
    from gateway.policy.release import release_policy

    policy = release_policy(app)
    default = policy.profiles.default
    forms = {
        key: ("deny" if key[0] == "IV" and key[1] == "third_party" else form)
        for key, form in default.forms.items()
    }
    closed = dataclasses.replace(default, forms=forms)
    policy.profiles = ProfileSet(
        tuple(closed if p is default else p for p in policy.profiles.profiles),
        {board: closed if p is default else p for board, p in policy.profiles.by_board.items()},
        closed,
    )
    _, third_party = bearer_client(app, client, "third_party")
    orgs = client.get("/ims/oneroster/rostering/v1p2/orgs", headers=third_party)
    assert orgs.status_code == 200 and orgs.json["orgs"] == []
    assert "roster.reference=4" in orgs.headers["X-Kakehashi-Withheld"]
    units = client.get("/units?limit=1", headers=third_party)
    assert units.status_code == 403 and units.json["error"]["code"] == "withheld_by_policy"
    _, provider = bearer_client(app, client, "provider")
    assert len(client.get("/ims/oneroster/rostering/v1p2/orgs", headers=provider).json["orgs"]) == 4


def test_revoking_a_consent_changes_the_very_next_response(app, client, world):
    from gateway.policy.consent import revoke_consent

    client_id, headers = bearer_client(app, client, "provider")
    (consent_strict, _) = set_consent(app, client_id, "active")
    before, _ = get_all_statements(client, headers)
    check_statements(before, world, "provider", consent_active=True)
    notes_before = [s for s in before if NOTE in ((s.get("result") or {}).get("extensions") or {})]
    with app.app_context():
        revoke_consent(consent_strict, by="stu-strict")
    after, _ = get_all_statements(client, headers)
    strict_ids = {sid for sid, (student, _) in world["sent"].items() if student == "stu-strict"}
    notes_after = [s for s in after if NOTE in ((s.get("result") or {}).get("extensions") or {})]
    assert len(notes_after) == len(notes_before) - 1  # the strict student's coaching note is gone
    check_statements(after, world, "provider", consent_active={"stu-perm"})
    # the strict student's graded statements (tier II) now reach the provider pseudonymised only
    graded = [
        s for s in after if s["id"] in strict_ids and world["sent"][s["id"]][1].startswith("assessment.")
    ]
    assert graded and all(
        s["actor"]["account"]["homePage"] == "https://pseudonym.kakehashi.example" for s in graded
    )


def test_pseudonyms_are_stable_per_recipient_and_differ_across(app, client, world):
    _, first = bearer_client(app, client, "provider")
    _, second = bearer_client(app, client, "provider")

    def pseudonyms(headers):
        statements, _ = get_all_statements(client, headers)
        return {
            s["actor"]["account"]["name"]
            for s in statements
            if s["actor"].get("account", {}).get("homePage") == "https://pseudonym.kakehashi.example"
        }

    a1, a2, b = pseudonyms(first), pseudonyms(first), pseudonyms(second)
    assert a1 and a1 == a2
    assert not (a1 & b)


def test_explain_says_which_fields_go_in_which_form_and_why(app, client, world, make_credentials):
    provider_id, _ = bearer_client(app, client, "provider")
    admin = basic(*make_credentials("audit.read", role="board"))
    note_id = next(
        sid
        for sid, (student, cat) in world["sent"].items()
        if student == "stu-strict" and cat == "assessment.mock-exam"
    )
    response = client.post(
        "/policy/explain",
        json={"client_id": provider_id, "resource": "xapi/statements", "params": {"statementId": note_id}},
        headers=admin,
    )
    assert response.status_code == 200, response.json
    (item,) = response.json["items"]
    assert item["profile"] == "strict" and item["form"] == "pseudonymised"
    assert item["statement"]["rule"] == "strict:II:provider:school"
    assert [f["field"].rsplit("/", 1)[1] for f in item["fields"]] == ["deviation-score"]
    users = client.post(
        "/policy/explain",
        json={"client_id": provider_id, "resource": "oneroster/users", "params": {"sourcedId": "stu-strict"}},
        headers=admin,
    ).json["items"][0]
    assert {f["field"]: f["released"] for f in users["fields"]}["metadata.jp.kanaGivenName"] is False
    assert (
        client.post(
            "/policy/explain", json={"client_id": provider_id, "resource": "x"}, headers=admin
        ).status_code
        == 400
    )
    no_scope = basic(*make_credentials("statements/read"))
    assert (
        client.post(
            "/policy/explain",
            json={"client_id": provider_id, "resource": "xapi/statements"},
            headers=no_scope,
        ).status_code
        == 403
    )
    # a board's own administrator: the answer would name other organisations' students
    from gateway.auth.service import register_client

    with app.app_context():
        board_admin = register_client("B1 admin", "board", "audit.read", organisation="B1")
    response = client.post(
        "/policy/explain",
        json={"client_id": provider_id, "resource": "xapi/statements"},
        headers=basic(board_admin.client_id, board_admin.client_secret),
    )
    assert response.status_code == 403 and "deployment administrators" in response.json["error"]["message"]
    # explaining records nothing: no audit entry from these calls


STRICT_STUDENT_AGENT = {
    "objectType": "Agent",
    "account": {"homePage": "https://id.d122299000010.kakehashi.example", "name": "stu-strict"},
}


def test_a_query_naming_a_student_never_answers_with_their_pseudonym(app, client, world):
    """agent=<the student> ties every statement of the answer to them: a pseudonymised statement
    there would link the pseudonym to the person, so it is withheld instead."""
    _, provider = bearer_client(app, client, "provider")
    everything, _ = get_all_statements(client, provider)
    pseudonymised = [
        s for s in everything if s["actor"].get("account", {}).get("homePage") == PSEUDONYM_HOME_PAGE
    ]
    assert pseudonymised  # the strict profile pseudonymises some categories for a provider
    response = client.get(
        "/xapi/statements", query_string={"agent": json.dumps(STRICT_STUDENT_AGENT)}, headers=provider
    )
    assert response.status_code == 200
    answered = response.json["statements"]
    assert answered and all(s["actor"]["account"]["name"] == "stu-strict" for s in answered)
    identified = {
        statement_id
        for statement_id, (student, category) in world["sent"].items()
        if student == "stu-strict" and expected_form("strict", "provider", category, False) == "identified"
    }
    assert {s["id"] for s in answered} <= identified
    assert expected_form("strict", "provider", "assessment.mock-exam", False) != "identified"
    assert "assessment.mock-exam=" in response.headers["X-Kakehashi-Withheld"]


def test_the_agents_resource_never_answers_with_a_pseudonym(app, client, world):
    _, third_party = bearer_client(app, client, "third_party")
    assert expected_form("strict", "third_party", "roster.identity", False) != "identified"
    response = client.get(
        "/xapi/agents", query_string={"agent": json.dumps(STRICT_STUDENT_AGENT)}, headers=third_party
    )
    assert response.status_code == 200
    assert response.json == {"objectType": "Person"}
    assert "roster.identity=" in response.headers["X-Kakehashi-Withheld"]


def test_a_recipient_reads_the_decision_record_of_its_own_response(app, client, world):
    provider_id, provider = bearer_client(app, client, "provider")
    _, response = get_all_statements(client, provider)
    entry_id = response.headers["X-Kakehashi-Decision"]
    own = client.get(f"/audit/{entry_id}", headers=provider)
    assert own.status_code == 200 and own.json["client_id"] == provider_id
    _, other = bearer_client(app, client, "provider")
    assert client.get(f"/audit/{entry_id}", headers=other).status_code == 404
    assert client.get("/audit", headers=provider).status_code == 403  # querying the log: audit.read


def test_a_roster_filter_or_sort_cannot_read_what_the_answer_withholds(app, client, world):
    """Matching or ordering by a field reads it: a filter or sort may use only fields the client
    receives identified (school channel, every profile), and a filtered total counts only the
    records released."""
    users = "/ims/oneroster/rostering/v1p2/users"
    _, provider = bearer_client(app, client, "provider")
    # roster.contact (tier II) goes to a provider pseudonymised under the strict profile: no filter,
    # no sort on the e-mail address (the answer would say whose it is)
    for query in ({"filter": "email='stu-strict@example.jp'"}, {"sort": "email"}):
        response = client.get(users, headers=provider, query_string=query)
        assert response.status_code == 403, response.json
        assert "email" in response.json["imsx_description"]
    # names (roster.identity, tier III) a provider receives: it may filter on them
    found = client.get(users, headers=provider, query_string={"filter": "familyName='山田'"})
    assert found.status_code == 200 and found.headers["X-Total-Count"] == "2"
    # a third party receives names only as aggregates: no filter on them
    _, third_party = bearer_client(app, client, "third_party")
    refused = client.get(users, headers=third_party, query_string={"filter": "familyName='山田'"})
    assert refused.status_code == 403
    # a school's client receives its own students: both students match, the total counts its own
    _, school = bearer_client(app, client, "school", "S1")
    own = client.get(users, headers=school, query_string={"filter": "familyName='山田'"})
    assert own.status_code == 200 and [u["sourcedId"] for u in own.json["users"]] == ["stu-strict"]
    assert own.headers["X-Total-Count"] == "1"
