"""The DuckLake's data in an S3 bucket, served on 127.0.0.1 by a real S3-compatible server."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto.server import ThreadedMotoServer

from pipelines.config import Settings
from tests.conftest import marts, run, sample_landing

pytestmark = pytest.mark.services

BUCKET = "loyalty-lake"
KEYS = {"s3_key_id": "loyalty-test", "s3_secret": "loyalty-test-secret"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def s3_endpoint() -> Iterator[str]:
    """moto in server mode on a free local port, with an empty bucket."""
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    try:
        client(endpoint).create_bucket(Bucket=BUCKET)
        yield endpoint
    finally:
        server.stop()


def client(endpoint: str) -> Any:
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=KEYS["s3_key_id"],
        aws_secret_access_key=KEYS["s3_secret"],
    )


def test_the_pipeline_runs_with_its_data_in_a_bucket(
    settings: Settings, lake_settings: Settings, s3_endpoint: str
) -> None:
    on_s3 = lake_settings.with_overrides(
        ducklake_data_path=f"s3://{BUCKET}/warehouse", s3_endpoint=s3_endpoint, **KEYS
    )
    sample_landing(settings.landing, customers=300, months=6)
    run(on_s3)
    run(settings)
    objects = client(s3_endpoint).list_objects_v2(Bucket=BUCKET, Prefix="warehouse/")
    keys = [item["Key"] for item in objects.get("Contents", [])]
    assert any(key.startswith("warehouse/marts/") and key.endswith(".parquet") for key in keys)
    assert marts(on_s3) == marts(settings)
