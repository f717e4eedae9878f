"""Settings in one place: only pipelines/config.py reads the environment, .env.example lists it all."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pipelines.config import ENVIRONMENT, SOURCE_VARIABLES, settings_from_env
from pipelines.deploy_secrets import read_env_file
from pipelines.errors import LoyaltyError

ROOT = Path(__file__).resolve().parent.parent
READS_ENVIRONMENT = re.compile(r"os\.environ|os\.getenv|getenv\(")
# The settings object, and the deployment's secrets gate, which checks docker-compose's
# environment before anything starts (it reads no setting of the pipeline).
READERS = {"pipelines/config.py", "pipelines/deploy_secrets.py"}
VARIABLE = re.compile(r"\"((?:LOYALTY|AWS)_[A-Z0-9_]+)\"")


def python_files() -> list[Path]:
    return sorted([*(ROOT / "pipelines").rglob("*.py"), *(ROOT / "dags").rglob("*.py")])


@pytest.mark.parametrize("path", python_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_only_the_settings_read_the_environment(path: Path) -> None:
    relative = str(path.relative_to(ROOT))
    if relative not in READERS:
        assert not READS_ENVIRONMENT.search(path.read_text()), (
            f"{relative} reads the environment: add the variable to pipelines/config.py"
        )


def test_every_variable_read_is_in_the_example_file() -> None:
    example = read_env_file((ROOT / ".env.example").read_text())
    read = {*ENVIRONMENT.values(), *SOURCE_VARIABLES.values(), "LOYALTY_DEBUG"}
    read |= set(VARIABLE.findall((ROOT / "pipelines" / "alerts" / "settings.py").read_text()))
    assert read - set(example) == set()


def test_the_alert_destinations_are_part_of_the_settings() -> None:
    settings = settings_from_env(
        {"LOYALTY_ALERT_EMAIL_TO": "ops@example.com", "LOYALTY_SOURCE_SHOP": "s3://exports/shop"}
    )
    assert settings.alerts.email_to == ("ops@example.com",)
    assert settings.sources == {"shop": "s3://exports/shop"}
    with pytest.raises(LoyaltyError, match="LOYALTY_ALERT_EMAIL_TO: 'nobody' is not an e-mail"):
        settings_from_env({"LOYALTY_ALERT_EMAIL_TO": "nobody"})


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("LOYALTY_OUTCOME_DAYS", "0", "LOYALTY_OUTCOME_DAYS must be a whole number of days from 1"),
        ("LOYALTY_REDIS_CHANNEL_PREFIX", "a b", "LOYALTY_REDIS_CHANNEL_PREFIX must be letters"),
        ("LOYALTY_DUCKDB_MEMORY_LIMIT", "lots", "LOYALTY_DUCKDB_MEMORY_LIMIT must be a size"),
    ],
)
def test_a_bad_setting_names_its_variable(variable: str, value: str, message: str) -> None:
    with pytest.raises(LoyaltyError, match=message):
        settings_from_env({variable: value})
