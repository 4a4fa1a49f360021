"""A roster import that brings back a user erased at their request: imported (the school's roster
is its own record), with a warning naming them, in Japanese and English."""

from __future__ import annotations

from datetime import UTC, datetime

from adapters.oneroster.importer import import_roster
from gateway.oneroster import repository
from tests.integration.roster_sets import STUDENTS, write_set


def test_an_erased_user_imported_again_is_reported(app, tmp_path):
    from gateway.policy.rights import ErasureTombstone, subject_digest

    with app.app_context():
        ErasureTombstone._get_collection().insert_one(
            {
                "_id": "tomb-1",
                "subject_digest": subject_digest(STUDENTS[1]),
                "erased_at": datetime.now(UTC),
                "requested_by_role": "student",
                "counts": {},
            }
        )
        result = import_roster(write_set(tmp_path / "set"), profile="jp")
        assert not result.rejected
        warnings = [issue for issue in result.issues if issue.rule == "erased-user-reimported"]
        assert [(w.file, w.params["value"]) for w in warnings] == [("users.csv", STUDENTS[1])]
        assert repository.collection("users").find_one({"_id": STUDENTS[1]}) is not None
        assert "消去" in warnings[0].message_ja and "erased" in warnings[0].message_en
        # without tombstones nothing is reported
        ErasureTombstone._get_collection().delete_many({})
        again = import_roster(write_set(tmp_path / "again"), profile="jp")
        assert not [issue for issue in again.issues if issue.rule == "erased-user-reimported"]
