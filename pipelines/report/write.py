"""Write the report files: HTML (and PDF) per language into data/reports/YYYY-MM/."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import duckdb

from pipelines.config import Settings
from pipelines.errors import LoyaltyError
from pipelines.report.data import load_report_data, report_month
from pipelines.report.render import month_folder, render_html, write_pdf
from pipelines.warehouse import is_lake, table_exists
from pipelines.warehouse_ducklake import current_snapshot

LANGUAGES = ("en", "de")
FORMATS = ("html", "pdf")


def write_reports(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    month: date | None = None,
    languages: tuple[str, ...] = LANGUAGES,
    formats: tuple[str, ...] = FORMATS,
    out: Path | None = None,
) -> list[Path]:
    """Render the report of `month` (default: the latest complete month) in each language and format."""
    if not table_exists(con, "marts", "kpi_monthly"):
        raise LoyaltyError("no marts yet: run `loyalty run` (or `loyalty build`) before the report")
    chosen = report_month(con, month)
    if chosen is None and month is not None:
        raise LoyaltyError(
            f"marts.kpi_monthly has no row for {month:%Y-%m}; pick a month with data (--month YYYY-MM)"
        )
    if chosen is None:
        raise LoyaltyError(
            "marts.kpi_monthly has no complete month yet, so there is no report to write: no "
            "purchase was loaded, or the data ends before a month's last day (`loyalty status` "
            "shows rejected rows and quarantined files)"
        )
    data = load_report_data(con, chosen)
    written = []
    for lang in languages:
        html = render_html(data, lang)
        for fmt in formats:
            path = out if out and len(languages) == 1 and len(formats) == 1 else None
            path = (
                path
                or month_folder(settings.reports, chosen)
                / f"loyalty-report-{chosen:%Y-%m}-{lang}.{fmt}"
            )
            path.parent.mkdir(parents=True, exist_ok=True)
            if fmt == "html":
                path.write_text(html, encoding="utf-8")
            else:
                write_pdf(html, path)
            written.append(path)
    if is_lake(con):
        record_snapshot(
            con, month_folder(settings.reports, chosen) / f"loyalty-report-{chosen:%Y-%m}"
        )
    return written


def record_snapshot(con: duckdb.DuckDBPyConnection, stem: Path) -> Path:
    """Beside the report: the DuckLake snapshot it read, so its numbers can be read again."""
    snapshot = current_snapshot(con)
    path = stem.with_name(stem.name + ".snapshot.json")
    path.write_text(
        json.dumps(
            {"ducklake_snapshot": snapshot, "read_it_again": f"loyalty sql --at {snapshot} ..."},
            indent=2,
        )
        + "\n"
    )
    return path
