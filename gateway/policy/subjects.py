"""Who released data is about: xAPI agents and roster user ids → roster users → home org → board
code → security profile, in batched lookups with a short per-app cache (a 100-statement page costs
a constant number of queries, usually none).

An agent is about the roster user the identity rule ties it to (gateway.oneroster.identity). An
mbox several users share (a family address) ties it to none of them, yet data naming it may be
about any of them: for release it is about all of them (agent_subjects gives them as a tuple), and
is decided for each."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from gateway.oneroster.documents import OrgIdentity
from gateway.oneroster.identity import (
    default_home_page,
    email_key,
    home_org_id,
    mbox_address,
    owners_by_email,
    same_home_page,
)
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
        self._emails: dict[str, tuple[float, tuple[str, ...]]] = {}
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
        return default_home_page({"identifier": identifier, "sourcedId": org_id})

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
                    {"_id": {"$in": missing}}, {"primaryOrg": 1, "roles": 1, "email": 1}
                )
            }
            self.queries += 1
            for sourced_id in missing:
                # a user marked tobedeleted is still a person: their data stays under the policy
                row = rows.get(sourced_id)
                found[sourced_id] = row
                self._users[sourced_id] = (now + USER_TTL, row)
        return found

    def _ids_by_email(self, keys: set[str]) -> dict[str, tuple[str, ...]]:
        """email_key → the sourcedIds of the users with that address (one, several, or none)."""
        now = time.monotonic()
        found, missing = {}, []
        for key in keys:
            cached = self._emails.get(key)
            if cached is not None and cached[0] > now:
                found[key] = cached[1]
            else:
                missing.append(key)
        if missing:
            owners = owners_by_email(missing, {"email": 1})
            self.queries += 1
            for key in missing:
                found[key] = tuple(sorted(user["_id"] for user in owners.get(key, ())))
                self._emails[key] = (now + USER_TTL, found[key])
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

    def subject(self, sourced_id: str) -> Subject | None:
        """The roster user `sourced_id` as a subject, or None when there is no such user."""
        return self.subjects([sourced_id]).get(sourced_id)

    def agent_subjects(self, agents: list[dict]) -> list[Subject | tuple[Subject, ...] | None]:
        """Whom each agent is about: the roster subject it is, by the identity rule of
        gateway.oneroster.identity (as `user_for_agent`: an account whose name is a user's sourcedId
        and whose homePage is that user's, else an mbox with the e-mail address of one user); a
        tuple of the subjects when its mbox is an address several users share (a family address:
        it identifies none of them, but may be about any of them); None when it is no roster user."""
        accounts = [agent.get("account") for agent in agents]
        emails = [
            None if isinstance(account, dict) else email_key(mbox_address(agent) or "")
            for agent, account in zip(agents, accounts, strict=True)
        ]
        by_email = self._ids_by_email({email for email in emails if email})
        names = {str(account.get("name", "")) for account in accounts if isinstance(account, dict)}
        subjects = self.subjects(names.union(*by_email.values()))
        homes: dict[tuple[str, str], bool] = {}  # (org, homePage given) → same home page
        return [
            self._account_subject(account, subjects, homes)
            if isinstance(account, dict)
            else self._email_subjects(by_email.get(email) or (), subjects)
            for account, email in zip(accounts, emails, strict=True)
        ]

    @staticmethod
    def _email_subjects(
        ids: tuple[str, ...], subjects: dict[str, Subject]
    ) -> Subject | tuple[Subject, ...] | None:
        found = tuple(subjects[sourced_id] for sourced_id in ids if sourced_id in subjects)
        return (found[0] if len(found) == 1 else found) if found else None

    def _account_subject(
        self, account: dict, subjects: dict[str, Subject], homes: dict[tuple[str, str], bool]
    ) -> Subject | None:
        subject = subjects.get(str(account.get("name", "")))
        if subject is None or not subject.orgs:
            return None
        given = str(account.get("homePage", ""))
        same = homes.get((subject.orgs[0], given))
        if same is None:
            same = homes[(subject.orgs[0], given)] = same_home_page(self.home_page(subject.orgs[0]), given)
        return subject if same else None
