"""The same runs on the DuckDB file and on DuckLake, side by side.

python -m benchmarks.backends                   # 1M customers, 36 months
python -m benchmarks.backends --small           # 20,000 customers, 24 months
python -m benchmarks.backends --customers 2000 --months 12

DuckLake's catalog is a fresh database in the PostgreSQL of LOYALTY_BENCH_POSTGRES
(default: host=127.0.0.1 user=postgres), its data a folder beside the file warehouse.
Each backend runs ingest, validate and build on the whole company (full run), then on a
new day's exports (incremental run); the result is written to benchmarks/results/.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

import psycopg
from psycopg import sql

from benchmarks.__main__ import RESULTS, SIZES, fresh_settings, log
from benchmarks.company import deliver_last_day, ensure_company
from benchmarks.memory import Measurement, measured
from pipelines.config import Settings
from pipelines.run import run_steps

STEPS = ("ingest", "validate", "build")
CATALOG = "loyalty_bench_lake"


def fresh_catalog(server: str) -> str:
    """An empty catalog database (the previous benchmark's dropped); its conninfo."""
    with psycopg.connect(f"{server} dbname=postgres", autocommit=True) as pg:
        pg.execute(
            sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(CATALOG))
        )
        pg.execute(sql.SQL("create database {}").format(sql.Identifier(CATALOG)))
    return f"{server} dbname={CATALOG}"


def timed_run(settings: Settings, label: str) -> Measurement:
    log(f"{label} ...")
    with measured() as measurement:
        run_steps(settings, STEPS)
    log(f"  {measurement.seconds:.1f} s, peak {measurement.peak_mb:.0f} MB")
    return measurement


def folder_mb(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.backends", description=__doc__)
    parser.add_argument("--small", action="store_true", help="20,000 customers over 24 months")
    parser.add_argument("--customers", type=int, help="a size of your own (with --months)")
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--data", type=Path, default=Path("data/bench"))
    args = parser.parse_args()
    size = "small" if args.small else "default"
    customers, months = SIZES[size]
    if args.customers:
        size, customers, months = f"{args.customers}x{args.months}", args.customers, args.months
    root = args.data / size
    landing = ensure_company(root, customers, months)
    on_file = fresh_settings(root / "backends", landing)
    shutil.rmtree(on_file.warehouse.parent, ignore_errors=True)
    server = os.environ.get("LOYALTY_BENCH_POSTGRES", "host=127.0.0.1 user=postgres")
    on_lake = on_file.with_overrides(
        warehouse_backend="ducklake",
        ducklake_catalog=fresh_catalog(server),
        ducklake_data_path=str((root / "backends" / "lake").resolve()),
    )

    full = {
        "file": timed_run(on_file, "file: full run"),
        "ducklake": timed_run(on_lake, "ducklake: full run"),
    }
    new_files = deliver_last_day(root, landing)
    incremental = {
        "file": timed_run(on_file, "file: incremental run"),
        "ducklake": timed_run(on_lake, "ducklake: incremental run"),
    }
    for path in new_files:
        path.unlink()

    result = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "size": size,
        "customers": customers,
        "months": months,
        "full": {k: asdict(v) for k, v in full.items()},
        "incremental": {k: asdict(v) for k, v in incremental.items()},
        "storage_mb": {
            "file": os.path.getsize(on_file.warehouse) / 1e6,
            "ducklake": folder_mb(Path(on_lake.ducklake_data_path)),
        },
        "ratios_ducklake_over_file": {
            "full": full["ducklake"].seconds / full["file"].seconds,
            "incremental": incremental["ducklake"].seconds / incremental["file"].seconds,
        },
    }
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{datetime.now(UTC):%Y-%m-%d}-backends-{size}.json"
    path.write_text(json.dumps(result, indent=2) + "\n")
    print(f"\n{'run':<14}{'file s':>10}{'DuckLake s':>12}{'ratio':>8}")
    for run, measured_runs in (("full", full), ("incremental", incremental)):
        file_s, lake_s = measured_runs["file"].seconds, measured_runs["ducklake"].seconds
        print(f"{run:<14}{file_s:>10.1f}{lake_s:>12.1f}{lake_s / file_s:>8.2f}")
    storage = result["storage_mb"]
    print(f"{'storage MB':<14}{storage['file']:>10.1f}{storage['ducklake']:>12.1f}")
    print(f"\nresults: {path}")


if __name__ == "__main__":
    main()
