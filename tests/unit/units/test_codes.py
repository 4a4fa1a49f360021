"""The 学習指導要領コード model: fields of real codes from the MEXT tables, and clear rejections."""

import pytest

from gateway.errors import BadRequest
from gateway.units.codes import parse_code
from gateway.units.tables import TABLES, read_table


@pytest.mark.parametrize(
    ("code", "school_type", "subject", "course", "grades", "goal_content"),
    [
        # 82V11 算数 〔第１学年〕 ２ 内容 Ａ 数と計算 (1) ア (ｷ) 数を，十を単位としてみること。
        ("8250213111700000", "elementary", "825", "8250", (1,), "内容"),
        # 82V11 国語 〔第５学年及び第６学年〕
        ("82102D0000000000", "elementary", "821", "8210", (5, 6), None),
        # 82V11 社会 第１ 目標 (第３学年〜第６学年)
        ("82201L0000000000", "elementary", "822", "8220", (3, 4, 5, 6), None),
        # 84V10 数学Ⅰ ２ 内容
        ("8451503000000000", "upper_secondary", "845", "8451", (), "内容"),
        # 84V10 日本史探究 C (1) ア (ア) 織豊政権の政治・経済政策...
        ("8434503311100000", "upper_secondary", "843", "8434", (), "内容"),
    ],
)
def test_fields_of_real_codes(code, school_type, subject, course, grades, goal_content):
    parsed = parse_code(code)
    assert parsed.school_type == school_type
    assert parsed.subject == subject
    assert parsed.course == course
    assert parsed.grades == grades
    assert parsed.goal_content == goal_content


def test_lower_secondary_grades_from_the_table():
    records = {r.code.code: r for r in read_table("83V11")}
    by_heading = {r.text.split("\n")[0].strip(): r for r in records.values() if r.subject_name == "数学"}
    assert by_heading["〔第１学年〕"].code.grades == (1,)
    assert by_heading["〔第２学年〕"].code.grades == (2,)
    assert by_heading["〔第３学年〕"].code.grades == (3,)
    assert all(r.code.school_type == "lower_secondary" for r in records.values())


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("825021311170000", "must be 16 characters long, not 15"),
        ("82502131117000000", "must be 16 characters long, not 17"),
        ("８250213111700000", "may contain only ASCII letters and digits"),
        ("825021311170000-", "may contain only ASCII letters and digits"),
        ("9250213111700000", "position 1 (revision) '9'"),
        ("8950213111700000", "position 2 (school type) '9'"),
        ("82502Z3111700000", "position 6 (grade) 'Z' is not a grade of elementary"),
        ("8450513000000000", "position 6 (grade) '1' is not a grade of upper_secondary"),
        (8250213111700000, "must be a string"),
    ],
)
def test_malformed_codes_are_rejected_with_the_reason(text, reason):
    with pytest.raises(BadRequest) as caught:
        parse_code(text, field="code")
    assert reason in caught.value.message
    assert caught.value.code == "invalid_unit_code"
    assert caught.value.details["field"] == "code"


def test_every_table_row_parses_and_parents_are_in_the_same_table():
    counts = {}
    for name in TABLES:
        records = read_table(name)
        codes = {r.code.code for r in records}
        assert all(r.parent is None or r.parent in codes for r in records)
        counts[name] = len(records)
    assert counts == {"82V11": 3747, "83V11": 2190, "84V10": 10950}


def test_parent_skips_missing_levels():
    records = {r.code.code: r for r in read_table("84V10")}
    assert records["8451500000000000"].parent == "8450000000000000"  # 数学Ⅰ under 数学
    assert records["8451503000000000"].parent == "8451500000000000"
    assert records["8450000000000000"].parent is None
