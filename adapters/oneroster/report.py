"""The validation report of a roster import: every problem with file, line, column and rule, in
Japanese and English, as JSON or as a table for people."""

from __future__ import annotations

import unicodedata
from dataclasses import asdict, dataclass, field

# rule → (Japanese, English) message templates; fields come from Issue.params.
MESSAGES: dict[str, tuple[str, str]] = {
    "manifest-missing": ("manifest.csv がありません", "manifest.csv is missing"),
    "manifest-header": (
        "manifest.csv の見出しは propertyName,value でなければなりません",
        "manifest.csv must have the header propertyName,value",
    ),
    "manifest-property": ("manifest.csv に {property} がありません", "manifest.csv lacks {property}"),
    "manifest-version": (
        "manifest.version は {expected} でなければなりません（{value}）",
        "manifest.version must be {expected}, not {value!r}",
    ),
    "oneroster-version": (
        "oneroster.version は {expected} のいずれかでなければなりません（{value}）",
        "oneroster.version must be one of {expected}, not {value!r}",
    ),
    "file-mode": (
        "{property} は absent, bulk, delta のいずれかでなければなりません（{value}）",
        "{property} must be absent, bulk or delta, not {value!r}",
    ),
    "manifest-unknown-property": (
        "manifest.csv の {property} は不明な項目です",
        "manifest.csv property {property} is unknown",
    ),
    "manifest-duplicate-property": (
        "manifest.csv に {property} が重複しています",
        "manifest.csv gives {property} more than once",
    ),
    "unknown-file": (
        "{file} は OneRoster {version} のファイルではありません",
        "{file} is not a OneRoster {version} file",
    ),
    "file-not-declared": (
        "{file} があるのに manifest.csv では absent です",
        "{file} is present but manifest.csv declares it absent",
    ),
    "file-missing": (
        "manifest.csv が {mode} とする {file} がありません",
        "{file} is declared {mode} in manifest.csv but is missing",
    ),
    "file-not-supported": (
        "{file} は名簿ファイルではないため取り込めません（absent にしてください）",
        "{file} is not a roster file and cannot be imported (declare it absent)",
    ),
    "encoding": ("UTF-8 として読めません", "is not valid UTF-8"),
    "import-locked": (
        "別の名簿取り込みが実行中です (batch {batch}, host {host}, pid {pid}, 開始 {startedAt})",
        "another roster import is running (batch {batch}, host {host}, pid {pid}, started {startedAt})",
    ),
    "csv-syntax": ("CSV の書式が正しくありません: {detail}", "malformed CSV: {detail}"),
    "empty-file": ("見出し行がありません", "has no header line"),
    "missing-column": ("必須の列 {column} がありません", "required column {column} is missing"),
    "unknown-column": ("{column} は {file} の列ではありません", "{column} is not a column of {file}"),
    "duplicate-column": ("列 {column} が重複しています", "column {column} appears more than once"),
    "field-count": (
        "項目数が見出しと違います（{count} 項目、見出しは {expected} 列）",
        "has {count} fields where the header has {expected}",
    ),
    "required-value": ("{column} は必須です", "{column} is required"),
    "required-in-delta": (
        "差分（delta）ファイルでは {column} が必須です",
        "{column} is required in a delta file",
    ),
    "enum": (
        "{column} の値 {value} は使えません（{allowed}）",
        "{column} value {value!r} is not allowed (expected {allowed})",
    ),
    "boolean": ("{column} は true か false です（{value}）", "{column} must be true or false, not {value!r}"),
    "date": (
        "{column} は YYYY-MM-DD 形式の日付です（{value}）",
        "{column} must be a date YYYY-MM-DD, not {value!r}",
    ),
    "datetime": (
        "{column} は ISO 8601 の日時です（{value}）",
        "{column} must be an ISO 8601 date-time, not {value!r}",
    ),
    "year": ("{column} は西暦4桁です（{value}）", "{column} must be a four-digit year, not {value!r}"),
    "date-order": ("{column} が開始日より前です", "{column} is before the start date"),
    "user-ids": (
        "userIds は {{種別:ID}} の並びです（{value}）",
        "userIds must be a list of {{type:identifier}}, not {value!r}",
    ),
    "duplicate-sourcedId": (
        "sourcedId {value} が重複しています（最初は {first_line} 行目）",
        "sourcedId {value} is duplicated (first on line {first_line})",
    ),
    "reference": (
        "{column} の {value} に当たる {target} がありません",
        "{column} {value} refers to no {target}",
    ),
    "dangling-reference": (
        "{value} を削除すると、取り込みに含まれない {referrer} {referrer_id} の {path} が参照先を失います",
        "deleting {value} would leave {path} of {referrer} {referrer_id} (not in this file set) dangling",
    ),
    "reference-type": (
        "{column} の {value} は {expected} の組織ではありません（{actual}）",
        "{column} {value} is not an org of type {expected} (it is {actual})",
    ),
    "bulk-tobedeleted": (
        "一括（bulk）ファイルの status は空か active です（{value}）",
        "status in a bulk file must be blank or active, not {value!r}",
    ),
    "stale-record": (
        "dateLastModified が登録済みより古いため適用しません",
        "is older than the stored record (dateLastModified) and is not applied",
    ),
    "erased-user-reimported": (
        "{value} は本人の求めによりデータを消去した利用者です。名簿に再び登録しますが、学習記録や同意は戻りません。出力元の名簿をご確認ください",
        "{value} was erased at the person's request; the roster record is created again, but no "
        "learning records or consents come back: check the roster this file set was exported from",
    ),
    "delete-unknown": (
        "削除する {value} は登録されていません",
        "{value} is marked tobedeleted but is not stored",
    ),
    "too-many-issues": (
        "ほかに {count} 件の問題があります（表示を省略）",
        "{count} more issues not listed",
    ),
    # Japan Profile
    "jp-uuid": (
        "{column} は UUID v4 でなければなりません（{value}）",
        "{column} must be a UUID v4, not {value!r}",
    ),
    "jp-halfwidth-katakana": (
        "{column} に半角カタカナは使えません（{value}）",
        "{column} must not contain half-width katakana ({value!r})",
    ),
    "jp-kana": (
        "{column} は全角カタカナで書きます（{value}）",
        "{column} must be written in full-width katakana, not {value!r}",
    ),
    "jp-session-type": (
        "学年暦（academicSessions）の type は schoolYear です（{value}）",
        "academic session type must be schoolYear, not {value!r}",
    ),
    "jp-session-title": (
        "年度の title は「{expected}」です（{value}）",
        "school year title must be {expected!r}, not {value!r}",
    ),
    "jp-session-dates": (
        "年度は {expected} です（{value}）",
        "a school year runs {expected}, not {value}",
    ),
    "jp-school-code": (
        "学校コードは13桁（学校種別2文字・都道府県2桁・設置区分1桁・番号7桁・検査数字1桁）です（{value}）: {detail}",
        "a 学校コード has 13 characters (2-character school type, 2-digit prefecture, 1-digit 設置区分, "
        "7-digit number, 1 check digit), not {value!r}: {detail}",
    ),
    "jp-board-code": (
        "教育委員会コードは6桁の数字（地方公共団体コード）です（{value}）: {detail}",
        "a 教育委員会コード is 6 digits (a 地方公共団体コード), not {value!r}: {detail}",
    ),
    "jp-grade": (
        "{column} の {value} は学年コード（P1〜P6, J1〜J3, H1〜H3, E1〜E3）ではありません",
        "{column} value {value!r} is not a grade code (P1–P6, J1–J3, H1–H3, E1–E3)",
    ),
    "jp-subject-code": (
        "{column} の {value} は教科コード（P010〜P100, J010〜J090）ではありません",
        "{column} value {value!r} is not a subject code (P010–P100, J010–J090)",
    ),
    "jp-student-primary": (
        "児童生徒の在籍（enrollments）の primary は false です",
        "a student enrollment must have primary=false",
    ),
    "jp-number": ("{column} は数字です（{value}）", "{column} must be a number, not {value!r}"),
}

ERROR, WARNING = "error", "warning"


@dataclass
class Issue:
    """One problem: where (file, line, column) and which rule, with both messages."""

    rule: str
    file: str | None = None
    line: int | None = None
    column: str | None = None
    severity: str = ERROR
    params: dict = field(default_factory=dict)

    @property
    def message_ja(self) -> str:
        return MESSAGES[self.rule][0].format(**self._fields())

    @property
    def message_en(self) -> str:
        return MESSAGES[self.rule][1].format(**self._fields())

    def message(self, language: str = "both") -> str:
        """The message in "ja", "en" or "both" (Japanese / English)."""
        if language in ("ja", "en"):
            return self.message_ja if language == "ja" else self.message_en
        return f"{self.message_ja} / {self.message_en}"

    def _fields(self) -> dict:
        return {"file": self.file, "column": self.column, **self.params}

    def to_json(self) -> dict:
        data = asdict(self)
        data.pop("params")
        value = self.params.get("value")
        if value is not None:
            data["value"] = value
        data["message_ja"] = self.message_ja
        data["message_en"] = self.message_en
        return data


class IssueList:
    """Collects issues, keeping the first `limit` in full and counting the rest, so a wholly broken
    300,000-line file does not fill memory with messages."""

    def __init__(self, limit: int = 1_000):
        self.limit = limit
        self.kept: list[Issue] = []
        self.errors = 0
        self.warnings = 0

    def add(self, issue: Issue) -> None:
        if issue.severity == ERROR:
            self.errors += 1
        else:
            self.warnings += 1
        if len(self.kept) < self.limit:
            self.kept.append(issue)

    def __iter__(self):
        return iter(self.kept)

    @property
    def omitted(self) -> int:
        return self.errors + self.warnings - len(self.kept)


def render_table(issues: list[Issue], *, language: str = "both") -> str:
    """A fixed-width table for a terminal (East Asian wide characters count as two columns)."""
    if not issues:
        return ""
    header = ("file", "line", "column", "rule", "severity", "message")
    rows = []
    for issue in issues:
        line = "" if issue.line is None else str(issue.line)
        rows.append(
            (issue.file or "", line, issue.column or "", issue.rule, issue.severity, issue.message(language))
        )
    widths = [max(_width(row[i]) for row in (header, *rows)) for i in range(len(header) - 1)]
    lines = []
    for row in (header, *rows):
        cells = [_pad(cell, widths[i]) for i, cell in enumerate(row[:-1])]
        lines.append("  ".join([*cells, row[-1]]).rstrip())
        if row is header:
            lines.append("  ".join("-" * w for w in widths) + "  " + "-" * 7)
    return "\n".join(lines)


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))
