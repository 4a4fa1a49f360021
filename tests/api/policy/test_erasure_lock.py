"""An erasure takes the roster import lock: refused (409 import-in-progress, Retry-After) while an
import holds it, changing nothing; and it holds the lock itself while it runs."""

from __future__ import annotations

import pytest

from tests.api.policy.helpers import act_as, seed_roster
from tests.api.policy.test_me_api import me_token


@pytest.fixture
def roster(app):
    with app.app_context():
        seed_roster()


def test_an_erasure_during_an_import_is_refused_and_changes_nothing(app, client, monkeypatch, roster):
    from gateway.oneroster.repository import acquire_import_lock, collection, release_import_lock

    act_as(monkeypatch, me_token())
    with app.app_context():
        acquire_import_lock("import-under-way")
    try:
        response = client.post("/me/erase", json={"confirm": "erase"})
        assert response.status_code == 409, response.json
        assert response.json["error"]["code"] == "import-in-progress"
        assert "import" in response.json["error"]["message"]
        assert int(response.headers["Retry-After"]) > 0
        with app.app_context():
            assert collection("users").find_one({"_id": "stu-16"}) is not None
            from gateway.policy import rights

            assert not rights.was_erased("stu-16")
    finally:
        with app.app_context():
            release_import_lock("import-under-way")
    assert client.post("/me/erase", json={"confirm": "erase"}).status_code == 200


def test_the_erasure_holds_the_lock_while_it_runs(app, client, monkeypatch, roster):
    from gateway.oneroster.repository import ImportLocked, acquire_import_lock
    from gateway.policy import rights

    seen = []

    def an_import_meanwhile(subject: str) -> int:
        with pytest.raises(ImportLocked) as refused:
            acquire_import_lock("import-meanwhile")
        seen.append(refused.value.holder["batch"])
        return 0

    monkeypatch.setattr(rights, "_erasers", [an_import_meanwhile])
    act_as(monkeypatch, me_token())
    assert client.post("/me/erase", json={"confirm": "erase"}).status_code == 200
    assert seen and seen[0].startswith("erasure-")
    with app.app_context():  # released afterwards: an import may run again
        acquire_import_lock("import-after")
        from gateway.oneroster.repository import release_import_lock

        release_import_lock("import-after")
