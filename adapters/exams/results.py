"""Exam results in a source-neutral shape (one mark per student, exam and section, tied to units),
and the Kakehashi-profile xAPI statements they become."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from gateway.demo import vocabulary as v

# Statement ids are UUIDv5 of the source keys under this namespace: importing the same file again
# sends the same ids and content, which the LRS accepts as duplicates and stores nothing.
STATEMENT_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://kakehashi.example/adapters/exams")
UNIT_ACTIVITY_BASE = v.UNIT_ACTIVITY_BASE


@dataclass(frozen=True)
class Exam:
    activity_id: str
    title: str
    kind: str  # "mock" (模試) or "periodic" (定期考査, school tests)
    taken: str  # ISO 8601 timestamp of the end of the exam
    platform: str


@dataclass
class SectionMark:
    """The mark of one student in one exam section (大問, or the questions of one unit tag)."""

    student: str  # roster sourcedId, once resolved
    exam: Exam
    section_id: str
    section_title: str
    codes: tuple[str, ...]
    raw: float
    max: float
    source_key: str  # what identifies this mark in the source files (for the statement id)


def statement_id(*key: str) -> str:
    return str(uuid.uuid5(STATEMENT_NAMESPACE, "\x1f".join(key)))


def _number(value: float) -> float | int:
    return int(value) if float(value).is_integer() else round(value, 4)


def _score(raw: float, points: float) -> dict:
    return {"raw": _number(raw), "min": 0, "max": _number(points), "scaled": round(raw / points, 4)}


def _category() -> list[dict]:
    return [{"objectType": "Activity", "id": v.KAKEHASHI_PROFILE, "definition": {"type": v.PROFILE}}]


def _unit_activity(code: str, heading: str | None) -> dict:
    definition: dict = {"type": v.CURRICULUM_UNIT, "extensions": {v.COURSE_OF_STUDY_CODE: code}}
    if heading:
        definition["name"] = {"ja": heading}
    return {"objectType": "Activity", "id": UNIT_ACTIVITY_BASE + code, "definition": definition}


def exam_activity(exam: Exam) -> dict:
    return {
        "objectType": "Activity",
        "id": exam.activity_id,
        "definition": {
            "type": v.ASSESSMENT,
            "name": {"ja": exam.title},
            "extensions": {v.EXAM_KIND: exam.kind},
        },
    }


def _verb() -> dict:
    return {"id": v.SCORED, "display": dict(v.VERB_DISPLAY[v.SCORED])}


def section_statement(mark: SectionMark, agent: dict, headings: dict[str, str], source: str) -> dict:
    """An `exam-section-result` statement: the section is the object, the exam the parent, its
    units the grouping."""
    return {
        "id": statement_id(source, mark.exam.activity_id, mark.student, mark.source_key),
        "actor": agent,
        "verb": _verb(),
        "object": {
            "objectType": "Activity",
            "id": mark.section_id,
            "definition": {"type": v.EXAM_SECTION, "name": {"ja": mark.section_title}},
        },
        "result": {"score": _score(mark.raw, mark.max)},
        "context": {
            "platform": mark.exam.platform,
            "contextActivities": {
                "parent": [exam_activity(mark.exam)],
                "grouping": [_unit_activity(code, headings.get(code)) for code in mark.codes],
                "category": _category(),
            },
        },
        "timestamp": mark.exam.taken,
    }


def exam_statement(
    exam: Exam, student: str, agent: dict, marks: list[SectionMark], source: str, deviation: float | None
) -> dict:
    """An `exam-result` statement: the exam's total (the sum of its sections) and its 偏差値 if given."""
    result: dict = {"score": _score(sum(m.raw for m in marks), sum(m.max for m in marks))}
    if deviation is not None:
        result["extensions"] = {v.DEVIATION_SCORE: deviation}
    return {
        "id": statement_id(source, exam.activity_id, student, "total"),
        "actor": agent,
        "verb": _verb(),
        "object": exam_activity(exam),
        "result": result,
        "context": {"platform": exam.platform, "contextActivities": {"category": _category()}},
        "timestamp": exam.taken,
    }
