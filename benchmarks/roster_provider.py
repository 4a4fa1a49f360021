"""OneRoster provider benchmark: latency of typical reads on a 20,000-user, 300,000-enrollment roster.

The roster is written straight into the roster collections (the storage contract shape), then each
request runs in-process through the Flask test client (server time, no HTTP stack), several times.

Run on demand (not part of `make test`):

    .venv/bin/python benchmarks/roster_provider.py
    .venv/bin/python benchmarks/roster_provider.py --users 20000 --output benchmarks/results/roster_provider.json
"""

from __future__ import annotations

import argparse
import base64
import json
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from gateway.storage.embedded import EmbeddedServer, free_port  # noqa: E402

V12 = "/ims/oneroster/rostering/v1p2"
SCOPES = "https://purl.imsglobal.org/spec/or/v1p2/scope/roster.readonly"


def ref(sourced_id: str, kind: str) -> dict:
    return {"sourcedId": sourced_id, "type": kind}


def build(users: int, enrollments_per_student: int) -> dict[str, list[dict]]:
    """Schools of 1,000 students, homerooms of 40, each student in `enrollments_per_student` classes."""
    start = datetime(2026, 4, 1, tzinfo=UTC)
    schools = max(1, users // 1000)
    records: dict[str, list[dict]] = {k: [] for k in ("orgs", "academicSessions", "courses", "classes", "users",
                                                       "enrollments")}  # fmt: skip

    def common(sourced_id: str, n: int, **fields) -> dict:
        when = start + timedelta(seconds=n)
        return {
            "_id": sourced_id,
            "sourcedId": sourced_id,
            "status": "active",
            "dateLastModified": when,
            **fields,
        }

    records["academicSessions"].append(
        common("year", 0, title="2026年度", type="schoolYear", startDate="2026-04-01", endDate="2027-03-31",
               schoolYear="2026")
    )  # fmt: skip
    for s in range(schools):
        school = f"school-{s:03d}"
        records["orgs"].append(
            common(school, s, name=f"学校{s}", type="school", identifier=f"D1222990{s:05d}")
        )
        records["courses"].append(
            common(f"course-{s}", s, title="数学", courseCode="M", org=ref(school, "org"))
        )
        class_ids = [f"class-{s}-{c}" for c in range(25 * enrollments_per_student)]
        for c, class_id in enumerate(class_ids):
            records["classes"].append(
                common(class_id, c, title=f"クラス{c}", course=ref(f"course-{s}", "course"),
                       school=ref(school, "org"), terms=[ref("year", "academicSession")])
            )  # fmt: skip
        for u in range(1000):
            number = s * 1000 + u
            user_id = f"user-{number:06d}"
            records["users"].append(
                common(user_id, number, enabledUser="true", givenName=f"名{u}", familyName=f"姓{number % 97}",
                       roles=[{"roleType": "primary", "role": "student", "org": ref(school, "org")}],
                       identifier=str(number), email=f"{user_id}@example.jp")
            )  # fmt: skip
            for e in range(enrollments_per_student):
                class_id = class_ids[(u // 40) + 25 * e]
                records["enrollments"].append(
                    common(f"enr-{number:06d}-{e:02d}", number * enrollments_per_student + e,
                           user=ref(user_id, "user"), **{"class": ref(class_id, "class")},
                           school=ref(school, "org"), role="student", primary="false")
                )  # fmt: skip
    return records


def timed(client, url: str, headers: dict, repeat: int) -> dict:
    durations = []
    for _ in range(repeat):
        began = time.perf_counter()
        response = client.get(url, headers=headers)
        durations.append((time.perf_counter() - began) * 1000)
        assert response.status_code == 200, (url, response.json)
    return {
        "url": url,
        "median_ms": round(statistics.median(durations), 1),
        "max_ms": round(max(durations), 1),
        "total": int(response.headers.get("X-Total-Count", 1)),
        "bytes": len(response.data),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=20_000)
    parser.add_argument("--enrollments-per-student", type=int, default=15)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--output", type=Path)
    args = parser.parse_args()

    server = EmbeddedServer(storage_path=":memory:", port=free_port())
    server.start()
    try:
        from gateway import DOCUMENTS, create_app
        from gateway.auth.service import register_client
        from gateway.oneroster.repository import collection
        from gateway.storage.indexes import ensure_indexes

        with tempfile.TemporaryDirectory() as data_dir:
            app = create_app({"MONGODB_URI": server.uri, "MONGODB_DB": "bench", "SECRET_KEY": "bench",
                              "KAKEHASHI_DATA_DIR": data_dir, "KAKEHASHI_DB_TIMEOUT_MS": 120_000})  # fmt: skip
            with app.app_context():
                ensure_indexes(DOCUMENTS)
                began = time.perf_counter()
                records = build(args.users, args.enrollments_per_student)
                for entity, documents in records.items():
                    for chunk in range(0, len(documents), 10_000):
                        collection(entity).insert_many(documents[chunk : chunk + 10_000], ordered=False)
                loaded = time.perf_counter() - began
                issued = register_client("bench", "provider", SCOPES)
            token = base64.b64encode(f"{issued.client_id}:{issued.client_secret}".encode()).decode()
            headers = {"Authorization": f"Basic {token}"}
            client = app.test_client()
            delta = quote("dateLastModified>'2026-04-01T01:00:00Z'")
            urls = [
                f"{V12}/users",
                f"{V12}/users?limit=1000&offset=19000",
                f"{V12}/enrollments?limit=1000",
                f"{V12}/enrollments?limit=1000&offset=299000",
                f"{V12}/enrollments?limit=1000&filter={delta}",
                f"{V12}/users?filter={quote(chr(39).join(['familyName~', '姓9', '']))}",
                f"{V12}/schools/school-007/students?limit=1000",
                f"{V12}/schools/school-007/enrollments?limit=1000",
                f"{V12}/classes/class-7-3/students",
                f"{V12}/users/user-007003/classes",
                f"{V12}/users/user-007003",
                f"{V12}/users?sort=familyName&limit=100",
            ]
            results = [timed(client, url, headers, args.repeat) for url in urls]
        report = {
            "users": len(records["users"]),
            "enrollments": len(records["enrollments"]),
            "classes": len(records["classes"]),
            "load_seconds": round(loaded, 1),
            "requests": results,
        }
        print(json.dumps(report, indent=2, ensure_ascii=False))
        if args.output:
            args.output.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
