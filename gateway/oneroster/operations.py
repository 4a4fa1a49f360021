"""Every OneRoster rostering read operation: its path, what it returns and which records it selects.

The table is the same for the 1.2 (`/ims/oneroster/rostering/v1p2`) and 1.1 (`/ims/oneroster/v1p1`)
services: the 41 GET operations of the 1.2 Rostering service, which are also 1.1's.

Selection rules where the specification leaves room:
- schools are orgs of type `school`; terms and grading periods are academic sessions of type `term`
  and `gradingPeriod`; students and teachers are users holding a `student`/`teacher` role in `roles`.
  Reading one of them by a sourcedId of another kind is 404 (unknownobject).
- `/classes/{id}/students|teachers` are the users of the class's enrollments with role `student`/
  `teacher`; `/users/{id}/classes` the classes of all the user's enrollments, `/students/{id}/classes`
  (`/teachers/{id}/classes`) those of its student (teacher) enrollments.
- `/schools/{id}/students|teachers` are the users with that role at that org;
  `/schools/{id}/terms` the academic sessions the school's classes name as their terms, whatever
  their type (Japan Profile rosters name their `schoolYear` session there).
- `/schools/{sid}/classes/{cid}/...` is 404 unless the class belongs to that school.
- Every parent named in a path must exist (404 unknownobject otherwise), even when it has no children.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from gateway.errors import NotFound
from gateway.oneroster import store

SCHOOL = {"type": "school"}
TERM = {"type": "term"}
GRADING_PERIOD = {"type": "gradingPeriod"}
STUDENT = {"roles.role": "student"}
TEACHER = {"roles.role": "teacher"}

# Operation access levels → the OneRoster scopes that grant them (gateway.policy.release).
CORE, ROSTER, DEMOGRAPHICS = "core", "roster", "demographics"


@dataclass(frozen=True)
class RosterOperation:
    operation_id: str
    path: str  # OneRoster path template, e.g. /schools/{schoolSourcedId}/classes
    entity: str  # the stored entity the operation returns
    key: str  # the response's top-level key: "orgs", "org", "users", ...
    single: bool
    access: str
    base: dict = field(default_factory=dict)  # what every returned record must match
    # The extra query of a nested collection, from the path parameters; it checks parents exist.
    nested: Callable[[dict], dict] | None = None

    @property
    def flask_rule(self) -> str:
        return self.path.replace("{", "<").replace("}", ">")


def unknown(kind: str, sourced_id: str) -> NotFound:
    return NotFound(
        f"no {kind} with sourcedId {sourced_id!r}", code="unknownobject", details={"sourcedId": sourced_id}
    )


def _require(entity: str, sourced_id: str, kind: str, query: dict | None = None) -> None:
    if not store.exists(entity, sourced_id, query):
        raise unknown(kind, sourced_id)


def _school(params: dict, name: str = "schoolSourcedId") -> str:
    _require("orgs", params[name], "school", SCHOOL)
    return params[name]


def _class_in_school(params: dict) -> tuple[str, str]:
    school = _school(params)
    klass = params["classSourcedId"]
    _require("classes", klass, f"class in school {school}", {"school.sourcedId": school})
    return school, klass


def _users_enrolled(enrollment_query: dict) -> dict:
    return {"_id": {"$in": store.referenced_ids("enrollments", enrollment_query, "user")}}


def _classes_enrolled(enrollment_query: dict) -> dict:
    return {"_id": {"$in": store.referenced_ids("enrollments", enrollment_query, "class")}}


def _class_members(role: str) -> Callable[[dict], dict]:
    def members(params: dict) -> dict:
        klass = params["classSourcedId"]
        _require("classes", klass, "class")
        return _users_enrolled({"class.sourcedId": klass, "role": role})

    return members


def _class_in_school_members(role: str) -> Callable[[dict], dict]:
    def members(params: dict) -> dict:
        school, klass = _class_in_school(params)
        return _users_enrolled({"class.sourcedId": klass, "school.sourcedId": school, "role": role})

    return members


def _school_members(role: str) -> Callable[[dict], dict]:
    def members(params: dict) -> dict:
        school = _school(params)
        return {"roles": {"$elemMatch": {"role": role, "org.sourcedId": school}}}

    return members


def _classes_of(param: str, kind: str, user_query: dict, role: str | None) -> Callable[[dict], dict]:
    def classes(params: dict) -> dict:
        user = params[param]
        _require("users", user, kind, user_query)
        enrollments = {"user.sourcedId": user, **({"role": role} if role else {})}
        return _classes_enrolled(enrollments)

    return classes


def _classes_for_course(params: dict) -> dict:
    _require("courses", params["courseSourcedId"], "course")
    return {"course.sourcedId": params["courseSourcedId"]}


def _classes_for_term(params: dict) -> dict:
    _require("academicSessions", params["termSourcedId"], "term", TERM)
    return {"terms.sourcedId": params["termSourcedId"]}


def _grading_periods_for_term(params: dict) -> dict:
    _require("academicSessions", params["termSourcedId"], "term", TERM)
    return {"parent.sourcedId": params["termSourcedId"]}


def _terms_for_school(params: dict) -> dict:
    school = _school(params)
    return {"_id": {"$in": store.referenced_ids("classes", {"school.sourcedId": school}, "terms")}}


def _in_school(path: str) -> Callable[[dict], dict]:
    def query(params: dict) -> dict:
        return {path: _school(params)}

    return query


def _enrollments_for_class_in_school(params: dict) -> dict:
    school, klass = _class_in_school(params)
    return {"class.sourcedId": klass, "school.sourcedId": school}


def _collection(operation_id, path, entity, key, base=None, nested=None, access=CORE) -> RosterOperation:
    return RosterOperation(operation_id, path, entity, key, False, access, base or {}, nested)


def _single(operation_id, path, entity, key, base=None, access=CORE) -> RosterOperation:
    return RosterOperation(operation_id, path, entity, key, True, access, base or {})


OPERATIONS: tuple[RosterOperation, ...] = (
    _collection("getAllAcademicSessions", "/academicSessions", "academicSessions", "academicSessions"),
    _single("getAcademicSession", "/academicSessions/{sourcedId}", "academicSessions", "academicSession"),
    _collection("getAllClasses", "/classes", "classes", "classes"),
    _single("getClass", "/classes/{sourcedId}", "classes", "class"),
    _collection("getStudentsForClass", "/classes/{classSourcedId}/students", "users", "users",
                nested=_class_members("student"), access=ROSTER),
    _collection("getTeachersForClass", "/classes/{classSourcedId}/teachers", "users", "users",
                nested=_class_members("teacher"), access=ROSTER),
    _collection("getAllCourses", "/courses", "courses", "courses"),
    _single("getCourse", "/courses/{sourcedId}", "courses", "course"),
    _collection("getClassesForCourse", "/courses/{courseSourcedId}/classes", "classes", "classes",
                nested=_classes_for_course, access=ROSTER),
    _collection("getAllDemographics", "/demographics", "demographics", "demographics", access=DEMOGRAPHICS),
    _single("getDemographics", "/demographics/{sourcedId}", "demographics", "demographics", access=DEMOGRAPHICS),
    _collection("getAllEnrollments", "/enrollments", "enrollments", "enrollments"),
    _single("getEnrollment", "/enrollments/{sourcedId}", "enrollments", "enrollment"),
    _collection("getAllGradingPeriods", "/gradingPeriods", "academicSessions", "academicSessions", GRADING_PERIOD),
    _single("getGradingPeriod", "/gradingPeriods/{sourcedId}", "academicSessions", "academicSession",
            GRADING_PERIOD),
    _collection("getAllOrgs", "/orgs", "orgs", "orgs"),
    _single("getOrg", "/orgs/{sourcedId}", "orgs", "org"),
    _collection("getAllSchools", "/schools", "orgs", "orgs", SCHOOL),
    _single("getSchool", "/schools/{sourcedId}", "orgs", "org", SCHOOL),
    _collection("getClassesForSchool", "/schools/{schoolSourcedId}/classes", "classes", "classes",
                nested=_in_school("school.sourcedId"), access=ROSTER),
    _collection("getEnrollmentsForClassInSchool",
                "/schools/{schoolSourcedId}/classes/{classSourcedId}/enrollments", "enrollments", "enrollments",
                nested=_enrollments_for_class_in_school, access=ROSTER),
    _collection("getStudentsForClassInSchool", "/schools/{schoolSourcedId}/classes/{classSourcedId}/students",
                "users", "users", nested=_class_in_school_members("student"), access=ROSTER),
    _collection("getTeachersForClassInSchool", "/schools/{schoolSourcedId}/classes/{classSourcedId}/teachers",
                "users", "users", nested=_class_in_school_members("teacher"), access=ROSTER),
    _collection("getCoursesForSchool", "/schools/{schoolSourcedId}/courses", "courses", "courses",
                nested=_in_school("org.sourcedId"), access=ROSTER),
    _collection("getEnrollmentsForSchool", "/schools/{schoolSourcedId}/enrollments", "enrollments", "enrollments",
                nested=_in_school("school.sourcedId"), access=ROSTER),
    _collection("getStudentsForSchool", "/schools/{schoolSourcedId}/students", "users", "users",
                nested=_school_members("student"), access=ROSTER),
    _collection("getTeachersForSchool", "/schools/{schoolSourcedId}/teachers", "users", "users",
                nested=_school_members("teacher"), access=ROSTER),
    _collection("getTermsForSchool", "/schools/{schoolSourcedId}/terms", "academicSessions", "academicSessions",
                nested=_terms_for_school, access=ROSTER),
    _collection("getAllStudents", "/students", "users", "users", STUDENT),
    _single("getStudent", "/students/{sourcedId}", "users", "user", STUDENT),
    _collection("getClassesForStudent", "/students/{studentSourcedId}/classes", "classes", "classes",
                nested=_classes_of("studentSourcedId", "student", STUDENT, "student"), access=ROSTER),
    _collection("getAllTeachers", "/teachers", "users", "users", TEACHER),
    _single("getTeacher", "/teachers/{sourcedId}", "users", "user", TEACHER),
    _collection("getClassesForTeacher", "/teachers/{teacherSourcedId}/classes", "classes", "classes",
                nested=_classes_of("teacherSourcedId", "teacher", TEACHER, "teacher"), access=ROSTER),
    _collection("getAllTerms", "/terms", "academicSessions", "academicSessions", TERM),
    _single("getTerm", "/terms/{sourcedId}", "academicSessions", "academicSession", TERM),
    _collection("getClassesForTerm", "/terms/{termSourcedId}/classes", "classes", "classes",
                nested=_classes_for_term, access=ROSTER),
    _collection("getGradingPeriodsForTerm", "/terms/{termSourcedId}/gradingPeriods", "academicSessions",
                "academicSessions", GRADING_PERIOD, nested=_grading_periods_for_term, access=ROSTER),
    _collection("getAllUsers", "/users", "users", "users"),
    _single("getUser", "/users/{sourcedId}", "users", "user"),
    _collection("getClassesForUser", "/users/{userSourcedId}/classes", "classes", "classes",
                nested=_classes_of("userSourcedId", "user", {}, None), access=ROSTER),
)  # fmt: skip

# What a single-record operation calls the kind of record it did not find.
SINGLE_KINDS = {
    "getSchool": "school",
    "getTerm": "term",
    "getGradingPeriod": "grading period",
    "getStudent": "student",
    "getTeacher": "teacher",
}
