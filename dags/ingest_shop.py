"""Airflow DAG ingest_shop: loads the shop exports on a flag file or message, and hourly as a safety net."""

import os

from loyalty_assets import ingestion_dag

ingest_shop = ingestion_dag("shop", os.environ.get("LOYALTY_INGEST_SCHEDULE", "@hourly"))
