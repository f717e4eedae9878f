"""Alerts reach people once: a real SMTP server and a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from pipelines.alerts.send import Delivery, SmtpSender, deliver_alerts
from pipelines.alerts.settings import DeliverySettings, SmtpServer, webhook_destination
from pipelines.config import Settings
from tests.alerts.conftest import Hook, Inbox
from tests.conftest import fetch, free_port

TO = ("board@example.com", "Analysts@Example.com")


def email_settings(port: int, **extra: object) -> DeliverySettings:
    values: dict = {
        "email_to": TO,
        "email_from": "loyalty@example.com",
        "smtp": SmtpServer("127.0.0.1", port, security="none"),
    }
    return DeliverySettings(**{**values, **extra})


def expected_alerts(settings: Settings) -> list[tuple[str, str, str]]:
    return fetch(
        settings,
        "select alert_id, message_en, message_de from marts.alerts "
        "where month >= (select max(month) from marts.kpi_monthly where is_complete) "
        "order by severity = 'critical' desc, month, rule, metric",
    )


def test_the_alert_email_arrives_once_with_the_report(
    company: Settings, smtp_server: tuple[int, Inbox]
) -> None:
    port, inbox = smtp_server
    delivery = email_settings(port)
    alerts = expected_alerts(company)
    assert len(alerts) >= 2
    (first,) = deliver_alerts(company, delivery, SmtpSender(delivery.smtp))
    assert first == Delivery("email:analysts@example.com,board@example.com", len(alerts))
    assert len(inbox.messages) == 1
    message = inbox.messages[0]
    assert inbox.recipients[0] == list(TO)
    assert message["From"] == "loyalty@example.com"
    assert message["Subject"].startswith(f"Loyalty alerts: {len(alerts)} new (1 critical), ")
    body = message.get_body(("plain",)).get_content()
    positions = [body.index(message_en) for _, message_en, _ in alerts]
    assert positions == sorted(positions)
    assert "[critical] Retention was" in body
    (attachment,) = list(message.iter_attachments())
    month = fetch(company, "select max(month) from marts.kpi_monthly where is_complete")[0][0]
    assert attachment.get_filename() == f"loyalty-report-{month:%Y-%m}-en.html"
    assert "Customer loyalty report" in attachment.get_content()

    (second,) = deliver_alerts(company, delivery, SmtpSender(delivery.smtp))
    assert second.sent == 0 and second.line().endswith("nothing new")
    assert len(inbox.messages) == 1
    ledger = fetch(company, "select alert_id, destination from audit.alert_deliveries order by 1")
    assert ledger == sorted((alert_id, first.destination) for alert_id, _, _ in alerts)


def test_german_alerts_and_a_new_destination_gets_them_too(
    company: Settings, smtp_server: tuple[int, Inbox]
) -> None:
    port, inbox = smtp_server
    deliver_alerts(
        company, email_settings(port), SmtpSender(SmtpServer("127.0.0.1", port, security="none"))
    )
    german = email_settings(port, language="de", email_to=("vorstand@example.com",))
    (result,) = deliver_alerts(company, german, SmtpSender(german.smtp))
    assert result.sent == len(expected_alerts(company))
    message = inbox.messages[-1]
    assert message["Subject"].startswith("Loyalty-Warnungen: ")
    body = message.get_body(("plain",)).get_content()
    assert all(message_de in body for _, _, message_de in expected_alerts(company))
    assert next(message.iter_attachments()).get_filename().endswith("-de.html")


def test_a_server_that_is_down_keeps_the_alerts_pending(
    company: Settings, smtp_server: tuple[int, Inbox]
) -> None:
    port, inbox = smtp_server
    down = email_settings(free_port())
    (failed,) = deliver_alerts(company, down, SmtpSender(down.smtp))
    assert failed.sent == 0
    assert "did not take the alert e-mail" in (failed.error or "")
    assert fetch(company, "select count(*) from audit.alert_deliveries") == [(0,)]
    up = email_settings(port)
    (sent,) = deliver_alerts(company, up, SmtpSender(up.smtp))
    assert sent.sent == len(expected_alerts(company))
    assert len(inbox.messages) == 1


def test_the_webhook_gets_slack_json_once(
    company: Settings, webhook_server: tuple[str, Hook]
) -> None:
    url, hook = webhook_server
    delivery = DeliverySettings(webhook_url=url)
    hook.status = 500
    (failed,) = deliver_alerts(company, delivery, None)
    assert (
        failed.error
        == f"the alert webhook ({webhook_destination(url)}) answered HTTP 500; the alerts stay pending"
    )
    assert "secret-token" not in failed.line()
    hook.status = 200
    (sent,) = deliver_alerts(company, delivery, None)
    alerts = expected_alerts(company)
    assert sent.sent == len(alerts)
    (payload,) = hook.payloads
    assert payload["text"].startswith("*Loyalty alerts: ")
    assert [a["alert_id"] for a in payload["alerts"]] == [alert_id for alert_id, _, _ in alerts]
    (again,) = deliver_alerts(company, delivery, None)
    assert again.sent == 0 and len(hook.payloads) == 1
    destinations = fetch(company, "select distinct destination from audit.alert_deliveries")
    assert destinations == [(webhook_destination(url),)]
    assert "secret-token" not in destinations[0][0]


def test_loyalty_alerts_send_from_the_command_line(
    company: Settings, smtp_server: tuple[int, Inbox], tmp_path: Path
) -> None:
    port, inbox = smtp_server
    env = {
        **os.environ,
        "COLUMNS": "200",
        "LOYALTY_WAREHOUSE": str(company.warehouse),
        "LOYALTY_TARGETS": str(company.targets_file),
        "LOYALTY_ALERT_EMAIL_TO": "board@example.com",
        "LOYALTY_SMTP_HOST": "127.0.0.1",
        "LOYALTY_SMTP_PORT": str(port),
        "LOYALTY_SMTP_SECURITY": "none",
    }

    def loyalty(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-c", "from pipelines.cli import main; main()", *args]
        return subprocess.run(
            command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300
        )

    preview = loyalty("alerts")
    assert preview.returncode == 0, preview.stderr
    count = len(expected_alerts(company))
    assert f"email:board@example.com: {count} new alert(s)" in preview.stdout
    assert inbox.messages == []
    sent = loyalty("alerts", "--send")
    assert sent.returncode == 0, sent.stderr
    assert f"email:board@example.com: sent {count} new alert(s)" in sent.stdout
    assert loyalty("alerts", "--send").stdout.strip() == "email:board@example.com: nothing new"
    assert len(inbox.messages) == 1
    env["LOYALTY_SMTP_HOST"] = ""
    missing = loyalty("alerts", "--send")
    assert missing.returncode == 1
    assert "LOYALTY_ALERT_EMAIL_TO is set but LOYALTY_SMTP_HOST is not" in missing.stderr
