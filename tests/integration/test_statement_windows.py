"""Windowed statement reads return exactly what one sorted query would, in both orders."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from gateway.lrs import repository


@pytest.fixture
def spread_records(app):
    """300 records stored from years ago to now, unevenly, several sharing a millisecond."""
    rng = random.Random(3)
    now = datetime.now(UTC).replace(microsecond=0)
    offsets = [
        timedelta(days=rng.choice([0, 1, 30, 400, 3000])) + timedelta(seconds=rng.randrange(5))
        for _ in range(300)
    ]
    records = [
        {
            "_id": f"{index:08d}-0000-4000-8000-000000000000",
            "statement": {},
            "stored": now - offset,
            "voided": False,
            "received_digest": "x",
            "verb": "http://example.com/verbs/" + rng.choice("ab"),
        }
        for index, offset in enumerate(offsets)
    ]
    with app.app_context():
        repository.insert(records)
        yield records


def _expected(records, ascending, predicate=lambda r: True):
    chosen = [r for r in records if predicate(r)]
    return [r["_id"] for r in sorted(chosen, key=lambda r: (r["stored"], r["_id"]), reverse=not ascending)]


@pytest.mark.parametrize("ascending", [False, True])
def test_paging_through_windows_matches_a_full_sort(spread_records, ascending):
    seen, after = [], None
    while True:
        page = repository.find_page({}, ascending=ascending, limit=17, after=after)
        seen += [r["_id"] for r in page]
        if len(page) < 17:
            break
        after = page[-1]["position"]
    assert seen == _expected(spread_records, ascending)


def test_since_until_and_filters_apply_inside_windows(spread_records):
    times = sorted(r["stored"] for r in spread_records)
    since, until = times[50], times[250]
    criteria = {
        "verb": "http://example.com/verbs/a",
        "stored": {"$gt": since, "$lte": until},
    }
    for ascending in (False, True):
        page = repository.find_page(criteria, ascending=ascending, limit=1000, after=None)
        expected = _expected(
            spread_records,
            ascending,
            lambda r: r["verb"].endswith("/a") and since < r["stored"] <= until,
        )
        assert [r["_id"] for r in page] == expected
