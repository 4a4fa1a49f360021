"""The typed collections (schools, terms, students, ...) and the nested paths: which records each
returns, 404 unknownobject for an unknown (or wrongly typed) record in the path."""

from __future__ import annotations

from tests.api.oneroster.conftest import V12


def ids(response) -> set[str]:
    (records,) = response.json.values()
    return {record["sourcedId"] for record in records}


# (path, the sourcedIds it returns)
COLLECTIONS = [
    ("/schools", {"school-a", "school-b"}),
    ("/terms", {"term-1", "term-2"}),
    ("/gradingPeriods", {"period-1"}),
    ("/students", {"student-1", "student-2", "student-3", "student-4"}),
    ("/teachers", {"teacher-1", "teacher-2"}),
    ("/schools/school-a/classes", {"class-a1", "class-a2"}),
    ("/schools/school-a/students", {"student-1", "student-2", "student-3"}),
    ("/schools/school-b/teachers", {"teacher-2"}),
    ("/schools/school-a/enrollments", {f"enrollment-{n}" for n in range(1, 8)}),
    ("/schools/school-a/courses", {"course-math"}),
    ("/schools/school-a/terms", {"year-2026", "term-1"}),
    ("/schools/school-a/classes/class-a2/enrollments", {"enrollment-4", "enrollment-5", "enrollment-7"}),
    ("/schools/school-a/classes/class-a2/students", {"student-1", "student-2"}),
    ("/schools/school-a/classes/class-a2/teachers", {"teacher-1"}),
    ("/classes/class-a1/students", {"student-1", "student-2", "student-3"}),
    ("/classes/class-a1/teachers", {"teacher-1"}),
    ("/courses/course-math/classes", {"class-a1", "class-a2"}),
    ("/terms/term-1/classes", {"class-a2"}),
    ("/terms/term-1/gradingPeriods", {"period-1"}),
    ("/terms/term-2/gradingPeriods", set()),
    ("/users/student-1/classes", {"class-a1", "class-a2"}),
    ("/users/teacher-2/classes", {"class-b1"}),
    ("/students/student-3/classes", {"class-a1"}),
    ("/teachers/teacher-1/classes", {"class-a1", "class-a2"}),
]


def test_collections_return_their_records(client, roster, roster_headers):
    # One roster for all the paths (a test's set-up costs more than its requests).
    failures = []
    for path, expected in COLLECTIONS:
        response = client.get(V12 + path, headers=roster_headers)
        if response.status_code != 200:
            failures.append((path, response.status_code, response.json))
        elif ids(response) != expected or response.headers["X-Total-Count"] != str(len(expected)):
            failures.append((path, sorted(ids(response)), "expected", sorted(expected)))
    assert not failures


SINGLES = [
    ("/schools/school-b", "org", "school-b"),
    ("/terms/term-2", "academicSession", "term-2"),
    ("/gradingPeriods/period-1", "academicSession", "period-1"),
    ("/students/student-4", "user", "student-4"),
    ("/teachers/teacher-2", "user", "teacher-2"),
    ("/demographics/student-2", "demographics", "student-2"),
    ("/enrollments/enrollment-9", "enrollment", "enrollment-9"),
]


def test_single_records(client, roster, roster_headers):
    for path, key, sourced_id in SINGLES:
        response = client.get(V12 + path, headers=roster_headers)
        assert response.status_code == 200 and response.json[key]["sourcedId"] == sourced_id, path


# (path, the sourcedId the 404 names)
UNKNOWN = [
    ("/users/nobody", "nobody"),
    ("/schools/board", "board"),  # an org, not a school
    ("/terms/year-2026", "year-2026"),  # a school year, not a term
    ("/gradingPeriods/term-1", "term-1"),
    ("/students/teacher-1", "teacher-1"),
    ("/teachers/student-1", "student-1"),
    ("/schools/nowhere/classes", "nowhere"),
    ("/schools/board/students", "board"),
    ("/classes/nothing/students", "nothing"),
    ("/courses/nothing/classes", "nothing"),
    ("/terms/year-2026/classes", "year-2026"),
    ("/terms/nothing/gradingPeriods", "nothing"),
    ("/students/teacher-1/classes", "teacher-1"),
    ("/teachers/student-2/classes", "student-2"),
    ("/users/nobody/classes", "nobody"),
    ("/schools/school-b/classes/class-a1/students", "class-a1"),  # a class of another school
    ("/schools/school-a/classes/nothing/enrollments", "nothing"),
    ("/schools/nowhere/classes/class-a1/teachers", "nowhere"),
]


def test_unknown_records_in_the_path_are_404_unknownobject(client, roster, roster_headers):
    failures = []
    for path, unknown in UNKNOWN:
        response = client.get(V12 + path, headers=roster_headers)
        field = (response.json.get("imsx_CodeMinor") or {}).get("imsx_codeMinorField", [{}])[0]
        if not (
            response.status_code == 404
            and field.get("imsx_codeMinorFieldValue") == "unknownobject"
            and repr(unknown) in response.json["imsx_description"]
        ):
            failures.append((path, response.status_code, response.json))
    assert not failures


def test_nested_collections_filter_sort_and_page(client, roster, roster_headers):
    url = f"{V12}/schools/school-a/students"
    page = client.get(f"{url}?limit=2&sort=identifier&orderBy=desc", headers=roster_headers)
    assert [user["sourcedId"] for user in page.json["users"]] == ["student-3", "student-2"]
    assert page.headers["X-Total-Count"] == "3"
    assert 'rel="next"' in page.headers["Link"] and f"{url}?limit=2&offset=2" in page.headers["Link"].replace(
        "sort=identifier&orderBy=desc&", ""
    )
    filtered = client.get(url, query_string={"filter": "givenName='蓮'"}, headers=roster_headers)
    assert ids(filtered) == {"student-1"}


def test_bad_parameters_are_400_before_an_unknown_parent_is_404(client, roster, roster_headers):
    response = client.get(f"{V12}/schools/nowhere/classes?filter=bogus", headers=roster_headers)
    assert response.status_code == 400


def test_deleted_records_are_gone_from_every_path(app, client, roster, roster_headers):
    from gateway.oneroster.repository import collection

    with app.app_context():
        collection("enrollments").delete_one({"_id": "enrollment-3"})
    assert ids(client.get(f"{V12}/classes/class-a1/students", headers=roster_headers)) == {
        "student-1",
        "student-2",
    }
    assert ids(client.get(f"{V12}/users/student-3/classes", headers=roster_headers)) == set()
