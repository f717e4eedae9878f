"""A writer killed mid-ingest (kill -9) leaves a DuckLake the next run completes exactly."""

from __future__ import annotations

import signal
import time

import duckdb
import pytest

from pipelines.config import Settings
from pipelines.errors import LoyaltyError
from pipelines.ingest.entities import ENTITIES
from pipelines.warehouse import open_reader, warehouse_of
from tests.conftest import marts, run, sample_landing
from tests.ducklake.conftest import worker

pytestmark = pytest.mark.services


def ledger(lake: Settings) -> tuple[int, int, int]:
    """Files, distinct file ids and distinct contents in audit.files (0s before it exists)."""
    try:
        with open_reader(warehouse_of(lake)) as con:
            row = con.execute(
                "select count(*), count(distinct file_id), count(distinct sha256) from audit.files"
            ).fetchone()
    except (duckdb.CatalogException, LoyaltyError):
        return (0, 0, 0)
    return (int(row[0]), int(row[1]), int(row[2])) if row else (0, 0, 0)


def test_a_killed_ingest_is_finished_by_the_next_run_with_every_file_once(
    settings: Settings, lake_settings: Settings
) -> None:
    exports = [p for p in sample_landing(settings.landing) if not p.name.startswith("_")]
    ingest = worker(lake_settings, "ingest", *ENTITIES)
    deadline = time.monotonic() + 120
    while ledger(lake_settings)[0] < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert ingest.poll() is None, "the ingest finished before it could be killed"
    ingest.send_signal(signal.SIGKILL)
    ingest.wait(timeout=30)
    killed_at = ledger(lake_settings)[0]
    print(f"killed after {killed_at} of {len(exports)} files")
    assert 0 < killed_at < len(exports)

    run(lake_settings)
    assert ledger(lake_settings) == (len(exports),) * 3
    run(settings)
    assert marts(lake_settings) == marts(settings)
