"""The secrets gate: .env.example is refused, `make secrets` writes a .env that passes."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from pipelines.deploy_secrets import SECRETS, read_env_file, weak_secrets

ROOT = Path(__file__).resolve().parents[2]
STRONG = {
    "POSTGRES_PASSWORD": "pg-Xq7tR2mVw9LzK4nB8sYc1dHf",
    "REDIS_PASSWORD": "rd-Hj3kL8pQ2wE6rT9yU4iO7aSd",
    "AIRFLOW_FERNET_KEY": "nQ1Rm7y3o0WbNq5w8kVn4G2cJ6dZr9TqLx0hUa7sYfE=",
    "AIRFLOW_JWT_SECRET": "jwt-9fK2mQ7xL4vB8nR1tY6wE3hJ5cZ0aS",
    "AIRFLOW_API_SECRET_KEY": "api-4hG7kP1zX9mC6vB3nQ8wR2tY5uI0oL",
    "AIRFLOW_ADMIN_PASSWORD": "adm-Zx8Cv5Bn2Mq7Wl",
    "LOYALTY_PII_SALT": "salt-R4t6Y8u0I2o5P7",
    "AWS_SECRET_ACCESS_KEY": "s3-Vb7nM2kL9qW4eR8tY1uI5oP",
}


def check(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """The check exactly as the secrets-check service runs it, on `env` alone."""
    return subprocess.run(
        [sys.executable, "-m", "pipelines.deploy_secrets"],
        env={"PATH": os.environ["PATH"], "PYTHONPATH": str(ROOT), **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def write_secrets(target: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(ROOT / "scripts" / "write-secrets"), str(target)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )


def test_the_example_file_is_refused_with_what_to_do() -> None:
    result = check(read_env_file((ROOT / ".env.example").read_text()))
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    for secret in SECRETS:
        assert any(line.startswith(f"refusing to start: {secret.name} ") for line in lines)
    assert "refusing to start: POSTGRES_PASSWORD is a placeholder" in result.stderr
    assert "change-me" not in result.stderr
    assert lines[-1].startswith("to fix: run `make secrets`")


def test_make_secrets_writes_a_private_env_that_passes(tmp_path: Path) -> None:
    target = tmp_path / ".env"
    assert "new random values: POSTGRES_PASSWORD, REDIS_PASSWORD" in write_secrets(target).stdout
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    written = read_env_file(target.read_text())
    example = read_env_file((ROOT / ".env.example").read_text())
    assert set(written) == set(example)
    assert {k: v for k, v in written.items() if k not in STRONG} == {
        k: v for k, v in example.items() if k not in STRONG
    }
    result = check(written)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"secrets: all {len(SECRETS)} are set and strong"


def test_a_second_run_keeps_strong_secrets_and_replaces_only_weak_ones(tmp_path: Path) -> None:
    target = tmp_path / ".env"
    write_secrets(target)
    first = read_env_file(target.read_text())
    target.write_text(target.read_text().replace(first["REDIS_PASSWORD"], "short"))
    target.chmod(0o644)
    assert "new random values: REDIS_PASSWORD\n" in write_secrets(target).stdout
    second = read_env_file(target.read_text())
    assert {k: v for k, v in second.items() if k != "REDIS_PASSWORD"} == {
        k: v for k, v in first.items() if k != "REDIS_PASSWORD"
    }
    assert len(second["REDIS_PASSWORD"]) >= 24
    assert stat.S_IMODE(target.stat().st_mode) == 0o600


@pytest.mark.parametrize(
    ("name", "value", "reason"),
    [
        ("POSTGRES_PASSWORD", "", "is empty"),
        ("AIRFLOW_JWT_SECRET", "change-me", "is a placeholder"),
        ("REDIS_PASSWORD", "Pass-word", "is a placeholder"),
        ("AIRFLOW_API_SECRET_KEY", "please-change-this-to-something", "is a placeholder"),
        ("REDIS_PASSWORD", "Kq7-short-9", "has 11 characters; it needs at least 24"),
        ("AIRFLOW_ADMIN_PASSWORD", "abababababababababab", "repeats a few characters"),
        ("POSTGRES_PASSWORD", "pg:Xq7tR2mVw9LzK4nB8sYc1d@", "has characters that break"),
        ("AIRFLOW_FERNET_KEY", "not base64 at all, really!!", "is not URL-safe base64"),
        ("AIRFLOW_FERNET_KEY", "c2hvcnQta2V5LW9mLTI0LWJ5dGVzISEh", "decodes to 24 bytes"),
        ("LOYALTY_PII_SALT", STRONG["AIRFLOW_ADMIN_PASSWORD"], "is the same as AIRFLOW_ADMIN"),
    ],
)
def test_each_weakness_is_named(name: str, value: str, reason: str) -> None:
    weak = weak_secrets({**STRONG, name: value})
    assert list(weak) == [name]
    assert weak[name].startswith(reason)
    assert not value or value not in weak[name], "a secret never goes into a log line"


def test_the_strong_example_values_pass() -> None:
    assert weak_secrets(STRONG) == {}
