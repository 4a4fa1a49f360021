"""A parsed statement query (GET /statements filters) and the lookup criteria it stands for."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from gateway.errors import BadRequest
from gateway.lrs.identifiers import agent_key


@dataclass(frozen=True)
class StatementQuery:
    """The filters of GET /statements, already parsed."""

    agent: dict | None = None
    verb: str | None = None
    activity: str | None = None
    registration: str | None = None
    related_activities: bool = False
    related_agents: bool = False
    since: datetime | None = None
    until: datetime | None = None
    limit: int = 0
    ascending: bool = False
    format: str = "exact"
    attachments: bool = False
    languages: tuple[str, ...] = field(default=())

    def criteria(self) -> dict:
        """Lookup conditions (field: value, see gateway.lrs.repository) and the stored range."""
        criteria: dict = {}
        if self.agent is not None:
            key = agent_key(self.agent)
            if key is None:
                raise BadRequest(
                    "agent must have an inverse functional identifier",
                    details={"parameter": "agent"},
                )
            criteria["related_agents" if self.related_agents else "agents"] = key
        if self.verb:
            criteria["verb"] = self.verb
        if self.activity:
            criteria["related_activities" if self.related_activities else "activities"] = self.activity
        if self.registration:
            criteria["registration"] = self.registration.lower()
        stored = {}
        if self.since:
            stored["$gt"] = self.since
        if self.until:
            stored["$lte"] = self.until
        if stored:
            criteria["stored"] = stored
        return criteria
