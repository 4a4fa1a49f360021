"""Identity linking (gateway.oneroster.identity): user → agent by the documented rule, agent → user
by account or mbox, per-org homePage settings."""

from __future__ import annotations

import pytest

from gateway.errors import BadRequest, NotFound
from gateway.oneroster import identity

SCHOOL_A = "https://id.d122299000010.kakehashi.example"


@pytest.fixture
def ctx(app, roster):
    with app.app_context():
        yield roster


def user(roster, sourced_id):
    return next(record for record in roster["users"] if record["_id"] == sourced_id)


def test_a_user_is_an_account_under_its_schools_home_page(ctx):
    assert identity.agent_for_user(user(ctx, "student-1")) == {
        "objectType": "Agent",
        "account": {"homePage": SCHOOL_A, "name": "student-1"},
    }
    named = identity.agent_for_user(user(ctx, "teacher-2"), with_name=True)
    assert named["name"] == "伊藤 一郎"
    assert named["account"] == {"homePage": "https://id.d122399000020.kakehashi.example", "name": "teacher-2"}
    assert identity.agent_for_sourced_id("student-2")["account"]["name"] == "student-2"
    assert identity.agent_for_sourced_id("nobody") is None


def test_the_home_org_is_the_primary_org_else_the_primary_role_org(ctx):
    roles = [
        {"roleType": "secondary", "role": "teacher", "org": {"sourcedId": "school-b", "type": "org"}},
        {
            "roleType": "primary",
            "role": "districtAdministrator",
            "org": {"sourcedId": "board", "type": "org"},
        },
    ]
    admin = {"_id": "admin", "sourcedId": "admin", "roles": roles}
    assert identity.home_org_id(admin) == "board"
    assert identity.agent_for_user(admin)["account"]["homePage"] == "https://id.220001.kakehashi.example"
    assert identity.home_org_id({**admin, "primaryOrg": {"sourcedId": "school-b"}}) == "school-b"
    assert identity.home_org_id({"sourcedId": "x", "roles": roles[:1]}) == "school-b"
    assert identity.agent_for_user({"sourcedId": "orphan", "roles": []}) is None


def test_an_org_not_in_the_roster_uses_its_sourced_id(ctx):
    stranger = {"sourcedId": "s", "primaryOrg": {"sourcedId": "Unlisted-Org"}}
    assert (
        identity.agent_for_user(stranger)["account"]["homePage"]
        == "https://id.unlisted-org.kakehashi.example"
    )


def test_users_with_an_email_are_also_their_mbox(ctx):
    teacher = user(ctx, "teacher-1")
    assert identity.agents_for_user(teacher) == [
        {"objectType": "Agent", "account": {"homePage": SCHOOL_A, "name": "teacher-1"}},
        {"objectType": "Agent", "mbox": "mailto:tanaka@wakabadai.example"},
    ]
    assert identity.person_for_user(teacher) == {
        "objectType": "Person",
        "name": ["田中 花子"],
        "mbox": ["mailto:tanaka@wakabadai.example"],
        "account": [{"homePage": SCHOOL_A, "name": "teacher-1"}],
    }
    assert len(identity.agents_for_user(user(ctx, "student-1"))) == 1


def test_every_agent_of_every_user_links_back_to_it(ctx):
    for record in ctx["users"]:
        for agent in identity.agents_for_user(record):
            assert identity.user_for_agent(agent)["_id"] == record["_id"], agent


@pytest.mark.parametrize(
    "agent",
    [
        {
            "account": {"homePage": "https://id.d122399000020.kakehashi.example", "name": "student-1"}
        },  # other school
        {"account": {"homePage": SCHOOL_A, "name": "nobody"}},
        {"account": {"homePage": SCHOOL_A}},
        {"mbox": "mailto:nobody@example.jp"},
        {"mbox": "tanaka@wakabadai.example"},  # not a mailto IRI
        {"mbox_sha1sum": "ebd31e95054c018b10727ccffd2ef2ec3a016ee9"},
        {"openid": "https://openid.example/student-1"},
    ],
)
def test_agents_that_are_no_roster_user(ctx, agent):
    assert identity.user_for_agent(agent) is None


def test_mbox_lookup_ignores_case_and_refuses_shared_addresses(app, ctx):
    from gateway.oneroster.repository import collection

    assert identity.user_for_agent({"mbox": "mailto:TANAKA@Wakabadai.example"})["_id"] == "teacher-1"
    assert identity.user_for_agent({"account": {"homePage": SCHOOL_A.upper() + "/", "name": "teacher-1"}})
    collection("users").update_one({"_id": "student-2"}, {"$set": {"email": "minato@example.jp"}})
    assert identity.user_for_agent({"mbox": "mailto:minato@example.jp"}) is None


def test_a_configured_home_page_replaces_the_default_for_that_org(ctx):
    custom = "https://accounts.wakabadai.example/"
    assert identity.set_home_page("school-a", custom) == custom
    student = user(ctx, "student-1")
    assert identity.agent_for_user(student)["account"]["homePage"] == custom
    assert (
        identity.user_for_agent({"account": {"homePage": custom, "name": "student-1"}})["_id"] == "student-1"
    )
    assert identity.user_for_agent({"account": {"homePage": SCHOOL_A, "name": "student-1"}}) is None
    other = identity.agent_for_user(user(ctx, "student-4"))["account"]["homePage"]
    assert other == "https://id.d122399000020.kakehashi.example"  # other orgs keep theirs
    assert identity.set_home_page("school-a", None) == SCHOOL_A
    assert identity.agent_for_user(student)["account"]["homePage"] == SCHOOL_A


@pytest.mark.parametrize(
    "url", ["id.wakabadai.example", "ftp://x.example", "https://", "https://a b.example"]
)
def test_home_pages_must_be_absolute_http_urls(ctx, url):
    with pytest.raises(BadRequest):
        identity.set_home_page("school-a", url)
    assert identity.home_page("school-a") == SCHOOL_A


def test_home_pages_are_set_for_roster_orgs_only(ctx):
    with pytest.raises(NotFound):
        identity.set_home_page("nowhere", "https://x.example")


def test_the_demo_roster_follows_the_rule():
    from gateway.demo.roster import agent_for_user, build_roster

    roster = build_roster()
    student = roster.students()[0]
    school = roster.org(student["primaryOrgSourcedId"])
    agent = agent_for_user(student, school)
    assert agent["account"] == {"homePage": identity.default_home_page(school), "name": student["sourcedId"]}
    assert (
        identity.default_home_page(school) == f"https://id.{school['identifier'].lower()}.kakehashi.example"
    )


def test_the_home_page_command(app, roster, database_uri):
    from click.testing import CliRunner

    from gateway.cli import main

    runner = CliRunner()
    env = {"MONGODB_URI": database_uri, "MONGODB_DB": "kakehashi_test"}

    def run(*arguments):
        return runner.invoke(main, ["roster", "homepage", *arguments], env=env)

    assert run("school-a").output.strip() == SCHOOL_A
    assert (
        run("school-a", "https://accounts.wakabadai.example").output.strip()
        == "https://accounts.wakabadai.example"
    )
    with app.app_context():
        assert identity.home_page("school-a") == "https://accounts.wakabadai.example"
    assert run("school-a", "--default").output.strip() == SCHOOL_A
    refused = run("nowhere", "https://x.example")
    assert refused.exit_code == 1 and "nowhere" in refused.output
    assert run("school-a", "not a url").exit_code == 1
