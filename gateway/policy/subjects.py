"""Who released data is about: xAPI agents and roster user ids → roster users → home org → board
code → security profile, in batched lookups with a short per-app cache (a 100-statement page costs
a constant number of queries, usually none)."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from gateway.oneroster.documents import OrgIdentity
from gateway.oneroster.identity import DEFAULT_HOME_PAGE, home_org_id
from gateway.oneroster.repository import collection

USER_TTL = 5.0  # seconds: a roster change reaches the policy within this
ORG_TTL = 30.0


@dataclass(frozen=True)
class Subject:
    sourced_id: str
    orgs: tuple[str, ...]  # home org, its parent, ... (sourcedIds)
    codes: tuple[str, ...]  # the identifiers of those orgs (学校コード, 教育委員会コード)


class SubjectDirectory:
    """Per-app cache of roster users and orgs, for the release hook."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._users: dict[str, tuple[float, dict | None]] = {}
        self._emails: dict[str, tuple[float, str | None]] = {}
        self._orgs: tuple[float, dict, dict] | None = None
        self.queries = 0  # for tests and the benchmark

    def clear(self) -> None:
        with self._lock:
            self._users.clear()
            self._emails.clear()
            self._orgs = None

    # ------------------------------------------------------------------ orgs
    def _org_tables(self) -> tuple[dict, dict]:
        now = time.monotonic()
        cached = self._orgs
        if cached is not None and cached[0] > now:
            return cached[1], cached[2]
        orgs = {
            org["_id"]: (org.get("identifier"), (org.get("parent") or {}).get("sourcedId"))
            for org in collection("orgs").find({}, {"identifier": 1, "parent": 1})
        }
        pages = {
            row["_id"]: row["home_page"] for row in OrgIdentity._get_collection().find({}, {"home_page": 1})
        }
        self.queries += 2
        self._orgs = (now + ORG_TTL, orgs, pages)
        return orgs, pages

    def home_page(self, org_id: str) -> str:
        orgs, pages = self._org_tables()
        if org_id in pages:
            return pages[org_id]
        identifier = (orgs.get(org_id) or (None, None))[0]
        return DEFAULT_HOME_PAGE.format(code=(identifier or org_id).strip().lower())

    def _chain(self, org_id: str | None) -> tuple[tuple[str, ...], tuple[str, ...]]:
        orgs, _ = self._org_tables()
        chain, codes = [], []
        while org_id and org_id not in chain and len(chain) < 16:
            chain.append(org_id)
            identifier, parent = orgs.get(org_id, (None, None))
            if identifier:
                codes.append(str(identifier))
            org_id = parent
        return tuple(chain), tuple(codes)

    # ----------------------------------------------------------------- users
    def _users_by_id(self, ids: set[str]) -> dict[str, dict | None]:
        now = time.monotonic()
        found, missing = {}, []
        for sourced_id in ids:
            cached = self._users.get(sourced_id)
            if cached is not None and cached[0] > now:
                found[sourced_id] = cached[1]
            else:
                missing.append(sourced_id)
        if missing:
            rows = {
                row["_id"]: row
                for row in collection("users").find(
                    {"_id": {"$in": missing}}, {"primaryOrg": 1, "roles": 1, "email": 1, "status": 1}
                )
            }
            self.queries += 1
            for sourced_id in missing:
                row = rows.get(sourced_id)
                if row is not None and row.get("status") == "tobedeleted":
                    row = None
                found[sourced_id] = row
                self._users[sourced_id] = (now + USER_TTL, row)
        return found

    def _ids_by_email(self, emails: set[str]) -> dict[str, str | None]:
        now = time.monotonic()
        found, missing = {}, []
        for email in emails:
            cached = self._emails.get(email)
            if cached is not None and cached[0] > now:
                found[email] = cached[1]
            else:
                missing.append(email)
        if missing:
            owners: dict[str, list[str]] = {}
            variants = list({*missing, *(email.lower() for email in missing)})
            for row in collection("users").find({"email": {"$in": variants}}, {"email": 1}):
                owners.setdefault(row["email"].lower(), []).append(row["_id"])
            self.queries += 1
            for email in missing:
                matches = owners.get(email.lower(), [])
                # an address several users share links to none of them (gateway.oneroster.identity)
                found[email] = matches[0] if len(matches) == 1 else None
                self._emails[email] = (now + USER_TTL, found[email])
        return found

    def subjects(self, ids) -> dict[str, Subject]:
        """The roster users among `ids` (sourcedIds), as subjects; others absent."""
        result = {}
        for sourced_id, user in self._users_by_id(set(ids)).items():
            if user is not None:
                subject = user.get("_subject")
                if subject is None:  # computed once per cached user row
                    chain, codes = self._chain(home_org_id(user))
                    subject = user["_subject"] = Subject(sourced_id, chain, codes)
                result[sourced_id] = subject
        return result

    def agent_subjects(self, agents: list[dict]) -> list[Subject | None]:
        """The roster subject each agent is (None: not a roster user), by the identity rule:
        an account whose name is a user's sourcedId under that user's homePage, or an mbox."""
        names = {
            a["account"]["name"]
            for a in agents
            if isinstance(a.get("account"), dict) and "name" in a["account"]
        }
        emails = {
            a["mbox"][7:]
            for a in agents
            if isinstance(a.get("mbox"), str) and a["mbox"].startswith("mailto:")
        }
        by_email = self._ids_by_email(emails) if emails else {}
        subjects = self.subjects(names | {sid for sid in by_email.values() if sid})
        resolved = []
        for agent in agents:
            subject = None
            account = agent.get("account")
            if isinstance(account, dict) and account.get("name") in subjects:
                candidate = subjects[account["name"]]
                if candidate.orgs and self.home_page(candidate.orgs[0]) == account.get("homePage"):
                    subject = candidate
            elif isinstance(agent.get("mbox"), str):
                subject = subjects.get(by_email.get(agent["mbox"][7:]) or "")
            resolved.append(subject)
        return resolved
