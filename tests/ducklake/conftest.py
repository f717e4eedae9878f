"""DuckLake warehouses for the tests: a fresh catalog database in the local PostgreSQL each."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from pipelines.config import ENVIRONMENT, PROJECT_ROOT, Settings
from tests.conftest import require_service

POSTGRES = "host=127.0.0.1 port=5432 user=postgres"


@pytest.fixture
def lake_catalog() -> Iterator[str]:
    """The conninfo of a new, empty PostgreSQL database, dropped after the test."""
    require_service("PostgreSQL", "127.0.0.1", 5432)
    name = f"loyalty_lake_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(f"{POSTGRES} dbname=postgres", autocommit=True) as pg:
        pg.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
    yield f"dbname={name} {POSTGRES}"
    with psycopg.connect(f"{POSTGRES} dbname=postgres", autocommit=True) as pg:
        pg.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))


@pytest.fixture
def lake_settings(settings: Settings, tmp_path: Path, lake_catalog: str) -> Settings:
    """The test's settings on a DuckLake: catalog in PostgreSQL, data in a temporary folder."""
    return settings.with_overrides(
        warehouse_backend="ducklake",
        ducklake_catalog=lake_catalog,
        ducklake_data_path=str(tmp_path / "lake"),
    )


def environment(settings: Settings) -> dict[str, str]:
    """The settings as the LOYALTY_* variables a worker process reads."""
    fields = (
        "landing",
        "warehouse",
        "reports",
        "settle_seconds",
        "warehouse_backend",
        "ducklake_catalog",
        "ducklake_data_path",
        "s3_endpoint",
        "s3_key_id",
        "s3_secret",
    )
    return {ENVIRONMENT[f]: str(getattr(settings, f)) for f in fields if getattr(settings, f) != ""}


def worker(settings: Settings, *args: str) -> subprocess.Popen[str]:
    """A process of tests/ducklake/workers.py (ingest or read) on the settings' lake."""
    return subprocess.Popen(
        [sys.executable, "-m", "tests.ducklake.workers", *args],
        cwd=PROJECT_ROOT,
        env={**os.environ, **environment(settings)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
