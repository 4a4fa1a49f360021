"""The error, the location of a value in a statement, and JSON type checks shared by every xAPI object."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any, NoReturn

from gateway.errors import BadRequest
from gateway.lrs.versions import XAPI_2_0_0

_PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class StatementInvalid(BadRequest):
    """A statement breaks an xAPI rule; the message and details name the property (a JSON path)."""

    code = "invalid_statement"


@dataclass(frozen=True, slots=True)
class At:
    """Where a value sits (a JSON path such as statement.actor.mbox) and the xAPI version that judges it."""

    path: str
    version: str

    @property
    def is_2_0(self) -> bool:
        return self.version == XAPI_2_0_0

    def key(self, name: object) -> At:
        # Extension keys and language tags contain dots and dashes: quote them so the path stays readable.
        name = str(name)
        step = f".{name}" if _PLAIN_KEY.fullmatch(name) else f"[{json.dumps(name, ensure_ascii=False)}]"
        return At(self.path + step, self.version)

    def index(self, position: int) -> At:
        return At(f"{self.path}[{position}]", self.version)

    def fail(self, why: str) -> NoReturn:
        raise StatementInvalid(f"{self.path} {why}", details={"property": self.path})


def json_object(
    value: object, at: At, allowed: Collection[str], required: Collection[str] = ()
) -> dict[str, Any]:
    """A JSON object holding only the allowed properties, none of them null, with every required one."""
    if not isinstance(value, dict):
        at.fail("must be a JSON object")
    for name, item in value.items():
        if name not in allowed:
            at.key(name).fail("is not an allowed property here")
        if item is None:
            at.key(name).fail("must not be null")
    for name in required:
        if name not in value:
            at.key(name).fail("is required")
    return value


def json_array(value: object, at: At, *, non_empty: bool = False) -> list[Any]:
    if not isinstance(value, list):
        at.fail("must be an array")
    if non_empty and not value:
        at.fail("must not be empty")
    return value


def string(value: object, at: At) -> str:
    if not isinstance(value, str):
        at.fail("must be a string")
    return value


def boolean(value: object, at: At) -> bool:
    if not isinstance(value, bool):
        at.fail("must be true or false")
    return value


def number(value: object, at: At) -> float:
    # bool is an int in Python but true/false are not JSON numbers; NaN/Infinity are not JSON at all.
    if isinstance(value, bool) or not isinstance(value, int | float):
        at.fail("must be a number")
    if isinstance(value, float) and not math.isfinite(value):
        at.fail("must be a finite number")
    return value


def integer(value: object, at: At) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        at.fail("must be an integer")
    return value


def constant(value: object, at: At, expected: str) -> None:
    """An enumerated string such as objectType: exact, case-sensitive match."""
    if value != expected:
        at.fail(f"must be {json.dumps(expected)}")
