"""Action lists a CRM imports: customers at risk and detractors waiting for a call-back.

The lists carry customer ids and coded fields, never contact data or free text
(sql/actions/). The metrics DAG writes both after every build to data/exports/actions/.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import duckdb
import pandas as pd

from pipelines.config import SQL_DIR, Settings
from pipelines.errors import LoyaltyError
from pipelines.warehouse import open_snapshot, warehouse_of

LISTS = {"at-risk": "at_risk.sql", "detractors": "detractors.sql"}
Format = Literal["csv", "json"]


def action_list(
    con: duckdb.DuckDBPyConnection, kind: str, limit: int | None = None
) -> pd.DataFrame:
    if kind not in LISTS:
        raise LoyaltyError(f"unknown action list {kind!r}: choose {' or '.join(LISTS)}")
    rows = con.execute((SQL_DIR / "actions" / LISTS[kind]).read_text()).df()
    return rows if limit is None else rows.head(limit)


def render(rows: pd.DataFrame, fmt: Format) -> str:
    """The list as CSV with a header, or as a JSON array of objects (ISO 8601 times)."""
    if fmt == "json":
        return rows.to_json(orient="records", date_format="iso", indent=1) + "\n"
    return rows.to_csv(index=False)


def export_actions(settings: Settings) -> list[Path]:
    """Both lists as CSV in <exports>/actions/, each replaced whole (written beside, then renamed)."""
    folder = settings.exports / "actions"
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    with open_snapshot(warehouse_of(settings), settings.duckdb_memory_limit) as con:
        for kind in LISTS:
            target = folder / f"{kind}.csv"
            partial = folder / f".{kind}.csv.part"
            partial.write_text(render(action_list(con, kind), "csv"), encoding="utf-8")
            partial.replace(target)
            written.append(target)
    return written
