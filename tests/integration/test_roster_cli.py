"""`kakehashi roster import`: counts at the end, the report as a table or JSON, exit 1 when rejected."""

from __future__ import annotations

import json

from click.testing import CliRunner

from gateway.cli import main
from tests.integration.roster_sets import rows_for, write_set


def run(monkeypatch, database_uri, tmp_path, *args):
    monkeypatch.setenv("MONGODB_URI", database_uri)
    monkeypatch.setenv("MONGODB_DB", "kakehashi_test")
    monkeypatch.setenv("KAKEHASHI_DATA_DIR", str(tmp_path / "data"))
    return CliRunner().invoke(main, ["roster", "import", *map(str, args)])


def test_import_prints_counts_and_exits_0(app, monkeypatch, database_uri, tmp_path):
    path = write_set(tmp_path / "set")
    result = run(monkeypatch, database_uri, tmp_path, path, "--profile", "jp", "--no-progress")
    assert result.exit_code == 0, result.output
    assert "enrollments" in result.output and "created" in result.output
    again = run(monkeypatch, database_uri, tmp_path, path, "--profile", "jp", "--json")
    document = json.loads(again.output)
    assert document["counts"]["users"] == {"created": 0, "updated": 0, "deleted": 0, "unchanged": 4}


def test_rejected_import_exits_1_with_the_report(app, monkeypatch, database_uri, tmp_path):
    rows = rows_for("1.2")
    rows["users"][1]["metadata.jp.kanaGivenName"] = "ﾊﾅｺ"
    path = write_set(tmp_path / "set", rows=rows)
    report = tmp_path / "report.json"
    result = run(
        monkeypatch, database_uri, tmp_path, path, "--profile", "jp", "--dry-run", "--report", report
    )
    assert result.exit_code == 1
    assert "jp-halfwidth-katakana" in result.output and "半角カタカナ" in result.output
    issues = json.loads(report.read_text(encoding="utf-8"))["issues"]
    assert issues[0]["file"] == "users.csv" and issues[0]["line"] == 3
