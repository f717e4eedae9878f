"""Two worker processes ingest into one DuckLake while a third reads marts in a loop."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from pipelines.config import Settings
from pipelines.run import run_steps
from pipelines.warehouse import open_reader, warehouse_of
from tests.conftest import marts, run, sample_landing
from tests.ducklake.conftest import worker
from tests.ducklake.workers import READ_SQL

pytestmark = pytest.mark.services

CRM = ["customers", "events"]
SHOP_AND_SURVEY = ["orders", "returns", "responses"]


def split_exports(full: Path, landing: Path) -> list[Path]:
    """Copy the early exports of every entity into `landing`; return the late ones."""
    late = []
    for folder in sorted({p.parent for p in full.rglob("*") if p.is_file()}):
        files = sorted(p for p in folder.iterdir() if not p.name.startswith("_"))
        target = landing / folder.relative_to(full)
        target.mkdir(parents=True)
        for flag in folder.glob("_*"):
            shutil.copy2(flag, target / flag.name)
        cut = len(files) - max(1, len(files) // 4)
        for path in files[:cut]:
            shutil.copy2(path, target / path.name)
        late += files[cut:]
    return late


def test_two_ingests_at_once_lose_nothing_and_the_reader_never_fails(
    settings: Settings, lake_settings: Settings, tmp_path: Path
) -> None:
    full = tmp_path / "full"
    exports = [p for p in sample_landing(full) if not p.name.startswith("_")]
    late = split_exports(full, lake_settings.landing)
    run(lake_settings)
    with open_reader(warehouse_of(lake_settings)) as con:
        before = [str(v) for v in con.execute(READ_SQL).fetchone() or ()]
    for path in late:
        shutil.copy2(path, lake_settings.landing / path.relative_to(full))

    stop = tmp_path / "stop-reading"
    reader = worker(lake_settings, "read", str(stop))
    ingests = [
        worker(lake_settings, "ingest", *CRM),
        worker(lake_settings, "ingest", *SHOP_AND_SURVEY),
    ]
    for process in ingests:
        out, err = process.communicate(timeout=300)
        assert process.returncode == 0, err
    run_steps(lake_settings, ("validate", "build"))
    with open_reader(warehouse_of(lake_settings)) as con:
        after = [str(v) for v in con.execute(READ_SQL).fetchone() or ()]
        ledger = con.execute(
            "select count(*), count(distinct file_id), count(distinct sha256), "
            "count(*) filter (where status = 'quarantined') from audit.files"
        ).fetchone()
    stop.touch()
    out, err = reader.communicate(timeout=60)
    answers = [json.loads(line) for line in out.splitlines()]

    errors = [a["error"] for a in answers if "error" in a]
    seen = {tuple(a["answer"]) for a in answers if "answer" in a}
    print(f"reader: {len(answers)} queries, {len(errors)} errors; before {before}, after {after}")
    assert errors == []
    assert len(answers) >= 10
    assert seen <= {tuple(before), tuple(after)}
    assert before != after
    assert ledger == (len(exports), len(exports), len(exports), 0)

    shutil.rmtree(settings.landing, ignore_errors=True)
    shutil.copytree(full, settings.landing)
    run(settings)
    on_file, on_lake = marts(settings), marts(lake_settings)
    # validation_warnings says what each file's checks saw when it arrived; files that
    # arrived in two batches were checked against less CRM data than one clean run's.
    del on_file["validation_warnings"], on_lake["validation_warnings"]
    assert on_lake == on_file
