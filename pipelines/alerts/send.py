"""Send the new alerts to each destination once: e-mail (SMTP) and webhook, then note it in the ledger."""

from __future__ import annotations

import smtplib
import ssl
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from email.message import EmailMessage
from typing import Protocol

import duckdb

from pipelines.alerts.ledger import pending_alerts, record_delivery
from pipelines.alerts.messages import Alert, Attachment, Email, alert_email, webhook_payload
from pipelines.alerts.settings import DeliverySettings, SmtpServer, webhook_destination
from pipelines.config import Settings
from pipelines.errors import LoyaltyError
from pipelines.filemodes import restrict_new_files
from pipelines.report.data import load_report_data, report_month
from pipelines.report.render import render_html
from pipelines.warehouse import open_reader, open_writer

TIMEOUT_SECONDS = 30


class EmailSender(Protocol):
    """Hands an e-mail to a mail server; raises LoyaltyError when the server does not take it."""

    def send(self, email: Email) -> None: ...


def mime_message(email: Email) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = email.subject
    message["From"] = email.sender
    message["To"] = ", ".join(email.to)
    message.set_content(email.text)
    message.add_alternative(email.html, subtype="html")
    for attachment in email.attachments:
        maintype, subtype = attachment.mime_type.split("/")
        message.add_attachment(
            attachment.content, maintype=maintype, subtype=subtype, filename=attachment.filename
        )
    return message


@dataclass(frozen=True)
class SmtpSender:
    """Sends through the SMTP server of .env (LOYALTY_SMTP_*), with Python's smtplib."""

    server: SmtpServer

    def send(self, email: Email) -> None:
        server = self.server
        try:
            if server.security == "ssl":
                client: smtplib.SMTP = smtplib.SMTP_SSL(
                    server.host,
                    server.port,
                    timeout=TIMEOUT_SECONDS,
                    context=ssl.create_default_context(),
                )
            else:
                client = smtplib.SMTP(server.host, server.port, timeout=TIMEOUT_SECONDS)
            with client:
                if server.security == "starttls":
                    client.starttls(context=ssl.create_default_context())
                if server.user:
                    client.login(server.user, server.password)
                client.send_message(mime_message(email))
        except (OSError, smtplib.SMTPException) as exc:
            raise LoyaltyError(
                f"the SMTP server {server.host}:{server.port} did not take the alert e-mail "
                f"({exc}); check LOYALTY_SMTP_* in .env (docs/alerts.md); the alerts stay "
                "pending and go out with the next try"
            ) from None


def post_webhook(url: str, payload: bytes) -> None:
    """POST the JSON; anything but a 2xx answer is a LoyaltyError (the URL is not shown: it is a secret)."""
    request = urllib.request.Request(
        url, data=payload, method="POST", headers={"Content-Type": "application/json"}
    )
    where = webhook_destination(url)
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as answer:
            status = answer.status
    except urllib.error.HTTPError as exc:
        status = exc.code
    except (OSError, ValueError) as exc:
        raise LoyaltyError(
            f"the alert webhook ({where}) could not be reached ({exc}); check "
            "LOYALTY_ALERT_WEBHOOK_URL; the alerts stay pending"
        ) from None
    if not 200 <= status < 300:
        raise LoyaltyError(
            f"the alert webhook ({where}) answered HTTP {status}; the alerts stay pending"
        )


@dataclass(frozen=True)
class Delivery:
    """What one destination got: the new alerts sent, or the error that kept them pending."""

    destination: str
    sent: int
    error: str | None = None

    def line(self) -> str:
        if self.error:
            return f"{self.destination}: not sent: {self.error}"
        if not self.sent:
            return f"{self.destination}: nothing new"
        return f"{self.destination}: sent {self.sent} new alert(s)"


def email_sender_from_env(delivery: DeliverySettings) -> EmailSender | None:
    """The .env SMTP server; an error when recipients are set without one."""
    if not delivery.email_to:
        return None
    if delivery.smtp is None:
        raise LoyaltyError(
            "LOYALTY_ALERT_EMAIL_TO is set but LOYALTY_SMTP_HOST is not: name the SMTP server "
            "in .env (docs/alerts.md)"
        )
    return SmtpSender(delivery.smtp)


def report_attachment(con: duckdb.DuckDBPyConnection, month: date, lang: str) -> Attachment:
    """The month's report as one self-contained HTML file."""
    html = render_html(load_report_data(con, month), lang)
    return Attachment(f"loyalty-report-{month:%Y-%m}-{lang}.html", html.encode("utf-8"))


def send_email(
    con: duckdb.DuckDBPyConnection,
    delivery: DeliverySettings,
    sender: EmailSender,
    alerts: list[Alert],
    month: date | None,
) -> None:
    shown = month or max(alert.month for alert in alerts)
    report = report_attachment(con, month, delivery.language) if month else None
    sender.send(
        alert_email(
            alerts, shown, delivery.language, delivery.email_from, delivery.email_to, report
        )
    )


def deliver_alerts(
    settings: Settings, delivery: DeliverySettings, email_sender: EmailSender | None
) -> list[Delivery]:
    """Send each destination the alerts it has not received, and note them in the ledger.

    The writer lock keeps two deliveries from sending the same alert; a destination that
    fails keeps its alerts pending and does not stop the others.
    """
    if email_sender is None and not delivery.webhook_url:
        raise LoyaltyError(
            "no alert destination: set LOYALTY_ALERT_EMAIL_TO and LOYALTY_SMTP_HOST (or an "
            "Airflow connection), or LOYALTY_ALERT_WEBHOOK_URL, in .env (docs/alerts.md)"
        )
    restrict_new_files(settings)
    results = []
    with open_writer(settings.warehouse, limit=settings.duckdb_memory_limit) as con:
        month = report_month(con, None)
        if email_sender is not None:
            destination = delivery.email_destination
            results.append(
                deliver(
                    con,
                    destination,
                    lambda alerts: send_email(con, delivery, email_sender, alerts, month),
                )
            )
        if delivery.webhook_url:
            results.append(
                deliver(
                    con,
                    webhook_destination(delivery.webhook_url),
                    lambda alerts: post_webhook(
                        delivery.webhook_url,
                        webhook_payload(
                            alerts, month or max(a.month for a in alerts), delivery.language
                        ),
                    ),
                )
            )
    return results


def deliver(
    con: duckdb.DuckDBPyConnection, destination: str, send: Callable[[list[Alert]], None]
) -> Delivery:
    """Send one destination's pending alerts with `send`, then record them."""
    alerts = pending_alerts(con, destination)
    if not alerts:
        return Delivery(destination, 0)
    try:
        send(alerts)
    except LoyaltyError as exc:
        return Delivery(destination, 0, str(exc))
    record_delivery(con, alerts, destination, datetime.now().astimezone())
    return Delivery(destination, len(alerts))


def preview_alerts(settings: Settings, delivery: DeliverySettings) -> dict[str, list[Alert]]:
    """What a send would deliver, per configured destination (all pending ones when none is)."""
    destinations = [delivery.email_destination] if delivery.email_to else []
    if delivery.webhook_url:
        destinations.append(webhook_destination(delivery.webhook_url))
    with open_reader(settings.warehouse, limit=settings.duckdb_memory_limit) as con:
        return {
            destination: pending_alerts(con, destination)
            for destination in destinations or ["(no destination configured)"]
        }
