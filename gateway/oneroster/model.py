"""The OneRoster 1.2 rostering entities as the provider serves them: each field and its kind.

The kinds say how a field is stored (the 1.2 REST JSON shape of the storage contract), how it is
serialised, and how a `filter`/`sort` may name it:

- `string`: a plain string (dates such as `beginDate` included: ISO 8601 text compares in order);
- `datetime`: `dateLastModified`, a BSON datetime, rendered as ISO 8601 UTC with milliseconds;
- `flag`: the 1.2 JSON "true"/"false" strings (`enabledUser`, `primary`, the demographics flags);
- `strings`: a list of strings (`grades`, `subjects`, ...), a filter matches any element;
- `ref` / `refs`: a GUIDRef / list of GUIDRefs to `target`, filtered as `<field>.sourcedId`;
- `roles`, `userIds`, `userProfiles`: the user's lists of objects, filtered by their dotted subfields;
- `metadata`: the extension object, filtered as `metadata.<key>` (Japan Profile keys contain a dot:
  `metadata.jp.kanaGivenName` names the key `jp.kanaGivenName`).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Field:
    kind: str
    target: str | None = None  # GUIDRef type, for ref/refs


# The yes/no race and ethnicity fields of a demographics record (OneRoster 1.1 and 1.2).
DEMOGRAPHIC_FLAGS = (
    "americanIndianOrAlaskaNative",
    "asian",
    "blackOrAfricanAmerican",
    "nativeHawaiianOrOtherPacificIslander",
    "white",
    "demographicRaceTwoOrMoreRaces",
    "hispanicOrLatinoEthnicity",
)

COMMON = {
    "sourcedId": Field("string"),
    "status": Field("string"),
    "dateLastModified": Field("datetime"),
    "metadata": Field("metadata"),
}

ENTITY_FIELDS: dict[str, dict[str, Field]] = {
    "orgs": {
        **COMMON,
        "name": Field("string"),
        "type": Field("string"),
        "identifier": Field("string"),
        "parent": Field("ref", "org"),
        "children": Field("refs", "org"),
    },
    "academicSessions": {
        **COMMON,
        "title": Field("string"),
        "startDate": Field("string"),
        "endDate": Field("string"),
        "type": Field("string"),
        "parent": Field("ref", "academicSession"),
        "children": Field("refs", "academicSession"),
        "schoolYear": Field("string"),
    },
    "courses": {
        **COMMON,
        "title": Field("string"),
        "schoolYear": Field("ref", "academicSession"),
        "courseCode": Field("string"),
        "grades": Field("strings"),
        "subjects": Field("strings"),
        "org": Field("ref", "org"),
        "subjectCodes": Field("strings"),
        "resources": Field("refs", "resource"),
    },
    "classes": {
        **COMMON,
        "title": Field("string"),
        "classCode": Field("string"),
        "classType": Field("string"),
        "location": Field("string"),
        "grades": Field("strings"),
        "subjects": Field("strings"),
        "course": Field("ref", "course"),
        "school": Field("ref", "org"),
        "terms": Field("refs", "academicSession"),
        "subjectCodes": Field("strings"),
        "periods": Field("strings"),
        "resources": Field("refs", "resource"),
    },
    "users": {
        **COMMON,
        "userMasterIdentifier": Field("string"),
        "username": Field("string"),
        "userIds": Field("userIds"),
        "enabledUser": Field("flag"),
        "givenName": Field("string"),
        "familyName": Field("string"),
        "middleName": Field("string"),
        "preferredFirstName": Field("string"),
        "preferredMiddleName": Field("string"),
        "preferredLastName": Field("string"),
        "pronouns": Field("string"),
        "roles": Field("roles"),
        "userProfiles": Field("userProfiles"),
        "primaryOrg": Field("ref", "org"),
        "identifier": Field("string"),
        "email": Field("string"),
        "sms": Field("string"),
        "phone": Field("string"),
        "agents": Field("refs", "user"),
        "grades": Field("strings"),
        "password": Field("string"),
        "resources": Field("refs", "resource"),
    },
    "enrollments": {
        **COMMON,
        "user": Field("ref", "user"),
        "class": Field("ref", "class"),
        "school": Field("ref", "org"),
        "role": Field("string"),
        "primary": Field("flag"),
        "beginDate": Field("string"),
        "endDate": Field("string"),
    },
    "demographics": {
        **COMMON,
        "birthDate": Field("string"),
        "sex": Field("string"),
        **{flag: Field("flag") for flag in DEMOGRAPHIC_FLAGS},
        "countryOfBirthCode": Field("string"),
        "stateOfBirthAbbreviation": Field("string"),
        "cityOfBirth": Field("string"),
        "publicSchoolResidenceStatus": Field("string"),
    },
}

# Subfields of the user's lists of objects a filter or sort may name (`roles.org.sourcedId`, ...).
NESTED_FIELDS = {
    "roles": {"roleType": "string", "role": "string", "org.sourcedId": "string", "org.type": "string",
              "userProfile": "string", "beginDate": "string", "endDate": "string"},
    "userIds": {"type": "string", "identifier": "string"},
    "userProfiles": {"profileId": "string", "profileType": "string", "vendorId": "string",
                     "applicationId": "string", "description": "string"},
}  # fmt: skip

# The GUIDRef `type` → the 1.2 rostering collection an href points at.
REF_PATHS = {
    "org": "orgs",
    "academicSession": "academicSessions",
    "course": "courses",
    "class": "classes",
    "user": "users",
}

# Fields the 1.1 JSON binding does not have (1.2 additions); 1.1 users carry `role` and `orgs`.
ONLY_IN_V1P2 = {
    "users": {
        "userMasterIdentifier",
        "preferredFirstName",
        "preferredMiddleName",
        "preferredLastName",
        "pronouns",
        "roles",
        "userProfiles",
        "primaryOrg",
        "resources",
    },
}
V1P1_USER_FIELDS = {"role": Field("string"), "orgs": Field("refs", "org")}
# How a 1.1 filter/sort name maps to the stored (1.2) field.
V1P1_FIELD_ALIASES = {"users": {"role": "roles.role", "orgs.sourcedId": "roles.org.sourcedId"}}


def fields_of(entity: str, version: str) -> dict[str, Field]:
    """The top-level fields an `entity` has in the JSON binding of OneRoster `version` ("1.1"/"1.2")."""
    fields = ENTITY_FIELDS[entity]
    if version == "1.2":
        return fields
    kept = {name: field for name, field in fields.items() if name not in ONLY_IN_V1P2.get(entity, ())}
    return {**kept, **V1P1_USER_FIELDS} if entity == "users" else kept
