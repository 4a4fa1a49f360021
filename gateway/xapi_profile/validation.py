"""Checks that an xAPI profile document follows the ADL xAPI Profiles specification (1.0):
JSON, the profile context, required properties, unique IRIs, concepts and templates well-formed,
template rules with parseable JSONPath and valid presence values."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from jsonpath_ng.exceptions import JsonPathLexerError, JsonPathParserError
from jsonpath_ng.ext import parse as parse_jsonpath
from jsonschema import Draft7Validator
from jsonschema.exceptions import SchemaError

from gateway.resources import data_path

PROFILE_CONTEXT = "https://w3id.org/xapi/profiles/context"
CONFORMS_TO = "https://w3id.org/xapi/profiles#1.0"
PROFILE_REQUIRED = ("id", "@context", "type", "conformsTo", "prefLabel", "definition", "author", "versions")
CONCEPT_TYPES = {
    "Verb", "ActivityType", "AttemptActivityType", "ContextExtension", "ResultExtension",
    "ActivityExtension", "StateResource", "AgentProfileResource", "ActivityProfileResource", "Activity",
}  # fmt: skip
EXTENSION_TYPES = {"ContextExtension", "ResultExtension", "ActivityExtension"}
TEMPLATE_IRI_PROPERTIES = ("verb", "objectActivityType")
TEMPLATE_IRI_LIST_PROPERTIES = (
    "contextGroupingActivityType", "contextParentActivityType", "contextOtherActivityType",
    "contextCategoryActivityType", "attachmentUsageType", "objectStatementRefTemplate",
    "contextStatementRefTemplate",
)  # fmt: skip
PRESENCE = {"included", "excluded", "recommended"}


class ProfileError(ValueError):
    """A profile that does not follow the specification; `problems` lists every defect found."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


def profile_path() -> Path:
    return data_path("profiles", "kakehashi.jsonld")


def load_profile(path: Path | None = None) -> dict:
    """The profile document, validated; ProfileError listing every defect."""
    path = path or profile_path()
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise ProfileError([f"{path.name}: not JSON ({error})"]) from None
    problems = profile_problems(document)
    if problems:
        raise ProfileError(problems)
    return document


@cache
def kakehashi_profile() -> dict:
    return load_profile()


def _is_iri(value: object) -> bool:
    return isinstance(value, str) and value.startswith(("https://", "http://")) and " " not in value


def _is_language_map(value: object) -> bool:
    return (
        isinstance(value, dict)
        and bool(value)
        and all(isinstance(k, str) and isinstance(v, str) and v for k, v in value.items())
    )


def profile_problems(profile: object) -> list[str]:
    """Every way `profile` departs from the specification's profile structure (empty when valid)."""
    if not isinstance(profile, dict):
        return ["the profile must be a JSON object"]
    problems = [
        f"profile: missing required property {name}" for name in PROFILE_REQUIRED if name not in profile
    ]
    if profile.get("@context") != PROFILE_CONTEXT:
        problems.append(f"profile: @context must be {PROFILE_CONTEXT}")
    if profile.get("type") != "Profile":
        problems.append("profile: type must be Profile")
    if profile.get("conformsTo") != CONFORMS_TO:
        problems.append(f"profile: conformsTo must be {CONFORMS_TO}")
    if not _is_iri(profile.get("id")):
        problems.append("profile: id must be an IRI")
    for name in ("prefLabel", "definition"):
        if name in profile and not _is_language_map(profile[name]):
            problems.append(f"profile: {name} must be a non-empty language map")
    author = profile.get("author")
    if not (
        isinstance(author, dict) and author.get("type") in {"Organization", "Person"} and author.get("name")
    ):
        problems.append("profile: author must have type Organization or Person and a name")
    versions = profile.get("versions")
    version_ids = set()
    if not (isinstance(versions, list) and versions):
        problems.append("profile: versions must be a non-empty array")
    else:
        for number, version in enumerate(versions):
            if not (
                isinstance(version, dict) and _is_iri(version.get("id")) and version.get("generatedAtTime")
            ):
                problems.append(f"versions[{number}]: needs an IRI id and generatedAtTime")
            else:
                version_ids.add(version["id"])
    seen: dict[str, str] = {}

    def claim(iri: object, where: str) -> None:
        if not _is_iri(iri):
            problems.append(f"{where}: id must be an IRI")
        elif iri in seen:
            problems.append(f"{where}: id {iri} is already used by {seen[iri]}")
        else:
            seen[iri] = where

    claim(profile.get("id"), "profile")
    for version_id in version_ids:
        claim(version_id, "versions")
    for number, concept in enumerate(profile.get("concepts", [])):
        problems += _concept_problems(concept, f"concepts[{number}]", version_ids, claim)
    for number, template in enumerate(profile.get("templates", [])):
        problems += _template_problems(template, f"templates[{number}]", version_ids, claim)
    for number, pattern in enumerate(profile.get("patterns", [])):
        where = f"patterns[{number}]"
        claim(pattern.get("id") if isinstance(pattern, dict) else None, where)
    return problems


def _concept_problems(concept: object, where: str, version_ids: set[str], claim) -> list[str]:
    if not isinstance(concept, dict):
        return [f"{where}: must be an object"]
    claim(concept.get("id"), where)
    problems = []
    kind = concept.get("type")
    if kind not in CONCEPT_TYPES:
        problems.append(f"{where}: type {kind!r} is not a concept type")
    if concept.get("inScheme") not in version_ids:
        problems.append(f"{where}: inScheme must be one of the profile's version ids")
    if kind == "Activity":
        definition = concept.get("activityDefinition")
        if not (isinstance(definition, dict) and definition.get("@context")):
            problems.append(f"{where}: an Activity concept needs an activityDefinition with @context")
        return problems
    for name in ("prefLabel", "definition"):
        if not _is_language_map(concept.get(name)):
            problems.append(f"{where}: {name} must be a non-empty language map")
    if kind in EXTENSION_TYPES:
        if "schema" in concept and "inlineSchema" in concept:
            problems.append(f"{where}: schema and inlineSchema are mutually exclusive")
        if "inlineSchema" in concept:
            try:
                Draft7Validator.check_schema(json.loads(concept["inlineSchema"]))
            except (TypeError, json.JSONDecodeError, SchemaError):
                problems.append(f"{where}: inlineSchema is not a JSON Schema document in a string")
        if kind == "ActivityExtension" and "recommendedVerbs" in concept:
            problems.append(
                f"{where}: an ActivityExtension takes recommendedActivityTypes, not recommendedVerbs"
            )
        if kind != "ActivityExtension" and "recommendedActivityTypes" in concept:
            problems.append(f"{where}: a {kind} takes recommendedVerbs, not recommendedActivityTypes")
    return problems


def _template_problems(template: object, where: str, version_ids: set[str], claim) -> list[str]:
    if not isinstance(template, dict):
        return [f"{where}: must be an object"]
    claim(template.get("id"), where)
    problems = []
    if template.get("type") != "StatementTemplate":
        problems.append(f"{where}: type must be StatementTemplate")
    if template.get("inScheme") not in version_ids:
        problems.append(f"{where}: inScheme must be one of the profile's version ids")
    for name in ("prefLabel", "definition"):
        if not _is_language_map(template.get(name)):
            problems.append(f"{where}: {name} must be a non-empty language map")
    for name in TEMPLATE_IRI_PROPERTIES:
        if name in template and not _is_iri(template[name]):
            problems.append(f"{where}: {name} must be an IRI")
    for name in TEMPLATE_IRI_LIST_PROPERTIES:
        if name in template and not (
            isinstance(template[name], list) and template[name] and all(_is_iri(i) for i in template[name])
        ):
            problems.append(f"{where}: {name} must be a non-empty array of IRIs")
    if "objectActivityType" in template and "objectStatementRefTemplate" in template:
        problems.append(f"{where}: objectActivityType and objectStatementRefTemplate are mutually exclusive")
    for number, rule in enumerate(template.get("rules", [])):
        problems += rule_problems(rule, f"{where}.rules[{number}]")
    return problems


def rule_problems(rule: object, where: str) -> list[str]:
    """A rule must have a parseable JSONPath location (and selector), at least one of presence,
    any, all, none; presence one of included/excluded/recommended; no any/all/none when excluded."""
    if not isinstance(rule, dict):
        return [f"{where}: must be an object"]
    problems = []
    for name in ("location", "selector"):
        if name not in rule:
            continue
        path = rule[name]
        if not (isinstance(path, str) and (path.startswith("$") or name == "selector")):
            problems.append(f"{where}: {name} must be a JSONPath string starting with $")
            continue
        for alternative in path.split("|"):
            try:
                parse_jsonpath(alternative.strip())
            except (JsonPathLexerError, JsonPathParserError, Exception) as error:  # noqa: BLE001 - any parse failure
                problems.append(f"{where}: {name} {alternative.strip()!r} is not valid JSONPath ({error})")
    if "location" not in rule:
        problems.append(f"{where}: location is required")
    if not any(name in rule for name in ("presence", "any", "all", "none")):
        problems.append(f"{where}: needs at least one of presence, any, all, none")
    if "presence" in rule and rule["presence"] not in PRESENCE:
        problems.append(
            f"{where}: presence must be included, excluded or recommended, not {rule['presence']!r}"
        )
    if rule.get("presence") == "excluded" and any(name in rule for name in ("any", "all", "none")):
        problems.append(f"{where}: an excluded rule takes no any, all or none")
    for name in ("any", "all", "none"):
        if name in rule and not (isinstance(rule[name], list) and rule[name]):
            problems.append(f"{where}: {name} must be a non-empty array")
    return problems
