"""LRS benchmark: statement ingest over HTTP (batches, client threads) and typical query latency,
with the raw `insert_many` rate of the same documents as the floor the gateway sits on.

Run on demand (not part of `make test`):

    .venv/bin/python benchmarks/lrs_ingest_query.py --statements 20000
    .venv/bin/python benchmarks/lrs_ingest_query.py --statements 100000 --output benchmarks/results/lrs_100k.json

By default it starts its own embedded database and `kakehashi serve` in a temporary directory.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pymongo
import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from gateway.storage.embedded import free_port  # noqa: E402

VERBS = [
    "http://adlnet.gov/expapi/verbs/experienced",
    "http://adlnet.gov/expapi/verbs/completed",
    "http://adlnet.gov/expapi/verbs/answered",
    "http://adlnet.gov/expapi/verbs/progressed",
    "http://adlnet.gov/expapi/verbs/scored",
    "https://w3id.org/xapi/tla/verbs/assessed",
]
UNITS = [f"https://kakehashi.example/units/84515033{n:08d}" for n in range(200)]
EXAMS = [f"https://exams.example/mock/2026/{n}" for n in range(12)]


def generate_statements(count: int, seed: int = 7) -> list[dict]:
    """Realistic, varied statements: 600 students, 200 units, exams as context parents."""
    rng = random.Random(seed)
    start = datetime(2026, 9, 1, tzinfo=UTC)
    statements = []
    for index in range(count):
        student = rng.randrange(600)
        unit = rng.choice(UNITS)
        verb = rng.choice(VERBS)
        statement = {
            "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "actor": {
                "objectType": "Agent",
                "name": f"生徒 {student}",
                "account": {"homePage": "https://id.school.example", "name": f"student-{student:04d}"},
            },
            "verb": {"id": verb, "display": {"en-US": verb.rsplit("/", 1)[-1]}},
            "object": {
                "objectType": "Activity",
                "id": unit,
                "definition": {
                    "name": {"ja": f"単元 {unit[-4:]}"},
                    "type": "https://kakehashi.example/activity-types/unit",
                },
            },
            "result": {"score": {"scaled": round(rng.random(), 2)}, "duration": f"PT{rng.randrange(5, 90)}M"},
            "context": {
                "registration": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                "contextActivities": {"parent": [{"id": rng.choice(EXAMS)}]},
                "platform": "Benchmark app",
            },
            "timestamp": (start + timedelta(minutes=index)).isoformat().replace("+00:00", "Z"),
        }
        statements.append(statement)
    return statements


def start_gateway(data_dir: Path, port: int) -> subprocess.Popen:
    env = {**os.environ, "KAKEHASHI_DATA_DIR": str(data_dir), "KAKEHASHI_LOG_LEVEL": "WARNING"}
    env.pop("MONGODB_URI", None)
    log = open(data_dir / "serve.log", "w")  # noqa: SIM115 - lives as long as the server
    process = subprocess.Popen(
        [sys.executable, "-m", "gateway.cli", "serve", "--port", str(port)], env=env, stdout=log, stderr=log
    )
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            if requests.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                return process
        except requests.ConnectionError:
            time.sleep(0.2)
    process.terminate()
    raise SystemExit("the gateway did not become ready")


def create_client(data_dir: Path) -> tuple[str, str]:
    env = {**os.environ, "KAKEHASHI_DATA_DIR": str(data_dir), "KAKEHASHI_LOG_LEVEL": "WARNING"}
    env.pop("MONGODB_URI", None)
    out = subprocess.run(
        [sys.executable, "-m", "gateway.cli", "clients", "create", "--name", "benchmark", "--role", "provider",
         "--scope", "all", "--json"],
        env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    credentials = json.loads(out.stdout)
    return credentials["client_id"], credentials["client_secret"]


def cpu_seconds(pid: int | None) -> float | None:
    """CPU time (user + system) a process has used so far, from /proc (None where there is none)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError, TypeError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class CpuMeter:
    """CPU milliseconds per 100 statements the gateway, the store and this client spend on a phase:
    where the time of a statement goes (the store and the gateway each get at most one core)."""

    def __init__(self, processes: dict[str, int | None]):
        self.processes = processes

    def __enter__(self):
        self.started = {name: cpu_seconds(pid) for name, pid in self.processes.items()}
        self.client_started = time.process_time()
        return self

    def __exit__(self, *exc):
        self.used = {
            name: None if self.started[name] is None else cpu_seconds(pid) - self.started[name]
            for name, pid in self.processes.items()
        }
        self.used["benchmark_client"] = time.process_time() - self.client_started

    def per_100(self, statements: int) -> dict:
        return {
            name: None if used is None else round(used * 1000 * 100 / statements, 1)
            for name, used in self.used.items()
        }


def ingest(base: str, auth, statements: list[dict], batch: int, threads: int) -> dict:
    # Bodies are encoded before the clock starts, as the raw floor's documents are: the client's
    # CPU is not the gateway's to pay for on a 2-core machine.
    bodies = [json.dumps(statements[i : i + batch]).encode() for i in range(0, len(statements), batch)]
    local = threading.local()
    failures = []

    def send(body):
        session = getattr(local, "session", None)
        if session is None:
            session = local.session = requests.Session()
            session.auth = auth
            session.headers["X-Experience-API-Version"] = "2.0.0"
            session.headers["Content-Type"] = "application/json"
        response = session.post(f"{base}/xapi/statements", data=body, timeout=120)
        if response.status_code != 200:
            failures.append(response.status_code)

    started = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(send, bodies))
    elapsed = time.perf_counter() - started
    return {
        "statements": len(statements),
        "batch_size": batch,
        "threads": threads,
        "seconds": round(elapsed, 3),
        "statements_per_s": round(len(statements) / elapsed, 1),
        "failed_batches": len(failures),
    }


def raw_insert_rate(uri: str, statements: list[dict], batch: int, threads: int, with_indexes: bool) -> dict:
    """insert_many of the documents the gateway stores (one statement batch document per request
    of `batch` statements), with its write concern and client threads, into a bare collection or
    one with the gateway's statement indexes."""
    from gateway.auth.service import Principal
    from gateway.lrs.documents import StatementBatch
    from gateway.lrs.repository import batch_documents
    from gateway.lrs.service import WriteContext, prepare_record
    from gateway.storage.connection import now_at_stored_precision

    context = WriteContext(
        Principal("bench", "benchmark", "provider", frozenset({"all"})), "2.0.0", "http://bench"
    )
    documents = []
    for start in range(0, len(statements), batch):
        stored = now_at_stored_precision()
        records = [
            prepare_record(statement, stored, context) for statement in statements[start : start + batch]
        ]
        documents.append(batch_documents(records))
    client = pymongo.MongoClient(uri, w="majority", journal=True)
    collection = client["kakehashi_raw_floor"]["statements"]
    collection.drop()
    if with_indexes:
        for spec in StatementBatch._meta["index_specs"]:
            options = {key: value for key, value in spec.items() if key in ("name", "sparse", "unique")}
            collection.create_index(spec["fields"], **options)
    started = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(lambda chunk: collection.insert_many(chunk, ordered=False), documents))
    elapsed = time.perf_counter() - started
    collection.drop()
    client.close()
    return {
        "statements": len(statements),
        "documents": sum(map(len, documents)),
        "secondary_indexes": with_indexes,
        "seconds": round(elapsed, 3),
        "statements_per_s": round(len(statements) / elapsed, 1),
    }


def time_queries(base: str, auth, statements: list[dict], repeats: int) -> dict:
    rng = random.Random(11)
    session = requests.Session()
    session.auth = auth
    session.headers["X-Experience-API-Version"] = "2.0.0"
    middle = datetime.now(UTC) - timedelta(seconds=5)

    def pick_agent():
        return json.dumps(rng.choice(statements)["actor"])

    queries = {
        "unfiltered": lambda: {},
        "by_agent": lambda: {"agent": pick_agent()},
        "by_verb": lambda: {"verb": rng.choice(VERBS)},
        "by_activity_related": lambda: {"activity": rng.choice(EXAMS), "related_activities": "true"},
        "since": lambda: {"since": middle.isoformat()},
        "by_registration": lambda: {"registration": rng.choice(statements)["context"]["registration"]},
    }
    results = {}
    for name, make in queries.items():
        latencies = []
        for _ in range(repeats):
            started = time.perf_counter()
            response = session.get(f"{base}/xapi/statements", params=make(), timeout=60)
            latencies.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, (name, response.text[:200])
        results[name] = _summary(latencies)
    # Following `more` links: five pages of 100.
    latencies = []
    for _ in range(max(1, repeats // 5)):
        url = f"{base}/xapi/statements?limit=100"
        for _page in range(5):
            started = time.perf_counter()
            response = session.get(url, timeout=60)
            latencies.append((time.perf_counter() - started) * 1000)
            more = response.json()["more"]
            if not more:
                break
            url = base + more
    results["following_more"] = _summary(latencies)
    return results


def _summary(latencies: list[float]) -> dict:
    ordered = sorted(latencies)
    return {
        "n": len(ordered),
        "p50_ms": round(statistics.median(ordered), 2),
        "p95_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))], 2),
        "max_ms": round(ordered[-1], 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--statements", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--repeats", type=int, default=40)
    parser.add_argument(
        "--output", type=Path, default=ROOT / "benchmarks" / "results" / "lrs_ingest_query.json"
    )
    options = parser.parse_args()

    statements = generate_statements(options.statements)
    load_before = [round(value, 2) for value in os.getloadavg()]
    with tempfile.TemporaryDirectory(prefix="kakehashi-bench-") as directory:
        data_dir = Path(directory)
        port = free_port()
        gateway = start_gateway(data_dir, port)
        try:
            base = f"http://127.0.0.1:{port}"
            auth = create_client(data_dir)
            state = json.loads((data_dir / "embedded-db.json").read_text())
            uri = state["uri"]
            processes = {"gateway": gateway.pid, "store": state.get("pid")}
            floor = raw_insert_rate(uri, statements, options.batch, options.threads, with_indexes=False)
            with CpuMeter(processes) as raw_cpu:
                indexed_floor = raw_insert_rate(
                    uri, statements, options.batch, options.threads, with_indexes=True
                )
            indexed_floor["cpu_ms_per_100_statements"] = raw_cpu.per_100(len(statements))
            with CpuMeter(processes) as ingest_cpu:
                ingested = ingest(base, auth, statements, options.batch, options.threads)
            ingested["cpu_ms_per_100_statements"] = ingest_cpu.per_100(len(statements))
            queries = time_queries(base, auth, statements, options.repeats)
        finally:
            gateway.terminate()
            gateway.wait(60)
    report = {
        "benchmark": "lrs_ingest_query",
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "python": sys.version.split()[0],
            "load_average_before": load_before,
            "load_average_after": [round(value, 2) for value in os.getloadavg()],
        },
        "store": "embedded SecantusDB",
        "ingest": ingested,
        "raw_insert_many": floor,
        "raw_insert_many_with_statement_indexes": indexed_floor,
        "ingest_vs_raw": round(ingested["statements_per_s"] / floor["statements_per_s"], 3),
        "ingest_vs_raw_with_indexes": round(
            ingested["statements_per_s"] / indexed_floor["statements_per_s"], 3
        ),
        "queries": queries,
    }
    options.output.parent.mkdir(parents=True, exist_ok=True)
    options.output.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
