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


def test_the_served_address_is_the_public_url_unless_one_is_configured():
    from gateway.cli import served_public_url

    assert served_public_url("127.0.0.1", 9000, {}) == {"KAKEHASHI_PUBLIC_URL": "http://127.0.0.1:9000"}
    assert served_public_url("0.0.0.0", 8080, {}) == {"KAKEHASHI_PUBLIC_URL": "http://127.0.0.1:8080"}
    assert served_public_url("::1", 8080, {}) == {"KAKEHASHI_PUBLIC_URL": "http://[::1]:8080"}
    configured = {"KAKEHASHI_PUBLIC_URL": "https://kakehashi.example.jp"}
    assert served_public_url("0.0.0.0", 8080, configured) == {}


def test_an_unknown_basic_auth_mode_stops_the_start_with_the_variable_named():
    import pytest

    assert config_from_env({"KAKEHASHI_BASIC_AUTH": "XAPI"})["KAKEHASHI_BASIC_AUTH"] == "xapi"
    with pytest.raises(ValueError, match="KAKEHASHI_BASIC_AUTH must be one of everywhere, xapi"):
        config_from_env({"KAKEHASHI_BASIC_AUTH": "never"})
