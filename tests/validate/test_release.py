"""A critical quarantine blocks the build until the file is replaced or a person releases it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from pipelines.config import Settings
from pipelines.errors import LoyaltyError
from pipelines.validate.gate import ValidationFailed
from pipelines.validate.release import Release, release_file
from tests.conftest import fetch, order, run, write_entity


@pytest.fixture
def blocked(settings: Settings) -> Settings:
    """Five good orders in the marts, then orders_2.csv quarantined for a negative amount."""
    write_entity(settings.landing, "orders", "orders_1.csv", [order(i) for i in range(5)])
    run(settings)
    write_entity(settings.landing, "orders", "orders_2.csv", [order(10), order(11, net="-5.00")])
    with pytest.raises(ValidationFailed):
        run(settings)
    return settings


def release(
    settings: Settings, name: str, exclude: bool = False, reason: str = "checked"
) -> Release:
    con = duckdb.connect(str(settings.warehouse))
    try:
        return release_file(con, name, reason, "alice", exclude)
    finally:
        con.close()


def purchases(settings: Settings) -> int:
    return fetch(settings, "select sum(purchases) from marts.kpi_monthly")[0][0]


def test_accepting_a_file_lets_its_rows_into_the_marts_and_is_recorded(blocked: Settings) -> None:
    done = release(blocked, "orders_2.csv", reason="refunds booked as orders, agreed with shop")
    run(blocked)
    assert done.decision == "accepted"
    assert purchases(blocked) == 7
    assert fetch(
        blocked,
        "select file_name, decision, reason, released_by, quarantine_reason like 'orders_2.csv: %' "
        "from audit.releases",
    ) == [("orders_2.csv", "accepted", "refunds booked as orders, agreed with shop", "alice", True)]


def test_excluding_a_file_lets_the_build_go_on_without_its_rows(blocked: Settings) -> None:
    release(blocked, str(blocked.landing / "shop/orders/orders_2.csv"), exclude=True)
    write_entity(blocked.landing, "orders", "orders_3.csv", [order(20)])
    run(blocked)
    assert purchases(blocked) == 6
    assert fetch(blocked, "select status from audit.files where file_name = 'orders_2.csv'") == [
        ("quarantined",)
    ]


def test_a_corrected_delivery_under_the_same_name_replaces_the_quarantined_file(
    blocked: Settings,
) -> None:
    write_entity(blocked.landing, "orders", "orders_2.csv", [order(10), order(11, net="5.00")])
    run(blocked)
    assert purchases(blocked) == 7
    with pytest.raises(LoyaltyError, match="not quarantined"):
        release(blocked, "orders_2.csv")


def test_only_a_validation_quarantine_can_be_released(blocked: Settings) -> None:
    (blocked.landing / "shop/returns").mkdir(parents=True)
    (blocked.landing / "shop/returns/returns_1.csv").write_bytes(b"")
    run(blocked, "ingest")
    with pytest.raises(LoyaltyError, match="nothing to release: deliver a corrected file"):
        release(blocked, "returns_1.csv")
    with pytest.raises(LoyaltyError, match="not quarantined"):
        release(blocked, "orders_1.csv")
    with pytest.raises(LoyaltyError, match=r"no file named nope\.csv"):
        release(blocked, "nope.csv")
    with pytest.raises(LoyaltyError, match="say why"):
        release(blocked, "orders_2.csv", reason="  ")


def test_the_cli_releases_and_status_shows_the_failures(blocked: Settings) -> None:
    loyalty = str(Path(sys.executable).parent / "loyalty")
    env = {"PATH": "/usr/bin:/bin", "LOYALTY_WAREHOUSE": str(blocked.warehouse), "COLUMNS": "250"}
    status = subprocess.run(
        [loyalty, "status"], capture_output=True, text=True, env=env, check=False
    )
    assert status.returncode == 0, status.stderr
    assert "failures of the last 7 days" in status.stdout
    assert "blocks the build" in status.stdout
    released = subprocess.run(
        [loyalty, "release", "orders_2.csv", "--reason", "refunds, agreed", "--by", "bob"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert released.returncode == 0, released.stderr
    assert "(accepted by bob): its rows reach the marts at the next build" in released.stdout
    again = subprocess.run(
        [loyalty, "release", "orders_2.csv", "--reason", "twice"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert again.returncode == 1
    assert "is not quarantined (status validated)" in again.stderr
