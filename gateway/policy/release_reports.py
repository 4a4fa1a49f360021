"""Release of reports about groups of students (class reports): part of the single release hook
(gateway.policy.release), built on its ReleaseBatch; kept in its own module so the hook's
statement, document and roster paths stay as they are.

A report is released in three steps, all decided here, never in gateway.reports:

1. `ReportRelease.admit`: per student and per data category, the engine's decision for this
   recipient (school channel, plus the student's active consent to it). A student's statements of
   a category whose form is `deny` are not handed to the report at all.
2. The report computes its figures over what was admitted, asking `contributes(student,
   categories)` which students may count towards a figure (every category it draws on at least
   `aggregate`), and returns each figure with its contributing students.
3. `release_figure` releases an aggregate figure only when at least the profile's `min_group_size`
   students contribute (the largest `min_group_size` of the class's profiles); a smaller figure is
   suppressed (null, with the reason) and counted in X-Kakehashi-Withheld as
   `<category>#figure`. `release_row` releases a student's own row in the form the engine gives:
   identified, pseudonymised (the recipient's pseudonym instead of the student), or left out; a
   field whose form is only `aggregate` or `deny` is removed from the row (`<category>#field`).

`finish` writes one audit entry per report (categories, subjects, decisions) and the response
headers, as every release batch does.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from gateway.auth.service import Principal
from gateway.policy.engine import REVEALING
from gateway.policy.principals import require_scope
from gateway.policy.release import ReleaseBatch, _policy_for

REPORT_READ_SCOPE = "reports.read"
AGGREGATE = REVEALING["aggregate"]
PSEUDONYMISED = REVEALING["pseudonymised"]
IDENTITY_CATEGORY = "roster.identity"


def require_report_read(principal: Principal) -> None:
    require_scope(principal, REPORT_READ_SCOPE, "read reports")


@dataclass
class Figure:
    """An aggregate over students: its value and the students it was computed over."""

    name: str
    categories: tuple[str, ...]
    value: object
    contributors: frozenset[str] = field(default_factory=frozenset)


@dataclass
class RowField:
    """One field of a student's own row and the categories it draws on."""

    name: str
    categories: tuple[str, ...]
    value: object


class ReportRelease:
    """The decisions of one report release (one response) for one principal about `students`
    (roster sourcedIds). With the release policy off (benchmarks), everything is identified and
    nothing is suppressed or audited."""

    def __init__(self, principal: Principal, students: Iterable[str], categories: Iterable[str]):
        require_report_read(principal)
        self.principal = principal
        self.categories = tuple(dict.fromkeys(categories))
        self.policy = _policy_for(principal)
        self.batch: ReleaseBatch | None = None
        self.forms: dict[tuple[str, str], str] = {}
        self.min_group_size = 0
        ids = list(dict.fromkeys(students))
        if self.policy is None:
            self.subjects = {}
            return
        self.subjects = self.policy.directory.subjects(ids)
        self.batch = ReleaseBatch(self.policy, principal, list(self.subjects.values()))
        for student in ids:
            for category in self.categories:
                self._decide(student, category)
            subject = self.subjects.get(student)
            if subject is not None:
                self.min_group_size = max(self.min_group_size, self.batch.profile_of(subject).min_group_size)

    def _decide(self, student: str, category: str) -> str:
        found = self.forms.get((student, category))
        if found is None:
            if self.policy is None:
                found = "identified"
            else:
                # a student unknown to the roster cannot be decided: nothing of theirs is released
                subject = self.subjects.get(student)
                found = self.batch.decide(subject, category).form if subject is not None else "deny"
            self.forms[(student, category)] = found
        return found

    def form(self, student: str, categories: Iterable[str]) -> str:
        """The least revealing form of `categories` about `student` for this recipient."""
        forms = [self._decide(student, category) for category in categories]
        return min(forms, key=REVEALING.__getitem__) if forms else "identified"

    def contributes(self, student: str, categories: Iterable[str]) -> bool:
        """Whether `student` may count towards an aggregate drawing on `categories`."""
        return REVEALING[self.form(student, categories)] >= AGGREGATE

    def admit(self, statements: dict[str, list[dict]]) -> dict[str, list[dict]]:
        """Per student, the statements a report may compute over: those whose category (the
        catalog's classification) is one of the report's and not denied to this recipient."""
        catalog = self.policy.catalog if self.policy is not None else None
        admitted: dict[str, list[dict]] = {}
        denied: dict[str, set[str]] = {}
        for student, found in statements.items():
            kept = []
            for statement in found:
                if catalog is None:
                    kept.append(statement)
                    continue
                category = catalog.statement_category(statement)
                if category not in self.categories:
                    continue  # not data this report draws on
                if self.contributes(student, (category,)):
                    kept.append(statement)
                else:
                    denied.setdefault(category, set()).add(student)
            admitted[student] = kept
        if self.batch is not None:
            for category, students in denied.items():
                self.batch.withhold(f"{category}#subject", len(students))
        return admitted

    def suppresses(self, figure: Figure) -> bool:
        """Whether `figure` covers too few students to be released."""
        return self.policy is not None and len(figure.contributors) < max(self.min_group_size, 1)

    def release_figure(self, figure: Figure) -> dict:
        """The figure as it may leave: its value and how many students it covers, or null with
        the reason when fewer than `min_group_size` students contribute."""
        for student in figure.contributors:
            if not self.contributes(student, figure.categories):
                raise RuntimeError(f"figure {figure.name} counted a student it may not count")
        released = {"categories": list(figure.categories)}
        if self.suppresses(figure):
            for category in figure.categories:
                self.batch.withhold(f"{category}#figure")
            return {
                "value": None,
                "students": None,
                **released,
                "suppressed": {
                    "reason": "min_group_size",
                    "message": f"fewer than {self.min_group_size} students contribute to this figure "
                    "(the security profile's minimum group size)",
                    "minGroupSize": self.min_group_size,
                },
            }
        return {"value": figure.value, "students": len(figure.contributors), **released}

    def release_row(self, student: str, identity: dict, fields: list[RowField]) -> dict | None:
        """A student's own row, in the form the engine gives that student: identified (with
        `identity`), pseudonymised (the recipient's pseudonym instead), or None (left out). Fields
        whose form is below pseudonymised are removed and named in `withheld`."""
        released, withheld, forms = {}, [], []
        for row_field in fields:
            form = self.form(student, row_field.categories)
            if REVEALING[form] >= PSEUDONYMISED:
                released[row_field.name] = row_field.value
                forms.append(form)
            else:
                withheld.append(row_field.name)
                if self.batch is not None:
                    for category in row_field.categories:
                        if REVEALING[self.form(student, (category,))] < PSEUDONYMISED:
                            self.batch.withhold(f"{category}#field")
        if not forms:
            if self.batch is not None:
                least = min(self.categories, key=lambda category: REVEALING[self.form(student, (category,))])
                self.batch.withhold(least)
            return None
        # named only when the student's identity may go to this recipient too (roster.identity is
        # decided, and audited, for rows only)
        identified = all(form == "identified" for form in forms) and (
            self.form(student, (IDENTITY_CATEGORY,)) == "identified"
        )
        if identified:
            who = {"form": "identified", **identity}
        else:
            subject = self.subjects[student]
            who = {
                "form": "pseudonymised",
                "pseudonym": self.batch.pseudonymous_agent(subject)["account"]["name"],
            }
        return {"student": who, **released, "withheld": withheld}

    def finish(self, resource: str) -> str | None:
        """One audit entry for the report (and the response headers); returns its id."""
        return self.batch.finish(resource) if self.batch is not None else None
