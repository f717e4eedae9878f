"""Small row groups: left by most runs, merged by every COMPACT_EVERY_RUNS-th run."""

from __future__ import annotations

import pytest

from pipelines import warehouse
from pipelines.config import Settings
from tests.conftest import fetch, order, run, write_entity


def row_groups(settings: Settings) -> int:
    rows = fetch(
        settings, "select count(distinct row_group_id) from pragma_storage_info('raw.orders')"
    )
    return rows[0][0]


def test_runs_leave_small_row_groups_until_a_compacting_run_merges_them(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(warehouse, "COMPACT_EVERY_RUNS", 3)
    seen = []
    for day in range(1, 5):
        write_entity(
            settings.landing,
            "orders",
            f"orders_{day}.csv",
            [order(10 * day + i, customer=f"C{i}") for i in range(5)],
        )
        result = run(settings, "ingest")
        merged = [n for n in result.notes if "merged the small row groups" in n]
        seen.append((result.run_id, row_groups(settings), len(merged)))
    assert fetch(settings, "select count(*) from raw.orders") == [(20,)]
    assert seen == [(1, 1, 0), (2, 2, 0), (3, 1, 1), (4, 2, 0)]
