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


def _edit(source: Path, target: Path, name: str, edit) -> Path:
    """A copy of the sample directory `source` with `edit(lines)` applied to file `name`."""
    shutil.copytree(source, target)
    path = target / name
    lines = path.read_text(encoding="utf-8").splitlines()
    edit(lines)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return target


def _found(result) -> set[tuple]:
    return {(i.file, i.line, i.column, i.rule) for i in result.issues}


def _set(lines: list[str], line: int, column: int, value: str) -> None:
    cells = lines[line - 1].split(",")
    cells[column] = value
    lines[line - 1] = ",".join(cells)


def test_mock_exam_defects_are_each_reported_and_nothing_is_stored(roster, tmp_path):
    app = roster
    name = "2026-h1-3-math.csv"

    def defects(lines):
        _set(lines, 2, 3, "nobody99999")  # unknown student (ユーザー名)
        _set(lines, 3, 5, "9")  # 大問 9 is in no crosswalk row: unknown unit
        _set(lines, 4, 6, "21")  # 21 of 20 points: bad score
        _set(lines, 5, 6, "十")  # not a number
        _set(lines, 6, 2, "2026-11-31")  # no such date
        lines[6] = lines[6] + ",extra"  # malformed row
        lines.append(lines[8])  # the same 大問 of the same student twice

    path = _edit(SAMPLES / MOCK, tmp_path / "mock", name, defects)
    result = _import(app, path, MOCK)
    assert result.rejected
    assert _found(result) >= {
        (name, 2, "ユーザー名", "unknown-student"),
        (name, 3, "大問", "unknown-unit"),
        (name, 4, "得点", "score-range"),
        (name, 5, "得点", "number"),
        (name, 6, "実施日", "datetime"),
        (name, 7, None, "field-count"),
        (name, 86, None, "duplicate-row"),
    }, result.issues_table("en")
    unknown = next(i for i in result.issues if i.rule == "unknown-student")
    assert "nobody99999" in unknown.message_ja and "no roster student has username" in unknown.message_en
    assert _stored(app) == []

    # A file without a required column is reported once, on the header line.
    missing = tmp_path / "missing.csv"
    text = (SAMPLES / MOCK / name).read_text(encoding="utf-8").replace("配点", "満点")
    missing.write_text(text, encoding="utf-8")
    assert _found(_import(app, missing, MOCK)) == {("missing.csv", 1, "配点", "missing-column")}
    assert _stored(app) == []


def test_periodic_test_defects_and_a_changed_reimport(roster, tmp_path):
    app = roster
    name = "2026-term2-final-math1.csv"

    def defects(lines):
        _set(lines, 2, 5, "2026199")  # no such 学籍番号 at the school
        _set(lines, 3, 7, "数I-微分")  # unit tag not in the crosswalk
        _set(lines, 4, 9, "-1")  # negative mark

    path = _edit(SAMPLES / PERIODIC, tmp_path / "periodic", name, defects)
    result = _import(app, path, PERIODIC, dry_run=True)
    assert _found(result) == {
        (name, 2, "学籍番号", "unknown-student"),
        (name, 3, "単元タグ", "unknown-unit"),
        (name, 4, "得点", "score-range"),
    }
    assert _stored(app) == []

    # A student of the other school with the same identifier is not matched (identifiers are per school).
    assert not _import(app, SAMPLES / PERIODIC, PERIODIC).rejected
    count = len(_stored(app))
    changed = _edit(SAMPLES / PERIODIC, tmp_path / "changed", name, lambda lines: _set(lines, 2, 9, "0"))
    again = _import(app, changed, PERIODIC)
    assert [i.rule for i in again.issues] == ["statement-conflict"]
    assert len(_stored(app)) == count


def test_gradebook_defects_are_each_reported_and_nothing_is_stored(roster, tmp_path):
    app = roster

    def objectives(lines):
        _set(lines, 2, 2, "8454503299000000")  # well-formed, in no table
        _set(lines, 3, 2, "84545032")  # malformed
        _set(lines, 4, 1, "no-such-crosswalk")

    path = _edit(SAMPLES / GRADEBOOK, tmp_path / "gb", "lineItemLearningObjectiveIds.csv", objectives)
    shutil.copy(path / "results.csv", tmp_path / "results.csv")
    lines = (tmp_path / "results.csv").read_text(encoding="utf-8").splitlines()
    _set(lines, 2, 4, "00000000-0000-0000-0000-000000000000")  # unknown studentSourcedId
    _set(lines, 3, 8, "36")  # 36 of 35 points
    _set(lines, 5, 9, "E")  # not a value of the 4-level scale
    (path / "results.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = _import(app, path, GRADEBOOK)
    assert _found(result) >= {
        ("lineItemLearningObjectiveIds.csv", 2, "learningObjectiveId", "unknown-code"),
        ("lineItemLearningObjectiveIds.csv", 3, "learningObjectiveId", "malformed-code"),
        ("lineItemLearningObjectiveIds.csv", 4, "learningObjectiveId", "unknown-crosswalk"),
        ("results.csv", 2, "studentSourcedId", "unknown-student"),
        ("results.csv", 3, "score", "score-range"),
        ("results.csv", 5, "textScore", "score-scale-value"),
    }, result.issues_table("en")
    assert _stored(app) == []
    (path / "results.csv").unlink()
    assert _found(_import(app, path, GRADEBOOK)) == {("results.csv", None, None, "file-missing")}


def test_cli_import_dry_run_json_and_rejection_exit_code(roster, monkeypatch, database_uri, tmp_path):
    import json

    from click.testing import CliRunner

    from gateway.cli import main

    monkeypatch.setenv("MONGODB_URI", database_uri)
    monkeypatch.setenv("MONGODB_DB", "kakehashi_test")
    monkeypatch.setenv("KAKEHASHI_DATA_DIR", str(tmp_path / "data"))
    run = CliRunner().invoke(
        main, ["exams", "import", "--format", MOCK, str(SAMPLES / MOCK), "--dry-run", "--json"]
    )
    assert run.exit_code == 0, run.output
    document = json.loads(run.output)
    assert document["counts"]["would store"] == 96 and not document["rejected"]
    bad = CliRunner().invoke(main, ["exams", "import", "--format", "no-such-format", str(SAMPLES / MOCK)])
    assert bad.exit_code == 1 and "unknown-format" in bad.output
    assert _stored(roster) == []


def test_gradebook_without_categories_and_with_result_objectives(roster, tmp_path):
    """Without categories.csv each lineItem is an exam of its own; a result's learning objectives
    (here a crosswalked juku chapter id) add units to that result's section."""
    app = roster
    path = tmp_path / "gb"
    shutil.copytree(SAMPLES / GRADEBOOK, path)
    (path / "categories.csv").unlink()
    lines = (path / "lineItems.csv").read_text(encoding="utf-8").splitlines()
    for number in range(2, len(lines) + 1):
        _set(lines, number, 8, "")  # categorySourcedId
    (path / "lineItems.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    first_result = (path / "results.csv").read_text(encoding="utf-8").splitlines()[1].split(",")[0]
    (path / "resultLearningObjectiveIds.csv").write_text(
        f"resultSourcedId,source,learningObjectiveId\n{first_result},aoba-juku,aoba:math:m1:13\n{first_result},aoba-juku,aoba:math:m1:12\n",
        encoding="utf-8",
    )
    result = _import(app, path, GRADEBOOK)
    assert not result.rejected, result.issues_table("en")
    assert result.counts["exams"] == 4 and result.counts["statements"] == 10 * 4 * 2
    sections = [s for s in _stored(app) if "parent" in s["context"]["contextActivities"]]
    widest = max(sections, key=lambda s: len(s["context"]["contextActivities"]["grouping"]))
    codes = [a["id"].rsplit("/", 1)[1] for a in widest["context"]["contextActivities"]["grouping"]]
    assert codes == ["8454503213000000", "8454503212000000"]  # 確率 (lineItem, and aoba:m1:13), 順列・組合せ
    assert widest["object"]["id"].endswith("/section")
