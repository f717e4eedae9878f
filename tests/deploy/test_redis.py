"""Redis as docker-compose.yml starts it: without its password nobody gets in."""

from __future__ import annotations

import os
import stat
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from tests.conftest import compose, free_port, require_tool

PASSWORD = "rd-Hj3kL8pQ2wE6rT9yU4iO7aSd"


def unescaped(text: str, conf: Path, port: int) -> str:
    """A compose shell command as the container's shell sees it, with this test's file and port."""
    return (
        text.replace("$$", "$")
        .replace("/tmp/redis.conf", str(conf))
        .replace("redis-cli ", f"redis-cli -p {port} ")
    )


@pytest.fixture
def compose_redis(tmp_path: Path) -> Iterator[tuple[int, Path]]:
    """redis-server started by the compose service's own command, on a free local port."""
    require_tool("redis-server")
    port = free_port()
    conf = tmp_path / "redis.conf"
    command = compose()["services"]["redis"]["command"]
    assert command[:2] == ["sh", "-c"]
    script = unescaped(command[2], conf, port) + f" --port {port} --bind 127.0.0.1 --save ''"
    server = subprocess.Popen(
        ["sh", "-c", script],
        env={**os.environ, "REDIS_PASSWORD": PASSWORD},
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 20
        while not redis_answers(port) and time.monotonic() < deadline:
            time.sleep(0.1)
        yield port, conf
    finally:
        server.terminate()
        server.wait(timeout=20)


def redis_answers(port: int) -> bool:
    try:
        redis.Redis(port=port, socket_timeout=1).ping()
    except redis.AuthenticationError:
        return True
    except redis.ConnectionError:
        return False
    return True


def test_redis_refuses_clients_without_the_password(compose_redis: tuple[int, Path]) -> None:
    port, conf = compose_redis
    with pytest.raises(redis.AuthenticationError, match="Authentication required"):
        redis.Redis(port=port).ping()
    with pytest.raises(redis.AuthenticationError):
        redis.Redis(port=port, password="change-me").ping()
    broker_url = compose()["x-airflow-common"]["environment"]["AIRFLOW__CELERY__BROKER_URL"]
    local_url = broker_url.replace("${REDIS_PASSWORD}", PASSWORD).replace(
        "@redis:6379", f"@127.0.0.1:{port}"
    )
    assert redis.Redis.from_url(local_url).ping() is True
    assert stat.S_IMODE(conf.stat().st_mode) == 0o600


def test_the_health_check_authenticates(compose_redis: tuple[int, Path]) -> None:
    port, conf = compose_redis
    test = compose()["services"]["redis"]["healthcheck"]["test"]
    assert test[0] == "CMD-SHELL"
    check = unescaped(test[1], conf, port)
    healthy = subprocess.run(["sh", "-c", check], env={**os.environ, "REDIS_PASSWORD": PASSWORD})
    assert healthy.returncode == 0
    wrong = subprocess.run(
        ["sh", "-c", check],
        env={**os.environ, "REDIS_PASSWORD": "wrong"},
        capture_output=True,
    )
    assert wrong.returncode != 0
