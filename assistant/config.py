"""Every setting of the assistant, with its default and its environment variable."""

import os
import secrets
from pathlib import Path

from cryptography.fernet import Fernet

ENV_PREFIX = "ASSISTANT_"

# Flask config key -> (default, kind). The environment variable is ASSISTANT_<key>.
DEFAULTS: dict[str, tuple[object, str]] = {
    "DATABASE_URL": ("", "str"),
    "EMBED_ORIGINS": ("", "list"),
    "OUTBOX_DIR": ("", "str"),
    "PORTING_INBOX": ("porting@rallycorp.example", "str"),
    "MAIL_SERVER": ("", "str"),
    "MAIL_PORT": (587, "int"),
    "MAIL_USE_TLS": (True, "bool"),
    "MAIL_USERNAME": ("", "str"),
    "MAIL_PASSWORD": ("", "str"),
    "MAIL_SENDER": ("Rally Corp Porting <porting-assistant@rallycorp.example>", "str"),
    "EMAIL_ATTACH_PACKAGE": (True, "bool"),
    "SUPPORTED_REGIONS": (["US"], "list"),
    "ENCRYPTION_KEYS": ([], "list"),
    "KNOWLEDGE_BASE": ("", "str"),
    "RATELIMIT_STORAGE_URI": ("memory://", "str"),
    "RATELIMIT_ENABLED": (True, "bool"),
    "LOA_TEMPLATE": ("", "str"),
    "LOA_FIELD_MAP": ("", "str"),
    "BRAND_NAME": ("Rally Corp", "str"),
    "BRAND_COLOR": ("#1f5fbf", "str"),
    "SUPPORT_EMAIL": ("support@rallycorp.example", "str"),
    "RESPORG_ID": ("RLY01", "str"),
    "BASE_URL": ("", "str"),
    "TIMEZONE": ("America/New_York", "str"),
    "CUTOFF_HOUR": (17, "int"),
    "MIN_PORT_BUSINESS_DAYS": (5, "int"),
    "TOLL_FREE_MIN_BUSINESS_DAYS": (3, "int"),
    "REFUSING_CARRIERS": ([], "list"),
    "TRUSTED_PROXIES": (0, "int"),
    "MAX_TEXT_LENGTH": (20_000, "int"),
    "MAX_FILE_BYTES": (10 * 2**20, "int"),
    "MAX_REQUEST_DOCUMENT_BYTES": (25 * 2**20, "int"),
    "MAX_PDF_PAGES": (20, "int"),
    "MAX_IMAGE_PIXELS": (40_000_000, "int"),
    "ABANDON_AFTER_HOURS": (72, "int"),
    "RETENTION_DAYS": (180, "int"),
    "SIGNATURE_MAX_AGE_DAYS": (30, "int"),
    "HTTPS": (False, "bool"),
    "LOG_LEVEL": ("INFO", "str"),
}


def _convert(raw: str, kind: str) -> object:
    if kind == "int":
        return int(raw)
    if kind == "bool":
        return raw.strip().lower() in {"1", "true", "yes", "on"}
    if kind == "list":
        return [part for part in raw.replace(",", " ").split() if part]
    return raw


def from_environment(environ: os._Environ | dict) -> dict:
    """Read every ASSISTANT_* setting that is set, converted to its kind."""
    config = {}
    for key, (default, kind) in DEFAULTS.items():
        raw = environ.get(ENV_PREFIX + key)
        config[key] = default if raw is None else _convert(raw, kind)
    if environ.get(ENV_PREFIX + "SECRET_KEY"):
        config["SECRET_KEY"] = environ[ENV_PREFIX + "SECRET_KEY"]
    return config


def _read_or_create(path: Path, make) -> str:
    if not path.exists():
        path.write_text(make() + "\n")
        path.chmod(0o600)
    return path.read_text().strip()


def ensure_instance_secrets(instance: Path) -> None:
    """Create the secret key and the first encryption key once, at set-up."""
    instance.mkdir(parents=True, exist_ok=True)
    _read_or_create(instance / "secret_key", lambda: secrets.token_hex(32))
    _read_or_create(
        instance / "encryption_keys", lambda: Fernet.generate_key().decode()
    )


def instance_secrets(instance: Path) -> dict:
    """The secrets that set-up wrote into the instance folder, if any."""
    found = {}
    key_file = instance / "secret_key"
    if key_file.exists():
        found["SECRET_KEY"] = key_file.read_text().strip()
    keys_file = instance / "encryption_keys"
    if keys_file.exists():
        found["ENCRYPTION_KEYS"] = keys_file.read_text().split()
    return found
