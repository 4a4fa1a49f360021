"""Statement formats without a database: ids, canonical, and choosing one language per map."""

from __future__ import annotations

import pytest

from gateway.lrs.formats import format_statement, pick_language

NAMES = {"en-US": "algebra", "en-GB": "algebra (UK)", "ja": "代数", "zh-Hant-TW": "代數", "und": "?"}


@pytest.mark.parametrize(
    ("languages", "expected"),
    [
        (("ja",), "ja"),
        (("en-GB", "en-US"), "en-GB"),
        (("fr", "en-US"), "en-US"),
        (("en",), "en-US"),  # a range matches the tags it is a prefix of (RFC 4647 basic filtering)
        (("EN-gb",), "en-GB"),  # case-insensitive
        (("zh-Hant",), "zh-Hant-TW"),
        (("ja-JP",), "ja"),  # no match: the range shortened (RFC 4647 lookup)
        (("de",), "und"),
        (("*",), "en-US"),
        ((), "und"),
    ],
)
def test_pick_language(languages, expected):
    assert pick_language(NAMES, languages) == {expected: NAMES[expected]}


def test_pick_language_without_und_takes_the_first_entry():
    assert pick_language({"fr": "algèbre", "de": "Algebra"}, ("ja",)) == {"fr": "algèbre"}


ACTIVITY = {
    "objectType": "Activity",
    "id": "http://example.com/a",
    "definition": {"name": NAMES, "description": {"en-US": "d", "ja": "説明"}},
}
GROUP = {"objectType": "Group", "name": "class", "mbox": "mailto:class@example.com"}
ANONYMOUS = {
    "objectType": "Group",
    "name": "pair",
    "member": [{"name": "A", "mbox": "mailto:a@example.com"}, {"name": "B", "openid": "http://b.example"}],
}
STATEMENT = {
    "id": "6fbd600f-d17c-4c74-801a-2ec2e53231c7",
    "actor": ANONYMOUS,
    "verb": {"id": "http://example.com/v", "display": {"en-US": "did", "ja": "した"}},
    "object": {
        "objectType": "SubStatement",
        "actor": GROUP,
        "verb": {"id": "http://example.com/w", "display": {"en-US": "saw", "ja": "見た"}},
        "object": ACTIVITY,
    },
    "context": {
        "contextActivities": {"parent": [ACTIVITY]},
        "instructor": {"name": "T", "mbox": "mailto:t@x.jp"},
    },
}


def test_ids_keep_only_identifiers():
    reduced = format_statement(STATEMENT, "ids")
    assert reduced["actor"] == {
        "objectType": "Group",
        "member": [{"mbox": "mailto:a@example.com"}, {"openid": "http://b.example"}],
    }
    assert reduced["verb"] == {"id": "http://example.com/v"}
    assert reduced["object"]["actor"] == {"objectType": "Group", "mbox": "mailto:class@example.com"}
    assert reduced["object"]["verb"] == {"id": "http://example.com/w"}
    assert reduced["object"]["object"] == {"id": "http://example.com/a"}
    assert reduced["context"]["contextActivities"] == {"parent": [{"id": "http://example.com/a"}]}
    assert reduced["context"]["instructor"] == {"mbox": "mailto:t@x.jp"}


def test_canonical_uses_the_stored_definition_and_one_language_per_map():
    canonical = {"name": {"en-US": "Algebra I", "ja": "代数I"}, "type": "http://example.com/t"}
    shown = format_statement(STATEMENT, "canonical", ("ja",), {"http://example.com/a": canonical})
    assert shown["verb"]["display"] == {"ja": "した"}
    assert shown["object"]["verb"]["display"] == {"ja": "見た"}
    assert shown["object"]["object"]["definition"] == {
        "name": {"ja": "代数I"},
        "type": "http://example.com/t",
    }
    assert shown["context"]["contextActivities"]["parent"][0]["definition"]["name"] == {"ja": "代数I"}
    assert shown["actor"] == ANONYMOUS  # Agents and Groups as in exact
    assert STATEMENT["verb"]["display"] == {"en-US": "did", "ja": "した"}  # the stored one is untouched


def test_canonical_without_a_stored_definition_filters_the_statement_s_own():
    shown = format_statement(STATEMENT, "canonical", ("en-GB",), {})
    assert shown["object"]["object"]["definition"] == {
        "name": {"en-GB": "algebra (UK)"},
        "description": {"en-US": "d"},
    }
