"""Three months of xAPI statements about the demo roster: juku app, coaching, alerts and exam results.

Who reports what (the actor is always the student, as `agent_for_user` gives it):

- the juku (あおば進学塾), for its students only, with its app as context.platform: study sessions
  (experienced), unit progress after each session (progressed), backtracking to a unit of an earlier
  grade (backtracked), weekly coaching with the coach's note (attended) and alerts (was-flagged);
- the mock-exam vendor, for every student: the September and November 模試, one statement per
  section and one for the total with its 偏差値 (scored);
- each school, for its students: the October 中間考査 of 数学Ⅰ and 数学A, the same way (scored).

Shape conventions: the object is what the student did; context.contextActivities.grouping holds the
curriculum unit(s) a statement is about when the object is not the unit itself (exam sections,
backtracking, coaching, alerts); parent holds the exam of an exam section; category holds the
Kakehashi profile. Statement ids are UUIDv5 over the seed and the statement's source key, so seeding
again sends the same statements, which an LRS accepts as duplicates.

The students are simulated day by day. Mastery of a unit grows with the school's lessons (faster for
able students whose foundations from 中学校 are solid) and with study in the app; weak foundations
slow app study down until the app sends the student back to them. Juku students follow a persona –
diligent, struggling (much effort, little progress), inactive, improving (after the September 模試)
or steady – so study time, progress and exam scores relate as they do in the pilots.
"""

from __future__ import annotations

import math
import random
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone

from gateway.demo import vocabulary as v
from gateway.demo.roster import PRIVATE_SCHOOL_CODE, DemoRoster, agent_for_user, school_host
from gateway.demo.vocabulary import UNITS_BY_CODE, Unit

JST = timezone(timedelta(hours=9))
STATEMENT_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://kakehashi.example/demo/statements")
# 国民の祝日 of the period (the 2026 Silver Week included): students study as on weekends.
HOLIDAYS = frozenset(
    {
        date(2026, 9, 21),
        date(2026, 9, 22),
        date(2026, 9, 23),
        date(2026, 10, 12),
        date(2026, 11, 3),
        date(2026, 11, 23),
    }
)

# When each unit's lessons begin at the prefectural school; the private school runs a week ahead.
LESSONS_BEGIN = {
    "8451503113000000": date(2026, 4, 13),  # 式の展開と因数分解
    "8451503111000000": date(2026, 5, 11),  # 実数
    "8451503114000000": date(2026, 6, 1),  # 一次不等式
    "8451503112000000": date(2026, 6, 22),  # 集合と命題
    "8451503311000000": date(2026, 7, 6),  # 二次関数のグラフ
    "8451503312000000": date(2026, 9, 1),  # 二次関数の最大・最小
    "8451503313000000": date(2026, 9, 28),  # 二次方程式・二次不等式
    "8451503211000000": date(2026, 10, 26),  # 鋭角の三角比
    "8451503212000000": date(2026, 11, 9),  # 鈍角の三角比
    "8451503213000000": date(2026, 11, 24),  # 正弦定理・余弦定理
    "8454503211000000": date(2026, 4, 13),  # 数え上げの原則
    "8454503212000000": date(2026, 5, 11),  # 順列・組合せ
    "8454503213000000": date(2026, 6, 15),  # 確率
    "8454503214000000": date(2026, 9, 7),  # 独立な試行
    "8454503215000000": date(2026, 10, 5),  # 条件付き確率
    "8454503111000000": date(2026, 10, 26),  # 三角形の性質
    "8454503112000000": date(2026, 11, 16),  # 円の性質
}
PRIVATE_SCHOOL_LEAD = timedelta(days=7)

# Mastery below which the app sends a student back to a foundation unit, and at which a unit counts
# as reached (到達) in progress statements.
FOUNDATION_GAP = 0.6
UNIT_REACHED = 0.8
# Effort-without-progress alert: at least this many minutes in 14 days, and less achievement gained
# per hour on the units not yet reached (diligent students gain 0.12 or more, struggling ones 0.05–0.1).
ALERT_WINDOW = timedelta(days=14)
ALERT_MINUTES = 480
ALERT_GAIN_PER_HOUR = 0.08
SCHOOL_EXAM_PLATFORM = "校務支援システム"


@dataclass(frozen=True)
class Exam:
    activity_id: str
    title: str
    kind: str  # "mock" (模試) or "periodic" (定期考査)
    starts: datetime
    minutes: int
    sections: tuple[tuple[str, int], ...]  # (unit code, points) per 大問
    platform: str
    national: tuple[float, float] | None = None  # mean and standard deviation of the total nationally


@dataclass(frozen=True)
class Persona:
    weekday_chance: float  # chance of studying on a school day
    weekend_chance: float
    minutes: int  # mean minutes on a day with study
    ability: tuple[float, float]  # mean and spread of the latent math ability
    weak_foundations: bool = False


PERSONAS = {
    "diligent": Persona(0.85, 0.75, 55, (0.5, 0.5)),
    "struggling": Persona(0.85, 0.75, 65, (-1.2, 0.3), weak_foundations=True),
    "inactive": Persona(0.3, 0.2, 25, (-0.2, 0.6)),
    "improving": Persona(0.3, 0.25, 20, (-0.5, 0.4), weak_foundations=True),
    "steady": Persona(0.6, 0.5, 35, (0.0, 0.6)),
}
# What an improving student does once the September 模試 and their coach have woken them up.
IMPROVED = Persona(0.85, 0.75, 55, (0.0, 0.0))


def build_statements(
    roster: DemoRoster, seed: int = 2026, start: date = date(2026, 9, 1), end: date = date(2026, 11, 27)
) -> list[dict]:
    """xAPI statements (1.0.3 and 2.0 valid, ready to POST) from `start` to `end`, oldest first."""
    personas = _personas(roster, seed)
    juku = roster.provider("juku")
    statements: list[dict] = []
    for student in roster.students():
        school = roster.org(student["primaryOrgSourcedId"])
        learner = _Learner(student, school, personas.get(student["sourcedId"], ""), seed, start)
        exams = _exams(roster, school, start, end)
        statements += _Term(learner, juku, exams, seed, start, end).run()
    statements.sort(key=lambda statement: (statement["timestamp"], statement["id"]))
    return statements


def sender_of(statement: dict, roster: DemoRoster) -> dict:
    """Who would send `statement` to the gateway: the juku or the mock-exam vendor (a `providers`
    record) or, for 定期考査 results, the student's school (an org record)."""
    platform = statement["context"]["platform"]
    for provider in roster.providers:
        if provider["platform"] == platform:
            return provider
    if platform != SCHOOL_EXAM_PLATFORM:
        raise ValueError(f"no demo sender uses the platform {platform!r}")
    student = statement["actor"]["account"]["name"]
    return roster.org(next(u for u in roster.users if u["sourcedId"] == student)["primaryOrgSourcedId"])


def _personas(roster: DemoRoster, seed: int) -> dict[str, str]:
    """Spreads the personas evenly over each school's juku students, in a seeded order."""
    rng = random.Random(f"kakehashi-demo:{seed}:personas")
    kinds = list(PERSONAS)
    personas = {}
    for school in roster.schools():
        juku = [
            student["sourcedId"]
            for student in roster.students()
            if student["primaryOrgSourcedId"] == school["sourcedId"]
            and student["sourcedId"] in roster.juku_students
        ]
        assigned = [kinds[index % len(kinds)] for index in range(len(juku))]
        rng.shuffle(assigned)
        personas.update(zip(juku, assigned, strict=True))
    return personas


def _lessons_begin(code: str, school: dict) -> date:
    begins = LESSONS_BEGIN[code]
    return begins - PRIVATE_SCHOOL_LEAD if school["identifier"] == PRIVATE_SCHOOL_CODE else begins


def _exams(roster: DemoRoster, school: dict, start: date, end: date) -> tuple[Exam, ...]:
    vendor = roster.provider("exam_vendor")
    private = school["identifier"] == PRIVATE_SCHOOL_CODE
    school_base = f"https://{school_host(school)}/exams/2026/term2-midterm"
    exams = (
        Exam(
            f"{vendor['homePage']}/exams/2026/h1-2/math",
            "第2回 高1全国模試（9月） 数学",
            "mock",
            datetime(2026, 9, 12, 10, 40, tzinfo=JST),
            60,
            (
                ("8451503113000000", 20),  # 式の展開と因数分解
                ("8451503111000000", 10),  # 実数
                ("8451503114000000", 15),  # 一次不等式
                ("8451503112000000", 10),  # 集合と命題
                ("8451503311000000", 25),  # 二次関数のグラフ
                ("8454503213000000", 20),  # 確率
            ),
            vendor["platform"],
            national=(48.0, 18.0),
        ),
        Exam(
            f"{vendor['homePage']}/exams/2026/h1-3/math",
            "第3回 高1全国模試（11月） 数学",
            "mock",
            datetime(2026, 11, 7, 10, 40, tzinfo=JST),
            60,
            (
                ("8451503113000000", 10),  # 式の展開と因数分解
                ("8451503311000000", 15),  # 二次関数のグラフ
                ("8451503312000000", 20),  # 二次関数の最大・最小
                ("8451503313000000", 20),  # 二次方程式・二次不等式
                ("8451503211000000", 15),  # 鋭角の三角比
                ("8454503212000000", 10),  # 順列・組合せ
                ("8454503214000000", 10),  # 独立な試行
            ),
            vendor["platform"],
            national=(45.0, 19.0),
        ),
        Exam(
            f"{school_base}/math-1",
            "2学期中間考査 数学Ⅰ",
            "periodic",
            datetime(2026, 10, 20 if private else 14, 9, 0, tzinfo=JST),
            50,
            (
                ("8451503311000000", 30),  # 二次関数のグラフ
                ("8451503312000000", 40),  # 二次関数の最大・最小
                ("8451503313000000", 30),  # 二次方程式・二次不等式
            ),
            SCHOOL_EXAM_PLATFORM,
        ),
        Exam(
            f"{school_base}/math-a",
            "2学期中間考査 数学A",
            "periodic",
            datetime(2026, 10, 21 if private else 15, 10, 50, tzinfo=JST),
            50,
            (
                ("8454503213000000", 20),  # 確率
                ("8454503214000000", 50),  # 独立な試行
                ("8454503215000000", 30),  # 条件付き確率
            ),
            SCHOOL_EXAM_PLATFORM,
        ),
    )
    return tuple(exam for exam in exams if start <= exam.starts.date() <= end)


class _Learner:
    """One student's latent state: ability, foundations (中学校 units) and what study added per unit."""

    def __init__(self, student: dict, school: dict, persona: str, seed: int, start: date) -> None:
        self.student = student
        self.school = school
        self.persona = persona
        self.rng = random.Random(f"kakehashi-demo:{seed}:learner:{student['sourcedId']}")
        rng = self.rng
        if persona:
            mean, spread = PERSONAS[persona].ability
            self.ability = rng.gauss(mean, spread)
        else:
            # The private school selects on entry, so its cohort starts a little stronger.
            self.ability = rng.gauss(0.2 if school["identifier"] == PRIVATE_SCHOOL_CODE else 0.0, 0.9)
        weak = 0.15 if persona and PERSONAS[persona].weak_foundations else 0.0
        self.foundations = {
            unit.code: _clip(0.68 + 0.15 * self.ability - weak + rng.gauss(0, 0.12), 0.05, 0.97)
            for unit in v.UNITS
            if unit.grade.startswith("J")
        }
        self.begins = {code: _lessons_begin(code, school) for code in LESSONS_BEGIN}
        self.unit_luck = {code: rng.gauss(0, 0.06) for code in LESSONS_BEGIN}
        # What study outside lessons added: the juku app for juku students (some from before the
        # period), own study for everyone else.
        own_study = rng.uniform(0.0, 0.3)
        self.studied = {
            code: (rng.uniform(0.0, 0.2) if self.begins[code] < start else 0.0) if persona else own_study
            for code in LESSONS_BEGIN
        }

    @property
    def agent(self) -> dict:
        return agent_for_user(self.student, self.school)

    def readiness(self, code: str) -> float:
        prerequisites = UNITS_BY_CODE[code].prerequisites
        return min(self.foundations[p] for p in prerequisites) if prerequisites else 0.8

    def mastery(self, code: str, day: date) -> float:
        """到達率 as the app (or an exam) would measure it: lessons and own study combined."""
        days = (day - self.begins[code]).days
        cap = _clip(
            0.45 + 0.15 * self.ability + 0.5 * (self.readiness(code) - 0.6) + self.unit_luck[code], 0.05, 0.95
        )
        taught = cap * (1 - math.exp(-days / 20)) if days >= 0 else 0.0
        return 1 - (1 - taught) * (1 - self.studied[code])

    def study(self, code: str, minutes: int) -> None:
        # Each minute closes part of the remaining gap; weak foundations make the minutes count little.
        rate = 0.010 * math.exp(0.8 * self.ability) * (0.15 + 0.85 * self.readiness(code) ** 2)
        self.studied[code] += (1 - self.studied[code]) * (1 - math.exp(-rate * minutes))

    def backtrack(self, code: str, minutes: int) -> None:
        rate = 0.03 * math.exp(0.3 * self.ability)
        self.foundations[code] += (1 - self.foundations[code]) * (1 - math.exp(-rate * minutes))

    def foundation_gap(self, code: str) -> str | None:
        """The deepest weak unit under `code`: 二次関数 → 関数y=ax² → 一次関数 → 比例・反比例."""
        prerequisites = UNITS_BY_CODE[code].prerequisites
        if not prerequisites:
            return None
        weakest = min(prerequisites, key=self.foundations.__getitem__)
        if self.foundations[weakest] >= FOUNDATION_GAP:
            return None
        return self.foundation_gap(weakest) or weakest


@dataclass
class _Block:
    """One stretch of study on one unit, remembered for alerts and coaching notes."""

    day: date
    code: str
    minutes: int
    before: float
    after: float
    backtracked_from: str = ""  # the target unit, when this was backtracking


@dataclass
class _Term:
    """One student's term, day by day: exams for everyone; app study, coaching and alerts for
    juku students."""

    learner: _Learner
    juku: dict
    exams: tuple[Exam, ...]
    seed: int
    start: date
    end: date
    statements: list[dict] = field(default_factory=list)
    blocks: list[_Block] = field(default_factory=list)
    results: list[tuple[Exam, str, int, int]] = field(default_factory=list)  # (exam, unit, raw, points)

    def __post_init__(self) -> None:
        rng = self.learner.rng
        self.last_study = self.start - timedelta(days=1)
        self.coaching_weekday = rng.randrange(6)  # Monday to Saturday
        self.coaching_time = time(16 + rng.randrange(4), rng.choice((0, 30)))
        self.coach = rng.choice(self.juku["coaches"])
        self.turns_at = self.start + timedelta(days=rng.randrange(17, 33))  # improving: after the 模試
        self.gaps = self._inactive_gaps() if self.learner.persona == "inactive" else ()

    def run(self) -> list[dict]:
        day = self.start
        while day <= self.end:
            for exam in self.exams:
                if exam.starts.date() == day:
                    self._sit(exam)
            if self.learner.persona:
                if day.weekday() == self.coaching_weekday:
                    self._coaching(day)
                self._study_day(day)
                self._alerts(day)
            day += timedelta(days=1)
        return self.statements

    # --- the juku app ----------------------------------------------------------------------------

    def _persona(self, day: date) -> Persona:
        persona = PERSONAS[self.learner.persona]
        return IMPROVED if self.learner.persona == "improving" and day >= self.turns_at else persona

    def _inactive_gaps(self) -> tuple[tuple[date, date], ...]:
        rng = self.learner.rng
        first = date(2026, 9, 14) + timedelta(days=rng.randrange(21))
        second = date(2026, 10, 26) + timedelta(days=rng.randrange(14))
        return (
            (first, first + timedelta(days=rng.randrange(8, 14))),
            (second, second + timedelta(days=rng.randrange(7, 10))),
        )

    def _study_day(self, day: date) -> None:
        rng = self.learner.rng
        persona = self._persona(day)
        free_day = day.weekday() >= 5 or day in HOLIDAYS
        chance = persona.weekend_chance if free_day else persona.weekday_chance
        exam_soon = self.exam_within(day, 6)
        if exam_soon:
            chance = min(1.0, chance + 0.15)
        if any(first <= day <= last for first, last in self.gaps) or rng.random() >= chance:
            return
        mean = persona.minutes * (1.3 if exam_soon else 1.0)
        remaining = int(_clip(round(rng.gauss(mean, 0.35 * mean)), 10, 150))
        begins = (9 * 60 + rng.randrange(420)) if free_day else (18 * 60 + 30 + rng.randrange(200))
        # Sessions end the same day, short breaks between blocks included, so the day's data stays on it.
        begins = min(begins, 24 * 60 - 1 - remaining - 3 * (remaining // 10))
        clock = datetime.combine(day, time(*divmod(begins, 60)), tzinfo=JST)
        while remaining >= 10:
            minutes = remaining if remaining < 40 else rng.randint(15, 35)
            if remaining - minutes < 10:
                minutes = remaining
            clock += timedelta(minutes=minutes)
            self._study_block(day, clock, minutes, exam_soon)
            clock += timedelta(minutes=rng.randrange(4))
            remaining -= minutes
        self.last_study = day

    def _study_block(self, day: date, ended: datetime, minutes: int, exam_soon: Exam | None) -> None:
        learner, rng = self.learner, self.learner.rng
        target = self._choose_unit(day, exam_soon)
        gap = learner.foundation_gap(target)
        if gap and rng.random() < 0.75:
            before = learner.foundations[gap]
            learner.backtrack(gap, minutes)
            after = learner.foundations[gap]
            self.blocks.append(_Block(day, gap, minutes, before, after, backtracked_from=target))
            self._emit(
                ("backtracked", ended.isoformat(), gap),
                v.BACKTRACKED,
                _unit_activity(UNITS_BY_CODE[gap]),
                ended,
                result={
                    "score": {"scaled": _accuracy(after, rng)},
                    "completion": after >= FOUNDATION_GAP,
                    "duration": f"PT{minutes}M",
                },
                context=self._juku_context(grouping=[target], extensions={v.STUDY_MINUTES: minutes}),
            )
            return
        before = learner.mastery(target, day)
        learner.study(target, minutes)
        after = learner.mastery(target, day)
        self.blocks.append(_Block(day, target, minutes, before, after))
        self._emit(
            ("experienced", ended.isoformat(), target),
            v.EXPERIENCED,
            _unit_activity(UNITS_BY_CODE[target]),
            ended,
            result={"duration": f"PT{minutes}M"},
            context=self._juku_context(extensions={v.STUDY_MINUTES: minutes}),
        )
        accuracy = _accuracy(after, rng)
        self._emit(
            ("progressed", ended.isoformat(), target),
            v.PROGRESSED,
            _unit_activity(UNITS_BY_CODE[target]),
            ended,
            result={
                "score": {"scaled": accuracy},
                "completion": after >= UNIT_REACHED,
                "success": accuracy >= 0.7,
                "extensions": {v.ACHIEVEMENT_RATE: round(after, 3)},
            },
            context=self._juku_context(),
        )

    def _choose_unit(self, day: date, exam_soon: Exam | None) -> str:
        """Units already taught, weighted towards the current ones, weak ones and the next exam's."""
        begins = self.learner.begins
        taught = [code for code in LESSONS_BEGIN if begins[code] <= day]
        latest: dict[str, str] = {}  # per course (数学Ⅰ, 数学A): the unit taught now
        for code in taught:
            if code[:4] not in latest or begins[code] > begins[latest[code[:4]]]:
                latest[code[:4]] = code
        on_exam = {code for code, _ in exam_soon.sections} if exam_soon else set()
        weights = [
            (1.05 - self.learner.mastery(code, day))
            * (3 if code in latest.values() else 1)
            * (4 if code in on_exam else 1)
            for code in taught
        ]
        return self.learner.rng.choices(taught, weights=weights)[0]

    def exam_within(self, day: date, days: int) -> Exam | None:
        return next((e for e in self.exams if 0 < (e.starts.date() - day).days <= days), None)

    def _alerts(self, day: date) -> None:
        inactive_days = (day - self.last_study).days
        if inactive_days == 7:
            when = datetime.combine(day, time(21, 0), tzinfo=JST)
            self._emit(
                ("was-flagged", when.isoformat(), v.ALERT_INACTIVE),
                v.WAS_FLAGGED,
                _alert(v.ALERT_INACTIVE),
                when,
                result={"extensions": {v.INACTIVE_DAYS: inactive_days}},
                context=self._juku_context(),
            )
        # The effort check runs on Sunday nights over the last two weeks.
        if day.weekday() != 6 or day - self.start < ALERT_WINDOW - timedelta(days=1):
            return
        window = [b for b in self.blocks if day - b.day < ALERT_WINDOW]
        minutes = sum(b.minutes for b in window)
        # Units already reached are left out: little gain there is no cause for concern.
        gains = {
            code: gain
            for code, gain in _gains([b for b in window if not b.backtracked_from]).items()
            if self.learner.mastery(code, day) < UNIT_REACHED
        }
        hours = sum(b.minutes for b in window if b.code in gains) / 60
        if minutes >= ALERT_MINUTES and hours and sum(gains.values()) / hours < ALERT_GAIN_PER_HOUR:
            when = datetime.combine(day, time(21, 30), tzinfo=JST)
            self._emit(
                ("was-flagged", when.isoformat(), v.ALERT_EFFORT_WITHOUT_PROGRESS),
                v.WAS_FLAGGED,
                _alert(v.ALERT_EFFORT_WITHOUT_PROGRESS),
                when,
                result={
                    "extensions": {
                        v.STUDY_MINUTES: minutes,
                        v.ACHIEVEMENT_GAIN: round(sum(gains.values()), 3),
                    }
                },
                context=self._juku_context(grouping=sorted(gains, key=gains.__getitem__)[:3]),
            )

    # --- coaching at the juku --------------------------------------------------------------------

    def _coaching(self, day: date) -> None:
        rng = self.learner.rng
        if rng.random() >= (0.7 if self.learner.persona == "inactive" else 0.95):
            return  # absent this week
        when = datetime.combine(day, self.coaching_time, tzinfo=JST)
        note, units = _CoachingNote(self, day).write()
        minutes = rng.randrange(20, 31)
        instructor = {
            "objectType": "Agent",
            "name": self.coach["name"],
            "account": {"homePage": self.juku["homePage"], "name": self.coach["accountName"]},
        }
        self._emit(
            ("attended", when.isoformat()),
            v.ATTENDED,
            _coaching_activity(self.juku),
            when,
            result={"duration": f"PT{minutes}M", "extensions": {v.COACHING_NOTE: note}},
            context={**self._juku_context(grouping=units), "instructor": instructor, "language": "ja"},
        )

    # --- exams -----------------------------------------------------------------------------------

    def _sit(self, exam: Exam) -> None:
        learner, rng = self.learner, self.learner.rng
        day = exam.starts.date()
        finished = exam.starts + timedelta(minutes=exam.minutes)
        total = 0
        for number, (code, points) in enumerate(exam.sections, start=1):
            share = _clip(0.1 + 0.85 * learner.mastery(code, day) + rng.gauss(0, 0.07), 0.0, 1.0)
            raw = round(share * points)
            total += raw
            self.results.append((exam, code, raw, points))
            unit = UNITS_BY_CODE[code]
            section = {
                "objectType": "Activity",
                "id": f"{exam.activity_id}/sections/{number}",
                "definition": {
                    "type": v.EXAM_SECTION,
                    "name": {"ja": f"{exam.title} 第{number}問（{unit.name}）"},
                },
            }
            self._emit(
                ("scored", exam.activity_id, number),
                v.SCORED,
                section,
                finished,
                result={"score": _score(raw, points)},
                context=_context(exam.platform, parent=[_exam_activity(exam)], grouping=[code]),
            )
        points = sum(points for _, points in exam.sections)
        result: dict = {"score": _score(total, points), "duration": f"PT{exam.minutes}M"}
        if exam.national:
            mean, spread = exam.national
            result["extensions"] = {v.DEVIATION_SCORE: round(50 + 10 * (total - mean) / spread, 1)}
        self._emit(
            ("scored", exam.activity_id),
            v.SCORED,
            _exam_activity(exam),
            finished,
            result=result,
            context=_context(exam.platform),
        )

    # --- statements ------------------------------------------------------------------------------

    def _juku_context(self, grouping: list[str] | None = None, extensions: dict | None = None) -> dict:
        context = _context(self.juku["platform"], grouping=grouping)
        if extensions:
            context["extensions"] = extensions
        return context

    def _emit(
        self, key: tuple, verb: str, target: dict, when: datetime, *, result: dict, context: dict
    ) -> None:
        source = "/".join(str(part) for part in (self.seed, self.learner.student["sourcedId"], *key))
        self.statements.append(
            {
                "id": str(uuid.uuid5(STATEMENT_NAMESPACE, source)),
                "actor": self.learner.agent,
                "verb": {"id": verb, "display": dict(v.VERB_DISPLAY[verb])},
                "object": target,
                "result": result,
                "context": context,
                "timestamp": when.isoformat(),
            }
        )


class _CoachingNote:
    """The coach's note for the week: time studied, what moved, where the student went back to,
    the next or last exam, and the plan – in the terse style of a juku's 指導記録."""

    def __init__(self, term: _Term, day: date) -> None:
        self.term = term
        self.day = day
        self.rng = term.learner.rng
        self.week = [b for b in term.blocks if timedelta(0) < day - b.day <= timedelta(days=7)]

    def write(self) -> tuple[str, list[str]]:
        units: list[str] = []
        sentences = [self._effort()]
        for part in (self._progress, self._backtracking, self._exam):
            sentence = part(units)
            if sentence:
                sentences.append(sentence)
        sentences.append(self._plan(units))
        return "".join(sentences), list(dict.fromkeys(units))

    def _effort(self) -> str:
        if self.day - self.term.start < timedelta(days=7):
            # The app's record of the summer lies before the data set: the first talk looks ahead.
            return "2学期最初の面談。" + self.rng.choice(
                ("夏休みの課題の進み具合を確認した。", "2学期の学習計画を一緒に立てた。")
            )
        minutes = sum(b.minutes for b in self.week)
        days = len({b.day for b in self.week})
        if not minutes:
            reason = self.rng.choice(
                (
                    "部活動の大会が続いたとのこと。",
                    "体調を崩していたとのこと。",
                    "文化祭の準備で忙しかったとのこと。",
                )
            )
            return f"この1週間はアプリでの学習記録なし。{reason}"
        if minutes < 120:
            return f"今週の学習時間は{minutes}分（{days}日）とやや少なめ。"
        return f"今週の学習時間は{minutes}分（{days}日）。"

    def _progress(self, units: list[str]) -> str:
        gains = _gains([b for b in self.week if not b.backtracked_from])
        if not gains:
            return ""
        minutes = {code: sum(b.minutes for b in self.week if b.code == code) for code in gains}
        best = max(gains, key=gains.__getitem__)
        if gains[best] >= 0.05:
            units.append(best)
            after = self.term.learner.mastery(best, self.day)
            return f"{UNITS_BY_CODE[best].name}の到達率が{_percent(after - gains[best])}→{_percent(after)}に上がった。"
        busiest = max(minutes, key=minutes.__getitem__)
        if minutes[busiest] < 60:
            return ""
        units.append(busiest)
        return (
            f"{UNITS_BY_CODE[busiest].name}は{minutes[busiest]}分取り組んだが到達率は"
            f"{_percent(self.term.learner.mastery(busiest, self.day))}で伸び悩み。解き直しの前に基礎を確認させる。"
        )

    def _backtracking(self, units: list[str]) -> str:
        backtracks = [b for b in self.week if b.backtracked_from]
        if not backtracks:
            return ""
        last = backtracks[-1]
        units.append(last.backtracked_from)
        target, foundation = UNITS_BY_CODE[last.backtracked_from], UNITS_BY_CODE[last.code]
        cleared = "基礎は定着してきた。" if last.after >= FOUNDATION_GAP else "まだ不安定なので継続。"
        return f"{target.name}でつまずき、{_grade_label(foundation)}「{foundation.name}」までさかのぼって復習。{cleared}"

    def _exam(self, units: list[str]) -> str:
        coming = self.term.exam_within(self.day, 14)
        if coming:
            weakest = min(
                (code for code, _ in coming.sections), key=lambda c: self.term.learner.mastery(c, self.day)
            )
            units.append(weakest)
            days = (coming.starts.date() - self.day).days
            when = "明日" if days == 1 else f"{days}日後"
            return f"{when}の{coming.title}に向けて、{UNITS_BY_CODE[weakest].name}を重点的に復習する計画を立てた。"
        recent = [r for r in self.term.results if 0 <= (self.day - r[0].starts.date()).days <= 10]
        if not recent:
            return ""
        exam, code, raw, points = min(recent, key=lambda r: r[2] / r[3])
        units.append(code)
        verdict = "類題演習で定着を図る。" if raw / points < 0.5 else "概ねできている。"
        return f"{exam.title}の{UNITS_BY_CODE[code].name}は{raw}/{points}点。{verdict}"

    def _plan(self, units: list[str]) -> str:
        if not self.week and self.day - self.term.start >= timedelta(days=7):
            return "平日は15分でもよいので毎日アプリを開くことを約束した。"
        if not units:
            return "アプリで毎日少しずつ学習を続けるよう声をかけた。"
        focus = UNITS_BY_CODE[units[0]].name
        return self.rng.choice(
            (
                f"次週は{focus}の演習を中心に進める。",
                f"来週も{focus}を継続。宿題はアプリの確認テスト2回分。",
                f"{focus}の確認テストで8割を目標にする。",
            )
        )


def _gains(blocks: list[_Block]) -> dict[str, float]:
    """Per unit: achievement after its last block minus achievement before its first one."""
    first: dict[str, float] = {}
    last: dict[str, float] = {}
    for block in blocks:
        first.setdefault(block.code, block.before)
        last[block.code] = block.after
    return {code: last[code] - first[code] for code in first}


def _context(platform: str, *, parent: list[dict] | None = None, grouping: list[str] | None = None) -> dict:
    activities: dict[str, list[dict]] = {}
    if parent:
        activities["parent"] = parent
    if grouping:
        activities["grouping"] = [_unit_activity(UNITS_BY_CODE[code]) for code in grouping]
    activities["category"] = [
        {"objectType": "Activity", "id": v.KAKEHASHI_PROFILE, "definition": {"type": v.PROFILE}}
    ]
    return {"platform": platform, "contextActivities": activities}


def _unit_activity(unit: Unit) -> dict:
    return {
        "objectType": "Activity",
        "id": unit.activity_id,
        "definition": {
            "type": v.CURRICULUM_UNIT,
            "name": {"ja": unit.name, "en": unit.name_en},
            "description": {"ja": unit.course},
            "extensions": {v.COURSE_OF_STUDY_CODE: unit.code},
        },
    }


def _exam_activity(exam: Exam) -> dict:
    return {
        "objectType": "Activity",
        "id": exam.activity_id,
        "definition": {
            "type": v.ASSESSMENT,
            "name": {"ja": exam.title},
            "extensions": {v.EXAM_KIND: exam.kind},
        },
    }


def _coaching_activity(juku: dict) -> dict:
    return {
        "objectType": "Activity",
        "id": f"{juku['homePage']}/activities/weekly-coaching",
        "definition": {
            "type": v.MEETING,
            "name": {"ja": "週次学習コーチング（面談）", "en": "Weekly learning coaching"},
        },
    }


def _alert(alert: str) -> dict:
    return {
        "objectType": "Activity",
        "id": alert,
        "definition": {"type": v.LEARNING_ALERT, "name": dict(v.ALERT_NAMES[alert])},
    }


def _score(raw: int, points: int) -> dict:
    return {"raw": raw, "min": 0, "max": points, "scaled": round(raw / points, 4)}


def _accuracy(mastery: float, rng: random.Random) -> float:
    """正答率 of a session's practice: follows mastery, with the noise of a handful of questions."""
    return round(_clip(0.25 + 0.65 * mastery + rng.gauss(0, 0.08), 0.05, 1.0), 2)


def _grade_label(unit: Unit) -> str:
    return {"J1": "中1", "J2": "中2", "J3": "中3"}[unit.grade]


def _percent(share: float) -> str:
    return f"{round(share * 100)}%"


def _clip(value: float, low: float, high: float) -> float:
    return max(low, min(high, value))
