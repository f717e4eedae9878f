"""Airflow DAG ingest_crm: loads the crm exports on a flag file or message, and hourly as a safety net."""

import os

from loyalty_assets import ingestion_dag

ingest_crm = ingestion_dag("crm", os.environ.get("LOYALTY_INGEST_SCHEDULE", "@hourly"))
