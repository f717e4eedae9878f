"""Read-only views of the warehouse for people: what is loaded, and the latest KPIs."""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from pipelines.config import SQL_DIR
from pipelines.warehouse import table_exists


@dataclass(frozen=True)
class Table:
    """Rows with column names, ready to print."""

    columns: list[str]
    rows: list[tuple]


def query(con: duckdb.DuckDBPyConnection, sql: str) -> Table:
    cursor = con.execute(sql)
    return Table([d[0] for d in cursor.description or []], cursor.fetchall())


def status_tables(con: duckdb.DuckDBPyConnection) -> dict[str, Table]:
    """Files and rows per entity, quarantined files, and the last runs."""
    return {
        name: query(con, (SQL_DIR / "status" / f"{name}.sql").read_text())
        for name in ("entities", "quarantined", "runs", "awaiting_reload")
    }


def latest_kpis(con: duckdb.DuckDBPyConnection) -> dict[str, object] | None:
    """The latest complete month of marts.kpi_monthly, or None before the first build."""
    if not table_exists(con, "marts", "kpi_monthly"):
        return None
    cursor = con.execute(
        "select * from marts.kpi_monthly where is_complete order by month desc limit 1"
    )
    row = cursor.fetchone()
    if row is None:
        return None
    return dict(zip([d[0] for d in cursor.description or []], row, strict=True))
