"""The demo roster: a prefectural board, two high schools and a juku, as OneRoster 1.2 Japan Profile records.

Records are plain dicts keyed by the OneRoster 1.2 CSV column names of the Japan Profile (the column
lists of the Digital Agency's 2022 pilot validator, with the 1.2 header order), so `write_csv_set`
writes them as they are and an importer reading the CSV gets the same dicts back. They are bulk
records: `status` and `dateLastModified` stay blank, as the CSV binding requires for bulk files.
"""

from __future__ import annotations

import csv
import random
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from gateway.demo import names
from gateway.oneroster.identity import account_agent, default_home_page

SCHOOL_YEAR = 2026
YEAR_START = date(SCHOOL_YEAR, 4, 1)
YEAR_END = date(SCHOOL_YEAR + 1, 3, 31)

# 静岡県's 全国地方公共団体コード (22000 and its check digit), the 6-digit code the Japan Profile
# asks for a board of education.
BOARD_CODE = "220001"
# 13-character 学校コード: D1 (高等学校), 22 (静岡県), 設置区分 (2 public, 3 private), 7-digit school
# number, 検査数字. The schools are fictional: their numbers start with 99 so that they stand out,
# and the 検査数字 is not computed (its algorithm is not in our references).
PREFECTURAL_SCHOOL_CODE = "D122299000010"
PRIVATE_SCHOOL_CODE = "D122399000020"


def _names(line: str) -> tuple[str, ...]:
    return tuple(line.split(","))


# Header lines of the CSV files, in the order the CSV binding and the pilots' validators check.
ORG_COLUMNS = _names("sourcedId,status,dateLastModified,name,type,identifier,parentSourcedId")
ACADEMIC_SESSION_COLUMNS = _names(
    "sourcedId,status,dateLastModified,title,type,startDate,endDate,parentSourcedId,schoolYear"
)
COURSE_COLUMNS = _names(
    "sourcedId,status,dateLastModified,schoolYearSourcedId,title,courseCode,grades,orgSourcedId,"
    "subjects,subjectCodes"
)
CLASS_COLUMNS = _names(
    "sourcedId,status,dateLastModified,title,grades,courseSourcedId,classCode,classType,location,"
    "schoolSourcedId,termSourcedIds,subjects,subjectCodes,periods,metadata.jp.specialNeeds"
)
USER_COLUMNS = _names(
    "sourcedId,status,dateLastModified,enabledUser,username,userIds,givenName,familyName,middleName,"
    "identifier,email,sms,phone,agentSourcedIds,grades,password,userMasterIdentifier,"
    "resourceSourcedIds,preferredGivenName,preferredMiddleName,preferredFamilyName,"
    "primaryOrgSourcedId,pronouns,metadata.jp.kanaGivenName,metadata.jp.kanaFamilyName,"
    "metadata.jp.kanaMiddleName,metadata.jp.homeClass"
)
ROLE_COLUMNS = _names(
    "sourcedId,status,dateLastModified,userSourcedId,roleType,role,beginDate,endDate,orgSourcedId,"
    "userProfileSourcedId"
)
# 出席番号 (metadata.jp.ShussekiNo) and metadata.jp.PublicFlg are the Japan Profile's enrollment
# metadata (国内暫定版 第2版); metadata columns go to the right of the standard ones.
ENROLLMENT_COLUMNS = _names(
    "sourcedId,status,dateLastModified,classSourcedId,schoolSourcedId,userSourcedId,role,primary,"
    "beginDate,endDate,metadata.jp.ShussekiNo,metadata.jp.PublicFlg"
)
DEMOGRAPHIC_COLUMNS = _names(
    "sourcedId,status,dateLastModified,birthDate,sex,americanIndianOrAlaskaNative,asian,"
    "blackOrAfricanAmerican,nativeHawaiianOrOtherPacificIslander,white,demographicRaceTwoOrMoreRaces,"
    "hispanicOrLatinoEthnicity,countryOfBirthCode,stateOfBirthAbbreviation,cityOfBirth,"
    "publicSchoolResidenceStatus"
)

# file name (without .csv) → (DemoRoster field, columns). Every other OneRoster file is "absent".
CSV_FILES = {
    "academicSessions": ("academic_sessions", ACADEMIC_SESSION_COLUMNS),
    "orgs": ("orgs", ORG_COLUMNS),
    "courses": ("courses", COURSE_COLUMNS),
    "classes": ("classes", CLASS_COLUMNS),
    "users": ("users", USER_COLUMNS),
    "roles": ("roles", ROLE_COLUMNS),
    "enrollments": ("enrollments", ENROLLMENT_COLUMNS),
    "demographics": ("demographics", DEMOGRAPHIC_COLUMNS),
}
# The files a OneRoster 1.2 manifest declares, each "bulk" or "absent".
MANIFEST_FILES = _names(
    "academicSessions,categories,classResources,classes,courseResources,courses,demographics,"
    "enrollments,lineItemLearningObjectiveIds,lineItemScoreScales,lineItems,orgs,resources,"
    "resultLearningObjectiveIds,resultScoreScales,results,roles,scoreScales,userProfiles,"
    "userResources,users"
)


@dataclass(frozen=True)
class DemoRoster:
    """Everything `build_roster` makes; tuples keep a built roster comparable and safe to share."""

    orgs: tuple[dict, ...]
    academic_sessions: tuple[dict, ...]
    courses: tuple[dict, ...]
    classes: tuple[dict, ...]
    users: tuple[dict, ...]
    roles: tuple[dict, ...]
    enrollments: tuple[dict, ...]
    demographics: tuple[dict, ...]
    # Not OneRoster orgs: the juku and the mock-exam vendor as {sourcedId, name, kind ("juku" or
    # "exam_vendor"), homePage, platform (the context.platform of what they send)}; the juku's record
    # also lists its coaches {name, kanaName, accountName}.
    providers: tuple[dict, ...]
    # sourcedIds of the students who attend the juku, in roster order.
    juku_students: tuple[str, ...]

    def records(self, entity: str) -> tuple[dict, ...]:
        """The records of a OneRoster entity by its CSV file name: "academicSessions", "users", …"""
        field, _ = CSV_FILES[entity]
        return getattr(self, field)

    def org(self, sourced_id: str) -> dict:
        return next(org for org in self.orgs if org["sourcedId"] == sourced_id)

    def schools(self) -> tuple[dict, ...]:
        return tuple(org for org in self.orgs if org["type"] == "school")

    def students(self) -> tuple[dict, ...]:
        return self._users_with_role("student")

    def teachers(self) -> tuple[dict, ...]:
        return self._users_with_role("teacher")

    def guardians(self) -> tuple[dict, ...]:
        return self._users_with_role("guardian")

    def provider(self, kind: str) -> dict:
        return next(provider for provider in self.providers if provider["kind"] == kind)

    def _users_with_role(self, role: str) -> tuple[dict, ...]:
        ids = {r["userSourcedId"] for r in self.roles if r["role"] == role}
        return tuple(user for user in self.users if user["sourcedId"] in ids)


def school_host(org: dict) -> str:
    """The school's namespace in the gateway, derived from its 学校コード: stable across renames and
    unique nationally, so any imported school gets one without a lookup table."""
    if org["type"] != "school" or len(org["identifier"]) != 13:
        raise ValueError(f"{org['name']} is not a school with a 13-character 学校コード")
    return f"{org['identifier'].lower()}.kakehashi.example"


def agent_for_user(user: dict, org: dict) -> dict:
    """The xAPI Agent of a roster user, by the gateway's identity rule (gateway.oneroster.identity):
    an account, never an email address.

    account.homePage is the default homePage of the user's school, https://id.<学校コード in lower
    case>.kakehashi.example (e.g. https://id.d122299000010.kakehashi.example), and account.name is the
    OneRoster sourcedId, so statements stay linked to the roster without carrying personal data in
    the identifier.
    """
    school_host(org)  # the demo's users all belong to a school with a 学校コード
    name = f"{user['familyName']} {user['givenName']}"
    return account_agent(user["sourcedId"], default_home_page(org), name)


def build_roster(seed: int = 2026) -> DemoRoster:
    """The demo roster; the same seed always gives the same records, sourcedIds included."""
    return _RosterBuilder(seed).build()


def write_csv_set(roster: DemoRoster, directory: Path) -> None:
    """Writes a OneRoster 1.2 bulk CSV file set: manifest.csv and one file per non-empty record type.

    UTF-8 without BOM and CRLF line ends (RFC 4180, which the CSV binding follows); files with no
    rows are not allowed, so they are declared "absent" in the manifest instead.
    """
    directory.mkdir(parents=True, exist_ok=True)
    present = {name for name, (field, _) in CSV_FILES.items() if getattr(roster, field)}
    manifest = [
        ("manifest.version", "1.0"),
        ("oneroster.version", "1.2"),
        *((f"file.{name}", "bulk" if name in present else "absent") for name in MANIFEST_FILES),
        ("source.systemName", "Kakehashi demo data"),
        ("source.systemCode", "kakehashi-demo"),
    ]
    _write_csv(
        directory / "manifest.csv",
        ("propertyName", "value"),
        [{"propertyName": name, "value": value} for name, value in manifest],
    )
    for name, (field, columns) in CSV_FILES.items():
        if name in present:
            _write_csv(directory / f"{name}.csv", columns, getattr(roster, field))


def _write_csv(path: Path, columns: tuple[str, ...], rows) -> None:
    with path.open("w", encoding="utf-8", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=columns, lineterminator="\r\n")
        writer.writeheader()
        writer.writerows(rows)


@dataclass(frozen=True)
class _School:
    key: str  # prefix of usernames and the e-mail domain
    name: str
    identifier: str
    under_board: bool
    homerooms: tuple[tuple[str, str, int], ...]  # (title, class number, students)
    # Per teacher: (index of the homeroom they are 担任 or 副担任 of, ((homeroom index, "HR" or the
    # math course they teach there), ...)). Every teacher has a metadata.jp.homeClass, as the pilots'
    # validators require of every user.
    teachers: tuple[tuple[int, tuple[tuple[int, str], ...]], ...]
    juku_students: int  # how many of the school's students attend the juku
    guardians: int  # how many of those have a guardian in the roster


SCHOOLS = (
    _School(
        "wakabadai", "静岡県立若葉台高等学校", PREFECTURAL_SCHOOL_CODE, True,
        homerooms=(("1年1組", "1", 40), ("1年2組", "2", 40)),
        teachers=(
            (0, ((0, "HR"),)), (1, ((1, "HR"),)),
            (0, ((0, "数学Ⅰ"),)), (1, ((1, "数学Ⅰ"),)), (0, ((0, "数学A"), (1, "数学A"))),
        ),
        juku_students=30, guardians=3,
    ),
    # A private school is run by a 学校法人 and overseen by the governor, not the board of education,
    # and a 学校法人 has no 教育委員会コード: in the Japan Profile it is an org without a parent.
    _School(
        "suirei", "翠嶺学園高等学校", PRIVATE_SCHOOL_CODE, False,
        homerooms=(("1年A組", "1", 23),),
        teachers=((0, ((0, "HR"),)), (0, ((0, "数学Ⅰ"),)), (0, ((0, "数学A"),))),
        juku_students=10, guardians=3,
    ),
)  # fmt: skip

# Math course title → suffix of its classes' classCode.
MATH_COURSES = {"数学Ⅰ": "M1", "数学A": "MA"}


class _RosterBuilder:
    """Builds the records in a fixed order. sourcedIds and people (names, birthdays, who attends the
    juku) come from separate seeded streams, so changing how one is drawn leaves the other as it was."""

    def __init__(self, seed: int) -> None:
        self.ids = random.Random(f"kakehashi-demo:{seed}:sourcedIds")
        self.people = random.Random(f"kakehashi-demo:{seed}:people")
        self.orgs: list[dict] = []
        self.courses: list[dict] = []
        self.classes: list[dict] = []
        self.users: list[dict] = []
        self.roles: list[dict] = []
        self.enrollments: list[dict] = []
        self.demographics: list[dict] = []
        self.juku_students: list[str] = []
        self.full_names: set[str] = set()

    def build(self) -> DemoRoster:
        board = self._org("静岡県教育委員会", "district", BOARD_CODE, "")
        session = {
            "sourcedId": self._uuid(),
            "status": "",
            "dateLastModified": "",
            "title": f"{SCHOOL_YEAR}年度",
            "type": "schoolYear",
            "startDate": YEAR_START.isoformat(),
            "endDate": YEAR_END.isoformat(),
            "parentSourcedId": "",
            "schoolYear": str(SCHOOL_YEAR),
        }
        for school in SCHOOLS:
            self._school(school, board if school.under_board else None, session)
        providers = (
            {
                "sourcedId": self._uuid(),
                "name": "あおば進学塾",
                "kind": "juku",
                "homePage": "https://aoba-juku.example",
                "platform": "あおば進学塾 学習アプリ",
                "coaches": tuple(self._coach(number) for number in range(1, 4)),
            },
            {
                "sourcedId": self._uuid(),
                "name": "全国進学模試センター",
                "kind": "exam_vendor",
                "homePage": "https://shingaku-moshi.example",
                "platform": "全国進学模試 成績処理システム",
            },
        )
        return DemoRoster(
            orgs=tuple(self.orgs),
            academic_sessions=(session,),
            courses=tuple(self.courses),
            classes=tuple(self.classes),
            users=tuple(self.users),
            roles=tuple(self.roles),
            enrollments=tuple(self.enrollments),
            demographics=tuple(self.demographics),
            providers=providers,
            juku_students=tuple(self.juku_students),
        )

    def _school(self, school: _School, board: dict | None, session: dict) -> None:
        org = self._org(school.name, "school", school.identifier, board["sourcedId"] if board else "")
        homeroom_course = self._course(org, session, "ホームルーム", "")
        math_courses = {title: self._course(org, session, title, "数学") for title in MATH_COURSES}
        homerooms = []
        for title, number, size in school.homerooms:
            homeroom = self._class(org, session, homeroom_course, title, f"H1-{number}", "homeroom", "")
            math = {
                course: self._class(
                    org,
                    session,
                    math_courses[course],
                    f"{title} {course}",
                    f"H1-{number}-{suffix}",
                    "scheduled",
                    "数学",
                )
                for course, suffix in MATH_COURSES.items()
            }
            homerooms.append((homeroom, math, number, size))

        students = []
        for homeroom, math, number, size in homerooms:
            students += self._homeroom_students(school, org, homeroom, math, number, size)
        self._teachers(school, org, homerooms)
        chosen = {student["sourcedId"] for student in self.people.sample(students, school.juku_students)}
        juku = [student for student in students if student["sourcedId"] in chosen]
        self.juku_students += [student["sourcedId"] for student in juku]
        # Guardians are registered for a few juku students: the consent of a minor's guardian is
        # what the policy engine asks for before school data reaches the juku.
        for child in self.people.sample(juku, school.guardians):
            self._guardian(school, org, child)

    def _homeroom_students(self, school, org, homeroom, math, number, size) -> list[dict]:
        people = [self._person(child=True) for _ in range(size)]
        # 出席番号 follow the kana order of the class list (男女混合名簿).
        people.sort(key=lambda person: (person["kanaFamily"], person["kanaGiven"]))
        students = []
        for shusseki, person in enumerate(people, start=1):
            user = self._user(
                person,
                org,
                homeroom,
                username=f"{school.key}{SCHOOL_YEAR % 100}{number}{shusseki:02d}",
                identifier=f"{SCHOOL_YEAR}{number}{shusseki:02d}",
                grades="H1",
                email="",
            )
            self._role(user, org, "student")
            self._enrollment(homeroom, org, user, "student", shusseki=str(shusseki))
            for math_class in math.values():
                self._enrollment(math_class, org, user, "student")
            self.demographics.append(self._demographic(user, person))
            students.append(user)
        return students

    def _teachers(self, school: _School, org: dict, homerooms: list) -> None:
        for number, (home_index, taught) in enumerate(school.teachers, start=1):
            username = f"{school.key}-t{number:02d}"
            user = self._user(
                self._person(child=False),
                org,
                homerooms[home_index][0],
                username=username,
                identifier=f"T{number:03d}",
                grades="",
                email=f"{username}@{school.key}.example",
            )
            self._role(user, org, "teacher")
            for room_index, subject in taught:
                homeroom, math, _, _ = homerooms[room_index]
                self._enrollment(homeroom if subject == "HR" else math[subject], org, user, "teacher")

    def _guardian(self, school: _School, org: dict, child: dict) -> None:
        person = self._person(child=False, family=(child["familyName"], child["metadata.jp.kanaFamilyName"]))
        number = sum(1 for role in self.roles if role["role"] == "guardian") + 1
        # Validators want a homeClass of every user: a guardian's is their child's.
        home_class = next(c for c in self.classes if c["sourcedId"] == child["metadata.jp.homeClass"])
        user = self._user(
            person,
            org,
            home_class,
            username=f"{school.key}-g{number:02d}",
            identifier="",
            grades="",
            email="",
        )
        user["agentSourcedIds"] = child["sourcedId"]
        child["agentSourcedIds"] = user["sourcedId"]
        self._role(user, org, "guardian")

    def _coach(self, number: int) -> dict:
        person = self._person(child=False)
        return {
            "name": f"{person['family']} {person['given']}",
            "kanaName": f"{person['kanaFamily']} {person['kanaGiven']}",
            "accountName": f"coach-{number:02d}",
        }

    def _org(self, name: str, kind: str, identifier: str, parent: str) -> dict:
        org = {
            "sourcedId": self._uuid(),
            "status": "",
            "dateLastModified": "",
            "name": name,
            "type": kind,
            "identifier": identifier,
            "parentSourcedId": parent,
        }
        self.orgs.append(org)
        return org

    def _course(self, org: dict, session: dict, title: str, subject: str) -> dict:
        # Japan Profile: course titles start with the 年度 and courseCode stays blank.
        course = {
            "sourcedId": self._uuid(),
            "status": "",
            "dateLastModified": "",
            "schoolYearSourcedId": session["sourcedId"],
            "title": f"{SCHOOL_YEAR}年度 {title}",
            "courseCode": "",
            "grades": "H1",
            "orgSourcedId": org["sourcedId"],
            "subjects": subject,
            "subjectCodes": "",
        }
        self.courses.append(course)
        return course

    def _class(self, org, session, course, title, code, class_type, subject) -> dict:
        # subjectCodes stays blank: the Japan Profile's code list (P010…, J010…) has no high-school codes.
        klass = {
            "sourcedId": self._uuid(),
            "status": "",
            "dateLastModified": "",
            "title": title,
            "grades": "H1",
            "courseSourcedId": course["sourcedId"],
            "classCode": code,
            "classType": class_type,
            "location": "",
            "schoolSourcedId": org["sourcedId"],
            "termSourcedIds": session["sourcedId"],
            "subjects": subject,
            "subjectCodes": "",
            "periods": "",
            "metadata.jp.specialNeeds": "false",
        }
        self.classes.append(klass)
        return klass

    def _user(self, person, org, home_class, *, username, identifier, grades, email) -> dict:
        user = {
            "sourcedId": self._uuid(),
            "status": "",
            "dateLastModified": "",
            "enabledUser": "true",
            "username": username,
            "userIds": "",
            "givenName": person["given"],
            "familyName": person["family"],
            "middleName": "",
            "identifier": identifier,
            "email": email,
            "sms": "",
            "phone": "",
            "agentSourcedIds": "",
            "grades": grades,
            "password": "",
            "userMasterIdentifier": self._uuid(),
            "resourceSourcedIds": "",
            "preferredGivenName": person["given"],
            "preferredMiddleName": "",
            "preferredFamilyName": person["family"],
            "primaryOrgSourcedId": org["sourcedId"],
            "pronouns": "",
            "metadata.jp.kanaGivenName": person["kanaGiven"],
            "metadata.jp.kanaFamilyName": person["kanaFamily"],
            "metadata.jp.kanaMiddleName": "",
            "metadata.jp.homeClass": home_class["sourcedId"],
        }
        self.users.append(user)
        return user

    def _role(self, user: dict, org: dict, role: str) -> None:
        self.roles.append(
            {
                "sourcedId": self._uuid(),
                "status": "",
                "dateLastModified": "",
                "userSourcedId": user["sourcedId"],
                "roleType": "primary",
                "role": role,
                "beginDate": YEAR_START.isoformat(),
                "endDate": YEAR_END.isoformat(),
                "orgSourcedId": org["sourcedId"],
                "userProfileSourcedId": "",
            }
        )

    def _enrollment(self, klass: dict, org: dict, user: dict, role: str, shusseki: str = "") -> None:
        # Japan Profile: student enrollments are never primary; the teachers here all lead their class.
        self.enrollments.append(
            {
                "sourcedId": self._uuid(),
                "status": "",
                "dateLastModified": "",
                "classSourcedId": klass["sourcedId"],
                "schoolSourcedId": org["sourcedId"],
                "userSourcedId": user["sourcedId"],
                "role": role,
                "primary": "false" if role == "student" else "true",
                "beginDate": YEAR_START.isoformat(),
                "endDate": YEAR_END.isoformat(),
                "metadata.jp.ShussekiNo": shusseki,
                "metadata.jp.PublicFlg": "",
            }
        )

    def _demographic(self, user: dict, person: dict) -> dict:
        # First-years of 2026年度 were born between 2 April 2010 and 1 April 2011.
        born = date(2010, 4, 2) + timedelta(days=self.people.randrange(365))
        return {
            "sourcedId": user["sourcedId"],
            "status": "",
            "dateLastModified": "",
            "birthDate": born.isoformat(),
            "sex": person["sex"],
            "americanIndianOrAlaskaNative": "",
            "asian": "",
            "blackOrAfricanAmerican": "",
            "nativeHawaiianOrOtherPacificIslander": "",
            "white": "",
            "demographicRaceTwoOrMoreRaces": "",
            "hispanicOrLatinoEthnicity": "",
            "countryOfBirthCode": "",
            "stateOfBirthAbbreviation": "",
            "cityOfBirth": "",
            "publicSchoolResidenceStatus": "",
        }

    def _person(self, *, child: bool, family: tuple[str, str] | None = None) -> dict:
        """A name not yet used in the roster; commoner family names come up more often."""
        while True:
            sex = self.people.choice(("male", "female"))
            if child:
                given_names = names.BOYS_NAMES if sex == "male" else names.GIRLS_NAMES
            else:
                given_names = names.MEN_NAMES if sex == "male" else names.WOMEN_NAMES
            family_name, kana_family = (
                family or self.people.choices(names.FAMILY_NAMES, weights=_FAMILY_WEIGHTS)[0]
            )
            given, kana_given = self.people.choice(given_names)
            if family_name + given not in self.full_names:
                self.full_names.add(family_name + given)
                return {
                    "sex": sex,
                    "family": family_name,
                    "given": given,
                    "kanaFamily": kana_family,
                    "kanaGiven": kana_given,
                }

    def _uuid(self) -> str:
        """A UUIDv4 (as the Japan Profile requires) whose random bits come from the seeded stream."""
        return str(uuid.UUID(bytes=self.ids.randbytes(16), version=4))


# Zipf-like weights: the 10th family name is about half as common as the 1st.
_FAMILY_WEIGHTS = [1 / (rank + 10) for rank in range(len(names.FAMILY_NAMES))]
