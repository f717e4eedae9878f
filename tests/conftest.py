"""Shared helpers: tiny landing zones written by the tests, real DuckDB warehouses."""

from __future__ import annotations

import csv
import os
import shutil
import signal
import socket
import subprocess
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pytest
import yaml

from pipelines.config import SOURCES_FILE, Settings, parse_as_of
from pipelines.generate import GenerateOptions, generate
from pipelines.ingest.entities import ENTITIES
from pipelines.run import RunResult, run_steps
from pipelines.warehouse import open_reader, warehouse_of

HEADERS = {name: list(entity.columns) for name, entity in ENTITIES.items()}
ROOT = Path(__file__).resolve().parent.parent
COMPOSE = ROOT / "docker-compose.yml"
AIRFLOW_SERVICES = {
    "airflow-init",
    "airflow-apiserver",
    "airflow-scheduler",
    "airflow-dag-processor",
    "airflow-triggerer",
    "airflow-worker",
}
LOYALTY = [sys.executable, "-c", "from pipelines.cli import main; main()"]
# The metadata database of an Airflow a test starts, one database per test.
AIRFLOW_DB_URL = "postgresql+psycopg2://postgres@127.0.0.1:5432/{database}"


def write_csv(
    path: Path, header: list[str], rows: Iterable[Iterable[object]], delimiter: str = ","
) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, delimiter=delimiter)
        writer.writerow(header)
        writer.writerows(["" if v is None else v for v in row] for row in rows)
    return path


def order(i: int, customer: str = "C1", net: str = "10.00", **extra: object) -> dict[str, object]:
    """Order number i as write_entity takes it: its day of January 2025 follows from i."""
    return {
        "order_id": f"O{i}",
        "customer_id": customer,
        "ordered_at": f"2025-01-{1 + i % 28:02d}T10:00:00Z",
        "net_amount": net,
        **extra,
    }


def write_entity(landing: Path, entity: str, name: str, rows: list[dict[str, object]]) -> Path:
    """A canonical CSV export of `entity` with only the columns the rows use."""
    header = [c for c in HEADERS[entity] if any(c in r for r in rows)] or HEADERS[entity]
    return write_csv(
        landing / ENTITIES[entity].folder / name,
        header,
        ([r.get(c) for c in header] for r in rows),
    )


@pytest.fixture(scope="session", autouse=True)
def action_exports(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Action lists the DAG runs of the tests write land in a temporary folder, not data/."""
    folder = tmp_path_factory.mktemp("exports")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("LOYALTY_EXPORTS", str(folder))
        yield folder


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        landing=tmp_path / "landing",
        warehouse=tmp_path / "warehouse.duckdb",
        reports=tmp_path / "reports",
        settle_seconds=0,
    )


def with_sources(settings: Settings, folder: Path, section_yaml: str) -> Settings:
    """Settings whose sources.yaml is the project's with the top-level sections of `section_yaml`."""
    shutil.copytree(SOURCES_FILE.parent, folder)
    sources = folder / "sources.yaml"
    config = {**yaml.safe_load(sources.read_text()), **yaml.safe_load(section_yaml)}
    sources.write_text(yaml.safe_dump(config, allow_unicode=True))
    return settings.with_overrides(sources_file=sources)


def run(
    settings: Settings, *steps: str, as_of: str | None = None, inactivity_days: int | None = None
) -> RunResult:
    effective = settings.with_overrides(
        as_of=parse_as_of(as_of) if as_of else None, inactivity_days=inactivity_days
    )
    return run_steps(effective, steps or ("ingest", "validate", "build"))


def fetch(settings: Settings, sql: str, params: list[object] | None = None) -> list[tuple]:
    con = duckdb.connect(str(settings.warehouse), read_only=True)
    try:
        con.execute(f"set TimeZone = '{settings.timezone}'")
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def fetch_dicts(settings: Settings, sql: str) -> list[dict[str, object]]:
    con = duckdb.connect(str(settings.warehouse), read_only=True)
    try:
        con.execute(f"set TimeZone = '{settings.timezone}'")
        cursor = con.execute(sql)
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    finally:
        con.close()


def rows_in_one_only(
    con: duckdb.DuckDBPyConnection, left: str, right: str, table: str, select: str = "*"
) -> dict[str, int]:
    """Rows of `table` that only one of two attached databases holds (EXCEPT ALL both ways)."""
    found = {}
    for one, other in ((left, right), (right, left)):
        extra = con.execute(
            f"select count(*) from (select {select} from {one}.{table} "
            f"except all select {select} from {other}.{table})"
        ).fetchone()[0]
        if extra:
            found[f"{one} only: {table}"] = extra
    return found


def sample_landing(landing: Path, customers: int = 400, months: int = 12) -> list[Path]:
    """The sample company's exports, small."""
    return generate(GenerateOptions(landing, customers=customers, months=months, seed=7))


# The values that say when a build or a validation ran, not what was computed.
RUN_DETAILS = {
    "build_info": "exclude (built_at)",
    "validation_warnings": "exclude (checked_at)",
    "purchase_model": "exclude (fitted_at)",
}


def schema_tables(con: duckdb.DuckDBPyConnection, schema: str = "marts") -> list[str]:
    rows = con.execute(
        "select table_name from duckdb_tables() where database_name = current_database() "
        "and schema_name = ? order by 1",
        [schema],
    ).fetchall()
    return [name for (name,) in rows]


def marts(settings: Settings, schema: str = "marts") -> dict[str, list[tuple]]:
    """Every table of the schema (marts unless told), its rows in a fixed order."""
    with open_reader(warehouse_of(settings)) as con:
        return {
            table: con.execute(
                f'select * {RUN_DETAILS.get(table, "")} from "{schema}"."{table}" order by all'
            ).fetchall()
            for table in schema_tables(con, schema)
        }


def require_tool(name: str) -> str:
    """The path of a system tool; skip without it, unless CI made such tools mandatory."""
    path = shutil.which(name)
    if path:
        return path
    message = f"{name} is not installed (scripts/ensure-system-packages installs it)"
    if os.environ.get("LOYALTY_REQUIRE_SERVICES") == "1":
        pytest.fail(message + " (LOYALTY_REQUIRE_SERVICES=1 makes it mandatory)")
    pytest.skip(message)


def service_available(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def require_service(name: str, host: str, port: int) -> None:
    """Skip when a local service is absent, unless CI made the services mandatory."""
    if service_available(host, port):
        return
    message = f"{name} is not reachable on {host}:{port}; start it to run this test"
    if os.environ.get("LOYALTY_REQUIRE_SERVICES") == "1":
        pytest.fail(message + " (LOYALTY_REQUIRE_SERVICES=1 makes it mandatory)")
    pytest.skip(message)


def loyalty(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """The `loyalty` command as a newcomer runs it, in a subprocess."""
    return subprocess.run(
        [*LOYALTY, *args],
        cwd=cwd,
        env={**os.environ, "COLUMNS": "200", **(env or {})},
        capture_output=True,
        text=True,
        timeout=300,
    )


def compose() -> dict:
    """docker-compose.yml as data."""
    return yaml.safe_load(COMPOSE.read_text())


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def psql(sql: str) -> None:
    """One statement on the local PostgreSQL's postgres database, outside a transaction."""
    import psycopg2

    con = psycopg2.connect(host="127.0.0.1", user="postgres", dbname="postgres")
    con.autocommit = True
    with con.cursor() as cursor:
        cursor.execute(sql)
    con.close()


def count_triggers(database: str) -> int:
    """Triggers an Airflow with its metadata in `database` has recorded; 0 before it has the table."""
    import psycopg2

    con = psycopg2.connect(host="127.0.0.1", user="postgres", dbname=database)
    try:
        with con.cursor() as cursor:
            cursor.execute("select count(*) from trigger")
            return int(cursor.fetchone()[0])
    except psycopg2.Error:
        return 0
    finally:
        con.close()


def airflow_environment(database: str, home: Path, executor: str, broker: str) -> dict[str, str]:
    """The environment of an Airflow a test starts: its metadata in the PostgreSQL `database`,
    the project's DAGs, `executor`, Celery on the Redis URL `broker`, the API on a free port."""
    port = free_port()
    env = {
        **os.environ,
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "dags"),
        "AIRFLOW__CORE__EXECUTOR": executor,
        "AIRFLOW__CELERY__BROKER_URL": broker,
        "AIRFLOW__CELERY__RESULT_BACKEND": "db+postgresql://postgres@127.0.0.1:5432/" + database,
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": AIRFLOW_DB_URL.format(database=database),
        "AIRFLOW__API__PORT": str(port),
        "AIRFLOW__API__HOST": "127.0.0.1",
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{port}/execution/",
        "AIRFLOW__API_AUTH__JWT_SECRET": "test-secret-of-an-airflow-under-test",
        "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
        "AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC": "1",
        "LOYALTY_INGEST_SCHEDULE": "@daily",
    }
    env.pop("AIRFLOW__CORE__UNIT_TEST_MODE", None)
    return env


@contextmanager
def airflow_metadata(database: str, env: dict[str, str], writers: int) -> Iterator[None]:
    """A fresh PostgreSQL `database`, migrated by `airflow db migrate`, with a
    warehouse_writer pool of `writers` slots; dropped at the end."""
    airflow = str(Path(sys.executable).with_name("airflow"))
    psql(f"drop database if exists {database}")
    psql(f"create database {database}")
    try:
        subprocess.run(
            [airflow, "db", "migrate"], env=env, check=True, capture_output=True, timeout=600
        )
        subprocess.run(
            [airflow, "pools", "set", "warehouse_writer", str(writers), "the warehouse's writers"],
            env=env,
            check=True,
            capture_output=True,
            timeout=120,
        )
        yield
    finally:
        psql(f"drop database if exists {database} with (force)")


@contextmanager
def airflow_processes(
    commands: dict[str, list[str]], env: dict[str, str], logs: Path
) -> Iterator[None]:
    """Airflow's processes (name -> the arguments of `airflow`), each logging to `logs`/<name>.log.

    Each runs in a process group of its own, and the whole group is stopped at the end: a
    Celery worker's pool processes would otherwise outlive it, still listening to the broker.
    """
    airflow = str(Path(sys.executable).with_name("airflow"))
    processes = []
    log_files = []
    try:
        for name, command in commands.items():
            log = (logs / f"{name}.log").open("w")
            log_files.append(log)
            processes.append(
                subprocess.Popen(
                    [airflow, *command],
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )
        yield
    finally:
        for process in processes:
            os.killpg(process.pid, signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        for log in log_files:
            log.close()
