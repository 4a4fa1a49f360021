"""A bulk file that drops records still referenced by stored records of files absent from the set is
rejected with referential errors, and nothing changes."""

from __future__ import annotations

from adapters.oneroster.importer import import_roster
from tests.integration.roster_sets import STUDENTS, rows_for, write_set
from tests.integration.test_roster_import import only_errors, snapshot


def test_bulk_users_without_an_enrolled_student_is_rejected_while_enrollments_stay(app, tmp_path):
    with app.app_context():
        import_roster(write_set(tmp_path / "full"), profile="jp")
        before = snapshot()
        rows = rows_for("1.2")
        partial = {
            "users": [u for u in rows["users"] if u["sourcedId"] != STUDENTS[0]],
            "roles": [r for r in rows["roles"] if r["userSourcedId"] != STUDENTS[0]],
        }
        result = import_roster(write_set(tmp_path / "users-only", rows=partial), profile="jp")
        assert result.rejected and not result.applied
        errors = only_errors(result)
        assert {(e.rule, e.file, e.params["value"], e.params["path"]) for e in errors} == {
            ("dangling-reference", "users.csv", STUDENTS[0], "user.sourcedId")
        }
        assert all(e.params["referrer"] == "enrollments" for e in errors)
        assert "dangling" in result.issues_table("en")
        assert snapshot() == before
