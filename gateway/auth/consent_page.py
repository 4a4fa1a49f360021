"""What the consent page shows: which data categories a client's scopes reach, in plain Japanese."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from gateway.auth.scopes import ONEROSTER_SCOPES

JST = ZoneInfo("Asia/Tokyo")
DEFAULT_CONSENT_DAYS = 365

_PROCESS_AND_RESULTS = (
    "assessment.periodic-test",
    "assessment.mock-exam",
    "process.study-time",
    "process.achievement",
    "process.backtracking",
    "process.coaching-note",
    "process.learning-alert",
)
_ROSTER = ("roster.identity", "roster.kana", "roster.contact", "roster.enrollment")

# The data categories (profiles/data-categories.yaml) each scope can release.
SCOPE_CATEGORIES: dict[str, tuple[str, ...]] = {
    "statements/read": _PROCESS_AND_RESULTS,
    "statements/read/mine": _PROCESS_AND_RESULTS,
    "all/read": (*_ROSTER, "roster.demographics", *_PROCESS_AND_RESULTS),
    "all": (*_ROSTER, "roster.demographics", *_PROCESS_AND_RESULTS),
    "state": ("process.study-time", "process.achievement"),
    "reports.read": ("process.study-time", "process.achievement", "process.learning-alert"),
    "me": ("roster.identity", "roster.enrollment"),
}
for _scope in ONEROSTER_SCOPES:
    if _scope.endswith("roster-demographics.readonly"):
        SCOPE_CATEGORIES[_scope] = ("roster.demographics",)
    elif _scope.endswith("roster-core.readonly"):
        SCOPE_CATEGORIES[_scope] = ("roster.identity", "roster.enrollment")
    else:
        SCOPE_CATEGORIES[_scope] = _ROSTER

CATEGORY_LABELS = {
    "roster.identity": "名前など、あなたがだれかが分かる情報",
    "roster.kana": "名前のふりがな",
    "roster.contact": "メールアドレスなどの連絡先",
    "roster.demographics": "生年月日や性別",
    "roster.enrollment": "学校・学年・クラス",
    "assessment.periodic-test": "定期テストの点数",
    "assessment.mock-exam": "模試の結果",
    "process.study-time": "勉強した時間",
    "process.achievement": "単元ごとにどこまでできるようになったか",
    "process.backtracking": "前の学年の単元にもどって学び直した記録",
    "process.coaching-note": "先生や塾の先生が書いた指導メモ",
    "process.learning-alert": "つまずきのお知らせ（学習アラート）",
}
PURPOSE_LABELS = {
    "learning-support": "あなたの学習を手助けするため",
    "school-administration": "学校の事務のため",
    "research": "研究のため（個人が分からない形で使います）",
}
SCOPE_LABELS = {"statements/write": "学習の記録を書きこむ", "me": "あなた自身のデータを見る"}


def categories_for(scope: str, known: frozenset[str]) -> list[str]:
    """The catalog categories the scopes reach, in catalog order, each once."""
    wanted = {category for item in scope.split() for category in SCOPE_CATEGORIES.get(item, ())}
    ordered = [c for c in CATEGORY_LABELS if c in wanted and c in known]
    return ordered + sorted(c for c in wanted & known if c not in CATEGORY_LABELS)


def consent_period(days: int, start: datetime) -> tuple[datetime, datetime]:
    return start, start + timedelta(days=days)


def japanese_date(value: datetime) -> str:
    local = value.astimezone(JST)
    return f"{local.year}年{local.month}月{local.day}日"
