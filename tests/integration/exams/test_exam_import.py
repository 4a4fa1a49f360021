"""Exam-result imports: the shipped samples of each format import, conform to the profile and
re-import as a no-op; each defect class is reported (file, line, column, rule) and nothing stored."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from adapters.exams.importer import import_exams
from gateway.lrs import repository as lrs
from gateway.xapi_profile.templates import check_statement
from gateway.xapi_profile.validation import kakehashi_profile

SAMPLES = Path(__file__).resolve().parents[3] / "adapters" / "exams" / "samples"
MOCK, PERIODIC, GRADEBOOK = "shingaku-moshi-sections", "wakabadai-periodic-test", "oneroster-gradebook"


@pytest.fixture
def roster(app):
    from gateway.demo.roster import build_roster
    from gateway.demo.seed import _load_roster

    with app.app_context():
        _load_roster(build_roster(), {})
    return app


def _stored(app) -> list[dict]:
    with app.app_context():
        return [record["statement"] for record in lrs.all_records()]


def _import(app, path, fmt, **kwargs):
    with app.app_context():
        return import_exams(path, fmt, **kwargs)


@pytest.mark.parametrize(
    ("fmt", "sample", "students", "sections"),
    [
        (MOCK, MOCK, 12, 7),  # 7 大問 per student
        (PERIODIC, PERIODIC, 10, 5),  # 11 questions under 5 unit tags
        (GRADEBOOK, GRADEBOOK, 10, 4),  # 4 lineItems of one category
    ],
)
def test_sample_imports_conform_and_reimport_is_a_no_op(roster, fmt, sample, students, sections):
    app = roster
    result = _import(app, SAMPLES / sample, fmt)
    assert not result.rejected, result.issues_table("en")
    assert result.counts["students"] == students
    assert result.counts["statements"] == students * (sections + 1)
    assert result.counts["new"] == students * (sections + 1)
    stored = _stored(app)
    assert len(stored) == students * (sections + 1)
    profile = kakehashi_profile()
    used = set()
    for statement in stored:
        template, problems = check_statement(profile, statement)
        assert template is not None, problems
        used.add(template["id"].rsplit("/", 1)[1])
    assert used == {"exam-result", "exam-section-result"}

    again = _import(app, SAMPLES / sample, fmt)
    assert not again.rejected
    assert again.counts["already stored"] == again.counts["statements"] and again.counts["new"] == 0
    assert len(_stored(app)) == len(stored)
