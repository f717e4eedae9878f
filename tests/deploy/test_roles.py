"""Logins and roles as production has them: the real API server with the FAB auth manager.

The server runs on 127.0.0.1 (a free port) against a fresh PostgreSQL database, set up by
the deployment's own scripts/airflow-init with the auth settings of docker-compose.yml.
Every request and its response is printed (pytest -s) for the record.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import jwt
import psycopg
import pytest

from pipelines.deploy_secrets import SECRETS, new_value
from tests.conftest import compose, free_port, require_service

pytestmark = pytest.mark.services

ROOT = Path(__file__).resolve().parents[2]
AIRFLOW = Path(sys.executable).with_name("airflow")
DAG = "loyalty_report"
# The people of docs/security.md and the FAB role each gets.
USERS = {"analyst": "Viewer", "executive": "Viewer", "engineer": "User"}


@dataclass
class Api:
    """The running API server, the users' passwords, and every exchange so far."""

    base: str
    passwords: dict[str, str]
    transcript: list[str] = field(default_factory=list)
    tokens: dict[str, str] = field(default_factory=dict)

    def call(self, who: str, method: str, path: str, body: Any = None) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.tokens[who]}"} if who in self.tokens else {}
        response = httpx.request(method, self.base + path, json=body, headers=headers, timeout=60)
        sent = f" {json.dumps(body)}" if body is not None else ""
        self.transcript.append(
            f"{who:>9}: {method} {path}{sent} -> {response.status_code} {response.text[:110]}"
        )
        return response

    def log_in(self, who: str, password: str | None = None) -> httpx.Response:
        body = {"username": who, "password": password or self.passwords[who]}
        response = httpx.post(self.base + "/auth/token", json=body, timeout=60)
        self.transcript.append(
            f"{who:>9}: POST /auth/token (password {'given' if password is None else 'wrong'})"
            f" -> {response.status_code}"
            + (" access_token" if response.status_code == 201 else f" {response.text}")
        )
        if response.status_code == 201:
            self.tokens[who] = response.json()["access_token"]
        return response


def airflow_env(home: Path, database: str, port: int) -> dict[str, str]:
    """Airflow's settings: the auth settings of docker-compose.yml, local paths and services."""
    production = compose()["x-airflow-common"]["environment"]
    auth = {
        k: v
        for k, v in production.items()
        if k == "AIRFLOW__CORE__AUTH_MANAGER" or k.startswith("AIRFLOW__FAB__")
    }
    secret = {s.name: new_value(s) for s in SECRETS}
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")},
        **auth,
        "PATH": f"{AIRFLOW.parent}{os.pathsep}{os.environ['PATH']}",
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"postgresql+psycopg2://postgres@127.0.0.1:5432/{database}",
        "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "dags"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "false",
        "AIRFLOW__CORE__FERNET_KEY": secret["AIRFLOW_FERNET_KEY"],
        "AIRFLOW__API_AUTH__JWT_SECRET": secret["AIRFLOW_JWT_SECRET"],
        "AIRFLOW__API__SECRET_KEY": secret["AIRFLOW_API_SECRET_KEY"],
        "AIRFLOW__API__BASE_URL": f"http://127.0.0.1:{port}",
        "AIRFLOW_ADMIN_USER": "admin",
        "AIRFLOW_ADMIN_PASSWORD": secret["AIRFLOW_ADMIN_PASSWORD"],
        "LOYALTY_LANDING": str(home / "landing"),
    }


def postgres(statement: str) -> None:
    with psycopg.connect("host=127.0.0.1 port=5432 user=postgres dbname=postgres") as con:
        con.autocommit = True
        con.execute(statement)


def create_user(env: dict[str, str], name: str, role: str, password: str) -> None:
    """A login made the way scripts/airflow-init makes the admin: the password on standard input."""
    subprocess.run(
        [
            str(AIRFLOW),
            "users",
            "create",
            "-r",
            role,
            "-u",
            name,
            "-f",
            name,
            "-l",
            "Test",
            "-e",
            f"{name}@localhost",
        ],
        input=f"{password}\n{password}\n",
        env=env,
        start_new_session=True,
        check=True,
        capture_output=True,
        text=True,
        timeout=300,
    )


def wait_until_up(server: subprocess.Popen, base: str, seconds: float = 180) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError(f"the API server exited with {server.returncode}")
        try:
            if httpx.get(base + "/api/v2/version", timeout=5).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(1)
    raise AssertionError(f"the API server did not answer within {seconds} s")


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    require_service("PostgreSQL", "127.0.0.1", 5432)
    home = tmp_path_factory.mktemp("airflow-fab")
    database = f"loyalty_roles_{secrets.token_hex(6)}"
    port = free_port()
    env = airflow_env(home, database, port)
    postgres(f"create database {database}")
    server = None
    try:
        init = subprocess.run(
            [str(ROOT / "scripts" / "airflow-init")],
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert init.returncode == 0, init.stdout[-2000:] + init.stderr[-2000:]
        assert env["AIRFLOW_ADMIN_PASSWORD"] not in init.stdout + init.stderr
        subprocess.run(
            [str(AIRFLOW), "dags", "reserialize"], env=env, check=True, capture_output=True
        )
        passwords = {name: secrets.token_urlsafe(16) for name in USERS}
        for name, role in USERS.items():
            create_user(env, name, role, passwords[name])
        passwords["admin"] = env["AIRFLOW_ADMIN_PASSWORD"]
        server = subprocess.Popen(
            [str(AIRFLOW), "api-server", "--host", "127.0.0.1", "--port", str(port), "-w", "1"],
            env=env,
            stdout=(home / "api-server.log").open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        base = f"http://127.0.0.1:{port}"
        wait_until_up(server, base)
        api = Api(base, passwords)
        yield api
        print("\n" + "\n".join(api.transcript))
    finally:
        if server is not None:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=60)
        postgres(f"drop database if exists {database} with (force)")


def test_anonymous_and_forged_requests_are_refused(api: Api) -> None:
    assert api.call("anonymous", "GET", "/api/v2/version").status_code == 200
    assert api.call("anonymous", "GET", "/api/v2/dags/~/dagRuns").status_code == 401
    assert api.call("anonymous", "POST", f"/api/v2/dags/{DAG}/dagRuns", {}).status_code == 401
    assert (
        api.call("anonymous", "PATCH", f"/api/v2/dags/{DAG}", {"is_paused": True}).status_code
        == 401
    )
    assert api.log_in("analyst", password="change-me").status_code == 401
    claims = {"sub": "1", "iat": int(time.time()), "exp": int(time.time()) + 600}
    api.tokens["forged"] = jwt.encode(claims, secrets.token_bytes(64), algorithm="HS512")
    forged = api.call("forged", "GET", "/api/v2/dags/~/dagRuns")
    assert forged.status_code == 403 and forged.json() == {"detail": "Invalid JWT token"}


@pytest.mark.parametrize("reader", ["analyst", "executive"])
def test_readers_list_dag_runs_but_cannot_trigger_clear_or_pause(api: Api, reader: str) -> None:
    assert api.log_in(reader).status_code == 201
    runs = api.call(reader, "GET", "/api/v2/dags/~/dagRuns")
    assert runs.status_code == 200 and "dag_runs" in runs.json()
    assert api.call(reader, "GET", f"/api/v2/dags/{DAG}").status_code == 200
    attempts = [
        ("POST", f"/api/v2/dags/{DAG}/dagRuns", {"logical_date": None}),
        ("POST", f"/api/v2/dags/{DAG}/clearTaskInstances", {"dry_run": False}),
        ("PATCH", f"/api/v2/dags/{DAG}", {"is_paused": True}),
        ("GET", "/api/v2/connections", None),
        ("GET", "/api/v2/variables", None),
    ]
    for method, path, body in attempts:
        assert api.call(reader, method, path, body).status_code == 403, (method, path)


def test_an_engineer_operates_dags_but_reads_no_connections(api: Api) -> None:
    assert api.log_in("engineer").status_code == 201
    triggered = api.call("engineer", "POST", f"/api/v2/dags/{DAG}/dagRuns", {"logical_date": None})
    assert triggered.status_code == 200
    run_id = triggered.json()["dag_run_id"]
    listed = api.call("engineer", "GET", f"/api/v2/dags/{DAG}/dagRuns")
    assert run_id in [run["dag_run_id"] for run in listed.json()["dag_runs"]]
    cleared = api.call(
        "engineer",
        "POST",
        f"/api/v2/dags/{DAG}/clearTaskInstances",
        {"dry_run": False, "dag_run_id": run_id},
    )
    assert cleared.status_code == 200
    paused = api.call("engineer", "PATCH", f"/api/v2/dags/{DAG}", {"is_paused": True})
    assert paused.status_code == 200 and paused.json()["is_paused"] is True
    assert api.call("engineer", "PATCH", f"/api/v2/dags/{DAG}", {"is_paused": False}).is_success
    assert api.call("engineer", "GET", "/api/v2/connections").status_code == 403


def test_the_first_admin_logs_in_with_the_secret(api: Api) -> None:
    assert api.log_in("admin").status_code == 201
    assert api.call("admin", "GET", "/api/v2/connections").status_code == 200
    assert api.log_in("admin", password="admin").status_code == 401
