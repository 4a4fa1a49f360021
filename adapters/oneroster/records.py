"""One CSV row → one record in the OneRoster 1.2 REST JSON shape (the storage contract), checking each
value as it goes: the 1.1/1.2 CSV binding's formats and enumerations, and the Japan Profile's rules
when the file set is Japan Profile."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from adapters.oneroster import columns as c
from adapters.oneroster.report import Issue
from gateway.oneroster.model import DEMOGRAPHIC_FLAGS

UUID_V4 = re.compile(
    r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-4[0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}$"
)
HALFWIDTH_KATAKANA = re.compile(r"[\uff61-\uff9f]")
# Full-width katakana (with ー, ・, ヽヾ) and spaces between name parts.
FULLWIDTH_KANA = re.compile(r"^[\u30a1-\u30fa\u30fc\u30fb\u30fd\u30fe\u3000 ]+$")
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
YEAR = re.compile(r"^\d{4}$")
EXTENSION = re.compile(r"^ext:[a-zA-Z0-9.\-_]+$")
USER_ID = re.compile(r"\{([^:{}]+):([^{}]*)\}")
SCHOOL_CODE = re.compile(r"^([A-H][0-9])(\d{2})([1-3])(\d{7})(\d)$")
# Columns holding sourcedIds (checked as UUIDv4 under the Japan Profile).
ID_COLUMNS = frozenset(
    [
        "sourcedId",
        "parentSourcedId",
        "schoolYearSourcedId",
        "orgSourcedId",
        "courseSourcedId",
        "schoolSourcedId",
        "termSourcedIds",
        "orgSourcedIds",
        "agentSourcedIds",
        "primaryOrgSourcedId",
        "userSourcedId",
        "classSourcedId",
        "userProfileSourcedId",
        "metadata.jp.homeClass",
    ]
)


@dataclass
class Reference:
    """A sourcedId a record points to, to check once the target file has been read."""

    column: str
    target: str  # entity
    sourced_id: str
    line: int
    org_type: str | None = None  # the org type the reference requires (enrollments → school)


@dataclass
class RowResult:
    """What one row gives: the record (None when unusable), its references, its status and
    dateLastModified as the file gave them, and role/profile entries for users."""

    record: dict | None
    status: str | None = None
    modified: datetime | None = None
    references: list[Reference] = field(default_factory=list)
    errors: int = 0


class RowReader:
    """Reads the rows of one file. `issues` collects every problem with its line and column."""

    def __init__(self, entity: str, file: str, version: str, mode: str, japan: bool, issues):
        self.entity, self.file, self.version, self.mode, self.japan = entity, file, version, mode, japan
        self.issues = issues
        self.required = c.REQUIRED[version][entity]
        self.convert = getattr(self, f"_{entity}")
        self.line = 0
        self.errors = 0
        # The file's id and metadata columns, from its first row (every row has the header's keys).
        self.id_columns: list[str] | None = None
        self.metadata_columns: list[tuple[str, str]] | None = None

    # -- helpers -------------------------------------------------------------------------------
    def issue(self, rule: str, column: str | None = None, severity: str = "error", **params) -> None:
        if severity == "error":
            self.errors += 1
        self.issues.add(
            Issue(rule, file=self.file, line=self.line, column=column, severity=severity, params=params)
        )

    def read(self, line: int, row: dict[str, str]) -> RowResult:
        self.line, self.errors, self.row, self.refs = line, 0, row, []
        status = row.get("status") or None
        # A delta row that deletes a record needs only to name it.
        deleting = self.mode == "delta" and status == "tobedeleted"
        for column in ("sourcedId",) if deleting else self.required:
            if not row.get(column):
                self.issue("required-value", column)
        modified = None
        if status is not None and status not in ("active", "tobedeleted"):
            self.issue("enum", "status", value=status, allowed="active, tobedeleted")
        if self.mode == "delta":
            for column in ("status", "dateLastModified"):
                if not row.get(column):
                    self.issue("required-in-delta", column)
        elif status == "tobedeleted":
            self.issue("bulk-tobedeleted", "status", value=status)
        if row.get("dateLastModified"):
            modified = self.datetime("dateLastModified")
        if self.japan:
            self._japan_row(row)
        record = {"sourcedId": row.get("sourcedId", ""), "status": "active"}
        if status == "tobedeleted":
            record["status"] = "tobedeleted"
        record.update(self.convert(row))
        metadata = self.metadata(row)
        if metadata:
            record["metadata"] = metadata
        return RowResult(record, status, modified, self.refs, self.errors)

    def text(self, column: str) -> str | None:
        value = self.row.get(column)
        return value if value else None

    def enum(self, column: str, allowed, *, extensible: bool = True) -> str | None:
        value = self.text(column)
        if value is None:
            return None
        if value in allowed or (extensible and EXTENSION.match(value)):
            return value
        self.issue("enum", column, value=value, allowed=", ".join(allowed))
        return value

    def boolean(self, column: str) -> str | None:
        value = self.text(column)
        if value is None:
            return None
        lowered = value.lower()
        if lowered not in c.BOOLEANS:
            self.issue("boolean", column, value=value)
        return lowered

    def date(self, column: str) -> str | None:
        value = self.text(column)
        if value is None:
            return None
        try:
            if not DATE.match(value):
                raise ValueError
            date.fromisoformat(value)
        except ValueError:
            self.issue("date", column, value=value)
        return value

    def datetime(self, column: str) -> datetime | None:
        value = self.text(column)
        if value is None:
            return None
        try:
            if not DATE.match(value[:10]) or len(value) < 11:
                raise ValueError
            moment = datetime.fromisoformat(value)
        except ValueError:
            self.issue("datetime", column, value=value)
            return None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        moment = moment.astimezone(UTC)
        return moment.replace(microsecond=moment.microsecond // 1000 * 1000)

    def values(self, column: str) -> list[str]:
        value = self.row.get(column)
        if not value:
            return []
        return [part.strip() for part in value.split(",") if part.strip()]

    def ref(self, column: str, target: str, type_name: str, org_type: str | None = None) -> dict | None:
        value = self.text(column)
        if value is None:
            return None
        self.refs.append(Reference(column, target, value, self.line, org_type))
        return {"sourcedId": value, "type": type_name}

    def refs_list(self, column: str, target: str, type_name: str) -> list[dict]:
        result = []
        for value in self.values(column):
            self.refs.append(Reference(column, target, value, self.line))
            result.append({"sourcedId": value, "type": type_name})
        return result

    def grades(self, column: str = "grades") -> list[str]:
        grades = self.values(column)
        if self.japan:
            for grade in grades:
                if grade not in c.JP_GRADES:
                    self.issue("jp-grade", column, value=grade)
        return grades

    def subject_codes(self) -> list[str]:
        codes = self.values("subjectCodes")
        if self.japan:
            for code in codes:
                if code not in c.JP_SUBJECT_CODES:
                    self.issue("jp-subject-code", "subjectCodes", value=code)
        return codes

    def metadata(self, row: dict[str, str]) -> dict:
        if self.metadata_columns is None:
            self.metadata_columns = [
                (column, c.METADATA_ALIASES.get(column[9:], column[9:]))
                for column in row
                if column.startswith("metadata.")
            ]
        metadata = {}
        for column, key in self.metadata_columns:
            value = row.get(column)
            if value:
                metadata[key] = value
        if self.japan:
            for key in c.KANA_METADATA:
                value = metadata.get(key)
                if value and not HALFWIDTH_KATAKANA.search(value) and not FULLWIDTH_KANA.match(value):
                    self.issue("jp-kana", f"metadata.{key}", value=value)
            if "jp.specialNeeds" in metadata and metadata["jp.specialNeeds"].lower() not in c.BOOLEANS:
                self.issue("boolean", "metadata.jp.specialNeeds", value=metadata["jp.specialNeeds"])
            if "jp.publicFlg" in metadata and metadata["jp.publicFlg"].lower() not in c.BOOLEANS:
                self.issue("boolean", self._column_of(row, "jp.publicFlg"), value=metadata["jp.publicFlg"])
            if "jp.shussekiNo" in metadata and not metadata["jp.shussekiNo"].isdigit():
                self.issue(
                    "jp-number", self._column_of(row, "jp.shussekiNo"), value=metadata["jp.shussekiNo"]
                )
        return metadata

    @staticmethod
    def _column_of(row: dict, key: str) -> str:
        return next(
            (
                col
                for col in row
                if col.startswith("metadata.") and c.METADATA_ALIASES.get(col[9:], col[9:]) == key
            ),
            f"metadata.{key}",
        )

    def _japan_row(self, row: dict[str, str]) -> None:
        # One search over the whole row first: almost every row has no half-width katakana, and then
        # only its id columns need a look.
        halfwidth = HALFWIDTH_KATAKANA.search("\x00".join(row.values())) is not None
        if self.id_columns is None:
            self.id_columns = [column for column in row if column in ID_COLUMNS]
        columns = row if halfwidth else self.id_columns
        for column in columns:
            value = row.get(column)
            if not value:
                continue
            if halfwidth and HALFWIDTH_KATAKANA.search(value):
                self.issue("jp-halfwidth-katakana", column, value=value)
            if column in ID_COLUMNS:
                for part in value.split(",") if column.endswith("Ids") else (value,):
                    if part.strip() and not UUID_V4.match(part.strip()):
                        self.issue("jp-uuid", column, value=part.strip())

    @staticmethod
    def _compact(record: dict) -> dict:
        """Leaves out absent optional fields (None) and empty lists: the JSON binding omits them."""
        return {key: value for key, value in record.items() if value is not None and value != []}

    # -- entities ------------------------------------------------------------------------------
    def _orgs(self, row) -> dict:
        org_type = self.enum("type", c.ORG_TYPES)
        identifier = self.text("identifier")
        if self.japan and identifier is not None:
            if org_type == "school":
                self._school_code(identifier)
            elif org_type == "district":
                self._board_code(identifier)
        return self._compact(
            {
                "name": self.text("name") or "",
                "type": org_type,
                "identifier": identifier or "",
                "parent": self.ref("parentSourcedId", "orgs", "org"),
            }
        )

    def _school_code(self, value: str) -> None:
        """学校コード: structure only. The 検査数字 (last digit) is not checked, because its rule could
        not be confirmed from an official text. MEXT defines the code in 「学校コードの設定について」
        (https://www.mext.go.jp/content/20210128-mxt_chousa01-000011635_01.pdf, linked from
        https://www.mext.go.jp/b_menu/toukei/mext_01087.html); that PDF was not readable here.
        Secondary sources only: Japanese Wikipedia 「学校コード」 says "mod 10" with the example
        F112310102342; the third-party Ruby gem mext_school_code_validator computes it as: the
        school-type letter as two digits (A=01 … H=08), weights 1, 2, 1, 2 … from the left over the
        first 12 characters, digit sum of each product, (10 − total mod 10) mod 10 — which matches
        that example. Enforce it only once checked against the MEXT PDF (rejecting real schools'
        codes on a guessed rule would block their imports)."""
        match = SCHOOL_CODE.match(value)
        if len(value) != 13:
            detail = f"{len(value)} characters"
        elif not match:
            detail = "expected [A-H][0-9], 2 digits, 1–3, 7 digits, 1 digit"
        elif match.group(1) not in c.JP_SCHOOL_TYPES:
            detail = f"unknown school type {match.group(1)}"
        elif not 1 <= int(match.group(2)) <= 47:
            detail = f"prefecture {match.group(2)} is not 01–47"
        else:
            return
        self.issue("jp-school-code", "identifier", value=value, detail=detail)

    def _board_code(self, value: str) -> None:
        """教育委員会コード: the 6-digit 全国地方公共団体コード of the municipality or prefecture, whose
        last digit is the check digit of the first five (総務省: weights 6,5,4,3,2, modulus 11,
        the ones digit of 11 − remainder)."""
        if not re.fullmatch(r"\d{6}", value):
            self.issue("jp-board-code", "identifier", value=value, detail="not 6 digits")
            return
        total = sum(int(digit) * weight for digit, weight in zip(value[:5], (6, 5, 4, 3, 2), strict=True))
        expected = (11 - total % 11) % 10
        if int(value[5]) != expected:
            self.issue("jp-board-code", "identifier", value=value, detail=f"check digit should be {expected}")

    def _academicSessions(self, row) -> dict:
        session_type = self.enum("type", c.SESSION_TYPES)
        start, end = self.date("startDate"), self.date("endDate")
        year = self.text("schoolYear")
        if year is not None and not YEAR.match(year):
            self.issue("year", "schoolYear", value=year)
        if start and end and DATE.match(start) and DATE.match(end) and end < start:
            self.issue("date-order", "endDate")
        title = self.text("title") or ""
        if self.japan:
            if session_type != "schoolYear":
                self.issue("jp-session-type", "type", value=session_type)
            elif year and YEAR.match(year):
                if title != f"{year}年度":
                    self.issue("jp-session-title", "title", value=title, expected=f"{year}年度")
                # The school year of the title runs 1 April to 31 March of the next calendar year.
                first = int(year)
                expected = f"{first}-04-01 – {first + 1}-03-31"
                if (start, end) != (f"{first}-04-01", f"{first + 1}-03-31"):
                    self.issue("jp-session-dates", "startDate", value=f"{start} – {end}", expected=expected)
        return self._compact(
            {
                "title": title,
                "type": session_type,
                "startDate": start,
                "endDate": end,
                "parent": self.ref("parentSourcedId", "academicSessions", "academicSession"),
                "schoolYear": year,
            }
        )

    def _courses(self, row) -> dict:
        return self._compact(
            {
                "title": self.text("title") or "",
                "schoolYear": self.ref("schoolYearSourcedId", "academicSessions", "academicSession"),
                "courseCode": self.text("courseCode") or "",
                "grades": self.grades(),
                "subjects": self.values("subjects"),
                "org": self.ref("orgSourcedId", "orgs", "org"),
                "subjectCodes": self.subject_codes(),
            }
        )

    def _classes(self, row) -> dict:
        return self._compact(
            {
                "title": self.text("title") or "",
                "classCode": self.text("classCode"),
                "classType": self.enum("classType", c.CLASS_TYPES),
                "location": self.text("location"),
                "grades": self.grades(),
                "subjects": self.values("subjects"),
                "course": self.ref("courseSourcedId", "courses", "course"),
                "school": self.ref("schoolSourcedId", "orgs", "org", org_type="school"),
                "terms": self.refs_list("termSourcedIds", "academicSessions", "academicSession"),
                "subjectCodes": self.subject_codes(),
                "periods": self.values("periods"),
            }
        )

    def _users(self, row) -> dict:
        user_ids = []
        raw_ids = self.text("userIds")
        if raw_ids:
            user_ids = [{"type": t.strip(), "identifier": i.strip()} for t, i in USER_ID.findall(raw_ids)]
            if not user_ids or USER_ID.sub("", raw_ids).replace(",", "").strip():
                self.issue("user-ids", "userIds", value=raw_ids)
        record = {
            "userMasterIdentifier": self.text("userMasterIdentifier"),
            "username": self.text("username"),
            "userIds": user_ids,
            "enabledUser": self.boolean("enabledUser"),
            "givenName": self.text("givenName") or "",
            "familyName": self.text("familyName") or "",
            "middleName": self.text("middleName"),
            "preferredFirstName": self.text("preferredGivenName"),
            "preferredMiddleName": self.text("preferredMiddleName"),
            "preferredLastName": self.text("preferredFamilyName"),
            "pronouns": self.text("pronouns"),
            "primaryOrg": self.ref("primaryOrgSourcedId", "orgs", "org"),
            "identifier": self.text("identifier"),
            "email": self.text("email"),
            "sms": self.text("sms"),
            "phone": self.text("phone"),
            "agents": self.refs_list("agentSourcedIds", "users", "user"),
            "grades": self.grades(),
            # password is never stored: the gateway does not sign users in with roster passwords.
            "resources": [{"sourcedId": r, "type": "resource"} for r in self.values("resourceSourcedIds")],
        }
        if self.japan:
            self.ref("metadata.jp.homeClass", "classes", "class")
        if self.version == "1.1":
            role = self.enum("role", c.ROLES_1_1, extensible=False)
            orgs = self.refs_list("orgSourcedIds", "orgs", "org")
            record["roles"] = [
                {
                    "roleType": "primary" if index == 0 else "secondary",
                    "role": c.ROLE_1_1_TO_1_2.get(role, role),
                    "org": org,
                }
                for index, org in enumerate(orgs)
            ]
            record["primaryOrg"] = orgs[0] if orgs else None
        return self._compact(record)

    def _roles(self, row) -> dict:
        return self._compact(
            {
                "user": self.ref("userSourcedId", "users", "user"),
                "roleType": self.enum("roleType", c.ROLE_TYPES, extensible=False),
                "role": self.enum("role", c.ROLES_1_2),
                "org": self.ref("orgSourcedId", "orgs", "org"),
                "userProfile": self._profile_ref(),
                "beginDate": self.date("beginDate"),
                "endDate": self.date("endDate"),
            }
        )

    def _profile_ref(self) -> str | None:
        value = self.text("userProfileSourcedId")
        if value:
            self.refs.append(Reference("userProfileSourcedId", "userProfiles", value, self.line))
        return value

    def _userProfiles(self, row) -> dict:
        credential_type = self.text("credentialType")
        return self._compact(
            {
                "user": self.ref("userSourcedId", "users", "user"),
                "profileType": self.text("profileType") or "",
                "vendorId": self.text("vendorId") or "",
                "applicationId": self.text("applicationId"),
                "description": self.text("description"),
                # as for users, passwords are not stored
                "credentials": (
                    [{"type": credential_type, "username": self.text("username") or ""}]
                    if credential_type
                    else []
                ),
            }
        )

    def _enrollments(self, row) -> dict:
        role = self.enum("role", c.ENROLLMENT_ROLES[self.version])
        if self.version == "1.1":
            role = c.ENROLLMENT_ROLE_1_1_TO_1_2.get(role, role)
        primary = self.boolean("primary")
        if self.japan and role == "student" and primary == "true":
            self.issue("jp-student-primary", "primary", value=row.get("primary"))
        return self._compact(
            {
                "user": self.ref("userSourcedId", "users", "user"),
                "class": self.ref("classSourcedId", "classes", "class"),
                "school": self.ref("schoolSourcedId", "orgs", "org", org_type="school"),
                "role": role,
                "primary": primary,
                "beginDate": self.date("beginDate"),
                "endDate": self.date("endDate"),
            }
        )

    def _demographics(self, row) -> dict:
        record = {"birthDate": self.date("birthDate"), "sex": self.enum("sex", c.SEXES)}
        for column in DEMOGRAPHIC_FLAGS:
            record[column] = self.boolean(column)
        for column in (
            "countryOfBirthCode",
            "stateOfBirthAbbreviation",
            "cityOfBirth",
            "publicSchoolResidenceStatus",
        ):
            record[column] = self.text(column)
        # A demographics record describes the user with the same sourcedId.
        self.refs.append(Reference("sourcedId", "users", row.get("sourcedId", ""), self.line))
        return self._compact(record)
