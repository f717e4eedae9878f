"""How cost grows: the benchmark at several sizes, each stage's growth fitted against its rows.

python -m benchmarks.scale                          # 100k, 300k and 1M customers, 36 months
python -m benchmarks.scale --sizes 20000,50000      # a quick try

For each stage the fit is seconds = c * rows^k on a log-log scale: k near 1 is linear
growth, k above LINEAR_LIMIT is flagged. Writes benchmarks/results/<date>-scale.json and a
chart <date>-scale.png.
"""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from benchmarks.__main__ import RESULTS, benchmark, log

DEFAULT_SIZES = (100_000, 300_000, 1_000_000)
MONTHS = 36
STAGES = ("ingest", "validate", "build", "report")
# Growth faster than this exponent is more than about linear.
LINEAR_LIMIT = 1.15
SECOND_TICKS = (0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000)


def growth_exponent(rows: list[float], seconds: list[float]) -> float:
    """k of seconds = c * rows^k, least squares on log-log."""
    slope, _ = np.polyfit(np.log(rows), np.log(seconds), 1)
    return float(slope)


def fits(series: list[dict]) -> dict[str, dict]:
    """Each stage's exponent and whether it grows faster than about linearly."""
    rows = [run["total_rows"] for run in series]
    result = {}
    for name in STAGES:
        exponent = growth_exponent(rows, [run["stages"][name]["seconds"] for run in series])
        result[name] = {"exponent": exponent, "faster_than_linear": exponent > LINEAR_LIMIT}
    return result


def chart(series: list[dict], growth: dict[str, dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter

    rows = [run["total_rows"] for run in series]
    figure, axis = plt.subplots(figsize=(6.4, 4.2), dpi=120)
    for name in STAGES:
        seconds = [run["stages"][name]["seconds"] for run in series]
        axis.plot(rows, seconds, marker="o", label=f"{name} (k = {growth[name]['exponent']:.2f})")
    axis.set_xscale("log")
    axis.set_yscale("log")
    plain = FuncFormatter(lambda value, _: f"{value:,.0f}" if value >= 1 else f"{value:g}")
    seconds = [run["stages"][name]["seconds"] for run in series for name in STAGES]
    axis.set_xticks(rows)
    axis.set_yticks([s for s in SECOND_TICKS if min(seconds) / 2 <= s <= max(seconds) * 2])
    for scaled in (axis.xaxis, axis.yaxis):
        scaled.set_major_formatter(plain)
        scaled.set_minor_formatter(FuncFormatter(lambda *_: ""))
    axis.set_xlabel("rows in the exports")
    axis.set_ylabel("seconds")
    axis.set_title("loyalty-pipeline: time per stage against rows (log-log)")
    axis.grid(True, which="both", alpha=0.3)
    axis.legend()
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.scale", description=__doc__)
    parser.add_argument(
        "--sizes",
        default=",".join(str(n) for n in DEFAULT_SIZES),
        help="customers per run, comma-separated",
    )
    parser.add_argument("--data", type=Path, default=Path("data/bench/scale"))
    args = parser.parse_args()
    series = []
    for customers in (int(text) for text in args.sizes.split(",")):
        log(f"=== {customers:,} customers")
        run = benchmark(args.data / str(customers), str(customers), customers, MONTHS, pandas=False)
        run["total_rows"] = sum(run["rows"].values())
        series.append(run)
    growth = fits(series)
    stamp = f"{datetime.now(UTC):%Y-%m-%d}-scale"
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{stamp}.json").write_text(
        json.dumps({"series": series, "growth": growth, "linear_limit": LINEAR_LIMIT}, indent=2)
        + "\n"
    )
    chart(series, growth, RESULTS / f"{stamp}.png")
    print(f"\n{'customers':>10}{'rows':>12}" + "".join(f"{name:>10}" for name in STAGES))
    for run in series:
        print(
            f"{run['customers']:>10,}{run['total_rows']:>12,}"
            + "".join(f"{run['stages'][name]['seconds']:>10.1f}" for name in STAGES)
        )
    print(f"{'exponent k':>22}" + "".join(f"{growth[n]['exponent']:>10.2f}" for n in STAGES))
    for name in (n for n in STAGES if growth[n]["faster_than_linear"]):
        print(f"{name} grows faster than linearly (k > {LINEAR_LIMIT})")
    print(f"\nresults: {RESULTS / stamp}.json and .png")


if __name__ == "__main__":
    main()
