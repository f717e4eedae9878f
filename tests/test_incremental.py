"""Incremental builds: after new files, updating what they touch equals rebuilding everything."""

from __future__ import annotations

import shutil
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from pipelines.config import Settings
from pipelines.generate import GenerateOptions, generate
from pipelines.models import BuildResult, build
from tests.conftest import fetch, rows_in_one_only, run, write_entity

LAYERS = ("staging", "core", "marts")


def build_plan(settings: Settings, *steps: str) -> BuildResult:
    result = run(settings, *steps)
    assert result.build is not None
    return result.build


def stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def new_exports(settings: Settings, name: str, day: datetime) -> None:
    """A later delivery that touches every kind of row: new, re-delivered and back-dated."""
    (order_id, buyer), (returned_order, _) = fetch(
        settings,
        "select order_id, customer_id from staging.stg_orders where status = 'completed' "
        "order by order_id limit 2",
    )
    other, churner, referrer = (
        row[0]
        for row in fetch(
            settings,
            "select customer_id from core.buyers where customer_id <> ? "
            "order by purchases desc, customer_id limit 3",
            [buyer],
        )
    )
    response_id = fetch(settings, "select min(response_id) from staging.stg_responses")[0][0]
    ((contact_id, contacted),) = fetch(
        settings,
        "select event_id, customer_id from staging.stg_events "
        "where event_type = 'support_contact' order by event_id limit 1",
    )
    # A promoter of long ago without a referral since: a back-dated referral changes the
    # recommender rate of that month alone.
    ((promoter, promoted_at),) = fetch(
        settings,
        "select customer_id, responded_at from core.nps_responses as r "
        "where nps_group = 'promoter' and customer_id is not null and responded_at <= ? "
        "and not exists (select 1 from staging.stg_events as e where e.event_type = 'referral' "
        "and e.customer_id = r.customer_id and e.occurred_at > r.responded_at) "
        "order by responded_at desc, response_id limit 1",
        [day - timedelta(days=200)],
    )
    at = stamp(day)
    deliveries = {
        "orders": [
            # A new order, a new buyer, and an old order re-delivered for another customer.
            {"order_id": f"{name}-1", "customer_id": other, "ordered_at": at, "net_amount": "30.00",
             "status": "completed", "channel": "web", "currency": "EUR"},
            {"order_id": f"{name}-2", "customer_id": f"{name}-NEW", "ordered_at": at,
             "net_amount": "12.50", "status": "completed", "channel": "app", "currency": "EUR"},
            {"order_id": order_id, "customer_id": other, "ordered_at": at, "net_amount": "99.00",
             "status": "completed", "channel": "store", "currency": "EUR"},
        ],
        "returns": [
            {"return_id": f"{name}-R1", "order_id": f"{name}-1", "returned_at": at, "amount": "10"},
            {"return_id": f"{name}-R2", "order_id": returned_order, "returned_at": at,
             "amount": "1"},
        ],
        "events": [
            {"event_id": f"{name}-E1", "customer_id": churner, "occurred_at": at,
             "event_type": "cancellation", "channel": "web"},
            {"event_id": f"{name}-E2", "customer_id": referrer, "occurred_at": at,
             "event_type": "referral", "channel": "app", "referred_customer_id": f"{name}-NEW"},
            {"event_id": f"{name}-E4", "customer_id": promoter,
             "occurred_at": stamp(promoted_at + timedelta(days=1)), "event_type": "referral",
             "channel": "web", "referred_customer_id": f"{name}-NEW"},
            # A contact resolved only after this delivery's as_of, and an old one moved here.
            {"event_id": f"{name}-E3", "customer_id": other, "occurred_at": at,
             "event_type": "support_contact", "channel": "phone",
             "resolved_at": stamp(day + timedelta(days=2)), "handoffs": 0},
            {"event_id": contact_id, "customer_id": contacted, "occurred_at": at,
             "event_type": "complaint", "channel": "email"},
        ],
        "responses": [
            {"response_id": f"{name}-S1", "responded_at": at, "customer_id": other,
             "touchpoint": "post_purchase", "channel": "email", "nps_score": 10, "csat": 5,
             "product_quality": 4},
            {"response_id": f"{name}-S2", "responded_at": at, "touchpoint": "post_purchase",
             "channel": "email", "nps_score": 3, "csat": 2},
            {"response_id": response_id, "responded_at": at, "customer_id": other,
             "touchpoint": "support", "channel": "phone", "nps_score": 8, "csat": 4},
        ],
        "customers": [
            {"customer_id": f"{name}-NEW", "created_at": at, "updated_at": at, "country": "DE",
             "segment": "consumer", "preferred_channel": "app", "status": "active"},
            {"customer_id": churner, "created_at": "2020-01-01T00:00:00Z", "updated_at": at,
             "country": "AT", "segment": "consumer", "preferred_channel": "web",
             "status": "churned", "churned_at": at, "churn_reason": "competitor"},
        ],
    }  # fmt: skip
    for entity, rows in deliveries.items():
        write_entity(settings.landing, entity, f"{entity}_{name}.csv", rows)


def differences(incremental: Path, full: Path) -> dict[str, int]:
    """Rows that only one of the two warehouses holds, per table; doubles compared to 1e-9."""
    con = duckdb.connect()
    con.execute(f"attach '{incremental}' as inc (read_only)")
    con.execute(f"attach '{full}' as ref (read_only)")
    tables = con.execute(
        "select schema_name, table_name from duckdb_tables() "
        "where database_name = 'ref' and schema_name in ?",
        [list(LAYERS)],
    ).fetchall()
    found = {}
    for schema, table in tables:
        columns = con.execute(
            "select column_name, data_type from duckdb_columns() "
            "where database_name = 'ref' and schema_name = ? and table_name = ? "
            "and column_name not in ('built_at', 'fitted_at')",
            [schema, table],
        ).fetchall()
        select = ", ".join(
            f'round("{c}", 9)' if kind == "DOUBLE" else f'"{c}"' for c, kind in columns
        )
        found |= rows_in_one_only(con, "inc", "ref", f"{schema}.{table}", select)
    con.close()
    assert len(tables) > 20
    return found


def full_rebuild_of(settings: Settings, folder: Path) -> Path:
    """A copy of the warehouse as it is now, rebuilt from scratch."""
    folder.mkdir()
    copy = settings.with_overrides(warehouse=folder / "full.duckdb", full_build=True)
    shutil.copy(settings.warehouse, copy.warehouse)
    result = build_plan(copy, "build")
    assert result.plan is not None and not result.plan.incremental
    return copy.warehouse


@pytest.fixture
def company(settings: Settings) -> Settings:
    generate(GenerateOptions(settings.landing, customers=400, months=15, seed=11, flags=False))
    first = build_plan(settings)
    assert first.plan is not None and not first.plan.incremental
    return settings


def test_incremental_build_equals_a_full_rebuild(company: Settings, tmp_path: Path) -> None:
    as_of = fetch(company, "select as_of from marts.build_info")[0][0]
    # Far enough ahead that spells lapse, CRM churns count and outcome windows open.
    for number, days in enumerate((40, 41, 41), start=1):
        new_exports(company, f"zz{number}", as_of + timedelta(days=days))
        run(company, "ingest", "validate")
        assert fetch(company, "select count(*) from audit.rejects") == [(0,)], "every row counts"
        reference = full_rebuild_of(company, tmp_path / f"full{number}")
        result = build_plan(company, "build")
        assert result.plan is not None and result.plan.incremental, result.plan
        assert result.plan.new_files, "every delivery brings new validated files"
        assert differences(company.warehouse, reference) == {}


def test_a_build_with_nothing_new_is_incremental_and_changes_nothing(
    company: Settings, tmp_path: Path
) -> None:
    reference = full_rebuild_of(company, tmp_path / "full")
    result = build_plan(company, "build")
    assert result.plan is not None and result.plan.incremental
    assert result.plan.new_files == []
    assert differences(company.warehouse, reference) == {}


@pytest.mark.parametrize(
    ("change", "reason", "next_incremental"),
    [
        ("inactivity_days", "models or parameters changed", False),
        ("as_of", "as_of is set explicitly", False),
        ("full_build", "a full build was asked for", True),
    ],
)
def test_a_changed_parameter_means_a_full_build(
    company: Settings, change: str, reason: str, next_incremental: bool
) -> None:
    as_of = fetch(company, "select as_of from marts.build_info")[0][0]
    value = {"inactivity_days": 60, "as_of": as_of - timedelta(days=30), "full_build": True}
    result = build_plan(company.with_overrides(**{change: value[change]}), "build")
    assert result.plan is not None and not result.plan.incremental
    assert reason in result.plan.reason
    after = build_plan(company, "build")
    assert after.plan is not None
    assert after.plan.incremental is next_incremental, (
        "back to the usual parameters, the build is full again; after --full it is incremental"
    )


def test_a_failed_build_makes_the_next_one_full(company: Settings, tmp_path: Path) -> None:
    broken = tmp_path / "sql"
    shutil.copytree(Path(__file__).parents[1] / "sql", broken)
    kpi = broken / "marts" / "kpi_monthly.sql"
    kpi.write_text(kpi.read_text().replace("from flows", "from no_such_table", 1))
    con = duckdb.connect(str(company.warehouse))
    try:
        with pytest.raises(Exception, match="kpi_monthly"):
            build(con, company, sql_dir=broken)
        assert con.execute("select count(*) from audit.build_state").fetchone() == (0,)
    finally:
        con.close()
    result = build_plan(company, "build")
    assert result.plan is not None and not result.plan.incremental
    assert "no complete earlier build" in result.plan.reason
