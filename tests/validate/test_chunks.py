"""The suite over many chunks: worker processes give exactly what one process gives."""

from __future__ import annotations

import shutil
from pathlib import Path

import pyarrow as pa
import pytest

from pipelines.config import Settings
from pipelines.validate import gate
from pipelines.validate.chunks import chunk_runner
from pipelines.validate.suites import ExpectationSpec
from tests.conftest import fetch, run, write_entity

RESULT_COLUMNS = (
    'expectation, "column", severity, success, observed_value, unexpected_count, '
    "element_count, unexpected_examples"
)


def orders(count: int) -> list[dict[str, object]]:
    """Orders whose amounts disagree in every 300th row: 0.33 %, inside the suite's `mostly`."""
    return [
        {
            "order_id": f"O{i:05d}",
            "customer_id": f"C{i % 97}",
            "ordered_at": f"2025-01-{1 + i % 28:02d}T10:00:00Z",
            "net_amount": "95.00" if i % 300 == 0 else "90.00",
            "gross_amount": "100.00",
            "discount_amount": "10.00",
            "status": "completed",
            "channel": "web",
            "currency": "EUR",
        }
        for i in range(count)
    ]


def test_worker_processes_give_the_results_of_one_process(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(gate, "CHUNK_ROWS", 700)
    write_entity(settings.landing, "orders", "orders.csv", orders(3000))
    run(settings, "ingest")
    two = settings.with_overrides(warehouse=tmp_path / "two.duckdb", validation_workers=2)
    shutil.copy(settings.warehouse, two.warehouse)

    run(settings.with_overrides(validation_workers=1), "validate")
    run(two, "validate")

    query = f"select {RESULT_COLUMNS} from audit.validation_results order by all"
    one_process = fetch(settings, query)
    assert one_process == fetch(two, query)
    by_check = {(row[0], row[1]): row for row in one_process}
    difference = by_check[("expect_column_values_to_be_between", "_net_difference")]
    assert difference[3:7] == (True, None, 10, 3000), "10 of 3000 rows over 5 chunks, summed"
    assert fetch(two, "select status from audit.files") == [("validated",)]


def test_several_chunks_go_to_the_workers_in_order() -> None:
    specs = [
        ExpectationSpec(
            "expect_column_values_to_be_between",
            {"column": "n", "min_value": 0},
            "critical",
            "",
            "n_not_negative",
        )
    ]
    chunks = [pa.record_batch({"n": [i, -i - 1, 5]}) for i in range(4)]
    with chunk_runner(2) as runner:
        results = list(runner.results("numbers", iter(chunks), specs))
        assert runner.pool is not None, "more than one chunk and two workers: a process pool"
    assert [r[0].examples for r in results] == [["-1"], ["-2"], ["-3"], ["-4"]]
    with chunk_runner(2) as runner:
        list(runner.results("numbers", iter(chunks[:1]), specs))
        assert runner.pool is None, "one chunk stays in the calling process"
