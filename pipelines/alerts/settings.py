"""Where alerts go: e-mail recipients, the SMTP server, a webhook; read from LOYALTY_ALERT_* / LOYALTY_SMTP_*."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from pipelines.errors import LoyaltyError

ADDRESS = re.compile(r"[^@\s,;<>]+@[^@\s,;<>]+")
SECURITY = ("starttls", "ssl", "none")
LANGUAGES = ("en", "de")
DEFAULT_SMTP_CONN_ID = "loyalty_smtp"


@dataclass(frozen=True)
class SmtpServer:
    """An SMTP server as .env describes it (the Airflow DAG may use a connection instead)."""

    host: str
    port: int
    user: str = ""
    password: str = ""
    security: str = "starttls"

    def __repr__(self) -> str:
        return f"SmtpServer({self.host}:{self.port}, user={self.user!r}, {self.security})"


@dataclass(frozen=True)
class DeliverySettings:
    """The destinations of alerts; an empty one is not used."""

    email_to: tuple[str, ...] = ()
    email_from: str = "loyalty-pipeline@localhost"
    smtp: SmtpServer | None = None
    smtp_conn_id: str = DEFAULT_SMTP_CONN_ID
    webhook_url: str = ""
    language: str = "en"

    def __repr__(self) -> str:
        return (
            f"DeliverySettings(email_to={self.email_to}, smtp={self.smtp!r}, "
            f"webhook={webhook_destination(self.webhook_url) if self.webhook_url else None}, "
            f"language={self.language})"
        )

    @property
    def email_destination(self) -> str:
        return "email:" + ",".join(sorted(address.lower() for address in self.email_to))


def webhook_destination(url: str) -> str:
    """The ledger's name of a webhook: its host and a hash, never the URL (it holds a secret)."""
    return f"webhook:{urlsplit(url).hostname}#{hashlib.sha256(url.encode()).hexdigest()[:12]}"


def addresses(name: str, text: str) -> tuple[str, ...]:
    found = tuple(part.strip() for part in re.split(r"[,;]", text) if part.strip())
    for address in found:
        if not ADDRESS.fullmatch(address):
            raise LoyaltyError(
                f"{name}: {address!r} is not an e-mail address like name@example.com"
            )
    return found


def choice(name: str, text: str, allowed: tuple[str, ...]) -> str:
    if text not in allowed:
        raise LoyaltyError(f"{name} must be {', '.join(allowed)}, got {text!r}")
    return text


def smtp_from_env(env: dict[str, str]) -> SmtpServer | None:
    host = env.get("LOYALTY_SMTP_HOST", "").strip()
    if not host:
        return None
    security = choice(
        "LOYALTY_SMTP_SECURITY",
        env.get("LOYALTY_SMTP_SECURITY", "").strip() or "starttls",
        SECURITY,
    )
    port_text = env.get("LOYALTY_SMTP_PORT", "").strip() or ("465" if security == "ssl" else "587")
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise LoyaltyError(f"LOYALTY_SMTP_PORT must be a port number like 587, got {port_text!r}")
    return SmtpServer(
        host,
        int(port_text),
        env.get("LOYALTY_SMTP_USER", "").strip(),
        env.get("LOYALTY_SMTP_PASSWORD", ""),
        security,
    )


def delivery_from_env(env: dict[str, str]) -> DeliverySettings:
    """The alert destinations from the environment (.env); every problem names its variable."""
    webhook = env.get("LOYALTY_ALERT_WEBHOOK_URL", "").strip()
    if webhook and urlsplit(webhook).scheme not in ("http", "https"):
        raise LoyaltyError("LOYALTY_ALERT_WEBHOOK_URL must be an http:// or https:// URL")
    sender = env.get("LOYALTY_ALERT_EMAIL_FROM", "").strip() or DeliverySettings.email_from
    addresses("LOYALTY_ALERT_EMAIL_FROM", sender)
    return DeliverySettings(
        email_to=addresses("LOYALTY_ALERT_EMAIL_TO", env.get("LOYALTY_ALERT_EMAIL_TO", "")),
        email_from=sender,
        smtp=smtp_from_env(env),
        smtp_conn_id=env.get("LOYALTY_SMTP_CONN_ID", "").strip() or DEFAULT_SMTP_CONN_ID,
        webhook_url=webhook,
        language=choice(
            "LOYALTY_ALERT_LANGUAGE",
            env.get("LOYALTY_ALERT_LANGUAGE", "").strip() or "en",
            LANGUAGES,
        ),
    )
