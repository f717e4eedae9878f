"""The `loyalty` command as a newcomer runs it: real subprocesses, real files."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.cli import nps_text, percent
from tests.conftest import loyalty, write_entity


@pytest.mark.parametrize(
    "command",
    [
        "generate",
        "ingest",
        "validate",
        "build",
        "report",
        "run",
        "status",
        "sql",
        "docs",
        "reload",
        "alerts",
    ],
)
def test_every_command_has_help(tmp_path: Path, command: str) -> None:
    result = loyalty(command, "--help", cwd=tmp_path)
    assert result.returncode == 0
    assert "Usage" in result.stdout


def test_generate_run_status_sql_round_trip(tmp_path: Path) -> None:
    assert loyalty("generate", "--customers", "300", "--months", "6", cwd=tmp_path).returncode == 0
    exports = [p for p in (tmp_path / "data/landing").rglob("*.*") if not p.name.endswith(".ready")]
    result = loyalty("run", "--inactivity-days", "90", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert f"files: {len(exports)} loaded, 0 skipped as duplicates, 0 quarantined" in result.stdout
    assert "retention rate" in result.stdout
    assert "read the report: " in result.stdout and "-en.html" in result.stdout
    assert (tmp_path / "data/warehouse.duckdb").exists()
    again = loyalty("run", cwd=tmp_path)
    assert f"files: 0 loaded, {len(exports)} skipped as duplicates" in again.stdout
    status = loyalty("status", cwd=tmp_path)
    assert status.returncode == 0 and "orders" in status.stdout
    csv_out = loyalty("sql", "select count(*) as n from marts.kpi_monthly", "--csv", cwd=tmp_path)
    assert csv_out.stdout.splitlines()[0] == "n"
    assert int(csv_out.stdout.splitlines()[1]) >= 6


def test_run_passes_as_of_and_inactivity_days(tmp_path: Path) -> None:
    loyalty("generate", "--customers", "200", "--months", "6", cwd=tmp_path)
    result = loyalty("run", "--as-of", "2026-03-15", "--inactivity-days", "30", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    out = loyalty("sql", "select max(month) from marts.kpi_monthly", "--csv", cwd=tmp_path)
    assert out.stdout.splitlines()[1] == "2026-03-01"
    runs = loyalty(
        "sql",
        "select count(*) from audit.runs where step like 'model:%' and status = 'ok'",
        "--csv",
        cwd=tmp_path,
    )
    assert int(runs.stdout.splitlines()[1]) >= 10
    for outside in ("0001-01-01", "9999-12-31"):
        refused = loyalty("run", "--as-of", outside, cwd=tmp_path)
        assert refused.returncode == 1
        assert "lies outside the data: the allowed range is" in refused.stderr
        assert "Traceback" not in refused.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["status", "--warehouse", "nowhere.duckdb"], "no warehouse at nowhere.duckdb"),
        (["run", "--landing", "missing"], "no landing zone at missing"),
        (["run", "--as-of", "yesterday"], "is not an ISO 8601 date"),
    ],
)
def test_user_errors_are_one_line_without_traceback(
    tmp_path: Path, args: list[str], message: str
) -> None:
    (tmp_path / "data/landing").mkdir(parents=True)
    result = loyalty(*args, cwd=tmp_path)
    assert result.returncode == 1
    assert message in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_bad_sql_is_one_line(tmp_path: Path) -> None:
    loyalty("generate", "--customers", "100", "--months", "3", cwd=tmp_path)
    loyalty("run", cwd=tmp_path)
    result = loyalty("sql", "select * from nope", cwd=tmp_path)
    assert result.returncode == 1
    assert "Table with name nope does not exist" in result.stderr
    assert "Traceback" not in result.stderr


def test_sql_is_read_only(tmp_path: Path) -> None:
    loyalty("generate", "--customers", "100", "--months", "3", cwd=tmp_path)
    loyalty("run", cwd=tmp_path)
    result = loyalty("sql", "drop table marts.kpi_monthly", cwd=tmp_path)
    assert result.returncode == 1
    assert "read-only" in result.stderr


def test_sql_json_and_reload_as_a_newcomer_uses_them(tmp_path: Path) -> None:
    loyalty("generate", "--customers", "100", "--months", "3", cwd=tmp_path)
    loyalty("run", cwd=tmp_path)
    as_json = loyalty(
        "sql", "select month, retention_rate from marts.kpi_monthly", "--json", cwd=tmp_path
    )
    assert as_json.returncode == 0, as_json.stderr
    assert as_json.stdout.startswith("[") and '"retention_rate": ' in as_json.stdout
    waiting = loyalty("reload", cwd=tmp_path)
    assert waiting.returncode == 0, waiting.stderr
    assert "no file waits to be read again" in waiting.stdout
    changed = loyalty("reload", cwd=tmp_path, env={"LOYALTY_CURRENCY": "USD"})
    assert "LOYALTY_CURRENCY changed" in changed.stdout and "orders_" in changed.stdout


def test_a_file_in_another_currency_is_named_with_the_fix(tmp_path: Path) -> None:
    write_entity(
        tmp_path / "data/landing",
        "orders",
        "orders.csv",
        [
            {"order_id": f"O{i}", "customer_id": "C1", "ordered_at": f"2026-0{i}-10T10:00:00Z",
             "net_amount": "10.00", "currency": "USD"}
            for i in (1, 2, 3)
        ],
    )  # fmt: skip
    result = loyalty("run", cwd=tmp_path)
    assert result.returncode == 1
    assert (
        "all 3 rows of orders.csv rejected: currency USD, reporting currency EUR "
        "(set LOYALTY_CURRENCY)"
    ) in " ".join(result.stdout.split())
    # The report fails, yet every step before it has told what it did.
    for summary in ("ingest: files: 1 loaded", "validation: 1 file(s) checked", "build: "):
        assert summary in result.stdout, summary
    assert "no complete month" in result.stderr and "Traceback" not in result.stderr


def test_the_kpis_round_like_sql() -> None:
    assert percent(0.3125) == "31.3 %"
    assert nps_text({"nps": 0.0, "nps_moe": 60.0125, "nps_responses": 1}) == "0 ± 60.0 (n=1)"
    assert nps_text({"nps": -14.65, "nps_moe": 8.25, "nps_responses": 300}) == (
        "-14.7 ± 8.3 (n=300)"
    )
