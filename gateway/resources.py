"""Locating the data folders (`profiles/`, `mappings/`) from a source checkout or an installed wheel."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

DATA_FOLDERS = ("profiles", "mappings")


def data_path(folder: str, *parts: str) -> Path:
    """A path under `profiles/` or `mappings/`: the repository's folder when running from a
    checkout (editable installs included), else the copy shipped in the wheel (gateway/_data/)."""
    if folder not in DATA_FOLDERS:
        raise ValueError(f"unknown data folder {folder!r}; expected one of {', '.join(DATA_FOLDERS)}")
    checkout = Path(__file__).resolve().parents[1] / folder
    if checkout.is_dir():
        return checkout.joinpath(*parts)
    return Path(str(files("gateway") / "_data" / folder)).joinpath(*parts)
