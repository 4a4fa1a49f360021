"""Exam-format mappings (mappings/exam-formats/*.yaml) and Gradebook score scales, without a database."""

from __future__ import annotations

import pytest
import yaml

from adapters.exams.gradebook import _scale_values
from adapters.exams.mapped import format_paths, load_mapping
from gateway.units.service import crosswalks


def test_shipped_mappings_are_valid_and_name_shipped_crosswalks():
    paths = format_paths()
    assert set(paths) == {"shingaku-moshi-sections", "wakabadai-periodic-test"}
    walks = crosswalks()
    for name, path in paths.items():
        mapping = load_mapping(path)
        assert mapping["format"] == name
        assert mapping["unit"]["crosswalk"] in walks and walks[mapping["unit"]["crosswalk"]].problems == []


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda m: m.pop("score"), "'score' is a required property"),
        (lambda m: m["student"].update(match="email"), "student/match"),
        (lambda m: m["exam"].update(kind="quiz"), "exam/kind"),
        (lambda m: m["student"].pop("school"), "needs student.school"),
        (lambda m: m.update(granularity="question"), "needs a question column"),
        (lambda m: m["exam"]["id"].update(value="fixed"), "exam/id"),
    ],
)
def test_a_bad_mapping_is_refused_naming_the_problem(tmp_path, change, message):
    mapping = yaml.safe_load(format_paths()["wakabadai-periodic-test"].read_text(encoding="utf-8"))
    if "granularity" in message or "question" in message:
        mapping = yaml.safe_load(format_paths()["shingaku-moshi-sections"].read_text(encoding="utf-8"))
    change(mapping)
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(mapping, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ValueError, match=message):
        load_mapping(path)


def test_score_scale_values():
    assert _scale_values("{A:10},{B:6},{C:2},{D:0}") == {"A": 10, "B": 6, "C": 2, "D": 0}
    assert _scale_values("優:5; 良:3; 可:1") == {"優": 5, "良": 3, "可": 1}
    assert _scale_values("A:ten") is None
