"""What an operator sees, run by run with dag.test(): a quarantine fails the run and says why,
a retry cannot hide a critical failure, an ingest that loads nothing wakes no one, and
`loyalty status` counts files by their final status and lists every failure."""

from __future__ import annotations

import gzip
from pathlib import Path

import duckdb
import pytest

from pipelines.config import Settings
from pipelines.generate import GenerateOptions, generate
from pipelines.run import run_steps
from pipelines.status import status_tables
from pipelines.validate.release import release_file
from tests.conftest import fetch, order, write_entity
from tests.dags.conftest import DAGS

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def dags(airflow_db: Path) -> dict[str, object]:
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(DAGS)).dags


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """The pipeline's settings, and the same in the environment the DAG tasks read."""
    settings = Settings(
        landing=tmp_path / "landing",
        warehouse=tmp_path / "warehouse.duckdb",
        reports=tmp_path / "reports",
        settle_seconds=0,
    )
    monkeypatch.setenv("LOYALTY_LANDING", str(settings.landing))
    monkeypatch.setenv("LOYALTY_WAREHOUSE", str(settings.warehouse))
    monkeypatch.setenv("LOYALTY_REPORTS", str(settings.reports))
    monkeypatch.setenv("LOYALTY_SETTLE_SECONDS", "0")
    return settings


def states(run: object) -> dict[str, tuple[str, int]]:
    """Each task's final state and how many tries it took."""
    return {ti.task_id: (ti.state, ti.try_number) for ti in run.get_task_instances()}


def asset_events(run: object) -> list[str]:
    """The Assets a DAG run's tasks announced as updated."""
    from airflow.models.asset import AssetEvent, AssetModel
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        names = session.scalars(
            select(AssetModel.name)
            .join(AssetEvent, AssetEvent.asset_id == AssetModel.id)
            .where(AssetEvent.source_dag_id == run.dag_id, AssetEvent.source_run_id == run.run_id)
        )
        return sorted(names)


def failures(settings: Settings) -> list[tuple]:
    return fetch(
        settings,
        "select step, airflow_dag_id, airflow_run_id, message from audit.runs "
        "where status = 'failed' and step <> 'run' order by run_id, step",
    )


def test_a_quarantine_at_ingest_fails_the_run_with_file_reason_and_fix(
    dags: dict, settings: Settings
) -> None:
    write_entity(settings.landing, "orders", "orders_1.csv", [order(i) for i in range(3)])
    customers = settings.landing / "crm/customers/customers_1.csv"
    customers.parent.mkdir(parents=True)
    customers.write_text("customer_id,updated_at\nC1,2025-01-01\n")
    truncated = settings.landing / "survey/responses/responses_1.csv.gz"
    truncated.parent.mkdir(parents=True)
    truncated.write_bytes(gzip.compress(b"response_id,responded_at\n" * 2000)[:-40])

    run = dags["loyalty_ingest"].test()

    assert run.state == "failed"
    assert states(run) == {
        "pull": ("success", 1),
        "ingest": ("success", 1),
        "quarantine": ("failed", 1),
    }
    assert asset_events(run) == ["raw.orders"]
    [(step, dag_id, run_id, message)] = failures(settings)
    assert (step, dag_id, run_id) == (
        "airflow:loyalty_ingest.quarantine",
        "loyalty_ingest",
        run.run_id,
    )
    assert message.startswith("2 file(s) quarantined while reading")
    assert f"{customers}: no source mapping fits the file" in message
    assert "missing required column(s) created_at" in message
    assert f"{truncated}: " in message and "truncated or corrupt" in message
    assert message.splitlines()[-1].startswith("fix: correct the export and deliver it again")


def test_an_ingest_that_loads_nothing_announces_nothing(dags: dict, settings: Settings) -> None:
    write_entity(settings.landing, "orders", "orders_1.csv", [order(i) for i in range(3)])
    write_entity(settings.landing, "returns", "returns_1.csv", [])
    first = dags["loyalty_ingest"].test()
    assert first.state == "success"
    assert asset_events(first) == ["raw.orders", "raw.returns"]

    again = dags["loyalty_ingest"].test()

    assert again.state == "success"
    assert asset_events(again) == []
    assert failures(settings) == []


def test_a_critical_failure_stays_failed_until_the_file_is_released(
    dags: dict, settings: Settings
) -> None:
    write_entity(settings.landing, "orders", "orders_1.csv", [order(i) for i in range(5)])
    run_steps(settings, ("ingest", "validate", "build"))
    write_entity(settings.landing, "orders", "orders_2.csv", [order(10), order(11, net="-5.00")])
    run_steps(settings, ("ingest",))

    first = dags["loyalty_metrics"].test()
    retry = dags["loyalty_metrics"].test()

    for run in (first, retry):
        assert run.state == "failed"
        assert states(run) == {
            "validate": ("failed", 1),
            "build": ("upstream_failed", 0),
            "actions": ("upstream_failed", 0),
        }
        assert asset_events(run) == []
    assert fetch(settings, "select sum(purchases) from marts.kpi_monthly") == [(5,)]
    recorded = failures(settings)
    assert [(step, dag_id, run_id) for step, dag_id, run_id, _ in recorded] == [
        ("validate", "loyalty_metrics", first.run_id),
        ("validate", "loyalty_metrics", retry.run_id),
    ]
    for *_, message in recorded:
        assert "orders_2.csv: expect_column_values_to_be_between(net_amount) failed" in message
        assert "loyalty release FILE" in message.splitlines()[-1]

    con = duckdb.connect(str(settings.warehouse))
    try:
        release_file(con, "orders_2.csv", "refunds booked as orders, agreed", "ops", exclude=False)
    finally:
        con.close()
    released = dags["loyalty_metrics"].test()

    assert released.state == "success"
    assert asset_events(released) == ["action_lists", "marts"]
    assert fetch(settings, "select sum(purchases) from marts.kpi_monthly") == [(7,)]


def test_status_counts_files_by_final_status_and_lists_each_failure(
    dags: dict, settings: Settings
) -> None:
    write_entity(settings.landing, "orders", "orders_1.csv", [order(i) for i in range(5)])
    write_entity(settings.landing, "orders", "orders_2.csv", [order(10), order(11, net="-5.00")])
    (settings.landing / "shop/returns").mkdir(parents=True)
    (settings.landing / "shop/returns/returns_1.csv").write_bytes(b"")
    ingest = dags["loyalty_ingest"].test()
    metrics = dags["loyalty_metrics"].test()
    assert (ingest.state, metrics.state) == ("failed", "failed")

    con = duckdb.connect(str(settings.warehouse), read_only=True)
    try:
        tables = status_tables(con)
    finally:
        con.close()

    entities = tables["entities"]
    assert entities.columns[:4] == [
        "entity",
        "files_validated",
        "files_pending",
        "files_quarantined",
    ]
    assert [row[:4] for row in entities.rows] == [("orders", 1, 0, 1), ("returns", 0, 0, 1)]
    failed = tables["failures"]
    by_step = {row[failed.columns.index("step")]: row for row in failed.rows}
    assert set(by_step) == {"airflow:loyalty_ingest.quarantine", "validate"}
    assert by_step["validate"][failed.columns.index("airflow_run_id")] == metrics.run_id
    assert by_step["airflow:loyalty_ingest.quarantine"][failed.columns.index("airflow_run_id")] == (
        ingest.run_id
    )
    quarantined = {row[0]: row[2] for row in tables["quarantined"].rows}
    assert quarantined == {
        "orders_2.csv": "blocks the build: replace it or `loyalty release` it",
        "returns_1.csv": "not loaded: deliver a corrected file under the same name",
    }


def test_the_report_dag_writes_the_month_it_is_given(dags: dict, settings: Settings) -> None:
    generate(GenerateOptions(settings.landing, customers=300, months=6, seed=5))
    run_steps(settings, ("ingest", "validate", "build"))
    [(first,)] = fetch(settings, "select min(month) from marts.kpi_monthly where is_complete")
    month = f"{first:%Y-%m}"

    run = dags["loyalty_report"].test(run_conf={"month": month})

    assert run.state == "success"
    assert (settings.reports / month / f"loyalty-report-{month}-en.html").exists()
