"""Configuration: Flask config keys, their defaults, and how each is read from the environment."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

BASIC_AUTH_MODES = ("everywhere", "xapi")


def basic_auth_mode(value: str) -> str:
    """Where HTTP Basic client credentials are accepted: on every API, or on the xAPI only."""
    mode = value.strip().lower()
    if mode not in BASIC_AUTH_MODES:
        raise ValueError(f"KAKEHASHI_BASIC_AUTH must be one of {', '.join(BASIC_AUTH_MODES)}, not {value!r}")
    return mode


# Environment variable -> (Flask config key, default, parser). The README's "Configuration" table
# is this list; tests/unit/test_config.py keeps the two in step.
ENVIRONMENT = {
    "MONGODB_URI": ("MONGODB_URI", None, str),
    "MONGODB_DB": ("MONGODB_DB", "kakehashi", str),
    "KAKEHASHI_DATA_DIR": ("KAKEHASHI_DATA_DIR", "./var", Path),
    "KAKEHASHI_DB_TIMEOUT_MS": ("KAKEHASHI_DB_TIMEOUT_MS", 2000, int),
    "KAKEHASHI_LOG_LEVEL": ("KAKEHASHI_LOG_LEVEL", "INFO", str.upper),
    "KAKEHASHI_PUBLIC_URL": ("KAKEHASHI_PUBLIC_URL", "http://127.0.0.1:8080", str),
    "KAKEHASHI_MAX_REQUEST_BYTES": ("MAX_CONTENT_LENGTH", 64 * 1024 * 1024, int),
    "KAKEHASHI_SECRET_KEY": ("SECRET_KEY", None, str),
    "KAKEHASHI_CONSENT_MIN_AGE": ("KAKEHASHI_CONSENT_MIN_AGE", 15, int),
    "KAKEHASHI_CONSENT_LEASE_SECONDS": ("KAKEHASHI_CONSENT_LEASE_SECONDS", 0.25, float),
    "KAKEHASHI_BASIC_AUTH": ("KAKEHASHI_BASIC_AUTH", "everywhere", basic_auth_mode),
}
SECRET_KEY_FILE = "secret.key"


def config_from_env(environ: dict[str, str] | None = None) -> dict:
    """The Flask config for this process: defaults overridden by non-empty environment values."""
    environ = os.environ if environ is None else environ
    config = {}
    for variable, (key, default, parse) in ENVIRONMENT.items():
        raw = environ.get(variable)
        config[key] = parse(raw) if raw else (parse(default) if default is not None else None)
    return config


def data_dir(config: dict) -> Path:
    return Path(config["KAKEHASHI_DATA_DIR"])


def persistent_secret_key(directory: Path) -> str:
    """The signing key kept in the data directory (created once, readable by its owner only), so
    signed cursors and tokens survive restarts when KAKEHASHI_SECRET_KEY is not set."""
    path = Path(directory) / SECRET_KEY_FILE
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as file:
        file.write(key)
    return key
