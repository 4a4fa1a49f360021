"""The OneRoster filter grammar and its compilation to MongoDB queries (no app, no database)."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.oneroster.filtering import (
    InvalidFilter,
    InvalidSelection,
    InvalidSort,
    Predicate,
    compile_filter,
    parse_filter,
    parse_selection,
    parse_sort,
)


def test_and_binds_tighter_than_or():
    groups = parse_filter("a='1' AND b='2' OR c='3'")
    assert groups == [[Predicate("a", "=", "1"), Predicate("b", "=", "2")], [Predicate("c", "=", "3")]]


@pytest.mark.parametrize("operator", ["=", "!=", ">", ">=", "<", "<=", "~"])
def test_every_operator_parses_with_or_without_spaces(operator):
    assert parse_filter(f"name{operator}'x'") == [[Predicate("name", operator, "x")]]
    assert parse_filter(f"name {operator} 'x'") == [[Predicate("name", operator, "x")]]


def test_quoted_values_keep_their_text():
    assert parse_filter("a='it''s'")[0][0].value == "it's"
    assert parse_filter('a="say ""hi"""')[0][0].value == 'say "hi"'
    assert parse_filter("a='x AND y=''z'''")[0][0].value == "x AND y='z'"
    assert parse_filter("a=''")[0][0].value == ""


def test_compiled_queries():
    assert compile_filter("givenName='蓮'", "users", "1.2") == {"givenName": "蓮"}
    assert compile_filter("sourcedId='u1'", "users", "1.2") == {"_id": "u1"}
    assert compile_filter("familyName!='x'", "users", "1.2") == {"familyName": {"$ne": "x"}}
    assert compile_filter("email~'a.b'", "users", "1.2") == {"email": {"$regex": r"a\.b", "$options": "i"}}
    assert compile_filter("org.sourcedId='o' OR title>='M'", "courses", "1.2") == {
        "$or": [{"org.sourcedId": "o"}, {"title": {"$gte": "M"}}]
    }
    assert compile_filter("primary='true' AND role='student'", "enrollments", "1.2") == {
        "$and": [{"primary": {"$in": ["true", True]}}, {"role": "student"}]
    }
    assert compile_filter("dateLastModified>'2026-04-01T09:00:00+09:00'", "orgs", "1.2") == {
        "dateLastModified": {"$gt": datetime(2026, 4, 1, 0, 0, tzinfo=UTC)}
    }
    assert compile_filter("metadata.jp.kanaGivenName='レン'", "users", "1.2") == {
        "$expr": {"$eq": [{"$getField": {"field": "jp.kanaGivenName", "input": "$metadata"}}, "レン"]}
    }
    assert compile_filter("role='student'", "users", "1.1") == {"roles.role": "student"}


def test_regex_metacharacters_are_literal():
    assert compile_filter("title~'(.*)+'", "classes", "1.2") == {
        "title": {"$regex": r"\(\.\*\)\+", "$options": "i"}
    }


@pytest.mark.parametrize(
    "text",
    ["", "   ", "a", "a=", "a='x", "a='x' AND", "a='x' OR ", "a='x' and b='y'", "a='x'b='y'", "='x'",
     "a.='x'", "a..b='x'", "(a='x')", "a=='x'", "a='x' AND AND b='y'", "a=x", "a='x' XOR b='y'"],
)  # fmt: skip
def test_malformed_filters(text):
    with pytest.raises(InvalidFilter):
        parse_filter(text)


def test_too_many_predicates():
    with pytest.raises(InvalidFilter, match="more than 32"):
        parse_filter(" AND ".join(["a='x'"] * 33))


@pytest.mark.parametrize(
    ("entity", "text"),
    [("users", "shoeSize='1'"), ("users", "roles='x'"), ("users", "roles.shoe='x'"), ("classes", "school='x'"),
     ("classes", "school.href='x'"), ("users", "role='student'"), ("users", "orgs.sourcedId='x'"),
     ("orgs", "dateLastModified>'not a date'"), ("orgs", "dateLastModified~'2026'")],
)  # fmt: skip
def test_unknown_fields_and_unfit_values(entity, text):
    with pytest.raises(InvalidFilter):
        compile_filter(text, entity, "1.2")


def test_1_1_knows_only_its_own_fields():
    with pytest.raises(InvalidFilter):
        compile_filter("roles.role='student'", "users", "1.1")
    with pytest.raises(InvalidFilter):
        compile_filter("preferredFirstName='x'", "users", "1.1")


def test_sort_and_selection():
    assert parse_sort("sourcedId", "users", "1.2") == "_id"
    assert parse_sort("school.sourcedId", "classes", "1.2") == "school.sourcedId"
    for bad in ("shoeSize", "metadata.jp.homeClass", "roles"):
        with pytest.raises(InvalidSort):
            parse_sort(bad, "users", "1.2")
    assert parse_selection(["sourcedId", " givenName", "sourcedId"], "users", "1.2") == [
        "sourcedId",
        "givenName",
    ]
    assert parse_selection(["role", "orgs"], "users", "1.1") == ["role", "orgs"]
    for bad in (["roles.role"], ["role"], [""]):
        with pytest.raises(InvalidSelection):
            parse_selection(bad, "users", "1.2")


FIELDS = st.sampled_from(
    ["givenName", "roles.role", "dateLastModified", "metadata.jp.x", "grades", "bogus", "a b"]
)
VALUES = st.text(max_size=12)
OPERATORS = st.sampled_from(["=", "!=", ">", ">=", "<", "<=", "~", "==", "<>", ""])


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60))
def test_arbitrary_text_is_a_filter_or_invalid_filter(text):
    with contextlib.suppress(InvalidFilter):
        compile_filter(text, "users", "1.2")


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.tuples(FIELDS, OPERATORS, VALUES), min_size=1, max_size=4), st.sampled_from([" AND ", " OR "])
)
def test_built_filters_compile_or_fail_cleanly(predicates, logical):
    text = logical.join(
        f"{field}{op}'{value.replace(chr(39), chr(39) * 2)}'" for field, op, value in predicates
    )
    try:
        query = compile_filter(text, "users", "1.2")
    except InvalidFilter:
        return
    assert isinstance(query, dict) and query
