"""The loyalty_alerts DAG's e-mail: Airflow's SMTP provider (SmtpHook) with an Airflow connection.

Besides pipelines/message_trigger.py the one module of the package that imports Airflow;
only the DAG files import it. Without the connection the DAG uses the .env SMTP server,
as `loyalty alerts --send` does.
"""

from __future__ import annotations

import smtplib
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

from airflow.exceptions import AirflowException, AirflowNotFoundException
from airflow.providers.smtp.hooks.smtp import SmtpHook
from airflow.sdk import BaseHook

from pipelines.alerts.messages import Email
from pipelines.alerts.send import EmailSender, deliver_alerts, email_sender_from_env
from pipelines.alerts.settings import DeliverySettings
from pipelines.config import Settings
from pipelines.errors import LoyaltyError


@dataclass(frozen=True)
class AirflowSmtpSender:
    """Sends through the Airflow connection `conn_id` (type smtp); the report goes as a file."""

    conn_id: str

    def send(self, email: Email) -> None:
        with tempfile.TemporaryDirectory(prefix="loyalty-alert-") as folder:
            files = []
            for attachment in email.attachments:
                path = Path(folder) / attachment.filename
                path.write_bytes(attachment.content)
                files.append(str(path))
            try:
                with SmtpHook(smtp_conn_id=self.conn_id) as hook:
                    hook.send_email_smtp(
                        to=list(email.to),
                        subject=email.subject,
                        html_content=email.html,
                        from_email=hook.from_email or email.sender,
                        files=files,
                    )
            except (AirflowException, OSError, smtplib.SMTPException) as exc:
                raise LoyaltyError(
                    f"the SMTP server of the Airflow connection {self.conn_id!r} did not take the "
                    f"alert e-mail ({exc}); check the connection (docs/alerts.md); the alerts stay "
                    "pending and go out with the next run"
                ) from None


def has_connection(conn_id: str) -> bool:
    try:
        BaseHook.get_connection(conn_id)
    except AirflowNotFoundException:
        return False
    return True


def email_sender(delivery: DeliverySettings) -> EmailSender | None:
    """The Airflow connection when it exists, else the .env SMTP server."""
    if delivery.email_to and has_connection(delivery.smtp_conn_id):
        return AirflowSmtpSender(delivery.smtp_conn_id)
    return email_sender_from_env(delivery)


def send_alerts(settings: Settings, delivery: DeliverySettings) -> dict:
    """The DAG's task: deliver the new alerts; a destination that failed fails the task."""
    sender = email_sender(delivery)
    if sender is None and not delivery.webhook_url:
        return {"note": "no alert destination is configured (docs/alerts.md); nothing sent"}
    results = deliver_alerts(settings, delivery, sender)
    failed = [result.line() for result in results if result.error]
    if failed:
        raise LoyaltyError("; ".join(failed))
    return {"deliveries": [asdict(result) for result in results]}
