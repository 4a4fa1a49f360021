"""Profile validation on ingest: a statement that declares the Kakehashi xAPI profile (its id in
`context.contextActivities.category`, xAPI Profiles 1.0 communication §1.2) must follow one of the
profile's statement templates. Statements that do not declare it pass untouched. What happens to
one that breaks its template is the writing client's choice (`ApiClient.profile_mode`): `strict`
rejects the whole batch (400 naming the statement and the rule), `lenient` stores it and the
response warns in the `X-Kakehashi-Profile-Warning` header."""

from __future__ import annotations

from functools import cache

from gateway.errors import BadRequest
from gateway.xapi_profile.templates import check_statement
from gateway.xapi_profile.validation import kakehashi_profile

WARNING_HEADER = "X-Kakehashi-Profile-Warning"
MAX_WARNING_CHARS = 2000  # proxies commonly cap a header line at 4-8 kB


@cache
def _declaring_ids() -> frozenset[str]:
    """The profile's id and its version ids: a category activity with one of them declares it."""
    profile = kakehashi_profile()
    return frozenset([profile["id"], *(version["id"] for version in profile.get("versions", ()))])


def declares_profile(statement: dict) -> bool:
    categories = ((statement.get("context") or {}).get("contextActivities") or {}).get("category") or ()
    if isinstance(categories, dict):
        categories = [categories]
    ids = _declaring_ids()
    return any(isinstance(activity, dict) and activity.get("id") in ids for activity in categories)


def profile_failures(statements: list[dict]) -> list[str]:
    """`statements[i]: <why>` for each statement that declares the profile and follows none of its
    templates (every rule it breaks, in the templates that select it)."""
    failures = []
    for index, statement in enumerate(statements):
        if not declares_profile(statement):
            continue
        template, problems = check_statement(kakehashi_profile(), statement)
        if template is None:
            failures += [f"statements[{index}]: {problem}" for problem in problems]
    return failures


def check_profile(statements: list[dict], mode: str) -> list[str]:
    """The warnings for a lenient client (empty when every declaring statement conforms); for a
    strict client, BadRequest (400) when one does not."""
    failures = profile_failures(statements)
    if failures and mode == "strict":
        raise BadRequest(
            "statement breaks the Kakehashi xAPI profile it declares: " + failures[0],
            details={"profile": kakehashi_profile()["id"], "failures": failures},
        )
    return failures


def warning_header(failures: list[str]) -> str:
    """The header value for lenient warnings: the count, then as many failures as fit, ASCII only
    (HTTP field values are not for non-ASCII text; IRIs and JSONPath are ASCII already)."""
    text = f"{len(failures)} profile rule failure(s): " + "; ".join(failures)
    text = text.encode("ascii", "backslashreplace").decode("ascii")
    return text if len(text) <= MAX_WARNING_CHARS else text[: MAX_WARNING_CHARS - 3] + "..."
