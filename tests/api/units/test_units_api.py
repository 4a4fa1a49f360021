"""GET /units and /units/{code} over the loaded MEXT tables; the loader's counts and idempotence."""

import pytest
from click.testing import CliRunner


def basic_auth(client_id: str, client_secret: str) -> dict[str, str]:
    import base64

    return {"Authorization": "Basic " + base64.b64encode(f"{client_id}:{client_secret}".encode()).decode()}


@pytest.fixture
def loaded(app):
    """83V11 whole, and the 算数 and 数学 rows of 82V11 and 84V10 (loading all 16,887 rows takes
    ~11 s on the embedded store: one slow test does it)."""
    from gateway.units import repository
    from gateway.units.tables import read_table

    with app.app_context():
        for name, subject in (("82V11", "825"), ("83V11", None), ("84V10", "845")):
            records = [r for r in read_table(name) if subject is None or r.code.subject == subject]
            repository.replace_table(name, [r.document() for r in records])


@pytest.fixture
def loaded_all(app):
    from gateway.units.service import load_tables

    with app.app_context():
        return load_tables()


@pytest.fixture
def auth(make_credentials):
    return basic_auth(*make_credentials(scope="statements/write"))


@pytest.mark.slow
def test_all_three_tables_load_completely_and_reload_is_a_no_op(app, loaded_all):
    loaded = loaded_all
    from gateway.units.service import load_tables

    assert {name: counts["stored"] for name, counts in loaded.items()} == {
        "82V11": 3747,
        "83V11": 2190,
        "84V10": 10950,
    }
    assert all(counts["rows"] == counts["inserted"] for counts in loaded.values())
    with app.app_context():
        again = load_tables()
    assert all(c["inserted"] == c["updated"] == c["removed"] == 0 for c in again.values())
    assert {name: counts["stored"] for name, counts in again.items()} == {
        "82V11": 3747,
        "83V11": 2190,
        "84V10": 10950,
    }


def test_unit_by_code(client, loaded, auth):
    response = client.get("/units/8451500000000000", headers=auth)
    assert response.status_code == 200
    unit = response.get_json()
    assert unit["heading"] == "第１\u3000数学Ⅰ"
    assert unit["schoolType"] == "upper_secondary"
    assert unit["subject"] == {"key": "845", "name": "数学"}
    assert unit["course"] == "8451"
    assert unit["parent"] == "8450000000000000"
    assert unit["children"][0]["code"] == "8451502000000000"
    grade_one = client.get("/units/8350210000000000", headers=auth).get_json()
    assert grade_one["grades"] == [1] and grade_one["subject"]["name"] == "数学"


def test_unknown_and_malformed_codes(client, loaded, auth):
    response = client.get("/units/8451509990000000", headers=auth)
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "unknown_unit_code"
    response = client.get("/units/84515", headers=auth)
    assert response.status_code == 400
    assert "16 characters" in response.get_json()["error"]["message"]


def test_authentication_is_required(client, loaded):
    assert client.get("/units/8451500000000000").status_code == 401
    assert client.get("/units?q=一次関数").status_code == 401


def test_search_by_subject_grade_and_text(client, loaded, auth):
    response = client.get("/units?subject=数学&grade=2&q=一次関数", headers=auth)
    assert response.status_code == 200
    body = response.get_json()
    assert body["total"] >= 1 and response.headers["X-Total-Count"] == str(body["total"])
    assert all("一次関数" in u["text"] for u in body["units"])
    assert all(u["schoolType"] == "lower_secondary" and 2 in u["grades"] for u in body["units"])
    # full-width digits and spacing in the tables do not get in the way
    assert client.get("/units?q=第1学年&subject=835", headers=auth).get_json()["total"] >= 1
    page = client.get("/units?subject=算数&limit=10&offset=10", headers=auth).get_json()
    assert len(page["units"]) == 10 and page["total"] == 632


def test_bad_search_parameters(client, loaded, auth):
    assert client.get("/units?grade=9", headers=auth).status_code == 400
    assert client.get("/units?colour=red", headers=auth).status_code == 400
    assert client.get("/units?limit=0", headers=auth).status_code == 400


def test_cli_reports_counts(app, monkeypatch, database_uri):
    from gateway import cli

    monkeypatch.setenv("MONGODB_URI", database_uri)
    monkeypatch.setenv("MONGODB_DB", "kakehashi_test")
    result = CliRunner().invoke(cli.main, ["units", "load", "--table", "83V11"])
    assert result.exit_code == 0, result.output
    assert "83V11: 2190 rows read" in result.output
    assert "2190 stored" in result.output


def test_foundations_and_builds_on(client, loaded, auth):
    body = client.get("/units/8451503311000000/foundations", headers=auth).get_json()
    first = body["foundations"][0]
    assert first["code"] == "8350233311100000" and first["depth"] == 1 and first["rationale"]
    assert first["heading"].startswith("(ｱ)")
    assert {"8350213311200000", "8250263311100000"} <= {f["code"] for f in body["foundations"]}
    body = client.get("/units/8350223311100000/builds-on", headers=auth).get_json()
    assert {u["code"] for u in body["buildsOn"]} >= {"8350233311100000", "8451503311000000"}
    assert client.get("/units/8451509990000000/foundations", headers=auth).status_code == 404
    assert client.get("/units/8451503311000000/foundations").status_code == 401
