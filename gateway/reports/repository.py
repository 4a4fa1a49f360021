"""What a class report reads: the class, its students (roster enrollments), their agents (the
identity rule) and their statements (the LRS)."""

from __future__ import annotations

from gateway.lrs import repository as lrs_repository
from gateway.lrs.identifiers import agent_key
from gateway.oneroster import identity, store

WITHDRAWN = "tobedeleted"


def find_class(sourced_id: str) -> dict | None:
    klass = store.find_one("classes", sourced_id)
    return None if klass is None or klass.get("status") == WITHDRAWN else klass


def class_students(class_id: str) -> list[dict]:
    """The users with a student enrollment in the class (each once, enrollment kept as `_enrollment`)."""
    enrollments = [
        enrollment
        for enrollment in store.find_by_field("enrollments", "class.sourcedId", [class_id])
        if enrollment.get("role") == "student" and enrollment.get("status") != WITHDRAWN
    ]
    by_user = {e["user"]["sourcedId"]: e for e in enrollments if isinstance(e.get("user"), dict)}
    users = store.find_by_field("users", "_id", list(by_user))
    return [
        {**user, "_enrollment": by_user[user["_id"]]} for user in users if user.get("status") != WITHDRAWN
    ]


def statements_of(students: list[dict]) -> dict[str, list[dict]]:
    """Per student sourcedId, the statements the student is the actor of (not voided), oldest
    stored first: one read of the LRS for the whole class."""
    owner: dict[str, str] = {}
    pages: dict[str, str] = {}  # home org → homePage: one look-up per org, not per student
    # as the identity rule: an mbox is the student's when the address is theirs alone
    own_address = identity.owning_their_address(students)
    for user in students:
        org = identity.home_org_id(user)
        agents = []
        if org is not None:
            if org not in pages:
                pages[org] = identity.home_page(org)
            agents.append(identity.account_agent(user["_id"], pages[org]))
        if user["_id"] in own_address:
            agents.append({"mbox": f"mailto:{user['email']}"})
        for agent in agents:
            owner[agent_key(agent)] = user["_id"]
    found: dict[str, list[dict]] = {user["_id"]: [] for user in students}
    for record in lrs_repository.records_of_agents(owner):
        statement = record["statement"]
        if record.get("voided") or (statement.get("verb") or {}).get("id", "").endswith("/voided"):
            continue
        student = owner.get(agent_key(statement.get("actor")) or "")
        if student is not None:
            found[student].append(statement)
    return found
