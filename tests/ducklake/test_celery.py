"""The Airflow DAGs with the CeleryExecutor and two Celery workers on one DuckLake.

PostgreSQL holds Airflow's metadata and the lake's catalog, Redis is the broker. Exports
of two systems are dropped at once, then LOYALTY_DROPS (default 20) small orders exports
over LOYALTY_DROP_SECONDS (default 60), each with its flag touched as an exporter would:
every file is loaded once, and the drop-to-marts latencies (first drop; median and p95
of the stream) are printed.
"""

from __future__ import annotations

import csv
import json
import math
import os
import shutil
import statistics
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import duckdb
import pytest

from pipelines.config import Settings
from pipelines.errors import LoyaltyError
from pipelines.generate import GenerateOptions, generate
from pipelines.warehouse import open_reader, warehouse_of
from tests.conftest import (
    airflow_environment,
    airflow_metadata,
    airflow_processes,
    count_triggers,
    require_service,
)
from tests.ducklake.conftest import environment

pytestmark = [pytest.mark.services, pytest.mark.slow]
DEADLINE_SECONDS = 300
WORKERS = ("worker1", "worker2")
ORDERS_PER_DROP = 5
ORDER_HEADER = [
    "order_id",
    "customer_id",
    "ordered_at",
    "net_amount",
    "status",
    "channel",
    "currency",
]


def drop_orders(folder: Path, number: int, customers: list[str], day: str) -> None:
    """A small orders export of known customers, written under a temporary name, then flagged."""
    name = f"orders_drop_{number:04d}.csv"
    part = folder / f".{name}.part"
    with part.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(ORDER_HEADER)
        for i in range(ORDERS_PER_DROP):
            customer = customers[(number * ORDERS_PER_DROP + i) % len(customers)]
            writer.writerow(
                [
                    f"D{number:04d}-{i}",
                    customer,
                    f"{day} 12:00:00",
                    "10.00",
                    "completed",
                    "web",
                    "EUR",
                ]
            )
    part.replace(folder / name)
    (folder / "_ready").touch()


def stream_latencies(lake: Settings, base: int, drops: int, seconds: float) -> list[float]:
    """Drop the exports evenly over `seconds`; each one's time until the marts count it."""
    with open_reader(warehouse_of(lake)) as con:
        customers = [
            r[0]
            for r in con.execute(
                "select customer_id from raw.customers order by 1 limit 50"
            ).fetchall()
        ]
        day = str(con.execute("select max(ordered_at)::date from raw.orders").fetchone()[0])  # type: ignore[index]
    folder = lake.landing / "shop/orders"
    started, dropped_at, seen = time.monotonic(), [], []
    while time.monotonic() - started < seconds + DEADLINE_SECONDS:
        now = time.monotonic() - started
        if len(dropped_at) < drops and now >= len(dropped_at) * seconds / drops:
            drop_orders(folder, len(dropped_at), customers, day)
            dropped_at.append(now)
        counted = purchases(lake)
        if counted is not None:
            seen.append((time.monotonic() - started, counted))
        if counted == base + drops * ORDERS_PER_DROP:
            break
        time.sleep(0.5)
    latencies = []
    for number, at in enumerate(dropped_at):
        needed = base + (number + 1) * ORDERS_PER_DROP
        shown = next((t for t, n in seen if t >= at and n >= needed), None)
        assert shown is not None, f"drop {number} never reached the marts"
        latencies.append(shown - at)
    return latencies


def purchases(lake: Settings) -> int | None:
    try:
        with open_reader(warehouse_of(lake)) as con:
            row = con.execute(
                "select coalesce(sum(purchases), 0) from marts.kpi_monthly"
            ).fetchone()
    except (LoyaltyError, duckdb.Error):  # not built yet: keep waiting
        return None
    return int(row[0]) if row else None


@pytest.fixture
def celery_airflow(lake_settings: Settings, tmp_path: Path) -> Iterator[Settings]:
    """Airflow (api-server, scheduler, dag-processor, triggerer) and two Celery workers."""
    require_service("Redis", "127.0.0.1", 6379)
    database = f"loyalty_airflow_lake_{os.getpid()}"
    env = {
        **airflow_environment(
            database, tmp_path / "airflow", "CeleryExecutor", "redis://127.0.0.1:6379/3"
        ),
        **environment(lake_settings),
    }
    commands = {name: [name] for name in ("api-server", "scheduler", "dag-processor", "triggerer")}
    for name in WORKERS:
        commands[f"celery-{name}@%h"] = ["celery", "worker", "-H", f"{name}@%h", "-c", "1", "-s"]
    with airflow_metadata(database, env, writers=16), airflow_processes(commands, env, tmp_path):
        yield lake_settings


def test_two_celery_workers_take_exports_to_the_lake_marts(
    celery_airflow: Settings, tmp_path: Path, record_property: Callable[[str, object], None]
) -> None:
    lake = celery_airflow
    database = f"loyalty_airflow_lake_{os.getpid()}"
    deadline = time.monotonic() + 300
    while count_triggers(database) < 5:
        assert time.monotonic() < deadline, f"the watchers never started; logs in {tmp_path}"
        time.sleep(2)
    company = tmp_path / "company"
    generate(GenerateOptions(company, customers=300, months=6, seed=9, flags=False))
    expected = 0
    folders = ("shop/orders", "crm/customers")
    for folder in folders:
        target = lake.landing / folder
        target.mkdir(parents=True, exist_ok=True)
        for export in sorted((company / folder).iterdir()):
            shutil.copy2(export, target / export.name)
    for export in (company / "shop/orders").glob("*.csv"):
        expected += sum(
            1 for line in export.read_text().splitlines()[1:] if ",cancelled," not in line
        )
    dropped = time.monotonic()
    for folder in folders:
        (lake.landing / folder / "_ready").touch()
    latency = None
    while time.monotonic() - dropped < DEADLINE_SECONDS:
        if purchases(lake) == expected:
            latency = time.monotonic() - dropped
            break
        time.sleep(1)
    assert latency is not None, f"the marts did not show the exports in time; logs in {tmp_path}"
    drops = int(os.environ.get("LOYALTY_DROPS", "20"))
    stream = stream_latencies(
        lake, expected, drops, float(os.environ.get("LOYALTY_DROP_SECONDS", "60"))
    )
    with open_reader(warehouse_of(lake)) as con:
        ledger = con.execute(
            "select count(*), count(distinct sha256) from audit.files "
            "where file_name like 'orders_drop_%' and status <> 'quarantined'"
        ).fetchone()
    assert ledger == (drops, drops)
    ranked = sorted(stream)
    figures = {
        "drops": drops,
        "median_seconds": round(statistics.median(ranked), 1),
        "p95_seconds": round(ranked[math.ceil(0.95 * len(ranked)) - 1], 1),
    }

    logs = {name: (tmp_path / f"celery-{name}@%h.log").read_text() for name in WORKERS}
    tasks = {name: log.count("final_state=success") for name, log in logs.items()}
    assert all("final_state=failed" not in log for log in logs.values()), tmp_path
    assert sum(tasks.values()) >= 2
    record_property("drop_to_marts_seconds", round(latency, 1))
    print(
        json.dumps(
            {
                "drop_to_marts_seconds": round(latency, 1),
                "stream": figures,
                "tasks_per_worker": tasks,
            }
        )
    )
