"""What the DAG tasks call, without Airflow: pulling exports, notifying, recording failures."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import fsspec
import pytest

from pipelines.config import Settings
from pipelines.notify import notify
from pipelines.orchestration import ingest_system, pull_exports, record_failure
from tests.conftest import fetch, require_service

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
    assert ingest_system("shop", settings).message.startswith("files: 1 loaded")


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
    record_failure(settings, "airflow:loyalty_metrics.validate", "boom")
    assert fetch(settings, "select step, status, message from audit.runs") == [
        ("airflow:loyalty_metrics.validate", "failed", "boom")
    ]


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
