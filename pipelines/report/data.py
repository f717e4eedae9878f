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
    drift: list[Row] = field(default_factory=list)
    sources: dict[str, int] = field(default_factory=dict)

    @property
    def has_surveys(self) -> bool:
        return self.sources.get("responses", 0) > 0

    @property
    def has_crm(self) -> bool:
        return self.sources.get("customers", 0) + self.sources.get("events", 0) > 0


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
    kpis = rows(con, "select * from marts.kpi_monthly where month = ?", [month])[0]
    previous = rows(
        con, "select * from marts.kpi_monthly where month = ? - interval 1 month", [month]
    )
    return ReportData(
        month=month,
        build=rows(con, "select * from marts.build_info")[0],
        kpis=kpis,
        previous=previous[0] if previous else None,
        headlines=rows(con, "select * from marts.loyalty_headlines")[0],
        trend=rows(
            con,
            "select * from marts.kpi_monthly where month <= ? and month > ? - interval 24 month order by month",
            [month, month],
        ),
        cohorts=rows(
            con,
            "select cohort_month, months_since_first, retention_rate, in_progress from marts.cohort_retention"
            " where cohort_month > ? - interval 12 month and cohort_month <= ? and months_since_first <= 12"
            " order by cohort_month, months_since_first",
            [month, month],
        ),
        tiers=rows(con, "select * from marts.satisfaction_outcomes"),
        drivers=rows(
            con, "select * from marts.quality_drivers order by correlation_with_nps desc nulls last"
        ),
        touchpoints=rows(
            con,
            "select * from marts.service_touchpoints where month = ? order by contacts desc",
            [month],
        ),
        churn_reasons=rows(
            con,
            "select case when churn_kind = 'lapse' then 'lapse' else coalesce(churn_reason, 'unknown') end as reason,"
            " count(*) as customers from marts.customer_loyalty"
            " where state = 'churned' and churned_at > ? - interval 12 month and churned_at < ? + interval 1 month"
            " group by all order by customers desc",
            [month, month],
        ),
        segments=rows(
            con,
            "select * from marts.nps_by_segment where month = ? and dimension in ('segment', 'channel', 'country')"
            " order by dimension, responses desc",
            [month],
        ),
        quality=rows(con, QUALITY_SQL)[0],
        warnings=rows(con, WARNINGS_SQL)
        if table_exists(con, "audit", "validation_results")
        else [],
        sources={r["entity"]: r["files"] for r in rows(con, SOURCES_SQL)},
        drift=rows(con, DRIFT_SQL) if table_exists(con, "audit", "schema_drift") else [],
    )


QUALITY_SQL = """
select
    count(*) filter (where status = 'validated') as files_loaded,
    count(*) filter (where status = 'quarantined') as files_quarantined,
    coalesce(sum(rows_loaded) filter (where status = 'validated'), 0) as rows_loaded,
    coalesce(sum(rows_rejected), 0) as rows_rejected
from audit.files
"""

WARNINGS_SQL = """
select
    files.file_name,
    results.expectation,
    results.observed_value,
    array_to_string(results.unexpected_examples::json::varchar[], ', ') as examples
from audit.validation_results as results
inner join audit.files as files using (file_id)
where results.severity = 'warning' and not results.success and files.status = 'validated'
order by results.checked_at desc
limit 8
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
