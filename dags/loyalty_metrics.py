"""Metrics: validate the new batches, then rebuild the models, whenever a raw table changes."""

from airflow.sdk import chain, dag, task
from loyalty_assets import DEFAULT_ARGS, MARTS, RAW, WRITER_POOL, on_failure


@dag(
    schedule=(RAW["customers"] | RAW["events"] | RAW["orders"] | RAW["returns"] | RAW["responses"]),
    catchup=False,
    max_active_runs=1,
    default_args={**DEFAULT_ARGS, "on_failure_callback": on_failure},
    tags=["loyalty", "metrics"],
)
def loyalty_metrics() -> None:
    @task(pool=WRITER_POOL)
    def validate() -> dict:
        """A critical failure fails this task, so the build does not run and the marts stay."""
        from dataclasses import asdict

        from pipelines.config import settings_from_env
        from pipelines.orchestration import validate_batches

        return asdict(validate_batches(settings_from_env()))

    @task(pool=WRITER_POOL, outlets=[MARTS])
    def build() -> dict:
        from dataclasses import asdict

        from pipelines.config import settings_from_env
        from pipelines.orchestration import build_models

        return asdict(build_models(settings_from_env()))

    chain(validate(), build())


loyalty_metrics()
