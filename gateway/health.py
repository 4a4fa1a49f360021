"""Liveness and readiness probes for orchestrators and load balancers."""

from __future__ import annotations

import marshmallow as ma

from gateway.extensions import Blueprint
from gateway.storage.connection import is_reachable

blp = Blueprint("health", __name__, description="Liveness and readiness probes")


class HealthSchema(ma.Schema):
    status = ma.fields.String(required=True, metadata={"description": "`ok` or `unavailable`"})
    database = ma.fields.String(metadata={"description": "`reachable` or `unreachable`"})


@blp.route("/healthz")
@blp.response(200, HealthSchema)
def healthz():
    """The process is alive (does not touch the database)."""
    return {"status": "ok"}


@blp.route("/readyz")
@blp.response(200, HealthSchema)
@blp.alt_response(503, schema=HealthSchema, description="The database is unreachable")
def readyz():
    """The gateway can serve requests: the database answers `ping`."""
    if is_reachable():
        return {"status": "ok", "database": "reachable"}
    return {"status": "unavailable", "database": "unreachable"}, 503
