"""What targeting needs from stored statements: their lookup fields, their target chains
(`targets`) and their own verb; and the values a stored targeting statement adopts."""

from __future__ import annotations

from collections.abc import Iterable

from gateway.lrs import repository

# The lookup fields a statement query filters on (see gateway.lrs.identifiers.index_fields).
LOOKUP_FIELDS = ("verb", "agents", "related_agents", "activities", "related_activities", "registration")


def find(ids: Iterable[str]) -> dict[str, dict]:
    """The stored statements among `ids`: lookup fields, target chain, voided, own verb."""
    return repository.find_by_ids(ids)


def find_targeting(ids: Iterable[str]) -> list[dict]:
    """The stored statements whose target chain holds any of `ids` (statements that arrived
    before what they target)."""
    return repository.find_targeting(ids)


def await_targets(ids: Iterable[str]) -> list[str]:
    """Registers targets not stored yet as awaited; returns those stored meanwhile."""
    return repository.await_statements(ids)


def release_awaited(ids: Iterable[str]) -> list[str]:
    """Removes the awaited markers of statements about to be stored; returns the ids that had one."""
    return repository.release_awaited(ids)


def mark_voided(ids: list[str]) -> None:
    repository.mark_voided(ids)


def extend_targeting(extensions: list[tuple[str, dict[str, list], list[str]]]) -> None:
    """For each (target id, lookup values, chain): every statement whose chain holds the target
    gains those lookup values and that chain."""
    for target, values, chain in extensions:
        holders = repository.find_targeting([target])
        repository.adopt(
            [(record["position"][0], record["_id"]) for record in holders],
            {**values, "targets": chain},
        )
