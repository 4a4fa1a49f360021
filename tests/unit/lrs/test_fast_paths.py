"""The fast paths of request parsing agree with the strict readers they stand in front of."""

from __future__ import annotations

import isodate
import pytest

from gateway.lrs.jsontext import parse_json
from gateway.lrs.validation.formats import parse_datetime


@pytest.mark.parametrize(
    "body, expected",
    [
        (b'[{"a": 1.5, "b": [true, null]}]', [{"a": 1.5, "b": [True, None]}]),
        (b"[9223372036854775807]", [9223372036854775807]),
        (b"[9223372036854775808]", [9.223372036854776e18]),  # beyond int64: a double, as before
        (b"[18446744073709551615]", [1.8446744073709552e19]),
        (b'["12345678901234567890"]', ["12345678901234567890"]),
    ],
)
def test_json_bodies_read_as_the_strict_reader_reads_them(body, expected):
    assert parse_json(body) == expected
    assert [type(item) for item in parse_json(body)] == [type(item) for item in expected]


@pytest.mark.parametrize("body", [b"[NaN]", b"[Infinity]", b"[1e999]", b"\xff", b"[1,]"])
def test_json_bodies_the_strict_reader_refuses_are_refused(body):
    with pytest.raises(ValueError):
        parse_json(body)


@pytest.mark.parametrize(
    "value",
    [
        "2026-09-01T10:15:00Z",
        "2026-09-01T10:15:00.123456789Z",
        "2026-09-01T10:15:00.5+09:00",
        "2026-09-01T10:15:00-05:30",
        "2026-09-01T10:15:00-00:00",
        "2026-09-01T10:15:00",  # no offset: isodate
        "20260901T101500Z",  # basic format: isodate
    ],
)
def test_date_times_read_as_isodate_reads_them(value):
    assert parse_datetime(value) == isodate.parse_datetime(value)
    assert (parse_datetime(value).tzinfo is None) == (isodate.parse_datetime(value).tzinfo is None)


@pytest.mark.parametrize("value", ["2026-02-30T10:15:00Z", "2026-09-01T24:00:00Z", "2026-09-01T10:15:60Z"])
def test_impossible_date_times_are_refused(value):
    with pytest.raises(ValueError):
        parse_datetime(value)
