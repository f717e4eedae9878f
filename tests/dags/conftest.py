"""Airflow for the DAG tests: its own AIRFLOW_HOME with SQLite metadata, this dags/ folder."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

DAGS = Path(__file__).resolve().parents[2] / "dags"
HOME = Path(tempfile.mkdtemp(prefix="loyalty-airflow-"))
os.environ.update(
    {
        "AIRFLOW_HOME": str(HOME),
        "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__UNIT_TEST_MODE": "True",
    }
)
sys.path.insert(0, str(DAGS))


@pytest.fixture(scope="session")
def airflow_db() -> Path:
    """A migrated SQLite metadata database with the writer pool."""
    airflow = Path(sys.executable).with_name("airflow")
    subprocess.run([str(airflow), "db", "migrate"], check=True, capture_output=True, timeout=600)
    subprocess.run(
        [str(airflow), "pools", "set", "warehouse_writer", "1", "one writer"],
        check=True,
        capture_output=True,
        timeout=120,
    )
    return HOME
