"""xAPI version negotiation and scope rules."""

from __future__ import annotations

import pytest

from gateway.auth.scopes import grants, parse_scopes
from gateway.errors import BadRequest
from gateway.lrs.versions import negotiate_version


@pytest.mark.parametrize(
    ("header", "served"),
    [("1.0.0", "1.0.3"), ("1.0.3", "1.0.3"), ("1.0", "1.0.3"), ("2.0.0", "2.0.0"), ("2.0", "2.0.0")],
)
def test_supported_versions(header, served):
    assert negotiate_version(header) == served


@pytest.mark.parametrize("header", [None, "", "0.95", "1.1.0", "1.0.4", "3.0.0", "two"])
def test_unsupported_versions_are_rejected(header):
    with pytest.raises(BadRequest):
        negotiate_version(header)


def test_scope_implications():
    assert grants(frozenset({"all"}), "state")
    assert grants(frozenset({"all/read"}), "statements/read")
    assert not grants(frozenset({"all/read"}), "statements/write")
    assert grants(frozenset({"statements/read"}), "statements/read")
    assert not grants(frozenset({"statements/read/mine"}), "statements/read")


def test_unknown_scopes_are_refused():
    with pytest.raises(ValueError, match="unknown scope"):
        parse_scopes("all statements/everything")
    assert parse_scopes("all  state") == frozenset({"all", "state"})
