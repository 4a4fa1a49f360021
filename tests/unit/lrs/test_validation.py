"""xAPI 1.0.3 / 2.0 statement validation: valid and invalid statements per spec object, batches, fuzzing."""

from __future__ import annotations

import copy
import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway.errors import BadRequest
from gateway.lrs.validation import StatementInvalid, validate_statement, validate_statements

V1 = "1.0.3"
V2 = "2.0.0"
BOTH = (V1, V2)
REMOVE = object()

AGENT = {"objectType": "Agent", "name": "Hana Sato", "mbox": "mailto:hana@example.org"}
SHA256 = "495395e777cd98da653df9615d09c0fd6bb2f8d4788394cd53c56a3bfdcd848a"
STATEMENT_ID = "fd41c918-b88b-4b20-a0a5-a4c32391aaa0"
OTHER_ID = "8f87ccde-bb56-4c2e-ab83-44982ef22df0"

# Valid in 1.0.3 and 2.0: every top-level property and most optional ones are present.
BASE = {
    "id": STATEMENT_ID,
    "actor": AGENT,
    "verb": {
        "id": "http://adlnet.gov/expapi/verbs/completed",
        "display": {"en-US": "completed", "ja": "完了"},
    },
    "object": {
        "objectType": "Activity",
        "id": "https://example.org/courses/math-1",
        "definition": {
            "name": {"en-US": "Math 1"},
            "description": {"en-US": "Fractions and decimals"},
            "type": "http://adlnet.gov/expapi/activities/course",
            "moreInfo": "https://example.org/courses/math-1/about",
            "extensions": {"https://example.org/xapi/level": 3},
        },
    },
    "result": {
        "score": {"scaled": 0.5, "raw": 50, "min": 0, "max": 100},
        "success": True,
        "completion": True,
        "response": "finished",
        "duration": "PT1H30M",
        "extensions": {"https://example.org/xapi/attempts": 2},
    },
    "context": {
        "registration": "ec531277-b57b-4c15-8d91-d292c5b2b8f7",
        "instructor": {"name": "Ken Ito", "mbox_sha1sum": "cd9b00a5611f94eaa7b1661edab976068e364975"},
        "team": {
            "objectType": "Group",
            "name": "Team A",
            "account": {"homePage": "https://school.example.org", "name": "team-a"},
            "member": [AGENT],
        },
        "contextActivities": {
            "parent": [{"id": "https://example.org/programs/numeracy"}],
            "grouping": {"objectType": "Activity", "id": "https://example.org/terms/2024"},
            "category": [{"id": "https://w3id.org/xapi/cmi5/context/categories/moveon"}],
            "other": [],
        },
        "revision": "r2",
        "platform": "Kakehashi",
        "language": "ja-JP",
        "statement": {"objectType": "StatementRef", "id": OTHER_ID},
        "extensions": {"https://example.org/xapi/school": {"id": 7, "note": None}},
    },
    "timestamp": "2024-05-04T12:00:00.000+09:00",
    "stored": "2024-05-04T03:00:01.000Z",
    "authority": {
        "objectType": "Agent",
        "account": {"homePage": "https://lrs.example.org", "name": "client-1"},
    },
    "version": "1.0.0",
    "attachments": [
        {
            "usageType": "http://adlnet.gov/expapi/attachments/signature",
            "display": {"en-US": "Signature"},
            "description": {"en-US": "JWS signature"},
            "contentType": "application/octet-stream",
            "length": 512,
            "sha2": SHA256,
            "fileUrl": "https://example.org/files/signature",
        }
    ],
}
MINIMAL = {key: BASE[key] for key in ("actor", "verb", "object")}
DEFINITION = ("object", "definition")
# revision and platform are only allowed when the object is an Activity: remove them with other objects.
NOT_ACTIVITY = {("context", "revision"): REMOVE, ("context", "platform"): REMOVE}
SUB_STATEMENT = {
    "objectType": "SubStatement",
    "actor": {"openid": "http://openid.example.org/12345"},
    "verb": {"id": "http://example.org/verbs/will-attend"},
    "object": {"id": "https://example.org/meetings/42"},
    "result": {"completion": False},
    "context": {"platform": "Kakehashi", "contextActivities": {"parent": {"id": "https://example.org/p"}}},
    "timestamp": "2030-01-01T09:00:00Z",
}
OAUTH_AUTHORITY = {
    "objectType": "Group",
    "member": [
        {"account": {"homePage": "https://lrs.example.org/oauth/token", "name": "consumer-1"}},
        {"mbox": "mailto:teacher@example.org"},
    ],
}
CONTEXT_AGENT = {
    "objectType": "contextAgent",
    "agent": {"mbox": "mailto:coach@example.org"},
    "relevantTypes": ["https://example.org/xapi/roles/coach"],
}
CONTEXT_GROUP = {
    "objectType": "contextGroup",
    "group": {"objectType": "Group", "mbox": "mailto:team-1@example.org"},
    "relevantTypes": ["https://example.org/xapi/roles/team"],
}


def changed(statement: dict, changes: dict) -> dict:
    """A deep copy with each path (a tuple of keys and indexes) set to a value, or removed for REMOVE."""
    result = copy.deepcopy(statement)
    for path, value in changes.items():
        *parents, last = path
        target = result
        for step in parents:
            target = target[step]
        if value is REMOVE:
            del target[last]
        else:
            target[last] = copy.deepcopy(value)
    return result


def interaction(interaction_type: object, **definition) -> dict:
    """An interaction Activity definition: changes to apply at DEFINITION."""
    return {
        DEFINITION: {"interactionType": interaction_type, "correctResponsesPattern": ["a[,]b"], **definition}
    }


COMPONENTS = [{"id": "a", "description": {"en-US": "A"}}, {"id": "b"}]

VALID = [
    # (name, versions, changes applied to BASE)
    ("full statement", BOTH, {}),
    ("minimal statement", BOTH, {(key,): REMOVE for key in BASE if key not in MINIMAL}),
    ("actor without objectType", BOTH, {("actor",): {"mbox": "mailto:a@example.org"}}),
    (
        "actor by mbox_sha1sum",
        BOTH,
        {("actor",): {"mbox_sha1sum": "CD9B00A5611F94EAA7B1661EDAB976068E364975"}},
    ),
    ("actor by openid", BOTH, {("actor",): {"openid": "https://openid.example.org/hana"}}),
    (
        "actor by account",
        BOTH,
        {("actor",): {"account": {"homePage": "https://lms.example.org", "name": "42"}}},
    ),
    (
        "anonymous group actor",
        BOTH,
        {("actor",): {"objectType": "Group", "member": [AGENT, {"openid": "x:y"}]}},
    ),
    (
        "identified group actor without members",
        BOTH,
        {("actor",): {"objectType": "Group", "openid": "https://openid.example.org/class-3"}},
    ),
    ("uppercase statement id", BOTH, {("id",): STATEMENT_ID.upper()}),
    ("nil UUID", BOTH, {("id",): "00000000-0000-0000-0000-000000000000"}),
    ("version 1 UUID", BOTH, {("id",): "c232ab00-9414-11ec-b3c8-9e6bdeced846"}),
    ("verb without display", BOTH, {("verb", "display"): REMOVE}),
    ("verb IRI with fragment", BOTH, {("verb", "id"): "https://example.org/verbs#done"}),
    ("Unicode IRI", BOTH, {("object", "id"): "https://例え.jp/活動/1"}),
    ("IRI with dot segments", BOTH, {("object", "id"): "http://example.com/path/../slug"}),
    ("URN activity id", BOTH, {("object", "id"): "urn:uuid:fd41c918-b88b-4b20-a0a5-a4c32391aaa0"}),
    ("activity without objectType or definition", BOTH, {("object",): {"id": "tag:example.org,2024:math"}}),
    ("empty language map", BOTH, {("verb", "display"): {}}),
    (
        "registered language tags",
        BOTH,
        {("verb", "display"): {"zh-Hant-TW": "x", "es-419": "x", "sgn-BE-FR": "x"}},
    ),
    ("private-use language tag", BOTH, {("context", "language"): "x-kkh"}),
    ("agent object", BOTH, {("object",): AGENT, **NOT_ACTIVITY}),
    ("group object", BOTH, {("object",): {"objectType": "Group", "member": [AGENT]}, **NOT_ACTIVITY}),
    (
        "statement reference object",
        BOTH,
        {("object",): {"objectType": "StatementRef", "id": OTHER_ID}, **NOT_ACTIVITY},
    ),
    ("sub-statement object", BOTH, {("object",): SUB_STATEMENT, **NOT_ACTIVITY}),
    (
        "voiding statement",
        BOTH,
        {
            ("verb",): {"id": "http://adlnet.gov/expapi/verbs/voided", "display": {"en-US": "voided"}},
            ("object",): {"objectType": "StatementRef", "id": OTHER_ID},
            ("context",): REMOVE,
        },
    ),
    ("true-false", BOTH, interaction("true-false")),
    ("choice", BOTH, interaction("choice", choices=COMPONENTS)),
    ("sequencing", BOTH, interaction("sequencing", choices=COMPONENTS)),
    ("likert", BOTH, interaction("likert", scale=COMPONENTS)),
    ("matching", BOTH, interaction("matching", source=COMPONENTS, target=COMPONENTS)),
    ("performance", BOTH, interaction("performance", steps=COMPONENTS)),
    ("fill-in", BOTH, interaction("fill-in")),
    ("long-fill-in", BOTH, interaction("long-fill-in")),
    ("numeric", BOTH, interaction("numeric", correctResponsesPattern=["4[:]"])),
    ("other without correctResponsesPattern", BOTH, {DEFINITION: {"interactionType": "other"}}),
    (
        "single context activity",
        BOTH,
        {("context", "contextActivities", "parent"): {"id": "https://ex.org/p"}},
    ),
    (
        "extension values are any JSON",
        BOTH,
        {("result", "extensions"): {"https://ex.org/e": [None, {}, "", 1.5]}},
    ),
    ("empty extensions", BOTH, {("context", "extensions"): {}}),
    ("duration in weeks", BOTH, {("result", "duration"): "P4W"}),
    ("duration in seconds", BOTH, {("result", "duration"): "PT16559.14S"}),
    ("duration with every unit", BOTH, {("result", "duration"): "P3Y1M29DT4H35M59.14S"}),
    ("duration beyond 0.01 s", BOTH, {("result", "duration"): "P1DT12H36M0.12567S"}),
    ("duration with comma fraction", BOTH, {("result", "duration"): "PT0,5S"}),
    ("duration fraction in last unit", BOTH, {("result", "duration"): "P1DT1.5H"}),
    ("timestamp in UTC", BOTH, {("timestamp",): "2008-09-15T15:53:00.601Z"}),
    ("timestamp with +00:00", BOTH, {("timestamp",): "2008-09-15T15:53:00.601+00:00"}),
    ("timestamp with negative offset", BOTH, {("timestamp",): "2023-05-04T12:00:00-05:00"}),
    ("timestamp in basic format", BOTH, {("timestamp",): "20080915T155300+0900"}),
    ("timestamp beyond milliseconds", BOTH, {("timestamp",): "2008-09-15T15:53:00.123456789Z"}),
    ("future timestamp", BOTH, {("timestamp",): "2099-12-31T23:59:59Z"}),
    ("1.0.3 timestamp without time zone", (V1,), {("timestamp",): "2008-09-15T15:53:00.601"}),
    ("scaled at the bounds", BOTH, {("result", "score"): {"scaled": -1}}),
    ("raw equal to min and max", BOTH, {("result", "score"): {"raw": 0, "min": 0}}),
    ("raw only", BOTH, {("result", "score"): {"raw": -12.5}}),
    (
        "float scores",
        BOTH,
        {("result", "score"): {"min": 0.12123434, "raw": 12.125, "max": 45.45, "scaled": 1.0}},
    ),
    ("version 1.0", BOTH, {("version",): "1.0"}),
    ("version 1.0.9", BOTH, {("version",): "1.0.9"}),
    ("version 2.0.0 in 2.0", (V2,), {("version",): "2.0.0"}),
    ("version 2.0 in 2.0", (V2,), {("version",): "2.0"}),
    ("OAuth authority", BOTH, {("authority",): OAUTH_AUTHORITY}),
    ("attachment without optional properties", BOTH, {("attachments", 0, "description"): REMOVE}),
    ("attachment of zero length", BOTH, {("attachments", 0, "length"): 0}),
    (
        "attachment content type with parameters",
        BOTH,
        {("attachments", 0, "contentType"): "text/plain; charset=ascii"},
    ),
    ("attachment SHA-512", BOTH, {("attachments", 0, "sha2"): "ab" * 64}),
    (
        "sub-statement with attachments",
        BOTH,
        {("object",): {**SUB_STATEMENT, "attachments": BASE["attachments"]}, **NOT_ACTIVITY},
    ),
    (
        "context agents and groups",
        (V2,),
        {("context", "contextAgents"): [CONTEXT_AGENT], ("context", "contextGroups"): [CONTEXT_GROUP]},
    ),
    (
        "context agent without relevantTypes",
        (V2,),
        {("context", "contextAgents"): [{"objectType": "contextAgent", "agent": AGENT}]},
    ),
    (
        "context agents in a sub-statement",
        (V2,),
        {("object",): {**SUB_STATEMENT, "context": {"contextAgents": []}}, **NOT_ACTIVITY},
    ),
]


@pytest.mark.parametrize(
    ("version", "statement"),
    [
        pytest.param(version, changed(BASE, changes), id=f"{version}: {name}")
        for name, versions, changes in VALID
        for version in versions
    ],
)
def test_valid_statements_pass(version, statement):
    before = copy.deepcopy(statement)
    validate_statement(statement, version)
    assert statement == before  # validation never normalises or mutates


INVALID = [
    # (name, versions, changes applied to BASE, the property the error names)
    ("unknown top-level property", BOTH, {("score",): 1}, "statement.score"),
    ("wrong-case property", BOTH, {("Actor",): AGENT}, "statement.Actor"),
    ("missing actor", BOTH, {("actor",): REMOVE}, "statement.actor"),
    ("missing verb", BOTH, {("verb",): REMOVE}, "statement.verb"),
    ("missing object", BOTH, {("object",): REMOVE}, "statement.object"),
    ("null property", BOTH, {("result",): None}, "statement.result"),
    ("nested null", BOTH, {("actor", "name"): None}, "statement.actor.name"),
    # id
    ("id with too many digits", BOTH, {("id",): "AA97B177-9383-4934-8543-0F91A7A028368"}, "statement.id"),
    ("id with a non-hex letter", BOTH, {("id",): "MA97B177-9383-4934-8543-0F91A7A02836"}, "statement.id"),
    ("id without hyphens", BOTH, {("id",): STATEMENT_ID.replace("-", "")}, "statement.id"),
    ("id in braces", BOTH, {("id",): "{" + STATEMENT_ID + "}"}, "statement.id"),
    ("id as URN", BOTH, {("id",): "urn:uuid:" + STATEMENT_ID}, "statement.id"),
    ("numeric id", BOTH, {("id",): 12345}, "statement.id"),
    # actor: Agent
    ("agent without identifier", BOTH, {("actor",): {"name": "nobody"}}, "statement.actor"),
    (
        "agent with two identifiers",
        BOTH,
        {("actor", "openid"): "https://openid.example.org/h"},
        "statement.actor",
    ),
    ("mbox without mailto", BOTH, {("actor", "mbox"): "hana@example.org"}, "statement.actor.mbox"),
    ("mbox not an email", BOTH, {("actor", "mbox"): "mailto:should.fail.com"}, "statement.actor.mbox"),
    ("mbox as http IRI", BOTH, {("actor", "mbox"): "http://should.fail.com"}, "statement.actor.mbox"),
    (
        "mbox with a query",
        BOTH,
        {("actor", "mbox"): "mailto:a@example.org?subject=x"},
        "statement.actor.mbox",
    ),
    (
        "short mbox_sha1sum",
        BOTH,
        {("actor",): {"mbox_sha1sum": "cd9b00a5611f"}},
        "statement.actor.mbox_sha1sum",
    ),
    ("openid not a URI", BOTH, {("actor",): {"openid": "ab=c://should.fail.com"}}, "statement.actor.openid"),
    ("openid not ASCII", BOTH, {("actor",): {"openid": "https://例え.jp/me"}}, "statement.actor.openid"),
    (
        "account without name",
        BOTH,
        {("actor",): {"account": {"homePage": "https://ex.org"}}},
        "statement.actor.account.name",
    ),
    (
        "account homePage not an IRL",
        BOTH,
        {("actor",): {"account": {"homePage": "ab=c://should.fail.com", "name": "x"}}},
        "statement.actor.account.homePage",
    ),
    (
        "account name not a string",
        BOTH,
        {("actor",): {"account": {"homePage": "https://ex.org", "name": {"key": "x"}}}},
        "statement.actor.account.name",
    ),
    ("lowercase objectType", BOTH, {("actor", "objectType"): "agent"}, "statement.actor.objectType"),
    ("numeric agent name", BOTH, {("actor", "name"): 123}, "statement.actor.name"),
    ("unknown agent property", BOTH, {("actor", "email"): "x"}, "statement.actor.email"),
    # actor: Group
    (
        "anonymous group without member",
        BOTH,
        {("actor",): {"objectType": "Group", "name": "x"}},
        "statement.actor.member",
    ),
    (
        "anonymous group with no members",
        BOTH,
        {("actor",): {"objectType": "Group", "member": []}},
        "statement.actor.member",
    ),
    (
        "member not an array",
        BOTH,
        {("actor",): {"objectType": "Group", "member": AGENT}},
        "statement.actor.member",
    ),
    (
        "group inside a group",
        BOTH,
        {("actor",): {"objectType": "Group", "member": [{"objectType": "Group", "member": [AGENT]}]}},
        "statement.actor.member[0]",
    ),
    (
        "invalid member",
        BOTH,
        {("actor",): {"objectType": "Group", "member": [AGENT, {"name": "x"}]}},
        "statement.actor.member[1]",
    ),
    (
        "group with two identifiers",
        BOTH,
        {("actor",): {"objectType": "Group", "mbox": "mailto:g@ex.org", "openid": "https://ex.org/g"}},
        "statement.actor",
    ),
    ("group without objectType", BOTH, {("actor",): {"member": [AGENT]}}, "statement.actor.member"),
    # verb
    ("verb without id", BOTH, {("verb", "id"): REMOVE}, "statement.verb.id"),
    ("verb id not an IRI", BOTH, {("verb", "id"): "ab=c://should.fail.com"}, "statement.verb.id"),
    ("verb id without a scheme", BOTH, {("verb", "id"): "not.a.valid.iri.com/verb"}, "statement.verb.id"),
    ("verb id with a space", BOTH, {("verb", "id"): "http://example.org/a verb"}, "statement.verb.id"),
    (
        "verb id with a trailing newline",
        BOTH,
        {("verb", "id"): "http://example.org/verb\n"},
        "statement.verb.id",
    ),
    ("empty verb id", BOTH, {("verb", "id"): ""}, "statement.verb.id"),
    ("verb display a string", BOTH, {("verb", "display"): "a12345 attended"}, "statement.verb.display"),
    (
        "invalid language tag",
        BOTH,
        {("verb", "display"): {"a12345": "x"}},
        "statement.verb.display.a12345",
    ),
    (
        "too long language tag",
        BOTH,
        {("verb", "display"): {"a12345678": "x"}},
        "statement.verb.display.a12345678",
    ),
    (
        "underscore language tag",
        BOTH,
        {("verb", "display"): {"en_US": "x"}},
        "statement.verb.display.en_US",
    ),
    ("unregistered language", BOTH, {("verb", "display"): {"zz": "x"}}, "statement.verb.display.zz"),
    (
        "language map value not a string",
        BOTH,
        {("verb", "display"): {"en-US": 1}},
        'statement.verb.display["en-US"]',
    ),
    ("unknown verb property", BOTH, {("verb", "name"): "x"}, "statement.verb.name"),
    (
        "void without a statement reference",
        BOTH,
        {("verb", "id"): "http://adlnet.gov/expapi/verbs/voided"},
        "statement.object",
    ),
    # object
    ("unknown objectType", BOTH, {("object", "objectType"): "activity"}, "statement.object.objectType"),
    ("object not an object", BOTH, {("object",): "activity"}, "statement.object"),
    (
        "agent object without objectType",
        BOTH,
        {("object",): {"mbox": "mailto:a@ex.org"}},
        "statement.object.objectType",
    ),
    (
        "group object without objectType",
        BOTH,
        {("object",): {"member": [AGENT]}},
        "statement.object.objectType",
    ),
    ("activity without id", BOTH, {("object", "id"): REMOVE}, "statement.object.id"),
    ("activity id not an IRI", BOTH, {("object", "id"): "ab=c://should.fail.com"}, "statement.object.id"),
    ("definition not an object", BOTH, {("object", "definition"): "x"}, "statement.object.definition"),
    (
        "unknown definition property",
        BOTH,
        {("object", "definition", "title"): "x"},
        "statement.object.definition.title",
    ),
    (
        "definition name a string",
        BOTH,
        {("object", "definition", "name"): "x"},
        "statement.object.definition.name",
    ),
    (
        "definition type not an IRI",
        BOTH,
        {("object", "definition", "type"): "course"},
        "statement.object.definition.type",
    ),
    (
        "moreInfo not an IRL",
        BOTH,
        {("object", "definition", "moreInfo"): "about"},
        "statement.object.definition.moreInfo",
    ),
    (
        "extension key not an IRI",
        BOTH,
        {("object", "definition", "extensions"): {"should fail": True}},
        'statement.object.definition.extensions["should fail"]',
    ),
    ("extensions not an object", BOTH, {("result", "extensions"): [1]}, "statement.result.extensions"),
    ("unknown interactionType", BOTH, interaction("Choice"), "statement.object.definition.interactionType"),
    ("numeric interactionType", BOTH, interaction(5), "statement.object.definition.interactionType"),
    (
        "correctResponsesPattern without interactionType",
        BOTH,
        {(*DEFINITION, "correctResponsesPattern"): ["a"]},
        "statement.object.definition.correctResponsesPattern",
    ),
    (
        "choices without interactionType",
        BOTH,
        {(*DEFINITION, "choices"): COMPONENTS},
        "statement.object.definition.choices",
    ),
    (
        "correctResponsesPattern not an array",
        BOTH,
        interaction("fill-in", correctResponsesPattern="a"),
        "statement.object.definition.correctResponsesPattern",
    ),
    (
        "correctResponsesPattern item not a string",
        BOTH,
        interaction("numeric", correctResponsesPattern=[4]),
        "statement.object.definition.correctResponsesPattern[0]",
    ),
    (
        "choices for true-false",
        BOTH,
        interaction("true-false", choices=COMPONENTS),
        "statement.object.definition.choices",
    ),
    ("scale for choice", BOTH, interaction("choice", scale=COMPONENTS), "statement.object.definition.scale"),
    (
        "steps for matching",
        BOTH,
        interaction("matching", steps=COMPONENTS),
        "statement.object.definition.steps",
    ),
    (
        "repeated component ids",
        BOTH,
        interaction("choice", choices=[{"id": "a"}, {"id": "b"}, {"id": "a"}]),
        "statement.object.definition.choices[2].id",
    ),
    (
        "component without id",
        BOTH,
        interaction("likert", scale=[{"description": {"en-US": "x"}}]),
        "statement.object.definition.scale[0].id",
    ),
    (
        "numeric component id",
        BOTH,
        interaction("performance", steps=[{"id": 1}]),
        "statement.object.definition.steps[0].id",
    ),
    (
        "component description with an invalid tag",
        BOTH,
        interaction("matching", source=[{"id": "a", "description": {"a12345": "x"}}]),
        "statement.object.definition.source[0].description.a12345",
    ),
    (
        "components not an array",
        BOTH,
        interaction("sequencing", choices={"id": "a"}),
        "statement.object.definition.choices",
    ),
    # StatementRef
    (
        "statement reference without id",
        BOTH,
        {("object",): {"objectType": "StatementRef"}},
        "statement.object.id",
    ),
    (
        "statement reference with a bad id",
        BOTH,
        {("object",): {"objectType": "StatementRef", "id": "should fail"}},
        "statement.object.id",
    ),
    (
        "statement reference with extra property",
        BOTH,
        {("object",): {"objectType": "StatementRef", "id": OTHER_ID, "definition": {}}},
        "statement.object.definition",
    ),
    # SubStatement
    ("sub-statement with id", BOTH, {("object",): {**SUB_STATEMENT, "id": OTHER_ID}}, "statement.object.id"),
    (
        "sub-statement with stored",
        BOTH,
        {("object",): {**SUB_STATEMENT, "stored": BASE["stored"]}},
        "statement.object.stored",
    ),
    (
        "sub-statement with version",
        BOTH,
        {("object",): {**SUB_STATEMENT, "version": "1.0.0"}},
        "statement.object.version",
    ),
    (
        "sub-statement with authority",
        BOTH,
        {("object",): {**SUB_STATEMENT, "authority": AGENT}},
        "statement.object.authority",
    ),
    (
        "nested sub-statement",
        BOTH,
        {("object",): {**SUB_STATEMENT, "object": SUB_STATEMENT}},
        "statement.object.object.objectType",
    ),
    (
        "sub-statement without actor",
        BOTH,
        {("object",): {**SUB_STATEMENT, "actor": None}},
        "statement.object.actor",
    ),
    (
        "sub-statement with a bad timestamp",
        BOTH,
        {("object",): {**SUB_STATEMENT, "timestamp": "01/011/2015"}},
        "statement.object.timestamp",
    ),
    (
        "sub-statement context revision with an agent object",
        BOTH,
        {("object",): {**SUB_STATEMENT, "object": AGENT, "context": {"revision": "r"}}},
        "statement.object.context.revision",
    ),
    # result
    ("scaled above 1", BOTH, {("result", "score", "scaled"): 1.01}, "statement.result.score.scaled"),
    ("scaled below -1", BOTH, {("result", "score", "scaled"): -1.00001}, "statement.result.score.scaled"),
    ("scaled as a string", BOTH, {("result", "score", "scaled"): "0.5"}, "statement.result.score.scaled"),
    ("scaled as a boolean", BOTH, {("result", "score", "scaled"): True}, "statement.result.score.scaled"),
    ("scaled not finite", BOTH, {("result", "score", "scaled"): math.nan}, "statement.result.score.scaled"),
    ("raw above max", BOTH, {("result", "score", "raw"): 101}, "statement.result.score.raw"),
    ("raw below min", BOTH, {("result", "score", "raw"): -1}, "statement.result.score.raw"),
    ("min equal to max", BOTH, {("result", "score"): {"min": 5, "max": 5}}, "statement.result.score.min"),
    ("min above max", BOTH, {("result", "score"): {"min": 10, "max": 5}}, "statement.result.score.min"),
    ("unknown score property", BOTH, {("result", "score", "percent"): 50}, "statement.result.score.percent"),
    ("score not an object", BOTH, {("result", "score"): 50}, "statement.result.score"),
    ("success as a string", BOTH, {("result", "success"): "true"}, "statement.result.success"),
    ("completion as a number", BOTH, {("result", "completion"): 1}, "statement.result.completion"),
    ("numeric response", BOTH, {("result", "response"): 12345}, "statement.result.response"),
    ("numeric duration", BOTH, {("result", "duration"): 12345}, "statement.result.duration"),
    ("duration with a letter", BOTH, {("result", "duration"): "PA1H0M0S"}, "statement.result.duration"),
    ("weeks mixed with days", BOTH, {("result", "duration"): "P4W1D"}, "statement.result.duration"),
    ("duration without values", BOTH, {("result", "duration"): "PT"}, "statement.result.duration"),
    ("T without a time value", BOTH, {("result", "duration"): "P1DT"}, "statement.result.duration"),
    (
        "fraction before the last unit",
        BOTH,
        {("result", "duration"): "PT1.5H2M"},
        "statement.result.duration",
    ),
    (
        "alternative duration format",
        BOTH,
        {("result", "duration"): "P0003-06-04T12:30:05"},
        "statement.result.duration",
    ),
    ("negative duration", BOTH, {("result", "duration"): "-P1D"}, "statement.result.duration"),
    ("lowercase duration", BOTH, {("result", "duration"): "pt1h"}, "statement.result.duration"),
    ("duration with a newline", BOTH, {("result", "duration"): "PT1H\n"}, "statement.result.duration"),
    (
        "non-ASCII digits in a duration",
        BOTH,
        {("result", "duration"): "PT\u0661H"},
        "statement.result.duration",
    ),
    ("unknown result property", BOTH, {("result", "passed"): True}, "statement.result.passed"),
    # context
    (
        "registration not a UUID",
        BOTH,
        {("context", "registration"): "should fail"},
        "statement.context.registration",
    ),
    (
        "instructor not an agent",
        BOTH,
        {("context", "instructor"): {"key": "x"}},
        "statement.context.instructor.key",
    ),
    ("team is an agent", BOTH, {("context", "team"): AGENT}, "statement.context.team.objectType"),
    (
        "unknown context activity kind",
        BOTH,
        {("context", "contextActivities", "consequences"): []},
        "statement.context.contextActivities.consequences",
    ),
    (
        "context activity not an activity",
        BOTH,
        {("context", "contextActivities", "other"): [{"id": "https://ex.org/a"}, {"key": "x"}]},
        "statement.context.contextActivities.other[1].key",
    ),
    (
        "context activity as a string",
        BOTH,
        {("context", "contextActivities", "parent"): "https://ex.org/a"},
        "statement.context.contextActivities.parent",
    ),
    (
        "revision with an agent object",
        BOTH,
        {("object",): AGENT, ("context", "platform"): REMOVE},
        "statement.context.revision",
    ),
    (
        "platform with a statement reference object",
        BOTH,
        {("object",): {"objectType": "StatementRef", "id": OTHER_ID}, ("context", "revision"): REMOVE},
        "statement.context.platform",
    ),
    ("numeric revision", BOTH, {("context", "revision"): 12345}, "statement.context.revision"),
    ("invalid context language", BOTH, {("context", "language"): "a12345"}, "statement.context.language"),
    ("numeric context language", BOTH, {("context", "language"): 12345}, "statement.context.language"),
    (
        "context statement not a reference",
        BOTH,
        {("context", "statement"): {"objectType": "SubStatement", "id": OTHER_ID}},
        "statement.context.statement.objectType",
    ),
    (
        "context statement with a bad id",
        BOTH,
        {("context", "statement", "id"): "AA97B177-9383-4934-8543-0F91A7A028368"},
        "statement.context.statement.id",
    ),
    (
        "contextAgents in 1.0.3",
        (V1,),
        {("context", "contextAgents"): [CONTEXT_AGENT]},
        "statement.context.contextAgents",
    ),
    (
        "contextGroups in 1.0.3",
        (V1,),
        {("context", "contextGroups"): [CONTEXT_GROUP]},
        "statement.context.contextGroups",
    ),
    (
        "context agent with a wrong objectType",
        (V2,),
        {("context", "contextAgents"): [{**CONTEXT_AGENT, "objectType": "Agent"}]},
        "statement.context.contextAgents[0].objectType",
    ),
    (
        "context agent without objectType",
        (V2,),
        {("context", "contextAgents"): [{"agent": AGENT}]},
        "statement.context.contextAgents[0].objectType",
    ),
    (
        "context agent that is a group",
        (V2,),
        {("context", "contextAgents"): [{**CONTEXT_AGENT, "agent": CONTEXT_GROUP["group"]}]},
        "statement.context.contextAgents[0].agent.objectType",
    ),
    (
        "context agent with an invalid agent",
        (V2,),
        {("context", "contextAgents"): [{**CONTEXT_AGENT, "agent": {"key": "x"}}]},
        "statement.context.contextAgents[0].agent.key",
    ),
    (
        "empty relevantTypes",
        (V2,),
        {("context", "contextAgents"): [{**CONTEXT_AGENT, "relevantTypes": []}]},
        "statement.context.contextAgents[0].relevantTypes",
    ),
    (
        "relevantTypes item not an IRI",
        (V2,),
        {("context", "contextGroups"): [{**CONTEXT_GROUP, "relevantTypes": ["abc"]}]},
        "statement.context.contextGroups[0].relevantTypes[0]",
    ),
    (
        "context group that is an agent",
        (V2,),
        {("context", "contextGroups"): [{**CONTEXT_GROUP, "group": AGENT}]},
        "statement.context.contextGroups[0].group.objectType",
    ),
    (
        "context group with an unknown property",
        (V2,),
        {("context", "contextGroups"): [{**CONTEXT_GROUP, "member": [AGENT]}]},
        "statement.context.contextGroups[0].member",
    ),
    (
        "contextAgents not an array",
        (V2,),
        {("context", "contextAgents"): CONTEXT_AGENT},
        "statement.context.contextAgents",
    ),
    # timestamp and stored
    ("timestamp not a date", BOTH, {("timestamp",): "should fail"}, "statement.timestamp"),
    ("timestamp in US format", BOTH, {("timestamp",): "01/011/2015"}, "statement.timestamp"),
    ("timestamp with -00", BOTH, {("timestamp",): "2008-09-15T15:53:00.601-00"}, "statement.timestamp"),
    ("timestamp with -0000", BOTH, {("timestamp",): "2008-09-15T15:53:00.601-0000"}, "statement.timestamp"),
    ("timestamp with -00:00", BOTH, {("timestamp",): "2008-09-15T15:53:00.601-00:00"}, "statement.timestamp"),
    ("date without time", BOTH, {("timestamp",): "2008-09-15"}, "statement.timestamp"),
    ("impossible date", BOTH, {("timestamp",): "2008-02-30T15:53:00Z"}, "statement.timestamp"),
    ("numeric timestamp", BOTH, {("timestamp",): 1700000000}, "statement.timestamp"),
    (
        "2.0 timestamp without time zone",
        (V2,),
        {("timestamp",): "2008-09-15T15:53:00.601"},
        "statement.timestamp",
    ),
    ("stored not a date", BOTH, {("stored",): "yesterday"}, "statement.stored"),
    ("2.0 stored without time zone", (V2,), {("stored",): "2008-09-15T15:53:00"}, "statement.stored"),
    # authority
    (
        "identified group authority",
        BOTH,
        {("authority",): {**OAUTH_AUTHORITY, "mbox": "mailto:g@ex.org"}},
        "statement.authority",
    ),
    (
        "authority group of one",
        BOTH,
        {("authority",): {"objectType": "Group", "member": OAUTH_AUTHORITY["member"][:1]}},
        "statement.authority.member",
    ),
    (
        "authority group of three",
        BOTH,
        {("authority",): {"objectType": "Group", "member": [*OAUTH_AUTHORITY["member"], AGENT]}},
        "statement.authority.member",
    ),
    (
        "authority group without the OAuth consumer",
        BOTH,
        {("authority",): {"objectType": "Group", "member": [AGENT, {"mbox": "mailto:b@ex.org"}]}},
        "statement.authority.member",
    ),
    ("authority without identifier", BOTH, {("authority",): {"objectType": "Agent"}}, "statement.authority"),
    # version
    ("version 1.1.0", BOTH, {("version",): "1.1.0"}, "statement.version"),
    ("version 0.9.9", BOTH, {("version",): "0.9.9"}, "statement.version"),
    ("version 2.0.0 in 1.0.3", (V1,), {("version",): "2.0.0"}, "statement.version"),
    ("version 3.0.0 in 2.0", (V2,), {("version",): "3.0.0"}, "statement.version"),
    ("pre-release version", BOTH, {("version",): "1.0.3-beta"}, "statement.version"),
    ("numeric version", BOTH, {("version",): 1.0}, "statement.version"),
    # attachments
    ("attachments not an array", BOTH, {("attachments",): BASE["attachments"][0]}, "statement.attachments"),
    ("attachment not an object", BOTH, {("attachments", 0): "should fail"}, "statement.attachments[0]"),
    ("attachment without sha2", BOTH, {("attachments", 0, "sha2"): REMOVE}, "statement.attachments[0].sha2"),
    (
        "attachment without display",
        BOTH,
        {("attachments", 0, "display"): REMOVE},
        "statement.attachments[0].display",
    ),
    (
        "usageType not an IRI",
        BOTH,
        {("attachments", 0, "usageType"): "signature"},
        "statement.attachments[0].usageType",
    ),
    (
        "contentType not a media type",
        BOTH,
        {("attachments", 0, "contentType"): "text"},
        "statement.attachments[0].contentType",
    ),
    (
        "numeric contentType",
        BOTH,
        {("attachments", 0, "contentType"): 999},
        "statement.attachments[0].contentType",
    ),
    ("length as a string", BOTH, {("attachments", 0, "length"): "512"}, "statement.attachments[0].length"),
    ("fractional length", BOTH, {("attachments", 0, "length"): 1.5}, "statement.attachments[0].length"),
    ("negative length", BOTH, {("attachments", 0, "length"): -1}, "statement.attachments[0].length"),
    ("sha2 not hex", BOTH, {("attachments", 0, "sha2"): "should fail"}, "statement.attachments[0].sha2"),
    (
        "fileUrl not an IRL",
        BOTH,
        {("attachments", 0, "fileUrl"): "files/sig"},
        "statement.attachments[0].fileUrl",
    ),
    (
        "attachment description with an invalid tag",
        BOTH,
        {("attachments", 0, "description"): {"a12345678": "x"}},
        "statement.attachments[0].description.a12345678",
    ),
]


@pytest.mark.parametrize(
    ("version", "statement", "prop"),
    [
        pytest.param(version, changed(BASE, changes), prop, id=f"{version}: {name}")
        for name, versions, changes, prop in INVALID
        for version in versions
    ],
)
def test_invalid_statements_name_the_property(version, statement, prop):
    with pytest.raises(StatementInvalid) as raised:
        validate_statement(statement, version)
    assert raised.value.details == {"property": prop}
    assert raised.value.message.startswith(prop + " ")


@pytest.mark.parametrize("version", BOTH)
@pytest.mark.parametrize("statement", [None, [], "statement", 42, True])
def test_a_statement_must_be_an_object(version, statement):
    with pytest.raises(StatementInvalid) as raised:
        validate_statement(statement, version)
    assert raised.value.details == {"property": "statement"}


def test_the_error_is_a_bad_request_with_a_stable_code():
    with pytest.raises(BadRequest) as raised:
        validate_statement(changed(BASE, {("verb", "id"): "should fail"}), V2, path="statements[56]")
    error = raised.value
    assert isinstance(error, StatementInvalid)
    assert (error.status, error.code) == (400, "invalid_statement")
    assert error.details == {"property": "statements[56].verb.id"}
    assert error.message == "statements[56].verb.id must be an IRI"


def test_an_unsupported_version_is_a_programming_error():
    with pytest.raises(ValueError, match="unsupported xAPI version"):
        validate_statement(copy.deepcopy(MINIMAL), "1.0.2")


@pytest.mark.parametrize("version", BOTH)
def test_a_valid_batch_passes(version):
    second = changed(BASE, {("id",): OTHER_ID})
    validate_statements(
        [copy.deepcopy(BASE), second, copy.deepcopy(MINIMAL), copy.deepcopy(MINIMAL)], version
    )
    validate_statements([], version)


@pytest.mark.parametrize("version", BOTH)
def test_a_batch_names_the_first_invalid_statement(version):
    batch = [copy.deepcopy(MINIMAL), changed(MINIMAL, {("verb", "id"): "should fail"}), "not a statement"]
    with pytest.raises(StatementInvalid) as raised:
        validate_statements(batch, version)
    assert raised.value.details == {"property": "statements[1].verb.id"}


@pytest.mark.parametrize("version", BOTH)
def test_a_batch_must_not_repeat_an_id(version):
    batch = [copy.deepcopy(BASE), copy.deepcopy(MINIMAL), changed(BASE, {("id",): STATEMENT_ID.upper()})]
    with pytest.raises(StatementInvalid) as raised:
        validate_statements(batch, version)
    assert raised.value.details == {"property": "statements[2].id"}
    assert "statements[0]" in raised.value.message


@pytest.mark.parametrize("version", BOTH)
def test_a_batch_must_be_an_array(version):
    with pytest.raises(StatementInvalid) as raised:
        validate_statements(copy.deepcopy(BASE), version)
    assert raised.value.details == {"property": "statements"}


# Property tests: whatever arrives, the validator answers StatementInvalid or nothing, and never mutates it.
XAPI_KEYS = sorted(
    {
        "id",
        "objectType",
        "actor",
        "verb",
        "object",
        "result",
        "context",
        "timestamp",
        "stored",
        "authority",
        "version",
        "attachments",
        "name",
        "mbox",
        "mbox_sha1sum",
        "openid",
        "account",
        "homePage",
        "member",
        "display",
        "definition",
        "description",
        "type",
        "moreInfo",
        "extensions",
        "interactionType",
        "correctResponsesPattern",
        "choices",
        "scale",
        "source",
        "target",
        "steps",
        "score",
        "scaled",
        "raw",
        "min",
        "max",
        "success",
        "completion",
        "response",
        "duration",
        "registration",
        "instructor",
        "team",
        "contextActivities",
        "parent",
        "grouping",
        "category",
        "other",
        "revision",
        "platform",
        "language",
        "statement",
        "contextAgents",
        "contextGroups",
        "agent",
        "group",
        "relevantTypes",
        "usageType",
        "contentType",
        "length",
        "sha2",
        "fileUrl",
    }
)
XAPI_STRINGS = [
    "Agent",
    "Group",
    "Activity",
    "StatementRef",
    "SubStatement",
    "contextAgent",
    "contextGroup",
    "choice",
    "likert",
    "mailto:a@example.org",
    "http://adlnet.gov/expapi/verbs/voided",
    "https://example.org/x",
    STATEMENT_ID,
    "en-US",
    "PT1H",
    "2024-01-01T00:00:00Z",
    "1.0.0",
    "2.0.0",
    "text/plain",
    SHA256,
]
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=20)
    | st.sampled_from(XAPI_STRINGS)
)
JSON_VALUES = st.recursive(
    SCALARS,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.sampled_from(XAPI_KEYS) | st.text(max_size=8), children, max_size=5)
    ),
    max_leaves=25,
)


def _paths(value, prefix=()):
    """Every path into a JSON document, the root excluded."""
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return
    for key, item in items:
        yield (*prefix, key)
        yield from _paths(item, (*prefix, key))


FULL = changed(
    BASE,
    {
        ("context", "contextAgents"): [CONTEXT_AGENT],
        ("context", "contextGroups"): [CONTEXT_GROUP],
        ("authority",): OAUTH_AUTHORITY,
        **interaction("matching", source=COMPONENTS, target=COMPONENTS),
    },
)
MUTABLE_PATHS = [*_paths(FULL), *(("object", *path) for path in _paths(SUB_STATEMENT))]


def _outcome(statement, version):
    before = copy.deepcopy(statement)
    try:
        validate_statement(statement, version)
    except StatementInvalid as error:
        assert error.details["property"].startswith("statement")
    # Wrapped in lists so that a NaN (never equal to itself) compares by identity, as deepcopy keeps floats.
    assert [statement] == [before]


FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(statement=JSON_VALUES, version=st.sampled_from(BOTH))
def test_random_json_only_ever_raises_statement_invalid(statement, version):
    _outcome(statement, version)


@FUZZ
@given(
    mutations=st.lists(
        st.tuples(st.sampled_from(MUTABLE_PATHS), JSON_VALUES | st.just(REMOVE)), min_size=1, max_size=3
    ),
    sub_statement=st.booleans(),
    version=st.sampled_from(BOTH),
)
def test_mutated_statements_only_ever_raise_statement_invalid(mutations, sub_statement, version):
    statement = copy.deepcopy(FULL)
    if sub_statement:
        statement["object"] = copy.deepcopy(SUB_STATEMENT)
    for path, value in mutations:
        *parents, last = path
        target = statement
        try:
            for step in parents:
                target = target[step]
            if value is REMOVE:
                del target[last]
            else:
                target[last] = value
        except (KeyError, IndexError, TypeError):
            continue  # an earlier mutation removed or replaced this path
    _outcome(statement, version)


@FUZZ
@given(version=st.sampled_from(BOTH), batch=st.lists(JSON_VALUES | st.just(MINIMAL), max_size=4))
def test_random_batches_only_ever_raise_statement_invalid(version, batch):
    try:
        validate_statements(batch, version)
    except StatementInvalid as error:
        assert error.details["property"].startswith("statements")
