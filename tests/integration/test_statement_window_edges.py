"""A statement stored exactly on the boundary between two stored-time windows of a page read is
returned like any other (newest first and oldest first)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from gateway.lrs import repository


def _record(index: int, stored: datetime) -> dict:
    return {
        "_id": f"{index:08d}-0000-4000-8000-000000000000",
        "statement": {},
        "stored": stored,
        "voided": False,
        "received_digest": "x",
    }


@pytest.mark.parametrize("ascending", [False, True])
def test_a_statement_on_a_window_boundary_is_returned(app, ascending):
    newest = datetime.now(UTC).replace(microsecond=0)
    stored = [newest - timedelta(milliseconds=repository.FIRST_WINDOW_MS * k) for k in (0, 1, 3, 7)]
    records = [_record(index, moment) for index, moment in enumerate(stored)]
    with app.app_context():
        repository.insert(records)
        page = repository.find_page({}, ascending=ascending, limit=10, after=None)
    expected = sorted(records, key=lambda r: r["stored"], reverse=not ascending)
    assert [r["_id"] for r in page] == [r["_id"] for r in expected]
