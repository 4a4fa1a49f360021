"""Roster import benchmark: a generated Japan Profile file set of 20,000 users and 300,000
enrollments, imported by `adapters.oneroster.importer`, with rows/s and peak memory.

Run on demand (not part of `make test`):

    .venv/bin/python benchmarks/roster_import.py
    .venv/bin/python benchmarks/roster_import.py --schools 2 --output benchmarks/results/roster_small.json

It times two runs over the same set: a dry run (streaming validation, cross-file references,
comparison with the stored roster: everything but the writes) and the import itself (validation
plus the writes: a new generation of each changed entity, switched live by one pointer write), then
a re-import of the unchanged set (no writes); with `--floor`, the store's own floor for the
enrollments (raw insert_many of the imported records, then their indexes: `store_floor`). The machine's load average (other processes on the
same cores) is recorded at the start and the end. Peak memory is the
importer process's maximum resident set size, measured in a fresh child process per run; the
database server is a separate process (embedded SecantusDB unless MONGODB_URI is set).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import random
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from adapters.oneroster.columns import COLUMNS  # noqa: E402

SUBJECTS = [("国語", "J010"), ("社会", "J020"), ("数学", "J030"), ("理科", "J040"), ("音楽", "J050"),
            ("美術", "J060"), ("保健体育", "J070"), ("技術・家庭", "J080"), ("外国語", "J090")]  # fmt: skip
KANA = [
    "サトウ",
    "スズキ",
    "タカハシ",
    "タナカ",
    "イトウ",
    "ワタナベ",
    "ヤマモト",
    "ナカムラ",
    "コバヤシ",
    "カトウ",
]
GIVEN = ["ハルト", "ユイ", "ソウタ", "ヒナ", "ミナト", "メイ", "リク", "アオイ", "ユウマ", "サクラ"]
KANJI = ["佐藤", "鈴木", "高橋", "田中", "伊藤", "渡辺", "山本", "中村", "小林", "加藤"]
GIVEN_KANJI = ["陽翔", "結衣", "蒼太", "陽菜", "湊", "芽依", "陸", "葵", "悠真", "さくら"]


def generate(directory: Path, schools: int, students_per_school: int, teachers_per_school: int,
             classes_per_student: int, seed: int = 4) -> dict:  # fmt: skip
    """Writes the set; returns its row counts. Each school: homerooms of 40, subject classes per
    homeroom; every student is in their homeroom and `classes_per_student - 1` subject classes,
    every teacher in `classes_per_student` classes of their school."""
    rng = random.Random(seed)

    def uid() -> str:
        return str(uuid.UUID(int=rng.getrandbits(128), version=4))

    directory.mkdir(parents=True, exist_ok=True)
    files = {e: (directory / f"{e}.csv").open("w", encoding="utf-8", newline="") for e in
             ("orgs", "academicSessions", "courses", "classes", "users", "roles", "enrollments", "demographics")}  # fmt: skip
    writers = {}
    for entity, file in files.items():
        header = list(COLUMNS["1.2"][entity])
        if entity == "users":
            header += ["metadata.jp.kanaGivenName", "metadata.jp.kanaFamilyName", "metadata.jp.homeClass"]
        if entity == "classes":
            header += ["metadata.jp.specialNeeds"]
        if entity == "enrollments":
            header += ["metadata.jp.shussekiNo"]
        writers[entity] = csv.DictWriter(file, fieldnames=header, lineterminator="\r\n", restval="")
        writers[entity].writeheader()
    rows = dict.fromkeys(files, 0)

    def write(entity: str, record: dict) -> None:
        writers[entity].writerow(record)
        rows[entity] += 1

    board = uid()
    write(
        "orgs", {"sourcedId": board, "name": "架空県教育委員会", "type": "district", "identifier": "220001"}
    )
    year = uid()
    write("academicSessions", {"sourcedId": year, "title": "2026年度", "type": "schoolYear",
                               "startDate": "2026-04-01", "endDate": "2027-03-31", "schoolYear": "2026"})  # fmt: skip
    for s in range(schools):
        school = uid()
        write("orgs", {"sourcedId": school, "name": f"架空市立第{s + 1}中学校", "type": "school",
                       "identifier": f"C122{1 + s % 2}{s:07d}0", "parentSourcedId": board})  # fmt: skip
        homeroom_course = uid()
        write("courses", {"sourcedId": homeroom_course, "title": "2026年度 学級活動", "schoolYearSourcedId": year,
                          "grades": "J1", "orgSourcedId": school})  # fmt: skip
        subject_courses = []
        for title, code in SUBJECTS:
            course = uid()
            subject_courses.append((course, title, code))
            write("courses", {"sourcedId": course, "title": f"2026年度 {title}", "schoolYearSourcedId": year,
                              "grades": "J1", "orgSourcedId": school, "subjects": title, "subjectCodes": code})  # fmt: skip
        homerooms = []
        for h in range(-(-students_per_school // 40)):
            homeroom = uid()
            write("classes", {"sourcedId": homeroom, "title": f"1年{h + 1}組", "grades": "J1",
                              "courseSourcedId": homeroom_course, "classType": "homeroom",
                              "schoolSourcedId": school, "termSourcedIds": year,
                              "metadata.jp.specialNeeds": "false"})  # fmt: skip
            subject_classes = []
            for i in range(classes_per_student - 1):
                course, title, code = subject_courses[i % len(subject_courses)]
                klass = uid()
                subject_classes.append(klass)
                write("classes", {"sourcedId": klass, "title": f"1年{h + 1}組 {title}{i // len(SUBJECTS) + 1}",
                                  "grades": "J1", "courseSourcedId": course, "classType": "scheduled",
                                  "schoolSourcedId": school, "termSourcedIds": year, "subjects": title,
                                  "subjectCodes": code})  # fmt: skip
            homerooms.append((homeroom, subject_classes))

        def person(role: str, home: str, number: int, s: int = s, school: str = school) -> str:
            user = uid()
            write("users", {"sourcedId": user, "enabledUser": "true", "username": f"s{s}-{role[0]}{number}",
                            "givenName": rng.choice(GIVEN_KANJI), "familyName": rng.choice(KANJI),
                            "grades": "J1" if role == "student" else "", "primaryOrgSourcedId": school,
                            "metadata.jp.kanaGivenName": rng.choice(GIVEN),
                            "metadata.jp.kanaFamilyName": rng.choice(KANA), "metadata.jp.homeClass": home})  # fmt: skip
            write("roles", {"sourcedId": uid(), "userSourcedId": user, "roleType": "primary", "role": role,
                            "orgSourcedId": school, "beginDate": "2026-04-01", "endDate": "2027-03-31"})  # fmt: skip
            return user

        def enrol(user: str, klass: str, role: str, number: str = "", school: str = school) -> None:
            write("enrollments", {"sourcedId": uid(), "classSourcedId": klass, "schoolSourcedId": school,
                                  "userSourcedId": user, "role": role,
                                  "primary": "false" if role == "student" else "true",
                                  "metadata.jp.shussekiNo": number})  # fmt: skip

        for n in range(students_per_school):
            homeroom, subject_classes = homerooms[n // 40]
            student = person("student", homeroom, n)
            write(
                "demographics",
                {"sourcedId": student, "birthDate": "2013-05-01", "sex": rng.choice(("male", "female"))},
            )
            enrol(student, homeroom, "student", str(n % 40 + 1))
            for klass in subject_classes:
                enrol(student, klass, "student")
        all_classes = [c for homeroom, subjects in homerooms for c in (homeroom, *subjects)]
        for t in range(teachers_per_school):
            teacher = person("teacher", homerooms[t % len(homerooms)][0], t)
            for k in range(classes_per_student):
                enrol(teacher, all_classes[(t * classes_per_student + k) % len(all_classes)], "teacher")
    for file in files.values():
        file.close()
    with (directory / "manifest.csv").open("w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file, lineterminator="\r\n")
        writer.writerow(["propertyName", "value"])
        writer.writerows([("manifest.version", "1.0"), ("oneroster.version", "1.2"), ("profile", "jp"),
                          *((f"file.{e}", "bulk") for e in files), ("file.userProfiles", "absent"),
                          ("source.systemName", "Benchmark SIS"), ("source.systemCode", "bench")])  # fmt: skip
    return rows


DESIGN = (
    "large import: a new generation per changed entity, filled by one background writer (unordered "
    "insert_many chunks of 5,000, records spooled and sent as BSON) while validation goes on, indexes "
    "built after the load, one pointer write to switch; abandoned (dropped) on any validation error. "
    "validation_seconds runs to the end of validation, so it includes the inserts made meanwhile"
)

CHILD = r"""
import json, resource, sys, time
sys.path.insert(0, sys.argv[1])
from gateway.storage.connection import connect
from gateway.storage.indexes import ensure_indexes
from gateway import DOCUMENTS
from adapters.oneroster.importer import import_roster
connect(sys.argv[2], "kakehashi_bench", 10000)
ensure_indexes(DOCUMENTS)
phases = {}
def progress(kind, amount):
    if kind in ("total", "writes"):
        phases[kind] = time.perf_counter()
start = time.perf_counter()
result = import_roster(sys.argv[3], dry_run=sys.argv[4] == "dry")
end = time.perf_counter()
print(json.dumps({
    "seconds": round(end - start, 2),
    "validation_seconds": round(phases.get("writes", end) - start, 2),
    "write_seconds": round(end - phases["writes"], 2) if "writes" in phases else 0,
    "rejected": result.rejected, "rows": result.rows,
    "counts": {e: n.to_json() for e, n in result.counts.items()},
    "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
}))
""".replace(
    'import_roster(sys.argv[3], dry_run=sys.argv[4] == "dry")',
    'import_roster(sys.argv[3], dry_run=sys.argv[4] == "dry", progress=progress)',
)


FLOOR_CHILD = r"""
import json, os, sys, time
sys.path.insert(0, sys.argv[1])
from bson.codec_options import CodecOptions
from bson.raw_bson import RawBSONDocument
from pymongo import MongoClient
from gateway.oneroster.repository import INDEXED_FIELDS, INSERT_CHUNK
client = MongoClient(sys.argv[2])
source = client["kakehashi_bench"]
names = (source["oneroster_state"].find_one({"_id": "live"}) or {}).get("collections") or {}
raw = CodecOptions(document_class=RawBSONDocument)
documents = list(source[names.get("enrollments", "oneroster_enrollments")].with_options(codec_options=raw).find({}))
target = client["kakehashi_floor"]["enrollments"]
target.drop()
load = os.getloadavg()[0]
started = time.perf_counter()
for start in range(0, len(documents), INSERT_CHUNK):
    target.insert_many(documents[start:start + INSERT_CHUNK], ordered=False)
inserted = time.perf_counter()
indexes = {}
for field in ("dateLastModified", *INDEXED_FIELDS["enrollments"]):
    began = time.perf_counter()
    target.create_index(field)
    indexes[field] = round(time.perf_counter() - began, 1)
print(json.dumps({
    "records": len(documents),
    "insert_many_id_only_seconds": round(inserted - started, 1),
    "index_build_seconds": indexes,
    "total_seconds": round(time.perf_counter() - started, 1),
    "load_average_start": round(load, 2),
}))
client["kakehashi_floor"].drop_collection("enrollments")
"""


def store_floor(uri: str) -> dict:
    """The store's floor for the set's biggest entity: the imported enrollment records (read back as
    raw BSON) inserted with raw pymongo in chunks into a collection with only `_id`, then indexed as
    the importer indexes them. No importer work at all: what any importer of this shape pays."""
    output = subprocess.run(
        [sys.executable, "-c", FLOOR_CHILD, str(ROOT), uri], capture_output=True, text=True
    )
    if output.returncode != 0:
        error = output.stderr.strip().splitlines()[-1] if output.stderr.strip() else ""
        return {"failed": True, "error": error}
    return json.loads(output.stdout.strip().splitlines()[-1])


def run_import(uri: str, path: Path, kind: str) -> dict:
    started = time.perf_counter()
    output = subprocess.run([sys.executable, "-c", CHILD, str(ROOT), uri, str(path), kind],
                            capture_output=True, text=True)  # fmt: skip
    if output.returncode != 0:
        return {"failed": True, "seconds": round(time.perf_counter() - started, 2),
                "error": output.stderr.strip().splitlines()[-1] if output.stderr.strip() else ""}  # fmt: skip
    result = json.loads(output.stdout.strip().splitlines()[-1])
    result["rows_per_s"] = round(result["rows"] / result["seconds"], 1) if result["seconds"] else None
    return result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--schools", type=int, default=20)
    parser.add_argument("--students-per-school", type=int, default=950)
    parser.add_argument("--teachers-per-school", type=int, default=50)
    parser.add_argument("--classes-per-student", type=int, default=15)
    parser.add_argument("--skip-write", action="store_true", help="Only the dry run (no writes).")
    parser.add_argument("--floor", action="store_true",
                        help="After the imports, measure the store's floor for the enrollments (see store_floor).")  # fmt: skip
    parser.add_argument("--output", type=Path, default=ROOT / "benchmarks" / "results" / "roster_import.json")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="kakehashi-roster-bench-") as temp:
        temp = Path(temp)
        started = time.perf_counter()
        rows = generate(temp / "set", args.schools, args.students_per_school, args.teachers_per_school,
                        args.classes_per_student)  # fmt: skip
        generation = time.perf_counter() - started
        size = sum(f.stat().st_size for f in (temp / "set").iterdir())
        print(f"generated {rows} ({size / 1e6:.1f} MB) in {generation:.1f} s", flush=True)
        report = {
            "benchmark": "roster_import",
            "when": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": {
                "cpus": os.cpu_count(),
                "python": platform.python_version(),
                "load_average_start": [round(x, 2) for x in os.getloadavg()],
            },
            "store": "MONGODB_URI" if os.environ.get("MONGODB_URI") else "embedded SecantusDB",
            "file_set": {"rows": rows, "total_rows": sum(rows.values()), "megabytes": round(size / 1e6, 1)},
            "targets": {"seconds": 60, "peak_rss_mb": 500},
        }
        uri = os.environ.get("MONGODB_URI")
        server = None
        if not uri:
            from gateway.storage.embedded import EmbeddedServer, free_port

            server = EmbeddedServer(storage_path=str(temp / "db"), port=free_port())
            server.start()
            uri = server.uri
        try:
            report["dry_run"] = run_import(uri, temp / "set", "dry")
            print("dry run", report["dry_run"], flush=True)
            if not args.skip_write:
                report["import"] = run_import(uri, temp / "set", "write")
                print("import", report["import"], flush=True)
                if not report["import"].get("failed"):
                    report["reimport_unchanged"] = run_import(uri, temp / "set", "write")
                    print("re-import", report["reimport_unchanged"], flush=True)
                    if args.floor:
                        report["store_floor"] = store_floor(uri)
                        print("store floor", report["store_floor"], flush=True)
        finally:
            if server:
                server.stop()
    report["machine"]["load_average_end"] = [round(x, 2) for x in os.getloadavg()]
    report["design"] = DESIGN
    if args.output.exists():  # the previous run, summarised, to compare with
        previous = json.loads(args.output.read_text())
        report["previous_run"] = {
            "when": previous.get("when"),
            "design": previous.get("design"),
            "load_average_start": previous.get("machine", {}).get("load_average_start"),
            **{run: {k: previous[run].get(k) for k in ("seconds", "validation_seconds", "write_seconds", "peak_rss_mb")}
               for run in ("dry_run", "import", "reimport_unchanged") if isinstance(previous.get(run), dict)},
        }  # fmt: skip
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n")
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
