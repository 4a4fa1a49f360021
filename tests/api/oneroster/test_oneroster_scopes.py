"""OneRoster scopes through the release hook: roster-core, roster and roster-demographics (1.1 and 1.2
URIs), 401 before 403 before 400, and what the hook withholds."""

from __future__ import annotations

import pytest

from tests.api.oneroster.conftest import OR11, OR12, V11, V12
from tests.conftest import basic_auth

CORE = "/users"
NESTED = "/schools/school-a/classes"
DEMOGRAPHICS = "/demographics"


def minor(response) -> str:
    return response.json["imsx_CodeMinor"]["imsx_codeMinorField"][0]["imsx_codeMinorFieldValue"]


@pytest.mark.parametrize(
    ("scope", "allowed"),
    [
        ("roster-core.readonly", {CORE}),
        ("roster.readonly", {CORE, NESTED}),
        ("roster-demographics.readonly", {DEMOGRAPHICS}),
    ],
)
def test_each_scope_grants_its_operations(client, roster, headers_with, scope, allowed):
    for prefix in (OR12, OR11):
        headers = headers_with(prefix + scope)
        for base in (V12, V11):
            for path in (CORE, NESTED, DEMOGRAPHICS, CORE + "/student-1", DEMOGRAPHICS + "/student-1"):
                response = client.get(base + path, headers=headers)
                expected = 200 if path.rsplit("/student-1", 1)[0] in allowed else 403
                assert response.status_code == expected, (prefix, base, path, response.json)
                if expected == 403:
                    assert minor(response) == "forbidden"
                    assert "roster" in response.json["imsx_description"]


def test_xapi_scopes_grant_no_roster_reads(client, roster, headers_with):
    for scope in ("all", "all/read", "statements/read"):
        assert client.get(V12 + CORE, headers=headers_with(scope)).status_code == 403


def test_authentication_comes_first(client, roster, roster_headers):
    missing = client.get(f"{V12}/users?filter=broken")
    assert missing.status_code == 401 and minor(missing) == "unauthorisedrequest"
    assert 'realm="Kakehashi OneRoster"' in missing.headers["WWW-Authenticate"]
    wrong = client.get(f"{V12}/users", headers=basic_auth("nobody", "wrong"))
    assert wrong.status_code == 401 and minor(wrong) == "unauthorisedrequest"
    unknown_path = client.get(f"{V12}/users/nobody")
    assert unknown_path.status_code == 401


def test_scope_is_checked_before_the_parameters_and_the_path(client, roster, headers_with):
    core_only = headers_with(OR12 + "roster-core.readonly")
    assert client.get(f"{V12}{NESTED}?filter=broken", headers=core_only).status_code == 403
    assert client.get(f"{V12}/schools/nowhere/classes", headers=core_only).status_code == 403


def test_release_roster_withholds_passwords_and_checks_the_scope():
    from gateway.auth.service import Principal
    from gateway.errors import Forbidden
    from gateway.policy.release import release_roster

    reader = Principal("c", "reader", "provider", frozenset({OR12 + "roster.readonly"}))
    users = [{"sourcedId": "u", "password": "p", "givenName": "g"}]
    assert release_roster(reader, "roster", "users", users) == [{"sourcedId": "u", "givenName": "g"}]
    with pytest.raises(Forbidden):
        release_roster(reader, "demographics", "demographics", [{"sourcedId": "u"}])
