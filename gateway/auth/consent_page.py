"""What the consent page shows, in plain Japanese: which data categories a client's scopes reach,
and what each scope lets the client do."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from gateway.auth.scopes import ONEROSTER_SCOPES, grants
from gateway.oneroster.operations import OPERATIONS
from gateway.policy.catalog import Catalog
from gateway.policy.release import (
    DEFINITION_READ_SCOPES,
    REVIEW_CATEGORIES,
    REVIEW_READ_SCOPES,
    ROSTER_ACCESS_SCOPES,
)
from gateway.policy.release_reports import IDENTITY_CATEGORY, REPORT_READ_SCOPE
from gateway.reports.figures import ENROLLMENT, REPORT_CATEGORIES

JST = ZoneInfo("Asia/Tokyo")
DEFAULT_CONSENT_DAYS = 365
# What a class report draws on (gateway.reports.service) and names a student's row by.
REPORT_RELEASES = (*REPORT_CATEGORIES, *ENROLLMENT, IDENTITY_CATEGORY)


def statement_categories(catalog: Catalog) -> frozenset[str]:
    """Every category a statement, or a classified field of one, can have."""
    return frozenset(
        {rule.category for rule in catalog.statement_rules}
        | set(catalog.data_categories.values())
        | {catalog.statement_default}
        | {category for _section, _iri, category in catalog.statement_fields}
    )


def _entity_categories(catalog: Catalog, entity: str) -> set[str]:
    spec = catalog.roster_entity(entity)
    return {spec.record} | {category for _path, category in spec.fields}


def personal_categories(catalog: Catalog) -> frozenset[str]:
    """The categories of data about a roster user (what a consent is about): the OneRoster records
    that name a user, statements, documents and Person objects. Reference data is about no one."""
    roster = set()
    for entity, spec in catalog.roster.items():
        if spec.subject:
            roster |= _entity_categories(catalog, entity)
    return frozenset(roster | statement_categories(catalog) | {catalog.documents, catalog.persons})


def _roster_categories(catalog: Catalog, scope: str) -> set[str]:
    """The categories of the OneRoster records the operations `scope` grants return."""
    name = scope.rsplit("/", 1)[-1]
    accesses = {access for access, names in ROSTER_ACCESS_SCOPES.items() if name in names}
    found = set()
    for operation in OPERATIONS:
        if operation.access in accesses:
            found |= _entity_categories(catalog, operation.entity)
    return found


def scope_releases(catalog: Catalog, scope: str) -> frozenset[str]:
    """The personal-data categories a token holding `scope` can receive, by the same scope checks
    the release hook (gateway.policy.release, release_reports) makes. `me` reaches the student's
    whole record (gateway.policy.rights: the record, the export archive)."""
    personal = personal_categories(catalog)
    if scope == "me":
        return personal
    held = frozenset({scope})
    found = set()
    if grants(held, "statements/read") or grants(held, "statements/read/mine"):
        found |= statement_categories(catalog)
    if grants(held, "state") or grants(held, "profile") or grants(held, "all/read"):
        found.add(catalog.documents)
    if any(grants(held, wanted) for wanted in DEFINITION_READ_SCOPES):
        found.add(catalog.persons)
    if grants(held, REPORT_READ_SCOPE):
        found |= set(REPORT_RELEASES)
    if any(grants(held, wanted) for wanted in REVIEW_READ_SCOPES):
        found |= set(REVIEW_CATEGORIES)
    if scope in ONEROSTER_SCOPES:
        found |= _roster_categories(catalog, scope)
    return frozenset(found & personal)


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
    "process.coaching-session": "先生との面談をした日と長さ",
    "process.coaching-note": "先生や塾の先生が書いた指導メモ",
    "process.learning-alert": "つまずきのお知らせ（学習アラート）",
    "process.general": "そのほかの学習の記録",
    "xapi.document": "学習アプリがあなたについて保存したデータ（とちゅうまでの記録や設定など）",
}
PURPOSE_LABELS = {
    "learning-support": "あなたの学習を手助けするため",
    "school-administration": "学校の事務のため",
    "research": "研究のため（個人が分からない形で使います）",
}
# What a token with each scope may do, said plainly: the data it reads is listed apart (categories).
SCOPE_CAPABILITIES = {
    "me": "あなたのデータをすべて見て、まとめて持ち出す（成績、面談のメモ、生年月日や性別などもふくみます）。"
    "また、かけはしにあるあなたのデータをすべて消す（消したデータは元にもどせません）",
    "consent.write": "あなたの代わりに、ほかのアプリや塾などにあなたのデータを渡す同意をしたり、同意を取り消したりする",
    "consent.read": "あなたがした同意の一覧を見る",
    "statements/write": "あなたの学習の記録を、かけはしに書きこむ（書きこんだ記録は先生や学校にも届くことがあります）",
    "statements/read": "かけはしにあるあなたの学習の記録を見る",
    "statements/read/mine": "このアプリが書きこんだ学習の記録を見る",
    "all/read": "かけはしにあるあなたの学習の記録と、学習アプリの保存データをすべて見る",
    "all": "かけはしにあるあなたの学習の記録と、学習アプリの保存データをすべて見て、書きこむ。"
    "クラスの学習のまとめ（レポート）も見る",
    "state": "学習アプリの保存データ（とちゅうまでの記録など）を見たり書きこんだりする",
    "profile": "学習アプリがあなたについて保存する設定などを見たり書きこんだりする",
    "define": "教材や問題の説明を、かけはしに書きこむ",
    "reports.read": "クラスの学習のまとめ（レポート）を見る",
    "audit.read": "だれにどのデータが渡ったかの記録を見る",
    "units.read": "学習指導要領の単元の一覧を見る",
}
_ROSTER_CAPABILITIES = {
    "roster-core.readonly": "学校の名簿（名前・学校・クラス）を見る",
    "roster.readonly": "学校の名簿（名前・ふりがな・連絡先・学校・クラス）を見る",
    "roster-demographics.readonly": "名簿にある生年月日や性別を見る",
}
for _scope in sorted(ONEROSTER_SCOPES):
    SCOPE_CAPABILITIES[_scope] = _ROSTER_CAPABILITIES[_scope.rsplit("/", 1)[-1]]


def categories_for(scope: str, catalog: Catalog) -> list[str]:
    """The personal-data categories the scopes reach, in catalog order, each once: what the consent
    page lists and the consent it records names."""
    wanted = {category for item in scope.split() for category in scope_releases(catalog, item)}
    return [category for category in catalog.categories if category in wanted]


def category_labels(categories: list[str], catalog: Catalog) -> list[str]:
    """Plain Japanese for each category (the catalog's own Japanese name when the page has none)."""
    return [
        CATEGORY_LABELS.get(category) or catalog.categories[category].get("ja", category)
        for category in categories
    ]


def capabilities_for(scope: str) -> list[str]:
    """What the requested scopes allow the app to do, in plain Japanese, each once."""
    requested = set(scope.split())
    return list(dict.fromkeys(text for name, text in SCOPE_CAPABILITIES.items() if name in requested))


def consent_period(days: int, start: datetime) -> tuple[datetime, datetime]:
    return start, start + timedelta(days=days)


def japanese_date(value: datetime) -> str:
    local = value.astimezone(JST)
    return f"{local.year}年{local.month}月{local.day}日"
