"""xAPI vocabulary and curriculum units of the demo data: verbs, activity types, extensions and MEXT units.

IRIs from published vocabularies (ADL, the xAPI profile server) are reused where they fit. What is
missing is minted under https://kakehashi.example/xapi/ and is PROVISIONAL: it may change until the
Kakehashi xAPI profile (profiles/) defines it; `PROVISIONAL_IRIS` lists every such IRI.
"""

from __future__ import annotations

from dataclasses import dataclass

# --- Verbs ---------------------------------------------------------------------------------------

# A study session in the learning app: ADL's "experienced" is the verb for time on task where no
# completion is claimed; progress is reported by a separate "progressed" statement.
EXPERIENCED = "http://adlnet.gov/expapi/verbs/experienced"
PROGRESSED = "http://adlnet.gov/expapi/verbs/progressed"
# One result per exam section (and per exam), reported after marking rather than while answering.
SCORED = "http://adlnet.gov/expapi/verbs/scored"
ATTENDED = "http://adlnet.gov/expapi/verbs/attended"
# Provisional: no published verb says "went back to a prerequisite unit of an earlier grade".
BACKTRACKED = "https://kakehashi.example/xapi/verbs/backtracked"
# Provisional: the learner is the subject of an alert the app raised for the coach (the passive
# form follows TLA's "was-assigned").
WAS_FLAGGED = "https://kakehashi.example/xapi/verbs/was-flagged"

VERB_DISPLAY: dict[str, dict[str, str]] = {
    EXPERIENCED: {"ja": "学習した", "en": "experienced"},
    PROGRESSED: {"ja": "進捗した", "en": "progressed"},
    SCORED: {"ja": "得点した", "en": "scored"},
    ATTENDED: {"ja": "参加した", "en": "attended"},
    BACKTRACKED: {"ja": "さかのぼり学習をした", "en": "backtracked"},
    WAS_FLAGGED: {"ja": "学習アラートの対象になった", "en": "was flagged"},
}

# --- Activity types ------------------------------------------------------------------------------

ASSESSMENT = "http://adlnet.gov/expapi/activities/assessment"
MEETING = "http://adlnet.gov/expapi/activities/meeting"
PROFILE = "http://adlnet.gov/expapi/activities/profile"
# Provisional: a unit of the Course of Study (学習指導要領), identified by its 学習指導要領コード.
CURRICULUM_UNIT = "https://kakehashi.example/xapi/activity-types/curriculum-unit"
# Provisional: one section (大問) of an exam, marked on its own and tied to one unit.
EXAM_SECTION = "https://kakehashi.example/xapi/activity-types/exam-section"
# Provisional: a kind of alert a learning app raises about a learner.
LEARNING_ALERT = "https://kakehashi.example/xapi/activity-types/learning-alert"

# --- Extensions (all provisional) ----------------------------------------------------------------

# Activity definition extension: the 16-character 学習指導要領コード of a curriculum unit.
COURSE_OF_STUDY_CODE = "https://kakehashi.example/xapi/extensions/course-of-study-code"
# Activity definition extension on exams: "mock" (模試) or "periodic" (定期考査).
EXAM_KIND = "https://kakehashi.example/xapi/extensions/exam-kind"
# Context extension: whole minutes of study, so reports can sum without parsing ISO 8601 durations.
STUDY_MINUTES = "https://kakehashi.example/xapi/extensions/study-minutes"
# Result extension: 到達率, the share (0–1) of a unit's skills the app judges mastered.
ACHIEVEMENT_RATE = "https://kakehashi.example/xapi/extensions/achievement-rate"
# Result extension: how much the achievement rates of the units concerned rose, summed, in an alert's window.
ACHIEVEMENT_GAIN = "https://kakehashi.example/xapi/extensions/achievement-gain"
# Result extension: consecutive days without any study, for inactivity alerts.
INACTIVE_DAYS = "https://kakehashi.example/xapi/extensions/inactive-days"
# Result extension: the coach's note of a coaching session (plain text in context.language).
COACHING_NOTE = "https://kakehashi.example/xapi/extensions/coaching-note"
# Result extension: 偏差値 of a mock exam total (50 = national mean, 10 = one standard deviation).
DEVIATION_SCORE = "https://kakehashi.example/xapi/extensions/deviation-score"

# --- Activities the vocabulary itself defines (provisional) --------------------------------------

# The profile the demo statements follow, named in context.contextActivities.category as xAPI
# profiles ask; it is published once profiles/ holds the Kakehashi profile.
KAKEHASHI_PROFILE = "https://kakehashi.example/xapi/profile"
ALERT_EFFORT_WITHOUT_PROGRESS = "https://kakehashi.example/xapi/alerts/effort-without-progress"
ALERT_INACTIVE = "https://kakehashi.example/xapi/alerts/inactive"

ALERT_NAMES: dict[str, dict[str, str]] = {
    ALERT_EFFORT_WITHOUT_PROGRESS: {
        "ja": "学習量に対して到達率が伸びていない",
        "en": "Studies a lot without progress",
    },
    ALERT_INACTIVE: {"ja": "7日間学習記録なし", "en": "No study for 7 days"},
}

PROVISIONAL_IRIS = frozenset(
    {
        BACKTRACKED,
        WAS_FLAGGED,
        CURRICULUM_UNIT,
        EXAM_SECTION,
        LEARNING_ALERT,
        COURSE_OF_STUDY_CODE,
        EXAM_KIND,
        STUDY_MINUTES,
        ACHIEVEMENT_RATE,
        ACHIEVEMENT_GAIN,
        INACTIVE_DAYS,
        COACHING_NOTE,
        DEVIATION_SCORE,
        KAKEHASHI_PROFILE,
        ALERT_EFFORT_WITHOUT_PROGRESS,
        ALERT_INACTIVE,
    }
)


# --- Curriculum units ----------------------------------------------------------------------------

UNIT_ACTIVITY_BASE = "https://kakehashi.example/units/"


@dataclass(frozen=True)
class Unit:
    """A curriculum unit: one knowledge-and-skills item (ア(ｱ), (ｲ) …) of a Course of Study.

    `mext_text` is the verbatim beginning of the item's 学習指導要領テキスト, so a test can prove
    that `code` is the right row; `name` is the short label apps and coaches use. `prerequisites`
    are the units of earlier grades the item builds on: where backtracking (さかのぼり学習) goes.
    """

    code: str
    name: str
    name_en: str
    course: str
    mext_text: str
    prerequisites: tuple[str, ...] = ()

    @property
    def activity_id(self) -> str:
        return UNIT_ACTIVITY_BASE + self.code

    @property
    def grade(self) -> str:
        """OneRoster grade of the code's school type and year: J1–J3, or H1 for 数学Ⅰ and 数学A."""
        if self.code[1] == "3":
            return "J" + self.code[5]
        return "H1"


# Codes and texts come from MEXT's 学習指導要領コード tables (出典：文部科学省「学習指導要領コード」,
# converted to CSV in /work/shared/data/mext-course-of-study/): 84V10 (高等学校, 数学Ⅰ = 8451…,
# 数学A = 8454…) and 83V11 (中学校 数学, 835<grade>…). A unit test checks every code and text.
UNITS: tuple[Unit, ...] = (
    # 数学Ⅰ (1) 数と式
    Unit("8451503113000000", "式の展開と因数分解", "Expansion and factorisation", "数学Ⅰ",
         "(ｳ) 二次の乗法公式及び因数分解の公式の理解を深めること", ("8350233121200000",)),
    Unit("8451503111000000", "実数と根号を含む式の計算", "Real numbers and surds", "数学Ⅰ",
         "(ｱ) 数を実数まで拡張する意義を理解し，簡単な無理数の四則計算をすること", ("8350233111200000",)),
    Unit("8451503114000000", "一次不等式", "Linear inequalities", "数学Ⅰ",
         "(ｴ) 不等式の解の意味や不等式の性質について理解し，一次不等式の解を求めること", ("8350213131200000",)),
    Unit("8451503112000000", "集合と命題", "Sets and propositions", "数学Ⅰ",
         "(ｲ) 集合と命題に関する基本的な概念を理解すること", ("8350223221200000",)),
    # 数学Ⅰ (3) 二次関数
    Unit("8451503311000000", "二次関数のグラフ", "Graphs of quadratic functions", "数学Ⅰ",
         "(ｱ) 二次関数の値の変化やグラフの特徴について理解すること", ("8350233311100000",)),
    Unit("8451503312000000", "二次関数の最大・最小", "Maxima and minima of quadratic functions", "数学Ⅰ",
         "(ｲ) 二次関数の最大値や最小値を求めること", ("8350233311100000",)),
    Unit("8451503313000000", "二次方程式・二次不等式とグラフ", "Quadratic equations and inequalities", "数学Ⅰ",
         "(ｳ) 二次方程式の解と二次関数のグラフとの関係について理解すること",
         ("8350233131200000", "8350233131300000")),
    # 数学Ⅰ (2) 図形と計量
    Unit("8451503211000000", "鋭角の三角比", "Trigonometric ratios of acute angles", "数学Ⅰ",
         "(ｱ) 鋭角の三角比の意味と相互関係について理解すること", ("8350233211100000", "8350233231100000")),
    Unit("8451503212000000", "鈍角の三角比", "Trigonometric ratios of obtuse angles", "数学Ⅰ",
         "(ｲ) 三角比を鈍角まで拡張する意義を理解し", ("8350213311300000",)),
    Unit("8451503213000000", "正弦定理・余弦定理", "The sine and cosine rules", "数学Ⅰ",
         "(ｳ) 正弦定理や余弦定理について三角形の決定条件や三平方の定理と関連付けて理解し", ("8350233231100000",)),
    # 数学A (2) 場合の数と確率
    Unit("8454503211000000", "場合の数（数え上げの原則）", "Counting principles", "数学A",
         "(ｱ) 集合の要素の個数に関する基本的な関係や和の法則，積の法則などの数え上げの原則について理解すること",
         ("8350223421200000",)),
    Unit("8454503212000000", "順列・組合せ", "Permutations and combinations", "数学A",
         "(ｲ) 具体的な事象を基に順列及び組合せの意味を理解し", ("8350223421200000",)),
    Unit("8454503213000000", "確率とその基本的な法則", "Probability and its basic laws", "数学A",
         "(ｳ) 確率の意味や基本的な法則についての理解を深め", ("8350223421100000",)),
    Unit("8454503214000000", "独立な試行の確率", "Probability of independent trials", "数学A",
         "(ｴ) 独立な試行の意味を理解し，独立な試行の確率を求めること", ("8350223421200000",)),
    Unit("8454503215000000", "条件付き確率", "Conditional probability", "数学A",
         "(ｵ) 条件付き確率の意味を理解し", ("8350223421200000",)),
    # 数学A (1) 図形の性質
    Unit("8454503111000000", "三角形の性質", "Properties of triangles", "数学A",
         "(ｱ) 三角形に関する基本的な性質について理解すること", ("8350223221100000", "8350233211100000")),
    Unit("8454503112000000", "円の性質", "Properties of circles", "数学A",
         "(ｲ) 円に関する基本的な性質について理解すること", ("8350233221100000",)),
    # 中学校 数学 第1学年
    Unit("8350213111200000", "正の数・負の数の計算", "Arithmetic with negative numbers", "中学校数学 第1学年",
         "(ｲ) 正の数と負の数の四則計算をすること"),
    Unit("8350213121300000", "一次式の計算", "Adding and subtracting linear expressions", "中学校数学 第1学年",
         "(ｳ) 簡単な一次式の加法と減法の計算をすること", ("8350213111200000",)),
    Unit("8350213131200000", "一元一次方程式", "Linear equations in one unknown", "中学校数学 第1学年",
         "(ｲ) 簡単な一元一次方程式を解くこと", ("8350213121300000",)),
    Unit("8350213311200000", "比例・反比例", "Direct and inverse proportion", "中学校数学 第1学年",
         "(ｲ) 比例，反比例について理解すること"),
    Unit("8350213311300000", "座標", "Coordinates", "中学校数学 第1学年",
         "(ｳ) 座標の意味を理解すること"),
    Unit("8350213421100000", "多数回の試行と確率", "Probability from many trials", "中学校数学 第1学年",
         "(ｱ) 多数の観察や多数回の試行によって得られる確率の必要性と意味を理解すること"),
    # 中学校 数学 第2学年
    Unit("8350223111100000", "整式の加減と単項式の乗除", "Polynomial arithmetic", "中学校数学 第2学年",
         "(ｱ) 簡単な整式の加法と減法及び単項式の乗法と除法の計算をすること", ("8350213121300000",)),
    Unit("8350223311100000", "一次関数", "Linear functions", "中学校数学 第2学年",
         "(ｱ) 一次関数について理解すること", ("8350213311200000", "8350213311300000")),
    Unit("8350223221100000", "三角形の合同条件", "Congruent triangles", "中学校数学 第2学年",
         "(ｱ) 平面図形の合同の意味及び三角形の合同条件について理解すること"),
    Unit("8350223221200000", "証明の意味と方法", "What a proof is and how to write one", "中学校数学 第2学年",
         "(ｲ) 証明の必要性と意味及びその方法について理解すること", ("8350223221100000",)),
    Unit("8350223421100000", "場合の数を基にした確率", "Probability from counting outcomes", "中学校数学 第2学年",
         "(ｱ) 多数回の試行によって得られる確率と関連付けて，場合の数を基にして得られる確率の必要性と意味を理解すること",
         ("8350213421100000",)),
    Unit("8350223421200000", "簡単な場合の確率", "Computing simple probabilities", "中学校数学 第2学年",
         "(ｲ) 簡単な場合について確率を求めること", ("8350223421100000",)),
    # 中学校 数学 第3学年
    Unit("8350233111100000", "平方根の意味", "Square roots", "中学校数学 第3学年",
         "(ｱ) 数の平方根の必要性と意味を理解すること"),
    Unit("8350233111200000", "平方根を含む式の計算", "Calculating with square roots", "中学校数学 第3学年",
         "(ｲ) 数の平方根を含む簡単な式の計算をすること", ("8350233111100000", "8350213111200000")),
    Unit("8350233121200000", "式の展開と因数分解（中3）", "Expanding and factorising (grade 9)", "中学校数学 第3学年",
         "(ｲ) 簡単な一次式の乗法の計算及び次の公式を用いる簡単な式の展開や因数分解をすること",
         ("8350223111100000",)),
    Unit("8350233131200000", "二次方程式（因数分解・平方の形）", "Solving quadratics by factorising", "中学校数学 第3学年",
         "(ｲ) 因数分解したり平方の形に変形したりして二次方程式を解くこと", ("8350233121200000",)),
    Unit("8350233131300000", "二次方程式の解の公式", "The quadratic formula", "中学校数学 第3学年",
         "(ｳ) 解の公式を知り，それを用いて二次方程式を解くこと", ("8350233111200000",)),
    Unit("8350233211100000", "三角形の相似条件", "Similar triangles", "中学校数学 第3学年",
         "(ｱ) 平面図形の相似の意味及び三角形の相似条件について理解すること", ("8350223221100000",)),
    Unit("8350233221100000", "円周角と中心角", "Inscribed and central angles", "中学校数学 第3学年",
         "(ｱ) 円周角と中心角の関係の意味を理解し，それが証明できることを知ること", ("8350223221200000",)),
    Unit("8350233231100000", "三平方の定理", "Pythagoras' theorem", "中学校数学 第3学年",
         "(ｱ) 三平方の定理の意味を理解し，それが証明できることを知ること", ("8350233111100000",)),
    Unit("8350233311100000", "関数y=ax²", "The function y = ax²", "中学校数学 第3学年",
         "(ｱ) 関数y＝ax^2について理解すること", ("8350223311100000",)),
)  # fmt: skip

UNITS_BY_CODE: dict[str, Unit] = {unit.code: unit for unit in UNITS}
