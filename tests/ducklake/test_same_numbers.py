"""The same pipeline on the DuckDB file and on DuckLake gives the same marts, row for row."""

from __future__ import annotations

import pytest

from pipelines.config import Settings
from tests.conftest import run
from tests.ducklake.conftest import marts, sample_landing

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
