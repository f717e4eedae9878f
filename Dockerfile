# The production image: the official Airflow image with this package and its pinned
# dependencies. Used by every Airflow service in docker-compose.yml.
FROM apache/airflow:3.3.2-python3.11

USER root
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 \
    && rm -rf /var/lib/apt/lists/*
USER airflow

COPY --chown=airflow:root requirements.lock pyproject.toml README.md /opt/loyalty/
RUN pip install --no-cache-dir -r /opt/loyalty/requirements.lock
COPY --chown=airflow:root pipelines /opt/loyalty/pipelines
COPY --chown=airflow:root sql /opt/loyalty/sql
COPY --chown=airflow:root sources /opt/loyalty/sources
COPY --chown=airflow:root config /opt/loyalty/config
COPY --chown=airflow:root expectations /opt/loyalty/expectations
COPY --chown=airflow:root dags /opt/airflow/dags
COPY --chown=airflow:root scripts/airflow-init /opt/loyalty/scripts/airflow-init
RUN pip install --no-cache-dir --no-deps -e /opt/loyalty
