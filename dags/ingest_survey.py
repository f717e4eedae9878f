"""Airflow DAG ingest_survey: loads the survey exports on a flag file or message, and hourly as a safety net."""

import os

from loyalty_assets import ingestion_dag

ingest_survey = ingestion_dag("survey", os.environ.get("LOYALTY_INGEST_SCHEDULE", "@hourly"))
