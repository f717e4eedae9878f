"""Benchmark the whole pipeline against the DuckDB floor and a pandas notebook.

python -m benchmarks            # 1M customers (about 10M orders), 36 months
python -m benchmarks --small    # 20,000 customers, 24 months: a quick run
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pandas as pd

from benchmarks.floor import load_floor
from benchmarks.memory import Measurement, measured
from benchmarks.pandas_alternative import headline_metrics
from benchmarks.purchase_model import purchase_model_stage
from pipelines.config import Settings
from pipelines.generate import GenerateOptions, generate
from pipelines.ingest.entities import FLAG_NAME
from pipelines.run import run_steps

SIZES = {"default": (1_000_000, 36), "small": (20_000, 24)}
RESULTS = Path(__file__).parent / "results"
TOLERANCE = 1e-9


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def ensure_company(root: Path, customers: int, months: int) -> Path:
    """Generate the company's exports unless a complete set is already there."""
    landing, marker = root / "landing", root / "landing.complete"
    if not marker.exists():
        shutil.rmtree(landing, ignore_errors=True)
        log(f"generating {customers:,} customers x {months} months into {landing} ...")
        generate(GenerateOptions(landing, customers, months, seed=7, flags=False))
        marker.write_text(f"{customers} {months}\n")
    return landing


def stage(settings: Settings, name: str) -> Measurement:
    log(f"stage {name} ...")
    with measured() as measurement:
        run_steps(settings, (name,))
    log(f"  {measurement.seconds:.1f} s, peak {measurement.peak_mb:.0f} MB")
    return measurement


def mart(con: duckdb.DuckDBPyConnection, sql: str) -> pd.DataFrame:
    return con.execute(sql).df()


def compare(settings: Settings, theirs: dict[str, pd.DataFrame]) -> dict[str, int]:
    """Assert that pandas and the marts agree on every number; return how many were compared."""
    con = duckdb.connect(str(settings.warehouse), read_only=True)
    ours_monthly = mart(
        con, "select month, active_customers_start, switching_rate from marts.kpi_monthly"
    )
    ours_cohorts = mart(
        con,
        "select cohort_month, months_since_first as k, retention_rate from marts.cohort_retention where retained_customers > 0",
    )
    ours_nps = mart(con, "select month, nps from marts.kpi_monthly where nps is not null")
    con.close()
    checks = {
        "monthly": (
            ours_monthly,
            theirs["monthly"],
            ["month"],
            ["active_customers_start", "switching_rate"],
        ),
        "cohorts": (ours_cohorts, theirs["cohorts"], ["cohort_month", "k"], ["retention_rate"]),
        "nps": (ours_nps, theirs["nps"], ["month"], ["nps"]),
    }
    counts = {}
    for name, (ours, pandas, keys, values) in checks.items():
        ours = ours.assign(**{k: ours[k].astype(str) for k in keys})
        pandas = pandas.assign(**{k: pandas[k].astype(str) for k in keys})
        merged = ours.merge(
            pandas, on=keys, how="outer", suffixes=("_ours", "_pandas"), indicator=True
        )
        missing = merged[merged["_merge"] != "both"]
        assert missing.empty, f"{name}: rows only on one side:\n{missing.head()}"
        for value in values:
            a, b = merged[f"{value}_ours"].astype(float), merged[f"{value}_pandas"].astype(float)
            differs = ~(((a - b).abs() <= TOLERANCE) | (a.isna() & b.isna()))
            assert not differs.any(), f"{name}.{value} differs:\n{merged[differs].head()}"
        counts[name] = len(merged) * len(values)
    return counts


def new_day(settings: Settings, share: float) -> list[Path]:
    """A new day's exports after as_of: about `share` more orders, events and responses."""
    con = duckdb.connect(str(settings.warehouse), read_only=True)
    as_of = con.execute("select as_of from marts.build_info").fetchone()[0]  # type: ignore[index]
    day = (as_of + pd.Timedelta(days=1)).strftime("%Y-%m-%d")
    con.execute("set TimeZone = 'UTC'")
    written = []
    for folder, table, key, timestamp, suffix in (
        ("shop/orders", "orders", "order_id", "ordered_at", "csv"),
        ("crm/events", "events", "event_id", "occurred_at", "csv"),
        ("survey/responses", "responses", "response_id", "responded_at", "ndjson"),
    ):
        path = settings.landing / folder / f"{table}_{day}_incremental.{suffix}"
        fmt = "(format json)" if suffix == "ndjson" else "(header)"
        con.execute(
            f"""
            copy (
                select * exclude (_file_id, _record, _extra)
                    replace ('N' || {key} as {key}, timestamptz '{day}' + (random() * interval 86399 second) as {timestamp})
                from raw.{table} using sample {share * 100} percent (bernoulli, 7)
            ) to '{path}' {fmt}
            """
        )
        (path.parent / FLAG_NAME).touch()
        written.append(path)
    con.close()
    return written


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--small", action="store_true", help="20,000 customers over 24 months")
    parser.add_argument(
        "--data",
        type=Path,
        default=Path("data/bench"),
        help="where generated data and warehouses live",
    )
    args = parser.parse_args()
    size = "small" if args.small else "default"
    customers, months = SIZES[size]
    root = args.data / size
    landing = ensure_company(root, customers, months)
    settings = Settings(
        landing=landing, warehouse=root / "warehouse.duckdb", reports=root / "reports"
    )
    for path in landing.rglob("*_incremental.*"):
        path.unlink()
    for suffix in ("", ".wal", ".lock"):
        Path(str(settings.warehouse) + suffix).unlink(missing_ok=True)

    stages = {name: stage(settings, name) for name in ("ingest", "validate", "build", "report")}
    log("purchase model: fit, predictions, customer_health (also part of build) ...")
    health = purchase_model_stage(settings)
    log(f"  {health.seconds:.1f} s, peak {health.peak_mb:.0f} MB")
    con = duckdb.connect(str(settings.warehouse), read_only=True)
    rows = dict(
        con.execute("select entity, sum(rows_loaded) from audit.files group by entity").fetchall()
    )
    as_of, days = con.execute("select as_of, inactivity_days from marts.build_info").fetchone()  # type: ignore[misc]
    con.close()

    log("floor: DuckDB read_csv / read_json into plain tables ...")
    with measured() as floor:
        floor_rows = load_floor(landing, root / "floor.duckdb")
    log(f"  {floor.seconds:.1f} s, {floor_rows:,} rows")

    log("the usual alternative: pandas ...")
    with measured() as pandas_time:
        theirs = headline_metrics(landing, pd.Timestamp(as_of).tz_convert("UTC"), int(days))
    log(f"  {pandas_time.seconds:.1f} s")
    compared = compare(settings, theirs)
    log(f"  pandas and the marts agree on {sum(compared.values()):,} numbers")

    log("incremental: a new day's exports ...")
    new_files = new_day(settings, 0.01)
    incremental = {name: stage(settings, name) for name in ("ingest", "validate", "build")}
    for path in new_files:
        path.unlink()

    total_rows = sum(int(v) for v in rows.values())
    full_run = sum(m.seconds for m in stages.values())
    incremental_seconds = sum(m.seconds for m in incremental.values())
    ours_metrics = stages["ingest"].seconds + stages["validate"].seconds + stages["build"].seconds
    result = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "size": size,
        "customers": customers,
        "months": months,
        "rows": {k: int(v) for k, v in rows.items()},
        "stages": {k: asdict(v) for k, v in stages.items()},
        "rows_per_second": {
            "ingest": total_rows / stages["ingest"].seconds,
            "validate": total_rows / stages["validate"].seconds,
        },
        "floor": {**asdict(floor), "rows": floor_rows},
        "pandas": {**asdict(pandas_time), "numbers_compared": compared},
        "incremental": {k: asdict(v) for k, v in incremental.items()},
        "ratios": {
            "ingest_over_floor": stages["ingest"].seconds / floor.seconds,
            "validate_over_ingest": stages["validate"].seconds / stages["ingest"].seconds,
            "pandas_over_build": pandas_time.seconds / stages["build"].seconds,
            "pandas_over_ingest_validate_build": pandas_time.seconds / ours_metrics,
            "incremental_over_full_run": incremental_seconds / full_run,
        },
        "purchase_model": asdict(health),
        "peak_mb_any_stage": max(m.peak_mb for m in [*stages.values(), *incremental.values()]),
    }
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{datetime.now(UTC):%Y-%m-%d}-{size}.json"
    path.write_text(json.dumps(result, indent=2) + "\n")
    print_table(result)
    print(f"\nresults: {path}")


def print_table(result: dict) -> None:
    print(f"\n{'stage':<22}{'seconds':>10}{'peak MB':>10}")
    for name, m in result["stages"].items():
        print(f"{name:<22}{m['seconds']:>10.1f}{m['peak_mb']:>10.0f}")
    print(
        f"{'floor (read_csv)':<22}{result['floor']['seconds']:>10.1f}{result['floor']['peak_mb']:>10.0f}"
    )
    print(
        f"{'pandas alternative':<22}{result['pandas']['seconds']:>10.1f}{result['pandas']['peak_mb']:>10.0f}"
    )
    health = result["purchase_model"]
    print(f"{'purchase model':<22}{health['seconds']:>10.1f}{health['peak_mb']:>10.0f}")
    for name, m in result["incremental"].items():
        print(f"{'incremental ' + name:<22}{m['seconds']:>10.1f}{m['peak_mb']:>10.0f}")
    print()
    for name, value in result["ratios"].items():
        print(f"{name:<36}{value:>8.2f}")
    print(f"{'ingest rows/s':<36}{result['rows_per_second']['ingest']:>8.0f}")


if __name__ == "__main__":
    main()
