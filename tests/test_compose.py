"""docker-compose.yml without a Docker engine: the Compose schema, every name it uses exists,
and what keeps it safe by default (secrets gate, passwords, published ports, memory limits)."""

from __future__ import annotations

import re
import subprocess
import sys

from tests.conftest import AIRFLOW_SERVICES, COMPOSE, ROOT, compose


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
    always = {name for name, service in services.items() if "profiles" not in service}
    assert always == {"secrets-check", "postgres", "redis"} | AIRFLOW_SERVICES
    for name, service in services.items():
        if not name.endswith("-init") and name != "secrets-check":
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
    for source in re.findall(r"^COPY --chown=airflow:root ([\w/-]+) ", dockerfile, re.M):
        assert (ROOT / source).exists(), source


def depends_on(service: dict) -> dict:
    return service.get("depends_on", {})


def upstream(services: dict, name: str) -> set[str]:
    """Every service `name` waits for, directly or through others."""
    direct = set(depends_on(services[name]))
    return direct.union(*(upstream(services, d) for d in direct)) if direct else set()


def test_nothing_starts_before_the_secrets_check_passes() -> None:
    from pipelines.deploy_secrets import SECRETS

    services = compose()["services"]
    check = services["secrets-check"]
    assert check["entrypoint"] == ["python", "-m", "pipelines.deploy_secrets"]
    assert depends_on(check) == {}
    assert check["environment"] == {s.name: f"${{{s.name}}}" for s in SECRETS}
    for name in set(services) - {"secrets-check"}:
        assert "secrets-check" in upstream(services, name), name
    for name in ("postgres", "redis"):
        assert depends_on(services[name])["secrets-check"] == {
            "condition": "service_completed_successfully"
        }


def test_only_the_api_server_publishes_a_port_and_only_on_loopback() -> None:
    services = compose()["services"]
    published = {name: s["ports"] for name, s in services.items() if "ports" in s}
    assert published == {"airflow-apiserver": ["127.0.0.1:8080:8080"]}
    assert "network_mode" not in str(services)


def test_logins_come_from_the_fab_auth_manager_and_no_default_password() -> None:
    data = compose()
    common = data["x-airflow-common"]["environment"]
    assert (
        common["AIRFLOW__CORE__AUTH_MANAGER"]
        == "airflow.providers.fab.auth_manager.fab_auth_manager.FabAuthManager"
    )
    assert "SIMPLE_AUTH_MANAGER" not in COMPOSE.read_text()
    assert common["AIRFLOW__API__SECRET_KEY"] == "${AIRFLOW_API_SECRET_KEY}"
    assert common["AIRFLOW__FAB__COOKIE_SECURE"] == "true"
    # .env reaches every container: the admin password is blanked for all but airflow-init.
    assert common["AIRFLOW_ADMIN_PASSWORD"] == ""
    for name, service in data["services"].items():
        password = service.get("environment", {}).get("AIRFLOW_ADMIN_PASSWORD", "")
        assert (password != "") == (name in ("airflow-init", "secrets-check")), name
    assert "/opt/loyalty/scripts/airflow-init" in str(data["services"]["airflow-init"]["command"])


def test_every_redis_url_carries_the_password() -> None:
    data = compose()
    common = data["x-airflow-common"]["environment"]
    urls = [v for v in common.values() if str(v).startswith("redis://")]
    assert len(urls) == 2
    assert all(url.startswith("redis://:${REDIS_PASSWORD}@redis:6379/") for url in urls)
    redis = data["services"]["redis"]
    assert redis["environment"] == {"REDIS_PASSWORD": "${REDIS_PASSWORD}"}
    assert redis["user"] == "redis"


def test_the_api_server_and_the_worker_have_memory_limits() -> None:
    services = compose()["services"]
    for name in ("airflow-apiserver", "airflow-worker"):
        memory = services[name]["deploy"]["resources"]["limits"]["memory"]
        assert re.fullmatch(r"\$\{AIRFLOW_[A-Z]+_MEMORY\}", memory), name
    example = (ROOT / ".env.example").read_text()
    for variable in ("AIRFLOW_APISERVER_MEMORY", "AIRFLOW_WORKER_MEMORY"):
        assert re.search(rf"^{variable}=\d+[mg]$", example, re.M), variable
