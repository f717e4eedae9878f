"""The DAGs: they import, follow the house rules, wire the Assets as designed, and run end to end."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

import pytest

from pipelines.errors import ModelError, WarehouseBusyError
from pipelines.generate import GenerateOptions, generate
from pipelines.ingest.entities import SYSTEMS
from pipelines.orchestration import QuarantinedAtIngest
from pipelines.validate.gate import ValidationFailed
from tests.conftest import require_service
from tests.dags.conftest import DAGS

EXPECTED_TASKS = {
    "loyalty_ingest": {"pull": set(), "ingest": {"pull"}, "quarantine": {"ingest"}},
    "loyalty_metrics": {"validate": set(), "build": {"validate"}, "actions": {"build"}},
    "loyalty_report": {"report": set()},
    "loyalty_alerts": {"send_alerts": set()},
}
# The registry decides the systems and their raw tables; the DAGs must follow it.
SYSTEM_TABLES = {
    system: {f"raw.{entity}" for entity in entities} for system, entities in SYSTEMS.items()
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
            writes_warehouse = task.task_id in ("ingest", "validate", "build", "send_alerts")
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
    ingest = dagbag.dags["loyalty_ingest"]
    assert [a.name for a in ingest.get_task("ingest").outlets] == ["raw.loaded"]
    inboxes = assets(ingest.timetable.asset_condition)
    assert {a.name for a in inboxes} == {f"{system}_exports" for system in SYSTEM_TABLES}
    assert {w.name for asset in inboxes for w in asset.watchers} == {
        f"{t.removeprefix('raw.')}_flag" for tables in SYSTEM_TABLES.values() for t in tables
    }
    metrics = dagbag.dags["loyalty_metrics"]
    assert asset_names(metrics.timetable.asset_condition) == set().union(*SYSTEM_TABLES.values())
    assert {a.name for a in metrics.get_task("build").outlets} == {"marts"}
    assert {a.name for a in metrics.get_task("actions").outlets} == {"action_lists"}
    assert asset_names(dagbag.dags["loyalty_report"].timetable.asset_condition) == {"marts"}
    assert asset_names(dagbag.dags["loyalty_alerts"].timetable.asset_condition) == {"marts"}


@pytest.mark.parametrize(
    ("error", "action"),
    [
        (WarehouseBusyError("busy"), "retry"),
        (ValidationFailed("orders_2.csv quarantined"), "fail"),
        (QuarantinedAtIngest("zero_bytes.csv quarantined"), "fail"),
        (ModelError("model marts.kpi_monthly failed"), "fail"),
        (OSError("disk hiccup"), "default"),
    ],
)
def test_retries_are_for_transient_errors_only(dagbag, error: Exception, action: str) -> None:
    for dag in dagbag.dags.values():
        for task in dag.tasks:
            decision = task.retry_policy.evaluate(error, try_number=1, max_tries=4)
            assert decision.action.value == action, (dag.dag_id, task.task_id)


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
def test_the_message_trigger_yields_every_message_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    require_service("Redis", "127.0.0.1", 6379)
    from pipelines.message_trigger import ExportMessageTrigger
    from pipelines.notify import NobodyListening, notify

    monkeypatch.setenv("AIRFLOW_CONN_LOYALTY_REDIS", "redis://127.0.0.1:6379/1")
    trigger = ExportMessageTrigger(channel="loyalty-dagtest.shop")

    async def two_events() -> list[object]:
        events = trigger.run()
        first = asyncio.ensure_future(anext(events))
        for _ in range(100):
            await asyncio.sleep(0.05)
            with contextlib.suppress(NobodyListening):
                notify("orders", ["orders_x.csv"], "redis://127.0.0.1:6379/1", "loyalty-dagtest")
                break
        received = [await asyncio.wait_for(first, timeout=10)]
        second = asyncio.ensure_future(anext(events))
        await asyncio.sleep(0.05)
        notify("orders", ["orders_y.csv"], "redis://127.0.0.1:6379/1", "loyalty-dagtest")
        received.append(await asyncio.wait_for(second, timeout=10))
        await events.aclose()
        return received

    first, second = asyncio.run(two_events())
    assert "orders_x.csv" in first.payload["data"] and "orders_y.csv" in second.payload["data"]
    classpath, kwargs = trigger.serialize()
    assert classpath == "pipelines.message_trigger.ExportMessageTrigger"
    assert kwargs == {"channel": "loyalty-dagtest.shop", "redis_conn_id": "loyalty_redis"}


@pytest.mark.slow
def test_dag_test_end_to_end(
    dagbag, airflow_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, action_exports: Path
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
    for dag_id in ("loyalty_ingest", "loyalty_metrics", "loyalty_report"):
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
    assert sorted(p.name for p in (action_exports / "actions").iterdir()) == [
        "at-risk.csv",
        "detractors.csv",
    ]
