"""One typed settings object, read once from the environment, checked, and passed in."""

from __future__ import annotations

import dataclasses
import math
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, fields, replace
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from pipelines.alerts.settings import DeliverySettings, delivery_from_env
from pipelines.errors import LoyaltyError
from pipelines.ingest.entities import SYSTEMS
from pipelines.quoting import timezone_name

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SQL_DIR = PROJECT_ROOT / "sql"
SOURCES_FILE = PROJECT_ROOT / "sources" / "sources.yaml"
EXPECTATIONS_DIR = PROJECT_ROOT / "expectations"
TARGETS_FILE = PROJECT_ROOT / "config" / "targets.yaml"
# A landing file larger than this is quarantined unread (LOYALTY_MAX_FILE_BYTES).
DEFAULT_MAX_FILE_BYTES = 2 * 1024**3
SIZE = re.compile(r"(?i)\s*(\d+(?:\.\d+)?)\s*(b|kb|mb|gb|tb|kib|mib|gib|tib)?\s*")
SIZE_UNITS = {
    "b": 1,
    "kb": 10**3,
    "mb": 10**6,
    "gb": 10**9,
    "tb": 10**12,
    "kib": 2**10,
    "mib": 2**20,
    "gib": 2**30,
    "tib": 2**40,
}
CURRENCY = re.compile(r"[A-Z]{3}")
# DuckDB's memory limit for every connection: a 4 GB machine or container stays within it,
# large builds spill to disk instead of growing.
DEFAULT_MEMORY_LIMIT = "3.5GB"
MEMORY_LIMIT = re.compile(r"(?i)\d+(\.\d+)?\s*(b|kb|mb|gb|tb|kib|mib|gib|tib)")
CHANNEL_PREFIX = re.compile(r"[A-Za-z0-9_.:-]{1,64}")
BACKENDS = ("file", "ducklake")
# libpq key=value pairs; a value is one word or in single quotes (quotes inside escaped).
CONNINFO_KEYS = (
    "dbname|host|hostaddr|port|user|password|passfile|sslmode|sslrootcert|application_name"
    "|connect_timeout"
)
CONNINFO_PAIR = rf"(?:{CONNINFO_KEYS})=(?:[^\s'\\\x00]+|'(?:[^'\\\x00]|\\.)*')"
CONNINFO = re.compile(rf"{CONNINFO_PAIR}(?:\s+{CONNINFO_PAIR})*")
# An absolute folder, or s3://bucket/prefix (bucket names as S3 allows them).
DATA_PATH = re.compile(
    r"/[^\x00*?\[]*|s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](?:/[A-Za-z0-9._/=-]*)?"
)
ENDPOINT = re.compile(r"https?://[A-Za-z0-9.-]+(?::\d{1,5})?")
REGION = re.compile(r"[a-z0-9-]{1,32}")
S3_KEY = re.compile(r"[^\x00]{0,512}")
BACKEND_TEXT = (
    ("ducklake_catalog", CONNINFO, "dbname=loyalty_lake host=127.0.0.1 user=postgres"),
    ("ducklake_data_path", DATA_PATH, "/srv/lake/ or s3://bucket/prefix/"),
    ("s3_endpoint", ENDPOINT, "http://127.0.0.1:9000"),
    ("s3_region", REGION, "us-east-1"),
    ("s3_key_id", S3_KEY, "an access key id"),
    ("s3_secret", S3_KEY, "a secret access key"),
)

# Every setting's environment variable and, where it has one, its command-line option.
ENVIRONMENT = {
    "landing": "LOYALTY_LANDING",
    "warehouse": "LOYALTY_WAREHOUSE",
    "reports": "LOYALTY_REPORTS",
    "exports": "LOYALTY_EXPORTS",
    "sources_file": "LOYALTY_SOURCES",
    "targets_file": "LOYALTY_TARGETS",
    "as_of": "LOYALTY_AS_OF",
    "inactivity_days": "LOYALTY_INACTIVITY_DAYS",
    "outcome_days": "LOYALTY_OUTCOME_DAYS",
    "timezone": "LOYALTY_TIMEZONE",
    "currency": "LOYALTY_CURRENCY",
    "min_sample": "LOYALTY_MIN_SAMPLE",
    "volume_factor": "LOYALTY_VOLUME_FACTOR",
    "gaming_top_share": "LOYALTY_GAMING_TOP_SHARE",
    "risk_high": "LOYALTY_RISK_HIGH",
    "risk_medium": "LOYALTY_RISK_MEDIUM",
    "gaming_min_responses": "LOYALTY_GAMING_MIN_RESPONSES",
    "gaming_jump": "LOYALTY_GAMING_JUMP",
    "settle_seconds": "LOYALTY_SETTLE_SECONDS",
    "pii_salt": "LOYALTY_PII_SALT",
    "validation_workers": "LOYALTY_VALIDATION_WORKERS",
    "max_file_bytes": "LOYALTY_MAX_FILE_BYTES",
    "umask": "LOYALTY_UMASK",
    "warehouse_backend": "LOYALTY_WAREHOUSE_BACKEND",
    "ducklake_catalog": "LOYALTY_DUCKLAKE_CATALOG",
    "ducklake_data_path": "LOYALTY_DUCKLAKE_DATA_PATH",
    "s3_endpoint": "LOYALTY_S3_ENDPOINT",
    "s3_region": "LOYALTY_S3_REGION",
    "s3_key_id": "AWS_ACCESS_KEY_ID",
    "s3_secret": "AWS_SECRET_ACCESS_KEY",
    "duckdb_memory_limit": "LOYALTY_DUCKDB_MEMORY_LIMIT",
    "redis_url": "LOYALTY_REDIS_URL",
    "redis_channel_prefix": "LOYALTY_REDIS_CHANNEL_PREFIX",
    "ingest_schedule": "LOYALTY_INGEST_SCHEDULE",
}
# Where each source system's exports are pulled from (any fsspec URL or folder).
SOURCE_VARIABLES = {system: f"LOYALTY_SOURCE_{system.upper()}" for system in SYSTEMS}
OPTIONS = {
    "landing": "--landing",
    "warehouse": "--warehouse",
    "as_of": "--as-of",
    "inactivity_days": "--inactivity-days",
    "timezone": "--timezone",
}


@dataclass(frozen=True)
class Rule:
    """What a numeric setting accepts, and how to say so."""

    whole: bool
    low: float
    high: float = math.inf
    low_open: bool = False
    unit: str = ""

    def accepts(self, value: object) -> bool:
        if isinstance(value, bool) or not isinstance(value, int | float):
            return False
        if self.whole and not isinstance(value, int):
            return False
        if not math.isfinite(value):
            return False
        above = value > self.low if self.low_open else value >= self.low
        return above and value <= self.high

    def describe(self) -> str:
        kind = f"a whole number{self.unit}" if self.whole else f"a number{self.unit}"
        if self.high < math.inf:
            if self.low_open:
                return f"{kind} between {self.low:g} and {self.high:g} (more than {self.low:g})"
            return f"{kind} from {self.low:g} to {self.high:g}"
        if self.low_open:
            return f"{kind} greater than {self.low:g}"
        return f"{kind} of at least {self.low:g}"


RULES = {
    "inactivity_days": Rule(whole=True, low=1, high=3650, unit=" of days"),
    "outcome_days": Rule(whole=True, low=1, high=3650, unit=" of days"),
    "min_sample": Rule(whole=True, low=1),
    "volume_factor": Rule(whole=False, low=0, low_open=True),
    "gaming_top_share": Rule(whole=False, low=0, high=1, low_open=True),
    "risk_high": Rule(whole=False, low=0, high=1, low_open=True),
    "risk_medium": Rule(whole=False, low=0, high=1, low_open=True),
    "gaming_min_responses": Rule(whole=True, low=1),
    "gaming_jump": Rule(whole=False, low=0, high=1, low_open=True),
    "settle_seconds": Rule(whole=False, low=0, unit=" of seconds"),
    "validation_workers": Rule(whole=True, low=1, high=64),
    "max_file_bytes": Rule(whole=True, low=1, unit=" of bytes"),
    "umask": Rule(whole=True, low=0, high=0o777),
}


def setting_name(field: str) -> str:
    """How people set a field: its environment variable, and its option where it has one."""
    option = OPTIONS.get(field)
    return f"{ENVIRONMENT[field]} ({option})" if option else ENVIRONMENT[field]


@dataclass(frozen=True)
class Settings:
    """Where the pipeline reads and writes, and the parameters of every metric.

    Every instance is checked when it is made (also by `with_overrides`), so no value
    outside its allowed range reaches a query.
    """

    landing: Path = Path("data/landing")
    warehouse: Path = Path("data/warehouse.duckdb")
    reports: Path = Path("data/reports")
    exports: Path = Path("data/exports")
    sources_file: Path = SOURCES_FILE
    targets_file: Path = TARGETS_FILE
    as_of: datetime | None = None
    inactivity_days: int = 180
    outcome_days: int = 180
    timezone: str = "UTC"
    currency: str = "EUR"
    min_sample: int = 30
    volume_factor: float = 3.0
    gaming_top_share: float = 0.9
    risk_high: float = 0.3
    risk_medium: float = 0.6
    gaming_min_responses: int = 30
    gaming_jump: float = 0.25
    settle_seconds: float = 2.0
    pii_salt: str = ""
    full_build: bool = False
    # GX reads only the columns it checks, so a chunk takes about 0.2 s; a worker's start
    # (a fresh interpreter importing GX) costs more than two cores save below ~20M rows.
    validation_workers: int = 1
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES
    umask: int = 0o027
    warehouse_backend: str = "file"
    ducklake_catalog: str = ""
    ducklake_data_path: str = ""
    s3_endpoint: str = ""
    s3_region: str = "us-east-1"
    s3_key_id: str = ""
    s3_secret: str = ""
    duckdb_memory_limit: str = DEFAULT_MEMORY_LIMIT
    redis_url: str = "redis://127.0.0.1:6379/1"
    redis_channel_prefix: str = ""
    ingest_schedule: str = "@hourly"
    sources: dict[str, str] = dataclasses.field(default_factory=dict)
    alerts: DeliverySettings = dataclasses.field(default_factory=DeliverySettings)

    def __post_init__(self) -> None:
        check_settings(self)

    def with_overrides(self, **changes: object) -> Settings:
        """A copy with the given fields replaced; None values leave a field as it is."""
        return replace(self, **{k: v for k, v in changes.items() if v is not None})


def check_settings(settings: Settings) -> None:
    """Refuse settings no metric can be computed with, naming the one to fix and what it takes."""
    for field, rule in RULES.items():
        value = getattr(settings, field)
        if not rule.accepts(value):
            raise LoyaltyError(f"{setting_name(field)} must be {rule.describe()}, got {value!r}")
    if settings.risk_high > settings.risk_medium:
        raise LoyaltyError(
            f"{setting_name('risk_high')} ({settings.risk_high:g}) must not exceed "
            f"{setting_name('risk_medium')} ({settings.risk_medium:g}): p_alive below the first "
            "is high risk, below the second medium"
        )
    timezone_name(settings.timezone, setting_name("timezone"))
    check_services(settings)
    if not isinstance(settings.currency, str) or not CURRENCY.fullmatch(settings.currency):
        raise LoyaltyError(
            f"{setting_name('currency')} must be a three-letter ISO 4217 code like EUR or USD, "
            f"got {settings.currency!r}"
        )
    for field in ("landing", "warehouse", "reports", "exports", "sources_file", "targets_file"):
        path = getattr(settings, field)
        if not isinstance(path, Path) or not str(path).strip() or "\x00" in str(path):
            raise LoyaltyError(f"{setting_name(field)} must be a path, got {path!r}")
    if settings.as_of is not None and settings.as_of.tzinfo is None:
        raise LoyaltyError(f"{setting_name('as_of')} must carry a time zone, got {settings.as_of}")
    check_backend(settings)


def check_services(settings: Settings) -> None:
    """DuckDB's memory limit (configuration, never SQL), Redis and the source systems."""
    if not MEMORY_LIMIT.fullmatch(settings.duckdb_memory_limit):
        raise LoyaltyError(
            f"{setting_name('duckdb_memory_limit')} must be a size like 3.5GB or 512MB, "
            f"got {settings.duckdb_memory_limit!r}"
        )
    prefix = settings.redis_channel_prefix
    if prefix and not CHANNEL_PREFIX.fullmatch(prefix):
        raise LoyaltyError(
            f"{setting_name('redis_channel_prefix')} must be letters, digits and . _ : - "
            f"(like loyalty), got {prefix!r}"
        )
    unknown = sorted(set(settings.sources) - set(SOURCE_VARIABLES))
    if unknown:
        raise LoyaltyError(
            f"no source system {', '.join(unknown)}; the systems are {', '.join(SYSTEMS)}"
        )


def check_backend(settings: Settings) -> None:
    """The warehouse backend and, for DuckLake, a catalog, a data path and an S3 endpoint."""
    if settings.warehouse_backend not in BACKENDS:
        raise LoyaltyError(
            f"{setting_name('warehouse_backend')} must be one of {', '.join(BACKENDS)}, "
            f"got {settings.warehouse_backend!r}"
        )
    for field, pattern, example in BACKEND_TEXT:
        value = getattr(settings, field)
        if value and not pattern.fullmatch(value):
            raise LoyaltyError(f"{setting_name(field)} must look like {example}, got {value!r}")
    if settings.warehouse_backend == "ducklake":
        for field in ("ducklake_catalog", "ducklake_data_path"):
            if not getattr(settings, field):
                raise LoyaltyError(
                    f"{setting_name(field)} is needed with LOYALTY_WAREHOUSE_BACKEND=ducklake; "
                    "see .env.example"
                )


def parse_as_of(text: str, setting: str = "--as-of") -> datetime:
    """An ISO 8601 date or timestamp; a naive value is read as UTC."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError as exc:
        raise LoyaltyError(
            f"{setting} {text!r} is not an ISO 8601 date or timestamp (e.g. 2025-06-30T23:59:59Z)"
        ) from exc
    return value if value.tzinfo else value.replace(tzinfo=ZoneInfo("UTC"))


def parse_size(text: str) -> int:
    """A size in bytes: 2147483648, 500MB, 2GB, 1.5GiB."""
    match = SIZE.fullmatch(text)
    if match is None:
        raise ValueError(text)
    number, unit = match.groups()
    return int(float(number) * SIZE_UNITS[(unit or "b").lower()])


PARSERS: dict[str, Callable[[str], Any]] = {
    "landing": Path,
    "warehouse": Path,
    "reports": Path,
    "exports": Path,
    "sources_file": Path,
    "targets_file": Path,
    "inactivity_days": int,
    "outcome_days": int,
    "timezone": str.strip,
    "currency": lambda text: text.strip().upper(),
    "min_sample": int,
    "volume_factor": float,
    "gaming_top_share": float,
    "risk_high": float,
    "risk_medium": float,
    "gaming_min_responses": int,
    "gaming_jump": float,
    "settle_seconds": float,
    "pii_salt": str,
    "validation_workers": int,
    "max_file_bytes": parse_size,
    "umask": lambda text: int(text, 8),
    "warehouse_backend": lambda text: text.strip().lower(),
    "ducklake_catalog": str.strip,
    "ducklake_data_path": str.strip,
    "s3_endpoint": str.strip,
    "s3_region": str.strip,
    "s3_key_id": str.strip,
    "s3_secret": str.strip,
    "duckdb_memory_limit": str.strip,
    "redis_url": str.strip,
    "redis_channel_prefix": str.strip,
    "ingest_schedule": str.strip,
}


def expected(field: str) -> str:
    """What a setting's text must look like, for the error when it cannot be read."""
    if field == "max_file_bytes":
        return "a size in bytes, with an optional unit (e.g. 2GB, 500MB, 1GiB)"
    if field == "umask":
        return "an octal umask such as 027 or 077"
    return RULES[field].describe()


def settings_from_env(env: dict[str, str] | None = None) -> Settings:
    """Settings from LOYALTY_* environment variables; an empty or missing one keeps its default."""
    env = dict(os.environ if env is None else env)
    values: dict[str, Any] = {}
    for field in (f.name for f in fields(Settings)):
        text = env.get(ENVIRONMENT.get(field, ""), "")
        if field not in ENVIRONMENT or not text.strip():
            continue
        if field == "as_of":
            values[field] = parse_as_of(text.strip(), ENVIRONMENT[field])
            continue
        try:
            values[field] = PARSERS[field](text)
        except ValueError:
            raise LoyaltyError(
                f"{setting_name(field)} must be {expected(field)}, got {text!r}"
            ) from None
    values["sources"] = {
        system: env[name].strip()
        for system, name in SOURCE_VARIABLES.items()
        if env.get(name, "").strip()
    }
    values["alerts"] = delivery_from_env(env)
    return Settings(**values)


def debug_requested(env: dict[str, str] | None = None) -> bool:
    """LOYALTY_DEBUG: show the traceback behind an error (read even when other settings fail)."""
    return bool((os.environ if env is None else env).get("LOYALTY_DEBUG", "").strip())
