"""The report's number formats and words: SQL rounding, no "-0.0", German values."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from pipelines.report.texts import Formatter
from pipelines.report.warnings import warning_text


@pytest.mark.parametrize(
    ("lang", "percent", "points", "nps", "nps_zero", "no_change"),
    [
        ("en", "31.3\u00a0%", "+1.3\u00a0pp", "−14.7", "0", "no change"),
        ("de", "31,3\u00a0%", "+1,3\u00a0Pp.", "−14,7", "0", "keine Änderung"),
    ],
)
def test_numbers_round_like_sql_and_zero_reads_plainly(
    lang: str, percent: str, points: str, nps: str, nps_zero: str, no_change: str
) -> None:
    fmt = Formatter(lang, "EUR")
    assert fmt.percent(0.3125) == percent
    assert fmt.points(0.0125) == points
    assert fmt.signed(-14.65) == nps
    assert fmt.signed(0.0) == fmt.signed(-0.04) == nps_zero
    assert fmt.points(-0.0004) == fmt.change(0.04) == fmt.relative(200, 200) == no_change


def test_times_are_in_the_reporting_zone_with_uhr_in_german() -> None:
    moment = datetime(2026, 6, 30, 21, 59, 59, tzinfo=UTC)
    assert Formatter("de", "EUR", "Europe/Berlin").instant(moment) == "30. Juni 2026, 23:59 Uhr"
    assert Formatter("en", "EUR", "Europe/Berlin").instant(moment) == "30 June 2026, 23:59"


@pytest.mark.parametrize(
    ("kind", "value", "en", "de"),
    [
        ("segment", "business", "business", "Geschäftskunden"),
        ("channel", "store", "store", "Filiale"),
        ("touchpoint", "post_purchase", "after a purchase", "nach dem Kauf"),
        ("source", "responses", "survey responses", "Umfrageantworten"),
        ("country", "CH", "Switzerland", "Schweiz"),
        ("channel", "unknown", "unknown", "unbekannt"),
        ("segment", "vip", "vip", "vip"),
    ],
)
def test_values_of_the_data_are_translated(kind: str, value: str, en: str, de: str) -> None:
    assert Formatter("en", "EUR").label(kind, value) == en
    assert Formatter("de", "EUR").label(kind, value) == de


def test_validation_warnings_are_written_in_the_report_language() -> None:
    row = {
        "file_name": "orders_2026-06.csv",
        "expectation": "expect_customer_ids_known_to_crm",
        "column": "customer_id",
        "element_count": 1200,
        "unexpected_count": 12,
        "examples": "C9, C10",
    }
    assert warning_text(row, Formatter("en", "EUR")) == (
        "orders_2026-06.csv: 12 of 1,200 rows name a customer the CRM does not know (C9, C10)"
    )
    assert warning_text(row, Formatter("de", "EUR")) == (
        "orders_2026-06.csv: 12 von 1.200 Zeilen nennen einen Kunden, den das CRM nicht kennt"
        " (C9, C10)"
    )
    volume = {**row, "expectation": "expect_batch_volume_near_recent_median", "column": None}
    assert warning_text(volume, Formatter("de", "EUR")) == (
        "orders_2026-06.csv: 1.200 Zeilen, weit weg von der üblichen Größe solcher Lieferungen"
    )
