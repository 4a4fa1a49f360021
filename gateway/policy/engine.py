"""The release policy engine: a pure decision over (recipient, scopes, subject, category, field).

No Flask, no database: the caller (gateway.policy.release) brings the subject's security profile,
the subject's org chain and the subject's active consents to this recipient. Channels: the
school-mediated rule always applies; an active consent of the subject to this recipient covering
the category (and the recipient's registered purpose, when it has one) adds the consent-channel
rule; the more revealing of the allowed forms wins.

The school channel of a `school` or `board` recipient reaches its own students only: its cell
applies when the recipient's organisation is in the subject's org chain (home org, parent orgs:
the school for a school, the board for a board); for any other subject the school channel gives
`deny` (rule `…:school:outside-organisation`). A consent of the student to that recipient still
applies either way. A school or board client registered without an organisation is not tied to
one school or board (clients registered before organisations existed, deployment-wide
administration clients): its school channel is not bound, as before this rule.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass

# Forms from least to most revealing.
FORMS = ("deny", "aggregate", "pseudonymised", "identified")
REVEALING = {form: rank for rank, form in enumerate(FORMS)}
ROLES = ("school", "board", "provider", "third_party", "student_app")
# roles whose school-mediated channel reaches only the subjects under their own organisation
ORGANISATION_BOUND_ROLES = frozenset({"school", "board"})
CHANNELS = ("school", "consent")


@dataclass(frozen=True)
class Recipient:
    """Who data is released to: the client, its organisation's role, and its registered purpose."""

    client_id: str
    role: str
    organisation: str | None = None
    purpose: str | None = None

    @property
    def pseudonym_scope(self) -> str:
        """What a pseudonym is stable within: the organisation, else the client."""
        return f"org:{self.organisation}" if self.organisation else f"client:{self.client_id}"


@dataclass(frozen=True)
class SecurityProfile:
    """A municipal security profile: category → tier, and tier × role × channel → form."""

    name: str
    title: str
    boards: frozenset[str]
    min_group_size: int
    tiers: tuple[str, ...]
    categories: Mapping[str, str]  # category id → tier
    forms: Mapping[tuple[str, str, str], str]  # (tier, role, channel) → form
    default: bool = False
    source: str = ""


@dataclass(frozen=True)
class Grant:
    """An active consent as the engine sees it (gateway.policy.consent.ConsentView alike)."""

    id: str
    purpose: str
    categories: frozenset[str]


@dataclass(frozen=True)
class Decision:
    form: str
    rule: str
    consent: str | None = None
    category: str | None = None
    field: str | None = None
    min_group_size: int | None = None

    @property
    def releases(self) -> bool:
        return self.form in ("identified", "pseudonymised")

    def as_record(self) -> dict:
        record = {"form": self.form, "rule": self.rule, "category": self.category}
        if self.field:
            record["field"] = self.field
        if self.consent:
            record["consent"] = self.consent
        if self.form == "aggregate":
            record["min_group_size"] = self.min_group_size
        return record


NOT_A_SUBJECT = "not-a-roster-subject"


def decide(
    profile: SecurityProfile | None,
    recipient: Recipient,
    scopes: frozenset[str] | set[str],
    subject: str | None,
    category: str,
    field: str | None = None,
    consents: Iterable[Grant] = (),
    required_scopes: Mapping[str, frozenset[str]] | None = None,
    subject_orgs: Collection[str] = (),
) -> Decision:
    """The form in which `category` data (`field` of it, if given) about `subject` may go to
    `recipient`. `profile` is the subject's board's profile (None: data about no roster user,
    released per scope, as the scope check before this already decided). With a profile and no
    `subject`, `category` is reference data about no one (tier IV in the shipped profiles: schools,
    classes, curriculum units): the tier's school-channel form for the role, which no consent and no
    organisation changes. `subject_orgs`: the subject's org chain (home org, its parent, ...), which
    decides whether a school or board recipient's school channel reaches the subject (see the
    module docstring)."""
    needed = (required_scopes or {}).get(category)
    if needed and not (needed & set(scopes)):
        return Decision("deny", f"scope:{'|'.join(sorted(needed))}", category=category, field=field)
    if profile is None:
        return Decision("identified", NOT_A_SUBJECT, category=category, field=field)
    tier = profile.categories[category]
    role = recipient.role if recipient.role in ROLES else "third_party"
    if subject is None:
        form = profile.forms[(tier, role, "school")]
        return Decision(
            form,
            f"{profile.name}:{tier}:{role}:reference",
            category=category,
            field=field,
            min_group_size=profile.min_group_size if form == "aggregate" else None,
        )
    if role in ORGANISATION_BOUND_ROLES and not serves(recipient, subject_orgs):
        form, rule = "deny", f"{profile.name}:{tier}:{role}:school:outside-organisation"
    else:
        form, rule = profile.forms[(tier, role, "school")], f"{profile.name}:{tier}:{role}:school"
    consent_id = None
    for grant in consents:
        if category not in grant.categories:
            continue
        if recipient.purpose and grant.purpose != recipient.purpose:
            continue
        consent_form = profile.forms[(tier, role, "consent")]
        if REVEALING[consent_form] > REVEALING[form]:
            form, rule, consent_id = consent_form, f"{profile.name}:{tier}:{role}:consent", grant.id
        break
    return Decision(
        form,
        rule,
        consent_id,
        category=category,
        field=field,
        min_group_size=profile.min_group_size if form == "aggregate" else None,
    )


def serves(recipient: Recipient, subject_orgs: Collection[str]) -> bool:
    """Whether the subject is under the recipient's organisation (its own student); a recipient
    without an organisation is bound to none."""
    return recipient.organisation is None or recipient.organisation in subject_orgs


def least_revealing(decisions: Iterable[Decision]) -> Decision | None:
    chosen = None
    for decision in decisions:
        if chosen is None or REVEALING[decision.form] < REVEALING[chosen.form]:
            chosen = decision
    return chosen


def suppress_small_groups(groups: Mapping[str, Iterable[str]], min_group_size: int) -> dict[str, list[str]]:
    """Aggregate release: the groups (key → subjects) with at least `min_group_size` distinct
    subjects; smaller groups are suppressed (absent), so no count identifies a few students."""
    kept = {}
    for key, subjects in groups.items():
        members = sorted(set(subjects))
        if len(members) >= min_group_size:
            kept[key] = members
    return kept
