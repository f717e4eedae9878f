"""Rounding as the warehouse's SQL round() does it, so the report, the CLI and a query agree."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal


def round_half_away(value: float | Decimal, digits: int = 0) -> float:
    """`value` to `digits` decimals, halves away from zero: 31.25 -> 31.3, -0.125 -> -0.13.

    DuckDB rounds a DOUBLE as round(value * 10^digits) / 10^digits and a DECIMAL exactly;
    Python's round() and format() round halves to even (31.25 -> 31.2) instead.
    """
    if isinstance(value, Decimal):
        return float(value.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP))
    scale = 10.0**digits
    return float(Decimal(value * scale).quantize(Decimal(1), rounding=ROUND_HALF_UP)) / scale
