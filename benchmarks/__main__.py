"""Benchmark the whole pipeline against the DuckDB floor and a pandas notebook.

python -m benchmarks            # 1M customers (about 10M orders), 36 months
python -m benchmarks --small    # 20,000 customers, 24 months: a quick run
"""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pandas as pd

from benchmarks.company import deliver_last_day, ensure_company, log, rows_of_day
from benchmarks.floor import load_floor
from benchmarks.memory import Measurement, measured
from benchmarks.pandas_alternative import headline_metrics, load
from benchmarks.purchase_model import purchase_model_stage
from benchmarks.same_metrics import same_metrics_build
from pipelines.config import Settings
from pipelines.run import run_steps

SIZES = {"default": (1_000_000, 36), "small": (20_000, 24)}
RESULTS = Path(__file__).parent / "results"
TOLERANCE = 1e-9


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


def sized_parser(prog: str, description: str | None) -> argparse.ArgumentParser:
    """The options of a benchmark on the generated company: --small and --data."""
    parser = argparse.ArgumentParser(
        prog=prog,
        description=description,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--small", action="store_true", help="20,000 customers over 24 months")
    parser.add_argument(
        "--data",
        type=Path,
        default=Path("data/bench"),
        help="where generated data and warehouses live",
    )
    return parser


def sized_company(args: argparse.Namespace) -> tuple[str, Path, Path]:
    """The size the options choose, its folder, and its company's landing zone (made if need be)."""
    size = "small" if args.small else "default"
    root = args.data / size
    return size, root, ensure_company(root, *SIZES[size])


def main() -> None:
    args = sized_parser("python -m benchmarks", __doc__).parse_args()
    size = "small" if args.small else "default"
    customers, months = SIZES[size]
    result = benchmark(args.data / size, size, customers, months)
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{datetime.now(UTC):%Y-%m-%d}-{size}.json"
    path.write_text(json.dumps(result, indent=2) + "\n")
    print_table(result)
    print(f"\nresults: {path}")


def fresh_settings(root: Path, landing: Path) -> Settings:
    """Settings on a new warehouse, the landing zone without a delivered last day."""
    settings = Settings(
        landing=landing, warehouse=root / "warehouse.duckdb", reports=root / "reports"
    )
    for path in [*landing.rglob("*_incremental.*"), *landing.rglob("*_last_day.*")]:
        path.unlink()
    for suffix in ("", ".wal", ".lock"):
        Path(str(settings.warehouse) + suffix).unlink(missing_ok=True)
    return settings


def benchmark(root: Path, size: str, customers: int, months: int, pandas: bool = True) -> dict:
    """Every stage of a full run, the floor, the notebook, and the held-back day incrementally."""
    landing = ensure_company(root, customers, months)
    settings = fresh_settings(root, landing)
    # The floor just before the ingest: the machine's speed drifts, and the ratio of the two
    # is fairest when they run back to back.
    log("floor: DuckDB read_csv / read_json into plain tables ...")
    with measured() as floor:
        floor_rows = load_floor(landing, root / "floor.duckdb")
    log(f"  {floor.seconds:.1f} s, {floor_rows:,} rows")
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

    notebook = (
        notebook_figures(settings, pd.Timestamp(as_of).tz_convert("UTC"), int(days))
        if pandas
        else {}
    )

    log("incremental: the company's last day, delivered ...")
    delivered = deliver_last_day(root, landing)
    incremental = {name: stage(settings, name) for name in ("ingest", "validate", "build")}
    for path in delivered:
        path.unlink()

    total_rows = sum(int(v) for v in rows.values())
    full_run = sum(m.seconds for m in stages.values())
    incremental_seconds = sum(m.seconds for m in incremental.values())
    ours_metrics = stages["ingest"].seconds + stages["validate"].seconds + stages["build"].seconds
    ratios = {
        "ingest_over_floor": stages["ingest"].seconds / floor.seconds,
        "validate_over_ingest": stages["validate"].seconds / stages["ingest"].seconds,
        "incremental_over_full_run": incremental_seconds / full_run,
    }
    if notebook:
        ratios |= {
            "pandas_over_build": notebook["pandas"]["seconds"] / stages["build"].seconds,
            "pandas_compute_over_same_metrics_build": notebook["pandas"]["compute"]["seconds"]
            / notebook["same_metrics_build"]["seconds"],
            "pandas_over_same_metrics_build": notebook["pandas"]["seconds"]
            / notebook["same_metrics_build"]["seconds"],
            "pandas_over_ingest_validate_build": notebook["pandas"]["seconds"] / ours_metrics,
        }
    return {
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
        **notebook,
        "incremental": {
            "what": "the orders, returns, events and responses of the company's last calendar "
            "day, held back from the full run and delivered afterwards",
            "rows": rows_of_day(root),
            **{k: asdict(v) for k, v in incremental.items()},
        },
        "ratios": ratios,
        "purchase_model": asdict(health),
        "peak_mb_any_stage": max(m.peak_mb for m in [*stages.values(), *incremental.values()]),
    }


def notebook_figures(settings: Settings, as_of: pd.Timestamp, days: int) -> dict:
    """Our build of the metrics the pandas notebook computes, then the notebook (reading, then
    computing): in that order, our build's peak memory does not include the notebook's frames."""
    log("our build of exactly the metrics the notebook computes ...")
    ours, models = same_metrics_build(settings)
    log(f"  {ours.seconds:.1f} s ({len(models)} models)")
    log("the usual alternative: pandas reads the files ...")
    with measured() as reading:
        data = load(settings.landing, as_of)
    log(f"  {reading.seconds:.1f} s; computing ...")
    with measured() as computing:
        theirs = headline_metrics(data, as_of, days)
    log(f"  {computing.seconds:.1f} s")
    compared = compare(settings, theirs)
    log(f"  pandas and the marts agree on {sum(compared.values()):,} numbers")
    return {
        "pandas": {
            "seconds": reading.seconds + computing.seconds,
            "peak_mb": max(reading.peak_mb, computing.peak_mb),
            "read": asdict(reading),
            "compute": asdict(computing),
            "numbers_compared": compared,
            "computes": "monthly active customers at the month's start and switching rate, "
            "cohort retention, monthly NPS",
        },
        "same_metrics_build": {**asdict(ours), "models": models},
    }


def print_table(result: dict) -> None:
    print(f"\n{'stage':<22}{'seconds':>10}{'peak MB':>10}")
    for name, m in result["stages"].items():
        print(f"{name:<22}{m['seconds']:>10.1f}{m['peak_mb']:>10.0f}")
    print(
        f"{'floor (read_csv)':<22}{result['floor']['seconds']:>10.1f}{result['floor']['peak_mb']:>10.0f}"
    )
    if "pandas" in result:
        for name, m in (
            ("pandas read", result["pandas"]["read"]),
            ("pandas compute", result["pandas"]["compute"]),
            ("build, same metrics", result["same_metrics_build"]),
        ):
            print(f"{name:<22}{m['seconds']:>10.1f}{m['peak_mb']:>10.0f}")
    health = result["purchase_model"]
    print(f"{'purchase model':<22}{health['seconds']:>10.1f}{health['peak_mb']:>10.0f}")
    for name, m in result["incremental"].items():
        if not isinstance(m, dict):
            continue
        print(f"{'incremental ' + name:<22}{m['seconds']:>10.1f}{m['peak_mb']:>10.0f}")
    print()
    for name, value in result["ratios"].items():
        print(f"{name:<36}{value:>8.2f}")
    print(f"{'ingest rows/s':<36}{result['rows_per_second']['ingest']:>8.0f}")


if __name__ == "__main__":
    main()
