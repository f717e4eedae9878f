"""Many small deliveries in a row: does the warehouse file level off?

The held-back day is cut into `--runs` slices by the time of each row, and each slice is one
run (ingest, validate, build) on a copy of the kept full build, as exports arriving every
few minutes would be. After each run: its seconds, the file's size and DuckDB's free
blocks ("Row groups" in docs/incremental.md). Writes
benchmarks/results/<date>-soak-<size>.json and a chart .png.

python -m benchmarks.soak                    # 1M customers, 200 runs (about an hour)
python -m benchmarks.soak --small --runs 50
"""

from __future__ import annotations

import csv
import io
import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

from benchmarks.__main__ import RESULTS, log, sized_company, sized_parser
from benchmarks.company import DAILY, day_folder, deliver_files
from benchmarks.day_profile import STEPS, WAREHOUSE, copy_warehouse, keep_full_build
from pipelines.config import Settings
from pipelines.run import run_steps
from pipelines.warehouse import open_reader

SECONDS_A_DAY = 86_400
MB = 1024 * 1024
# A slice keeps the held-back file's _last_day before its suffix, so that a slice left in the
# landing zone by an interrupted soak is removed before the next full build, as the day is.
LAST_DAY = "_last_day."


def slice_of(value: object, day: datetime, slices: int) -> int:
    """The slice (0 .. slices - 1) of a row by its time in the day; late or unreadable: last."""
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return slices - 1
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    offset = (moment - day).total_seconds()
    return min(slices - 1, max(0, int(offset * slices // SECONDS_A_DAY)))


def csv_slices(held: Path, column: str, day: datetime, slices: int) -> dict[int, list[str]]:
    """Each slice's lines of a CSV export, its header first."""
    with held.open(encoding="utf-8", newline="") as source:
        rows = list(csv.reader(source))
    header, position = rows[0], rows[0].index(column)
    parts: dict[int, list[list[str]]] = {}
    for row in rows[1:]:
        parts.setdefault(slice_of(row[position], day, slices), [header]).append(row)
    out = {}
    for number, part in parts.items():
        text = io.StringIO()
        csv.writer(text, lineterminator="\n").writerows(part)
        out[number] = text.getvalue().splitlines(keepends=True)
    return out


def ndjson_slices(held: Path, column: str, day: datetime, slices: int) -> dict[int, list[str]]:
    """Each slice's lines of an NDJSON export, unchanged."""
    parts: dict[int, list[str]] = {}
    for line in held.read_text(encoding="utf-8").splitlines(keepends=True):
        number = slice_of(json.loads(line).get(column), day, slices)
        parts.setdefault(number, []).append(line)
    return parts


def cut_day(root: Path, slices: int) -> Path:
    """The held-back day as `slices` deliveries, <root>/soak_<slices>/<nnn>/<system>/<entity>."""
    target = root / f"soak_{slices}"
    marker = target / "complete"
    if marker.exists():
        return target
    shutil.rmtree(target, ignore_errors=True)
    day = datetime.fromisoformat((root / "last_day.complete").read_text().strip())
    day = day.replace(tzinfo=UTC)
    for folder, column in DAILY.items():
        held = next((day_folder(root) / folder).glob("*_last_day.*"))
        split = ndjson_slices if held.suffix == ".ndjson" else csv_slices
        for number, lines in split(held, column, day, slices).items():
            name = held.name.replace(LAST_DAY, f"_{number:03d}{LAST_DAY}")
            out = target / f"{number:03d}" / folder / name
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text("".join(lines), encoding="utf-8")
    marker.write_text(f"{day:%Y-%m-%d} {slices}\n")
    return target


def file_state(warehouse: Path) -> dict[str, float]:
    """The warehouse file's size and DuckDB's count of its used and free blocks."""
    with open_reader(warehouse) as con:
        size = con.execute(
            "select block_size, used_blocks, free_blocks from pragma_database_size() "
            "where database_name = current_database()"
        ).fetchone()
    block_size, used, free = size  # type: ignore[misc]
    return {
        "file_mb": round(warehouse.stat().st_size / MB, 1),
        "used_blocks": used,
        "free_blocks": free,
        "free_mb": round(free * block_size / MB, 1),
    }


def soak_run(settings: Settings, delivery: Path) -> dict:
    """One slice through ingest, validate and build; what it cost and what it left."""
    delivered = deliver_files(delivery, settings.landing)
    try:
        result = run_steps(settings, STEPS)
    finally:
        for path in delivered:
            path.unlink()
    return {
        "run_id": result.run_id,
        "incremental": bool(result.build and result.build.plan.incremental),
        "rows": result.ingest.rows_loaded if result.ingest else 0,
        "seconds": {step: round(result.seconds.get(step, 0.0), 2) for step in STEPS},
        **file_state(settings.warehouse),
    }


def soak(root: Path, landing: Path, runs: int) -> list[dict]:
    """`runs` deliveries in a row on a fresh copy of the kept full build."""
    kept = root / "day_profile"
    if not (kept / WAREHOUSE).exists():
        log("full build of the company without its last day ...")
        keep_full_build(root, landing, kept)
    slices = cut_day(root, runs)
    copy_warehouse(kept, root)
    for path in landing.rglob("*_last_day.*"):
        path.unlink()
    settings = Settings(landing=landing, warehouse=root / WAREHOUSE, reports=root / "reports")
    series = [{"run_id": None, **file_state(settings.warehouse)}]
    log(f"kept full build: {series[0]['file_mb']:,.0f} MB, {series[0]['free_blocks']} free blocks")
    for number in range(runs):
        run = soak_run(settings, slices / f"{number:03d}")
        series.append(run)
        total = sum(run["seconds"].values())
        log(
            f"run {run['run_id']:>4} ({number + 1}/{runs}): {run['rows']:>5} rows, {total:5.1f} s, "
            f"{run['file_mb']:,.0f} MB, {run['free_blocks']} free blocks"
            + ("" if run["incremental"] else ", FULL build")
        )
    return series


def chart(series: list[dict], title: str, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    runs = list(range(len(series)))
    figure, size_axis = plt.subplots(figsize=(7.2, 4.2), dpi=120)
    size_axis.plot(runs, [run["file_mb"] for run in series], label="file (MB)")
    size_axis.plot(runs, [run["free_mb"] for run in series], label="of which free (MB)")
    size_axis.set_ylim(bottom=0)
    size_axis.set_xlabel("deliveries after the full build")
    size_axis.set_ylabel("MB")
    size_axis.set_title(title)
    size_axis.grid(True, alpha=0.3)
    size_axis.legend(loc="center right")
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)


def main() -> None:
    parser = sized_parser("python -m benchmarks.soak", __doc__)
    parser.add_argument("--runs", type=int, default=200, help="deliveries (default 200)")
    args = parser.parse_args()
    size, root, landing = sized_company(args)
    series = soak(root, landing, args.runs)
    stamp = f"{datetime.now(UTC):%Y-%m-%d}-soak-{size}"
    RESULTS.mkdir(exist_ok=True)
    result = {
        "size": size,
        "runs": args.runs,
        "series": series,
    }
    (RESULTS / f"{stamp}.json").write_text(json.dumps(result, indent=2) + "\n")
    title = f"warehouse file over {args.runs} deliveries ({size} company)"
    chart(series, title, RESULTS / f"{stamp}.png")
    seconds = sorted(sum(run["seconds"].values()) for run in series[1:])
    print(
        f"\n{args.runs} runs: median {seconds[len(seconds) // 2]:.1f} s a run; file "
        f"{series[0]['file_mb']:,.0f} MB before, {max(r['file_mb'] for r in series):,.0f} MB "
        f"at most, {series[-1]['file_mb']:,.0f} MB after"
    )
    print(f"results: {RESULTS / stamp}.json and .png")


if __name__ == "__main__":
    main()
