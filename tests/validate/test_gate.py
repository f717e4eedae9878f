"""The validation gate on real files: pass, critical (quarantine), warning, survey gaming."""

from __future__ import annotations

import hashlib

import pytest

from pipelines.config import Settings
from pipelines.validate.gate import ValidationFailed, columns_read
from pipelines.validate.suites import ExpectationSpec
from tests.conftest import fetch, fetch_dicts, order, run, write_entity


def marts_checksum(settings: Settings) -> str:
    tables = [
        t
        for (t,) in fetch(
            settings,
            "select table_name from duckdb_tables() where schema_name = 'marts' and table_name <> 'build_info' order by 1",
        )
    ]
    digest = hashlib.sha256()
    for table in tables:
        digest.update(repr(fetch(settings, f"select * from marts.{table} order by all")).encode())
    return digest.hexdigest()


def results(settings: Settings, file_name: str) -> dict[str, dict[str, object]]:
    rows = fetch_dicts(
        settings,
        "select r.* from audit.validation_results r join audit.files f using (file_id) where f.file_name = '"
        + file_name
        + "'",
    )
    return {f"{r['expectation']}({r['column'] or ''})": r for r in rows}


def test_a_good_batch_passes_and_reaches_the_marts(settings: Settings) -> None:
    write_entity(settings.landing, "orders", "orders.csv", [order(i) for i in range(5)])
    run(settings)
    assert fetch(settings, "select status from audit.files") == [("validated",)]
    checks = results(settings, "orders.csv")
    assert all(r["success"] for r in checks.values())
    assert "expect_column_values_to_be_between(net_amount)" in checks
    assert fetch(settings, "select sum(purchases) from marts.kpi_monthly") == [(5,)]


def test_a_critical_failure_quarantines_the_batch_and_keeps_the_marts(settings: Settings) -> None:
    write_entity(settings.landing, "orders", "orders_1.csv", [order(i) for i in range(5)])
    run(settings)
    before = marts_checksum(settings)
    write_entity(
        settings.landing,
        "orders",
        "orders_2.csv",
        [order(10), order(11, net="-5.00"), order(12, net="-7.50")],
    )
    with pytest.raises(ValidationFailed) as failure:
        run(settings)
    message = str(failure.value)
    assert "orders_2.csv" in message
    assert "expect_column_values_to_be_between(net_amount)" in message
    assert "2 of 3 rows; e.g. -5.0, -7.5" in message
    assert fetch(settings, "select status from audit.files where file_name = 'orders_2.csv'") == [
        ("quarantined",)
    ]
    assert marts_checksum(settings) == before
    assert fetch(settings, "select count(*) from staging.stg_orders") == [(5,)]
    with pytest.raises(
        ValidationFailed, match=r"orders_2\.csv: expect_column_values_to_be_between"
    ):
        run(settings)
    assert marts_checksum(settings) == before


def test_warnings_are_recorded_and_the_batch_loads(settings: Settings) -> None:
    write_entity(
        settings.landing,
        "customers",
        "customers.csv",
        [
            {
                "customer_id": "C1",
                "created_at": "2024-01-01",
                "updated_at": "2024-01-01",
                "country": "DE",
            }
        ],
    )
    write_entity(
        settings.landing,
        "orders",
        "orders.csv",
        [order(1), order(2, customer="X1"), order(3, customer="X2"), order(4)],
    )
    result = run(settings)
    assert result.validation is not None
    checks = results(settings, "orders.csv")
    unknown = checks["expect_customer_ids_known_to_crm(customer_id)"]
    assert (unknown["success"], unknown["severity"], unknown["unexpected_count"]) == (
        False,
        "warning",
        2,
    )
    assert unknown["observed_value"] == "50.0 % of rows"
    assert unknown["unexpected_examples"] == '["X1", "X2"]'
    assert fetch(settings, "select count(*) from staging.stg_orders") == [(4,)]


def test_a_gamed_survey_channel_is_flagged(settings: Settings) -> None:
    rows = [
        {
            "response_id": f"S{i}",
            "responded_at": "2025-03-10T10:00:00Z",
            "customer_id": f"C{i}",
            "channel": "store",
            "nps_score": 10 if i < 38 else 9,
        }
        for i in range(40)
    ] + [
        {
            "response_id": f"W{i}",
            "responded_at": "2025-03-10T10:00:00Z",
            "customer_id": f"D{i}",
            "channel": "web",
            "nps_score": i % 11,
        }
        for i in range(40)
    ]
    write_entity(settings.landing, "responses", "responses.csv", rows)
    run(settings)
    gaming = results(settings, "responses.csv")["expect_no_survey_gaming(nps_score)"]
    assert gaming["success"] is False
    assert "channel=store 2025-03: 95 % tens (n=40)" in str(gaming["unexpected_examples"])
    assert "web" not in str(gaming["unexpected_examples"])


def spec(type_: str, **kwargs: object) -> ExpectationSpec:
    return ExpectationSpec(type_, dict(kwargs), "critical", "", type_)


@pytest.mark.parametrize(
    ("specs", "expected"),
    [
        (
            [
                spec("expect_column_values_to_be_between", column="b", min_value=0),
                spec(
                    "expect_column_pair_values_A_to_be_greater_than_B", column_A="d", column_B="a"
                ),
            ],
            ["a", "b", "d"],
        ),
        ([spec("expect_compound_columns_to_be_unique", column_list=["c", "x"])], ["c"]),
        (
            [
                spec("expect_column_values_to_be_between", column="b", min_value=0),
                spec("expect_table_row_count_to_be_between", min_value=1),
            ],
            ["a", "b", "c", "d"],
        ),
    ],
)
def test_gx_sees_only_the_columns_its_expectations_read(
    specs: list[ExpectationSpec], expected: list[str]
) -> None:
    assert columns_read(specs, ["a", "b", "c", "d"]) == expected
