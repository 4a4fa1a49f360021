"""A OneRoster CSV file set, a zip or a directory: its manifest and its files, read as streams of rows."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from adapters.oneroster.columns import FILE_MODES, MANIFEST_VERSION, ONEROSTER_VERSIONS
from adapters.oneroster.report import Issue

MANIFEST = "manifest.csv"
# Manifest properties that name the Japan Profile (the profile has no standard manifest property; a
# `profile` row saying "jp" / "japan" is what we accept, next to the --profile jp option).
PROFILE_PROPERTIES = ("profile", "oneroster.profile", "source.profile")


class FileSetError(Exception):
    """The path is neither a zip of a file set nor a directory."""


@dataclass
class Manifest:
    manifest_version: str = ""
    oneroster_version: str = ""
    files: dict[str, str] = field(default_factory=dict)  # file name (no .csv) → absent/bulk/delta
    source_name: str = ""
    source_code: str = ""
    japan_profile: bool = False
    properties: dict[str, str] = field(default_factory=dict)

    @property
    def source(self) -> str:
        return self.source_name or self.source_code or "unnamed source"


class FileSet:
    """The files of a set, by name (`users.csv`), from a directory or a zip (flat, or in one folder)."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._zip: zipfile.ZipFile | None = None
        self._members: dict[str, str] = {}
        if self.path.is_dir():
            self._members = {p.name: str(p) for p in sorted(self.path.iterdir()) if p.is_file()}
        elif zipfile.is_zipfile(self.path):
            self._zip = zipfile.ZipFile(self.path)
            names = [info.filename for info in self._zip.infolist() if not info.is_dir()]
            names = [n for n in names if not n.startswith("__MACOSX/") and not Path(n).name.startswith(".")]
            self._members = {Path(name).name: name for name in names}
        else:
            raise FileSetError(f"{self.path} is neither a directory nor a zip file")

    def close(self) -> None:
        if self._zip:
            self._zip.close()

    def __enter__(self) -> FileSet:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def names(self) -> list[str]:
        return sorted(self._members)

    def size(self, name: str) -> int:
        if self._zip:
            return self._zip.getinfo(self._members[name]).file_size
        return Path(self._members[name]).stat().st_size

    def open_binary(self, name: str):
        if self._zip:
            return self._zip.open(self._members[name])
        return open(self._members[name], "rb")  # noqa: SIM115 (closed by the reader)

    def rows(self, name: str, progress: Callable[[int], None] | None = None) -> CsvRows:
        return CsvRows(self, name, progress)


class _CountingReader(io.RawIOBase):
    """Counts the bytes read from a binary stream, for a progress bar."""

    def __init__(self, raw, progress: Callable[[int], None] | None):
        self.raw, self.progress = raw, progress

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self.raw.read(len(buffer))
        buffer[: len(data)] = data
        if self.progress and data:
            self.progress(len(data))
        return len(data)

    def close(self) -> None:
        self.raw.close()
        super().close()


class CsvRows:
    """Header and rows of one CSV file, streamed; each row comes with the line it starts on.
    Reading errors (encoding, CSV syntax) become issues in `problems` and end the stream."""

    def __init__(self, fileset: FileSet, name: str, progress):
        self.name = name
        raw = _CountingReader(fileset.open_binary(name), progress)
        self._text = io.TextIOWrapper(io.BufferedReader(raw, 1 << 16), encoding="utf-8-sig", newline="")
        self._reader = csv.reader(self._text, strict=True)
        self.problems: list[Issue] = []
        self.header: list[str] | None = None
        try:
            self.header = [column.strip() for column in next(self._reader)]
        except StopIteration:
            self.problems.append(Issue("empty-file", file=name, line=1))
        except (UnicodeDecodeError, csv.Error) as error:
            self._problem(error, 1)

    def __iter__(self) -> Iterator[tuple[int, list[str]]]:
        if self.header is None:
            return
        line = self._reader.line_num + 1
        while True:
            try:
                row = next(self._reader)
            except StopIteration:
                break
            except (UnicodeDecodeError, csv.Error) as error:
                self._problem(error, line)
                break
            if row:  # a blank line carries no record
                yield line, row
            line = self._reader.line_num + 1

    def _problem(self, error: Exception, line: int) -> None:
        if isinstance(error, UnicodeDecodeError):
            self.problems.append(Issue("encoding", file=self.name, line=line))
        else:
            self.problems.append(
                Issue("csv-syntax", file=self.name, line=line, params={"detail": str(error)})
            )

    def close(self) -> None:
        self._text.close()


def read_manifest(fileset: FileSet, issues, *, known_files: tuple[str, ...]) -> Manifest | None:
    """The manifest, or None when it is too broken to go on (the reasons are in `issues`)."""
    manifest = Manifest()
    if MANIFEST not in fileset.names():
        issues.add(Issue("manifest-missing", file=MANIFEST))
        return None
    rows = fileset.rows(MANIFEST)
    try:
        if rows.header is None:
            for problem in rows.problems:
                issues.add(problem)
            return None
        if [c.lower() for c in rows.header[:2]] != ["propertyname", "value"]:
            issues.add(Issue("manifest-header", file=MANIFEST, line=1))
            return None
        for line, row in rows:
            name, value = row[0].strip(), (row[1].strip() if len(row) > 1 else "")
            if name in manifest.properties:
                issues.add(
                    Issue(
                        "manifest-duplicate-property",
                        file=MANIFEST,
                        line=line,
                        column=name,
                        params={"property": name},
                    )
                )
                continue
            manifest.properties[name] = value
            _read_property(manifest, name, value, line, issues, known_files)
        for problem in rows.problems:
            issues.add(problem)
    finally:
        rows.close()
    for required in ("manifest.version", "oneroster.version"):
        if required not in manifest.properties:
            issues.add(
                Issue("manifest-property", file=MANIFEST, column=required, params={"property": required})
            )
    if manifest.properties.get("manifest.version") not in (None, MANIFEST_VERSION):
        return None
    if manifest.oneroster_version not in ONEROSTER_VERSIONS:
        return None
    return manifest


def _read_property(manifest: Manifest, name: str, value: str, line: int, issues, known_files) -> None:
    where = {"file": MANIFEST, "line": line, "column": name}
    if name == "manifest.version":
        manifest.manifest_version = value
        if value != MANIFEST_VERSION:
            issues.add(
                Issue("manifest-version", **where, params={"expected": MANIFEST_VERSION, "value": value})
            )
    elif name == "oneroster.version":
        # "1.2.1" and the like are 1.2 file sets.
        manifest.oneroster_version = next(
            (v for v in ONEROSTER_VERSIONS if value in (v, f"{v}.0", f"{v}.1")), value
        )
        if manifest.oneroster_version not in ONEROSTER_VERSIONS:
            issues.add(
                Issue(
                    "oneroster-version",
                    **where,
                    params={"expected": ", ".join(ONEROSTER_VERSIONS), "value": value},
                )
            )
    elif name.startswith("file."):
        mode = value.lower()
        if mode not in FILE_MODES:
            issues.add(Issue("file-mode", **where, params={"property": name, "value": value}))
            return
        if name[5:] not in known_files:
            issues.add(
                Issue("manifest-unknown-property", **where, severity="warning", params={"property": name})
            )
            return
        manifest.files[name[5:]] = mode
    elif name == "source.systemName":
        manifest.source_name = value
    elif name == "source.systemCode":
        manifest.source_code = value
    elif name in PROFILE_PROPERTIES:
        manifest.japan_profile = value.strip().lower() in ("jp", "japan", "japan profile", "jp profile")
    elif not name.startswith("source."):
        issues.add(Issue("manifest-unknown-property", **where, severity="warning", params={"property": name}))
