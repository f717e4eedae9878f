"""The delivery ledger (audit.alert_deliveries): which alert went to which destination."""

from __future__ import annotations

from datetime import datetime

import duckdb

from pipelines.alerts.messages import Alert
from pipelines.config import SQL_DIR
from pipelines.errors import LoyaltyError
from pipelines.warehouse import table_exists

PENDING_SQL = SQL_DIR / "alerts" / "pending.sql"


def pending_alerts(con: duckdb.DuckDBPyConnection, destination: str) -> list[Alert]:
    """The alerts of the report month and later that `destination` has not received."""
    if not table_exists(con, "marts", "alerts"):
        raise LoyaltyError("no marts.alerts yet: run `loyalty run` (or `loyalty build`) first")
    if not table_exists(con, "audit", "alert_deliveries"):
        raise LoyaltyError(
            "this warehouse has no delivery ledger yet (audit.alert_deliveries): run "
            "`loyalty build` once to add it"
        )
    rows = con.execute(PENDING_SQL.read_text(), {"destination": destination}).fetchall()
    return [Alert(*row) for row in rows]


def record_delivery(
    con: duckdb.DuckDBPyConnection, alerts: list[Alert], destination: str, at: datetime
) -> None:
    """Note that `destination` accepted `alerts`; a row already there stays as it was."""
    con.executemany(
        "insert into audit.alert_deliveries "
        "(alert_id, destination, month, rule, severity, delivered_at) "
        "values (?, ?, ?, ?, ?, ?) on conflict do nothing",
        [[a.alert_id, destination, a.month, a.rule, a.severity, at] for a in alerts],
    )
