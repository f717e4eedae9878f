"""Report: write the executive report whenever the marts are rebuilt."""

from airflow.sdk import dag, task
from loyalty_assets import DEFAULT_ARGS, MARTS


@dag(
    schedule=[MARTS],
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=["loyalty", "report"],
)
def loyalty_report() -> None:
    @task
    def report() -> dict:
        """Reads the read-only snapshot, so it needs no writer slot and never waits for one."""
        from dataclasses import asdict

        from pipelines.config import settings_from_env
        from pipelines.orchestration import write_report

        return asdict(write_report(settings_from_env()))

    report()


loyalty_report()
