"""One test per check of our own: derived-column expectations and the cross-table SQL checks."""

from __future__ import annotations

from datetime import UTC, datetime

import duckdb
import pandas as pd
import pytest

from pipelines.config import SQL_DIR, Settings
from pipelines.validate.gx_runner import apply_mostly, validate_frame
from pipelines.validate.suites import load_suite
from tests.conftest import fetch_dicts, run, write_entity


def net_difference_check(frame: pd.DataFrame) -> bool:
    specs = [
        s for s in load_suite("orders", datetime.now(UTC), "EUR") if s.column == "_net_difference"
    ]
    (result,) = validate_frame("orders", frame, specs)
    apply_mostly(specs[0], result)
    return result.success


def test_net_equals_gross_minus_discount_within_a_cent_mostly() -> None:
    good = pd.DataFrame({"_net_difference": [0.0] * 199 + [0.5]})
    bad = pd.DataFrame({"_net_difference": [0.0] * 95 + [2.0] * 5})
    rounding = pd.DataFrame({"_net_difference": [0.01, -0.01, 0.0, None]})
    assert net_difference_check(good) is True
    assert net_difference_check(bad) is False
    assert net_difference_check(rounding) is True


@pytest.mark.parametrize("zone", ["UTC", "Europe/Berlin"])
def test_resolution_hours_are_the_time_that_passed_in_any_session_zone(zone: str) -> None:
    con = duckdb.connect()
    con.execute(f"set TimeZone = '{zone}'")
    con.execute(
        "create schema raw; create table raw.events as select * from (values "
        "(1, 1, null, timestamptz '2025-03-29 12:00:00+01', timestamptz '2025-03-30 12:00:00+02'),"
        "(1, 2, null, timestamptz '2025-10-26 02:40:00+02', timestamptz '2025-10-26 02:10:00+01'),"
        "(1, 3, null, timestamptz '2025-01-02 10:00:00+00', timestamptz '2025-01-02 09:30:00+00'),"
        "(1, 4, null, timestamptz '2025-01-02 10:00:00+00', null)"
        ") as t(_file_id, _record, _extra, occurred_at, resolved_at)"
    )
    sql = (SQL_DIR / "validation" / "batch_events.sql").read_text()
    hours = con.execute(sql, {"file_ids": [1]}).fetchall()
    assert [row[-1] for row in hours] == [23.0, 0.5, -0.5, None]


def check(settings: Settings, file_name: str, expectation: str) -> dict[str, object]:
    rows = fetch_dicts(
        settings,
        "select r.* from audit.validation_results r join audit.files f using (file_id)"
        f" where f.file_name = '{file_name}' and r.expectation = '{expectation}'",
    )
    assert len(rows) == 1, rows
    return rows[0]


def test_unknown_customers_are_not_checked_without_a_crm(settings: Settings) -> None:
    write_entity(
        settings.landing,
        "orders",
        "orders.csv",
        [{"order_id": "O1", "customer_id": "C1", "ordered_at": "2025-01-01", "net_amount": "1"}],
    )
    run(settings)
    result = check(settings, "orders.csv", "expect_customer_ids_known_to_crm")
    assert (result["success"], result["observed_value"]) == (
        True,
        "no CRM customers loaded: not checked",
    )


def test_a_key_redelivered_with_other_values_is_a_warning(settings: Settings) -> None:
    event = {
        "event_id": "E1",
        "customer_id": "C1",
        "occurred_at": "2025-01-01T10:00:00Z",
        "event_type": "complaint",
    }
    write_entity(settings.landing, "events", "events_1.csv", [event])
    run(settings)
    write_entity(
        settings.landing, "events", "events_2.csv", [{**event, "event_type": "support_contact"}]
    )
    write_entity(settings.landing, "events", "events_3.csv", [event, {**event, "event_id": "E2"}])
    run(settings)
    changed = check(settings, "events_2.csv", "expect_event_id_not_redelivered_with_other_values")
    same = check(settings, "events_3.csv", "expect_event_id_not_redelivered_with_other_values")
    assert (changed["success"], changed["unexpected_count"], changed["unexpected_examples"]) == (
        False,
        1,
        '["E1"]',
    )
    assert (same["success"], same["unexpected_count"]) == (False, 1)


def test_volume_far_from_the_recent_median_is_a_warning(settings: Settings) -> None:
    def orders(month: int, count: int) -> list[dict[str, object]]:
        return [
            {
                "order_id": f"O{month}-{i}",
                "customer_id": "C1",
                "ordered_at": f"2025-{month:02d}-01",
                "net_amount": "1",
            }
            for i in range(count)
        ]

    for month in (1, 2, 3):
        write_entity(settings.landing, "orders", f"orders_{month}.csv", orders(month, 10))
        run(settings, "ingest", "validate")
    write_entity(settings.landing, "orders", "orders_4.csv", orders(4, 12))
    write_entity(settings.landing, "orders", "orders_5.csv", orders(5, 100))
    run(settings, "ingest", "validate")
    assert (
        check(settings, "orders_1.csv", "expect_batch_volume_near_recent_median")["success"] is True
    )
    assert (
        check(settings, "orders_4.csv", "expect_batch_volume_near_recent_median")["success"] is True
    )
    big = check(settings, "orders_5.csv", "expect_batch_volume_near_recent_median")
    assert big["success"] is False
    assert big["observed_value"] == "100 rows; recent median 10.0 over 4 files"


def test_survey_gaming_jump_against_the_month_before(settings: Settings) -> None:
    def responses(month: int, tens: int) -> list[dict[str, object]]:
        return [
            {
                "response_id": f"R{month}-{i}",
                "responded_at": f"2025-{month:02d}-10",
                "touchpoint": "support",
                "nps_score": 10 if i < tens else 7,
            }
            for i in range(40)
        ]

    write_entity(settings.landing, "responses", "responses_1.csv", responses(1, 8))
    run(settings, "ingest", "validate")
    write_entity(settings.landing, "responses", "responses_2.csv", responses(2, 24))
    run(settings, "ingest", "validate")
    result = check(settings, "responses_2.csv", "expect_no_survey_gaming")
    assert result["success"] is False
    assert "touchpoint=support 2025-02: 60 % tens (n=40), month before 20 %" in str(
        result["unexpected_examples"]
    )
    assert check(settings, "responses_1.csv", "expect_no_survey_gaming")["success"] is True
