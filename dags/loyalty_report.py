"""Report: write the executive report whenever the marts are rebuilt, or for a month on request."""

from airflow.sdk import Param, dag, task
from loyalty_assets import DEFAULT_ARGS, MARTS


@dag(
    schedule=[MARTS],
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=["loyalty", "report"],
    params={
        "month": Param(
            None,
            type=["null", "string"],
            pattern=r"^\d{4}-(0[1-9]|1[0-2])$",
            description="YYYY-MM to write that month's report; empty: the latest complete month.",
        )
    },
)
def loyalty_report() -> None:
    @task
    def report(**context: object) -> dict:
        """Reads the read-only snapshot, so it needs no writer slot and never waits for one."""
        from dataclasses import asdict

        from pipelines.config import settings_from_env
        from pipelines.orchestration import write_report

        return asdict(write_report(settings_from_env(), context["params"]["month"]))

    report()


loyalty_report()
