"""The data folders are found from a checkout and are shipped inside the wheel."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from gateway.resources import data_path

REPO = Path(__file__).resolve().parents[2]


def test_data_folders_are_found_in_a_checkout():
    assert data_path("profiles", "README.md").is_file()
    assert data_path("mappings", "README.md").is_file()
    with pytest.raises(ValueError):
        data_path("secrets")


@pytest.mark.slow
def test_the_wheel_ships_the_data_folders(tmp_path):
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(REPO)],
        check=True,
        capture_output=True,
    )
    [wheel] = tmp_path.glob("kakehashi-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for folder in ("profiles", "mappings"):
        shipped = {name for name in names if name.startswith(f"gateway/_data/{folder}/")}
        in_repo = {
            f"gateway/_data/{folder}/{path.relative_to(REPO / folder).as_posix()}"
            for path in (REPO / folder).rglob("*")
            if path.is_file()
        }
        assert in_repo <= shipped
