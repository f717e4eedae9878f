"""Validation results as one self-contained HTML page (our offline stand-in for GX Data Docs).

GX's stock Data Docs load their CSS and JavaScript from CDNs, which air-gapped servers
cannot reach; this page carries its own CSS and needs no script.
"""

from __future__ import annotations

import html
from pathlib import Path

import duckdb

from pipelines.config import SQL_DIR

STYLE = """
body{font:14px/1.4 system-ui,sans-serif;margin:2rem;color:#1b1b1b}
table{border-collapse:collapse;width:100%}th,td{border-bottom:1px solid #ddd;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#f3f3f3}.fail-critical{background:#fde2e1}.fail-warning{background:#fff4d6}.ok{color:#2a6f2a}
"""


def result_rows(con: duckdb.DuckDBPyConnection) -> tuple[list[str], list[tuple]]:
    cursor = con.execute((SQL_DIR / "status" / "validation_results.sql").read_text())
    return [d[0] for d in cursor.description or []], cursor.fetchall()


def render_page(columns: list[str], rows: list[tuple]) -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
    body = []
    for row in rows:
        record = dict(zip(columns, row, strict=True))
        css = "ok" if record["success"] else f"fail-{record['severity']}"
        cells = "".join(f"<td>{html.escape('' if v is None else str(v))}</td>" for v in row)
        body.append(f'<tr class="{css}">{cells}</tr>')
    return (
        "<!doctype html><html lang=en><meta charset=utf-8><title>Validation results</title>"
        f"<style>{STYLE}</style><h1>Validation results</h1>"
        "<p>Latest result of every expectation per file. Red: critical failure (the file was "
        "quarantined). Yellow: warning (the file was loaded).</p>"
        f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table></html>"
    )


def write_validation_page(con: duckdb.DuckDBPyConnection, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_page(*result_rows(con)), encoding="utf-8")
    return path
