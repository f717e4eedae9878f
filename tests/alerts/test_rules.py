"""marts.alerts: each rule fires past its boundary and not at it; the messages carry the numbers.

The models (marts.kpi_targets, then marts.alerts) run on a few rows written into a fresh
DuckDB (their inputs only), as dbt's unit tests do.
"""

from __future__ import annotations

from datetime import date, datetime

import duckdb
import pytest

from pipelines.alerts.targets import Target, Targets
from pipelines.config import SQL_DIR
from pipelines.models import parse_model

ALERTS = parse_model(SQL_DIR / "marts" / "alerts.sql")
KPI_TARGETS = parse_model(SQL_DIR / "marts" / "kpi_targets.sql")
KPI_COLUMNS = (
    "month date, is_complete boolean, retention_rate double, competitor_switching_rate double, "
    "nps double, nps_change double, nps_change_moe double, nps_change_significant boolean"
)
ATTRIBUTION_COLUMNS = (
    "month date, dimension varchar, value varchar, nps_change double, score_effect double"
)
TARGETS = Targets(
    (
        Target("retention_rate", ">=", 0.95),
        Target("nps", ">=", 20.0),
        Target("competitor_switching_rate", "<=", 0.005, "critical"),
        Target("closed_loop_rate", ">=", 0.8),
    )
)


def month(n: int) -> date:
    """The n-th month of 2025 (13 is January 2026)."""
    return date(2025 + (n - 1) // 12, (n - 1) % 12 + 1, 1)


def kpi_row(n: int, **values: object) -> tuple:
    defaults = {
        "is_complete": True,
        "retention_rate": 0.96,
        "competitor_switching_rate": 0.004,
        "nps": 25.0,
        "nps_change": 0.0,
        "nps_change_moe": 10.0,
        "nps_change_significant": False,
    }
    defaults.update(values)
    return (month(n), *defaults.values())


def alerts(
    kpis: list[tuple],
    attribution: list[tuple] = (),
    files: list[tuple] = (),
    targets: Targets = TARGETS,
) -> list[dict]:
    con = duckdb.connect()
    con.execute("set TimeZone = 'UTC'")
    con.execute("create schema marts; create schema audit")
    con.execute(f"create table marts.kpi_monthly ({KPI_COLUMNS})")
    con.execute(f"create table marts.nps_change_attribution ({ATTRIBUTION_COLUMNS})")
    con.execute(
        "create table audit.files (file_name varchar, status varchar, loaded_at timestamptz)"
    )
    if kpis:
        con.executemany("insert into marts.kpi_monthly values (?, ?, ?, ?, ?, ?, ?, ?)", kpis)
    if attribution:
        con.executemany(
            "insert into marts.nps_change_attribution values (?, ?, ?, ?, ?)", attribution
        )
    if files:
        con.executemany("insert into audit.files values (?, ?, ?)", files)
    con.execute("set variable alert_targets = ?", [targets.as_json()])
    con.execute("set variable retention_drop_pp = ?::double", [targets.retention_drop_pp])
    con.execute(f"create table marts.kpi_targets as {KPI_TARGETS.sql}")
    cursor = con.execute(ALERTS.sql)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


@pytest.mark.parametrize(
    ("column", "value", "fires"),
    [
        ("retention_rate", 0.95, False),
        ("retention_rate", 0.9499, True),
        ("nps", 20.0, False),
        ("nps", 19.95, True),
        ("competitor_switching_rate", 0.005, False),
        ("competitor_switching_rate", 0.0051, True),
    ],
)
def test_target_missed_at_its_boundary(column: str, value: float, fires: bool) -> None:
    fired = alerts([kpi_row(1, **{column: value})])
    assert [(a["rule"], a["metric"], a["value"]) for a in fired] == (
        [("target_missed", column, value)] if fires else []
    )


def test_target_messages_in_english_and_german() -> None:
    fired = alerts([kpi_row(5, retention_rate=0.9412, competitor_switching_rate=0.0081)])
    by_metric = {a["metric"]: a for a in fired}
    retention = by_metric["retention_rate"]
    assert retention["alert_id"] == "target_missed:retention_rate:2025-05"
    assert (retention["threshold"], retention["severity"]) == (0.95, "warning")
    assert retention["message_en"] == (
        "Retention was 94.1 % in May 2025: below the target of at least 95.0 % (0.9 points short)."
    )
    assert retention["message_de"] == (
        "Die Kundenbindung lag im Mai 2025 bei 94,1 %: unter dem Ziel von mindestens 95,0 % "
        "(0,9 Prozentpunkte darunter)."
    )
    competitor = by_metric["competitor_switching_rate"]
    assert competitor["severity"] == "critical"
    # A target below 1 % is shown with two decimals, so a small miss is not "0.0 points".
    assert competitor["message_en"] == (
        "Switching to competitors was 0.81 % in May 2025: above the target of at most 0.50 % "
        "(0.31 points over)."
    )


def test_no_target_alert_for_a_month_in_progress_or_a_metric_the_marts_lack() -> None:
    assert alerts([kpi_row(1, is_complete=False, nps=-50.0)]) == []
    # closed_loop_rate has a target but no column here: skipped, not an error.
    assert alerts([kpi_row(1)]) == []


NPS_DROP = {"nps": 14.7, "nps_change": -19.4, "nps_change_moe": 12.0}


@pytest.mark.parametrize(
    ("values", "fires"),
    [
        ({**NPS_DROP, "nps_change_significant": True}, True),
        ({**NPS_DROP, "nps_change_significant": False}, False),
        ({**NPS_DROP, "nps_change": 19.4, "nps": 54.7, "nps_change_significant": True}, False),
    ],
)
def test_significant_nps_drop(values: dict, fires: bool) -> None:
    targets = Targets(())
    fired = alerts([kpi_row(6, **values)], targets=targets)
    assert [a["rule"] for a in fired] == (["nps_significant_drop"] if fires else [])


def test_nps_drop_names_the_touchpoint_whose_own_nps_pulled_most() -> None:
    attribution = [
        (month(6), "touchpoint", "post_purchase", -10.7, -3.9),
        (month(6), "touchpoint", "relationship", -48.0, -9.7),
        (month(6), "touchpoint", "support", -11.4, -4.9),
        # A bigger score effect in another dimension: the touchpoint is named all the same.
        (month(6), "segment", "consumer", -20.9, -14.7),
    ]
    fired = alerts(
        [kpi_row(6, **NPS_DROP, nps_change_significant=True)], attribution, targets=Targets(())
    )
    (alert,) = fired
    assert (alert["value"], alert["baseline"], alert["threshold"]) == pytest.approx(
        (14.7, 34.1, 12.0)
    )
    assert alert["message_en"] == (
        "NPS fell 19.4 points to +14.7 in June 2025 (significant: the margin of error is 12.0 "
        "points); the largest part came from the relationship touchpoint (its NPS -48.0 "
        "points, -9.7 points of the change)."
    )
    assert alert["message_de"] == (
        "Der NPS fiel im Juni 2025 um 19,4 Punkte auf +14,7 (signifikant: die Fehlerspanne "
        "beträgt 12,0 Punkte); der größte Teil kam vom Kontaktpunkt relationship (sein NPS "
        "-48,0 Punkte, -9,7 Punkte der Änderung)."
    )


def test_nps_drop_without_touchpoints_names_another_group() -> None:
    attribution = [(month(6), "segment", "consumer", None, -14.7)]
    (alert,) = alerts(
        [kpi_row(6, **NPS_DROP, nps_change_significant=True)], attribution, targets=Targets(())
    )
    assert alert["message_en"].endswith(
        "the largest part came from the consumer segment (-14.7 points of the change)."
    )


def six_months_then(retention: float, history: float = 0.96) -> list[tuple]:
    return [kpi_row(n, retention_rate=history) for n in range(1, 7)] + [
        kpi_row(7, retention_rate=retention)
    ]


@pytest.mark.parametrize(("retention", "fires"), [(0.94, False), (0.9399, True)])
def test_retention_drop_at_two_points(retention: float, fires: bool) -> None:
    fired = alerts(six_months_then(retention), targets=Targets(()))
    assert [(a["rule"], a["month"]) for a in fired] == (
        [("retention_drop", month(7))] if fires else []
    )


def test_retention_drop_message_and_its_parameter() -> None:
    (alert,) = alerts(six_months_then(0.9399), targets=Targets(()))
    assert alert["baseline"] == pytest.approx(0.96)
    assert alert["message_en"] == (
        "Retention was 94.0 % in July 2025, 2.0 points below its six-month mean of 96.0 %."
    )
    assert alert["message_de"] == (
        "Die Kundenbindung lag im Juli 2025 bei 94,0 %, 2,0 Prozentpunkte unter ihrem "
        "Sechsmonatsmittel von 96,0 %."
    )
    assert alerts(six_months_then(0.9399), targets=Targets((), retention_drop_pp=3)) == []


def test_retention_drop_needs_six_months_before() -> None:
    rows = six_months_then(0.90)[1:]
    assert [a["rule"] for a in alerts(rows, targets=Targets(()))] == []


def test_validation_quarantine_in_the_month() -> None:
    files = [
        ("orders_2025-08.csv", "quarantined", datetime.fromisoformat("2025-08-03T10:00:00+00:00")),
        ("events_2025-08.csv", "quarantined", datetime.fromisoformat("2025-08-04T10:00:00+00:00")),
        ("orders_2025-07.csv", "validated", datetime.fromisoformat("2025-07-03T10:00:00+00:00")),
    ]
    fired = alerts([kpi_row(7)], files=files, targets=Targets(()))
    (alert,) = fired
    assert (alert["rule"], alert["month"], alert["value"], alert["severity"]) == (
        "validation_quarantine",
        month(8),
        2.0,
        "critical",
    )
    assert alert["message_en"].startswith(
        "2 export file(s) quarantined in August 2025 (orders_2025-08.csv, events_2025-08.csv)"
    )
    assert alert["message_de"].startswith("2 Exportdatei(en) im August 2025 in Quarantäne")
    assert alerts([kpi_row(7)], files=files[2:], targets=Targets(())) == []
