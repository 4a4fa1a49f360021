"""Importing a OneRoster CSV file set (zip or directory) into the roster store.

Two phases. Validation streams every file once: each row is checked and turned into its stored
record, references are checked across files (and against the stored roster for files the set does
not carry), and each record is compared with the stored one through its content digest; the writes
it would make go to a temporary spool file, so memory stays bounded by the id sets, not the rows.
Then, only if no error was found and it is not a dry run, the writes are applied: a small import's
in one transaction (gateway.oneroster.repository.apply_changes); a large one's go, from the moment
there are more than `IN_PLACE_LIMIT` of them, into a new generation of the changed entities built in
the background while validation goes on, made live by one pointer write only if validation found
no error (else dropped). An import with any error changes nothing, and readers never see half of
one.

Bulk files replace that entity set *for the manifest's source* (records of other sources stay);
delta files upsert by sourcedId, delete `status=tobedeleted` records, and skip rows whose
dateLastModified is not newer than the stored record's.
"""

from __future__ import annotations

import hashlib
import json
import pickle
import tempfile
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from adapters.oneroster import columns as c
from adapters.oneroster.fileset import MANIFEST, FileSet, FileSetError, Manifest, read_manifest
from adapters.oneroster.records import Reference, RowReader
from adapters.oneroster.report import ERROR, WARNING, Issue, IssueList, render_table
from gateway.oneroster import repository
from gateway.policy import rights

# Which entities' ids an entity's references need (for the "reference" rule's message).
TARGET_NAMES = {
    "orgs": "org",
    "academicSessions": "academicSession",
    "courses": "course",
    "classes": "class",
    "users": "user",
    "userProfiles": "userProfile",
}
# Where stored records point to each entity: a record an import deletes must not stay referenced by
# a stored record the file set does not carry (entity → (referring entity, path)).
REFERRERS = {
    "orgs": (
        ("orgs", "parent.sourcedId"),
        ("courses", "org.sourcedId"),
        ("classes", "school.sourcedId"),
        ("users", "roles.org.sourcedId"),
        ("roles", "org.sourcedId"),
        ("enrollments", "school.sourcedId"),
    ),
    "academicSessions": (
        ("academicSessions", "parent.sourcedId"),
        ("courses", "schoolYear.sourcedId"),
        ("classes", "terms.sourcedId"),
    ),
    "courses": (("classes", "course.sourcedId"),),
    "classes": (("enrollments", "class.sourcedId"),),
    "users": (
        ("enrollments", "user.sourcedId"),
        ("roles", "user.sourcedId"),
        ("userProfiles", "user.sourcedId"),
    ),
}
# Entities embedded into users (1.2): roles.csv rows become user.roles, userProfiles.csv rows
# user.userProfiles, as the 1.2 REST binding carries them.
USER_ATTACHMENTS = {"roles": "roles", "userProfiles": "userProfiles"}


@dataclass
class EntityCounts:
    created: int = 0
    updated: int = 0
    deleted: int = 0
    unchanged: int = 0

    def to_json(self) -> dict:
        return {
            "created": self.created,
            "updated": self.updated,
            "deleted": self.deleted,
            "unchanged": self.unchanged,
        }


@dataclass
class ImportResult:
    batch: str
    path: str
    dry_run: bool
    source: str | None = None
    version: str | None = None
    japan_profile: bool = False
    files: dict[str, str] = field(default_factory=dict)
    counts: dict[str, EntityCounts] = field(default_factory=dict)
    issues: IssueList = field(default_factory=IssueList)
    rows: int = 0
    applied: bool = False

    @property
    def rejected(self) -> bool:
        return self.issues.errors > 0

    def to_json(self) -> dict:
        return {
            "batch": self.batch,
            "path": self.path,
            "source": self.source,
            "oneroster_version": self.version,
            "japan_profile": self.japan_profile,
            "files": self.files,
            "dry_run": self.dry_run,
            "rejected": self.rejected,
            "applied": self.applied,
            "rows": self.rows,
            "counts": {entity: counts.to_json() for entity, counts in self.counts.items()},
            "errors": self.issues.errors,
            "warnings": self.issues.warnings,
            "issues": [issue.to_json() for issue in self.issues],
            "issues_omitted": self.issues.omitted,
        }

    def counts_table(self) -> str:
        lines = [f"{'entity':<18}{'created':>10}{'updated':>10}{'deleted':>10}{'unchanged':>11}"]
        for entity, n in self.counts.items():
            lines.append(f"{entity:<18}{n.created:>10,}{n.updated:>10,}{n.deleted:>10,}{n.unchanged:>11,}")
        return "\n".join(lines)

    def issues_table(self, language: str = "both") -> str:
        table = render_table(list(self.issues), language=language)
        if self.issues.omitted:
            table += f"\n… {self.issues.omitted} more issues not listed"
        return table


# What json.dumps(..., sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str) does,
# built once (the digests of stored records stay the same).
_DIGEST_JSON = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


def content_digest(record: dict) -> int:
    """A signed 64-bit digest of a record's content, dateLastModified and bookkeeping excluded: equal
    digests mean an unchanged record."""
    content = {k: v for k, v in record.items() if k != "dateLastModified" and k[:1] != "_"}
    text = _DIGEST_JSON.encode(content)
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big", signed=True)


def now_ms() -> datetime:
    moment = datetime.now(UTC)
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


class ChangeSpool:
    """The writes an import will make, in the order they were decided, each record already encoded
    as the BSON the store receives (pickling the records themselves cost ~25 s for the 366,000 of
    the benchmark set).

    Up to `repository.IN_PLACE_LIMIT` writes are kept in a temporary file (a small import applies
    them in place, in one transaction, once validation is over). Past it, the import will build a
    new generation anyway, so `start_generation()` gives a `repository.GenerationBuilder` that
    inserts them in the background while validation goes on: the spooled writes are handed to it,
    then each new one. It is switched live only if validation finds no error (else abandoned)."""

    def __init__(self, enabled: bool = True, start_generation: Callable | None = None):
        self.enabled = enabled
        self.start_generation = start_generation
        self.generation = None  # the GenerationBuilder, once past IN_PLACE_LIMIT
        self.file = None  # opened on the first write, so an import that writes nothing opens none
        self.count = 0

    def add(self, entity: str, kind: str, sourced_id: str, record: dict | None = None) -> None:
        self.count += 1
        if not self.enabled:
            return
        encoded = repository.encode_record(record) if record is not None else None
        if self.generation is not None:
            self.generation.add(repository.RosterChange(entity, kind, sourced_id, encoded))
            return
        if self.file is None:
            self.file = tempfile.TemporaryFile()  # noqa: SIM115 (closed by close())
        pickle.dump((entity, kind, sourced_id, encoded), self.file, protocol=pickle.HIGHEST_PROTOCOL)
        if self.start_generation and self.count > repository.IN_PLACE_LIMIT:
            self.generation = self.start_generation()
            for change in self:
                self.generation.add(change)
            self.file.close()
            self.file = None

    def __iter__(self) -> Iterator[repository.RosterChange]:
        if not self.file:
            return
        self.file.seek(0)
        while True:
            try:
                entity, kind, sourced_id, record = pickle.load(self.file)
            except EOFError:
                return
            yield repository.RosterChange(entity, kind, sourced_id, record)

    def close(self) -> None:
        if self.file:
            self.file.close()
            self.file = None


class RosterImport:
    """One import of a file set. `progress(kind, amount)` reports ("total", bytes to read), ("read",
    bytes), ("writes", number of writes to apply) and ("written", writes)."""

    def __init__(
        self,
        path: str | Path,
        *,
        dry_run: bool = False,
        profile: str | None = None,
        progress: Callable[[str, int], None] | None = None,
        issue_limit: int = 1_000,
    ):
        self.path = Path(path)
        self.dry_run = dry_run
        self.force_japan = profile == "jp"
        self.progress = progress or (lambda kind, amount: None)
        self.now = now_ms()
        self.result = ImportResult(batch=str(uuid.uuid4()), path=str(self.path), dry_run=dry_run)
        self.result.issues = IssueList(issue_limit)
        self.issues = self.result.issues
        self.spool = ChangeSpool(enabled=not dry_run, start_generation=self._start_generation)
        # entity → the sourcedIds the roster will hold after this import (filled as files are read)
        self.final_ids: dict[str, set[str]] = {}
        self.org_types: dict[str, str] = {}
        self.deferred: list[tuple[str, Reference]] = []  # (file, reference) checked at the end
        # users' embedded lists (1.2): user sourcedId → entries, before and after this import
        self.attachments: dict[str, tuple[dict, dict]] = {}
        self.user_lists: dict[str, tuple[dict, dict]] = {}
        self.rows_read: dict[str, set[str]] = {}  # entity → sourcedIds its file carries
        self.deleted: dict[str, set[str]] = {}

    # -- the run ---------------------------------------------------------------------------------
    def run(self) -> ImportResult:
        try:
            fileset = FileSet(self.path)
        except FileSetError as error:
            self.spool.close()
            self.issues.add(Issue("csv-syntax", file=str(self.path), params={"detail": str(error)}))
            return self.result
        if not self.dry_run:
            # Held from validation (which compares with the stored roster) to the switch.
            try:
                repository.acquire_import_lock(self.result.batch)
            except repository.ImportLocked as locked:
                fileset.close()
                self.spool.close()
                self.issues.add(
                    Issue("import-locked", file=str(self.path), params=_lock_params(locked.holder))
                )
                return self.result
            repository.drop_stale_generations()
        try:
            with fileset:
                manifest = read_manifest(fileset, self.issues, known_files=c.ROSTER_FILES + c.OTHER_FILES)
                if manifest is None:
                    return self.result
                self._describe(manifest)
                entities = self._check_files(fileset, manifest)
                if self.issues.errors:
                    return self.result
                readers = self._open(fileset, entities, manifest)
                if self.issues.errors:
                    for rows, _ in readers.values():
                        rows.close()
                    return self.result
                self.progress("total", sum(fileset.size(f"{e}.csv") for e in readers))
                self._validate(manifest, readers)
            if not self.issues.errors and not self.dry_run:
                self._apply()
            return self.result
        finally:
            if self.spool.generation is not None and not self.result.applied:
                self.spool.generation.abandon()  # rejected, or failed: the staged records go
            self.spool.close()
            if not self.dry_run:
                repository.release_import_lock(self.result.batch)

    def _apply(self) -> None:
        """Small imports write in place in one transaction; large ones build a new generation of
        the entities they change and switch to it (gateway.oneroster.repository)."""
        self.progress("writes", self.spool.count)
        if self.spool.generation is not None:
            # Most of it was inserted while validating; the rest, the indexes and the switch now.
            generation = self.spool.generation
            generation.switch(self._log_record(), progress=lambda n: self.progress("written", n))
            self.progress("written", max(self.spool.count - generation.written, 0))
        else:
            repository.apply_changes(self._written(), self._log_record())
        self.result.applied = True

    def _start_generation(self):
        return repository.GenerationBuilder(
            self.result.batch,
            renew=lambda: repository.renew_import_lock(self.result.batch),
            background=True,
        )

    def _written(self):
        """The spooled writes, reporting progress every 1,000 (a progress bar update per write cost
        more than the write's share of the work)."""
        step = 0
        for change in self.spool:
            yield change
            step += 1
            if step == 1_000:
                self.progress("written", step)
                step = 0
        if step:
            self.progress("written", step)

    def _describe(self, manifest: Manifest) -> None:
        self.result.source = manifest.source
        self.result.version = manifest.oneroster_version
        self.result.japan_profile = manifest.japan_profile or self.force_japan
        self.result.files = {e: m for e, m in manifest.files.items() if e in c.ROSTER_FILES and m != "absent"}

    def _check_files(self, fileset: FileSet, manifest: Manifest) -> list[str]:
        version = manifest.oneroster_version
        allowed = c.FILES_BY_VERSION[version]
        present = set()
        for name in fileset.names():
            if name == MANIFEST:
                continue
            stem = name[:-4] if name.endswith(".csv") else None
            if stem in allowed or stem in c.OTHER_FILES:
                present.add(stem)
                if manifest.files.get(stem, "absent") == "absent":
                    self.issues.add(Issue("file-not-declared", file=name))
            else:
                self.issues.add(Issue("unknown-file", file=name, params={"version": version}))
        for stem, mode in manifest.files.items():
            if mode == "absent":
                continue
            if stem in c.OTHER_FILES or stem not in allowed:
                kind = "file-not-supported" if stem in c.OTHER_FILES else "unknown-file"
                self.issues.add(Issue(kind, file=f"{stem}.csv", params={"version": version}))
            elif stem not in present:
                self.issues.add(Issue("file-missing", file=f"{stem}.csv", params={"mode": mode}))
        return [e for e in c.ROSTER_FILES if e in allowed and manifest.files.get(e, "absent") != "absent"]

    def _open(self, fileset: FileSet, entities: list[str], manifest: Manifest) -> dict:
        """Opens each file and checks its header; returns entity → (rows, header)."""
        version = manifest.oneroster_version
        readers = {}
        for entity in entities:
            name = f"{entity}.csv"
            rows = fileset.rows(name, progress=lambda n: self.progress("read", n))
            for problem in rows.problems:
                self.issues.add(problem)
            if rows.header is None:
                rows.close()
                continue
            known = set(c.COLUMNS[version][entity])
            seen = set()
            for column in rows.header:
                if column in seen:
                    self.issues.add(Issue("duplicate-column", file=name, line=1, column=column))
                seen.add(column)
                if column not in known and not column.startswith("metadata."):
                    self.issues.add(Issue("unknown-column", file=name, line=1, column=column))
            for column in c.REQUIRED[version][entity]:
                if column not in seen:
                    self.issues.add(Issue("missing-column", file=name, line=1, column=column))
            readers[entity] = (rows, rows.header)
        return readers

    # -- validation ------------------------------------------------------------------------------
    def _validate(self, manifest: Manifest, readers: dict) -> None:
        version, source = manifest.oneroster_version, manifest.source
        for entity in c.ROSTER_FILES:
            rebuild_users = (
                entity == "users" and version == "1.2" and readers.keys() & {"users", *USER_ATTACHMENTS}
            )
            if rebuild_users:
                self._group_attachments()
            if entity in readers:
                rows, header = readers[entity]
                try:
                    self._load(entity, manifest.files[entity], rows, header, version, source)
                finally:
                    rows.close()
                for problem in rows.problems:
                    self.issues.add(problem)
            if rebuild_users:
                self._rebuild_users_not_in_file(source)
            self._check_deferred(entity)
        self._check_dangling()
        self.result.rows = sum(
            n.created + n.updated + n.unchanged + n.deleted for n in self.result.counts.values()
        )

    def _check_dangling(self) -> None:
        """Records this import deletes that stored records outside the file set still reference
        (e.g. a bulk users.csv without a user whose enrollments stay because enrollments.csv is
        absent): each is a referential error, so nothing is changed."""
        for target, deleted in self.deleted.items():
            if not deleted:
                continue
            for referrer, path in REFERRERS.get(target, ()):
                carried = self.rows_read.get(referrer, set()) | self.deleted.get(referrer, set())
                for doc in repository.referring_records(referrer, path, deleted):
                    if doc["_id"] in carried:
                        continue  # its row in the file set was checked (or it goes too)
                    for value in _values_at(doc, path) & deleted:
                        self.issues.add(
                            Issue(
                                "dangling-reference",
                                file=f"{target}.csv",
                                column="sourcedId",
                                params={
                                    "value": value,
                                    "referrer": TARGET_NAMES.get(referrer, referrer),
                                    "referrer_id": doc["_id"],
                                    "path": path,
                                },  # fmt: skip
                            )
                        )

    def _ids(self, entity: str) -> set[str]:
        """The sourcedIds `entity` will hold after the import (its stored ones when the set has no such file)."""
        if entity not in self.final_ids:
            self.final_ids[entity] = repository.stored_ids(entity)
            if entity == "orgs":
                self.org_types.update(
                    (doc["_id"], doc.get("type")) for doc in repository.iter_records("orgs", {}, {"type": 1})
                )
        return self.final_ids[entity]

    def _warn(self, rule: str, file: str, line: int, column: str, **params) -> None:
        """Reports a warning about one row (the row is still imported, or skipped harmlessly)."""
        self.issues.add(Issue(rule, file=file, line=line, column=column, severity=WARNING, params=params))

    def _check_reference(self, file: str, ref: Reference) -> None:
        if ref.sourced_id not in self._ids(ref.target):
            rule, params = "reference", {"target": TARGET_NAMES[ref.target]}
        elif ref.org_type and self.org_types.get(ref.sourced_id) != ref.org_type:
            rule, params = (
                "reference-type",
                {"expected": ref.org_type, "actual": self.org_types.get(ref.sourced_id)},
            )
        else:
            return
        self.issues.add(
            Issue(
                rule, file=file, line=ref.line, column=ref.column, params={"value": ref.sourced_id, **params}
            )
        )

    def _check_deferred(self, finished: str) -> None:
        """Checks the references that waited for `finished` to be read."""
        waiting, self.deferred = self.deferred, []
        for file, ref in waiting:
            if ref.target == finished:
                self._check_reference(file, ref)
            else:
                self.deferred.append((file, ref))

    def _load(self, entity: str, mode: str, rows, header: list[str], version: str, source: str) -> None:
        name = f"{entity}.csv"
        counts = self.result.counts.setdefault(entity, EntityCounts())
        stored = {
            doc["_id"]: (doc.get("_hash"), doc.get("dateLastModified"), doc.get("_source"))
            for doc in repository.stored_state(entity)
        }
        reader = RowReader(entity, name, version, mode, self.result.japan_profile, self.issues)
        first_line: dict[str, int] = {}
        width = len(header)
        kept: set[str] = set()  # ids the entity keeps or gains (for references to it)
        deleted: set[str] = set()
        attachment = entity if entity in USER_ATTACHMENTS and version == "1.2" else None
        finished = self._finished_targets(entity)
        erased = rights.erased_subjects() if entity == "users" else None
        for line, values in rows:
            if len(values) != width:
                self.issues.add(
                    Issue(
                        "field-count", file=name, line=line, params={"count": len(values), "expected": width}
                    )
                )
                continue
            result = reader.read(line, dict(zip(header, values, strict=True)))
            record = result.record
            sourced_id = record["sourcedId"]
            if sourced_id:
                if sourced_id in first_line:
                    self.issues.add(
                        Issue(
                            "duplicate-sourcedId",
                            file=name,
                            line=line,
                            column="sourcedId",
                            params={"value": sourced_id, "first_line": first_line[sourced_id]},
                        )
                    )
                    continue
                first_line[sourced_id] = line
            for ref in result.references if result.status != "tobedeleted" else ():
                if ref.target == entity or ref.target not in finished:
                    self.deferred.append((name, ref))
                else:
                    self._check_reference(name, ref)
            if not sourced_id:
                continue
            if entity == "orgs":
                self.org_types[sourced_id] = record.get("type")
            if result.errors:
                # Kept for references, so one bad row is reported once, not again by each row
                # pointing to it.
                if result.status != "tobedeleted":
                    kept.add(sourced_id)
                continue
            if entity == "users" and version == "1.2":
                self._attach(record)
            previous = stored.get(sourced_id)
            if (
                mode == "delta"
                and previous
                and previous[1]
                and result.modified
                and result.modified <= previous[1]
            ):  # not newer than the stored record: skipped, an upsert or a delete alike
                self._warn("stale-record", name, line, "dateLastModified")
                counts.unchanged += 1
                kept.add(sourced_id)
                continue
            if result.status == "tobedeleted":  # delta only (bulk rejects it)
                if previous is None:
                    self._warn("delete-unknown", name, line, "status", value=sourced_id)
                    counts.unchanged += 1
                else:
                    self.spool.add(entity, "delete", sourced_id)
                    counts.deleted += 1
                    deleted.add(sourced_id)
                if attachment:
                    self._attachment_change(attachment, sourced_id, None)
                continue
            kept.add(sourced_id)
            if attachment:
                self._attachment_change(attachment, sourced_id, record)
            if erased is not None and previous is None and erased(sourced_id):
                # imported again (the school's roster is its own record), but the school is told
                self._warn("erased-user-reimported", name, line, "sourcedId", value=sourced_id)
            self._decide(entity, record, result.modified, previous, source, counts)
        if mode == "bulk":
            for sourced_id, (_, _, owner) in stored.items():
                if owner == source and sourced_id not in first_line:
                    self.spool.add(entity, "delete", sourced_id)
                    counts.deleted += 1
                    deleted.add(sourced_id)
                    if attachment:
                        self._attachment_change(attachment, sourced_id, None)
            others = {sid for sid, (_, _, owner) in stored.items() if owner != source}
            self.final_ids[entity] = (others - deleted) | kept
        else:
            self.final_ids[entity] = (set(stored) - deleted) | kept
        self.rows_read[entity] = set(first_line)
        self.deleted[entity] = deleted

    def _finished_targets(self, entity: str) -> set[str]:
        order = c.ROSTER_FILES
        return set(order[: order.index(entity)])

    def _decide(
        self, entity: str, record: dict, modified, previous, source: str, counts: EntityCounts
    ) -> None:
        digest = content_digest(record)
        if previous and previous[0] == digest:
            counts.unchanged += 1
            return
        stored = {
            "_id": record["sourcedId"],
            **record,
            "dateLastModified": modified or self.now,
            "_source": source,
            "_batch": self.result.batch,
            "_hash": digest,
        }
        if previous:
            counts.updated += 1
            self.spool.add(entity, "replace", record["sourcedId"], stored)
        else:
            counts.created += 1
            self.spool.add(entity, "insert", record["sourcedId"], stored)

    # -- users' embedded roles and profiles (1.2) ------------------------------------------------
    def _attachment_state(self, entity: str) -> tuple[dict, dict]:
        """(stored, after this import) role or profile records as sourcedId → (user, entry)."""
        if entity not in self.attachments:
            before = {}
            for doc in repository.iter_records(entity, {}, None):
                user = (doc.get("user") or {}).get("sourcedId")
                if user:
                    before[doc["_id"]] = (user, _attachment_entry(entity, doc))
            self.attachments[entity] = (before, dict(before))
        return self.attachments[entity]

    def _attachment_change(self, entity: str, sourced_id: str, record: dict | None) -> None:
        """Records a role/profile row's effect on its user's list (None: removed)."""
        _, after = self._attachment_state(entity)
        if record is None:
            after.pop(sourced_id, None)
        else:
            after[sourced_id] = (record["user"]["sourcedId"], _attachment_entry(entity, record))

    def _group_attachments(self) -> None:
        """Before users are read: each user's roles and profiles, as stored and as they will be."""
        self.user_lists = {}
        for entity in USER_ATTACHMENTS:
            before, after = self._attachment_state(entity)
            self.user_lists[entity] = (_by_user(before), _by_user(after))

    def _attach(self, user: dict) -> None:
        for entity, key in USER_ATTACHMENTS.items():
            entries = self.user_lists[entity][1].get(user["sourcedId"])
            if entries:
                user[key] = entries
            else:
                user.pop(key, None)

    def _rebuild_users_not_in_file(self, source: str) -> None:
        """Users whose roles or profiles this import changes but whose row it does not carry: their
        stored record gets the new lists."""
        changed = set()
        for before, after in self.user_lists.values():
            changed |= {user for user in set(before) | set(after) if before.get(user) != after.get(user)}
        pending = changed - self.rows_read.get("users", set()) - self.deleted.get("users", set())
        if not pending:
            return
        counts = self.result.counts.setdefault("users", EntityCounts())
        for doc in repository.find_records("users", sorted(pending)):
            record = {k: v for k, v in doc.items() if not k.startswith("_") and k != "dateLastModified"}
            self._attach(record)
            previous = (doc.get("_hash"), doc.get("dateLastModified"), doc.get("_source"))
            self._decide("users", record, None, previous, doc.get("_source") or source, counts)

    def _log_record(self) -> dict:
        return {
            "_id": self.result.batch,
            "source": self.result.source,
            "path": self.result.path,
            "oneroster_version": self.result.version,
            "japan_profile": self.result.japan_profile,
            "files": self.result.files,
            "counts": {e: n.to_json() for e, n in self.result.counts.items()},
            "warnings": self.issues.warnings,
            "startedAt": self.now,
            "finishedAt": now_ms(),
        }


def _values_at(doc: dict, path: str) -> set[str]:
    """The values at a dotted path of a record, through lists (e.g. roles.org.sourcedId)."""
    values: list = [doc]
    for key in path.split("."):
        found = []
        for value in values:
            for item in value if isinstance(value, list) else [value]:
                if isinstance(item, dict) and item.get(key) is not None:
                    found.append(item[key])
        values = found
    flat = set()
    for value in values:
        flat.update(value if isinstance(value, list) else [value])
    return {value for value in flat if isinstance(value, str)}


def _lock_params(holder: dict) -> dict:
    return {key: holder.get(key) for key in ("batch", "host", "pid", "startedAt")}


def _attachment_entry(entity: str, record: dict) -> dict:
    if entity == "roles":
        keys = ("roleType", "role", "org", "userProfile", "beginDate", "endDate")
    else:
        keys = ("profileType", "vendorId", "applicationId", "description", "credentials")
    entry = {key: record[key] for key in keys if key in record}
    if entity == "userProfiles":
        entry = {"profileId": record.get("sourcedId") or record.get("_id"), **entry}
    return entry


def _by_user(records: dict) -> dict[str, list[dict]]:
    """sourcedId → (user, entry) grouped per user, in a stable order: primary roles first, then by
    the role (or profile) record's sourcedId."""
    grouped: dict[str, list] = defaultdict(list)
    for sourced_id, (user, entry) in records.items():
        grouped[user].append((entry.get("roleType") != "primary", sourced_id, entry))
    return {
        user: [entry for *_, entry in sorted(items, key=lambda i: i[:2])] for user, items in grouped.items()
    }


def import_roster(path, **options) -> ImportResult:
    return RosterImport(path, **options).run()


__all__ = ["ERROR", "ImportResult", "RosterImport", "import_roster"]
