"""What every loyalty DAG shares, defined once: the Assets, their watchers, the task defaults."""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path

from airflow.sdk import (
    Asset,
    AssetAlias,
    AssetWatcher,
    ExceptionRetryPolicy,
    RetryAction,
    RetryRule,
)

from pipelines.config import settings_from_env
from pipelines.ingest.entities import FLAG_NAME
from pipelines.ingest.entities import SYSTEMS as SYSTEM_ENTITIES

FLAG_POKE_SECONDS = 1.0
WRITER_POOL = "warehouse_writer"

RAW = {
    entity: Asset(name=f"raw.{entity}", uri=f"loyalty://warehouse/raw/{entity}", group="loyalty")
    for folder in SYSTEM_ENTITIES.values()
    for entity in folder
}
# The ingest names, run by run, the raw tables that got new files: no file, no event.
RAW_LOADED = AssetAlias(name="raw.loaded", group="loyalty")
MARTS = Asset(name="marts", uri="loyalty://warehouse/marts", group="loyalty")
ACTIONS = Asset(name="action_lists", uri="loyalty://exports/actions", group="loyalty")

# Retries are for what can pass by itself. Our own errors (a quarantine, a broken model, a
# wrong setting) come back on every try until a person acts, so they fail at once.
RETRY_POLICY = ExceptionRetryPolicy(
    rules=[
        RetryRule(
            exception="pipelines.errors.WarehouseBusyError",
            action=RetryAction.RETRY,
            reason="the warehouse was busy; trying again",
        ),
        RetryRule(
            exception="pipelines.errors.LoyaltyError",
            action=RetryAction.FAIL,
            reason="a person must act (the message says what to do); a retry would find the same",
        ),
    ]
)


def record_failure(context: dict) -> None:
    """Record a failed try in audit.runs (unless its pipeline step did) and end the log with it."""
    from pipelines.config import settings_from_env
    from pipelines.orchestration import record_failure as record

    task = context["task_instance"]
    step = f"airflow:{task.dag_id}.{task.task_id}"
    message = str(context.get("exception") or "failed")
    record(settings_from_env(), step, message, origin(context), task.start_date)
    log = logging.getLogger("airflow.task")
    for line in f"{step} failed (recorded in audit.runs, `loyalty status` lists it):\n{message}".splitlines():
        log.error(line)


DEFAULT_ARGS = {
    "retries": 3,
    "retry_delay": timedelta(seconds=20),
    "retry_exponential_backoff": True,
    "max_retry_delay": timedelta(minutes=10),
    "retry_policy": RETRY_POLICY,
    "on_failure_callback": record_failure,
    "on_retry_callback": record_failure,
}


def origin(context: dict) -> object:
    """The Airflow DAG run a task belongs to, as the pipeline writes it into audit.runs."""
    from pipelines.run import RunOrigin

    return RunOrigin(context["dag"].dag_id, context["run_id"])


def landing() -> Path:
    return settings_from_env().landing.resolve()


def watchers(system: str) -> list[AssetWatcher]:
    """Flag-file watchers for each of the system's folders, plus its Redis channel when configured."""
    from airflow.providers.standard.triggers.file import DirectoryFileDeleteTrigger

    result = [
        AssetWatcher(
            name=f"{entity}_flag",
            trigger=DirectoryFileDeleteTrigger(
                directory=str(landing() / folder),
                filename=FLAG_NAME,
                poke_interval=FLAG_POKE_SECONDS,
            ),
        )
        for entity, folder in SYSTEM_ENTITIES[system].items()
    ]
    channel_prefix = settings_from_env().redis_channel_prefix
    if channel_prefix:
        from pipelines.message_trigger import ExportMessageTrigger

        result.append(
            AssetWatcher(
                name=f"{system}_message",
                trigger=ExportMessageTrigger(
                    channel=f"{channel_prefix}.{system}", redis_conn_id="loyalty_redis"
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
