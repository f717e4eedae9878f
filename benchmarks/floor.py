"""The floor: DuckDB's own readers loading the same files into plain tables, nothing else."""

from __future__ import annotations

from pathlib import Path

import duckdb

from pipelines.ingest.entities import ENTITIES


def load_floor(landing: Path, database: Path) -> int:
    """Read every export with read_csv / read_json into one table per entity; rows read."""
    database.unlink(missing_ok=True)
    con = duckdb.connect(str(database))
    rows = 0
    for entity in ENTITIES.values():
        files = sorted(
            str(p) for p in (landing / entity.folder).glob("*") if p.suffix in (".csv", ".ndjson")
        )
        if not files:
            continue
        reader = "read_json" if files[0].endswith(".ndjson") else "read_csv"
        con.execute(
            f"create table {entity.name} as select * from {reader}(?, union_by_name = true)",
            [files],
        )
        rows += con.execute(f"select count(*) from {entity.name}").fetchone()[0]  # type: ignore[index]
    con.close()
    return rows
