"""The error, the location of a value in a statement, and JSON type checks shared by every xAPI object."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Collection
from typing import Any, NoReturn

from gateway.errors import BadRequest
from gateway.lrs.versions import XAPI_2_0_0

_PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_new_at = object.__new__


class StatementInvalid(BadRequest):
    """A statement breaks an xAPI rule; the message and details name the property (a JSON path)."""

    code = "invalid_statement"


class At:
    """Where a value sits (a JSON path such as statement.actor.mbox) and the xAPI version that judges it.

    The path is spelled out only when a rule fails: validation walks every property of every
    statement, and most statements are valid."""

    __slots__ = ("_parent", "_step", "version")

    def __init__(self, path: str, version: str, *, _parent: At | None = None, _step: object = None):
        self._parent = _parent
        self._step = path if _parent is None else _step
        self.version = version

    @property
    def path(self) -> str:
        if self._parent is None:
            return self._step
        if isinstance(self._step, int):
            return f"{self._parent.path}[{self._step}]"
        # Extension keys and language tags contain dots and dashes: quote them so the path stays readable.
        name = str(self._step)
        step = f".{name}" if _PLAIN_KEY.fullmatch(name) else f"[{json.dumps(name, ensure_ascii=False)}]"
        return self._parent.path + step

    @property
    def depth(self) -> int:
        """How many properties and items down from the statement this location is."""
        steps, at = 0, self
        while at._parent is not None:
            steps, at = steps + 1, at._parent
        return steps

    @property
    def is_2_0(self) -> bool:
        return self.version == XAPI_2_0_0

    def key(self, name: object) -> At:
        return self._child(name)

    def index(self, position: int) -> At:
        return self._child(position)

    def _child(self, step: object) -> At:
        # built without __init__: validation makes ~30 of these per statement
        child = _new_at(At)
        child._parent = self
        child._step = step
        child.version = self.version
        return child

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
