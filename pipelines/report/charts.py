"""Charts as inline SVG, drawn with matplotlib in the Okabe-Ito colour-blind-safe palette.

matplotlib because it renders offline to self-contained SVG (no JavaScript, no CDN), its
vector output prints sharply and WeasyPrint embeds it in the PDF unchanged.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import date
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
from matplotlib.colors import LinearSegmentedColormap
from matplotlib.patches import Rectangle
from matplotlib.ticker import FuncFormatter

OKABE_ITO = {
    "blue": "#0072B2",
    "orange": "#E69F00",
    "green": "#009E73",
    "vermillion": "#D55E00",
    "sky": "#56B4E9",
    "purple": "#CC79A7",
    "grey": "#666666",
}
plt.rcParams.update(
    {
        "font.family": "DejaVu Sans",
        "font.size": 9,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.titlesize": 10,
        "axes.titleweight": "bold",
        "svg.fonttype": "none",
        "svg.hashsalt": "loyalty",
    }
)


def to_svg(figure: plt.Figure) -> str:
    """The figure as an <svg> element (no XML prologue), ready to inline into HTML."""
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(figure)
    text = buffer.getvalue()
    return text[text.index("<svg") :]


Percent = Callable[[float, int], str]


def percent_axis(axis: Any, percent: Percent, digits: int = 0) -> None:
    """Percentages on the y axis, written as the report's language writes them."""
    axis.yaxis.set_major_formatter(FuncFormatter(lambda v, _: percent(v, digits)))


def month_ticks(axis: Any, months: list[date], labels: Callable[[date], str]) -> None:
    """About eight month labels along the x axis."""
    shown = months[:: max(1, len(months) // 8)]
    axis.set_xticks(shown)
    axis.set_xticklabels([labels(m) for m in shown])


def retention_chart(
    months: list[date],
    retention: list[float | None],
    switching: list[float | None],
    title: str,
    names: tuple[str, str],
    labels: Callable[[date], str],
    percent: Percent,
) -> str:
    """Retention above switching, each on an axis fitted to its own range, so both show movement."""
    figure, (top, bottom) = plt.subplots(
        2, 1, figsize=(6.2, 3.2), sharex=True, gridspec_kw={"hspace": 0.15}
    )
    for axis, values, name, colour in (
        (top, retention, names[0], OKABE_ITO["blue"]),
        (bottom, switching, names[1], OKABE_ITO["orange"]),
    ):
        axis.plot(
            months,
            [float("nan") if v is None else v for v in values],
            color=colour,
            linewidth=2,
            marker="o",
            markersize=2.5,
        )
        axis.set_ylabel(name, fontsize=8)
        axis.margins(y=0.25)
        percent_axis(axis, percent, 1)
        axis.grid(axis="y", alpha=0.3)
    top.set_title(title, loc="left")
    month_ticks(bottom, months, labels)
    return to_svg(figure)


def rates_chart(
    months: list[date],
    series: dict[str, list[float | None]],
    title: str,
    labels: Callable[[date], str],
    ylabel: str,
    percent: Percent,
) -> str:
    """Monthly rates as lines, e.g. retention and switching."""
    figure, axis = plt.subplots(figsize=(6.2, 2.6))
    for (name, values), colour in zip(series.items(), OKABE_ITO.values(), strict=False):
        axis.plot(
            months,
            [float("nan") if v is None else v for v in values],
            label=name,
            color=colour,
            linewidth=2,
        )
    axis.set_title(title, loc="left")
    axis.set_ylabel(ylabel)
    percent_axis(axis, percent)
    month_ticks(axis, months, labels)
    axis.legend(frameon=False, loc="best")
    axis.grid(axis="y", alpha=0.3)
    return to_svg(figure)


def nps_chart(
    months: list[date],
    nps: list[float | None],
    moe: list[float | None],
    low: list[bool],
    title: str,
    labels: Callable[[date], str],
    ylabel: str,
    low_label: str,
) -> str:
    """NPS per month with its 95 % band; low-sample months drawn as hollow markers."""
    figure, axis = plt.subplots(figsize=(6.2, 2.6))
    points = [
        (m, n, e, lo) for m, n, e, lo in zip(months, nps, moe, low, strict=True) if n is not None
    ]
    if points:
        xs, ys, es, lows = zip(*points, strict=True)
        axis.fill_between(
            xs,
            [y - e for y, e in zip(ys, es, strict=True)],
            [y + e for y, e in zip(ys, es, strict=True)],
            color=OKABE_ITO["sky"],
            alpha=0.3,
            linewidth=0,
        )
        axis.plot(xs, ys, color=OKABE_ITO["blue"], linewidth=2, label="NPS")
        hollow = [(x, y) for x, y, lo in zip(xs, ys, lows, strict=True) if lo]
        if hollow:
            axis.scatter(
                *zip(*hollow, strict=True),
                facecolors="white",
                edgecolors=OKABE_ITO["vermillion"],
                zorder=3,
                label=low_label,
            )
        axis.legend(frameon=False, loc="best")
    axis.axhline(0, color=OKABE_ITO["grey"], linewidth=0.8)
    axis.set_title(title, loc="left")
    axis.set_ylabel(ylabel)
    month_ticks(axis, months, labels)
    axis.grid(axis="y", alpha=0.3)
    return to_svg(figure)


def cohort_heatmap(
    cohorts: list[date],
    offsets: list[int],
    values: dict[tuple[date, int], float],
    in_progress: set[tuple[date, int]],
    title: str,
    labels: Callable[[date], str],
    xlabel: str,
    ylabel: str,
) -> str:
    """Cohort x months-since-first retention, a sequential blue scale, values printed in cells.

    Cells of a month still in progress get a dashed frame: their share can still grow.
    """
    figure, axis = plt.subplots(figsize=(6.8, 0.32 * len(cohorts) + 1.2))
    grid = [[values.get((c, k), float("nan")) for k in offsets] for c in cohorts]
    scale = LinearSegmentedColormap.from_list("blues", ["#F2F7FB", OKABE_ITO["blue"]])
    axis.imshow(
        grid,
        cmap=scale,
        vmin=0,
        vmax=max(0.01, max((v for (_, k), v in values.items() if k > 0), default=1)),
        aspect="auto",
    )
    for row, cohort in enumerate(cohorts):
        for column, offset in enumerate(offsets):
            value = values.get((cohort, offset))
            if value is not None:
                text = f"{value * 100:.0f}"
                axis.text(
                    column,
                    row,
                    text,
                    ha="center",
                    va="center",
                    fontsize=7,
                    color="white" if value > 0.55 else "#1b1b1b",
                )
            if (cohort, offset) in in_progress:
                axis.add_patch(
                    Rectangle(
                        (column - 0.5, row - 0.5),
                        1,
                        1,
                        fill=False,
                        edgecolor=OKABE_ITO["vermillion"],
                        linestyle="--",
                        linewidth=1.2,
                        clip_on=False,
                    )
                )
    axis.set_xticks(range(len(offsets)), [str(k) for k in offsets])
    axis.set_yticks(range(len(cohorts)), [labels(c) for c in cohorts])
    axis.set_xlabel(xlabel)
    axis.set_ylabel(ylabel)
    axis.set_title(title, loc="left", fontsize=9)
    for spine in axis.spines.values():
        spine.set_visible(False)
    return to_svg(figure)


def tier_bars(
    tiers: list[str], values: list[float | None], title: str, ylabel: str, percent: Percent
) -> str:
    """One bar per satisfaction tier, e.g. the switching rate within 180 days."""
    figure, axis = plt.subplots(figsize=(4.2, 2.4))
    colours = [OKABE_ITO["vermillion"], OKABE_ITO["orange"], OKABE_ITO["sky"], OKABE_ITO["green"]]
    heights = [0 if v is None else v for v in values]
    axis.bar(tiers, heights, color=colours[: len(tiers)])
    for x, v in enumerate(values):
        if v is not None:
            axis.text(x, v, percent(v, 0), ha="center", va="bottom", fontsize=8)
    axis.set_title(title, loc="left")
    axis.set_ylabel(ylabel)
    percent_axis(axis, percent)
    axis.tick_params(axis="x", labelsize=8)
    return to_svg(figure)
