"""The Assets every loyalty DAG shares, and their watchers (defined once, imported by the DAGs)."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

from airflow.sdk import Asset, AssetWatcher

SYSTEM_ENTITIES = {
    "crm": {"customers": "crm/customers", "events": "crm/events"},
    "shop": {"orders": "shop/orders", "returns": "shop/returns"},
    "survey": {"responses": "survey/responses"},
}
FLAG_NAME = "_ready"
WRITER_POOL = "warehouse_writer"
DEFAULT_ARGS = {
    "retries": 3,
    "retry_delay": timedelta(seconds=20),
    "retry_exponential_backoff": True,
    "max_retry_delay": timedelta(minutes=10),
}

RAW = {
    entity: Asset(name=f"raw.{entity}", uri=f"loyalty://warehouse/raw/{entity}", group="loyalty")
    for folder in SYSTEM_ENTITIES.values()
    for entity in folder
}
MARTS = Asset(name="marts", uri="loyalty://warehouse/marts", group="loyalty")


def landing() -> Path:
    return Path(os.environ.get("LOYALTY_LANDING", "data/landing")).resolve()


def watchers(system: str) -> list[AssetWatcher]:
    """Flag-file watchers for each of the system's folders, plus a Redis channel when configured."""
    from airflow.providers.standard.triggers.file import DirectoryFileDeleteTrigger

    result = [
        AssetWatcher(
            name=f"{entity}_flag",
            trigger=DirectoryFileDeleteTrigger(
                directory=str(landing() / folder), filename=FLAG_NAME, poke_interval=5.0
            ),
        )
        for entity, folder in SYSTEM_ENTITIES[system].items()
    ]
    channel_prefix = os.environ.get("LOYALTY_REDIS_CHANNEL_PREFIX")
    if channel_prefix:
        from airflow.providers.common.messaging.triggers.msg_queue import MessageQueueTrigger

        result.append(
            AssetWatcher(
                name=f"{system}_message",
                trigger=MessageQueueTrigger(
                    scheme="redis+pubsub",
                    channels=[f"{channel_prefix}.{system}"],
                    redis_conn_id="loyalty_redis",
                ),
            )
        )
    return result


def inbox(system: str) -> Asset:
    """The arrival of a system's exports: the Asset the watchers update."""
    return Asset(
        name=f"{system}_exports",
        uri=f"loyalty://landing/{system}",
        group="loyalty",
        watchers=watchers(system),
    )


def on_failure(context: dict) -> None:
    """Record a failed task in audit.runs."""
    from pipelines.config import settings_from_env
    from pipelines.orchestration import record_failure

    task = context["task_instance"]
    record_failure(
        settings_from_env(), f"airflow:{task.dag_id}.{task.task_id}", str(context.get("exception"))
    )


def ingestion_dag(system: str, schedule: str):
    """The ingestion DAG of one source system: pull new exports, then load them."""
    from airflow.sdk import AssetOrTimeSchedule, CronTriggerTimetable, dag, task

    @dag(
        dag_id=f"ingest_{system}",
        schedule=AssetOrTimeSchedule(
            timetable=CronTriggerTimetable(schedule, timezone="UTC"), assets=[inbox(system)]
        ),
        catchup=False,
        max_active_runs=1,
        default_args={**DEFAULT_ARGS, "on_failure_callback": on_failure},
        tags=["loyalty", "ingestion", system],
        doc_md=f"Loads new {system} exports when a flag file or message arrives, and {schedule} as a safety net.",
    )
    def ingestion() -> None:
        @task
        def pull() -> list[str]:
            """Copy new exports from LOYALTY_SOURCE_<SYSTEM>, if configured, into the landing zone."""
            from pipelines.config import settings_from_env
            from pipelines.orchestration import pull_exports, source_location

            return pull_exports(system, settings_from_env(), source_location(system))

        @task(pool=WRITER_POOL, outlets=[RAW[e] for e in SYSTEM_ENTITIES[system]])
        def ingest(pulled: list[str], **context: object) -> dict:
            """Load every new file of the system; the triggering events are logged with the result."""
            from dataclasses import asdict

            from pipelines.config import settings_from_env
            from pipelines.orchestration import ingest_system

            events = context.get("triggering_asset_events") or {}
            outcome = asdict(ingest_system(system, settings_from_env()))
            outcome["triggered_by"] = [
                str(e.extra) for asset_events in events.values() for e in asset_events
            ]
            outcome["pulled"] = pulled
            return outcome

        ingest(pull())

    return ingestion()
