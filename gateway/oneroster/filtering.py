"""The OneRoster `filter`, `sort` and `fields` query parameters: parsed, checked and compiled to MongoDB.

Filter grammar (OneRoster 1.2 Rostering REST binding §3.4, with 1.1's operators):

    filter     := disjunct (" OR " disjunct)*
    disjunct   := predicate (" AND " predicate)*          AND binds tighter than OR
    predicate  := field operator value                     spaces around the operator allowed
    field      := a field of the entity, dotted for the parts of objects: `org.sourcedId`,
                  `roles.role`, `metadata.jp.kanaGivenName`
    operator   := "=" | "!=" | ">" | ">=" | "<" | "<=" | "~"   (~: contains, case-insensitive)
    value      := 'text' | "text"                          a quote inside is doubled: 'O''Brien'

`AND`/`OR` are upper case and stand between spaces; parentheses are not part of the grammar. Values
are compared as text, except `dateLastModified` (compared as a time: the value is an ISO 8601 date or
date-time, UTC unless it says otherwise) and the "true"/"false" flags (which match stored booleans
too). A field matches a list when any element matches. A malformed filter, an unknown field or a
value that does not fit its field is a `BadRequest` with code `invalid_filter_field` (400).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from gateway.errors import BadRequest
from gateway.oneroster.model import ENTITY_FIELDS, NESTED_FIELDS, V1P1_FIELD_ALIASES, fields_of

OPERATORS = ("!=", ">=", "<=", "=", ">", "<", "~")  # two-character operators first
_MONGO_COMPARISON = {"=": "$eq", "!=": "$ne", ">": "$gt", ">=": "$gte", "<": "$lt", "<=": "$lte"}
_FIELD_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]*")
MAX_PREDICATES = 32


class InvalidFilter(BadRequest):
    code = "invalid_filter_field"


class InvalidSelection(BadRequest):
    code = "invalid_selection_field"


class InvalidSort(BadRequest):
    code = "invalid_sort_field"


@dataclass(frozen=True)
class Predicate:
    field: str
    operator: str
    value: str


@dataclass(frozen=True)
class StoredField:
    """Where a field named in a request lives in the stored record, and how to compare it."""

    path: str
    kind: str  # string, datetime, flag (see gateway.oneroster.model)
    metadata_key: str | None = None  # set for `metadata.<key>`: the key, which may contain dots


def parse_filter(text: str) -> list[list[Predicate]]:
    """The filter as OR-ed groups of AND-ed predicates; InvalidFilter (400) saying where it is malformed."""
    parser = _FilterParser(text)
    return parser.parse()


class _FilterParser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.position = 0

    def fail(self, why: str) -> InvalidFilter:
        return InvalidFilter(
            f"malformed filter: {why} at character {self.position + 1} of {self.text!r}",
            details={"filter": self.text, "position": self.position + 1},
        )

    def parse(self) -> list[list[Predicate]]:
        if not self.text.strip():
            raise self.fail("the filter is empty")
        groups = [[self.predicate()]]
        count = 1
        while self.position < len(self.text):
            logical = self.logical()
            count += 1
            if count > MAX_PREDICATES:
                raise self.fail(f"more than {MAX_PREDICATES} predicates")
            if logical == "OR":
                groups.append([self.predicate()])
            else:
                groups[-1].append(self.predicate())
        return groups

    def skip_spaces(self) -> None:
        while self.position < len(self.text) and self.text[self.position] == " ":
            self.position += 1

    def predicate(self) -> Predicate:
        self.skip_spaces()
        match = _FIELD_NAME.match(self.text, self.position)
        if not match:
            raise self.fail("expected a field name")
        field = match.group()
        if field in ("AND", "OR"):
            raise self.fail(f"expected a field name, found {field}")
        if field.endswith(".") or ".." in field:
            raise self.fail(f"malformed field name {field!r}")
        self.position = match.end()
        self.skip_spaces()
        operator = next((op for op in OPERATORS if self.text.startswith(op, self.position)), None)
        if operator is None:
            raise self.fail(f"expected an operator ({' '.join(OPERATORS)}) after {field!r}")
        self.position += len(operator)
        self.skip_spaces()
        return Predicate(field, operator, self.value())

    def value(self) -> str:
        if self.position >= len(self.text) or self.text[self.position] not in "'\"":
            raise self.fail("expected a quoted value ('...')")
        quote = self.text[self.position]
        self.position += 1
        characters = []
        while True:
            end = self.text.find(quote, self.position)
            if end < 0:
                raise self.fail("unterminated quoted value")
            characters.append(self.text[self.position : end])
            self.position = end + 1
            if self.text.startswith(quote, self.position):  # a doubled quote stands for one
                characters.append(quote)
                self.position += 1
                continue
            return "".join(characters)

    def logical(self) -> str:
        start = self.position
        self.skip_spaces()
        if self.position > start:
            for word in ("AND", "OR"):
                end = self.position + len(word)
                if self.text.startswith(word, self.position) and (
                    end == len(self.text) or self.text[end] == " "
                ):
                    self.position = end
                    if not self.text[end:].strip():
                        raise self.fail(f"{word} is not followed by a predicate")
                    return word
        self.position = start
        raise self.fail("expected ' AND ' or ' OR ' between predicates")


def resolve_field(name: str, entity: str, version: str, *, error=InvalidFilter, what="filter") -> StoredField:
    """The stored field that `name` (in the JSON binding of `version`) stands for; `error` (400) if none."""
    if version == "1.1":
        aliased = V1P1_FIELD_ALIASES.get(entity, {}).get(name)
        if aliased:
            return _resolve(aliased, entity, error, what, name)
        if name.split(".", 1)[0] not in fields_of(entity, "1.1"):
            raise _unknown(name, entity, error, what)
    return _resolve(name, entity, error, what, name)


def _resolve(name: str, entity: str, error, what: str, asked: str) -> StoredField:
    fields = ENTITY_FIELDS[entity]
    head, _, rest = name.partition(".")
    field = fields.get(head)
    if field is None:
        raise _unknown(asked, entity, error, what)
    if not rest:
        if field.kind in ("string", "datetime", "flag", "strings"):
            return StoredField(
                "_id" if name == "sourcedId" else name, "string" if field.kind == "strings" else field.kind
            )
        hint = f"{asked}.sourcedId" if field.kind in ("ref", "refs") else f"a field of {asked}"
        raise error(
            f"{what} field {asked!r} is an object or a list of objects: name {hint}",
            details={"field": asked},
        )
    if field.kind == "metadata":
        return StoredField(name, "string", metadata_key=rest)
    if field.kind in ("ref", "refs") and rest in ("sourcedId", "type"):
        return StoredField(name, "string")
    if rest in NESTED_FIELDS.get(field.kind, {}):
        return StoredField(name, NESTED_FIELDS[field.kind][rest])
    raise _unknown(asked, entity, error, what)


def _unknown(name: str, entity: str, error, what: str) -> BadRequest:
    return error(f"unknown {what} field {name!r} for {entity}", details={"field": name})


def filter_paths(text: str, entity: str, version: str) -> list[str]:
    """The stored paths of the fields the `filter` parameter `text` compares."""
    return list(
        dict.fromkeys(
            resolve_field(predicate.field, entity, version).path
            for group in parse_filter(text)
            for predicate in group
        )
    )


def compile_filter(text: str, entity: str, version: str) -> dict:
    """The MongoDB query for the `filter` parameter `text` on `entity`."""
    groups = [
        [_compile_predicate(predicate, entity, version) for predicate in group]
        for group in parse_filter(text)
    ]
    conjunctions = [group[0] if len(group) == 1 else {"$and": group} for group in groups]
    return conjunctions[0] if len(conjunctions) == 1 else {"$or": conjunctions}


def _compile_predicate(predicate: Predicate, entity: str, version: str) -> dict:
    stored = resolve_field(predicate.field, entity, version)
    operator, value = predicate.operator, predicate.value
    if stored.kind == "datetime":
        if operator == "~":
            raise InvalidFilter(
                f"filter field {predicate.field!r} is a date-time: '~' (contains) applies to text",
                details={"field": predicate.field},
            )
        value = _parse_datetime(predicate)
    if stored.metadata_key is not None:
        return _compile_metadata(stored.metadata_key, operator, value)
    if operator == "~":
        return {stored.path: {"$regex": re.escape(value), "$options": "i"}}
    if stored.kind == "flag" and operator in ("=", "!=") and value in ("true", "false"):
        either = [value, value == "true"]
        return {stored.path: {"$in" if operator == "=" else "$nin": either}}
    if operator == "=":
        return {stored.path: value}
    return {stored.path: {_MONGO_COMPARISON[operator]: value}}


def _compile_metadata(key: str, operator: str, value: str) -> dict:
    # Metadata keys may contain dots (the Japan Profile's `jp.kanaGivenName`), which a dotted path
    # would read as nesting: $getField reads the key as it is.
    stored = {"$getField": {"field": key, "input": "$metadata"}}
    if operator == "~":
        return {
            "$expr": {
                "$regexMatch": {
                    "input": {"$toString": {"$ifNull": [stored, ""]}},
                    "regex": re.escape(value),
                    "options": "i",
                }
            }
        }
    return {"$expr": {_MONGO_COMPARISON[operator]: [stored, value]}}


def _parse_datetime(predicate: Predicate) -> datetime:
    text = predicate.value.strip()
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00") if text.endswith("Z") else text)
    except ValueError:
        raise InvalidFilter(
            f"filter value {predicate.value!r} for {predicate.field!r} is not an ISO 8601 date or date-time",
            details={"field": predicate.field, "value": predicate.value},
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def parse_sort(name: str, entity: str, version: str) -> str:
    """The stored path to sort on for the `sort` parameter; InvalidSort (400) for an unknown field."""
    stored = resolve_field(name, entity, version, error=InvalidSort, what="sort")
    if stored.metadata_key is not None:
        raise InvalidSort(f"cannot sort on metadata field {name!r}", details={"field": name})
    return stored.path


def parse_selection(names: list[str], entity: str, version: str) -> list[str]:
    """The `fields` selection: top-level field names of the entity; InvalidSelection (400) otherwise."""
    known = fields_of(entity, version)
    selected = []
    for name in (name.strip() for name in names):
        if name not in known:
            raise InvalidSelection(
                f"unknown selection field {name!r} for {entity} (fields names top-level fields)",
                details={"field": name},
            )
        if name not in selected:
            selected.append(name)
    return selected
