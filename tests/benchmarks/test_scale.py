"""The growth fit of `make bench-scale` on series whose exponent is known by hand."""

from __future__ import annotations

import pytest

from benchmarks.scale import fits, growth_exponent


@pytest.mark.parametrize(
    ("seconds", "exponent"),
    [
        ([1.0, 10.0, 100.0], 1.0),
        ([1.0, 100.0, 10_000.0], 2.0),
        ([3.0, 3.0, 3.0], 0.0),
    ],
)
def test_growth_exponent(seconds: list[float], exponent: float) -> None:
    assert growth_exponent([1e3, 1e4, 1e5], seconds) == pytest.approx(exponent)


def test_a_stage_growing_quadratically_is_flagged() -> None:
    series = [
        {"total_rows": rows, "stages": {n: {"seconds": s} for n, s in seconds.items()}}
        for rows, seconds in (
            (1e3, {"ingest": 1, "validate": 1, "build": 1, "report": 1}),
            (1e4, {"ingest": 10, "validate": 100, "build": 10, "report": 2}),
        )
    ]
    growth = fits(series)
    assert growth["validate"] == {"exponent": pytest.approx(2.0), "faster_than_linear": True}
    assert not growth["ingest"]["faster_than_linear"]
