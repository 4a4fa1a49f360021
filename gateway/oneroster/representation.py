"""Stored roster records (the 1.2 REST JSON shape of the storage contract) as the 1.2 or 1.1 JSON
binding serves them: bookkeeping keys dropped, hrefs added to GUIDRefs, times in ISO 8601 UTC.

Only the fields the binding declares are written (unknown stored keys never leak), in the order of
`gateway.oneroster.model`. Empty optional values are left out rather than sent as "" (an empty
`birthDate` or `href` would not be a valid date or URI); required text fields are always present.

1.1 differs only for users: the 1.2 `roles` become 1.1's single `role` (the primary role, 1.2-only
role names mapped to their 1.1 equivalents) and `orgs` (every org a role names), and the fields
1.2 added are left out. Flags stay the "true"/"false" strings of both bindings' examples.
"""

from __future__ import annotations

from datetime import UTC, datetime

from gateway.oneroster.model import REF_PATHS, Field, fields_of

# Text fields the 1.2 schemas require: written even when empty.
REQUIRED_TEXT = {
    "orgs": {"name", "type", "identifier"},
    "academicSessions": {"title", "startDate", "endDate", "type", "schoolYear"},
    "courses": {"title", "courseCode"},
    "classes": {"title"},
    "users": {"enabledUser", "givenName", "familyName"},
    "enrollments": {"role"},
    "demographics": set(),
}
ROLE_KEYS = ("roleType", "role", "org", "userProfile", "beginDate", "endDate")
USER_PROFILE_KEYS = ("profileId", "profileType", "vendorId", "applicationId", "description")
# 1.2 roles that 1.1 (administrator, aide, guardian, parent, proctor, relative, student, teacher) lacks.
V1P1_ROLES = {
    "districtAdministrator": "administrator",
    "siteAdministrator": "administrator",
    "systemAdministrator": "administrator",
    "principal": "administrator",
    "counselor": "aide",
}


class Representation:
    """Writes records of one binding: `version` "1.2" or "1.1", hrefs under `base_url` (the public
    URL of the rostering service, e.g. https://host/ims/oneroster/rostering/v1p2)."""

    def __init__(self, version: str, base_url: str, resources_url: str) -> None:
        self.version = version
        self.base_url = base_url.rstrip("/")
        self.resources_url = resources_url.rstrip("/")

    def record(self, entity: str, stored: dict, selection: list[str] | None = None) -> dict:
        fields = fields_of(entity, self.version)
        names = selection or list(fields)
        required = REQUIRED_TEXT.get(entity, set())
        written = {}
        for name in names:
            if entity == "users" and name in ("role", "orgs"):
                value = self._v1p1_role(stored) if name == "role" else self._v1p1_orgs(stored)
            elif name == "sourcedId":
                value = stored.get("sourcedId") or stored.get("_id")
            else:
                value = self._value(fields[name], stored.get(name))
            if value is None or value == "" and name not in required:
                continue
            written[name] = value
        return written

    def _value(self, field: Field, value):
        if value is None:
            return None
        kind = field.kind
        if kind == "datetime":
            return iso_datetime(value) if isinstance(value, datetime) else value
        if kind == "flag":
            return ("true" if value else "false") if isinstance(value, bool) else value
        if kind == "strings":
            return (
                [part.strip() for part in value.split(",") if part.strip()]
                if isinstance(value, str)
                else list(value)
            )
        if kind == "ref":
            return self.reference(value, field.target)
        if kind == "refs":
            return [self.reference(item, field.target) for item in value]
        if kind == "roles":
            return [self._role(role) for role in value]
        if kind == "userIds":
            return [
                {"type": item.get("type", ""), "identifier": item.get("identifier", "")} for item in value
            ]
        if kind == "userProfiles":
            return [self._user_profile(profile) for profile in value]
        if kind == "metadata":
            kept = {key: item for key, item in value.items() if not key.startswith("_")}
            return kept or None
        return value

    def reference(self, value, default_type: str | None) -> dict:
        sourced_id = value.get("sourcedId", "") if isinstance(value, dict) else str(value)
        kind = (value.get("type") if isinstance(value, dict) else None) or default_type
        if kind == "resource":
            href = f"{self.resources_url}/resources/{sourced_id}"
        else:
            href = f"{self.base_url}/{REF_PATHS.get(kind, kind + 's')}/{sourced_id}"
        return {"href": href, "sourcedId": sourced_id, "type": kind}

    def _role(self, role: dict) -> dict:
        written = {}
        for key in ROLE_KEYS:
            value = role.get(key)
            if value in (None, ""):
                continue
            written[key] = self.reference(value, "org") if key == "org" else value
        return written

    def _user_profile(self, profile: dict) -> dict:
        written = {key: profile[key] for key in USER_PROFILE_KEYS if profile.get(key) not in (None, "")}
        credentials = profile.get("credentials")
        if credentials is None and profile.get("credentialType"):
            credentials = [{"type": profile["credentialType"], "username": profile.get("username", "")}]
        if credentials:
            # Passwords never leave the gateway, not even hashed ones.
            written["credentials"] = [
                {"type": item.get("type", ""), "username": item.get("username", "")} for item in credentials
            ]
        return written

    @staticmethod
    def _primary_role(stored: dict) -> dict | None:
        roles = stored.get("roles") or []
        return next(
            (role for role in roles if role.get("roleType") == "primary"), roles[0] if roles else None
        )

    def _v1p1_role(self, stored: dict) -> str | None:
        role = self._primary_role(stored)
        if role is None:
            return None
        return V1P1_ROLES.get(role.get("role"), role.get("role"))

    def _v1p1_orgs(self, stored: dict) -> list[dict]:
        seen: dict[str, dict] = {}
        for role in stored.get("roles") or []:
            org = role.get("org")
            if isinstance(org, dict) and org.get("sourcedId"):
                seen.setdefault(org["sourcedId"], self.reference(org, "org"))
        return list(seen.values())


def iso_datetime(moment: datetime) -> str:
    """ISO 8601 in UTC with milliseconds and a `Z`, as OneRoster's dateLastModified is written."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
