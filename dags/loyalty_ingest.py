"""Ingestion: load every new export when a flag file or message arrives, and hourly as a safety net."""

from functools import reduce
from operator import or_

from airflow.sdk import AssetOrTimeSchedule, CronTriggerTimetable, dag, task
from loyalty_assets import (
    DEFAULT_ARGS,
    RAW,
    RAW_LOADED,
    SYSTEM_ENTITIES,
    WRITER_POOL,
    inbox,
    origin,
)

from pipelines.config import settings_from_env

SCHEDULE = settings_from_env().ingest_schedule


@dag(
    schedule=AssetOrTimeSchedule(
        timetable=CronTriggerTimetable(SCHEDULE, timezone="UTC"),
        assets=reduce(or_, map(inbox, SYSTEM_ENTITIES)),
    ),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=["loyalty", "ingestion"],
    doc_md=(
        f"Loads every new export of {', '.join(SYSTEM_ENTITIES)} when a flag file or "
        f"message arrives, and {SCHEDULE} as a safety net. One run loads whatever arrived, so "
        "a batch from several systems triggers the metrics once. `quarantine` fails when a "
        "file could not be read: its log ends with the file, the reason and the fix."
    ),
)
def loyalty_ingest() -> None:
    @task
    def pull() -> list[str]:
        """Copy new exports from LOYALTY_SOURCE_<SYSTEM>, where configured, into the landing zone."""
        from pipelines.config import settings_from_env
        from pipelines.orchestration import pull_exports

        settings = settings_from_env()
        return [
            path
            for system in SYSTEM_ENTITIES
            for path in pull_exports(system, settings, settings.sources.get(system))
        ]

    @task(pool=WRITER_POOL, outlets=[RAW_LOADED])
    def ingest(pulled: list[str], **context: object) -> dict:
        """Load every new file; only the raw tables that got one are announced to the metrics."""
        from dataclasses import asdict

        from pipelines.config import settings_from_env
        from pipelines.orchestration import ingest_new_files

        outcome = ingest_new_files(settings_from_env(), origin(context))
        for entity in outcome.loaded:
            context["outlet_events"][RAW_LOADED].add(RAW[entity])
        events = context.get("triggering_asset_events") or {}
        return {
            **asdict(outcome),
            "pulled": pulled,
            "triggered_by": [str(e.extra) for found in events.values() for e in found],
        }

    @task
    def quarantine(outcome: dict) -> str:
        """Fails when the ingest quarantined a file, naming it, the reason and the fix."""
        from pipelines.orchestration import check_quarantine

        return check_quarantine(outcome["quarantined"])

    quarantine(ingest(pull()))


loyalty_ingest()
