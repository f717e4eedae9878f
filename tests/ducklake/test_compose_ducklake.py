"""The DuckLake profile of docker-compose.yml, checked without a Docker engine."""

from __future__ import annotations

import os
import re
import subprocess
import uuid

import psycopg
import pytest
from psycopg import sql

from pipelines.config import settings_from_env
from pipelines.warehouse import warehouse_of
from pipelines.warehouse_ducklake import Lake
from tests.conftest import AIRFLOW_SERVICES, ROOT, compose, require_service, require_tool
from tests.ducklake.conftest import POSTGRES

LAKE_SERVICES = {"minio", "lake-catalog-init", "lake-bucket-init"}


def example_env() -> dict[str, str]:
    text = (ROOT / ".env.example").read_text()
    return dict(re.findall(r"^([A-Z_][A-Z0-9_]*)=(.*)$", text, re.M))


def interpolated(value: str, env: dict[str, str]) -> str:
    """What Compose makes of a value: ${VAR} from .env, $$ a literal $."""
    value = re.sub(r"(?<!\$)\$\{([A-Z_][A-Z0-9_]*)\}", lambda m: env[m.group(1)], value)
    return value.replace("$$", "$")


def test_the_profile_runs_the_lake_services_only_when_asked() -> None:
    services = compose()["services"]
    assert {n for n, s in services.items() if s.get("profiles") == ["ducklake"]} == LAKE_SERVICES
    assert "ports" not in services["minio"]
    assert "healthcheck" in services["minio"]
    assert "secrets-check" in services["minio"]["depends_on"]
    for name in AIRFLOW_SERVICES:
        waits = services[name]["depends_on"]
        for init in ("lake-catalog-init", "lake-bucket-init"):
            assert waits[init] == {
                "condition": "service_completed_successfully",
                "required": False,
            }, name


def test_the_workers_settings_choose_a_valid_ducklake_in_minio() -> None:
    env = {**example_env(), "LOYALTY_WAREHOUSE_BACKEND": "ducklake"}
    env["AWS_SECRET_ACCESS_KEY"] = "a-long-enough-secret-for-minio"
    common = compose()["x-airflow-common"]["environment"]
    worker_env = {
        k: interpolated(str(v), env)
        for k, v in common.items()
        if k.startswith(("LOYALTY_", "AWS_"))
    }
    lake = warehouse_of(settings_from_env(worker_env))
    assert isinstance(lake, Lake)
    assert lake.data_folder == "s3://loyalty-lake/warehouse/"
    assert lake.s3_endpoint == "http://minio:9000"
    assert lake.catalog == "dbname=loyalty_lake host=postgres user=airflow"
    assert "password" not in lake.catalog
    assert common["PGPASSWORD"] == "${POSTGRES_PASSWORD}"
    minio = compose()["services"]["minio"]["environment"]
    assert minio == {
        "MINIO_ROOT_USER": "${AWS_ACCESS_KEY_ID}",
        "MINIO_ROOT_PASSWORD": "${AWS_SECRET_ACCESS_KEY}",
    }


@pytest.mark.services
def test_the_catalog_init_command_creates_the_database_once() -> None:
    require_service("PostgreSQL", "127.0.0.1", 5432)
    require_tool("psql")
    service = compose()["services"]["lake-catalog-init"]
    name = f'loyalty lake "{uuid.uuid4().hex[:8]}"'  # quotes and a space: %I quotes them
    env = {
        **os.environ,
        "PGHOST": "127.0.0.1",
        "POSTGRES_USER": "postgres",
        "POSTGRES_DB": "postgres",
        "LOYALTY_DUCKLAKE_DATABASE": name,
    }
    command = [interpolated(part, {}) for part in service["command"]]
    try:
        for _ in range(2):
            done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
            assert done.returncode == 0, done.stderr
        with psycopg.connect(f"{POSTGRES} dbname=postgres") as pg:
            found = pg.execute("select count(*) from pg_database where datname = %s", [name])
            assert found.fetchone() == (1,)
    finally:
        with psycopg.connect(f"{POSTGRES} dbname=postgres", autocommit=True) as pg:
            pg.execute(sql.SQL("drop database if exists {}").format(sql.Identifier(name)))
