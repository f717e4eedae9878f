"""config/targets.yaml: the repository's file loads; typos and unknown metrics get a clear message."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.alerts.targets import Target, load_targets
from pipelines.config import TARGETS_FILE
from pipelines.errors import LoyaltyError
from tests.conftest import loyalty


def targets_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "targets.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_repository_targets_load() -> None:
    targets = load_targets(TARGETS_FILE)
    assert Target("retention_rate", ">=", 0.95) in targets.targets
    assert Target("nps", ">=", 20.0) in targets.targets
    assert Target("competitor_switching_rate", "<=", 0.005) in targets.targets
    assert targets.retention_drop_pp == 2.0


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "targets:\n  - metric: retention\n    direction: '>='\n    value: 0.9\n",
            "targets entry 1: unknown metric 'retention'; did you mean 'retention_rate'?",
        ),
        (
            "targets:\n  - metirc: nps\n    direction: '>='\n    value: 20\n",
            "targets entry 1: unknown key 'metirc'; did you mean 'metric'?",
        ),
        (
            "targest:\n  - metric: nps\n",
            "unknown key 'targest'; did you mean 'targets'?",
        ),
        (
            "targets:\n  - metric: revenue\n    direction: '>='\n    value: 1\n",
            "unknown metric 'revenue'; allowed: retention_rate, switching_rate",
        ),
        (
            "targets:\n  - metric: retention_rate\n    direction: '>='\n    value: 95\n",
            "retention_rate is a fraction from 0 to 1, got 95.0 (write 0.95 for 95 %)",
        ),
        (
            "targets:\n  - metric: nps\n    direction: '>'\n    value: 20\n",
            "direction must be '>=' (at least) or '<=' (at most), got '>'",
        ),
        (
            "targets:\n  - metric: nps\n    direction: '>='\n",
            "targets entry 1 lacks value",
        ),
        (
            "targets:\n  - metric: nps\n    direction: '>='\n    value: twenty\n",
            "targets entry 1: value must be a number, got 'twenty'",
        ),
        (
            "targets:\n  - {metric: nps, direction: '>=', value: 20}\n"
            "  - {metric: nps, direction: '>=', value: 30}\n",
            "nps has two targets; keep one",
        ),
        (
            "targets:\n  - {metric: nps, direction: '>=', value: 20, severity: critcal}\n",
            "severity must be warning or critical, got 'critcal'; did you mean 'critical'?",
        ),
        (
            "rules:\n  retention_drop: 2\n",
            "unknown key 'retention_drop'; did you mean 'retention_drop_pp'?",
        ),
        (
            "rules:\n  retention_drop_pp: 0\n",
            "retention_drop_pp is in percentage points, more than 0",
        ),
    ],
)
def test_a_mistake_is_named_with_a_fix(tmp_path: Path, text: str, message: str) -> None:
    path = targets_file(tmp_path, text)
    with pytest.raises(LoyaltyError) as caught:
        load_targets(path)
    assert str(path) in str(caught.value)
    assert message in str(caught.value)


def test_an_empty_file_means_no_targets(tmp_path: Path) -> None:
    targets = load_targets(targets_file(tmp_path, "# no targets yet\n"))
    assert targets.targets == ()
    assert targets.retention_drop_pp == 2.0


def test_a_broken_targets_file_stops_the_build_with_one_line(tmp_path: Path) -> None:
    path = targets_file(
        tmp_path, "targets:\n  - {metric: retention, direction: '>=', value: 0.9}\n"
    )
    result = loyalty(
        "build",
        cwd=tmp_path,
        env={"LOYALTY_TARGETS": str(path), "LOYALTY_WAREHOUSE": str(tmp_path / "w.duckdb")},
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert (
        f"error: {path}: targets entry 1: unknown metric 'retention'; did you mean 'retention_rate'?"
        in " ".join(result.stderr.split())
    )
