"""Action lists: detractors to call back and customers at risk, without personal free text."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from pipelines.actions import export_actions
from pipelines.config import Settings
from tests.conftest import loyalty, run, write_entity

PLANTED = "call me back: jane.doe@example.com, +49 170 1234567, nothing works"


@pytest.fixture
def loop(settings: Settings) -> Settings:
    """Three detractors on 1-3 March 2025, as_of 10 March: K1 called back, K2 and K3 waiting."""
    write_entity(
        settings.landing,
        "responses",
        "responses.csv",
        [
            {
                "response_id": f"D{i}",
                "customer_id": f"K{i}",
                "responded_at": f"2025-03-0{i}T10:00:00Z",
                "nps_score": 2,
                "comment": PLANTED,
            }
            for i in (1, 2, 3)
        ],
    )
    write_entity(
        settings.landing,
        "events",
        "events.csv",
        [
            {
                "event_id": "O1",
                "customer_id": "K1",
                "occurred_at": "2025-03-01T15:00:00Z",
                "event_type": "outreach",
            }
        ],
    )
    write_entity(
        settings.landing,
        "orders",
        "orders.csv",
        [
            {
                "order_id": f"O{i}",
                "customer_id": f"K{i}",
                "ordered_at": "2025-02-01T10:00:00Z",
                "net_amount": "10",
            }
            for i in (1, 2, 3)
        ],
    )
    run(settings, "ingest", "validate", "build", as_of="2025-03-10T10:00:00Z")
    return settings


def test_the_detractor_list_names_who_waits_longest_without_free_text(
    loop: Settings, tmp_path: Path
) -> None:
    result = loyalty("actions", "detractors", "--warehouse", str(loop.warehouse), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [(r["customer_id"], r["waiting_hours"]) for r in rows] == [
        ("K2", "192.0"),
        ("K3", "168.0"),
    ]
    for fragment in ("@", "jane", "1234567", "nothing works"):
        assert fragment not in result.stdout


def test_json_limit_and_file(loop: Settings, tmp_path: Path) -> None:
    target = tmp_path / "detractors.json"
    result = loyalty(
        "actions",
        "detractors",
        "--limit",
        "1",
        "--format",
        "json",
        "--out",
        str(target),
        "--warehouse",
        str(loop.warehouse),
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert [r["customer_id"] for r in json.loads(target.read_text())] == ["K2"]


def test_an_unknown_list_is_refused_in_one_line(loop: Settings, tmp_path: Path) -> None:
    result = loyalty("actions", "vips", "--warehouse", str(loop.warehouse), cwd=tmp_path)
    assert result.returncode == 2
    assert "unknown list 'vips': choose at-risk or detractors" in result.stderr


def test_the_exports_hold_both_lists(loop: Settings, tmp_path: Path) -> None:
    settings = loop.with_overrides(exports=tmp_path / "exports")
    written = export_actions(settings)
    assert [p.name for p in written] == ["at-risk.csv", "detractors.csv"]
    header = written[0].read_text().splitlines()[0]
    assert header.startswith("customer_id,risk_band,p_alive")
    assert "@" not in written[1].read_text()
