"""Alerts: send the new rows of marts.alerts (e-mail with the report, webhook) whenever the marts are rebuilt."""

from airflow.sdk import dag, task
from loyalty_assets import DEFAULT_ARGS, MARTS, WRITER_POOL


@dag(
    schedule=[MARTS],
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=["loyalty", "alerts"],
)
def loyalty_alerts() -> None:
    @task(pool=WRITER_POOL)
    def send_alerts() -> dict:
        """Writes the delivery ledger (audit.alert_deliveries), so it takes the writer slot."""
        from pipelines.alerts.airflow_smtp import send_alerts
        from pipelines.config import settings_from_env

        settings = settings_from_env()
        return send_alerts(settings, settings.alerts)

    send_alerts()


loyalty_alerts()
