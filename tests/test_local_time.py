"""pipelines/local_time.py: to_local(ts) equals DuckDB's own ts::timestamp for every instant."""

from __future__ import annotations

from datetime import UTC, datetime

import duckdb
import pytest

from pipelines.local_time import define_to_local

FIRST = datetime(2023, 1, 1, tzinfo=UTC)
LAST = datetime(2025, 12, 31, tzinfo=UTC)


def differences(zone: str, instants_sql: str) -> list[tuple]:
    """Instants (microseconds since the epoch) whose to_local differs from ICU's local time."""
    con = duckdb.connect()
    con.execute("set TimeZone = ?", [zone])
    define_to_local(con, FIRST, LAST)
    return con.execute(
        f"""
        with instants as (select to_timestamp(0) + to_microseconds(us) as ts from ({instants_sql}))
        select ts, to_local(ts), ts::timestamp from instants
        where to_local(ts) is distinct from ts::timestamp
        limit 5
        """
    ).fetchall()


# Whole-hour daylight saving time, a 30-minute shift (Lord Howe), an offset that is not whole
# hours (Kathmandu), no transitions at all, and a southern-hemisphere zone.
ZONES = [
    "Europe/Berlin",
    "America/New_York",
    "Australia/Lord_Howe",
    "Asia/Kathmandu",
    "UTC",
    "America/Santiago",
]
DAYLIGHT_SAVING = {"Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "America/Santiago"}


@pytest.mark.parametrize("zone", ZONES)
def test_every_seven_minutes_from_before_the_range_to_after_it(zone: str) -> None:
    # 2021 to 2028: two years before the range and beyond its margin, where ICU decides.
    start_us = int(datetime(2021, 1, 1, tzinfo=UTC).timestamp()) * 1_000_000
    end_us = int(datetime(2028, 1, 1, tzinfo=UTC).timestamp()) * 1_000_000
    step_us = 7 * 60 * 1_000_000 + 1
    assert differences(zone, f"select unnest(range({start_us}, {end_us}, {step_us})) as us") == []


@pytest.mark.parametrize("zone", ZONES)
def test_around_every_change_of_offset(zone: str) -> None:
    # Each microsecond near every second of the range at which the offset changes.
    con = duckdb.connect()
    con.execute("set TimeZone = ?", [zone])
    changes = con.execute(
        """
        with seconds as (
            select unnest(range(?, ?, 60)) as s
        ),
        offsets as (
            select s, epoch((to_timestamp(0) + to_seconds(s))::timestamp) - s as offset_s from seconds
        )
        select s from (select s, offset_s, lag(offset_s) over (order by s) as previous from offsets)
        where offset_s <> previous
        """,
        [int(FIRST.timestamp()), int(LAST.timestamp())],
    ).fetchall()
    assert bool(changes) == (zone in DAYLIGHT_SAVING), changes
    nearby = ", ".join(
        f"({(s + delta) * 1_000_000 + micro:d})"
        for (s,) in changes
        for delta in range(-61, 61)
        for micro in (-1, 0, 1)
    )
    if nearby:
        assert differences(zone, f"select col0 as us from (values {nearby})") == []


def test_null_stays_null() -> None:
    con = duckdb.connect()
    con.execute("set TimeZone = 'Europe/Berlin'")
    define_to_local(con, FIRST, LAST)
    assert con.execute("select to_local(null::timestamptz)").fetchone() == (None,)
