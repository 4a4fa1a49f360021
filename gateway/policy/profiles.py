"""Municipal security profiles (profiles/security/*.yaml): loading, validation against the catalog,
and choosing the profile of a board (教育委員会コード)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from gateway.policy.catalog import Catalog, PolicyDataError
from gateway.policy.engine import CHANNELS, FORMS, ROLES, SecurityProfile
from gateway.resources import data_path


@dataclass(frozen=True)
class ProfileSet:
    profiles: tuple[SecurityProfile, ...]
    by_board: dict[str, SecurityProfile]
    default: SecurityProfile

    def for_boards(self, codes) -> SecurityProfile:
        """The profile of the first of `codes` (board codes up a subject's org chain) that a
        profile lists; else the default profile."""
        for code in codes:
            found = self.by_board.get(code)
            if found is not None:
                return found
        return self.default

    def named(self, name: str) -> SecurityProfile | None:
        return next((profile for profile in self.profiles if profile.name == name), None)


def parse_profile(data, catalog: Catalog, source: str) -> SecurityProfile:
    def fail(message: str):
        raise PolicyDataError(f"{source}: {message}")

    if not isinstance(data, dict):
        fail("a security profile must be a mapping")
    unknown_keys = set(data) - {
        "name",
        "title",
        "default",
        "boards",
        "min_group_size",
        "tiers",
        "categories",
        "forms",
    }
    if unknown_keys:
        fail(f"unknown keys {sorted(unknown_keys)}")
    name = data.get("name")
    if not isinstance(name, str) or not name:
        fail("name must be a non-empty string")
    tiers = data.get("tiers")
    if not isinstance(tiers, dict) or not tiers:
        fail("tiers must be a non-empty mapping")
    tier_names = tuple(str(tier) for tier in tiers)
    min_group = data.get("min_group_size", 10)
    if not isinstance(min_group, int) or isinstance(min_group, bool) or min_group < 2:
        fail(f"min_group_size must be an integer >= 2, not {min_group!r}")
    boards = data.get("boards") or []
    if not isinstance(boards, list) or not all(
        isinstance(code, str) and code.isdigit() and len(code) == 6 for code in boards
    ):
        fail("boards must be a list of 6-digit 教育委員会コード strings (quote them)")
    categories = data.get("categories")
    if not isinstance(categories, dict):
        fail("categories must be a mapping of category id to tier")
    for category, tier in categories.items():
        if category not in catalog.categories:
            fail(f"unknown category {category!r} (the catalog has: {', '.join(sorted(catalog.categories))})")
        if str(tier) not in tier_names:
            fail(f"category {category!r}: unknown tier {tier!r} (tiers: {', '.join(tier_names)})")
    missing = sorted(set(catalog.categories) - set(categories))
    if missing:
        fail(f"categories without a tier: {', '.join(missing)}")
    forms_data = data.get("forms")
    if not isinstance(forms_data, dict):
        fail("forms must be a mapping tier → role → channel → form")
    forms = {}
    for tier, by_role in forms_data.items():
        if str(tier) not in tier_names:
            fail(f"forms: unknown tier {tier!r} (tiers: {', '.join(tier_names)})")
        if not isinstance(by_role, dict):
            fail(f"forms.{tier} must be a mapping role → channel → form")
        for role, by_channel in by_role.items():
            if role not in ROLES:
                fail(f"forms.{tier}: unknown role {role!r} (roles: {', '.join(ROLES)})")
            if not isinstance(by_channel, dict):
                fail(f"forms.{tier}.{role} must be a mapping channel → form")
            for channel, form in by_channel.items():
                if channel not in CHANNELS:
                    fail(
                        f"forms.{tier}.{role}: unknown channel {channel!r} (channels: {', '.join(CHANNELS)})"
                    )
                if form not in FORMS:
                    fail(f"forms.{tier}.{role}.{channel}: unknown form {form!r} (forms: {', '.join(FORMS)})")
                forms[(str(tier), role, channel)] = form
    holes = [
        f"{tier}.{role}.{channel}"
        for tier in tier_names
        for role in ROLES
        for channel in CHANNELS
        if (tier, role, channel) not in forms
    ]
    if holes:
        fail(f"forms missing for: {', '.join(holes)}")
    return SecurityProfile(
        name=name,
        title=str(data.get("title") or name),
        boards=frozenset(boards),
        min_group_size=min_group,
        tiers=tier_names,
        categories={category: str(tier) for category, tier in categories.items()},
        forms=forms,
        default=bool(data.get("default")),
        source=source,
    )


def load_profiles(catalog: Catalog, directory: Path | None = None) -> ProfileSet:
    directory = Path(directory or data_path("profiles", "security"))
    files = sorted(directory.glob("*.yaml"))
    if not files:
        raise PolicyDataError(f"{directory}: no security profiles (*.yaml)")
    profiles = []
    for path in files:
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as error:
            raise PolicyDataError(f"{path}: cannot read the security profile: {error}") from error
        profiles.append(parse_profile(data, catalog, str(path)))
    names = [profile.name for profile in profiles]
    if len(set(names)) != len(names):
        raise PolicyDataError(f"{directory}: profile names must be unique ({', '.join(names)})")
    by_board = {}
    for profile in profiles:
        for code in profile.boards:
            if code in by_board:
                raise PolicyDataError(
                    f"{profile.source}: board {code} is already in profile {by_board[code].name!r}"
                )
            by_board[code] = profile
    defaults = [profile for profile in profiles if profile.default]
    if len(defaults) != 1:
        raise PolicyDataError(
            f"{directory}: exactly one profile must say `default: true` (found {len(defaults)})"
        )
    return ProfileSet(tuple(profiles), by_board, defaults[0])
