"""Read-only views of the warehouse for people: what is loaded, and the latest KPIs."""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from pipelines.config import SQL_DIR
from pipelines.errors import LoyaltyError
from pipelines.warehouse import table_exists

STATUS_TABLES = ("entities", "quarantined", "failures", "runs", "awaiting_reload")
QUARANTINED_SHOWN = ("file_name", "entity", "state", "reason", "loaded_at")
QUARANTINED_ROWS = 20


@dataclass(frozen=True)
class Table:
    """Rows with column names, ready to print."""

    columns: list[str]
    rows: list[tuple]

    def select(self, columns: tuple[str, ...], limit: int) -> Table:
        """The given columns of the first `limit` rows."""
        positions = [self.columns.index(c) for c in columns]
        return Table(list(columns), [tuple(r[i] for i in positions) for r in self.rows[:limit]])


def query(con: duckdb.DuckDBPyConnection, sql: str) -> Table:
    cursor = con.execute(sql)
    return Table([d[0] for d in cursor.description or []], cursor.fetchall())


def status_tables(con: duckdb.DuckDBPyConnection) -> dict[str, Table]:
    """Files per entity by final status, quarantined files, failures of the last 7 days, the last runs."""
    try:
        tables = {
            name: query(con, (SQL_DIR / "status" / f"{name}.sql").read_text())
            for name in STATUS_TABLES
        }
    except (duckdb.CatalogException, duckdb.BinderException) as exc:
        raise LoyaltyError(
            "the warehouse predates this version's audit tables: open it once for writing "
            "(e.g. `loyalty ingest`), which upgrades it"
        ) from exc
    tables["quarantined"] = tables["quarantined"].select(QUARANTINED_SHOWN, QUARANTINED_ROWS)
    return tables


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
