"""Drop-to-marts latency of both event paths against a running `make airflow`.

    make demo && make airflow            # in one terminal (Redis running for the message path)
    .venv/bin/python -m benchmarks.event_latency --runs 10

Each run drops a new orders export (100 orders of known customers, dated on the last day
with data, so the build stays incremental) into the landing zone and wakes Airflow, by
turns with the folder's flag file (`touch _ready`) and with a Redis message (`loyalty
notify`). The latency is the time from the wake-up until the published snapshot's
marts.kpi_monthly counts the new orders, which is what an analyst would see. Before each
run the benchmark waits until Airflow has no queued or running DAG run, so a run never
shares the machine with the previous one's report. One unmeasured warm-up run goes first
(--warmup): the first task after `make airflow` starts the LocalExecutor's forkserver,
which imports the pipeline and Great Expectations once (several seconds). p95 is the
nearest rank: with 10 runs it is the slowest one. Results go to
benchmarks/results/<date>-event-latency.json.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import statistics
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from benchmarks.company import log
from pipelines.config import settings_from_env
from pipelines.notify import notify
from pipelines.snapshot import snapshot_path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).parent / "results"
API = "http://127.0.0.1:8080"
PASSWORDS = ROOT / ".airflow" / "simple_auth_manager_passwords.json.generated"
ORDERS_PER_RUN = 100
DEADLINE_SECONDS = 180
HEADER = ["order_id", "customer_id", "ordered_at", "net_amount", "status", "channel", "currency"]


def api_token() -> str:
    """A bearer token for the local API server, with the simple auth manager's admin password."""
    password = json.loads(PASSWORDS.read_text())["admin"]
    request = urllib.request.Request(
        f"{API}/auth/token",
        data=json.dumps({"username": "admin", "password": password}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)["access_token"]


def busy_runs(token: str) -> int:
    """DAG runs of any DAG that are queued or running."""
    request = urllib.request.Request(
        f"{API}/api/v2/dags/~/dagRuns?state=queued&state=running&limit=1",
        headers={"Authorization": f"Bearer {token}"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return int(json.load(response)["total_entries"])


def wait_until_idle(token: str) -> None:
    deadline = time.monotonic() + DEADLINE_SECONDS
    while busy_runs(token):
        if time.monotonic() > deadline:
            raise SystemExit(f"Airflow still has running DAG runs after {DEADLINE_SECONDS} s")
        time.sleep(1)


def snapshot_query(snapshot: Path, sql: str) -> list[tuple]:
    """A query on the analysts' snapshot; an empty answer while it is being replaced."""
    try:
        con = duckdb.connect(str(snapshot), read_only=True)
    except duckdb.Error:
        return []
    try:
        return con.execute(sql).fetchall()
    except duckdb.Error:
        return []
    finally:
        con.close()


def purchases(snapshot: Path) -> int | None:
    rows = snapshot_query(snapshot, "select sum(purchases) from marts.kpi_monthly")
    return int(rows[0][0]) if rows and rows[0][0] is not None else None


def write_orders(folder: Path, name: str, customers: list[str], day: str) -> Path:
    """A new orders export: ORDERS_PER_RUN completed orders of known customers on `day`."""
    part = folder / f"{name}.part"
    with part.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for i in range(ORDERS_PER_RUN):
            writer.writerow(
                [
                    f"{name}-{i:04d}",
                    customers[i % len(customers)],
                    f"{day} 12:{i % 60:02d}:00",
                    "25.00",
                    "completed",
                    "web",
                    "EUR",
                ]
            )
    target = folder / name
    part.replace(target)
    return target


def measure(path: str, landing: Path, snapshot: Path, customers: list[str], day: str) -> float:
    """Seconds from waking Airflow up to the snapshot's marts counting the new orders."""
    folder = landing / "shop" / "orders"
    before = purchases(snapshot)
    if before is None:
        raise SystemExit(f"no marts in {snapshot}: run `make demo` first")
    name = f"orders_bench_{path}_{datetime.now(UTC):%Y%m%dT%H%M%S%f}.csv"
    write_orders(folder, name, customers, day)
    started = time.monotonic()
    if path == "flag":
        (folder / "_ready").touch()
    else:
        notify("orders", [name])
    while time.monotonic() - started < DEADLINE_SECONDS:
        if purchases(snapshot) == before + ORDERS_PER_RUN:
            return time.monotonic() - started
        time.sleep(0.2)
    raise SystemExit(f"{path}: the marts did not count {name} within {DEADLINE_SECONDS} s")


def summary(seconds: list[float]) -> dict[str, float]:
    ordered = sorted(seconds)
    return {
        "p50": round(statistics.median(ordered), 1),
        "p95": round(ordered[math.ceil(0.95 * len(ordered)) - 1], 1),
        "min": round(ordered[0], 1),
        "max": round(ordered[-1], 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=10, help="runs per event path")
    parser.add_argument("--paths", nargs="+", choices=("flag", "redis"), default=["flag", "redis"])
    parser.add_argument("--warmup", type=int, default=1, help="unmeasured runs first")
    args = parser.parse_args()
    settings = settings_from_env()
    snapshot = snapshot_path(settings.warehouse)
    customers = [
        row[0]
        for row in snapshot_query(
            snapshot, "select customer_id from marts.customer_loyalty order by 1 limit 500"
        )
    ]
    months = snapshot_query(snapshot, "select max(as_of) from marts.build_info")
    if not customers or not months:
        raise SystemExit(f"no marts in {snapshot}: run `make demo` first")
    day = f"{months[0][0]:%Y-%m-%d}"
    token = api_token()
    for _ in range(args.warmup):
        wait_until_idle(token)
        log(f"warm-up {measure(args.paths[0], settings.landing, snapshot, customers, day):5.1f} s")
    results: dict[str, list[float]] = {path: [] for path in args.paths}
    for run in range(1, args.runs + 1):
        for path in args.paths:
            wait_until_idle(token)
            time.sleep(2)
            seconds = measure(path, settings.landing, snapshot, customers, day)
            results[path].append(round(seconds, 2))
            log(f"run {run:2d} {path:5s} {seconds:5.1f} s")
    wait_until_idle(token)
    report = {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "orders_per_run": ORDERS_PER_RUN,
        "warmup_runs": args.warmup,
        "seconds": results,
        "summary": {path: summary(values) for path, values in results.items()},
    }
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"{datetime.now(UTC):%Y-%m-%d}-event-latency.json"
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"{'path':6s} {'p50':>6s} {'p95':>6s} {'min':>6s} {'max':>6s}")
    for path, stats in report["summary"].items():
        print(f"{path:6s} " + " ".join(f"{stats[k]:6.1f}" for k in ("p50", "p95", "min", "max")))
    print(f"written to {out}")


if __name__ == "__main__":
    main()
