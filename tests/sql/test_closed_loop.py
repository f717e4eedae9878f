"""Detractor call-backs and the closed-loop rate by hand.

as_of 2025-03-10 12:00 UTC. Detractor responses of known customers:
  D1 K1 1 Feb 10:00, outreach 2 Feb 09:00 (23 h; a second one on 20 Feb is not the first) -> closed
  D2 K2 3 Feb 10:00, outreach 6 Feb 10:00 (72 h)                                        -> late
  D3 K3 10 Feb 10:00, outreach only after as_of                                          -> never, waiting 674 h
  D4 K4 12 Feb 10:00, outreach the day before the response only                          -> never, waiting 626 h
  D5 K5 9 Mar 20:00, nothing yet, the 48 hours run past as_of                            -> open, waiting 16 h
Not counted: P1 (K5, score 9, followed up) and A1 (anonymous, score 2).
February: 1 of 4 closed within 48 hours = 0.25; March: NULL (D5's window is open).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from pipelines.config import Settings
from tests.conftest import fetch, fetch_dicts, run, write_entity

AS_OF = "2025-03-10T12:00:00Z"
RESPONSES = [
    ("D1", "K1", "2025-02-01T10:00:00Z", 3),
    ("D2", "K2", "2025-02-03T10:00:00Z", 6),
    ("D3", "K3", "2025-02-10T10:00:00Z", 0),
    ("D4", "K4", "2025-02-12T10:00:00Z", 5),
    ("D5", "K5", "2025-03-09T20:00:00Z", 4),
    ("P1", "K5", "2025-02-05T10:00:00Z", 9),
    ("A1", None, "2025-02-06T10:00:00Z", 2),
]
OUTREACH = [
    ("O1", "K1", "2025-02-02T09:00:00Z"),
    ("O1b", "K1", "2025-02-20T09:00:00Z"),
    ("O2", "K2", "2025-02-06T10:00:00Z"),
    ("O3", "K3", "2025-03-11T10:00:00Z"),
    ("O4", "K4", "2025-02-11T10:00:00Z"),
    ("O5", "K5", "2025-02-05T12:00:00Z"),
]


@pytest.fixture
def loop(settings: Settings) -> Settings:
    write_entity(
        settings.landing,
        "responses",
        "responses.csv",
        [
            {"response_id": r, "customer_id": c, "responded_at": at, "nps_score": s}
            for r, c, at, s in RESPONSES
        ],
    )
    write_entity(
        settings.landing,
        "events",
        "events.csv",
        [
            {
                "event_id": e,
                "customer_id": c,
                "occurred_at": at,
                "event_type": "outreach",
                "channel": "phone",
            }
            for e, c, at in OUTREACH
        ],
    )
    write_entity(
        settings.landing,
        "customers",
        "customers.csv",
        [
            {
                "customer_id": f"K{i}",
                "created_at": "2024-01-01",
                "updated_at": "2024-01-01",
                "preferred_channel": "phone" if i == 1 else "email",
            }
            for i in range(1, 6)
        ],
    )
    write_entity(
        settings.landing,
        "orders",
        "orders.csv",
        [
            {
                "order_id": "K1a",
                "customer_id": "K1",
                "ordered_at": "2025-01-15T10:00:00Z",
                "net_amount": "40",
            },
            {
                "order_id": "K2a",
                "customer_id": "K2",
                "ordered_at": "2024-01-15T10:00:00Z",
                "net_amount": "99",
            },
        ],
    )
    run(settings, as_of=AS_OF)
    return settings


def test_each_detractor_has_its_first_follow_up(loop: Settings) -> None:
    rows = {
        r["response_id"]: r for r in fetch_dicts(loop, "select * from marts.detractor_followups")
    }
    assert sorted(rows) == ["D1", "D2", "D3", "D4", "D5"]
    expected = {
        # id: hours to follow up, closed within 48 h, waiting hours
        "D1": (23.0, True, None),
        "D2": (72.0, False, None),
        "D3": (None, False, 674.0),
        "D4": (None, False, 626.0),
        "D5": (None, None, 16.0),
    }
    for response, (hours, closed, waiting) in expected.items():
        row = rows[response]
        assert (row["hours_to_follow_up"], row["closed_within_48h"], row["waiting_hours"]) == (
            hours,
            closed,
            waiting,
        ), response
        assert (row["followed_up_at"] is None) == (hours is None), response
    assert rows["D1"]["revenue_net_12m"] == Decimal("40.00")
    assert rows["D2"]["revenue_net_12m"] == 0
    assert rows["D1"]["preferred_channel"] == "phone"
    assert rows["D1"]["customer_state"] == "active"


def test_the_closed_loop_rate_waits_for_open_windows(loop: Settings) -> None:
    rates = dict(fetch(loop, "select month, closed_loop_rate from marts.kpi_monthly"))
    assert rates[date(2025, 2, 1)] == pytest.approx(0.25)
    assert rates[date(2025, 3, 1)] is None
    assert rates[date(2025, 1, 1)] is None
