"""Release-policy benchmark: what the policy engine costs a read.

- a 100-statement GET /xapi/statements (statements of 100 roster students under the strict
  profile, with coaching notes and deviation scores) by a provider and by a school client, policy
  on vs off (KAKEHASHI_RELEASE_POLICY=off: scopes only), p50/p95 over N requests, measured twice:
  over HTTP (the gateway served by waitress as `kakehashi serve` does, a keep-alive `requests`
  client: the time a client sees) and in-process (Flask test client: no HTTP, so the policy's
  share looks larger); target on/off < 1.2. The modes take turns request by request. Policy on
  includes the consent check (the recipient's consents, read again when their lease has run out,
  see gateway.policy.consent) and the audit entry (journaled before the response; linked into the
  chain by the background writer, whose work competes with the requests for the same two cores);
- decisions/s of the pure function `gateway.policy.engine.decide`.

Run on demand (not part of `make test`), against its own in-memory embedded SecantusDB:

    .venv/bin/python benchmarks/policy_release.py --requests 60
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import json
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from gateway.storage.embedded import EmbeddedServer, free_port  # noqa: E402

V = "https://kakehashi.example/xapi/"
ADL = "http://adlnet.gov/expapi/"


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def seed(app, client, students: int) -> None:
    from gateway.auth.service import register_client
    from gateway.oneroster.repository import collection

    with app.app_context():
        collection("orgs").insert_many(
            [
                {"_id": "B1", "sourcedId": "B1", "type": "district", "identifier": "220001"},
                {"_id": "S1", "sourcedId": "S1", "type": "school", "identifier": "D122299000010",
                 "parent": {"sourcedId": "B1", "type": "org"}},
            ]
        )  # fmt: skip
        collection("users").insert_many(
            [
                {"_id": f"stu-{i}", "sourcedId": f"stu-{i}", "status": "active", "givenName": "花子",
                 "familyName": "山田", "roles": [{"roleType": "primary", "role": "student",
                 "org": {"sourcedId": "S1", "type": "org"}}]}
                for i in range(students)
            ]
        )  # fmt: skip
        writer = register_client("bench writer", "school", "statements/write")
    headers = {
        "Authorization": "Basic "
        + base64.b64encode(f"{writer.client_id}:{writer.client_secret}".encode()).decode(),
        "X-Experience-API-Version": "1.0.3",
    }
    kinds = [
        (ADL + "verbs/scored", ADL + "activities/assessment", {V + "extensions/exam-kind": "mock"},
         {V + "extensions/deviation-score": 55.0}),
        (ADL + "verbs/attended", ADL + "activities/meeting", {}, {V + "extensions/coaching-note": "復習を提案"}),
        (ADL + "verbs/experienced", V + "activity-types/curriculum-unit", {}, {}),
    ]  # fmt: skip
    batch = []
    for i in range(students):
        verb, kind, activity_extensions, result_extensions = kinds[i % len(kinds)]
        definition = {"type": kind, **({"extensions": activity_extensions} if activity_extensions else {})}
        batch.append(
            {
                "id": str(uuid.uuid4()),
                "actor": {
                    "account": {"homePage": "https://id.d122299000010.kakehashi.example", "name": f"stu-{i}"}
                },
                "verb": {"id": verb},
                "object": {"id": f"https://kakehashi.example/activities/{i}", "definition": definition},
                "result": {
                    "completion": True,
                    **({"extensions": result_extensions} if result_extensions else {}),
                },
            }
        )
    response = client.post("/xapi/statements", json=batch, headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)


def time_gets(get, headers, requests: int) -> list[float]:
    timings = []
    for _ in range(requests):
        started = time.perf_counter()
        status, body = get("/xapi/statements?limit=100", headers)
        timings.append((time.perf_counter() - started) * 1000)
        assert status == 200 and len(body["statements"]) > 0
    return timings


def in_process_get(client):
    def get(path, headers):
        response = client.get(path, headers=headers)
        return response.status_code, response.json

    return get


@contextlib.contextmanager
def http_get(app):
    """GETs over real HTTP: the app served by waitress (as `kakehashi serve`), a keep-alive client."""
    import requests
    from waitress import wasyncore
    from waitress.server import create_server

    server = create_server(app, host="127.0.0.1", port=free_port(), threads=4)
    stopping = threading.Event()

    def loop() -> None:
        while not stopping.is_set():
            wasyncore.loop(timeout=0.05, map=server._map, count=1)

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    session = requests.Session()
    base = f"http://127.0.0.1:{server.effective_port}"

    def get(path, headers):
        response = session.get(base + path, headers=headers)
        return response.status_code, response.json()

    try:
        yield get
    finally:
        session.close()
        stopping.set()
        thread.join(timeout=5)
        server.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=60)
    parser.add_argument("--decisions", type=int, default=200_000)
    parser.add_argument(
        "--output", type=Path, default=ROOT / "benchmarks" / "results" / "policy_release.json"
    )
    args = parser.parse_args()

    scratch = tempfile.mkdtemp(prefix="kakehashi-bench-")
    server = EmbeddedServer(storage_path=":memory:", port=free_port())
    server.start()
    try:
        from gateway import DOCUMENTS, create_app
        from gateway.auth.service import register_client
        from gateway.policy.engine import Grant, Recipient, decide
        from gateway.policy.release import release_policy
        from gateway.storage.indexes import ensure_indexes

        app = create_app(
            # a data directory of its own: the audit journal of an earlier run is not replayed into this one
            {
                "MONGODB_URI": server.uri,
                "MONGODB_DB": "bench",
                "SECRET_KEY": "bench",
                "KAKEHASHI_DATA_DIR": scratch,
            }
        )
        client = app.test_client()
        with app.app_context():
            ensure_indexes(DOCUMENTS)
        seed(app, client, 100)
        import gateway.policy.audit as audit
        import gateway.policy.consent as consent

        policy = release_policy(app)
        results: dict = {
            "benchmark": "policy_release",
            "when": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": {"cpus": os.cpu_count(), "load_average_start": [round(x, 2) for x in os.getloadavg()]},
            "statements_per_page": 100,
            "requests_per_mode": args.requests,
            "target_ratio": 1.2,
        }
        real_audit, real_consents = audit.record_release, consent.active_consents

        def engine_only(on: bool) -> None:
            # the engine alone: the audit write and the consent query (gateway.policy.audit/consent)
            # replaced by no-ops, to show what each part of the policy costs
            audit.record_release = (lambda **_: "bench") if on else real_audit
            consent.active_consents = (lambda *_a, **_k: {}) if on else real_consents

        readers = {}
        for role in ("provider", "school"):
            with app.app_context():
                reader = register_client(f"bench {role}", role, "statements/read")
            readers[role] = {
                "Authorization": "Basic "
                + base64.b64encode(f"{reader.client_id}:{reader.client_secret}".encode()).decode(),
                "X-Experience-API-Version": "1.0.3",
            }
        with http_get(app) as over_http:
            for transport, get in (("http", over_http), ("in_process", in_process_get(client))):
                for role, headers in readers.items():
                    time_gets(get, headers, 5)  # warm up
                    timings = {"policy_off": [], "policy_on": [], "engine_only": []}
                    # the modes take turns request by request, so that a burst of load on the shared
                    # machine falls on every mode alike
                    for _round in range(args.requests):
                        for mode in timings:
                            policy.enabled = mode != "policy_off"
                            engine_only(mode == "engine_only")
                            timings[mode] += time_gets(get, headers, 1)
                    engine_only(False)
                    policy.enabled = True
                    modes = {
                        mode: {
                            "p50_ms": round(statistics.median(values), 2),
                            "p95_ms": round(percentile(values, 0.95), 2),
                            "mean_ms": round(statistics.fmean(values), 2),
                        }
                        for mode, values in timings.items()
                    }
                    off = modes["policy_off"]["p50_ms"]
                    modes["ratio_p50_on_vs_off"] = round(modes["policy_on"]["p50_ms"] / off, 3)
                    modes["ratio_p50_engine_only_vs_off"] = round(modes["engine_only"]["p50_ms"] / off, 3)
                    results[f"get_100_as_{role}_{transport}"] = modes

        # the release hook alone on one 100-statement page (no HTTP, no storage read), per role
        from gateway.auth.service import Principal
        from gateway.lrs import repository
        from gateway.policy.release import release_statements, statement_read_scope

        with app.test_request_context():
            records = repository.find_page({}, ascending=False, limit=100, after=None)
            for role in ("provider", "school"):
                principal = Principal("bench-hook", "bench", role, frozenset({"statements/read"}))
                scope = statement_read_scope(principal, "")
                for label, stubbed in (("engine_only", True), ("with_consent_query_and_audit_write", False)):
                    engine_only(stubbed)
                    release_statements(scope, records)
                    started = time.perf_counter()
                    for _ in range(50):
                        release_statements(scope, records)
                    results.setdefault("release_hook_ms_per_page", {})[f"{role}_{label}"] = round(
                        (time.perf_counter() - started) * 1000 / 50, 2
                    )
                engine_only(False)

        strict = policy.profiles.named("strict")
        recipient = Recipient("c1", "provider", purpose="learning-support")
        grants = [Grant("k1", "learning-support", frozenset({"assessment.mock-exam"}))]
        categories = list(strict.categories)
        started = time.perf_counter()
        for i in range(args.decisions):
            decide(strict, recipient, frozenset(), "stu", categories[i % len(categories)], None, grants)
        elapsed = time.perf_counter() - started
        results["decide_per_second"] = round(args.decisions / elapsed)
        with app.app_context():
            audit.drain_journal(timeout=60)  # the chain catches up while the store still runs
        results["directory_queries"] = policy.directory.queries
        results["machine"]["load_average_end"] = [round(x, 2) for x in os.getloadavg()]
        print(json.dumps(results, indent=2))
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(json.dumps(results, indent=2) + "\n")
    finally:
        server.stop()
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
