"""Real runs write the warehouse, snapshot, reports and rejects closed to other users."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from tests.conftest import write_entity

ORCHESTRATION_RUN = """
from pipelines.config import settings_from_env
from pipelines.orchestration import (
    build_models, ingest_new_files, validate_batches, write_report,
)
settings = settings_from_env()
ingest_new_files(settings)
validate_batches(settings)
build_models(settings)
write_report(settings)
"""


def run_python(code: str, cwd: Path, umask: str | None) -> None:
    """`code` in a new process that starts with umask 000, as a careless service manager leaves it."""
    env = {**os.environ, "COLUMNS": "200", "LOYALTY_SETTLE_SECONDS": "0"}
    env.pop("LOYALTY_UMASK", None)
    if umask is not None:
        env["LOYALTY_UMASK"] = umask
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=cwd,
        env=env,
        preexec_fn=lambda: os.umask(0),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]


def loyalty(cwd: Path, umask: str | None, *args: str) -> None:
    run_python(
        f"import sys; sys.argv = ['loyalty', *{list(args)!r}]; "
        "from pipelines.cli import main; main()",
        cwd,
        umask,
    )


def modes(folder: Path) -> dict[str, int]:
    """Permission bits of every file and folder below `folder`, by relative path."""
    return {
        str(path.relative_to(folder)): stat.S_IMODE(path.stat().st_mode)
        for path in sorted(folder.rglob("*"))
    }


def with_a_rejected_row(landing: Path) -> str:
    """A return whose date is no date: audit.rejects gets a row. Its path below data/."""
    path = write_entity(
        landing,
        "returns",
        "returns_bad.csv",
        [{"return_id": "T-bad", "order_id": "O-1", "returned_at": "not a date", "amount": "1"}],
    )
    return str(path.relative_to(landing.parent))


def rejects(data: Path) -> int:
    con = duckdb.connect(str(data / "warehouse.snapshot.duckdb"), read_only=True)
    try:
        return con.execute("select count(*) from audit.rejects").fetchone()[0]  # type: ignore[index]
    finally:
        con.close()


@pytest.mark.parametrize(("umask", "closed"), [(None, 0o027), ("077", 0o077)])
def test_the_cli_writes_nothing_others_can_read(
    tmp_path: Path, umask: str | None, closed: int
) -> None:
    loyalty(tmp_path, umask, "generate", "--customers", "40", "--months", "3", "--no-flags")
    planted = with_a_rejected_row(tmp_path / "data" / "landing")
    loyalty(tmp_path, umask, "run")
    assert rejects(tmp_path / "data") == 1
    written = modes(tmp_path / "data")
    del written[planted]
    assert {"warehouse.duckdb", "warehouse.snapshot.duckdb"} <= set(written)
    assert sum(name.startswith("reports/") and name.endswith(".pdf") for name in written) >= 2
    open_to_others = {name: oct(mode) for name, mode in written.items() if mode & closed}
    assert open_to_others == {}
    assert written["warehouse.duckdb"] == 0o666 & ~closed


def test_the_airflow_tasks_write_nothing_others_can_read(tmp_path: Path) -> None:
    loyalty(tmp_path, None, "generate", "--customers", "40", "--months", "3", "--no-flags")
    with_a_rejected_row(tmp_path / "data" / "landing")
    run_python(ORCHESTRATION_RUN, tmp_path, None)
    assert rejects(tmp_path / "data") == 1
    written = modes(tmp_path / "data")
    assert {"warehouse.duckdb", "warehouse.snapshot.duckdb"} <= set(written)
    outputs = {n: m for n, m in written.items() if not n.startswith("landing")}
    assert any(name.startswith("reports/") for name in outputs)
    assert {name: oct(mode) for name, mode in outputs.items() if mode & 0o027} == {}
