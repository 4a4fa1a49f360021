"""Targeting rules. A statement whose object is a StatementRef (the targeting statement) meets a
query's filter condition when the statement it targets meets it, recursively (xAPI 1.0.3
Communication 2.1.3.s3: "For filter parameters which are not time or sequence based ...
Statements which target another Statement ... will meet the filter condition if the targeted
Statement meets the filter condition"). Each condition is judged this way on its own, as the text
says: "Andrew confirmed <Ben passed explosives training>" matches agent=Andrew and
activity=explosives training together.

So a targeting statement's lookup fields hold its own values and those of its whole target chain
(`targets`: the ids, nearest first), and every query keeps using the same indexes, with no second
query and no $or. since, until and limit apply to the targeting statement itself, as the spec
requires, because `stored` is its own. Targets count whether voided or not (a voiding statement is
found through the statement it voids). When a target arrives after the statements that target it,
they gain its values then; and it is stored voided if one of them voided it (a voiding statement
"SHOULD NOT* be rejected" for its target not being present, Data 2.3.2).

Such forward references are rare, so a write does not look for them: a statement whose target is
missing registers that target as awaited after it is stored (gateway.lrs.repository), and the
target's own insert then fails on the unique statement-id index, which sends its writer through
the look-up (release_awaited, adopt_earlier_targeting). A target stored between the two steps is
seen by the registration, which links it up itself (link_arrived)."""

from __future__ import annotations

from gateway.lrs.repository import lookup_values
from gateway.lrs.targeting import repository
from gateway.lrs.targeting.repository import LOOKUP_FIELDS
from gateway.lrs.validation.statement import VOIDED_VERB


def target_of(statement: dict) -> str | None:
    """The id a statement targets (its object is a StatementRef), lower case, or None."""
    target = statement.get("object") or {}
    if target.get("objectType") != "StatementRef":
        return None
    return str(target["id"]).lower()


def _own_verb(record: dict) -> str | None:
    return ((record.get("statement") or {}).get("verb") or {}).get("id")


def link_targets(records: list[dict]) -> dict[str, dict]:
    """Before insert: gives each targeting record of the batch its target chain and the lookup
    values of that chain (the targets stored or in the batch). Returns the stored targets
    (with their own verb and voided state) by id."""
    batch = {record["_id"]: record for record in records}
    wanted = {target_of(r["statement"]) for r in records} - {None} - batch.keys()
    stored = repository.find(wanted)
    linked: dict[str, tuple[dict[str, list], list[str]]] = {}

    def resolve(record_id: str, visiting: frozenset[str]) -> tuple[dict[str, list], list[str]]:
        """(lookup values, chain) of a statement, its own values included."""
        if record_id in linked:
            return linked[record_id]
        record = batch.get(record_id) or stored.get(record_id)
        if record is None:  # not stored yet: its values arrive with it
            return {name: [] for name in LOOKUP_FIELDS}, []
        values = {name: lookup_values(record, name) for name in LOOKUP_FIELDS}
        chain = list(record.get("targets") or [])
        target = target_of(record["statement"]) if record_id in batch else None
        if target is not None and target not in visiting:
            target_values, target_chain = resolve(target, visiting | {record_id})
            values = {name: _union(values[name], target_values[name]) for name in LOOKUP_FIELDS}
            chain = _union([target], target_chain)
        linked[record_id] = (values, chain)
        return values, chain

    for record in records:
        if target_of(record["statement"]) is not None:
            values, chain = resolve(record["_id"], frozenset())
            record.update(values)
            record["targets"] = chain
    return stored


def adopt_earlier_targeting(records: list[dict]) -> list[tuple[str, dict[str, list], list[str]]]:
    """Before insert: marks voided the records of the batch that an already stored statement voids,
    and returns what the stored statements targeting them must gain (see apply_adoptions)."""
    ids = [record["_id"] for record in records]
    earlier = repository.find_targeting(ids)
    if not earlier:
        return []
    batch = {record["_id"]: record for record in records}
    for statement in earlier:
        target = statement["targets"][0]
        if _own_verb(statement) == VOIDED_VERB and target in batch:
            voided = batch[target]
            if _own_verb(voided) != VOIDED_VERB:  # a voiding statement cannot be voided
                voided["voided"] = True
    targeted = {target for statement in earlier for target in statement["targets"]} & batch.keys()
    return [
        (
            target,
            {name: lookup_values(batch[target], name) for name in LOOKUP_FIELDS},
            list(batch[target].get("targets") or []),
        )
        for target in targeted
    ]


def await_missing_targets(records: list[dict], stored: dict[str, dict]) -> None:
    """After insert: registers the targets of the new `records` that are neither stored (`stored`,
    from link_targets) nor among them as awaited, and links up those stored meanwhile."""
    batch = {record["_id"] for record in records}
    missing = {target_of(record["statement"]) for record in records} - {None} - batch - stored.keys()
    link_arrived(repository.await_targets(sorted(missing)))


def link_arrived(ids: list[str]) -> None:
    """Statements `ids` were stored without their writer seeing they were awaited: the stored
    statements targeting them gain their values and chains, and are voided by them if so."""
    if not ids:
        return
    arrived = repository.find(ids)
    apply_adoptions(
        [
            (
                target,
                {name: lookup_values(record, name) for name in LOOKUP_FIELDS},
                list(record.get("targets") or []),
            )
            for target, record in arrived.items()
        ]
    )
    repository.mark_voided(
        [
            statement["targets"][0]
            for statement in repository.find_targeting(arrived)
            if _own_verb(statement) == VOIDED_VERB
            and statement["targets"][0] in arrived
            and _own_verb(arrived[statement["targets"][0]]) != VOIDED_VERB
        ]
    )


def release_awaited(records: list[dict]) -> list[str]:
    """Before an insert that met a stored or awaited id: removes the markers of the new records
    (look-ups follow: adopt_earlier_targeting); returns the ids that had one."""
    return repository.release_awaited([record["_id"] for record in records])


def restore_awaited(ids: list[str]) -> None:
    """Markers released for statements that were not stored after all: registered again."""
    link_arrived(repository.await_targets(ids))


def apply_adoptions(adoptions: list[tuple[str, dict[str, list], list[str]]]) -> None:
    """After insert: the stored statements targeting the new ones gain their values and chains."""
    repository.extend_targeting(adoptions)


def own_verbs(stored: dict[str, dict]) -> dict[str, str | None]:
    return {record_id: _own_verb(record) for record_id, record in stored.items()}


def _union(first: list, second: list) -> list:
    return list(dict.fromkeys([*first, *second]))
