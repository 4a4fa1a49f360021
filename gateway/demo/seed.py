"""Loading the demo data set: roster, demo clients with printable credentials, learning statements."""

from __future__ import annotations

import tempfile
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from flask import Flask

from gateway.auth.documents import ApiClient
from gateway.auth.service import Principal, register_client
from gateway.demo.documents import DemoDataset
from gateway.demo.roster import DemoRoster, build_roster, write_csv_set
from gateway.demo.statements import build_statements, sender_of
from gateway.lrs.service import WriteContext, store_statements
from gateway.lrs.versions import XAPI_2_0_0

# Bump when the generated data changes, so existing demo databases load the new set.
DEMO_DATA_VERSION = 2  # 2: statements stored in batches (xapi_statement_batches)
BATCH_SIZE = 500
SCHOOL_SCOPES = (
    "statements/write statements/read state profile reports.read "
    "https://purl.imsglobal.org/spec/or/v1p2/scope/roster.readonly"
)
# The month the demo's monthly class report shows first: the statements run from September to
# November 2026, and October has the 中間考査 as well as a 模試-free month of study.
DEMO_REPORT_MONTH = "2026-10"
# The demo student app: a public OAuth2 client (no secret, PKCE S256) redirecting to a loopback URI
# (RFC 8252 §7.3), and the roster users who log in at /oauth/authorize with a printed password.
DEMO_STUDENT_APP_ID = "demo-student-app"
DEMO_STUDENT_APP_REDIRECT_URI = "http://127.0.0.1:8765/callback"
DEMO_STUDENT_APP_SCOPE = "statements/read me"
DEMO_OWNER_PASSWORD = "kakehashi-demo"


@dataclass(frozen=True)
class DemoClient:
    """A demo client. Its secret is fixed and printed by `make demo`: demo use only."""

    client_id: str
    name: str
    role: str
    scope: str
    organisation: str | None = None

    @property
    def client_secret(self) -> str:
        return f"{self.client_id}-secret"

    @property
    def principal(self) -> Principal:
        return Principal(self.client_id, self.name, self.role, frozenset(self.scope.split()))


def demo_clients(roster: DemoRoster) -> list[DemoClient]:
    juku, vendor = roster.provider("juku"), roster.provider("exam_vendor")
    board = next(org for org in roster.orgs if org["type"] == "district")
    clients = [
        DemoClient(
            "demo-juku",
            juku["name"],
            "provider",
            "statements/write statements/read/mine state profile define",
            juku["sourcedId"],
        ),
        DemoClient(
            "demo-exam-vendor",
            vendor["name"],
            "provider",
            "statements/write statements/read/mine define",
            vendor["sourcedId"],
        ),
    ]
    for number, school in enumerate(roster.schools(), start=1):
        clients.append(
            DemoClient(f"demo-school-{number}", school["name"], "school", SCHOOL_SCOPES, school["sourcedId"])
        )
    clients.append(
        DemoClient(
            "demo-board", board["name"], "board", "all/read reports.read audit.read", board["sourcedId"]
        )
    )
    # the deployment administrator: no organisation, so it reads the whole audit log and may explain
    clients.append(DemoClient("demo-admin", "Kakehashi demo administrator", "board", "all audit.read"))
    return clients


@dataclass
class SeedSummary:
    counts: dict[str, int] = field(default_factory=dict)
    already_loaded: bool = False

    def lines(self) -> list[str]:
        if self.already_loaded:
            return [f"Demo data (version {DEMO_DATA_VERSION}) is already loaded; --force loads it again."]
        lines = ["Demo data loaded:"]
        lines += [f"  {name:<32} {count:>7,}" for name, count in self.counts.items()]
        return lines


def demo_reports(roster: DemoRoster) -> list[dict]:
    """The monthly class report of each school's first 数学Ⅰ class, and who may read it."""
    reports = []
    for number, school in enumerate(roster.schools(), start=1):
        klass = next(
            c
            for c in roster.classes
            if c["schoolSourcedId"] == school["sourcedId"] and c["title"].endswith("数学Ⅰ")
        )
        path = f"/reports/classes/{klass['sourcedId']}/monthly?month={DEMO_REPORT_MONTH}"
        reports.append({"title": klass["title"], "path": path, "client_id": f"demo-school-{number}"})
    return reports


def demo_logins(roster: DemoRoster) -> list[dict]:
    """Two students old enough to consent alone (KAKEHASHI_CONSENT_MIN_AGE, 15) and one guardian."""
    from gateway.policy.consent import age_on, min_age

    born = {record["sourcedId"]: record.get("birthDate") for record in roster.demographics}
    today = datetime.now(UTC).date()
    old_enough = [s for s in roster.students() if (age_on(born.get(s["sourcedId"]), today) or 0) >= min_age()]
    students = old_enough[:2]
    guardian = roster.guardians()[0]
    child = next(user for user in roster.users if user["sourcedId"] == guardian["agentSourcedIds"])
    logins = [{"username": s["username"], "role": "student", "for": s["username"]} for s in students]
    logins.append({"username": guardian["username"], "role": "guardian", "for": child["username"]})
    return [{**login, "password": DEMO_OWNER_PASSWORD} for login in logins]


def set_demo_passwords(roster: DemoRoster) -> list[dict]:
    """Sets the demo logins' passwords (the roster must be loaded)."""
    from gateway.auth.owners import set_password

    logins = demo_logins(roster)
    for login in logins:
        set_password(login["username"], login["password"])
    return logins


def register_demo_student_app(roster: DemoRoster) -> dict:
    juku = roster.provider("juku")
    ApiClient.objects(client_id=DEMO_STUDENT_APP_ID).delete()
    register_client(
        f"{juku['name']} まなびアプリ",
        "student_app",
        DEMO_STUDENT_APP_SCOPE,
        client_id=DEMO_STUDENT_APP_ID,
        organisation=juku["sourcedId"],
        grant_types=["authorization_code", "refresh_token"],
        redirect_uris=[DEMO_STUDENT_APP_REDIRECT_URI],
        purpose="learning-support",
        public=True,
    )
    return {
        "name": f"{juku['name']} まなびアプリ",
        "client_id": DEMO_STUDENT_APP_ID,
        "client_secret": None,
        "role": "student_app",
        "scope": DEMO_STUDENT_APP_SCOPE,
        "redirect_uri": DEMO_STUDENT_APP_REDIRECT_URI,
    }


def register_demo_clients() -> list[dict]:
    """Registers the demo clients (fixed, printable credentials) and returns their credentials."""
    roster = build_roster()
    clients = demo_clients(roster)
    for client in clients:
        ApiClient.objects(client_id=client.client_id).delete()
        register_client(
            client.name,
            client.role,
            client.scope,
            client_id=client.client_id,
            client_secret=client.client_secret,
            organisation=client.organisation,
        )
    return [
        {
            "name": c.name,
            "client_id": c.client_id,
            "client_secret": c.client_secret,
            "role": c.role,
            "scope": c.scope,
        }
        for c in clients
    ] + [register_demo_student_app(roster)]


def _load_roster(roster: DemoRoster, counts: dict[str, int]) -> None:
    """The roster goes in the way a school's would: written as a Japan Profile CSV file set and
    imported by the OneRoster importer (validation included). Loading it again changes nothing."""
    from adapters.oneroster.importer import import_roster

    with tempfile.TemporaryDirectory(prefix="kakehashi-demo-roster-") as directory:
        write_csv_set(roster, Path(directory))
        result = import_roster(Path(directory), profile="jp")
    if result.rejected:
        raise RuntimeError(f"the demo roster does not import:\n{result.issues_table('en')}")
    for entity, entity_counts in result.counts.items():
        counts[entity] = entity_counts.created + entity_counts.updated + entity_counts.unchanged


def seed_demo(app: Flask, *, force: bool = False) -> SeedSummary:
    """Loads the deterministic demo data unless this version is already loaded. Loading again
    changes nothing (same ids, same content). Each statement is sent by the client that would
    send it: the juku app, the mock-exam vendor, or the student's school (定期考査)."""
    marker = DemoDataset.objects(name="demo").first()
    if marker and marker.version == DEMO_DATA_VERSION and not force:
        set_demo_passwords(build_roster())
        return SeedSummary(already_loaded=True)
    summary = SeedSummary()
    roster = build_roster()
    clients = demo_clients(roster)
    register_demo_clients()
    _load_roster(roster, summary.counts)
    summary.counts["demo logins (OAuth2)"] = len(set_demo_passwords(roster))
    by_organisation = {client.organisation: client for client in clients if client.organisation}
    batches: dict[str, list[dict]] = defaultdict(list)
    for statement in build_statements(roster):
        batches[by_organisation[sender_of(statement, roster)["sourcedId"]].client_id].append(statement)
    for client in clients:
        statements = batches.get(client.client_id, [])
        context = WriteContext(client.principal, XAPI_2_0_0, app.config["KAKEHASHI_PUBLIC_URL"])
        for start in range(0, len(statements), BATCH_SIZE):
            store_statements(statements[start : start + BATCH_SIZE], context)
        if statements:
            summary.counts[f"statements ({client.client_id})"] = len(statements)
    DemoDataset(name="demo", version=DEMO_DATA_VERSION, loaded_at=datetime.now(UTC)).save()
    return summary
