"""The DAGs: they import, follow the house rules, wire the Assets as designed, and run end to end."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from pipelines.generate import GenerateOptions, generate
from tests.conftest import require_service
from tests.dags.conftest import DAGS

EXPECTED_TASKS = {
    "ingest_crm": {"pull": set(), "ingest": {"pull"}},
    "ingest_shop": {"pull": set(), "ingest": {"pull"}},
    "ingest_survey": {"pull": set(), "ingest": {"pull"}},
    "loyalty_metrics": {"validate": set(), "build": {"validate"}},
    "loyalty_report": {"report": set()},
}
SYSTEM_TABLES = {
    "crm": {"raw.customers", "raw.events"},
    "shop": {"raw.orders", "raw.returns"},
    "survey": {"raw.responses"},
}


@pytest.fixture(scope="module")
def dagbag():
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(DAGS))


def test_every_dag_file_imports(dagbag) -> None:
    assert dagbag.import_errors == {}
    assert set(dagbag.dag_ids) == set(EXPECTED_TASKS)


def test_house_rules_tags_retries_pool(dagbag) -> None:
    for dag in dagbag.dags.values():
        assert dag.tags and "loyalty" in dag.tags, dag.dag_id
        for task in dag.tasks:
            assert task.retries >= 1 and task.retry_exponential_backoff, (dag.dag_id, task.task_id)
            writes_warehouse = task.task_id not in ("pull", "report")
            assert (task.pool == "warehouse_writer") == writes_warehouse, (dag.dag_id, task.task_id)
    for path in DAGS.glob("*.py"):
        text = path.read_text()
        assert (
            "import pandas" not in text and "duckdb" not in text and "select " not in text.lower()
        ), path


def test_structure_and_asset_graph(dagbag) -> None:
    for dag_id, tasks in EXPECTED_TASKS.items():
        dag = dagbag.dags[dag_id]
        assert {t.task_id: set(t.upstream_task_ids) for t in dag.tasks} == tasks
    for system, tables in SYSTEM_TABLES.items():
        ingest = dagbag.dags[f"ingest_{system}"].get_task("ingest")
        assert {a.name for a in ingest.outlets} == tables
        inbox = dagbag.dags[f"ingest_{system}"].timetable.asset_condition
        assert {w.name for asset in assets(inbox) for w in asset.watchers} == {
            f"{t.removeprefix('raw.')}_flag" for t in tables
        }
    metrics = dagbag.dags["loyalty_metrics"]
    assert asset_names(metrics.timetable.asset_condition) == set().union(*SYSTEM_TABLES.values())
    assert {a.name for a in metrics.get_task("build").outlets} == {"marts"}
    assert asset_names(dagbag.dags["loyalty_report"].timetable.asset_condition) == {"marts"}


def assets(condition):
    """The Assets inside an Asset condition (Asset, AssetAny, AssetAll, nested)."""
    if hasattr(condition, "objects"):
        return [a for item in condition.objects for a in assets(item)]
    return [condition]


def asset_names(condition) -> set[str]:
    return {asset.name for asset in assets(condition)}


def test_flag_file_trigger_fires_and_deletes_the_flag(tmp_path: Path) -> None:
    from airflow.providers.standard.triggers.file import DirectoryFileDeleteTrigger

    trigger = DirectoryFileDeleteTrigger(
        directory=str(tmp_path), filename="_ready", poke_interval=0.1
    )

    async def first_event() -> object:
        (tmp_path / "_ready").touch()
        return await asyncio.wait_for(anext(trigger.run()), timeout=10)

    event = asyncio.run(first_event())
    assert event.payload == {"filepath": str(tmp_path / "_ready")}
    assert not (tmp_path / "_ready").exists()


@pytest.mark.services
def test_redis_message_trigger_fires_on_a_published_message(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    require_service("Redis", "127.0.0.1", 6379)
    from airflow.providers.common.messaging.triggers.msg_queue import MessageQueueTrigger

    from pipelines.notify import notify

    monkeypatch.setenv("AIRFLOW_CONN_LOYALTY_REDIS", "redis://127.0.0.1:6379/1")
    trigger = MessageQueueTrigger(
        scheme="redis+pubsub",
        channels=["loyalty-dagtest.shop"],
        redis_conn_id="loyalty_redis",
        poll_interval=0.2,
    )

    async def first_event() -> object:
        waiting = asyncio.ensure_future(anext(trigger.run()))
        for _ in range(50):
            await asyncio.sleep(0.2)
            notify("orders", ["orders_x.csv"], "redis://127.0.0.1:6379/1", "loyalty-dagtest")
            if waiting.done():
                break
        return await asyncio.wait_for(waiting, timeout=10)

    event = asyncio.run(first_event())
    assert "orders_x.csv" in str(event.payload)


@pytest.mark.slow
def test_dag_test_end_to_end(
    dagbag, airflow_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    landing, warehouse, reports = (
        tmp_path / "landing",
        tmp_path / "warehouse.duckdb",
        tmp_path / "reports",
    )
    monkeypatch.setenv("LOYALTY_LANDING", str(landing))
    monkeypatch.setenv("LOYALTY_WAREHOUSE", str(warehouse))
    monkeypatch.setenv("LOYALTY_REPORTS", str(reports))
    generate(GenerateOptions(landing, customers=400, months=12, seed=3))
    for dag_id in (
        "ingest_crm",
        "ingest_shop",
        "ingest_survey",
        "loyalty_metrics",
        "loyalty_report",
    ):
        run = dagbag.dags[dag_id].test()
        assert run.state == "success", dag_id
    import duckdb

    con = duckdb.connect(str(warehouse), read_only=True)
    assert con.execute("select count(*) from marts.kpi_monthly").fetchone()[0] >= 12
    assert (
        con.execute("select count(*) from audit.files where status = 'validated'").fetchone()[0]
        > 40
    )
    con.close()
    assert list(reports.glob("*/loyalty-report-*-en.html"))
