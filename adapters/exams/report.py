"""The report of an exam-result import: every problem with file, line, column and rule, in Japanese
and English (the roster importer's Issue and table, with the exam rules' messages)."""

from __future__ import annotations

from dataclasses import dataclass, field

from adapters.oneroster.report import ERROR, Issue, render_table
from adapters.oneroster.report import MESSAGES as ROSTER_MESSAGES

# The CSV rules every import shares keep the roster importer's wording.
CSV_RULES = ("csv-syntax", "empty-file", "missing-column", "field-count", "required-value", "enum")
MESSAGES: dict[str, tuple[str, str]] = {
    **{rule: ROSTER_MESSAGES[rule] for rule in CSV_RULES},
    "file-missing": ("{file} がありません", "{file} is missing"),
    "encoding": ("{encoding} として読めません", "is not valid {encoding}"),
    "unknown-student": (
        "{column} の {value} に当たる生徒が名簿にいません（{match} で照合）",
        "no roster student has {match} {value!r}",
    ),
    "ambiguous-student": (
        "{column} の {value} に当たる利用者が複数います（{match} で照合）",
        "{match} {value!r} matches more than one roster user",
    ),
    "not-a-student": (
        "{value} は生徒ではありません（{role}）",
        "{value!r} is a roster user but not a student (role {role})",
    ),
    "no-home-org": (
        "{value} には所属組織がなく xAPI の主体になれません",
        "{value!r} has no home org, so it has no xAPI agent",
    ),
    "unknown-unit": (
        "単元 {value} は対応表 {crosswalk} にありません",
        "unit {value!r} is not in crosswalk {crosswalk}",
    ),
    "unknown-code": (
        "{value} は学習指導要領コードの表にありません",
        "{value!r} is in none of the 学習指導要領コード tables",
    ),
    "malformed-code": (
        "{value} は学習指導要領コードではありません: {detail}",
        "{value!r} is not a 学習指導要領コード: {detail}",
    ),
    "unknown-crosswalk": (
        "対応表 {crosswalk} がありません（mappings/crosswalks/）",
        "there is no crosswalk {crosswalk} (mappings/crosswalks/)",
    ),
    "no-units": (
        "{value} に単元（学習目標）が結び付いていません",
        "{value!r} is tied to no unit (learning objective)",
    ),
    "number": ("{column} は数値です（{value}）", "{column} must be a number, not {value!r}"),
    "score-range": (
        "{column} の {value} が範囲外です（0〜{max}）",
        "{column} {value} is outside 0–{max}",
    ),
    "max-positive": ("{column} は正の数です（{value}）", "{column} must be positive, not {value!r}"),
    "score-scale-value": (
        "{value} は評価尺度 {scale} の値ではありません",
        "{value!r} is not a value of score scale {scale}",
    ),
    "datetime": (
        "{column} は日付（YYYY-MM-DD）か日時（ISO 8601）です（{value}）",
        "{column} must be a date YYYY-MM-DD or an ISO 8601 date-time, not {value!r}",
    ),
    "reference": ("{column} の {value} が {target} にありません", "{column} {value!r} is not in {target}"),
    "duplicate-row": (
        "同じ結果が {first} 行目にもあります（{key}）",
        "the same result is already on line {first} ({key})",
    ),
    "inconsistent": (
        "{column} が {first} 行目と違います（{value}／{other}）",
        "{column} differs from line {first} ({value!r} vs {other!r})",
    ),
    "profile": (
        "Kakehashi プロファイルの {template} に合いません: {detail}",
        "does not follow the Kakehashi profile template {template}: {detail}",
    ),
    "statement-conflict": (
        "同じ id の別のステートメントが保存済みです（{value}）: 元のファイルが変更されています",
        "a different statement with id {value} is already stored: the source file changed since it was imported",
    ),
    "mapping": ("形式定義 {file} が正しくありません: {detail}", "format mapping {file} is invalid: {detail}"),
    "unknown-format": (
        "形式 {value} はありません（{allowed}）",
        "there is no format {value!r} (expected {allowed})",
    ),
}


class ExamIssue(Issue):
    """An Issue whose messages come from this module's MESSAGES."""

    @property
    def message_ja(self) -> str:
        return MESSAGES[self.rule][0].format(**self._fields())

    @property
    def message_en(self) -> str:
        return MESSAGES[self.rule][1].format(**self._fields())


def issue(
    rule: str, file: str | None = None, line: int | None = None, column: str | None = None, **params
) -> ExamIssue:
    return ExamIssue(rule, file, line, column, ERROR, params)


@dataclass
class ImportResult:
    """What an import found and did: counts, issues, and whether it was rejected or a dry run."""

    format: str
    source: str
    dry_run: bool = False
    issues: list[ExamIssue] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    statement_ids: list[str] = field(default_factory=list)

    @property
    def rejected(self) -> bool:
        return bool(self.issues)

    def to_json(self) -> dict:
        return {
            "format": self.format,
            "source": self.source,
            "dryRun": self.dry_run,
            "rejected": self.rejected,
            "counts": self.counts,
            "issues": [i.to_json() for i in self.issues],
        }

    def issues_table(self, language: str = "both") -> str:
        return render_table(self.issues, language=language)

    def counts_table(self) -> str:
        return "\n".join(f"  {name:<24} {count:>7,}" for name, count in self.counts.items())
