"""Identity linking: the xAPI agent a OneRoster user is, and the OneRoster user an xAPI agent is.

The rule (used wherever a statement is tied to a roster user, the demo data included):

1. A user's *home org* is its `primaryOrg`; without one, the org of its first `primary` role; without
   one, the org of its first role. A user with no org has no agent.
2. The home org's *homePage* is the one configured for that org (`set_home_page`), else the default
   `https://id.<identifier in lower case>.kakehashi.example`: for a school its 13-character
   学校コード (D122299000010 → https://id.d122299000010.kakehashi.example), for a board of education
   its 教育委員会コード. An org without an identifier (or not in the roster) uses its sourcedId there.
3. The user's agent is `{"objectType": "Agent", "account": {"homePage": <homePage>, "name":
   <sourcedId>}}`. The account is what statements carry: stable across renames and e-mail changes,
   and no personal data in the identifier (a sourcedId carries none, as OneRoster requires).
4. A user with an `email` is also the agent `{"mbox": "mailto:<email>"}`: `agents_for_user` lists
   both, `person_for_user` gives the xAPI Person object with both, and `user_for_agent` accepts either.
   (xAPI allows one identifier per Agent object, so the account stays the one the gateway writes.)

Lookups the other way (`user_for_agent`): an account is the user whose sourcedId is its `name` and
whose homePage (by the rule above) is its `homePage`, compared without regard to case or a trailing
slash; an mbox is the one user with that e-mail
address (compared without regard to case); an address several users share links to none of them,
and `mbox_sha1sum`/`openid` agents are not linked. The release policy (gateway.policy.subjects)
makes the same lookups in batches, with the same helpers: `same_home_page`, `mbox_address`,
`email_key`, `owners_by_email` (for release, an address several users share is about each of them).
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

from gateway.errors import BadRequest, NotFound
from gateway.oneroster import store
from gateway.oneroster.documents import configured_home_page, forget_home_page, save_home_page
from gateway.oneroster.repository import EMAIL_COLLATION, collection

DEFAULT_HOME_PAGE = "https://id.{code}.kakehashi.example"


def default_home_page(org: dict) -> str:
    """The default account homePage of an org's users (rule 2), from the org record (1.2 or CSV shape)."""
    code = (org.get("identifier") or org.get("sourcedId") or "").strip().lower()
    if not code:
        raise ValueError("an org needs an identifier or a sourcedId to have a homePage")
    return DEFAULT_HOME_PAGE.format(code=code)


def account_agent(sourced_id: str, home_page: str, name: str | None = None) -> dict:
    """The xAPI Agent of a roster user (rule 3); `name` is an optional display name."""
    agent = {"objectType": "Agent"}
    if name:
        agent["name"] = name
    agent["account"] = {"homePage": home_page, "name": sourced_id}
    return agent


def home_org_id(user: dict) -> str | None:
    """The sourcedId of the user's home org (rule 1), from a user in the stored 1.2 shape."""
    primary_org = user.get("primaryOrg")
    if isinstance(primary_org, dict) and primary_org.get("sourcedId"):
        return primary_org["sourcedId"]
    roles = [role for role in user.get("roles") or () if isinstance(role.get("org"), dict)]
    chosen = next((role for role in roles if role.get("roleType") == "primary"), roles[0] if roles else None)
    return chosen["org"].get("sourcedId") if chosen else None


def home_page(org_sourced_id: str) -> str:
    """The account homePage of the users of an org: its setting, else the default (rule 2)."""
    configured = configured_home_page(org_sourced_id)
    if configured is not None:
        return configured
    org = store.find_one("orgs", org_sourced_id) or {"sourcedId": org_sourced_id}
    return default_home_page(org)


def set_home_page(org_sourced_id: str, url: str | None) -> str:
    """Configures the account homePage of an org's users (None: back to the default); returns the
    homePage now in force. The org must be in the roster; the URL must be absolute http(s)."""
    if not store.exists("orgs", org_sourced_id):
        raise NotFound(f"no org with sourcedId {org_sourced_id!r}", details={"org": org_sourced_id})
    if url is None:
        forget_home_page(org_sourced_id)
        return home_page(org_sourced_id)
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or any(c.isspace() for c in url):
        raise BadRequest(f"homePage {url!r} is not an absolute http(s) URL", details={"homePage": url})
    save_home_page(org_sourced_id, url)
    return url


def agent_for_user(user: dict, *, with_name: bool = False) -> dict | None:
    """The account Agent of a user in the stored 1.2 shape, or None when it has no org."""
    org_id = home_org_id(user)
    if org_id is None:
        return None
    name = _display_name(user) if with_name else None
    return account_agent(user.get("sourcedId") or user["_id"], home_page(org_id), name)


def agents_for_user(user: dict) -> list[dict]:
    """Every Agent that is this user: the account, then the mbox when the user has an e-mail."""
    agents = []
    account = agent_for_user(user)
    if account is not None:
        agents.append(account)
    if user.get("email"):
        agents.append({"objectType": "Agent", "mbox": f"mailto:{user['email']}"})
    return agents


def person_for_user(user: dict) -> dict:
    """The xAPI Person object of a user: its name and every identifier it has."""
    person = {"objectType": "Person"}
    if _display_name(user):
        person["name"] = [_display_name(user)]
    agents = agents_for_user(user)
    mboxes = [agent["mbox"] for agent in agents if "mbox" in agent]
    accounts = [agent["account"] for agent in agents if "account" in agent]
    if mboxes:
        person["mbox"] = mboxes
    if accounts:
        person["account"] = accounts
    return person


def agent_for_sourced_id(sourced_id: str) -> dict | None:
    """The account Agent of the roster user `sourced_id`, or None when there is no such user."""
    user = store.find_one("users", sourced_id)
    return agent_for_user(user) if user else None


def user_for_agent(agent: dict) -> dict | None:
    """The roster user (stored 1.2 shape) an xAPI Agent stands for, or None."""
    account = agent.get("account")
    if isinstance(account, dict):
        user = store.find_one("users", str(account.get("name", "")))
        if user is None:
            return None
        linked = agent_for_user(user)
        same = linked and same_home_page(linked["account"]["homePage"], str(account.get("homePage", "")))
        return user if same else None
    address = mbox_address(agent)
    return users_by_email([address]).get(email_key(address)) if address else None


def same_home_page(a: str, b: str) -> bool:
    """Whether two account homePages are the same: compared without regard to case or a trailing slash."""
    return a.rstrip("/").lower() == b.rstrip("/").lower()


def mbox_address(agent: dict) -> str | None:
    """The e-mail address of an Agent's mbox (a "mailto:" IRI, the scheme in any case), or None."""
    mbox = agent.get("mbox")
    if isinstance(mbox, str) and mbox[:7].lower() == "mailto:" and len(mbox) > 7:
        return mbox[7:]
    return None


def email_key(address: str) -> str:
    """An e-mail address as the rule compares it: without regard to case."""
    return address.lower()


def users_by_email(addresses: Iterable[str], projection: dict | None = None) -> dict[str, dict]:
    """email_key → the one roster user with that address, for the addresses of `addresses` that
    belong to exactly one user (an address several users share links to none of them)."""
    return {key: users[0] for key, users in owners_by_email(addresses, projection).items() if len(users) == 1}


def owning_their_address(users: Iterable[dict]) -> set[str]:
    """The sourcedIds of the `users` whose e-mail address is theirs alone: whose mbox is them by the
    identity rule (one query for all of them)."""
    users = [user for user in users if user.get("email")]
    owners = users_by_email([user["email"] for user in users], {"_id": 1})
    return {
        user["_id"] for user in users if owners.get(email_key(user["email"]), {}).get("_id") == user["_id"]
    }


def owners_by_email(addresses: Iterable[str], projection: dict | None = None) -> dict[str, list[dict]]:
    """email_key → every roster user with that address (absent: none). One query, served by the
    users' `email_ci` index (EMAIL_COLLATION: without regard to case)."""
    keys = {email_key(address) for address in addresses if address}
    if not keys:
        return {}
    owners: dict[str, list[dict]] = {}
    query = {"email": {"$in": sorted(keys)}}
    projection = {**projection, "email": 1} if projection else None  # the rule reads the address
    for user in collection("users").find(query, projection).collation(EMAIL_COLLATION):
        key = email_key(user.get("email") or "")
        if key in keys:  # the collation is a superset of the rule (it ignores width, too)
            owners.setdefault(key, []).append(user)
    return owners


def _display_name(user: dict) -> str:
    # Japanese order: family name first.
    return " ".join(part for part in (user.get("familyName"), user.get("givenName")) if part)
