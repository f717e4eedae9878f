"""One typed settings object, read once from the environment and passed in."""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pipelines.errors import LoyaltyError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SQL_DIR = PROJECT_ROOT / "sql"
SOURCES_FILE = PROJECT_ROOT / "sources" / "sources.yaml"
EXPECTATIONS_DIR = PROJECT_ROOT / "expectations"


@dataclass(frozen=True)
class Settings:
    """Where the pipeline reads and writes, and the parameters of every metric."""

    landing: Path = Path("data/landing")
    warehouse: Path = Path("data/warehouse.duckdb")
    reports: Path = Path("data/reports")
    sources_file: Path = SOURCES_FILE
    as_of: datetime | None = None
    inactivity_days: int = 180
    timezone: str = "UTC"
    currency: str = "EUR"
    min_sample: int = 30
    volume_factor: float = 3.0
    gaming_top_share: float = 0.9
    gaming_min_responses: int = 30
    gaming_jump: float = 0.25
    settle_seconds: float = 2.0
    pii_salt: str = ""
    full_build: bool = False
    validation_workers: int = min(os.cpu_count() or 1, 4)
    umask: int = 0o027

    def with_overrides(self, **changes: object) -> Settings:
        """A copy with the given fields replaced; None values leave a field as it is."""
        return replace(self, **{k: v for k, v in changes.items() if v is not None})


def settings_from_env(env: dict[str, str] | None = None) -> Settings:
    """Settings from LOYALTY_* environment variables, with the embedded local defaults."""
    env = dict(os.environ if env is None else env)
    base = Settings()
    settings = Settings(
        landing=Path(env.get("LOYALTY_LANDING", base.landing)),
        warehouse=Path(env.get("LOYALTY_WAREHOUSE", base.warehouse)),
        reports=Path(env.get("LOYALTY_REPORTS", base.reports)),
        sources_file=Path(env.get("LOYALTY_SOURCES", base.sources_file)),
        as_of=parse_as_of(env["LOYALTY_AS_OF"]) if env.get("LOYALTY_AS_OF") else None,
        inactivity_days=int(env.get("LOYALTY_INACTIVITY_DAYS", base.inactivity_days)),
        timezone=env.get("LOYALTY_TIMEZONE", base.timezone),
        currency=env.get("LOYALTY_CURRENCY", base.currency).upper(),
        min_sample=int(env.get("LOYALTY_MIN_SAMPLE", base.min_sample)),
        volume_factor=float(env.get("LOYALTY_VOLUME_FACTOR", base.volume_factor)),
        gaming_top_share=float(env.get("LOYALTY_GAMING_TOP_SHARE", base.gaming_top_share)),
        gaming_min_responses=int(
            env.get("LOYALTY_GAMING_MIN_RESPONSES", base.gaming_min_responses)
        ),
        gaming_jump=float(env.get("LOYALTY_GAMING_JUMP", base.gaming_jump)),
        settle_seconds=float(env.get("LOYALTY_SETTLE_SECONDS", base.settle_seconds)),
        pii_salt=env.get("LOYALTY_PII_SALT", base.pii_salt),
        validation_workers=int(env.get("LOYALTY_VALIDATION_WORKERS") or base.validation_workers),
        umask=int(env.get("LOYALTY_UMASK") or oct(base.umask), 8),
    )
    check_settings(settings)
    return settings


def parse_as_of(text: str) -> datetime:
    """An ISO 8601 date or timestamp; a naive value is read as UTC."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError as exc:
        raise LoyaltyError(
            f"--as-of {text!r} is not an ISO 8601 date or timestamp (e.g. 2025-06-30T23:59:59Z)"
        ) from exc
    return value if value.tzinfo else value.replace(tzinfo=ZoneInfo("UTC"))


def check_settings(settings: Settings) -> None:
    """Refuse settings no metric can be computed with, naming the one to fix."""
    if settings.inactivity_days < 1:
        raise LoyaltyError(f"inactivity days must be at least 1, got {settings.inactivity_days}")
    if settings.validation_workers < 1:
        raise LoyaltyError(
            f"validation workers must be at least 1, got {settings.validation_workers}"
        )
    if settings.min_sample < 1:
        raise LoyaltyError(f"min_sample must be at least 1, got {settings.min_sample}")
    try:
        ZoneInfo(settings.timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise LoyaltyError(
            f"unknown time zone {settings.timezone!r}: use an IANA name such as Europe/Berlin"
        ) from exc
