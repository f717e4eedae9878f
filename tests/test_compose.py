"""docker-compose.yml without a Docker engine: the Compose schema, and every name it uses exists."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import yaml

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


def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text())


def test_compose_file_follows_the_compose_specification() -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "check_jsonschema",
            "--builtin-schema",
            "vendor.compose-spec",
            str(COMPOSE),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_official_airflow_services_are_there_with_health_checks() -> None:
    services = compose()["services"]
    assert set(services) == {"postgres", "redis"} | AIRFLOW_SERVICES
    for name, service in services.items():
        if name != "airflow-init":
            assert "healthcheck" in service, name
        image = service.get("image", "")
        assert image and not image.endswith(":latest") and ":" in image, (
            f"{name} pins no image version"
        )


def test_every_volume_and_variable_it_names_exists() -> None:
    data = compose()
    declared = set(data["volumes"])
    for name, service in data["services"].items():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if not source.startswith("."):
                assert source in declared, (name, source)
            else:
                assert (ROOT / source).exists(), (name, source)
    example = (ROOT / ".env.example").read_text()
    defined = set(re.findall(r"^([A-Z_][A-Z0-9_]*)=", example, re.M))
    used = set(re.findall(r"(?<!\$)\$\{([A-Z_][A-Z0-9_]*)", COMPOSE.read_text()))
    assert used <= defined, f"not in .env.example: {sorted(used - defined)}"


def test_the_image_is_built_from_the_official_airflow_image_with_this_package() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert re.search(r"^FROM apache/airflow:3\.\d+\.\d+-python3\.11$", dockerfile, re.M)
    assert (
        "requirements.lock" in dockerfile
        and "pip install --no-cache-dir --no-deps -e /opt/loyalty" in dockerfile
    )
    for folder in re.findall(r"^COPY --chown=airflow:root (\w+) ", dockerfile, re.M):
        assert (ROOT / folder).exists(), folder
