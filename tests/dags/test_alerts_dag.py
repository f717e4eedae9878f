"""The loyalty_alerts DAG, run with dag.test(): Airflow's SMTP provider sends the alerts once."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from pipelines.config import Settings
from pipelines.generate import GenerateOptions, generate
from pipelines.run import run_steps
from tests.alerts.conftest import STRICT_TARGETS, Inbox
from tests.conftest import fetch, free_port
from tests.dags.conftest import DAGS

pytestmark = pytest.mark.slow


@pytest.fixture
def inbox() -> Iterator[tuple[int, Inbox]]:
    received = Inbox()
    port = free_port()
    controller = Controller(received, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, received
    finally:
        controller.stop()


@pytest.fixture
def company(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, inbox: tuple[int, Inbox]) -> Settings:
    """A built company with strict targets; the environment the DAG task reads points at it."""
    port, _ = inbox
    targets = tmp_path / "targets.yaml"
    targets.write_text(STRICT_TARGETS)
    settings = Settings(
        landing=tmp_path / "landing",
        warehouse=tmp_path / "warehouse.duckdb",
        reports=tmp_path / "reports",
        settle_seconds=0,
        targets_file=targets,
    )
    generate(GenerateOptions(settings.landing, customers=300, months=6, seed=5, flags=False))
    run_steps(settings, ("ingest", "validate", "build"))
    for name, value in {
        "LOYALTY_LANDING": settings.landing,
        "LOYALTY_WAREHOUSE": settings.warehouse,
        "LOYALTY_REPORTS": settings.reports,
        "LOYALTY_TARGETS": targets,
        "LOYALTY_ALERT_EMAIL_TO": "board@example.com",
        "AIRFLOW_CONN_LOYALTY_SMTP": json.dumps(
            {
                "conn_type": "smtp",
                "host": "127.0.0.1",
                "port": port,
                "extra": {
                    "disable_ssl": True,
                    "disable_tls": True,
                    "from_email": "airflow-alerts@example.com",
                },
            }
        ),
    }.items():
        monkeypatch.setenv(name, str(value))
    return settings


def test_the_alerts_dag_mails_through_the_airflow_connection_once(
    airflow_db: Path, company: Settings, inbox: tuple[int, Inbox]
) -> None:
    from airflow.dag_processing.dagbag import DagBag

    dag = DagBag(dag_folder=str(DAGS)).dags["loyalty_alerts"]
    alerts = fetch(
        company,
        "select count(*) from marts.alerts "
        "where month >= (select max(month) from marts.kpi_monthly where is_complete)",
    )[0][0]
    assert alerts >= 2

    assert dag.test().state == "success"
    _, received = inbox
    (message,) = received.messages
    assert message["From"] == "airflow-alerts@example.com"
    assert message["Subject"].startswith(f"Loyalty alerts: {alerts} new (1 critical), ")
    assert "[critical] Retention was" in message.get_body(("html",)).get_content()
    (report,) = list(message.iter_attachments())
    assert report.get_filename().endswith("-en.html")

    assert dag.test().state == "success"
    assert len(received.messages) == 1
    assert fetch(company, "select count(*) from audit.alert_deliveries") == [(alerts,)]
