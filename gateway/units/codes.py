"""The 16-character 学習指導要領コード (MEXT course-of-study code): its layout, parsing and validation.

Layout (MEXT「学習指導要領コードについて」, checked against the 82V11/83V11/84V10 tables), 1-based:

| position | field | values seen in the tables |
|---|---|---|
| 1 | revision (告示時期) | `8` = 平成29・30・31年改訂 |
| 2 | school type (学校種別) | `2` 小学校, `3` 中学校, `4` 高等学校 (`1` 幼稚園, `5`-`7` 特別支援学校) |
| 3 | subject (教科等) | `0` 総則, `1` 国語, `5` 算数・数学, ... (letters too) |
| 4 | course (科目・分野) | `0` none; high-school subjects: `1` 数学Ⅰ, `2` 数学Ⅱ, ... |
| 5 | section (大項目) | `0` none, `1` 目標, `2` 目標及び内容, `3` 指導計画の作成と内容の取扱い, `4` 内容, `5` 各科目 |
| 6 | grade (学年・段階) | `0` not grade-specific, `1`-`6` 第n学年, `A` 1・2, `B` 2・3 (中), `C` 3・4, `D` 5・6, `L` 3〜6 (小) |
| 7 | goal/content (目標・内容の別) | `0` none, `2` 目標, `3` 内容, `5` 内容の取扱い, `6`, `7` |
| 8-16 | item hierarchy (項目) | one character per level: A/B/C 領域 → (1) → ア → (ｱ) → ...; `0` = no deeper level |

Every character is a digit or an ASCII letter (the tables use upper and lower case). A code is
*known* when it is in a loaded table; `parse_code` checks only the form and the positions whose
values are fixed (revision, school type), `gateway.units.service` checks that a code is known.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from gateway.errors import BadRequest

CODE_LENGTH = 16
_CODE_PATTERN = re.compile(r"[0-9A-Za-z]{16}")

REVISIONS = {"8": "平成29・30・31年改訂"}
SCHOOL_TYPES = {
    "1": "kindergarten",
    "2": "elementary",
    "3": "lower_secondary",
    "4": "upper_secondary",
    "5": "special_needs_kindergarten",
    "6": "special_needs_elementary",
    "7": "special_needs_lower_secondary",
}
SCHOOL_TYPE_NAMES = {"2": "小学校", "3": "中学校", "4": "高等学校"}
SECTIONS = {
    "0": None,
    "1": "目標",
    "2": "目標及び内容",
    "3": "指導計画の作成と内容の取扱い",
    "4": "内容",
    "5": "各科目",
}
GOAL_CONTENT = {"0": None, "2": "目標", "3": "内容", "5": "内容の取扱い", "6": "その他", "7": "その他"}
# Grade character → the school grades it covers, per school type.
GRADES = {
    "2": {
        "0": (),
        **{str(n): (n,) for n in range(1, 7)},
        "A": (1, 2),
        "C": (3, 4),
        "D": (5, 6),
        "L": (3, 4, 5, 6),
    },
    "3": {"0": (), "1": (1,), "2": (2,), "3": (3,), "A": (1, 2), "B": (2, 3)},
    "4": {"0": ()},
}
HIERARCHY_START = 7  # 0-based index of the first item-hierarchy character (position 8)


@dataclass(frozen=True)
class UnitCode:
    """A syntactically valid 学習指導要領コード, split into its fields."""

    code: str

    @property
    def revision(self) -> str:
        return self.code[0]

    @property
    def school_type(self) -> str:
        return SCHOOL_TYPES[self.code[1]]

    @property
    def subject(self) -> str:
        """The subject (教科等) key: revision, school type and subject character, e.g. `825`."""
        return self.code[:3]

    @property
    def course(self) -> str:
        """The course (科目・分野) key, e.g. `8451` for 数学Ⅰ; ends in 0 when there is none."""
        return self.code[:4]

    @property
    def section(self) -> str:
        return self.code[4]

    @property
    def grade_code(self) -> str:
        return self.code[5]

    @property
    def grades(self) -> tuple[int, ...]:
        """The grades (学年) the code is for; () when it is not grade-specific."""
        return GRADES.get(self.code[1], {}).get(self.code[5], ())

    @property
    def goal_content(self) -> str | None:
        return GOAL_CONTENT.get(self.code[6])

    @property
    def items(self) -> str:
        """The item hierarchy (positions 8-16) without its trailing zeros."""
        return self.code[HIERARCHY_START:].rstrip("0")

    def ancestors(self) -> list[str]:
        """Candidate parent codes, nearest first: the code with its last non-zero character from
        position 4 on set to 0, repeatedly. The first of these present in the table is the parent
        (a level may be skipped, e.g. 数学Ⅰ `8451500…` sits under 数学 `8450000…`)."""
        chars = list(self.code)
        found = []
        for index in range(CODE_LENGTH - 1, 2, -1):
            if chars[index] != "0":
                chars[index] = "0"
                found.append("".join(chars))
        return found

    def __str__(self) -> str:
        return self.code


def parse_code(text: object, *, field: str = "code") -> UnitCode:
    """`text` as a UnitCode; BadRequest (400, code `invalid_unit_code`) naming what is wrong."""
    if not isinstance(text, str):
        raise _invalid(field, text, "must be a string of 16 characters")
    if len(text) != CODE_LENGTH:
        raise _invalid(field, text, f"must be 16 characters long, not {len(text)}")
    if not _CODE_PATTERN.fullmatch(text):
        bad = next(ch for ch in text if not (ch.isascii() and ch.isalnum()))
        raise _invalid(field, text, f"may contain only ASCII letters and digits (found {bad!r})")
    if text[0] not in REVISIONS:
        raise _invalid(field, text, f"position 1 (revision) {text[0]!r} is not a known revision (expected 8)")
    if text[1] not in SCHOOL_TYPES:
        raise _invalid(field, text, f"position 2 (school type) {text[1]!r} is not a known school type")
    grades = GRADES.get(text[1])
    if grades is not None and text[5] not in grades:
        raise _invalid(
            field,
            text,
            f"position 6 (grade) {text[5]!r} is not a grade of {SCHOOL_TYPES[text[1]]} codes "
            f"(expected one of {', '.join(grades)})",
        )
    return UnitCode(text)


def _invalid(field: str, value: object, why: str) -> BadRequest:
    return BadRequest(
        f"{field} {value!r} is not a valid 学習指導要領コード: {why}",
        code="invalid_unit_code",
        details={"field": field, "value": value if isinstance(value, str) else repr(value), "reason": why},
    )
