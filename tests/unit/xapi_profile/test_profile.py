"""The Kakehashi xAPI profile: valid per the xAPI Profiles structure, defects named, and every demo
statement follows one of its statement templates."""

import copy
import json
from collections import Counter

import pytest

from gateway.demo import vocabulary as v
from gateway.xapi_profile.templates import check_statement, rule_failures
from gateway.xapi_profile.validation import ProfileError, load_profile, profile_problems


@pytest.fixture(scope="module")
def profile():
    return load_profile()


def test_the_shipped_profile_is_valid(profile):
    assert profile_problems(profile) == []
    assert profile["id"] == v.KAKEHASHI_PROFILE
    concepts = {c["id"]: c["type"] for c in profile["concepts"]}
    # every IRI the demo mints is defined by the profile (the profile IRI is the profile itself)
    assert v.PROVISIONAL_IRIS - {v.KAKEHASHI_PROFILE} <= set(concepts)
    assert concepts[v.BACKTRACKED] == "Verb"
    assert concepts[v.COURSE_OF_STUDY_CODE] == "ActivityExtension"
    # reused vocabulary is referenced, never redefined
    assert not any(iri.startswith("http://adlnet.gov/") for iri in concepts)
    templates = {t["id"].rsplit("/", 1)[1] for t in profile["templates"]}
    assert templates == {
        "study-session", "unit-progress", "backtracking", "exam-section-result", "exam-result",
        "coaching-session", "learning-alert",
    }  # fmt: skip


def _broken(profile, change):
    document = copy.deepcopy(profile)
    change(document)
    return profile_problems(document)


def test_defects_are_named(profile):
    assert any("missing required property author" in p for p in _broken(profile, lambda d: d.pop("author")))
    assert any("@context must be" in p for p in _broken(profile, lambda d: d.update({"@context": "x"})))

    def duplicate(d):
        d["concepts"][1]["id"] = d["concepts"][0]["id"]

    assert any("is already used by concepts[0]" in p for p in _broken(profile, duplicate))

    def bad_path(d):
        d["templates"][0]["rules"][1]["location"] = "$.result.[["

    assert any("is not valid JSONPath" in p for p in _broken(profile, bad_path))

    def bad_presence(d):
        d["templates"][0]["rules"][1]["presence"] = "maybe"

    assert any(
        "presence must be included, excluded or recommended" in p for p in _broken(profile, bad_presence)
    )

    def excluded_with_any(d):
        d["templates"][0]["rules"][1].update({"presence": "excluded", "any": ["x"]})

    assert any("excluded rule takes no any" in p for p in _broken(profile, excluded_with_any))

    def empty_rule(d):
        d["templates"][0]["rules"].append({"location": "$.id"})

    assert any("needs at least one of presence" in p for p in _broken(profile, empty_rule))

    def bad_scheme(d):
        d["concepts"][0]["inScheme"] = "https://elsewhere.example/v1"

    assert any("inScheme" in p for p in _broken(profile, bad_scheme))


def test_a_file_that_is_not_json_is_refused(tmp_path):
    path = tmp_path / "p.jsonld"
    path.write_text("{", encoding="utf-8")
    with pytest.raises(ProfileError, match="not JSON"):
        load_profile(path)
    path.write_text(json.dumps({"type": "Profile"}), encoding="utf-8")
    with pytest.raises(ProfileError, match="missing required property id"):
        load_profile(path)


def test_rules_presence_any_all_none():
    template = {
        "id": "t",
        "rules": [
            {"location": "$.result.duration", "presence": "included"},
            {"location": "$.result.success", "presence": "excluded"},
            {"location": "$.context.contextActivities.category[*].id", "any": ["p"]},
            {"location": "$.context.contextActivities.grouping[*].id", "all": ["g1", "g2"]},
            {"location": "$.object.id", "none": ["forbidden"]},
        ],
    }
    good = {
        "object": {"id": "o"},
        "result": {"duration": "PT1M"},
        "context": {
            "contextActivities": {"category": [{"id": "p"}, {"id": "q"}], "grouping": [{"id": "g1"}]}
        },
    }
    assert rule_failures(template, good) == []
    bad = {
        "object": {"id": "forbidden"},
        "result": {"success": True},
        "context": {"contextActivities": {"category": [{"id": "q"}], "grouping": [{"id": "g3"}]}},
    }
    assert [f.rule for f in rule_failures(template, bad)] == [0, 1, 2, 3, 4]


@pytest.mark.slow
def test_every_demo_statement_follows_a_template(profile):
    from gateway.demo.roster import build_roster
    from gateway.demo.statements import build_statements

    statements = build_statements(build_roster())
    followed = Counter()
    failures = []
    for statement in statements:
        template, problems = check_statement(profile, statement)
        if template is None:
            failures.append((statement["id"], [str(p) for p in problems]))
        else:
            followed[template["id"].rsplit("/", 1)[1]] += 1
    assert failures == []
    assert set(followed) == {t["id"].rsplit("/", 1)[1] for t in profile["templates"]}
    assert sum(followed.values()) == len(statements)


def test_a_statement_breaking_a_rule_is_reported(profile):
    statement = {
        "verb": {"id": "http://adlnet.gov/expapi/verbs/experienced"},
        "object": {"id": "https://kakehashi.example/units/8451503312000000",
                   "definition": {"type": v.CURRICULUM_UNIT, "extensions": {v.COURSE_OF_STUDY_CODE: "8451503312000000"}}},
        "result": {"duration": "PT35M"},
        "context": {"contextActivities": {"category": [{"id": v.KAKEHASHI_PROFILE}]}},
    }  # fmt: skip
    template, problems = check_statement(profile, statement)
    assert template is None
    assert "study-minutes" in str(problems[0]) and "presence included" in str(problems[0])
    statement["verb"]["id"] = "http://adlnet.gov/expapi/verbs/answered"
    assert check_statement(profile, statement)[1] == [
        "no statement template of the profile has this verb and object activity type"
    ]
