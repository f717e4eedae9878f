"""A large export loads within DuckDB's memory limit (the reader's buffer follows the file)."""

from __future__ import annotations

from dataclasses import replace

from pipelines.config import Settings
from pipelines.ingest.entities import ENTITIES
from pipelines.run import run_steps
from tests.conftest import fetch

ROWS = 200_000


def test_a_large_csv_loads_under_a_small_memory_limit(settings: Settings) -> None:
    path = settings.landing / ENTITIES["customers"].folder / "customers_big.csv"
    path.parent.mkdir(parents=True)
    with path.open("w", encoding="utf-8") as handle:
        handle.write("customer_id,created_at,country,segment,updated_at,status\n")
        for i in range(ROWS):
            handle.write(f"C{i:09d},2025-01-01 10:00:00,DE,consumer,2025-01-02 10:00:00,active\n")
    assert path.stat().st_size > 12_000_000
    # DuckDB's default buffer, 16 x the line limit (4 x the file), would need about 800 MB.
    run_steps(replace(settings, duckdb_memory_limit="512MB"), ("ingest",))
    assert fetch(settings, "select status, rows_loaded from audit.files") == [("loaded", ROWS)]
