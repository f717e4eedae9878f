"""What the DAG tasks call, without Airflow: pulling exports, notifying, recording failures."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from datetime import datetime
from pathlib import Path

import fsspec
import pytest

from pipelines.config import Settings
from pipelines.notify import NobodyListening, notify, without_password
from pipelines.orchestration import (
    QuarantinedAtIngest,
    check_quarantine,
    ingest_new_files,
    pull_exports,
    record_failure,
)
from pipelines.run import RunOrigin, run_steps
from pipelines.validate.gate import ValidationFailed
from tests.conftest import fetch, require_service, write_entity

ORDERS = "order_id,customer_id,ordered_at,net_amount\nO1,C1,2025-01-01,1.00\n"


def test_pull_from_a_local_folder_copies_new_files_once(settings: Settings, tmp_path: Path) -> None:
    source = tmp_path / "shop-exports"
    (source / "orders").mkdir(parents=True)
    (source / "orders" / "orders_1.csv").write_text(ORDERS)
    (source / "orders" / "_ready").touch()
    assert pull_exports("shop", settings, str(source)) == [
        str(settings.landing / "shop/orders/orders_1.csv")
    ]
    assert pull_exports("shop", settings, str(source)) == []
    assert not list((settings.landing / "shop/orders").glob("*.part"))
    outcome = ingest_new_files(settings)
    assert outcome.message.startswith("files: 1 loaded")
    assert (outcome.loaded, outcome.quarantined) == (["orders"], [])


def test_pull_from_an_fsspec_url(settings: Settings) -> None:
    memory = fsspec.filesystem("memory")
    memory.pipe(
        "/crm-exports/customers/customers_1.csv",
        b"customer_id,created_at,updated_at\nC1,2025-01-01,2025-01-01\n",
    )
    memory.pipe(
        "/crm-exports/events/events_1.csv",
        b"event_id,customer_id,occurred_at,event_type\nE1,C1,2025-01-02,referral\n",
    )
    copied = pull_exports("crm", settings, "memory://crm-exports")
    assert sorted(Path(p).name for p in copied) == ["customers_1.csv", "events_1.csv"]
    assert pull_exports("crm", settings, "memory://crm-exports") == []
    assert pull_exports("crm", settings, None) == []


def test_a_failure_is_recorded_in_audit_runs(settings: Settings) -> None:
    origin = RunOrigin("loyalty_report", "manual__2026-07-01T10:00:00+00:00")
    assert record_failure(settings, "airflow:loyalty_report.report", "boom", origin)
    assert fetch(
        settings, "select step, status, message, airflow_dag_id, airflow_run_id from audit.runs"
    ) == [("airflow:loyalty_report.report", "failed", "boom", *origin.__dict__.values())]


def test_a_failed_step_is_recorded_once_with_its_airflow_run(settings: Settings) -> None:
    negative = {
        "order_id": "O1",
        "customer_id": "C1",
        "ordered_at": "2025-01-01",
        "net_amount": "-1",
    }
    write_entity(settings.landing, "orders", "orders.csv", [negative])
    origin = RunOrigin("loyalty_metrics", "asset_triggered__2026-07-01T10:00:00+00:00")
    started = datetime.now().astimezone()
    run_steps(settings, ("ingest",))
    with pytest.raises(ValidationFailed):
        run_steps(settings, ("validate",), origin=origin)
    assert not record_failure(
        settings, "airflow:loyalty_metrics.validate", "again", origin, started
    )
    rows = fetch(
        settings,
        "select step, status, airflow_run_id from audit.runs where status = 'failed' order by step",
    )
    assert rows == [("run", "failed", origin.run_id), ("validate", "failed", origin.run_id)]


def test_an_ingest_quarantine_fails_the_check_with_file_reason_and_fix() -> None:
    assert check_quarantine([]) == "no file quarantined"
    with pytest.raises(QuarantinedAtIngest) as failure:
        check_quarantine(["/landing/shop/orders/o.csv.gz: the gzip stream is truncated"])
    lines = str(failure.value).splitlines()
    assert lines[1] == "  /landing/shop/orders/o.csv.gz: the gzip stream is truncated"
    assert lines[-1].startswith("fix: correct the export and deliver it again under the same name")


@pytest.mark.services
def test_notify_publishes_on_the_system_channel() -> None:
    require_service("Redis", "127.0.0.1", 6379)
    import redis

    client = redis.Redis.from_url("redis://127.0.0.1:6379/1")
    subscriber = client.pubsub()
    subscriber.subscribe("loyalty-test.shop")
    subscriber.get_message(timeout=2)
    received: list[dict] = []

    def listen() -> None:
        message = subscriber.get_message(timeout=5)
        if message and message["type"] == "message":
            received.append(json.loads(message["data"]))

    listener = threading.Thread(target=listen)
    listener.start()
    channel, listeners = notify(
        "orders", ["orders_2026-07.csv"], "redis://127.0.0.1:6379/1", "loyalty-test"
    )
    listener.join()
    assert (channel, listeners) == ("loyalty-test.shop", 1)
    assert received == [{"entity": "orders", "files": ["orders_2026-07.csv"]}]


@pytest.mark.services
def test_notify_fails_loudly_when_nobody_listens(tmp_path: Path) -> None:
    require_service("Redis", "127.0.0.1", 6379)
    with pytest.raises(NobodyListening, match=r"nobody listens on loyalty-test-nobody\.crm"):
        notify("customers", ["c.csv"], "redis://127.0.0.1:6379/1", "loyalty-test-nobody")
    process = subprocess.run(
        [str(Path(sys.executable).parent / "loyalty"), "notify", "orders", "--file", "o.csv"],
        capture_output=True,
        text=True,
        env={
            "PATH": "/usr/bin:/bin",
            "LOYALTY_REDIS_URL": "redis://127.0.0.1:6379/1",
            "LOYALTY_REDIS_CHANNEL_PREFIX": "loyalty-test-nobody",
        },
        cwd=tmp_path,
        check=False,
    )
    assert process.returncode == 1
    assert "nobody listens on loyalty-test-nobody.shop" in process.stderr
    assert "touch shop/orders/_ready" in process.stderr
    assert "Traceback" not in process.stderr


def test_a_redis_url_is_shown_without_its_password() -> None:
    assert without_password("redis://:s3cret@redis:6379/1") == "redis://redis:6379/1"
    assert without_password("redis://127.0.0.1:6379/1") == "redis://127.0.0.1:6379/1"
