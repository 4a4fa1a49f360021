"""Request parameters of the xAPI resources, checked as values of the same type are checked in
statements (xAPI 1.0.3 Data 2.2.s4.b4: "The LRS MUST validate parameter values to the same standards
required for values of the same types in Statements"); a failure is a 400 naming the parameter."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime

import isodate

from gateway.errors import BadRequest
from gateway.lrs.jsontext import parse_json
from gateway.lrs.validation.actors import IFIS, actor
from gateway.lrs.validation.actors import agent as plain_agent
from gateway.lrs.validation.core import At, StatementInvalid
from gateway.lrs.validation.formats import iri, timestamp
from gateway.lrs.validation.formats import uuid as uuid_format


def _invalid(name: str, message: str) -> BadRequest:
    return BadRequest(message, code="invalid_parameter", details={"parameter": name})


def _check(check: Callable[[object, At], object], value: object, name: str, version: str) -> None:
    try:
        check(value, At(name, version))
    except StatementInvalid as error:
        raise _invalid(name, error.message) from None


def iri_parameter(value: str, name: str, version: str) -> str:
    _check(iri, value, name, version)
    return value


def activity_id_parameter(value: str, version: str) -> str:
    return iri_parameter(value, "activityId", version)


def agent_parameter(text: str, version: str, *, groups: bool = True, name: str = "agent") -> dict:
    """A JSON Agent (or, where `groups`, an identified Group) with exactly one inverse functional
    identifier."""
    try:
        value = parse_json(text)
    except ValueError:
        raise _invalid(name, f"{name} must be a JSON Agent object") from None
    _check(actor if groups else plain_agent, value, name, version)
    if not any(identifier in value for identifier in IFIS):
        raise _invalid(
            name,
            f"{name} must have an inverse functional identifier (an anonymous Group cannot be used here)",
        )
    return value


def uuid_parameter(value: str, name: str, version: str) -> str:
    """A UUID, in its canonical lower-case form."""
    _check(uuid_format, value, name, version)
    return str(uuid.UUID(value))


def registration_parameter(value: str | None, version: str) -> str | None:
    return None if value is None else uuid_parameter(value, "registration", version)


def timestamp_parameter(value: str | None, name: str, version: str) -> datetime | None:
    """A Timestamp as statements have them (2.0 requires the time zone; a 1.0.3 timestamp without
    one is read as UTC)."""
    if value is None:
        return None
    _check(timestamp, value, name, version)
    try:
        moment = isodate.parse_datetime(value)
    except (ValueError, OverflowError):
        raise _invalid(name, f"{name} must be an ISO 8601 timestamp") from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
