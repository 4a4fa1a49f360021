"""Explaining the release policy to an admin: for a client and a request, which data would be
released in which form, and the rule (and consent) that decides it. Reads only; records nothing."""

from __future__ import annotations

import uuid

from gateway.auth.documents import ApiClient
from gateway.auth.service import Principal
from gateway.errors import BadRequest, Forbidden, NotFound
from gateway.policy.engine import least_revealing
from gateway.policy.release import (
    ReleaseBatch,
    distinct_subjects,
    people,
    reference_decision,
    release_policy,
    require_roster_read,
    statement_agents,
    statement_decisions,
    statement_read_scope,
)

MAX_STATEMENTS = 100


def _principal(client_id: str) -> Principal:
    client = ApiClient.objects(client_id=client_id).first()
    if client is None:
        raise NotFound(f"no client {client_id!r}", details={"field": "client_id"})
    return Principal(
        client_id=client.client_id,
        name=client.name,
        role=client.role,
        scopes=frozenset(client.scopes),
        organisation=getattr(client, "organisation", None),
    )


def _decision(decision) -> dict:
    return decision.as_record()


def explain(client_id: str, resource: str, params: dict) -> dict:
    principal = _principal(client_id)
    policy = release_policy()
    recipient = {
        "client_id": principal.client_id,
        "role": principal.role,
        "organisation": principal.organisation,
        "purpose": policy.purpose_of(principal.client_id),
        "scopes": sorted(principal.scopes),
    }
    try:
        if resource == "xapi/statements":
            items = _explain_statements(policy, principal, params)
        elif resource.startswith("oneroster/"):
            items = _explain_roster(policy, principal, resource.split("/", 1)[1], params)
        else:
            raise BadRequest(
                f"unknown resource {resource!r} (xapi/statements or oneroster/<entity>)",
                details={"field": "resource"},
            )
    except Forbidden as refused:
        return {
            "recipient": recipient,
            "resource": resource,
            "scope": {"allowed": False, "reason": refused.message},
            "items": [],
        }
    return {"recipient": recipient, "resource": resource, "scope": {"allowed": True}, "items": items}


def _explain_statements(policy, principal, params: dict) -> list[dict]:
    from gateway.lrs import repository

    statement_read_scope(principal, "")  # Forbidden when no read scope
    unknown = set(params) - {"statementId", "limit"}
    if unknown:
        raise BadRequest(
            f"unknown params {sorted(unknown)} (statementId, limit)", details={"field": "params"}
        )
    if "statementId" in params:
        try:
            statement_id = str(uuid.UUID(str(params["statementId"])))
        except ValueError:
            raise BadRequest(
                "params.statementId must be a UUID", details={"field": "params.statementId"}
            ) from None
        record = repository.find_one(statement_id)
        if record is None:
            raise NotFound(f"no statement {statement_id}", details={"field": "params.statementId"})
        records = [record]
    else:
        limit = params.get("limit", 10)
        if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= MAX_STATEMENTS:
            raise BadRequest(
                f"params.limit must be an integer 1..{MAX_STATEMENTS}", details={"field": "params.limit"}
            )
        records = repository.find_page({}, ascending=False, limit=limit, after=None)
    statements = [record["statement"] for record in records]
    nodes = [statement_agents(statement) for statement in statements]
    resolved = iter(policy.directory.agent_subjects([agent for found in nodes for _p, agent in found]))
    about = [
        [(path, subject) for path, _agent in found for subject in people(next(resolved))] for found in nodes
    ]
    batch = ReleaseBatch(
        policy, principal, distinct_subjects(s for named in about for _p, s in named), record=False
    )
    items = []
    for statement, named in zip(statements, about, strict=True):
        subjects = distinct_subjects(subject for _path, subject in named)
        item = {
            "id": statement.get("id"),
            "subject": subjects[0].sourced_id if subjects else None,
            "subjects": [subject.sourced_id for subject in subjects],
        }
        if not subjects:
            item.update(form="identified", rule="not-a-roster-subject", fields=[])
        else:
            whole, fields = statement_decisions(batch, statement, subjects)
            kept = [d for _s, _i, d in fields if d.releases]
            item.update(
                profile=batch.profile_of(subjects[0]).name,
                statement=_decision(whole),
                fields=[_decision(d) | {"released": d.releases} for _s, _i, d in fields],
                form=least_revealing([whole, *kept]).form if whole.releases else whole.form,
                released=whole.releases,
            )
        items.append(item)
    return items


def _explain_roster(policy, principal, entity: str, params: dict) -> list[dict]:
    from gateway.oneroster import store
    from gateway.oneroster.repository import ENTITIES

    if entity not in ENTITIES:
        raise BadRequest(f"unknown OneRoster entity {entity!r}", details={"field": "resource"})
    require_roster_read(principal, "demographics" if entity == "demographics" else "core")
    sourced_id = params.get("sourcedId")
    if not isinstance(sourced_id, str) or not sourced_id:
        raise BadRequest(
            "params.sourcedId is required for a OneRoster resource", details={"field": "params.sourcedId"}
        )
    record = store.find_one(entity, sourced_id)
    if record is None:
        raise NotFound(f"no {entity} record {sourced_id!r}", details={"field": "params.sourcedId"})
    spec = policy.catalog.roster_entity(entity)
    if spec.subject is None:  # a reference record: decided as release_roster decides it
        whole = reference_decision(policy, principal, spec.record)
        return [
            {
                "id": sourced_id,
                "subject": None,
                "profile": policy.profiles.default.name,
                "record": _decision(whole),
                "released": whole.form == "identified",
                "fields": [],
            }
        ]
    subject_value = record.get(spec.subject) if spec.subject else None
    subject_id = subject_value.get("sourcedId") if isinstance(subject_value, dict) else subject_value
    subject = policy.directory.subject(subject_id) if subject_id else None
    if subject is None:
        return [
            {
                "id": sourced_id,
                "subject": None,
                "form": "identified",
                "rule": "not-a-roster-subject",
                "fields": [],
            }
        ]
    batch = ReleaseBatch(policy, principal, [subject], record=False)
    whole = batch.decide(subject, spec.record)
    fields = [batch.decide(subject, category, path) for path, category in spec.fields]
    return [
        {
            "id": sourced_id,
            "subject": subject.sourced_id,
            "profile": batch.profile_of(subject).name,
            "record": _decision(whole),
            "released": whole.form == "identified",
            "fields": [_decision(d) | {"released": d.form == "identified"} for d in fields],
        }
    ]
