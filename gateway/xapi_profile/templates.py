"""Matching xAPI statements against a profile's statement templates (xAPI Profiles 1.0,
communication part §2.1): determining properties (verb, object activity type, context activity
types) select the template; its rules (JSONPath `location`/`selector`, `presence`, `any`, `all`,
`none`) then decide whether the statement follows it. Pure: no Flask, no database."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from jsonpath_ng.ext import parse as parse_jsonpath

CONTEXT_TYPE_PROPERTIES = {
    "contextGroupingActivityType": "grouping",
    "contextParentActivityType": "parent",
    "contextOtherActivityType": "other",
    "contextCategoryActivityType": "category",
}


@dataclass(frozen=True)
class RuleFailure:
    template: str
    rule: int
    location: str
    reason: str

    def __str__(self) -> str:
        return f"{self.template} rule {self.rule} ({self.location}): {self.reason}"


@lru_cache(maxsize=256)
def _compiled(path: str):
    return [parse_jsonpath(alternative.strip()) for alternative in path.split("|")]


def _values(document: object, path: str) -> list:
    return [match.value for expression in _compiled(path) for match in expression.find(document)]


def _activities(statement: dict, kind: str) -> list[dict]:
    found = ((statement.get("context") or {}).get("contextActivities") or {}).get(kind) or []
    return found if isinstance(found, list) else [found]


def _activity_type(activity: object) -> str | None:
    return ((activity or {}).get("definition") or {}).get("type") if isinstance(activity, dict) else None


def determining_properties_match(template: dict, statement: dict) -> bool:
    """Whether `statement` has the template's verb, object activity type and context activity types."""
    if "verb" in template and (statement.get("verb") or {}).get("id") != template["verb"]:
        return False
    if (
        "objectActivityType" in template
        and _activity_type(statement.get("object")) != template["objectActivityType"]
    ):
        return False
    for name, kind in CONTEXT_TYPE_PROPERTIES.items():
        present = {_activity_type(a) for a in _activities(statement, kind)}
        if any(wanted not in present for wanted in template.get(name, ())):
            return False
    return True


def rule_failures(template: dict, statement: dict) -> list[RuleFailure]:
    """The template's rules `statement` breaks (empty when it follows them all)."""
    failures = []
    for number, rule in enumerate(template.get("rules", [])):
        values = _values(statement, rule["location"])
        if "selector" in rule:
            values = [v for value in values for v in _values(value, "$" + rule["selector"].lstrip("$"))]
        presence = rule.get("presence")

        def fail(reason: str, number=number, rule=rule) -> None:
            failures.append(RuleFailure(template["id"], number, rule["location"], reason))

        if presence == "included" and not values:
            fail("is required (presence included) but matches nothing")
            continue
        if presence == "excluded":
            if values:
                fail("must be absent (presence excluded)")
            continue
        if not values:
            continue  # recommended or no presence: any/all/none apply only to what is there
        if "any" in rule and not any(value in rule["any"] for value in values):
            fail(f"none of {values!r} is one of {rule['any']!r} (any)")
        if "all" in rule and not all(value in rule["all"] for value in values):
            fail(f"{[v for v in values if v not in rule['all']]!r} not among {rule['all']!r} (all)")
        if "none" in rule and any(value in rule["none"] for value in values):
            fail(f"{[v for v in values if v in rule['none']]!r} is forbidden (none)")
    return failures


def matching_templates(profile: dict, statement: dict) -> list[dict]:
    """The templates whose determining properties `statement` has."""
    return [t for t in profile.get("templates", []) if determining_properties_match(t, statement)]


def check_statement(profile: dict, statement: dict) -> tuple[dict | None, list[RuleFailure | str]]:
    """(template followed, []) or (None, why not): no template selects the statement, or every
    template that selects it has a rule it breaks."""
    candidates = matching_templates(profile, statement)
    if not candidates:
        return None, ["no statement template of the profile has this verb and object activity type"]
    problems: list = []
    for template in candidates:
        failures = rule_failures(template, statement)
        if not failures:
            return template, []
        problems += failures
    return None, problems
