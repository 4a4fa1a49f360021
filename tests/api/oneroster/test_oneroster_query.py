"""limit/offset paging with X-Total-Count and Link, sort/orderBy, the filter grammar, fields selection."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.api.oneroster.conftest import PUBLIC, V12


def ids(response) -> list[str]:
    (records,) = response.json.values()
    return [record["sourcedId"] for record in records]


def minor(response) -> str:
    return response.json["imsx_CodeMinor"]["imsx_codeMinorField"][0]["imsx_codeMinorFieldValue"]


def links(response) -> dict[str, dict]:
    found = {}
    for target, relation in re.findall(r'<([^>]+)>; rel="(\w+)"', response.headers["Link"]):
        if relation == "decision":  # the release policy's audit entry, not a page
            continue
        split = urlsplit(target)
        found[relation] = {"path": split.path, **{k: v[0] for k, v in parse_qs(split.query).items()}}
        assert target.startswith(PUBLIC)
    return found


def test_default_paging_returns_everything_sorted_by_sourced_id(client, roster, roster_headers):
    response = client.get(f"{V12}/users", headers=roster_headers)
    assert response.headers["X-Total-Count"] == "7"
    assert ids(response) == sorted(user["_id"] for user in roster["users"])
    assert set(links(response)) == {"first", "last"}


def test_limit_and_offset_page_through_with_links(client, roster, roster_headers):
    every = ids(client.get(f"{V12}/users", headers=roster_headers))
    seen = []
    url = f"{V12}/users?limit=3&filter=status%3D%27active%27"
    pages = 0
    while url:
        response = client.get(url, headers=roster_headers)
        assert response.headers["X-Total-Count"] == "7"
        seen += ids(response)
        found = links(response)
        assert found["first"]["offset"] == "0" and found["last"]["offset"] == "6"
        assert found["first"]["filter"] == "status='active'"  # other parameters are kept
        pages += 1
        if pages > 1:
            assert "prev" in found
        url = (
            f"{found['next']['path']}?limit={found['next']['limit']}&offset={found['next']['offset']}"
            f"&filter=status%3D%27active%27"
            if "next" in found
            else None
        )
    assert seen == every and pages == 3


def test_prev_from_the_middle_and_offset_past_the_end(client, roster, roster_headers):
    response = client.get(f"{V12}/users?limit=2&offset=3", headers=roster_headers)
    found = links(response)
    assert (found["prev"]["offset"], found["next"]["offset"], found["last"]["offset"]) == ("1", "5", "6")
    beyond = client.get(f"{V12}/users?limit=2&offset=50", headers=roster_headers)
    assert beyond.status_code == 200 and ids(beyond) == [] and beyond.headers["X-Total-Count"] == "7"
    assert links(beyond)["prev"]["offset"] == "6"


def test_limit_above_the_maximum_is_served_as_the_maximum(client, roster, roster_headers):
    response = client.get(f"{V12}/users?limit=100000", headers=roster_headers)
    assert response.status_code == 200 and len(ids(response)) == 7
    assert links(response)["first"]["limit"] == "1000"


@pytest.mark.parametrize(
    "query",
    [
        "limit=0",
        "limit=-1",
        "limit=ten",
        "offset=-1",
        "offset=99999999999999999999",
        "limit=2147483648",
        "orderBy=up",
        "page=2",
        "sort=shoeSize",
    ],
)
def test_bad_paging_and_sorting_parameters_are_400(client, roster, roster_headers, query):
    response = client.get(f"{V12}/users?{query}", headers=roster_headers)
    assert response.status_code == 400
    assert minor(response) == "invaliddata"
    assert query.split("=")[0] in response.json["imsx_description"]


def test_sort_and_order_by(client, roster, roster_headers):
    ascending = ids(client.get(f"{V12}/classes?sort=title", headers=roster_headers))
    titles = {klass["_id"]: klass["title"] for klass in roster["classes"]}
    assert ascending == sorted(titles, key=lambda sourced_id: titles[sourced_id])
    descending = ids(client.get(f"{V12}/classes?sort=title&orderBy=desc", headers=roster_headers))
    assert descending == ascending[::-1]
    by_date = ids(client.get(f"{V12}/users?sort=dateLastModified&orderBy=desc", headers=roster_headers))
    assert by_date[0] == "guardian-1" and by_date[-1] == "student-1"
    by_school = ids(client.get(f"{V12}/classes?sort=school.sourcedId&orderBy=desc", headers=roster_headers))
    assert by_school[0] == "class-b1"


# (entity, filter, the sourcedIds it selects)
FILTER_CASES = [
        ("users", "givenName='蓮'", {"student-1"}),
        ("users", "familyName!='佐藤'", {"student-2", "student-3", "student-4", "teacher-1", "teacher-2"}),
        ("users", "identifier>'2026102'", {"student-3", "student-4", "teacher-1"}),
        ("users", "identifier>='2026102'", {"student-2", "student-3", "student-4", "teacher-1"}),
        ("users", "identifier<'2026102'", {"student-1"}),
        ("users", "identifier<='2026102'", {"student-1", "student-2"}),
        ("users", "email~'WAKABADAI'", {"teacher-1"}),  # contains, case-insensitive
        ("users", "givenName~\"O'Brien\"", {"student-4"}),
        ("users", "givenName='O''Brien'", {"student-4"}),
        ("users", "dateLastModified>'2026-04-01T09:04:00Z'", {"teacher-2", "guardian-1"}),
        ("users", "dateLastModified>='2026-04-01T18:04:00+09:00'", {"teacher-1", "teacher-2", "guardian-1"}),
        ("users", "dateLastModified<'2026-04-01T09:01:00.000Z'", {"student-1"}),
        ("users", "dateLastModified<='2026-04-01'", set()),
        ("users", "enabledUser='false'", {"teacher-2"}),
        ("users", "roles.role='teacher' AND familyName='田中'", {"teacher-1"}),
        ("users", "roles.role='teacher' OR roles.role='guardian'", {"teacher-1", "teacher-2", "guardian-1"}),
        ("users", "roles.org.sourcedId='school-b'", {"student-4", "teacher-2"}),
        ("users", "primaryOrg.sourcedId='school-b' AND roles.role='student' OR givenName='美咲'",
         {"student-4", "guardian-1"}),
        ("users", "userIds.identifier='lti-teacher-1'", {"teacher-1"}),
        ("users", "agents.sourcedId='student-1'", {"guardian-1"}),
        ("users", "metadata.jp.kanaFamilyName='サトウ'", {"student-1"}),
        ("users", "metadata.jp.kanaGivenName~'ひ' OR metadata.jp.kanaGivenName~'ヒ'", {"student-2"}),
        ("users", "grades='H1'", {"student-1", "student-2", "student-3", "student-4"}),
        ("users", "sourcedId='student-3'", {"student-3"}),
        ("orgs", "parent.sourcedId='board'", {"school-a"}),
        ("orgs", "type='school' AND identifier~'d122'", {"school-a", "school-b"}),
        ("classes", "terms.sourcedId='term-1'", {"class-a2"}),
        ("classes", "course.sourcedId = 'course-math' AND classType = 'homeroom'", {"class-a1"}),
        ("enrollments", "class.sourcedId='class-a2' AND role='student'", {"enrollment-4", "enrollment-5"}),
        ("enrollments", "primary='true' AND school.sourcedId='school-b'", {"enrollment-9"}),
        ("academicSessions", "type='term' AND startDate>='2026-10-01'", {"term-2"}),
        ("demographics", "sex='female'", {"student-2"}),
]  # fmt: skip


def test_filter_operators(client, roster, roster_headers):
    # One roster for all the cases (a test's set-up costs more than its requests); every failing
    # case is reported.
    failures = []
    for entity, expression, expected in FILTER_CASES:
        response = client.get(f"{V12}/{entity}", query_string={"filter": expression}, headers=roster_headers)
        if response.status_code != 200:
            failures.append((entity, expression, response.status_code, response.json))
        elif set(ids(response)) != expected or response.headers["X-Total-Count"] != str(len(expected)):
            failures.append((entity, expression, sorted(ids(response)), "expected", sorted(expected)))
    assert not failures


# (filter, what the error says)
MALFORMED_FILTERS = [
    ("", "empty"),
    ("givenName", "operator"),
    ("givenName=", "quoted value"),
    ("givenName=蓮", "quoted value"),
    ("givenName='蓮", "unterminated"),
    ("givenName=='蓮'", "quoted value"),
    ("givenName='蓮' and familyName='佐藤'", "AND"),
    ("givenName='蓮' AND", "followed by a predicate"),
    ("givenName='蓮' AND OR familyName='佐藤'", "field name"),
    ("(givenName='蓮')", "field name"),
    ("givenName='蓮' familyName='佐藤'", "AND"),
    ("givenName<>'蓮'", "quoted value"),
    ("roles.='x'", "malformed field"),
    ("dateLastModified>'yesterday'", "ISO 8601"),
    ("dateLastModified~'2026'", "date-time"),
]


def test_malformed_filters_are_400_invalid_filter_field(client, roster, roster_headers):
    failures = []
    for expression, why in MALFORMED_FILTERS:
        response = client.get(f"{V12}/users", query_string={"filter": expression}, headers=roster_headers)
        if not (
            response.status_code == 400
            and minor(response) == "invalid_filter_field"
            and why in response.json["imsx_description"]
        ):
            failures.append((expression, response.status_code, response.json))
    assert not failures


UNKNOWN_FILTER_FIELDS = ["shoeSize='42'", "roles='student'", "primaryOrg='school-a'", "roles.colour='red'",
                         "org.sourcedId='x'", "primaryOrg.href='x'", "role='student'"]  # fmt: skip


def test_unknown_filter_fields_are_400(client, roster, roster_headers):
    for expression in UNKNOWN_FILTER_FIELDS:
        response = client.get(f"{V12}/users", query_string={"filter": expression}, headers=roster_headers)
        assert response.status_code == 400 and minor(response) == "invalid_filter_field", expression
        assert expression.split("=")[0] in response.json["imsx_description"]


def test_fields_selection(client, roster, roster_headers):
    response = client.get(f"{V12}/users?fields=sourcedId,familyName,roles&limit=1", headers=roster_headers)
    (user,) = response.json["users"]
    assert list(user) == ["sourcedId", "familyName", "roles"]
    single = client.get(f"{V12}/orgs/school-a?fields=name,identifier", headers=roster_headers)
    assert single.json == {"org": {"name": "若葉台高等学校", "identifier": "D122299000010"}}


@pytest.mark.parametrize("selection", ["sourcedId,shoeSize", "roles.role", "role"])
def test_unknown_selection_fields_are_400(client, roster, roster_headers, selection):
    for url in (f"{V12}/users?fields={selection}", f"{V12}/users/student-1?fields={selection}"):
        response = client.get(url, headers=roster_headers)
        assert response.status_code == 400 and minor(response) == "invalid_selection_field"


def test_passwords_never_leave_the_gateway(client, roster, roster_headers):
    user = client.get(f"{V12}/users/student-3", headers=roster_headers).json["user"]
    assert "password" not in user and user["email"] == "minato@example.jp"
    selected = client.get(f"{V12}/users/student-3?fields=sourcedId,password", headers=roster_headers)
    assert selected.json == {"user": {"sourcedId": "student-3"}}
    profiles = client.get(f"{V12}/users/student-1", headers=roster_headers).json["user"]["userProfiles"]
    assert profiles == [
        {
            "profileId": "https://app.example/p/1",
            "profileType": "learner",
            "vendorId": "aoba",
            "credentials": [{"type": "password", "username": "ren"}],
        }
    ]


def test_bookkeeping_fields_are_never_serialised(client, roster, roster_headers):
    response = client.get(f"{V12}/orgs/school-a", headers=roster_headers)
    org = response.json["org"]
    assert not any(key.startswith("_") for key in org)
    assert org["dateLastModified"] == "2026-04-01T09:01:00.000Z"
    assert org["parent"] == {
        "href": f"{PUBLIC}{V12}/orgs/board",
        "sourcedId": "board",
        "type": "org",
    }
    assert org["metadata"] == {"jp.kanaName": "ワカバダイ"}


def test_every_read_ands_the_repositorys_live_filter(client, roster, roster_headers, monkeypatch):
    from gateway.oneroster import repository

    monkeypatch.setattr(repository, "live_filter", lambda: {"_batch": "batch-2"})
    assert ids(client.get(f"{V12}/users", headers=roster_headers)) == []
    assert client.get(f"{V12}/users/student-1", headers=roster_headers).status_code == 404
    assert client.get(f"{V12}/schools/school-a/classes", headers=roster_headers).status_code == 404
    monkeypatch.setattr(repository, "live_filter", lambda: {"_batch": "batch-1"})
    response = client.get(f"{V12}/users?filter=roles.role%3D%27teacher%27", headers=roster_headers)
    assert response.headers["X-Total-Count"] == "2"
    assert ids(client.get(f"{V12}/classes/class-a1/students", headers=roster_headers)) == [
        "student-1",
        "student-2",
        "student-3",
    ]
