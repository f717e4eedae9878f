"""Every number the report shows, read from the marts in this one module."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import duckdb

from pipelines.warehouse import table_exists

Row = dict[str, Any]


def rows(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None) -> list[Row]:
    cursor = con.execute(sql, params or [])
    names = [d[0] for d in cursor.description or []]
    return [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]


@dataclass
class ReportData:
    """The marts' content for one report month."""

    month: date
    build: Row
    kpis: Row
    previous: Row | None
    year_ago: Row | None
    headlines: Row
    trend: list[Row]
    cohorts: list[Row]
    tiers: list[Row]
    drivers: list[Row]
    touchpoints: list[Row]
    churn_reasons: list[Row]
    segments: list[Row]
    quality: Row
    warnings: list[Row] = field(default_factory=list)
    older_warnings: int = 0
    drift: list[Row] = field(default_factory=list)
    sources: dict[str, int] = field(default_factory=dict)
    targets: list[Row] = field(default_factory=list)
    alerts: list[Row] = field(default_factory=list)
    movers: list[Row] = field(default_factory=list)
    risk_bands: list[Row] = field(default_factory=list)
    at_risk: list[Row] = field(default_factory=list)
    waiting: list[Row] = field(default_factory=list)
    closed_loop: Row | None = None

    @property
    def trend_months(self) -> tuple[date, date]:
        return months_up_to(self.month, TREND_MONTHS)

    @property
    def churn_months(self) -> tuple[date, date]:
        """The twelve months the churn reasons and the quality drivers cover."""
        return months_up_to(self.month, CHURN_MONTHS)

    @property
    def quality_months(self) -> tuple[date, date]:
        """The months whose validation warnings the report lists."""
        return months_up_to(self.month, QUALITY_MONTHS)

    @property
    def has_surveys(self) -> bool:
        return self.sources.get("responses", 0) > 0

    @property
    def has_crm(self) -> bool:
        return self.sources.get("customers", 0) + self.sources.get("events", 0) > 0


TREND_MONTHS = 24
CHURN_MONTHS = 12
COHORT_MONTHS = 12
QUALITY_MONTHS = 3


def shift(month: date, months: int) -> date:
    """The first day of the month `months` calendar months after `month`."""
    index = month.year * 12 + month.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def months_up_to(month: date, count: int) -> tuple[date, date]:
    """The first and the last of the `count` months that end with `month`."""
    return shift(month, 1 - count), month


def month_row(con: duckdb.DuckDBPyConnection, month: date) -> Row | None:
    found = rows(con, "select * from marts.kpi_monthly where month = ?", [month])
    return found[0] if found else None


def report_month(con: duckdb.DuckDBPyConnection, month: date | None) -> date | None:
    """The requested month, or the latest complete month of marts.kpi_monthly."""
    if month is not None:
        found = con.execute(
            "select month from marts.kpi_monthly where month = ?", [month]
        ).fetchone()
        return found[0] if found else None
    found = con.execute("select max(month) from marts.kpi_monthly where is_complete").fetchone()
    return found[0] if found and found[0] else None


def load_report_data(con: duckdb.DuckDBPyConnection, month: date) -> ReportData:
    """Read everything the report shows for `month`."""
    warnings = rows(con, WARNINGS_SQL, [months_up_to(month, QUALITY_MONTHS)[0], shift(month, 1)])
    return ReportData(
        month=month,
        build=rows(con, "select * from marts.build_info")[0],
        kpis=rows(con, "select * from marts.kpi_monthly where month = ?", [month])[0],
        previous=month_row(con, shift(month, -1)),
        year_ago=month_row(con, shift(month, -12)),
        headlines=rows(con, "select * from marts.loyalty_headlines")[0],
        trend=rows(
            con,
            "select * from marts.kpi_monthly where month between ? and ? order by month",
            list(months_up_to(month, TREND_MONTHS)),
        ),
        cohorts=rows(
            con,
            "select cohort_month, months_since_first, retention_rate, in_progress"
            " from marts.cohort_retention"
            " where cohort_month between ? and ? and month <= ?"
            " order by cohort_month, months_since_first",
            [*months_up_to(month, COHORT_MONTHS), month],
        ),
        tiers=rows(con, "select * from marts.satisfaction_outcomes"),
        drivers=rows(
            con,
            "select * from marts.quality_drivers where month = ?"
            " order by correlation_with_nps desc nulls last, item",
            [month],
        ),
        touchpoints=rows(
            con,
            "select * from marts.service_touchpoints where month = ? order by contacts desc",
            [month],
        ),
        churn_reasons=rows(
            con,
            "select reason, sum(churned_customers)::bigint as customers"
            " from marts.churn_reasons_monthly where month between ? and ?"
            " group by reason order by customers desc, reason",
            list(months_up_to(month, CHURN_MONTHS)),
        ),
        segments=rows(
            con,
            "select * from marts.nps_by_segment"
            " where month = ? and dimension in ('segment', 'channel', 'country')"
            " order by dimension, responses desc, value",
            [month],
        ),
        quality=rows(con, QUALITY_SQL)[0],
        warnings=[w for w in warnings if w["in_period"]],
        older_warnings=sum(1 for w in warnings if not w["in_period"]),
        sources={r["entity"]: r["files"] for r in rows(con, SOURCES_SQL)},
        drift=rows(con, DRIFT_SQL) if table_exists(con, "audit", "schema_drift") else [],
        targets=optional_rows(con, "kpi_targets", TARGETS_SQL, [month]),
        alerts=optional_rows(con, "alerts", ALERTS_SQL, [month]),
        movers=optional_rows(con, "nps_change_attribution", MOVERS_SQL, [month]),
        risk_bands=optional_rows(con, "customer_health", RISK_BANDS_SQL, []),
        at_risk=optional_rows(con, "customer_health", AT_RISK_SQL, [TOP_AT_RISK]),
        waiting=optional_rows(con, "detractor_followups", WAITING_SQL, [TOP_WAITING]),
        closed_loop=next(iter(optional_rows(con, "kpi_monthly", CLOSED_LOOP_SQL, [month])), None),
    )


def optional_rows(
    con: duckdb.DuckDBPyConnection, table: str, sql: str, params: list[Any]
) -> list[Row]:
    """Rows of a mart a snapshot from before it existed lacks: none then."""
    return rows(con, sql, params) if table_exists(con, "marts", table) else []


TARGETS_SQL = "select * from marts.kpi_targets where month = ? order by metric"
TOP_AT_RISK = 20
TOP_WAITING = 10
RISK_BANDS_SQL = """
select risk_band, count(*) as customers, sum(revenue_net_12m) as revenue_net_12m
from marts.customer_health
where risk_band is not null
group by risk_band
order by list_position(['high', 'medium', 'low'], risk_band)
"""
AT_RISK_SQL = """
select customer_id, p_alive, days_since_last_purchase, revenue_net_12m, risk_reason
from marts.customer_health
where risk_band = 'high'
order by revenue_net_12m desc, customer_id
limit ?
"""
WAITING_SQL = """
select customer_id, responded_at, touchpoint, nps_score, waiting_hours
from marts.detractor_followups
where followed_up_at is null
order by waiting_hours desc, response_id
limit ?
"""
# The latest month up to the report month whose 48-hour windows have all closed.
CLOSED_LOOP_SQL = """
select month, closed_loop_rate from marts.kpi_monthly
where month <= ? and closed_loop_rate is not null
order by month desc
limit 1
"""
# The month's alerts that explain it (the missed targets are in the verdict itself).
ALERTS_SQL = """
select * from marts.alerts
where month = ? and rule <> 'target_missed'
order by severity = 'critical' desc, rule, metric
"""
# Per dimension, the group whose own NPS moved the total most (its score effect, as the
# alerts name it), the touchpoint first.
MOVERS_SQL = """
select * from marts.nps_change_attribution
where month = ?
qualify row_number() over (partition by dimension order by abs(score_effect) desc, value) = 1
order by dimension <> 'touchpoint', abs(score_effect) desc, dimension
"""


QUALITY_SQL = """
select
    count(*) filter (where status = 'validated') as files_loaded,
    count(*) filter (where status = 'quarantined') as files_quarantined,
    coalesce(sum(rows_loaded) filter (where status = 'validated'), 0) as rows_loaded,
    coalesce(sum(rows_rejected), 0) as rows_rejected
from audit.files
"""

# A warning concerns the report when its file holds data of the last QUALITY_MONTHS months
# (months in the reporting time zone).
WARNINGS_SQL = """
with zone as (
    select reporting_timezone as name from marts.build_info
)
select
    warnings.*,
    array_to_string(warnings.unexpected_examples::json::varchar[], ', ') as examples,
    coalesce(
        timezone(zone.name, warnings.last_data_at) >= $1::timestamp
            and timezone(zone.name, warnings.first_data_at) < $2::timestamp,
        false
    ) as in_period
from marts.validation_warnings as warnings, zone
order by warnings.last_data_at desc nulls last, warnings.file_name, warnings.expectation
"""

DRIFT_SQL = """
select entity, "column", change, action, count(distinct file_id) as files,
       max(detected_at) as last_seen
from audit.schema_drift
group by all
order by last_seen desc, entity, "column"
limit 8
"""

SOURCES_SQL = """
select entity, count(*) as files from audit.files where status = 'validated' group by entity
"""
