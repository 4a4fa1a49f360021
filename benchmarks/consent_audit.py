"""Consent and audit benchmark: the per-request costs the policy engine adds through this package.

- `active_consents` for a page of subjects (one query) with many consents stored;
- `record_release` (one head read + one insert, subject pseudonyms: one read) sequentially and from
  concurrent threads (the chain must stay linear);
- `verify_chain` throughput.

Run on demand (not part of `make test`), against its own in-memory embedded SecantusDB:

    .venv/bin/python benchmarks/consent_audit.py --consents 5000 --entries 2000
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from gateway.storage.embedded import EmbeddedServer, free_port  # noqa: E402


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--consents", type=int, default=5000)
    parser.add_argument("--entries", type=int, default=2000)
    parser.add_argument("--subjects-per-entry", type=int, default=100)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--output", type=Path)
    args = parser.parse_args()

    scratch = tempfile.mkdtemp(prefix="kakehashi-bench-")
    server = EmbeddedServer(storage_path=":memory:", port=free_port())
    server.start()
    try:
        from gateway import DOCUMENTS, create_app
        from gateway.auth.service import Principal
        from gateway.policy import audit, consent
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
        results: dict = {"consents": args.consents, "entries": args.entries}
        with app.app_context():
            ensure_indexes(DOCUMENTS)
            now = datetime.now(UTC)
            documents = [
                {
                    "_id": f"c{i}",
                    "subject": f"stu-{i % 2000}",
                    "granted_by": f"stu-{i % 2000}",
                    "granted_by_role": "student",
                    "recipient_client_id": f"client-{i % 10}",
                    "purpose": "learning-support",
                    "categories": ["process.study-time", "assessment.mock-exam"],
                    "valid_from": now - timedelta(days=1),
                    "valid_until": now + timedelta(days=30 if i % 3 else -0.5),
                    "created_at": now,
                    "collection_method": "electronic",
                    "subject_organisations": ["S1"],
                    "revoked_at": None,
                }
                for i in range(args.consents)
            ]
            consent.Consent._get_collection().insert_many(documents)
            subjects = [f"stu-{i}" for i in range(100)]
            timings = []
            for _ in range(50):
                start = time.perf_counter()
                found = consent.active_consents("client-0", subjects)
                timings.append((time.perf_counter() - start) * 1000)
            results["active_consents_100_subjects_ms"] = {
                # the first call reads the recipient's consents; later ones only its consent epoch
                "first": round(timings[0], 2),
                "median": round(statistics.median(timings[1:]), 2),
                "p95": round(percentile(timings[1:], 0.95), 2),
                "subjects_with_consent": len(found),
            }

            principal = Principal("client-0", "Juku", "provider", frozenset({"statements/read"}))
            page = [f"stu-{i}" for i in range(args.subjects_per_entry)]

            def write(count: int, out: list[float]) -> None:
                for _ in range(count):
                    start = time.perf_counter()
                    audit.record_release(
                        principal=principal,
                        request_id="bench",
                        resource="xapi.statements",
                        categories=["process.study-time"],
                        subjects=page,
                        decisions=[{"category": "process.study-time", "form": "identified", "rule": "r"}],
                        withheld={"process.coaching-note": 3},
                    )
                    out.append((time.perf_counter() - start) * 1000)

            sequential: list[float] = []
            write(args.entries // 2, sequential)
            results["record_release_sequential_ms"] = {
                "median": round(statistics.median(sequential), 2),
                "p95": round(percentile(sequential, 0.95), 2),
                "subjects_per_entry": args.subjects_per_entry,
            }
            concurrent: list[float] = []

            def worker() -> None:
                with app.app_context():
                    write(args.entries // 2 // args.threads, concurrent)

            threads = [threading.Thread(target=worker) for _ in range(args.threads)]
            start = time.perf_counter()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            journaled = time.perf_counter() - start
            audit.drain_journal(timeout=600)
            chained = time.perf_counter() - start
            results["record_release_concurrent"] = {
                "threads": args.threads,
                # record_release returns once the entry is journaled; the chain follows in batches
                "entries_per_s_journaled": round(len(concurrent) / journaled, 1),
                "entries_per_s_chained": round(len(concurrent) / chained, 1),
                "median_ms": round(statistics.median(concurrent), 2),
                "p95_ms": round(percentile(concurrent, 0.95), 2),
            }
            start = time.perf_counter()
            report = audit.verify_chain_report()
            elapsed = time.perf_counter() - start
            results["verify_chain"] = {
                "ok": report.ok,
                "entries": report.checked,
                "entries_per_s": round(report.checked / elapsed, 1),
            }
        print(json.dumps(results, indent=2))
        if args.output:
            args.output.parent.mkdir(parents=True, exist_ok=True)
            args.output.write_text(json.dumps(results, indent=2) + "\n")
    finally:
        server.stop()
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
