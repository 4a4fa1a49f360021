"""The OneRoster CSV file sets the importer reads: files, columns and enumerations of 1.1, 1.2 and the
Japan Profile (from the CSV bindings; the lists are in ../shared/reference/oneroster_csv_headers.json)."""

from __future__ import annotations


def _names(line: str) -> tuple[str, ...]:
    return tuple(line.split(","))


MANIFEST_VERSION = "1.0"
ONEROSTER_VERSIONS = ("1.1", "1.2")
FILE_MODES = ("absent", "bulk", "delta")

# The rostering files this importer loads, in the order they are read: a file's references point only
# to files read before it, except self-references (org parents, session parents, user agents) and
# the user references of roles and userProfiles, which are checked once users.csv has been read.
ROSTER_FILES = (
    "orgs",
    "academicSessions",
    "courses",
    "classes",
    "userProfiles",
    "roles",
    "users",
    "demographics",
    "enrollments",
)
# Files a manifest may declare that are not rosters (gradebook, resources): accepted only as "absent".
OTHER_FILES = _names(
    "categories,classResources,courseResources,lineItemLearningObjectiveIds,lineItemScoreScales,"
    "lineItems,resources,resultLearningObjectiveIds,resultScoreScales,results,scoreScales,userResources"
)
FILES_BY_VERSION = {
    "1.1": ("orgs", "academicSessions", "courses", "classes", "users", "enrollments", "demographics"),
    "1.2": ROSTER_FILES,
}

COMMON = _names("sourcedId,status,dateLastModified")

# Every column of each file (besides metadata.* columns, which any file may carry).
COLUMNS = {
    "1.1": {
        "orgs": COMMON + _names("name,type,identifier,parentSourcedId"),
        "academicSessions": COMMON + _names("title,type,startDate,endDate,parentSourcedId,schoolYear"),
        "courses": COMMON
        + _names("schoolYearSourcedId,title,courseCode,grades,orgSourcedId,subjects,subjectCodes"),
        "classes": COMMON
        + _names(
            "title,grades,courseSourcedId,classCode,classType,location,schoolSourcedId,termSourcedIds,"
            "subjects,subjectCodes,periods"
        ),
        "users": COMMON
        + _names(
            "enabledUser,orgSourcedIds,role,username,userIds,givenName,familyName,middleName,identifier,"
            "email,sms,phone,agentSourcedIds,grades,password"
        ),
        "enrollments": COMMON
        + _names("classSourcedId,schoolSourcedId,userSourcedId,role,primary,beginDate,endDate"),
        "demographics": COMMON
        + _names(
            "birthDate,sex,americanIndianOrAlaskaNative,asian,blackOrAfricanAmerican,"
            "nativeHawaiianOrOtherPacificIslander,white,demographicRaceTwoOrMoreRaces,"
            "hispanicOrLatinoEthnicity,countryOfBirthCode,stateOfBirthAbbreviation,cityOfBirth,"
            "publicSchoolResidenceStatus"
        ),
    },
}
COLUMNS["1.2"] = {
    **COLUMNS["1.1"],
    "users": COMMON
    + _names(
        "enabledUser,username,userIds,givenName,familyName,middleName,identifier,email,sms,phone,"
        "agentSourcedIds,grades,password,userMasterIdentifier,resourceSourcedIds,preferredGivenName,"
        "preferredMiddleName,preferredFamilyName,primaryOrgSourcedId,pronouns"
    ),
    "roles": COMMON
    + _names("userSourcedId,roleType,role,beginDate,endDate,orgSourcedId,userProfileSourcedId"),
    "userProfiles": COMMON
    + _names("userSourcedId,profileType,vendorId,applicationId,description,credentialType,username,password"),
}

# Columns whose header must be there and whose value every row must give.
REQUIRED = {
    "1.1": {
        "orgs": _names("sourcedId,name,type"),
        "academicSessions": _names("sourcedId,title,type,startDate,endDate,schoolYear"),
        "courses": _names("sourcedId,title,orgSourcedId"),
        "classes": _names("sourcedId,title,courseSourcedId,classType,schoolSourcedId,termSourcedIds"),
        "users": _names("sourcedId,enabledUser,orgSourcedIds,role,username,givenName,familyName"),
        "enrollments": _names("sourcedId,classSourcedId,schoolSourcedId,userSourcedId,role"),
        "demographics": _names("sourcedId"),
    },
}
REQUIRED["1.2"] = {
    **REQUIRED["1.1"],
    "users": _names("sourcedId,enabledUser,givenName,familyName"),
    "roles": _names("sourcedId,userSourcedId,roleType,role,orgSourcedId"),
    "userProfiles": _names("sourcedId,userSourcedId,profileType,vendorId"),
}

# Japan Profile columns (metadata.jp.*), by file; other metadata.* columns are kept as they come.
JAPAN_PROFILE_COLUMNS = {
    "users": _names(
        "metadata.jp.kanaGivenName,metadata.jp.kanaFamilyName,metadata.jp.kanaMiddleName,metadata.jp.homeClass,"
        "metadata.jp.kanaPreferredGivenName,metadata.jp.kanaPreferredFamilyName,metadata.jp.kanaPreferredMiddleName"
    ),
    "classes": _names("metadata.jp.specialNeeds"),
    "enrollments": _names("metadata.jp.shussekiNo,metadata.jp.publicFlg"),
}
# 国内暫定版 第2版 spells two enrollment columns with a capital; stored under the profile's names.
METADATA_ALIASES = {"jp.ShussekiNo": "jp.shussekiNo", "jp.PublicFlg": "jp.publicFlg"}
KANA_METADATA = (
    "jp.kanaGivenName",
    "jp.kanaFamilyName",
    "jp.kanaMiddleName",
    "jp.kanaPreferredGivenName",
    "jp.kanaPreferredFamilyName",
    "jp.kanaPreferredMiddleName",
)

ORG_TYPES = ("department", "school", "district", "local", "state", "national")
SESSION_TYPES = ("gradingPeriod", "semester", "schoolYear", "term")
CLASS_TYPES = ("homeroom", "scheduled")
ROLE_TYPES = ("primary", "secondary")
ROLES_1_2 = [
    "aide",
    "counselor",
    "districtAdministrator",
    "guardian",
    "parent",
    "principal",
    "proctor",
    "relative",
    "siteAdministrator",
    "student",
    "systemAdministrator",
    "teacher",
]
ROLES_1_1 = ("administrator", "aide", "guardian", "parent", "relative", "student", "teacher")
ENROLLMENT_ROLES = {
    "1.1": ("administrator", "aide", "guardian", "parent", "relative", "student", "teacher"),
    "1.2": ("administrator", "proctor", "student", "teacher"),
}
# 1.1 values that 1.2 has no word for: user roles map to the 1.2 word, enrollment roles become
# extension values (the 1.2 enumerations allow "ext:...").
ROLE_1_1_TO_1_2 = {"administrator": "siteAdministrator"}
ENROLLMENT_ROLE_1_1_TO_1_2 = {role: f"ext:{role}" for role in ("aide", "guardian", "parent", "relative")}
SEXES = ("male", "female", "unspecified", "other")
BOOLEANS = ("true", "false")

# Japan Profile code lists.
JP_GRADES = (
    tuple(f"P{n}" for n in range(1, 7))
    + tuple(f"J{n}" for n in range(1, 4))
    + tuple(f"H{n}" for n in range(1, 4))
    + tuple(f"E{n}" for n in range(1, 4))
)
JP_SUBJECT_CODES = tuple(f"P{n:03d}" for n in range(10, 101, 10)) + tuple(
    f"J{n:03d}" for n in range(10, 91, 10)
)
# 学校種別コード (the first two characters of a 学校コード), from the 文部科学省 学校コード scheme.
JP_SCHOOL_TYPES = ("A1", "A2", "B1", "C1", "C2", "D1", "D2", "E1", "F1", "F2", "G1", "H1", "H2")
