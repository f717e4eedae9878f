"""Where the realistic day goes: the held-back day on copies of one full build, step by step
and model by model, a few times. This machine's speed drifts within minutes, so a change is
judged by the median and range of a few runs, not by one total.

python -m benchmarks.day_profile                 # 1M customers, 36 months, 3 runs
python -m benchmarks.day_profile --small --runs 5

The full build is kept in <data>/<size>/day_profile/ and made again when the models have
changed since (the day would then build in full, not incrementally). The first run in the
process also pays Great Expectations' import (about 2 s) in its validate step, as every
Airflow task does.
"""

from __future__ import annotations

import shutil
import statistics
from pathlib import Path

import duckdb

from benchmarks.__main__ import fresh_settings, log, sized_company, sized_parser
from benchmarks.company import deliver_last_day
from pipelines.config import Settings
from pipelines.run import run_steps

STEPS = ("ingest", "validate", "build")
WAREHOUSE = "warehouse.duckdb"


def warehouse_files(folder: Path) -> list[Path]:
    """The warehouse, its write-ahead log and lock, and the analysts' snapshot."""
    return sorted(folder.glob("warehouse.*"))


def copy_warehouse(source: Path, target: Path) -> None:
    """The warehouse files of `source` in place of those of `target`."""
    target.mkdir(parents=True, exist_ok=True)
    for path in warehouse_files(target):
        path.unlink()
    for path in warehouse_files(source):
        shutil.copy2(path, target / path.name)


def keep_full_build(root: Path, landing: Path, kept: Path) -> None:
    """A full run of the company without its last day, copied to `kept`."""
    run_steps(fresh_settings(root, landing), STEPS)
    copy_warehouse(root, kept)


def day_run(root: Path, landing: Path) -> tuple[dict[str, float], bool]:
    """The held-back day on the restored full build: seconds per step and per model (from
    audit.runs), and whether the build was incremental."""
    for path in landing.rglob("*_last_day.*"):
        path.unlink()
    settings = Settings(landing=landing, warehouse=root / WAREHOUSE, reports=root / "reports")
    delivered = deliver_last_day(root, landing)
    try:
        result = run_steps(settings, STEPS)
    finally:
        for path in delivered:
            path.unlink()
    con = duckdb.connect(str(settings.warehouse), read_only=True)
    try:
        rows = con.execute(
            "select step, seconds from audit.runs where run_id = ? and status = 'ok'",
            [result.run_id],
        ).fetchall()
    finally:
        con.close()
    seconds = dict(rows)
    seconds["models"] = sum(s for step, s in rows if step.startswith("model:"))
    return seconds, bool(result.build and result.build.plan.incremental)


def summary(runs: list[dict[str, float]]) -> list[tuple[str, float, float, float]]:
    """Each step's median, minimum and maximum over the runs, the slowest first."""
    names = sorted(set().union(*runs))
    rows = [
        (
            name,
            statistics.median(run.get(name, 0.0) for run in runs),
            min(run.get(name, 0.0) for run in runs),
            max(run.get(name, 0.0) for run in runs),
        )
        for name in names
    ]
    return sorted(rows, key=lambda row: (-row[1], row[0]))


def profile(root: Path, landing: Path, runs: int) -> list[dict[str, float]]:
    """`runs` incremental days, each on a fresh copy of the kept full build."""
    kept = root / "day_profile"
    done: list[dict[str, float]] = []
    fresh = False
    while len(done) < runs:
        if not (kept / WAREHOUSE).exists():
            log("full build of the company without its last day ...")
            keep_full_build(root, landing, kept)
            fresh = True
        copy_warehouse(kept, root)
        log(f"day {len(done) + 1} of {runs} ...")
        seconds, incremental = day_run(root, landing)
        if incremental:
            done.append(seconds)
            log(f"  build {seconds.get('build', 0.0):.2f} s")
        elif fresh:
            raise SystemExit("the day built in full right after a full build: see audit.runs")
        else:
            log("the kept full build is older than the models; building it again")
            shutil.rmtree(kept)
    return done


def main() -> None:
    parser = sized_parser("python -m benchmarks.day_profile", __doc__)
    parser.add_argument("--runs", type=int, default=3, help="days to run (default 3)")
    parser.add_argument("--top", type=int, default=30, help="rows to show (default 30)")
    args = parser.parse_args()
    _, root, landing = sized_company(args)
    runs = profile(root, landing, args.runs)
    print(
        f"\n{'step':<48}{'median':>8}{'min':>8}{'max':>8}   seconds, {len(runs)} run(s) of the day"
    )
    for name, median, low, high in summary(runs)[: args.top]:
        print(f"{name:<48}{median:>8.2f}{low:>8.2f}{high:>8.2f}")


if __name__ == "__main__":
    main()
