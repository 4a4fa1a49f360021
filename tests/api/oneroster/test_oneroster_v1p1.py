"""The OneRoster 1.1 paths: the same roster in the 1.1 JSON binding (users with `role` and `orgs`),
1.1 field names in filters and selections, hrefs under /ims/oneroster/v1p1."""

from __future__ import annotations

import pytest

from tests.api.oneroster.conftest import PUBLIC, V11, V12


def ids(response) -> set[str]:
    (records,) = response.json.values()
    return {record["sourcedId"] for record in records}


def test_every_operation_is_served_under_v1p1(app, client, roster, roster_headers):
    v12 = sorted(rule.rule[len(V12) :] for rule in app.url_map.iter_rules() if rule.rule.startswith(V12))
    v11 = sorted(rule.rule[len(V11) :] for rule in app.url_map.iter_rules() if rule.rule.startswith(V11))
    assert v11 == v12 and len(v11) == 41
    for path in ("/orgs", "/schools/school-a/classes", "/classes/class-a1/students", "/terms/term-1/classes"):
        v1p1 = client.get(V11 + path, headers=roster_headers)
        assert v1p1.status_code == 200 and ids(v1p1) == ids(client.get(V12 + path, headers=roster_headers))


def test_users_have_the_1_1_shape(client, roster, roster_headers):
    user = client.get(f"{V11}/users/teacher-1", headers=roster_headers).json["user"]
    assert user["role"] == "teacher"
    assert user["orgs"] == [{"href": f"{PUBLIC}{V11}/orgs/school-a", "sourcedId": "school-a", "type": "org"}]
    assert not {"roles", "primaryOrg", "userProfiles", "preferredFirstName", "userMasterIdentifier"} & set(
        user
    )
    assert user["enabledUser"] == "true" and user["userIds"] == [
        {"type": "LTI", "identifier": "lti-teacher-1"}
    ]


def test_references_point_at_the_1_1_service(client, roster, roster_headers):
    klass = client.get(f"{V11}/classes/class-a2", headers=roster_headers).json["class"]
    assert klass["course"]["href"] == f"{PUBLIC}{V11}/courses/course-math"
    assert klass["terms"] == [{"href": f"{PUBLIC}{V11}/academicSessions/term-1", "sourcedId": "term-1",
                               "type": "academicSession"}]  # fmt: skip
    enrollment = client.get(f"{V11}/enrollments/enrollment-1", headers=roster_headers).json["enrollment"]
    assert enrollment["user"]["href"] == f"{PUBLIC}{V11}/users/student-1" and enrollment["primary"] == "false"


def test_1_2_only_roles_map_to_their_1_1_equivalents(app, client, roster, roster_headers):
    from gateway.oneroster.repository import collection

    role = {
        "roleType": "primary",
        "role": "districtAdministrator",
        "org": {"sourcedId": "board", "type": "org"},
    }
    other = {"roleType": "secondary", "role": "teacher", "org": {"sourcedId": "school-a", "type": "org"}}
    with app.app_context():
        collection("users").insert_one(
            {"_id": "admin-1", "sourcedId": "admin-1", "status": "active", "enabledUser": True,
             "givenName": "直樹", "familyName": "山本", "roles": [other, role]}
        )  # fmt: skip
    user = client.get(f"{V11}/users/admin-1", headers=roster_headers).json["user"]
    assert user["role"] == "administrator"  # the primary role, in 1.1's words
    assert [org["sourcedId"] for org in user["orgs"]] == ["school-a", "board"]
    assert user["enabledUser"] == "true"  # a stored boolean is written as the binding's string


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("role='teacher'", {"teacher-1", "teacher-2"}),
        ("orgs.sourcedId='school-b'", {"student-4", "teacher-2"}),
        ("role='student' AND orgs.sourcedId='school-b'", {"student-4"}),
    ],
)
def test_1_1_field_names_filter(client, roster, roster_headers, expression, expected):
    response = client.get(f"{V11}/users", query_string={"filter": expression}, headers=roster_headers)
    assert response.status_code == 200 and ids(response) == expected


@pytest.mark.parametrize(
    "query", ["filter=roles.role%3D%27student%27", "fields=roles", "sort=preferredFirstName"]
)
def test_1_2_only_fields_are_unknown_in_1_1(client, roster, roster_headers, query):
    response = client.get(f"{V11}/users?{query}", headers=roster_headers)
    assert response.status_code == 400
    assert "imsx_codeMajor" in response.json


def test_1_1_selection(client, roster, roster_headers):
    response = client.get(f"{V11}/users/student-4?fields=sourcedId,role,orgs", headers=roster_headers)
    assert response.json == {
        "user": {
            "sourcedId": "student-4",
            "role": "student",
            "orgs": [{"href": f"{PUBLIC}{V11}/orgs/school-b", "sourcedId": "school-b", "type": "org"}],
        }
    }
