"""The shipped crosswalks and prerequisite graph: valid over the MEXT tables; defects reported."""

import pytest

from gateway.demo import vocabulary as v
from gateway.units.crosswalks import read_crosswalk
from gateway.units.prerequisites import PrerequisiteGraphError, read_graph
from gateway.units.service import crosswalks, prerequisite_graph, table_codes


def test_shipped_crosswalks_are_valid_and_cover_the_demo():
    walks = crosswalks()
    assert set(walks) == {"aoba-juku", "shingaku-moshi", "wakabadai-periodic-test"}
    assert all(walk.problems == [] for walk in walks.values())
    # every demo unit has a juku chapter id, and one chapter maps to three codes
    juku = walks["aoba-juku"]
    assert {c for codes in juku.mapping.values() for c in codes} == set(v.UNITS_BY_CODE)
    assert len(juku.codes_for("aoba:math:m1:quadratics-review")) == 3
    # the mock exam's sections as the demo statements name them
    exam = "https://shingaku-moshi.example/exams/2026/h1-2/math"
    report = walks["shingaku-moshi"].coverage([f"{exam}/sections/{n}" for n in range(1, 8)])
    assert report["mapped"] == 6 and report["unmapped"] == [f"{exam}/sections/7"]


def test_crosswalk_defects_are_each_reported(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(
        "source_id,codes,label,note\n"
        "a,8451503311000000,ok,\n"
        "a,8451503312000000,duplicate,\n"
        "b,8451509990000000,unknown,\n"
        "c,84515,malformed,\n"
        "d,,no codes,\n",
        encoding="utf-8",
    )
    walk = read_crosswalk(path, set(table_codes()))
    messages = [str(p) for p in walk.problems]
    assert walk.mapping == {"a": ("8451503311000000",)}
    assert any("line 3" in m and "duplicate source_id 'a'" in m for m in messages)
    assert any("line 4" in m and "unknown target code 8451509990000000" in m for m in messages)
    assert any("line 5" in m and "16 characters" in m for m in messages)
    assert any("line 6" in m and "no target code" in m for m in messages)


def test_prerequisite_graph_is_a_dag_over_existing_codes():
    graph = prerequisite_graph()
    assert graph.cycle() is None
    assert graph.codes() <= table_codes()
    assert sum(len(f) for f in graph.foundations.values()) == 44
    # every foundation named in the demo vocabulary is an edge of the graph
    for unit in v.UNITS:
        assert set(unit.prerequisites) <= set(graph.foundations.get(unit.code, {}))


def test_quadratic_functions_chain_down_to_elementary_proportion():
    depths = {e["code"]: e["depth"] for e in prerequisite_graph().foundations_of("8451503311000000")}
    assert depths["8350233311100000"] == 1  # 関数 y=ax²
    assert depths["8350223311100000"] == 2  # 一次関数
    assert depths["8350213311200000"] == 3  # 比例・反比例
    assert depths["8250263311100000"] == 4  # 小6 比例
    building = {e["code"] for e in prerequisite_graph().units_building_on("8350213311200000")}
    assert {"8350223311100000", "8350233311100000", "8451503311000000", "8451503312000000"} <= building


def test_cycles_unknown_codes_and_missing_rationales_are_rejected(tmp_path):
    path = tmp_path / "math.csv"
    path.write_text(
        "unit,foundation,rationale\n"
        "8350233311100000,8350223311100000,a\n"
        "8350223311100000,8350213311200000,b\n"
        "8350213311200000,8350233311100000,c\n",
        encoding="utf-8",
    )
    with pytest.raises(PrerequisiteGraphError, match="cycle: 8350213311200000 ← 8350233311100000"):
        read_graph([path], set(table_codes()))
    path.write_text(
        "unit,foundation,rationale\n8350233311100000,8451509990000000,x\n8350233311100000,8350223311100000,\n",
        encoding="utf-8",
    )
    with pytest.raises(PrerequisiteGraphError) as caught:
        read_graph([path], set(table_codes()))
    assert any("foundation 8451509990000000 is in none" in p for p in caught.value.problems)
    assert any("line 3: no rationale" in p for p in caught.value.problems)


def test_units_check_command_reports_the_shipped_mappings():
    from click.testing import CliRunner

    from gateway import cli

    result = CliRunner().invoke(cli.main, ["units", "check"])
    assert result.exit_code == 0, result.output
    assert "crosswalk shingaku-moshi: 15 source ids mapped to 11 codes" in result.output
    assert "prerequisites: 44 edges over 45 units, acyclic" in result.output
