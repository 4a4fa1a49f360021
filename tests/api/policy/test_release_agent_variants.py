"""The release policy knows a roster user by the identity rule of gateway.oneroster.identity, in
every spelling the rule accepts: an account homePage in another case or with a trailing slash, an
mbox address in another case than the stored e-mail. SubjectDirectory.agent_subjects and
identity.user_for_agent agree on every such agent, and a statement whose actor is one is decided
by the policy (pseudonymised for a provider under the strict profile), not released by scope."""

from __future__ import annotations

import json
import uuid

import pytest

from tests.api.policy.test_release_matrix import MOCK_EXAM, bearer_client, is_pseudonym, seed
from tests.conftest import basic_auth

HOME = "https://id.d122299000010.kakehashi.example"  # stu-strict's school (S1, strict board)
STORED_EMAIL = "Stu-Strict@Example.JP"  # stu-strict's e-mail, stored in mixed case

# (agent, the roster user the rule says it is)
AGENTS = [
    ({"account": {"homePage": HOME, "name": "stu-strict"}}, "stu-strict"),
    ({"account": {"homePage": HOME + "/", "name": "stu-strict"}}, "stu-strict"),
    ({"account": {"homePage": "https://ID.D122299000010.kakehashi.example/", "name": "stu-strict"}}, "stu-strict"),
    ({"account": {"homePage": HOME.upper(), "name": "stu-strict"}}, "stu-strict"),
    ({"account": {"homePage": HOME, "name": "STU-STRICT"}}, None),  # a sourcedId is case-sensitive
    ({"account": {"homePage": "http://id.d122299000010.kakehashi.example", "name": "stu-strict"}}, None),
    ({"account": {"homePage": "https://id.d199299000020.kakehashi.example/", "name": "stu-strict"}}, None),
    ({"account": {"homePage": HOME}}, None),
    ({"mbox": "mailto:Stu-Strict@Example.JP"}, "stu-strict"),
    ({"mbox": "mailto:stu-strict@example.jp"}, "stu-strict"),
    ({"mbox": "mailto:STU-STRICT@EXAMPLE.JP"}, "stu-strict"),
    ({"mbox": "MAILTO:stu-strict@Example.jp"}, "stu-strict"),
    ({"mbox": "mailto:STU-PERM@example.jp"}, "stu-perm"),
    ({"mbox": "mailto:stu-strict@example.jp.evil"}, None),
    ({"mbox": "mailto:"}, None),
    ({"mbox": "stu-strict@example.jp"}, None),  # not a mailto IRI
    ({"mbox_sha1sum": "ebd31e95054c018b10727ccffd2ef2ec3a016ee9"}, None),
    ({"openid": "https://openid.example/stu-strict"}, None),
]  # fmt: skip


@pytest.fixture
def roster(app):
    from gateway.oneroster.repository import collection

    seed(app)
    with app.app_context():
        collection("users").update_one({"_id": "stu-strict"}, {"$set": {"email": STORED_EMAIL}})


@pytest.fixture
def audited(monkeypatch) -> list[list[str]]:
    """The subjects of each audit entry written (sorted)."""
    import gateway.policy.audit as audit

    entries, record = [], audit.record_release

    def record_and_keep(**kwargs):
        kwargs["subjects"] = list(kwargs["subjects"])
        entries.append(sorted(kwargs["subjects"]))
        return record(**kwargs)

    monkeypatch.setattr(audit, "record_release", record_and_keep)
    return entries


def post_mock_exam(client, make_credentials, actor: dict) -> str:
    """Stores a mock exam (tier II: pseudonymised to a provider under the strict profile) by `actor`."""
    writer = {**basic_auth(*make_credentials("statements/write")), "X-Experience-API-Version": "1.0.3"}
    statement_id = str(uuid.uuid4())
    body = {"id": statement_id, "actor": {"objectType": "Agent", **actor}, **MOCK_EXAM}
    assert client.post("/xapi/statements", json=body, headers=writer).status_code == 200
    return statement_id


def directory_says(agents: list[dict]) -> list[str | None]:
    from gateway.policy.subjects import SubjectDirectory

    return [subject and subject.sourced_id for subject in SubjectDirectory().agent_subjects(agents)]


def identity_says(agent: dict) -> str | None:
    from gateway.oneroster.identity import user_for_agent

    user = user_for_agent(agent)
    return user and user["_id"]


@pytest.mark.parametrize(("agent", "user"), AGENTS, ids=[str(agent) for agent, _ in AGENTS])
def test_the_policy_and_the_identity_rule_name_the_same_user(app, roster, agent, user):
    with app.app_context():
        assert identity_says(agent) == user
        assert directory_says([agent]) == [user]


def test_a_batch_of_variants_costs_one_query_per_kind(app, roster):
    from gateway.policy.subjects import SubjectDirectory

    agents = [agent for agent, _ in AGENTS] * 6  # 108 agents
    with app.app_context():
        directory = SubjectDirectory()
        resolved = directory.agent_subjects(agents)
        assert [subject and subject.sourced_id for subject in resolved] == [user for _, user in AGENTS] * 6
        assert directory.queries == 4  # org tables (2), users by sourcedId, users by e-mail
        directory.agent_subjects(agents)
        assert directory.queries == 4  # then served from the cache


def share_the_address(app) -> dict:
    """stu-perm is given stu-strict's e-mail address (in another case): a family address."""
    from gateway.oneroster.repository import collection

    with app.app_context():
        collection("users").update_one({"_id": "stu-perm"}, {"$set": {"email": STORED_EMAIL.lower()}})
    return {"mbox": "mailto:" + STORED_EMAIL}


def test_an_address_two_users_share_identifies_neither_but_is_about_both(app, roster):
    agent = share_the_address(app)
    with app.app_context():
        assert identity_says(agent) is None
        from gateway.policy.subjects import SubjectDirectory

        (found,) = SubjectDirectory().agent_subjects([agent])
        assert sorted(subject.sourced_id for subject in found) == ["stu-perm", "stu-strict"]


def test_a_statement_by_a_shared_address_goes_out_identified_or_not_at_all(
    app, client, make_credentials, roster, audited
):
    # a mock exam (tier II): to a provider, stu-strict's profile says pseudonymised; no one
    # pseudonym stands for an address two students share, so it is withheld. A school client bound
    # to no organisation may have both identified: it gets the statement as stored.
    agent = share_the_address(app)
    statement_id = post_mock_exam(client, make_credentials, agent)

    _, provider = bearer_client(app, client, "provider")
    response = client.get("/xapi/statements", headers=provider)
    assert response.status_code == 200 and response.json["statements"] == []
    assert "assessment.mock-exam=1" in response.headers["X-Kakehashi-Withheld"]
    named = client.get("/xapi/statements", headers=provider, query_string={"agent": json.dumps(agent)})
    assert named.status_code == 200 and named.json["statements"] == []
    assert audited[0] == ["stu-perm", "stu-strict"]
    # the Person (roster.identity, tier III): identified to a provider, to a third party nothing
    person = client.get("/xapi/agents", headers=provider, query_string={"agent": json.dumps(agent)})
    assert person.json["mbox"] == [agent["mbox"]]
    _, third_party = bearer_client(app, client, "third_party")
    person = client.get("/xapi/agents", headers=third_party, query_string={"agent": json.dumps(agent)})
    assert person.status_code == 200 and person.json == {"objectType": "Person"}

    _, school = bearer_client(app, client, "school")
    (released,) = client.get("/xapi/statements", headers=school).json["statements"]
    assert released["id"] == statement_id and released["actor"]["mbox"] == agent["mbox"]


@pytest.mark.parametrize(
    "actor",
    [
        {"account": {"homePage": "https://ID.D122299000010.kakehashi.example/", "name": "stu-strict"}},
        {"account": {"homePage": HOME + "/", "name": "stu-strict"}},
        {"mbox": "mailto:stu-strict@example.jp"},  # stored as Stu-Strict@Example.JP
        {"mbox": "mailto:STU-STRICT@EXAMPLE.JP"},
    ],
    ids=["homePage-case-and-slash", "homePage-slash", "mbox-lower", "mbox-upper"],
)
def test_a_statement_by_a_variant_of_a_student_is_decided_by_the_policy(
    app, client, make_credentials, roster, audited, actor
):
    # a mock exam (tier II) to a provider: the strict profile gives it pseudonymised
    statement_id = post_mock_exam(client, make_credentials, actor)
    _, headers = bearer_client(app, client, "provider")
    response = client.get("/xapi/statements", headers=headers)
    assert response.status_code == 200, response.json
    (released,) = response.json["statements"]
    assert released["id"] == statement_id
    assert is_pseudonym(released["actor"]), released["actor"]
    assert audited == [["stu-strict"]]


def test_the_e_mail_look_up_uses_the_case_insensitive_index(app):
    from gateway.oneroster.repository import EMAIL_COLLATION, collection

    with app.app_context():
        plan = (
            collection("users")
            .find({"email": {"$in": ["student@example.jp"]}})
            .collation(EMAIL_COLLATION)
            .explain()["queryPlanner"]["winningPlan"]
        )
    assert "email_ci" in str(plan) and "COLLSCAN" not in str(plan)
