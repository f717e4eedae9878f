"""The summary of `make bench-day`: median, minimum and maximum per step, slowest first."""

from __future__ import annotations

from benchmarks.day_profile import summary


def test_steps_are_summarised_slowest_first() -> None:
    runs = [
        {"build": 12.0, "model:core.buyers": 0.3, "model:marts.kpi_monthly": 0.5},
        {"build": 14.0, "model:core.buyers": 0.1},
        {"build": 13.0, "model:core.buyers": 0.2, "model:marts.kpi_monthly": 0.4},
    ]
    assert summary(runs) == [
        ("build", 13.0, 12.0, 14.0),
        # A model missing from a run took no time there.
        ("model:marts.kpi_monthly", 0.4, 0.0, 0.5),
        ("model:core.buyers", 0.2, 0.1, 0.3),
    ]
