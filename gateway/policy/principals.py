"""Who a gateway-API request acts for: the client, and (with an OAuth2 token issued through the
authorization_code flow) the roster user it acts for and the user who authorised it."""

from __future__ import annotations

from gateway.auth.documents import ApiClient
from gateway.errors import Forbidden


def acting_subject(principal) -> str | None:
    """The roster user sourcedId the token acts for (Principal.subject), None for a plain client."""
    return getattr(principal, "subject", None)


def acting_actor(principal) -> str | None:
    """Who authorised the token (student or guardian): Principal.actor, else the subject."""
    return getattr(principal, "actor", None) or acting_subject(principal)


def organisation_of(principal) -> str | None:
    """The roster org sourcedId of the client's organisation (Principal.organisation, else the registry)."""
    organisation = getattr(principal, "organisation", None)
    if organisation:
        return organisation
    client = ApiClient.objects(client_id=principal.client_id).only("organisation").first()
    return client.organisation if client else None


def require_scope(principal, scope: str, action: str = "do this") -> None:
    """Gateway scopes are granted by name only (xAPI's `all` does not imply them). `action` says
    what the scope allows, for the message."""
    if scope not in principal.scopes:
        raise Forbidden(
            f"this client may not {action} (needs scope {scope})",
            code="insufficient_scope",
            details={"required_scope": [scope]},
        )


def require_subject(principal, scope: str = "me") -> str:
    """The subject of a `/me` request: a token acting for a roster user, with scope `scope`."""
    require_scope(principal, scope)
    subject = acting_subject(principal)
    if not subject:
        raise Forbidden(
            "this endpoint needs an OAuth2 token acting for a student (authorization_code flow)",
            code="subject_required",
        )
    return subject
