"""Attacks through the analysts' door: `loyalty sql`, open_snapshot and open_reader.

The door is read-only, reads no file but its database, attaches nothing, writes nothing,
installs and loads no extension, and its configuration is locked. Its output is the
data as it is: no markup, no emoji codes, full precision, nothing cut short.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from pipelines.config import Settings
from pipelines.snapshot import snapshot_path
from pipelines.warehouse import open_reader, open_snapshot
from tests.attack.conftest import checksums
from tests.conftest import loyalty


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def files_state(settings: Settings) -> dict[str, str]:
    return {
        str(p): digest(p)
        for p in settings.warehouse.parent.iterdir()
        if p.is_file() and p.suffix == ".duckdb"
    }


def sql(settings: Settings, statement: str, *options: str):
    return loyalty(
        "sql",
        statement,
        "--warehouse",
        str(settings.warehouse),
        *options,
        cwd=settings.warehouse.parent,
    )


ATTACKS = [
    (
        "attach '{warehouse}' as live (read_write); drop table live.raw.customers",
        "file system operations are disabled|already attached",
    ),
    (
        "attach '{other}' as other; select count(*) from other.marts.kpi_monthly",
        "file system operations are disabled",
    ),
    ("attach ':memory:' as scratch", "read-only"),
    ("copy (select 1) to '{warehouse}'", "file system operations are disabled"),
    (
        "copy (select * from marts.kpi_monthly) to '{outside}'",
        "file system operations are disabled",
    ),
    ("copy marts.kpi_monthly from '{outside}'", "read-only|file system operations are disabled"),
    ("export database '{folder}/export'", "file system operations are disabled"),
    ("select * from read_text('/etc/passwd')", "file system operations are disabled"),
    ("select * from read_blob('/etc/hostname')", "file system operations are disabled"),
    ("select * from glob('/root/*')", "file system operations are disabled"),
    ("select * from read_csv('/etc/passwd', sep = ':')", "file system operations are disabled"),
    ("select * from read_json('{outside}')", "file system operations are disabled"),
    ("select * from read_parquet('{outside}')", "file system operations are disabled"),
    ("select * from sniff_csv('/etc/passwd')", "file system operations are disabled"),
    ("select * from '/etc/passwd'", "does not exist|file system operations are disabled"),
    ("install httpfs", "disabled|Permission"),
    ("load httpfs", "disabled"),
    ("set enable_external_access = true", "configuration has been locked"),
    ("set lock_configuration = false", "configuration has been locked"),
    ("reset lock_configuration", "configuration has been locked"),
    ("set memory_limit = '100TB'", "configuration has been locked"),
    ("set allowed_directories = ['/']", "configuration has been locked"),
    ("set autoinstall_known_extensions = true", "configuration has been locked"),
    ("pragma profiling_output = '{outside}'", "configuration has been locked"),
    ("set temp_directory = '{folder}/elsewhere'", "configuration has been locked"),
    ("drop table marts.kpi_monthly", "read-only"),
    ("delete from audit.files", "read-only"),
    ("create table marts.x as select 1", "read-only"),
    ("select 1; drop table marts.kpi_monthly", "read-only"),
]


def attack_text(settings: Settings, statement: str, live: bool = False) -> str:
    """The attack with its paths; {other} is the database file the door does not have open."""
    outside = settings.warehouse.parent / "outside.csv"
    outside.write_text("a\n1\n")
    return statement.format(
        warehouse=settings.warehouse,
        other=snapshot_path(settings.warehouse) if live else settings.warehouse,
        outside=outside,
        folder=settings.warehouse.parent,
    )


def assert_untouched(settings: Settings, tables: dict, files: dict) -> None:
    assert files_state(settings) == files
    assert checksums(settings.warehouse) == tables
    assert (settings.warehouse.parent / "outside.csv").read_text() == "a\n1\n"
    assert not (settings.warehouse.parent / "export").exists()
    assert not (settings.warehouse.parent / "elsewhere").exists()


@pytest.mark.parametrize(("statement", "refusal"), ATTACKS, ids=[a[0][:40] for a in ATTACKS])
@pytest.mark.parametrize("opener", [open_snapshot, open_reader], ids=["snapshot", "live"])
def test_the_analyst_connection_cannot_write_read_files_or_reconfigure(
    company: Settings,
    statement: str,
    refusal: str,
    opener,
) -> None:
    text = attack_text(company, statement, live=opener is open_reader)
    tables, files = checksums(company.warehouse), files_state(company)
    with opener(company.warehouse) as con, pytest.raises(duckdb.Error) as refused:
        con.execute(text)
    assert any(word in str(refused.value) for word in refusal.split("|")), refused.value
    assert_untouched(company, tables, files)


CLI_ATTACKS = [ATTACKS[0], ATTACKS[3], ATTACKS[7], ATTACKS[9], ATTACKS[15], ATTACKS[17]]


@pytest.mark.parametrize(
    ("statement", "refusal"), CLI_ATTACKS, ids=[a[0][:40] for a in CLI_ATTACKS]
)
@pytest.mark.parametrize("live", [False, True], ids=["snapshot", "live"])
def test_loyalty_sql_refuses_in_one_line(
    company: Settings, statement: str, refusal: str, live: bool
) -> None:
    text = attack_text(company, statement, live)
    tables, files = checksums(company.warehouse), files_state(company)
    result = sql(company, text, *(["--live"] if live else []))
    assert result.returncode == 1, result.stdout
    assert "Traceback" not in result.stderr and "unexpected" not in result.stderr
    assert any(word in result.stderr for word in refusal.split("|")), result.stderr
    assert_untouched(company, tables, files)


@pytest.mark.parametrize(
    "opener", [open_snapshot, open_reader], ids=["open_snapshot", "open_reader"]
)
def test_the_analyst_connection_settings(company: Settings, opener) -> None:
    with opener(company.warehouse) as con:
        settings = dict(
            con.execute(
                "select name, value from duckdb_settings() where name in ("
                "'enable_external_access', 'lock_configuration', 'autoload_known_extensions', "
                "'autoinstall_known_extensions', 'allow_community_extensions', "
                "'allow_unsigned_extensions', 'access_mode')"
            ).fetchall()
        )
        databases = con.execute(
            "select database_name, readonly from duckdb_databases() where not internal"
        ).fetchall()
    assert settings == {
        "enable_external_access": "false",
        "lock_configuration": "true",
        "autoload_known_extensions": "false",
        "autoinstall_known_extensions": "false",
        "allow_community_extensions": "false",
        "allow_unsigned_extensions": "false",
        "access_mode": "read_only",
    }
    assert all(readonly for _, readonly in databases), databases


def test_the_snapshot_door_still_answers_queries(company: Settings) -> None:
    assert snapshot_path(company.warehouse).exists()
    result = sql(company, "select count(*) as n from marts.kpi_monthly", "--csv")
    assert result.returncode == 0, result.stderr
    assert int(result.stdout.splitlines()[1]) > 0


@pytest.mark.parametrize(
    "value",
    [
        "[/]",
        "[bold red]alarm[/]",
        "root:x:0:0",
        ":smiley: :x:",
        "[link=http://evil]click[/link]",
        "\\[escaped]",
    ],
)
def test_loyalty_sql_prints_values_as_they_are(company: Settings, value: str) -> None:
    result = sql(company, "select ? as v".replace("?", "'" + value.replace("'", "''") + "'"))
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert value in result.stdout


def test_loyalty_sql_escapes_column_names_too(company: Settings) -> None:
    result = sql(company, 'select 1 as "[/]", 2 as ":x:"')
    assert result.returncode == 0, result.stderr
    assert "[/]" in result.stdout and ":x:" in result.stdout


WIDE = (
    "select 0.1234567890123456789::double as a_rather_long_column_name_for_a_ratio, "
    "12345678901234.56::decimal(18,2) as revenue_net_in_the_reporting_currency, "
    "1234567890123456789::bigint as big, 'a rather long text value that should not be cut' as t"
)


def test_loyalty_sql_does_not_cut_numbers_or_names_on_a_wide_terminal(company: Settings) -> None:
    result = sql(company, WIDE)
    assert result.returncode == 0, result.stderr
    for text in (
        "0.12345678901234568",
        "12345678901234.56",
        "1234567890123456789",
        "a_rather_long_column_name_for_a_ratio",
        "revenue_net_in_the_reporting_currency",
        "a rather long text value that should not be cut",
    ):
        assert text in result.stdout, result.stdout
    assert "…" not in result.stdout


def test_loyalty_sql_csv_and_json_keep_full_precision(company: Settings) -> None:
    as_csv = sql(company, WIDE, "--csv")
    assert as_csv.returncode == 0, as_csv.stderr
    rows = list(csv.DictReader(io.StringIO(as_csv.stdout)))
    assert float(rows[0]["a_rather_long_column_name_for_a_ratio"]) == 0.1234567890123456789
    assert rows[0]["revenue_net_in_the_reporting_currency"] == "12345678901234.56"
    as_json = sql(company, WIDE + ", date '2025-06-30' as d, null as n", "--json")
    assert as_json.returncode == 0, as_json.stderr
    records = json.loads(as_json.stdout, parse_float=Decimal)
    assert records == [
        {
            "a_rather_long_column_name_for_a_ratio": Decimal("0.12345678901234568"),
            "revenue_net_in_the_reporting_currency": Decimal("12345678901234.56"),
            "big": 1234567890123456789,
            "t": "a rather long text value that should not be cut",
            "d": "2025-06-30",
            "n": None,
        }
    ]


def test_loyalty_sql_json_and_csv_exclude_each_other(company: Settings) -> None:
    result = sql(company, "select 1", "--csv", "--json")
    assert result.returncode == 1
    assert "--csv or --json" in result.stderr
