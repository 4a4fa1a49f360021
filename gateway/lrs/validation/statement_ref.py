"""Statement References: the object of a voiding statement, or context.statement."""

from __future__ import annotations

from typing import Any

from gateway.lrs.validation.core import At, constant, json_object
from gateway.lrs.validation.formats import uuid


def statement_ref(value: object, at: At) -> dict[str, Any]:
    fields = json_object(value, at, ("objectType", "id"), required=("objectType", "id"))
    constant(fields["objectType"], at.key("objectType"), "StatementRef")
    uuid(fields["id"], at.key("id"))
    return fields
