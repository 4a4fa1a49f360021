"""Configuration defaults, and the README's configuration table kept in step with the code."""

from __future__ import annotations

import re
from pathlib import Path

from gateway.config import ENVIRONMENT, config_from_env

README = Path(__file__).resolve().parents[2] / "README.md"


def test_defaults_apply_when_the_environment_is_empty():
    config = config_from_env({})
    assert config["MONGODB_URI"] is None
    assert config["MONGODB_DB"] == "kakehashi"
    assert config["KAKEHASHI_DB_TIMEOUT_MS"] == 2000
    assert str(config["KAKEHASHI_DATA_DIR"]) == "var"


def test_environment_values_override_defaults():
    config = config_from_env({"MONGODB_URI": "mongodb://db:27017", "KAKEHASHI_LOG_LEVEL": "debug"})
    assert config["MONGODB_URI"] == "mongodb://db:27017"
    assert config["KAKEHASHI_LOG_LEVEL"] == "DEBUG"


def test_readme_documents_every_variable():
    documented = set(re.findall(r"^\| `([A-Z_]+)` \|", README.read_text(), flags=re.MULTILINE))
    assert set(ENVIRONMENT) <= documented
