"""Metrics: validate the new batches, then rebuild the models, whenever a raw table changes."""

from functools import reduce
from operator import or_

from airflow.sdk import chain, dag, task
from loyalty_assets import ACTIONS, DEFAULT_ARGS, MARTS, RAW, WRITER_POOL, origin


@dag(
    schedule=reduce(or_, RAW.values()),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=["loyalty", "metrics"],
)
def loyalty_metrics() -> None:
    @task(pool=WRITER_POOL)
    def validate(**context: object) -> dict:
        """Fails while a critical quarantine is open (new or earlier), so the build does not run."""
        from dataclasses import asdict

        from pipelines.config import settings_from_env
        from pipelines.orchestration import validate_batches

        return asdict(validate_batches(settings_from_env(), origin(context)))

    @task(pool=WRITER_POOL, outlets=[MARTS])
    def build(**context: object) -> dict:
        from dataclasses import asdict

        from pipelines.config import settings_from_env
        from pipelines.orchestration import build_models

        return asdict(build_models(settings_from_env(), origin(context)))

    @task(outlets=[ACTIONS])
    def actions() -> dict:
        """The action lists of data/exports/actions/, for a CRM scheduled on this Asset."""
        from dataclasses import asdict

        from pipelines.config import settings_from_env
        from pipelines.orchestration import write_actions

        return asdict(write_actions(settings_from_env()))

    chain(validate(), build(), actions())


loyalty_metrics()
