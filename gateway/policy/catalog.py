"""The data-category catalog (profiles/data-categories.yaml): categories, purposes, and how each
stored field (OneRoster records, xAPI statements, documents) is classified."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import yaml

from gateway.resources import data_path

EXTENSION_PREFIXES = ("result.extensions.", "context.extensions.", "object.definition.extensions.")


class PolicyDataError(RuntimeError):
    """A catalog or security profile file is invalid: the gateway refuses to start."""


@dataclass(frozen=True)
class StatementRule:
    category: str
    verb: str | None = None
    activity_type: str | None = None
    activity_extension: tuple[tuple[str, str], ...] = ()

    def matches(self, statement: dict) -> bool:
        if self.verb and (statement.get("verb") or {}).get("id") != self.verb:
            return False
        definition = (statement.get("object") or {}).get("definition") or {}
        if self.activity_type and definition.get("type") != self.activity_type:
            return False
        extensions = definition.get("extensions") or {}
        return all(extensions.get(key) == value for key, value in self.activity_extension)


@dataclass(frozen=True)
class RosterEntity:
    record: str
    subject: str | None = None  # field naming the user the record is about
    fields: tuple[tuple[str, str], ...] = ()  # (field path, category)


@dataclass(frozen=True)
class Catalog:
    categories: dict[str, dict]
    purposes: dict[str, dict]
    roster: dict[str, RosterEntity]
    statement_rules: tuple[StatementRule, ...]
    data_category_extension: str
    data_categories: dict[str, str]
    statement_default: str
    statement_fields: tuple[tuple[str, str, str], ...]  # (section, extension IRI, category)
    documents: str
    persons: str
    units: str
    source: str = ""
    _memo: dict = field(default_factory=dict, compare=False, repr=False)

    @cached_property
    def _rule_extension_iris(self) -> tuple[str, ...]:
        return tuple(sorted({iri for rule in self.statement_rules for iri, _ in rule.activity_extension}))

    def statement_category(self, statement: dict) -> str:
        # the category depends on a few determining properties only: memoised on them
        obj = statement.get("object") or _EMPTY
        definition = obj.get("definition") or _EMPTY
        activity_extensions = definition.get("extensions")
        context = statement.get("context")
        tag = context.get("extensions", _EMPTY).get(self.data_category_extension) if context else None
        key = (
            (statement.get("verb") or _EMPTY).get("id"),
            definition.get("type"),
            tuple([_hashable(activity_extensions.get(iri)) for iri in self._rule_extension_iris])
            if activity_extensions
            else None,
            tag if type(tag) is str or tag is None else repr(tag),
        )
        found = self._memo.get(key)
        if found is None:
            found = self._memo[key] = self._classify(statement)
            if len(self._memo) > 10_000:
                self._memo.clear()
        return found

    def _classify(self, statement: dict) -> str:
        for rule in self.statement_rules:
            if rule.matches(statement):
                return rule.category
        extensions = (statement.get("context") or {}).get("extensions") or {}
        tag = extensions.get(self.data_category_extension)
        return (
            self.data_categories.get(tag, self.statement_default)
            if isinstance(tag, str)
            else self.statement_default
        )

    def roster_entity(self, entity: str) -> RosterEntity:
        return self.roster.get(entity) or RosterEntity(record="roster.reference")


_EMPTY: dict = {}
_SCALARS = (str, int, float, bool, type(None))


def _hashable(value):
    return value if isinstance(value, _SCALARS) else repr(value)


def _fail(source: str, message: str) -> None:
    raise PolicyDataError(f"{source}: {message}")


def _mapping(value, source: str, where: str) -> dict:
    if not isinstance(value, dict):
        _fail(source, f"{where} must be a mapping")
    return value


def parse_catalog(data: dict, source: str = "data-categories.yaml") -> Catalog:
    data = _mapping(data, source, "the document")
    categories = _mapping(data.get("categories"), source, "categories")
    purposes = _mapping(data.get("purposes"), source, "purposes")
    if not categories or not purposes:
        _fail(source, "categories and purposes must not be empty")

    def category(value, where: str) -> str:
        if value not in categories:
            _fail(source, f"{where}: unknown category {value!r} (known: {', '.join(sorted(categories))})")
        return value

    roster = {}
    for entity, spec in _mapping(data.get("roster"), source, "roster").items():
        spec = _mapping(spec, source, f"roster.{entity}")
        fields = tuple(
            (path, category(cat, f"roster.{entity}.fields.{path}"))
            for path, cat in _mapping(spec.get("fields") or {}, source, f"roster.{entity}.fields").items()
        )
        roster[entity] = RosterEntity(
            category(spec.get("record"), f"roster.{entity}.record"), spec.get("subject"), fields
        )

    xapi = _mapping(data.get("xapi"), source, "xapi")
    rules = []
    for number, rule in enumerate(xapi.get("rules") or ()):
        rule = _mapping(rule, source, f"xapi.rules[{number}]")
        unknown = set(rule) - {"verb", "activity_type", "activity_extension", "category"}
        if unknown:
            _fail(source, f"xapi.rules[{number}]: unknown keys {sorted(unknown)}")
        rules.append(
            StatementRule(
                category(rule.get("category"), f"xapi.rules[{number}]"),
                rule.get("verb"),
                rule.get("activity_type"),
                tuple(sorted((rule.get("activity_extension") or {}).items())),
            )
        )
    statement_fields = []
    for path, cat in _mapping(xapi.get("fields") or {}, source, "xapi.fields").items():
        prefix = next((p for p in EXTENSION_PREFIXES if path.startswith(p)), None)
        if prefix is None:
            _fail(source, f"xapi.fields.{path}: must start with one of {', '.join(EXTENSION_PREFIXES)}")
        statement_fields.append(
            (prefix[: -len(".extensions.")], path[len(prefix) :], category(cat, f"xapi.fields.{path}"))
        )
    return Catalog(
        categories=categories,
        purposes=purposes,
        roster=roster,
        statement_rules=tuple(rules),
        data_category_extension=xapi.get("data_category_extension") or "",
        data_categories={
            tag: category(cat, f"xapi.data_categories.{tag}")
            for tag, cat in _mapping(
                xapi.get("data_categories") or {}, source, "xapi.data_categories"
            ).items()
        },
        statement_default=category(xapi.get("default"), "xapi.default"),
        statement_fields=tuple(statement_fields),
        documents=category(xapi.get("documents"), "xapi.documents"),
        persons=category(xapi.get("persons"), "xapi.persons"),
        units=category(xapi.get("units"), "xapi.units"),
        source=source,
    )


def load_catalog(path: Path | None = None) -> Catalog:
    path = path or data_path("profiles", "data-categories.yaml")
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise PolicyDataError(f"{path}: cannot read the data-category catalog: {error}") from error
    return parse_catalog(data, str(path))
