"""The pure policy engine and the validation of the catalog and security profiles (no app, no DB)."""

from __future__ import annotations

import shutil

import pytest
import yaml

from gateway.policy.catalog import PolicyDataError, load_catalog
from gateway.policy.engine import Grant, Recipient, decide, suppress_small_groups
from gateway.policy.profiles import load_profiles
from gateway.policy.pseudonyms import pseudonym
from gateway.resources import data_path


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


@pytest.fixture(scope="module")
def profiles(catalog):
    return load_profiles(catalog)


def test_the_demo_board_gets_the_strict_profile_and_unlisted_boards_the_default(profiles):
    assert profiles.for_boards(["D122299000010", "220001"]).name == "strict"
    assert profiles.for_boards(["139999"]).name == profiles.default.name == "strict"


def test_named_grades_do_not_go_to_a_company_pseudonymised_ones_and_consented_ones_do(profiles):
    strict = profiles.named("strict")
    provider = Recipient("c1", "provider")
    school_channel = decide(strict, provider, set(), "stu", "assessment.periodic-test")
    assert (school_channel.form, school_channel.rule) == ("pseudonymised", "strict:II:provider:school")
    consented = decide(strict, provider, set(), "stu", "assessment.periodic-test",
                       consents=[Grant("k1", "learning-support", frozenset({"assessment.periodic-test"}))])  # fmt: skip
    assert (consented.form, consented.consent) == ("identified", "k1")
    other_category = decide(strict, provider, set(), "stu", "process.coaching-note",
                            consents=[Grant("k1", "learning-support", frozenset({"assessment.periodic-test"}))])  # fmt: skip
    assert other_category.form == "deny" and other_category.consent is None


def test_a_consent_for_another_purpose_than_the_recipients_does_not_count(profiles):
    strict = profiles.named("strict")
    recipient = Recipient("c1", "provider", purpose="research")
    grant = Grant("k1", "learning-support", frozenset({"assessment.mock-exam"}))
    assert (
        decide(strict, recipient, set(), "stu", "assessment.mock-exam", consents=[grant]).form
        == "pseudonymised"
    )


def test_a_school_or_board_reaches_its_own_students_only_through_the_school_channel(profiles):
    strict = profiles.named("strict")
    chain = ("S1", "B1")  # the student's school, then its board
    for recipient in (Recipient("c1", "school", "S1"), Recipient("c2", "board", "B1")):
        own = decide(strict, recipient, set(), "stu", "assessment.periodic-test", subject_orgs=chain)
        assert (own.form, own.rule) == ("identified", f"strict:II:{recipient.role}:school")
    for recipient in (
        Recipient("c3", "school", "S2"),
        Recipient("c4", "board", "B2"),
    ):
        other = decide(strict, recipient, set(), "stu", "assessment.periodic-test", subject_orgs=chain)
        assert (other.form, other.rule) == ("deny", f"strict:II:{recipient.role}:school:outside-organisation")
        # the student's consent to that recipient still applies
        grant = Grant("k1", "learning-support", frozenset({"assessment.periodic-test"}))
        consented = decide(
            strict, recipient, set(), "stu", "assessment.periodic-test", consents=[grant], subject_orgs=chain
        )
        assert (consented.form, consented.consent) == ("identified", "k1")
    # a school client without an organisation is bound to none; other roles are unaffected
    assert (
        decide(strict, Recipient("c5", "school"), set(), "stu", "process.general", subject_orgs=chain).form
        == "identified"
    )
    assert (
        decide(
            strict, Recipient("c6", "provider", "X"), set(), "stu", "process.general", subject_orgs=chain
        ).form
        == "identified"
    )


def test_data_about_no_roster_user_is_released_per_scope(profiles):
    decision = decide(None, Recipient("c1", "third_party"), set(), None, "process.coaching-note")
    assert (decision.form, decision.rule) == ("identified", "not-a-roster-subject")


def test_reference_data_takes_its_tiers_school_form_whatever_consent_or_organisation(profiles):
    strict = profiles.named("strict")
    for role in ("school", "third_party"):
        decision = decide(strict, Recipient("c1", role, "SOME-ORG"), set(), None, "roster.reference")
        assert (decision.form, decision.rule) == ("identified", f"strict:IV:{role}:reference")


def test_aggregates_below_the_minimum_group_size_are_suppressed():
    groups = {"1-A": [f"s{i}" for i in range(10)], "1-B": ["s1", "s2", "s2"]}
    assert list(suppress_small_groups(groups, 10)) == ["1-A"]


def test_pseudonyms_are_stable_per_recipient_and_unlinkable_across():
    key = b"k" * 32
    assert pseudonym(key, "org:A", "stu") == pseudonym(key, "org:A", "stu")
    assert pseudonym(key, "org:A", "stu") != pseudonym(key, "org:B", "stu")
    assert pseudonym(key, "org:A", "stu") != pseudonym(b"x" * 32, "org:A", "stu")


def test_statements_are_classified_through_the_profile_vocabulary(catalog):
    scored = {"verb": {"id": "http://adlnet.gov/expapi/verbs/scored"},
              "object": {"definition": {"extensions": {"https://kakehashi.example/xapi/extensions/exam-kind": "mock"}}}}  # fmt: skip
    assert catalog.statement_category(scored) == "assessment.mock-exam"
    tagged = {"verb": {"id": "https://example.org/verbs/other"},
              "context": {"extensions": {"https://kakehashi.example/xapi/extensions/data-category": "alert"}}}  # fmt: skip
    assert catalog.statement_category(tagged) == "process.learning-alert"
    assert catalog.statement_category({"verb": {"id": "https://example.org/x"}}) == "process.general"


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda d: d["categories"].update({"roster.shoe-size": "II"}), "unknown category 'roster.shoe-size'"),
        (lambda d: d["categories"].update({"roster.kana": "V"}), "unknown tier 'V'"),
        (
            lambda d: d["forms"]["I"].update({"vendor": {"school": "deny", "consent": "deny"}}),
            "unknown role 'vendor'",
        ),
        (lambda d: d["forms"]["I"]["school"].update({"school": "anonymous"}), "unknown form 'anonymous'"),
        (lambda d: d["forms"]["II"].pop("board"), "forms missing for: II.board.school"),
        (lambda d: d["categories"].pop("roster.kana"), "categories without a tier: roster.kana"),
    ],
)
def test_an_invalid_profile_stops_the_start_up_with_a_clear_message(tmp_path, catalog, edit, message):
    for path in data_path("profiles", "security").glob("*.yaml"):
        shutil.copy(path, tmp_path / path.name)
    data = yaml.safe_load((tmp_path / "strict.yaml").read_text(encoding="utf-8"))
    edit(data)
    (tmp_path / "strict.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(PolicyDataError, match="strict.yaml") as raised:
        load_profiles(catalog, tmp_path)
    assert message in str(raised.value)


def test_the_app_refuses_to_start_with_an_invalid_profile(tmp_path):
    from gateway import create_app

    (tmp_path / "broken.yaml").write_text(
        "name: broken\ndefault: true\ntiers: {I: {}}\ncategories: {nope: I}\nforms: {}\n"
    )
    with pytest.raises(PolicyDataError, match="unknown category 'nope'"):
        create_app({"MONGODB_URI": "mongodb://127.0.0.1:1", "SECRET_KEY": "x", "KAKEHASHI_DATA_DIR": tmp_path,
                    "KAKEHASHI_SECURITY_PROFILES_DIR": tmp_path})  # fmt: skip
