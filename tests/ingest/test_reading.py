"""pipelines/ingest/reading.py on tiny files: the mapping that fits, what a failed read learnt."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from pipelines.config import Settings
from pipelines.ingest.entities import ENTITIES
from pipelines.ingest.job import FileJob, reading_room
from pipelines.ingest.reading import NotRead, read_file
from pipelines.ingest.sources import load_sources
from pipelines.warehouse import open_writer


def read(settings: Settings, name: str, text: str) -> tuple[duckdb.DuckDBPyConnection, object]:
    path = settings.landing / ENTITIES["orders"].folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    sources = load_sources(settings.sources_file)
    with open_writer(settings.warehouse) as con, reading_room(settings) as room:
        job = FileJob(con, ENTITIES["orders"], path, sources["orders"], settings, room)
        with room.access(path) as access:
            try:
                typed = read_file(job, access, "1")
            except NotRead as exc:
                return exc
            return con.execute(
                "select order_id, _reject is null from _typed order by _record"
            ).fetchall(), typed.reading


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(landing=tmp_path / "landing", warehouse=tmp_path / "w.duckdb", settle_seconds=0)


@pytest.mark.parametrize(
    ("text", "rows"),
    [
        (
            "order_id,customer_id,ordered_at,net_amount\nO1,C1,2025-01-05,10\n",
            [("O1", True)],
        ),
        (
            "order_id,customer_id,ordered_at,net_amount\nO1,C1,2025-01-05,10\nO2,C1,not a day,5\n",
            [("O1", True), ("O2", False)],
        ),
    ],
)
def test_a_canonical_file_is_typed_row_by_row(settings: Settings, text: str, rows: list) -> None:
    typed, reading = read(settings, "orders.csv", text)
    assert typed == rows
    assert reading.mapping == "canonical"
    assert "schema_drift" in reading.depends_on


@pytest.mark.parametrize(
    ("name", "text", "reason"),
    [
        ("orders.xlsx", "x", "unknown file type"),
        ("orders.csv", "", "the file is empty"),
        ("orders.csv", "id,amount\n1,2\n", "no source mapping fits the file"),
    ],
)
def test_a_file_that_cannot_be_read_says_why(
    settings: Settings, name: str, text: str, reason: str
) -> None:
    failed = read(settings, name, text)
    assert isinstance(failed, NotRead)
    assert reason in str(failed.cause)


def test_a_missing_column_is_remembered_with_the_mappings_tried(settings: Settings) -> None:
    failed = read(settings, "orders.csv", "order_id,customer_id\nO1,C1\n")
    assert isinstance(failed, NotRead)
    assert failed.reading.mapping is None
    assert "order:orders" in failed.reading.depends_on


def test_records_keep_the_files_order_across_row_groups(settings: Settings) -> None:
    count = 130_000
    lines = [f"O{n},C1,2025-01-05,10" for n in range(1, count + 1)]
    text = "order_id,customer_id,ordered_at,net_amount\n" + "\n".join([*lines, lines[-3]]) + "\n"
    typed, _ = read(settings, "orders.csv", text)
    assert typed[:count] == [(f"O{n}", True) for n in range(1, count + 1)]
    assert typed[count:] == [(f"O{count - 2}", False)]
