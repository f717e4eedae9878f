"""The backend settings: one variable chooses, every value is checked, none becomes SQL."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.config import Settings, settings_from_env
from pipelines.errors import LoyaltyError
from pipelines.warehouse import open_reader, warehouse_of
from pipelines.warehouse_ducklake import Lake, s3_secret_sql
from tests.conftest import run, write_entity

LAKE = {
    "LOYALTY_WAREHOUSE_BACKEND": "ducklake",
    "LOYALTY_DUCKLAKE_CATALOG": "dbname=loyalty_lake host=127.0.0.1 user=postgres",
    "LOYALTY_DUCKLAKE_DATA_PATH": "s3://loyalty-lake/warehouse",
    "LOYALTY_S3_ENDPOINT": "http://127.0.0.1:9000",
}


def test_the_file_stays_the_default() -> None:
    settings = settings_from_env({})
    assert settings.warehouse_backend == "file"
    assert warehouse_of(settings) == Path("data/warehouse.duckdb")


def test_one_variable_chooses_ducklake() -> None:
    lake = warehouse_of(settings_from_env(LAKE))
    assert isinstance(lake, Lake)
    assert (lake.on_s3, lake.data_folder) == (True, "s3://loyalty-lake/warehouse/")


@pytest.mark.parametrize(
    ("variable", "value", "named"),
    [
        (
            "LOYALTY_WAREHOUSE_BACKEND",
            "sqlite",
            "LOYALTY_WAREHOUSE_BACKEND must be one of file, ducklake",
        ),
        (
            "LOYALTY_DUCKLAKE_CATALOG",
            "dbname=x' (type duckdb); drop",
            "LOYALTY_DUCKLAKE_CATALOG must look like",
        ),
        (
            "LOYALTY_DUCKLAKE_CATALOG",
            "postgresql://u@h/db",
            "LOYALTY_DUCKLAKE_CATALOG must look like",
        ),
        (
            "LOYALTY_DUCKLAKE_CATALOG",
            "dbname=x options='-c x=1'",
            "LOYALTY_DUCKLAKE_CATALOG must look like",
        ),
        (
            "LOYALTY_DUCKLAKE_DATA_PATH",
            "relative/lake",
            "LOYALTY_DUCKLAKE_DATA_PATH must look like",
        ),
        ("LOYALTY_DUCKLAKE_DATA_PATH", "/srv/lake/*", "LOYALTY_DUCKLAKE_DATA_PATH must look like"),
        (
            "LOYALTY_DUCKLAKE_DATA_PATH",
            "s3://Bad_Bucket/x",
            "LOYALTY_DUCKLAKE_DATA_PATH must look like",
        ),
        (
            "LOYALTY_DUCKLAKE_DATA_PATH",
            "http://example.com/x",
            "LOYALTY_DUCKLAKE_DATA_PATH must look like",
        ),
        ("LOYALTY_S3_ENDPOINT", "127.0.0.1:9000'; drop", "LOYALTY_S3_ENDPOINT must look like"),
        ("LOYALTY_S3_REGION", "eu west", "LOYALTY_S3_REGION must look like"),
        ("LOYALTY_DUCKLAKE_CATALOG", " ", "LOYALTY_DUCKLAKE_CATALOG is needed"),
        ("LOYALTY_DUCKLAKE_DATA_PATH", "", "LOYALTY_DUCKLAKE_DATA_PATH is needed"),
    ],
)
def test_a_bad_value_is_refused_naming_its_variable(variable: str, value: str, named: str) -> None:
    with pytest.raises(LoyaltyError, match=named.replace("(", r"\(")):
        settings_from_env({**LAKE, variable: value})


def test_the_s3_secret_holds_only_quoted_values() -> None:
    lake = warehouse_of(
        settings_from_env(
            {**LAKE, "AWS_ACCESS_KEY_ID": "key'id", "AWS_SECRET_ACCESS_KEY": "s'); drop"}
        )
    )
    assert isinstance(lake, Lake)
    options = s3_secret_sql(lake)
    assert "key_id 'key''id'" in options
    assert "secret 's''); drop'" in options
    assert "endpoint '127.0.0.1:9000', use_ssl false" in options


def test_the_catalog_password_is_not_shown() -> None:
    lake = warehouse_of(
        settings_from_env({**LAKE, "LOYALTY_DUCKLAKE_CATALOG": "dbname=x password=hunter2"})
    )
    assert "hunter2" not in str(lake)


@pytest.mark.services
def test_a_data_folder_with_quotes_and_spaces_is_a_plain_folder(
    lake_settings: Settings, tmp_path: Path
) -> None:
    folder = tmp_path / "it's a lake; drop table x"
    odd = lake_settings.with_overrides(ducklake_data_path=str(folder))
    write_entity(
        odd.landing,
        "customers",
        "customers_1.csv",
        [
            {
                "customer_id": "C1",
                "created_at": "2025-01-05T10:00:00Z",
                "updated_at": "2025-01-05T10:00:00Z",
            }
        ],
    )
    run(odd, "ingest")
    with open_reader(warehouse_of(odd)) as con:
        assert con.execute("select customer_id from raw.customers").fetchall() == [("C1",)]
    assert any(folder.rglob("*.parquet"))
