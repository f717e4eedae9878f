"""What a destination receives: an e-mail (subject, text, HTML, the report attached) or a webhook's JSON."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from html import escape

from babel.dates import format_date

LOCALES = {"en": "en_GB", "de": "de_DE"}
TEXTS = {
    "subject": {
        "en": "Loyalty alerts: {count} new{critical}, {month}",
        "de": "Loyalty-Warnungen: {count} neu{critical}, {month}",
    },
    "critical": {"en": " ({count} critical)", "de": " ({count} kritisch)"},
    "intro": {
        "en": "The loyalty pipeline has {count} new alert(s) (report month {month}):",
        "de": "Die Loyalty-Pipeline meldet {count} neue Warnung(en) (Berichtsmonat {month}):",
    },
    "attached": {
        "en": "The report of {month} is attached ({file}).",
        "de": "Der Bericht für {month} liegt bei ({file}).",
    },
    "footer": {
        "en": "Each alert is sent once; marts.alerts holds all of them (docs/alerts.md).",
        "de": "Jede Warnung wird einmal gesendet; marts.alerts enthält alle (docs/alerts.md).",
    },
    "critical_label": {"en": "critical", "de": "kritisch"},
    "warning_label": {"en": "warning", "de": "Warnung"},
}


@dataclass(frozen=True)
class Alert:
    """One row of marts.alerts, as delivered."""

    alert_id: str
    month: date
    rule: str
    metric: str
    severity: str
    message_en: str
    message_de: str

    def message(self, lang: str) -> str:
        return self.message_de if lang == "de" else self.message_en


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    mime_type: str = "text/html"


@dataclass(frozen=True)
class Email:
    sender: str
    to: tuple[str, ...]
    subject: str
    text: str
    html: str
    attachments: tuple[Attachment, ...] = ()


def text(key: str, lang: str, **values: object) -> str:
    return TEXTS[key][lang].format(**values)


def month_name(month: date, lang: str) -> str:
    return format_date(month, "LLLL yyyy", locale=LOCALES[lang])


def subject(alerts: list[Alert], month: date, lang: str) -> str:
    critical = sum(alert.severity == "critical" for alert in alerts)
    return text(
        "subject",
        lang,
        count=len(alerts),
        critical=text("critical", lang, count=critical) if critical else "",
        month=month_name(month, lang),
    )


def lines(alerts: list[Alert], lang: str) -> list[str]:
    """Each alert as a line: its severity label, then its message."""
    return [f"[{text(f'{a.severity}_label', lang)}] {a.message(lang)}" for a in alerts]


def alert_email(
    alerts: list[Alert],
    month: date,
    lang: str,
    sender: str,
    to: tuple[str, ...],
    report: Attachment | None,
) -> Email:
    """The e-mail of a batch of new alerts, in one language, with the month's report attached."""
    intro = text("intro", lang, count=len(alerts), month=month_name(month, lang))
    closing = [text("footer", lang)]
    if report is not None:
        closing.insert(
            0, text("attached", lang, month=month_name(month, lang), file=report.filename)
        )
    body = lines(alerts, lang)
    plain = "\n\n".join([intro, "\n".join(f"- {line}" for line in body), *closing]) + "\n"
    html = (
        f"<p>{escape(intro)}</p>\n<ul>\n"
        + "".join(f"  <li>{escape(line)}</li>\n" for line in body)
        + "</ul>\n"
        + "".join(f"<p>{escape(line)}</p>\n" for line in closing)
    )
    return Email(
        sender,
        to,
        subject(alerts, month, lang),
        plain,
        html,
        (report,) if report is not None else (),
    )


def webhook_payload(alerts: list[Alert], month: date, lang: str) -> bytes:
    """JSON for a webhook: Slack's `text` (mrkdwn), and the alerts as data for other receivers."""
    body = "\n".join(f"• {line}" for line in lines(alerts, lang))
    payload = {
        "text": f"*{subject(alerts, month, lang)}*\n{body}",
        "alerts": [
            {
                "alert_id": a.alert_id,
                "month": a.month.isoformat(),
                "rule": a.rule,
                "metric": a.metric,
                "severity": a.severity,
                "message": a.message(lang),
            }
            for a in alerts
        ],
    }
    return json.dumps(payload, ensure_ascii=False).encode("utf-8")
