"""The same pipeline on the DuckDB file and on DuckLake gives the same marts, row for row."""

from __future__ import annotations

import json

import pytest

from pipelines.config import Settings
from pipelines.orchestration import write_report
from pipelines.warehouse import open_reader, warehouse_of
from pipelines.warehouse_ducklake import current_snapshot
from tests.conftest import marts, run, sample_landing

pytestmark = pytest.mark.services


def test_the_sample_company_has_the_same_marts_on_file_and_ducklake(
    settings: Settings, lake_settings: Settings
) -> None:
    sample_landing(settings.landing)
    run(settings)
    run(lake_settings)
    on_file, on_lake = marts(settings), marts(lake_settings)
    assert len(on_file) >= 10
    assert sorted(on_lake) == sorted(on_file)
    for table, rows in on_file.items():
        assert on_lake[table] == rows, table
    assert sum(len(rows) for rows in on_file.values()) > 500


def test_a_report_records_the_ducklake_snapshot_it_read(lake_settings: Settings) -> None:
    sample_landing(lake_settings.landing, customers=300, months=6)
    run(lake_settings)
    written = write_report(lake_settings)
    with open_reader(warehouse_of(lake_settings)) as con:
        snapshot = current_snapshot(con)
    records = list(lake_settings.reports.rglob("*.snapshot.json"))
    assert len(records) == 1 and len(written.files) == 4
    assert json.loads(records[0].read_text())["ducklake_snapshot"] == snapshot
