"""A small generated company with alerts, a real SMTP server and a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from pipelines.config import Settings
from pipelines.generate import GenerateOptions, generate
from tests.conftest import free_port, run

# Targets no month meets, so the latest complete month always has alerts to deliver.
STRICT_TARGETS = """
targets:
  - {metric: nps, direction: ">=", value: 99}
  - {metric: retention_rate, direction: ">=", value: 0.999, severity: critical}
"""


@pytest.fixture(scope="package")
def built_company(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """A generated company, built once; tests copy its warehouse so each has its own ledger."""
    root: Path = tmp_path_factory.mktemp("company")
    targets = root / "targets.yaml"
    targets.write_text(STRICT_TARGETS)
    settings = Settings(
        landing=root / "landing",
        warehouse=root / "warehouse.duckdb",
        reports=root / "reports",
        settle_seconds=0,
        targets_file=targets,
    )
    generate(GenerateOptions(settings.landing, customers=300, months=12, seed=5, flags=False))
    run(settings)
    return settings


@pytest.fixture
def company(built_company: Settings, tmp_path: Path) -> Settings:
    warehouse = tmp_path / "warehouse.duckdb"
    warehouse.write_bytes(built_company.warehouse.read_bytes())
    return built_company.with_overrides(warehouse=warehouse, reports=tmp_path / "reports")


class Inbox:
    """An aiosmtpd handler that keeps every message it receives."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.recipients: list[list[str]] = []

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))  # type: ignore[attr-defined]
        self.recipients.append(list(envelope.rcpt_tos))  # type: ignore[attr-defined]
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server() -> Iterator[tuple[int, Inbox]]:
    """A real SMTP server on 127.0.0.1 (no TLS), for the duration of a test."""
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, inbox
    finally:
        controller.stop()


class Hook:
    """What the local webhook received, and the status it answers with."""

    def __init__(self) -> None:
        self.payloads: list[dict] = []
        self.status = 200


@pytest.fixture
def webhook_server() -> Iterator[tuple[str, Hook]]:
    """A real HTTP server on 127.0.0.1 that takes JSON POSTs like Slack's incoming webhooks."""
    hook = Hook()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            if hook.status == 200:
                assert self.headers["Content-Type"] == "application/json"
                hook.payloads.append(json.loads(body))
            self.send_response(hook.status)
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, format: str, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/services/T000/B000/secret-token", hook
    finally:
        server.shutdown()
        server.server_close()
