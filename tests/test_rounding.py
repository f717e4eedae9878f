"""Rounding in Python exactly as the warehouse's SQL round() does it."""

from __future__ import annotations

import random
from decimal import Decimal

import duckdb
import pytest

from pipelines.rounding import round_half_away


@pytest.mark.parametrize(
    ("value", "digits", "expected"),
    [(31.25, 1, 31.3), (-31.25, 1, -31.3), (0.125, 2, 0.13), (2.5, 0, 3.0), (0.285, 2, 0.28)],
)
def test_halves_go_away_from_zero_as_in_sql(value: float, digits: int, expected: float) -> None:
    assert round_half_away(value, digits) == expected
    assert duckdb.sql(f"select round({value}::double, {digits})").fetchone() == (expected,)


def test_agrees_with_duckdb_round_on_many_doubles() -> None:
    rng = random.Random(15)
    values = [
        rng.choice([rng.random(), rng.randint(0, 40_000) / 800, rng.uniform(-100, 100)])
        for _ in range(5_000)
    ]
    for digits in (0, 1, 2):
        sql = duckdb.execute(
            "select round(x, $digits) from unnest($values) as t(x)",
            {"values": values, "digits": digits},
        ).fetchall()
        assert [round_half_away(v, digits) for v in values] == [r[0] for r in sql]


def test_decimals_round_exactly() -> None:
    assert round_half_away(Decimal("98146.50"), 0) == 98147.0
    assert round_half_away(Decimal("0.05"), 1) == 0.1
