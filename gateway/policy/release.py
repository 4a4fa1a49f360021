"""The single release hook: every statement, document, person, roster record and unit the gateway
returns passes through here.

Two checks, in order: the client's scopes (403 when it may read none of the resource), then the
release policy (gateway.policy.engine) for data about a roster user: the subject's board selects a
municipal security profile (profiles/security), the data's category (profiles/data-categories.yaml)
a tier, and the recipient's role and the subject's active consents a form (identified,
pseudonymised, aggregate, deny). Data about no roster user (the xAPI conformance suite's agents,
unknown agents, orgs and classes) is released per scope, as before the policy existed. One audit
entry is written per release batch that concerns roster users (it names all of them), and the
response says what was withheld (X-Kakehashi-Withheld) with a link to that entry.

A statement is about every roster user it names (statement_agents): the actor (an Agent, or a
Group and its members), an Agent or Group object, a SubStatement's actor, Agent/Group object and
context, and the context's instructor, team, contextAgents and contextGroups (and their members).
The statement as a whole and each
classified field are decided for each of them; the least revealing decision wins (one subject's
deny withholds the statement, one subject's pseudonymised form pseudonymises it). When the
resulting form is pseudonymised, every roster-user Agent in the statement is replaced by the
recipient's pseudonym of that user (a spec-valid Agent with an account; a Group keeps its type).
Agents that are no roster users stay as they are. A State or Agent Profile document is about its
`agent` (and a Group's members) in the same way, released identified only.
"""

from __future__ import annotations

import copy
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

from flask import Flask, current_app, g, has_request_context, request

from gateway.auth.service import Principal
from gateway.errors import Forbidden, NotFound
from gateway.lrs.attachments import SIGNATURE_USAGE
from gateway.policy.catalog import Catalog, load_catalog
from gateway.policy.engine import (
    ORGANISATION_BOUND_ROLES,
    REVEALING,
    ROLES,
    Decision,
    Grant,
    Recipient,
    decide,
    least_revealing,
    serves,
)
from gateway.policy.profiles import ProfileSet, load_profiles
from gateway.policy.pseudonyms import load_key, pseudonymous_agent
from gateway.policy.subjects import Subject, SubjectDirectory

EXTENSION = "kakehashi.release_policy"
PURPOSE_TTL = 30.0


@dataclass
class ReleasePolicy:
    """Per-app policy state: the catalog, the profiles, the pseudonym key and the caches."""

    catalog: Catalog
    profiles: ProfileSet
    key: bytes
    directory: SubjectDirectory
    enabled: bool = True
    purposes: dict = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def purpose_of(self, client_id: str) -> str | None:
        now = time.monotonic()
        cached = self.purposes.get(client_id)
        if cached is not None and cached[0] > now:
            return cached[1]
        from gateway.auth.documents import ApiClient

        client = ApiClient.objects(client_id=client_id).only("purpose").first()
        purpose = getattr(client, "purpose", None) if client else None
        self.purposes[client_id] = (now + PURPOSE_TTL, purpose)
        return purpose


def init_release_policy(app: Flask) -> ReleasePolicy:
    """Loads and validates the catalog and the security profiles (an invalid file raises
    PolicyDataError: the app refuses to start) and adds the withheld-data response headers."""
    catalog = load_catalog(app.config.get("KAKEHASHI_CATALOG_PATH"))
    profiles = load_profiles(catalog, app.config.get("KAKEHASHI_SECURITY_PROFILES_DIR"))
    policy = ReleasePolicy(
        catalog,
        profiles,
        load_key(app.config),
        SubjectDirectory(),
        enabled=str(app.config.get("KAKEHASHI_RELEASE_POLICY", "on")).lower() not in ("off", "0", "false"),
    )
    app.extensions[EXTENSION] = policy
    app.after_request(_withheld_headers)
    return policy


def release_policy(app: Flask | None = None) -> ReleasePolicy | None:
    app = app or (current_app._get_current_object() if has_request_context() or _has_app() else None)
    return app.extensions.get(EXTENSION) if app is not None else None


def _has_app() -> bool:
    try:
        current_app._get_current_object()
    except RuntimeError:
        return False
    return True


def _withheld_headers(response):
    releases = g.get("kakehashi_releases")
    if not releases:
        return response
    withheld = Counter()
    for entry in releases:
        withheld.update(entry["withheld"])
    response.headers["X-Kakehashi-Withheld"] = (
        ", ".join(f"{key}={count}" for key, count in sorted(withheld.items())) or "none"
    )
    base = (current_app.config.get("KAKEHASHI_PUBLIC_URL") or request.host_url).rstrip("/")
    links = [
        f'<{base}/audit/{entry["audit_id"]}>; rel="decision"' for entry in releases if entry.get("audit_id")
    ]
    if links:
        existing = response.headers.get("Link")
        response.headers["Link"] = ", ".join([existing, *links] if existing else links)
        response.headers["X-Kakehashi-Decision"] = ", ".join(
            e["audit_id"] for e in releases if e.get("audit_id")
        )
    return response


@dataclass(frozen=True)
class StatementPlan:
    """The policy's decisions on statements of one shape about subjects of one class."""

    whole: Decision  # on the statement as a whole
    fields: tuple[tuple[str, str, Decision], ...]  # (section, extension IRI, decision) per classified field
    removed: tuple[tuple[str, str, Decision], ...]  # the fields withheld
    form: str  # the form of what is released: the least revealing of the whole and the fields kept
    keys: tuple[tuple, ...]  # the decisions' keys in ReleaseBatch.decisions (for the audit entry)
    subjects: set[str] = field(default_factory=set)  # whom the plan was applied to (for the audit entry)

    @classmethod
    def of(cls, whole: Decision, fields: tuple, keys: tuple) -> StatementPlan:
        removed = tuple(item for item in fields if not item[2].releases)
        form = least_revealing([whole, *(decision for _s, _i, decision in fields if decision.releases)]).form
        return cls(whole, fields, removed, form, keys)


class ReleaseBatch:
    """The decisions of one release (one response's worth of data) for one principal."""

    def __init__(
        self, policy: ReleasePolicy, principal: Principal, subjects: list[Subject], *, record: bool = True
    ):
        self.policy = policy
        self.principal = principal
        self.recipient = Recipient(
            principal.client_id,
            principal.role,
            getattr(principal, "organisation", None),
            policy.purpose_of(principal.client_id),
        )
        self.subjects = {subject.sourced_id: subject for subject in subjects}
        self._bound = self.recipient.role in ORGANISATION_BOUND_ROLES
        self._organisation = self.recipient.organisation
        self._consents: dict[str, list[Grant]] | None = None
        self.record = record
        self.decisions: dict[tuple, Decision] = {}
        self.by_subject: set[tuple] = set()
        self._profiles: dict = {}
        self._matters: dict = {}  # (profile, category, served) → may a consent change the decision
        self._class_matters: dict = {}  # (profile, served) → may a consent change any decision
        self.withheld: Counter = Counter()
        self.categories: set[str] = set()
        self._pseudonymous_agents: dict[str, dict] = {}  # shared by the statements of one response
        self._subject_classes: dict[str, tuple] = {}
        self._plans: dict[tuple, StatementPlan] = {}
        self._sections, self._field_specs = _field_specs(policy.catalog)

    @property
    def consents(self) -> dict[str, list[Grant]]:
        """The subjects' active consents to this recipient, read once per batch and only when a
        consent could change one of its decisions (from the recipient's consents under their lease:
        a revocation changes the very next response, see gateway.policy.consent)."""
        if self._consents is None:
            from gateway.policy.consent import active_consents

            found = active_consents(self.principal.client_id, list(self.subjects)) if self.subjects else {}
            self._consents = {
                subject: [Grant(view.id, view.purpose, frozenset(view.categories)) for view in views]
                for subject, views in found.items()
            }
        return self._consents

    def _consent_may_matter(self, profile, category: str, served: bool) -> bool:
        role = self.recipient.role if self.recipient.role in ROLES else "third_party"
        tier = profile.categories[category]
        school = profile.forms[(tier, role, "school")] if served else "deny"
        return REVEALING[profile.forms[(tier, role, "consent")]] > REVEALING[school]

    def served(self, subject: Subject) -> bool:
        """Whether the recipient's school channel reaches `subject` (engine.serves): always for
        roles not bound to an organisation."""
        return self._bound is False or serves(self.recipient, subject.orgs)

    def profile_of(self, subject: Subject):
        found = self._profiles.get(subject.codes)
        if found is None:
            found = self._profiles[subject.codes] = self.policy.profiles.for_boards(reversed(subject.codes))
        return found

    def decide(self, subject: Subject, category: str, field_name: str | None = None) -> Decision:
        key, found = self._decision(subject, category, field_name)
        self.by_subject.add((subject.sourced_id, key))
        self.categories.add(category)
        return found

    def _decision(self, subject: Subject, category: str, field_name: str | None) -> tuple[tuple, Decision]:
        # decisions depend on the profile, the category, the field and the consents only: shared by
        # every subject of a page alike (a 100-statement page makes a handful of engine calls)
        profile = self.profile_of(subject)
        # inline engine.serves: this runs for every field of every statement of a page
        served = not self._bound or self._organisation is None or self._organisation in subject.orgs
        matters = self._matters.get((profile.name, category, served))
        if matters is None:
            matters = self._matters[(profile.name, category, served)] = self._consent_may_matter(
                profile, category, served
            )
        grants = tuple(self.consents.get(subject.sourced_id, ())) if matters else ()
        key = (profile.name, category, field_name, grants, served)
        found = self.decisions.get(key)
        if found is None:
            found = decide(
                profile,
                self.recipient,
                self.principal.scopes,
                subject.sourced_id,
                category,
                field_name,
                grants,
                subject_orgs=subject.orgs,
            )
            self.decisions[key] = found
        return key, found

    def statement_plan(self, subject: Subject, statement: dict) -> StatementPlan:
        """What the policy does to `statement`, about `subject` alone: planned once per response for
        each class of subject (profile, school channel, consents) and shape of statement (category,
        classified fields present), since those are all a decision depends on."""
        key = (
            self._subject_class(subject),
            self.policy.catalog.statement_category(statement),
            _classified_fields(self._sections, statement),
        )
        plan = self._plans.get(key)
        if plan is None:
            plan = self._plans[key] = self._plan(subject, key[1], key[2])
        plan.subjects.add(subject.sourced_id)
        return plan

    def _subject_class(self, subject: Subject) -> tuple:
        """What decisions depend on about a subject: its profile, whether the recipient's school
        channel reaches it, and its consents to the recipient (when a consent could change any
        decision under that profile)."""
        found = self._subject_classes.get(subject.sourced_id)
        if found is None:
            profile = self.profile_of(subject)
            served = self.served(subject)
            matters = self._class_matters.get((profile.name, served))
            if matters is None:
                matters = self._class_matters[(profile.name, served)] = any(
                    self._consent_may_matter(profile, category, served) for category in profile.categories
                )
            grants = tuple(self.consents.get(subject.sourced_id, ())) if matters else ()
            found = self._subject_classes[subject.sourced_id] = (profile.name, served, grants)
        return found

    def _plan(self, subject: Subject, category: str, fields: tuple[tuple[str, str], ...]) -> StatementPlan:
        keys, decided = [], []
        for what in ((category, None), *(self._field_specs[item] for item in fields)):
            key, decision = self._decision(subject, *what)
            keys.append(key)
            decided.append(decision)
            self.categories.add(what[0])
        field_decisions = tuple(
            (section, iri, decision) for (section, iri), decision in zip(fields, decided[1:], strict=True)
        )
        return StatementPlan.of(decided[0], field_decisions, tuple(keys))

    def withhold(self, what: str, count: int = 1) -> None:
        self.withheld[what] += count

    def pseudonymous_agent(self, subject: Subject) -> dict:
        agent = self._pseudonymous_agents.get(subject.sourced_id)
        if agent is None:
            agent = self._pseudonymous_agents[subject.sourced_id] = pseudonymous_agent(
                self.policy.key, self.recipient.pseudonym_scope, subject.sourced_id
            )
        return agent

    def finish(self, resource: str) -> str | None:
        """Writes the batch's audit entry and notes the response headers; returns the entry id."""
        if not self.record or not self.subjects:
            return
        from gateway.policy.audit import record_release

        # one record per distinct decision, naming its subjects (the audit stores them grouped)
        subjects_by_key: dict[tuple, set[str]] = {}
        for subject, key in self.by_subject:
            subjects_by_key.setdefault(key, set()).add(subject)
        for plan in self._plans.values():
            for key in plan.keys:
                subjects_by_key.setdefault(key, set()).update(plan.subjects)
        decisions = [
            {**self.decisions[key].as_record(), "subjects": list(subjects)}  # the audit sorts them
            for key, subjects in subjects_by_key.items()
        ]
        entry_id = record_release(
            principal=self.principal,
            request_id=g.get("request_id") if has_request_context() else None,
            resource=resource,
            categories=self.categories,
            subjects=list(self.subjects),
            decisions=decisions,
            withheld=dict(self.withheld),
            organisations={org for subject in self.subjects.values() for org in subject.orgs},
        )
        if has_request_context():
            g.setdefault("kakehashi_releases", []).append(
                {"audit_id": entry_id, "withheld": dict(self.withheld)}
            )
        return entry_id


def _policy_for(principal: Principal | None) -> ReleasePolicy | None:
    if principal is None:
        return None
    policy = release_policy()
    return policy if policy is not None and policy.enabled else None


@dataclass(frozen=True)
class StatementReadScope:
    """Which statements a principal may read: all, or only those it is the authority of."""

    authority_key: str | None = None  # None: every statement
    principal: Principal | None = field(default=None, compare=False)  # whom the statements go to

    def criteria(self) -> dict:
        """Query criteria that keep a statement query inside this scope."""
        return {} if self.authority_key is None else {"authority": self.authority_key}

    def allows(self, record: dict) -> bool:
        return self.authority_key is None or record.get("authority") == self.authority_key


def statement_read_scope(principal: Principal, own_authority_key: str) -> StatementReadScope:
    """The statements `principal` may read; Forbidden (403) when it may read none."""
    if principal.may("statements/read"):
        return StatementReadScope(principal=principal)
    if principal.may("statements/read/mine"):
        return StatementReadScope(authority_key=own_authority_key, principal=principal)
    raise Forbidden(
        "this client may not read statements (needs scope statements/read or statements/read/mine)",
        code="insufficient_scope",
        details={"required_scope": ["statements/read", "statements/read/mine"]},
    )


ACTOR_PATH = ("actor",)
_NAMING_OBJECTS = frozenset({"Agent", "Group", "SubStatement"})


def _agent_nodes(agent, path: tuple) -> list[tuple[tuple, dict]]:
    """(path, agent) for an Agent or Group and each member of a Group: the people it names."""
    if not isinstance(agent, dict):
        return []
    nodes = [(path, agent)]
    members = agent.get("member")
    if isinstance(members, list):
        nodes += [(path + ("member", i), m) for i, m in enumerate(members) if isinstance(m, dict)]
    return nodes


_NAMING_CONTEXT = ("instructor", "team", "contextAgents", "contextGroups")


def statement_agents(statement: dict) -> list[tuple[tuple, dict]]:
    """Every Agent a statement is about, with its path: the actor (an Agent, or a Group and its
    members), an Agent or Group object, a SubStatement's actor, Agent/Group object and context, and
    the context's instructor, team, and (xAPI 2.0) contextAgents and contextGroups (with members)."""
    actor = statement.get("actor")
    target = statement.get("object")
    context = statement.get("context")
    if (
        type(actor) is dict
        and "member" not in actor
        and (type(target) is not dict or target.get("objectType") not in _NAMING_OBJECTS)
        and (not context or not any(name in context for name in _NAMING_CONTEXT))
    ):
        return [(ACTOR_PATH, actor)]  # the common statement: its actor alone
    nodes = _agent_nodes(actor, ACTOR_PATH)
    if isinstance(target, dict):
        kind = target.get("objectType")
        if kind in ("Agent", "Group"):
            nodes += _agent_nodes(target, ("object",))
        elif kind == "SubStatement":
            nodes += _agent_nodes(target.get("actor"), ("object", "actor"))
            inner = target.get("object")
            if isinstance(inner, dict) and inner.get("objectType") in ("Agent", "Group"):
                nodes += _agent_nodes(inner, ("object", "object"))
            nodes += _context_agent_nodes(target.get("context"), ("object", "context"))
    return nodes + _context_agent_nodes(context, ("context",))


def _context_agent_nodes(context, path: tuple) -> list[tuple[tuple, dict]]:
    if not isinstance(context, dict):
        return []
    nodes = _agent_nodes(context.get("instructor"), (*path, "instructor"))
    nodes += _agent_nodes(context.get("team"), (*path, "team"))
    for key, inner in (("contextAgents", "agent"), ("contextGroups", "group")):
        entries = context.get(key)
        if isinstance(entries, list):
            for index, entry in enumerate(entries):
                if isinstance(entry, dict):
                    nodes += _agent_nodes(entry.get(inner), (*path, key, index, inner))
    return nodes


def people(found: Subject | tuple[Subject, ...] | None) -> tuple[Subject, ...]:
    """The subjects an answer of SubjectDirectory.agent_subjects names: none, one, or every user
    sharing the agent's mbox."""
    if found is None:
        return ()
    return found if isinstance(found, tuple) else (found,)


def _resolved_agents(policy: ReleasePolicy, nodes: list[tuple[tuple, dict]]) -> list[tuple[tuple, Subject]]:
    """(path, subject) for every roster user the agents at `nodes` are about (a shared mbox: each
    of its users, on the same path)."""
    found = policy.directory.agent_subjects([agent for _path, agent in nodes])
    return [
        (path, subject) for (path, _agent), each in zip(nodes, found, strict=True) for subject in people(each)
    ]


def distinct_subjects(subjects) -> list[Subject]:
    return list({subject.sourced_id: subject for subject in subjects}.values())


def release_statements(
    scope: StatementReadScope, records: list[dict], named_agent: dict | None = None
) -> list[dict]:
    """The statements of `records` that may leave the gateway, as they may leave it: per scope,
    then per the release policy for statements about roster users (every roster user the
    statement names, see statement_agents: the least revealing decision over them wins; a denied
    statement is left out; a denied field is removed; in a pseudonymised statement every roster
    user is replaced by the recipient's pseudonym of that user, a spec-valid account Agent).
    `named_agent`: the Agent the request selected statements by (the `agent` query parameter);
    when it is a roster user, a statement about them goes out identified or not at all, since the
    request itself ties it to them (a pseudonym there would link the pseudonym to the person). An
    agent whose mbox several roster users share is about each of them, and a statement naming one
    goes out identified or not at all too: no one pseudonym stands for it."""
    statements = [record["statement"] for record in records if scope.allows(record)]
    policy = _policy_for(scope.principal)
    if policy is None or not statements:
        return statements
    nodes = [statement_agents(statement) for statement in statements]
    resolved = policy.directory.agent_subjects([agent for found in nodes for _path, agent in found])
    if not any(resolved):
        return statements
    linked = None
    if named_agent is not None:
        linked = {subject.sourced_id for subject in people(policy.directory.agent_subjects([named_agent])[0])}
    # per statement: the Subject of its actor alone (the common statement), or the (path, Subject)
    # of every roster user it names (a shared mbox: each of its users on one path), or None
    about, at = [], 0
    for found in nodes:
        if len(found) == 1 and found[0][0] is ACTOR_PATH and not isinstance(resolved[at], tuple):
            about.append(resolved[at])
            at += 1
            continue
        named = [
            (path, subject)
            for (path, _agent), each in zip(found, resolved[at : at + len(found)], strict=True)
            for subject in people(each)
        ]
        about.append(named or None)
        at += len(found)
    batch = ReleaseBatch(policy, scope.principal, [subject for each in resolved for subject in people(each)])
    released = [
        shaped
        for statement, named in zip(statements, about, strict=True)
        if (shaped := statement if named is None else shape_statement(batch, statement, named, linked))
        is not None
    ]
    batch.finish("xapi/statements")
    return released


def plan_for_subjects(batch: ReleaseBatch, statement: dict, subjects: list[Subject]) -> StatementPlan:
    """The plan for `statement` about `subjects` (one or more roster users): per item (the
    statement, each classified field), the least revealing decision over them (one subject's deny
    withholds it)."""
    plans = [batch.statement_plan(subject, statement) for subject in subjects]
    if len(plans) == 1:
        return plans[0]
    fields = tuple(
        (section, iri, least_revealing(plan.fields[index][2] for plan in plans))
        for index, (section, iri, _decision) in enumerate(plans[0].fields)
    )
    return StatementPlan.of(least_revealing(plan.whole for plan in plans), fields, keys=())


def statement_decisions(
    batch: ReleaseBatch, statement: dict, subjects: list[Subject]
) -> tuple[Decision, list[tuple]]:
    """The decision on a statement as a whole and on each of its classified fields present
    (section, extension IRI, decision), for every subject it is about (see plan_for_subjects)."""
    plan = plan_for_subjects(batch, statement, subjects)
    return plan.whole, list(plan.fields)


_FIELD_SPECS: dict[int, tuple] = {}


def _field_specs(catalog: Catalog) -> tuple[list, dict]:
    """The catalog's classified statement fields, built once per catalog: [(section, its path,
    ((extension IRI, (section, extension IRI)), ...))] and {(section, extension IRI): (category,
    field name)}."""
    found = _FIELD_SPECS.get(id(catalog))
    if found is None:
        by_section: dict[str, list] = {}
        specs = {}
        for section, iri, category in catalog.statement_fields:
            by_section.setdefault(section, []).append((iri, (section, iri)))
            specs[(section, iri)] = (category, f"{section}.extensions.{iri}")
        sections = [(section, tuple(section.split(".")), tuple(iris)) for section, iris in by_section.items()]
        found = _FIELD_SPECS[id(catalog)] = (sections, specs)
    return found


def _classified_fields(sections: list, statement: dict) -> tuple[tuple[str, str], ...]:
    """(section, extension IRI) of each classified field `statement` has, in catalog order
    (`sections`: the first part of _field_specs)."""
    present = []
    for section, path, iris in sections:
        if len(path) == 1:  # a top-level section (result, context): read inline, it runs per statement
            node = statement.get(section)
            extensions = node.get("extensions") if type(node) is dict else None
            if type(extensions) is not dict:
                continue
        else:
            extensions = _extensions(statement, path)
        if extensions:
            present += [field for iri, field in iris if iri in extensions]
    return tuple(present)


def shape_statement(
    batch: ReleaseBatch,
    statement: dict,
    about: Subject | list[tuple[tuple, Subject]],
    linked: set[str] | None = None,
) -> dict | None:
    """`statement` as it may go to the batch's recipient, or None when withheld. `about`: the
    roster users it names, with the path of each Agent naming one (a Subject alone: the actor; an
    mbox several users share: each of them on its path). `linked`: the roster users (sourcedIds)
    the request itself names (see release_statements)."""
    if isinstance(about, Subject):
        subjects = [about]
        plan = batch.statement_plan(about, statement)  # the common statement: its actor alone
    else:
        subjects = [about[0][1]] if len(about) == 1 else distinct_subjects(s for _path, s in about)
        plan = plan_for_subjects(batch, statement, subjects)
    if not plan.whole.releases:
        batch.withhold(plan.whole.category)
        return None
    if plan.form != "identified" and (
        (linked and any(s.sourced_id in linked for s in subjects))
        or (not isinstance(about, Subject) and len({path for path, _s in about}) < len(about))
    ):
        # named by the request, or an agent several users share: identified or not at all
        batch.withhold(plan.whole.category)
        return None
    if not plan.removed and plan.form == "identified":
        return statement
    shaped = copy.copy(statement)
    for section, iri, decision in plan.removed:
        batch.withhold(f"{decision.category}#field")
        _remove_extension(shaped, section, iri)
    if plan.form == "pseudonymised":
        if isinstance(about, Subject):
            shaped["actor"] = batch.pseudonymous_agent(about)
        else:
            for path, subject in about:
                _replace_agent(shaped, path, batch.pseudonymous_agent(subject))
    _withhold_revealing_attachments(batch, shaped, plan)
    return shaped


def _withhold_revealing_attachments(batch: ReleaseBatch, shaped: dict, plan: StatementPlan) -> None:
    """Removes the attachments of a shaped statement that would undo its shaping: a pseudonymised
    statement keeps none (their contents may name the student: an essay, a photo, a signature), a
    statement with fields removed loses its signature (the JWS carries the statement as stored)."""
    attachments = shaped.get("attachments")
    if not isinstance(attachments, list) or not attachments:
        return
    if plan.form == "pseudonymised":
        kept = []
    else:
        kept = [a for a in attachments if not (isinstance(a, dict) and a.get("usageType") == SIGNATURE_USAGE)]
    if len(kept) < len(attachments):
        batch.withhold(f"{plan.whole.category}#attachment", len(attachments) - len(kept))
        if kept:
            shaped["attachments"] = kept
        else:
            del shaped["attachments"]


def _replace_agent(shaped: dict, path: tuple, pseudonym: dict) -> None:
    """Puts `pseudonym` in place of the Agent at `path` of `shaped` (a shallow copy), copying only
    the path it changes. A Group naming a roster user stays a Group (its members are replaced on
    their own paths), so a context.team stays valid."""
    node = shaped
    for part in path[:-1]:
        child = node[part]
        child = list(child) if isinstance(child, list) else dict(child)
        node[part] = child
        node = child
    original = node[path[-1]]
    if original.get("objectType") == "Group":
        replaced = {"objectType": "Group", "account": pseudonym["account"]}
        if "member" in original:
            replaced["member"] = original["member"]
        node[path[-1]] = replaced
    else:
        node[path[-1]] = pseudonym


def _extensions(statement: dict, path: tuple[str, ...]) -> dict | None:
    node = statement
    for part in path:
        node = node.get(part) if type(node) is dict else None
        if node is None:
            return None
    extensions = node.get("extensions") if type(node) is dict else None
    return extensions if type(extensions) is dict else None


def _remove_extension(shaped: dict, section: str, iri: str) -> None:
    """Removes one extension from `shaped` (a shallow copy), copying only the path it changes."""
    node = shaped
    for part in section.split("."):
        child = dict(node[part])
        node[part] = child
        node = child
    extensions = {key: value for key, value in node["extensions"].items() if key != iri}
    if extensions:
        node["extensions"] = extensions
    else:
        del node["extensions"]


def require_write(principal: Principal, scope: str = "statements/write") -> None:
    if not principal.may(scope):
        raise Forbidden(
            f"this client may not write (needs scope {scope})",
            code="insufficient_scope",
            details={"required_scope": [scope]},
        )


# xAPI defines no scope of its own for reading the Activities and Agents resources: any client that
# reads or writes xAPI data about activities and agents may read what the LRS knows of them.
DEFINITION_READ_SCOPES = ("statements/read", "statements/read/mine", "define", "state", "profile")


def _require_document_read(principal: Principal, scope: str) -> None:
    # The `state` and `profile` scopes are read/write; `all/read` (and `all`) imply reading both.
    if not (principal.may(scope) or principal.may("all/read")):
        raise Forbidden(
            f"this client may not read these documents (needs scope {scope} or all/read)",
            code="insufficient_scope",
            details={"required_scope": [scope, "all/read"]},
        )


def release_document(
    principal: Principal,
    scope: str,
    document: object,
    agent: dict | None = None,
    resource: str = "xapi/documents",
) -> object | None:
    """A State, Activity Profile or Agent Profile document (`scope` "state" or "profile") as it may
    leave the gateway: None when withheld; Forbidden (403) when the principal may not read that
    resource. `agent` is the Agent (or identified Group) a State or Agent Profile document is about
    (None for an Activity Profile document: scope only). When that agent (or a member of that Group)
    is a roster user, the `documents` category is decided for them, and the document is released
    only in identified form: the request names the agent, so no other form can hide who it is
    about. The decision is made whether or not a document exists (`document` None), so a withheld
    document and a missing one answer alike (404, and the same withheld header)."""
    _require_document_read(principal, scope)
    if agent is None:
        return document
    policy = _policy_for(principal)
    if policy is None:
        return document
    if _document_released(policy, principal, agent, resource, 1):
        return document
    return None


def release_document_ids(
    principal: Principal,
    scope: str,
    ids: list[str],
    agent: dict | None = None,
    resource: str = "xapi/documents",
) -> list[str]:
    """The ids of a document listing (GET without stateId/profileId) that may leave the gateway:
    all of them, or none when the documents of `agent` are withheld (see release_document)."""
    _require_document_read(principal, scope)
    if agent is None:
        return ids
    policy = _policy_for(principal)
    if policy is None:
        return ids
    return ids if _document_released(policy, principal, agent, resource, len(ids)) else []


def _document_released(
    policy: ReleasePolicy, principal: Principal, agent: dict, resource: str, count: int
) -> bool:
    """Whether documents about `agent` go to `principal` (identified form only, for every roster
    user the agent is); writes the audit entry when the agent is a roster user."""
    subjects = distinct_subjects(
        [subject for _path, subject in _resolved_agents(policy, _agent_nodes(agent, ()))]
    )
    if not subjects:
        return True
    batch = ReleaseBatch(policy, principal, subjects)
    category = policy.catalog.documents
    decision = least_revealing(batch.decide(subject, category) for subject in subjects)
    released = decision.form == "identified"
    if not released and count:
        batch.withhold(category, count)
    batch.finish(resource)
    return released


def _require_definition_read(principal: Principal) -> None:
    if not any(principal.may(scope) for scope in DEFINITION_READ_SCOPES):
        raise Forbidden(
            "this client may not read activities or agents (needs an xAPI read scope)",
            code="insufficient_scope",
            details={"required_scope": list(DEFINITION_READ_SCOPES)},
        )


def release_activity(principal: Principal, activity: dict) -> dict:
    """The canonical Activity object (Activities resource) as it may leave the gateway."""
    _require_definition_read(principal)
    return activity


def release_person(principal: Principal, person: dict) -> dict:
    """The Person object (Agents resource) as it may leave the gateway: for a roster user (or the
    users sharing its mbox), only when the policy gives the `persons` category the identified form
    (otherwise an empty Person: the request names the agent, so no other form can hide who it is
    about)."""
    _require_definition_read(principal)
    policy = _policy_for(principal)
    if policy is None:
        return person
    agents = [{"account": account} for account in person.get("account") or ()]
    agents += [{"mbox": mbox} for mbox in person.get("mbox") or ()]
    subjects = distinct_subjects(
        subject for found in policy.directory.agent_subjects(agents) for subject in people(found)
    )
    if not subjects:
        return person
    batch = ReleaseBatch(policy, principal, subjects)
    decision = least_revealing(batch.decide(subject, policy.catalog.persons) for subject in subjects)
    if decision.form == "identified":
        released = person
    else:
        # the request names the agent: a pseudonym here would link it to the identity, so any
        # form but identified leaves an empty Person
        batch.withhold(decision.category)
        released = {"objectType": "Person"}
    batch.finish("xapi/agents")
    return released


# OneRoster (1.2 Rostering §"Scopes"; 1.1 has the same three): the core read operations accept
# roster-core.readonly or roster.readonly, the nested collections (classes of a school, students of
# a class, ...) need roster.readonly, demographics need roster-demographics.readonly. The 1.1 and 1.2
# scope of the same name grant the same reads on both bindings (they serve the same records). xAPI's
# `all` and `all/read` grant no roster reads: roster data is granted by name only.
_ONEROSTER_SCOPE_PREFIXES = (
    "https://purl.imsglobal.org/spec/or/v1p2/scope/",
    "https://purl.imsglobal.org/spec/or/v1p1/scope/",
)
ROSTER_ACCESS_SCOPES = {
    "core": ("roster-core.readonly", "roster.readonly"),
    "roster": ("roster.readonly",),
    "demographics": ("roster-demographics.readonly",),
}
# Never released, whatever the scope: OneRoster allows a user's `password`, the gateway keeps it in.
WITHHELD_ROSTER_FIELDS = {"users": ("password",)}


def require_roster_read(principal: Principal, access: str) -> None:
    """Forbidden (403) unless `principal` holds a OneRoster scope granting `access` ("core",
    "roster" or "demographics", see gateway.oneroster.operations)."""
    names = ROSTER_ACCESS_SCOPES[access]
    accepted = [prefix + name for prefix in _ONEROSTER_SCOPE_PREFIXES for name in names]
    if not any(scope in principal.scopes for scope in accepted):
        raise Forbidden(
            f"this client may not read this roster resource (needs scope {' or '.join(accepted[: len(names)])})",
            code="insufficient_scope",
            details={"required_scope": accepted},
        )


def release_roster(principal: Principal, access: str, entity: str, records: list[dict]) -> list[dict]:
    """The OneRoster records of `entity` (as serialised for the response) that may leave the gateway,
    as they may leave it: today every record the scope allows, without the withheld fields."""
    require_roster_read(principal, access)
    withheld = WITHHELD_ROSTER_FIELDS.get(entity, ())
    if withheld:
        records = [{key: value for key, value in record.items() if key not in withheld} for record in records]
    policy = _policy_for(principal)
    if policy is None or not records:
        return records
    spec = policy.catalog.roster_entity(entity)
    if spec.subject is None:
        # reference records (orgs, classes, courses, sessions): identified or not at all
        return records if release_reference(policy, principal, spec.record, len(records)) else []
    ids = [_roster_subject_id(record, spec.subject) for record in records]
    subjects = policy.directory.subjects([sourced_id for sourced_id in ids if sourced_id])
    if any(sourced_id is None for sourced_id in ids):
        # a field selection left the subject out: decided under the default profile, no consent
        subjects[UNSELECTED.sourced_id] = UNSELECTED
        ids = [sourced_id or UNSELECTED.sourced_id for sourced_id in ids]
    if not subjects:
        return records
    batch = ReleaseBatch(policy, principal, list(subjects.values()))
    released = []
    for record, sourced_id in zip(records, ids, strict=True):
        subject = subjects.get(sourced_id or "")
        shaped = record if subject is None else shape_roster_record(batch, spec, record, subject)
        if shaped is not None:
            released.append(shaped)
    batch.finish(f"oneroster/{entity}")
    return released


def require_roster_queryable(principal: Principal, entity: str, fields: dict[str, str]) -> None:
    """Forbidden (403 `withheld_by_policy`) when a filter or sort uses a field about people that the
    recipient would not receive identified through its school channel under every security profile:
    matching or ordering records by a field reads it (a filter on `email` tells whose address it is,
    even when the address is removed from the answer). `fields`: stored field path → the parameter
    naming it ("filter" or "sort"). A consent does not widen this (it is per student; a query is not)."""
    policy = _policy_for(principal)
    if policy is None:
        return
    spec = policy.catalog.roster_entity(entity)
    if spec.subject is None:
        return  # reference data: released whole or not at all (release_reference)
    role = principal.role if principal.role in ROLES else "third_party"
    for path, parameter in fields.items():
        category = _roster_field_category(spec, path)
        if any(
            p.forms[(p.categories[category], role, "school")] != "identified"
            for p in policy.profiles.profiles
        ):
            raise Forbidden(
                f"the {parameter} uses {path!r} ({category}), which the security profile does not "
                f"release identified to a {principal.role} client: {parameter} on fields you receive",
                code="withheld_by_policy",
                details={"parameter": parameter, "field": path, "category": category},
            )


def _roster_field_category(spec, path: str) -> str:
    for field_path, category in spec.fields:
        if path == field_path or path.startswith(field_path + "."):
            return category
    return spec.record


def releasable_roster_total(principal: Principal, entity: str, subject_ids) -> int | None:
    """How many of the records a query matched (`subject_ids()`: the subject sourcedId of each, or
    None) would be released to `principal`, so that a filtered query's total does not count records
    it withholds (a count of matches would answer the filter for them); None when the policy does
    not apply (the stored count stands)."""
    policy = _policy_for(principal)
    if policy is None:
        return None
    spec = policy.catalog.roster_entity(entity)
    if spec.subject is None:
        return None
    ids = subject_ids("_id" if spec.subject == "sourcedId" else spec.subject)
    subjects = policy.directory.subjects([sourced_id for sourced_id in ids if sourced_id])
    batch = ReleaseBatch(policy, principal, list(subjects.values()), record=False)
    return sum(
        1
        for sourced_id in ids
        if sourced_id not in subjects or batch.decide(subjects[sourced_id], spec.record).form == "identified"
    )


UNSELECTED = Subject("(subject not selected)", (), ())


def _roster_subject_id(record: dict, path: str) -> str | None:
    value = record.get(path)
    if isinstance(value, dict):
        value = value.get("sourcedId")
    return value if isinstance(value, str) else None


def shape_roster_record(batch: ReleaseBatch, spec, record: dict, subject: Subject) -> dict | None:
    """A OneRoster record about a roster user, released only in identified form (OneRoster is an
    identified roster API: a record, or a field, whose form is anything else is withheld)."""
    whole = batch.decide(subject, spec.record)
    if whole.form != "identified":
        batch.withhold(spec.record)
        return None
    shaped = record
    for path, category in spec.fields:
        present = _roster_field_present(record, path)
        if not present:
            continue
        decision = batch.decide(subject, category, path)
        if decision.form == "identified":
            continue
        if shaped is record:
            shaped = dict(record)
        batch.withhold(f"{category}#field")
        if path.startswith("metadata."):
            metadata = {k: v for k, v in shaped["metadata"].items() if k != path[len("metadata.") :]}
            if metadata:
                shaped["metadata"] = metadata
            else:
                del shaped["metadata"]
        else:
            del shaped[path]
    return shaped


def _roster_field_present(record: dict, path: str) -> bool:
    if path.startswith("metadata."):
        metadata = record.get("metadata")
        return isinstance(metadata, dict) and path[len("metadata.") :] in metadata
    return path in record


def reference_decision(policy: ReleasePolicy, principal: Principal, category: str) -> Decision:
    """The engine's decision on reference data of `category` (about no roster user) for
    `principal`, under the deployment's default security profile: reference data belongs to no
    board's students."""
    recipient = Recipient(principal.client_id, principal.role, getattr(principal, "organisation", None))
    return decide(policy.profiles.default, recipient, principal.scopes, None, category)


def release_reference(policy: ReleasePolicy, principal: Principal, category: str, count: int = 1) -> bool:
    """Whether reference data of `category` may go to `principal` (identified, or not at all). A
    refusal is counted in the response's withheld header; nothing about a person is released, so
    nothing is audited."""
    if reference_decision(policy, principal, category).form == "identified":
        return True
    if has_request_context() and count:
        g.setdefault("kakehashi_releases", []).append({"audit_id": None, "withheld": {category: count}})
    return False


def release_units(principal: Principal | None, units: list[dict]) -> list[dict]:
    """Curriculum units (学習指導要領コード rows) as they may leave the gateway. They are public
    reference data (MEXT open data), so any authenticated client may read them whatever its
    scopes (the views still require authentication, keeping every API read attributable), unless
    the security profile withholds `reference.curriculum` from its role: 403."""
    if principal is None:
        raise Forbidden(
            "curriculum units are released to authenticated clients only", code="insufficient_scope"
        )
    policy = _policy_for(principal)
    if policy is not None and not release_reference(policy, principal, policy.catalog.units, 0):
        raise Forbidden(
            f"the security profile does not release curriculum units to a {principal.role} client",
            code="withheld_by_policy",
            details={"category": policy.catalog.units},
        )
    return units


# Units to review (要復習単元) are derived from a student's exam results and learning statements:
# coaches' and teachers' reports, so they need the reports scope (or a read of every statement).
REVIEW_READ_SCOPES = ("reports.read", "statements/read")


# A units-to-review report is derived from the student's exam results and learning records.
REVIEW_CATEGORIES = (
    "assessment.mock-exam",
    "assessment.periodic-test",
    "process.achievement",
    "process.backtracking",
)


def release_review(principal: Principal, student: str, review: dict) -> dict:
    """The units-to-review report of the roster user `student` as it may leave the gateway;
    Forbidden (403) unless the principal may read reports or every statement. The report names the
    student the caller asked about, so it is released only in identified form: every category it
    is derived from must be released identified to this recipient (by the school channel or the
    student's consent); otherwise it answers as unknown (404), like a withheld roster record."""
    if not any(principal.may(scope) for scope in REVIEW_READ_SCOPES):
        raise Forbidden(
            "this client may not read units-to-review reports (needs scope reports.read or statements/read)",
            code="insufficient_scope",
            details={"required_scope": list(REVIEW_READ_SCOPES)},
        )
    policy = _policy_for(principal)
    subject = policy.directory.subject(student) if policy is not None else None
    if subject is None:
        return review
    batch = ReleaseBatch(policy, principal, [subject])
    decision = least_revealing(batch.decide(subject, category) for category in REVIEW_CATEGORIES)
    if decision.form != "identified":
        batch.withhold(decision.category)
    batch.finish("units/review")
    if decision.form != "identified":
        raise NotFound(f"no units-to-review report for student {student!r}", details={"student": student})
    return review
