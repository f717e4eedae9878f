"""Retention, switching, win-back, repeat purchase, cohorts and lifecycle, computed by hand.

The company (W = 30 days, as_of = 2025-04-30 12:00 UTC):
- A buys 01-10, 02-05, 03-01 (12:00) -> one spell, lapses 03-31 12:00. A return of 4.00
  against the January order arrives in February.
- B buys 01-01 00:00 (the month's first instant) and 02-20 -> lapse 01-31 00:00, won back
  02-20, lapses again 03-22.
- C buys 01-20; the CRM says churned 02-10 (competitor); buys again 03-05 (win-back),
  lapses 04-04.
- D has a cancelled order 02-01 and a first purchase 03-31 23:59:59 (last second of March).
- E buys twice on 01-15 (one distinct day), lapses 02-14 18:00.
- F buys monthly through 04-20; a purchase on 05-02 lies after as_of.
- H is in the CRM only (a prospect).
"""

from __future__ import annotations

from datetime import date

import pytest

from pipelines.config import Settings
from tests.conftest import fetch, fetch_dicts, run, write_entity

AS_OF = "2025-04-30T12:00:00Z"


def order(
    order_id: str, customer: str, at: str, amount: str, status: str = "completed"
) -> dict[str, object]:
    return {
        "order_id": order_id,
        "customer_id": customer,
        "ordered_at": at,
        "net_amount": amount,
        "status": status,
    }


ORDERS = [
    order("A1", "A", "2025-01-10T12:00:00Z", "10"),
    order("A2", "A", "2025-02-05T12:00:00Z", "10"),
    order("A3", "A", "2025-03-01T12:00:00Z", "10"),
    order("B1", "B", "2025-01-01T00:00:00Z", "20"),
    order("B2", "B", "2025-02-20T12:00:00Z", "20"),
    order("C1", "C", "2025-01-20T12:00:00Z", "30"),
    order("C2", "C", "2025-03-05T12:00:00Z", "30"),
    order("D0", "D", "2025-02-01T12:00:00Z", "99", "cancelled"),
    order("D1", "D", "2025-03-31T23:59:59Z", "40"),
    order("E1", "E", "2025-01-15T09:00:00Z", "5"),
    order("E2", "E", "2025-01-15T18:00:00Z", "5"),
    order("F1", "F", "2025-01-05T12:00:00Z", "1"),
    order("F2", "F", "2025-01-30T12:00:00Z", "1"),
    order("F3", "F", "2025-02-25T12:00:00Z", "1"),
    order("F4", "F", "2025-03-25T12:00:00Z", "1"),
    order("F5", "F", "2025-04-20T12:00:00Z", "1"),
    order("F6", "F", "2025-05-02T12:00:00Z", "1"),
]
CUSTOMERS = [
    {
        "customer_id": "C",
        "created_at": "2025-01-19",
        "updated_at": "2025-02-10T12:00:00Z",
        "status": "churned",
        "churned_at": "2025-02-10T12:00:00Z",
        "churn_reason": "competitor",
    },
    {"customer_id": "H", "created_at": "2025-01-01", "updated_at": "2025-01-01"},
]
RETURNS = [
    {"return_id": "T1", "order_id": "A1", "returned_at": "2025-02-02T10:00:00Z", "amount": "4.00"}
]


@pytest.fixture
def company(settings: Settings) -> Settings:
    write_entity(settings.landing, "orders", "orders.csv", ORDERS)
    write_entity(settings.landing, "customers", "customers.csv", CUSTOMERS)
    write_entity(settings.landing, "returns", "returns.csv", RETURNS)
    run(settings, as_of=AS_OF, inactivity_days=30)
    return settings


def kpis(settings: Settings) -> dict[date, dict[str, object]]:
    return {row["month"]: row for row in fetch_dicts(settings, "select * from marts.kpi_monthly")}  # type: ignore[misc]


EXPECTED = {
    # month: S, E, new, gained (new, won back), lost, retention, churned, switching, competitor,
    # won back, churned state, winback, repeat, purchases, revenue
    date(2025, 1, 1): (1, 4, 5, 4, 4, 0, 1, 0.0, 1, 1.0, 0.0, 0, 0, None, 1 / 5, 7, 68),
    date(2025, 2, 1): (4, 3, 0, 1, 0, 1, 2, 0.5, 2, 0.5, 0.25, 1, 1, 1.0, 3 / 5, 3, 31),
    date(2025, 3, 1): (3, 3, 1, 2, 1, 1, 2, 1 / 3, 2, 2 / 3, 0.0, 1, 2, 0.5, 4 / 6, 4, 81),
    date(2025, 4, 1): (3, 2, 0, 0, 0, 0, 1, 2 / 3, 1, 1 / 3, 0.0, 0, 3, 0.0, 4 / 6, 1, 1),
}
COLUMNS = (
    "active_customers_start",
    "active_customers_end",
    "new_customers",
    "gained_customers",
    "gained_new_customers",
    "gained_won_back_customers",
    "lost_customers",
    "retention_rate",
    "churned_customers",
    "switching_rate",
    "competitor_switching_rate",
    "won_back_customers",
    "churned_state_customers",
    "winback_rate",
    "repeat_purchase_rate",
    "purchases",
    "revenue_net",
)


@pytest.mark.parametrize("month", list(EXPECTED))
def test_kpi_monthly_matches_the_hand_computation(company: Settings, month: date) -> None:
    row = kpis(company)[month]
    for column, expected in zip(COLUMNS, EXPECTED[month], strict=True):
        assert row[column] == pytest.approx(expected), column


def test_the_bridge_closes_and_churn_reasons_sum_to_churned(company: Settings) -> None:
    for month, row in kpis(company).items():
        assert row["active_customers_end"] == (
            row["active_customers_start"] + row["gained_customers"] - row["lost_customers"]
        ), month
    assert fetch(
        company,
        "select month, churn_kind, reason, churned_customers from marts.churn_reasons_monthly"
        " order by all",
    ) == [
        (date(2025, 1, 1), "lapse", "lapse", 1),
        (date(2025, 2, 1), "explicit", "competitor", 1),
        (date(2025, 2, 1), "lapse", "lapse", 1),
        (date(2025, 3, 1), "lapse", "lapse", 2),
        (date(2025, 4, 1), "lapse", "lapse", 1),
    ]


def test_months_run_from_first_purchase_to_as_of(company: Settings) -> None:
    assert fetch(company, "select month, is_complete from marts.kpi_monthly order by month") == [
        (date(2025, 1, 1), True),
        (date(2025, 2, 1), True),
        (date(2025, 3, 1), True),
        (date(2025, 4, 1), False),
    ]


def test_activity_spells(company: Settings) -> None:
    rows = fetch(
        company,
        "select customer_id, spell_no, strftime(started_at, '%m-%d %H:%M'), strftime(ended_at, '%m-%d %H:%M'),"
        " churn_kind, churn_reason from core.activity_spells order by customer_id, spell_no",
    )
    assert rows == [
        ("A", 1, "01-10 12:00", "03-31 12:00", "lapse", None),
        ("B", 1, "01-01 00:00", "01-31 00:00", "lapse", None),
        ("B", 2, "02-20 12:00", "03-22 12:00", "lapse", None),
        ("C", 1, "01-20 12:00", "02-10 12:00", "explicit", "competitor"),
        ("C", 2, "03-05 12:00", "04-04 12:00", "lapse", None),
        ("D", 1, "03-31 23:59", "04-30 23:59", None, None),
        ("E", 1, "01-15 09:00", "02-14 18:00", "lapse", None),
        ("F", 1, "01-05 12:00", "05-20 12:00", None, None),
    ]


def test_cohort_retention_bounded_and_unbounded(company: Settings) -> None:
    rows = fetch(
        company,
        "select cohort_month, months_since_first, cohort_size, retained_customers, retention_rate,"
        " retention_rate_unbounded, in_progress from marts.cohort_retention order by 1, 2",
    )
    jan, mar = date(2025, 1, 1), date(2025, 3, 1)
    assert rows == [
        (jan, 0, 5, 5, 1.0, 1.0, False),
        (jan, 1, 5, 3, 0.6, 0.8, False),
        (jan, 2, 5, 3, 0.6, 0.6, False),
        (jan, 3, 5, 1, 0.2, 0.2, True),
        (mar, 0, 1, 1, 1.0, 1.0, False),
        (mar, 1, 1, 0, 0.0, 0.0, True),
    ]


def test_cohort_average_is_weighted_over_complete_months(company: Settings) -> None:
    assert fetch(
        company,
        "select months_since_first, cohorts, cohort_size, retained_customers, retention_rate"
        " from marts.cohort_retention_average order by 1",
    ) == [(0, 2, 6, 6, 1.0), (1, 1, 5, 3, 0.6), (2, 1, 5, 3, 0.6)]


def test_lifecycle_monthly(company: Settings) -> None:
    assert fetch(
        company,
        'select month, buyers, new, "returning", resurrecting, dormant from marts.lifecycle_monthly order by 1',
    ) == [
        (date(2025, 1, 1), 5, 5, 0, 0, 0),
        (date(2025, 2, 1), 3, 0, 3, 0, 2),
        (date(2025, 3, 1), 4, 1, 2, 1, 1),
        (date(2025, 4, 1), 1, 0, 1, 0, 3),
    ]


def test_customer_loyalty_states(company: Settings) -> None:
    rows = fetch(
        company,
        "select customer_id, state, purchases, revenue_net::double, spells, strftime(churned_at, '%m-%d'), churn_reason"
        " from marts.customer_loyalty order by 1",
    )
    assert rows == [
        ("A", "churned", 3, 26.0, 1, "03-31", None),
        ("B", "churned", 2, 40.0, 2, "03-22", None),
        ("C", "churned", 2, 60.0, 2, "04-04", None),
        ("D", "active", 1, 40.0, 1, None, None),
        ("E", "churned", 2, 10.0, 1, "02-14", None),
        ("F", "active", 5, 5.0, 1, None, None),
        ("H", "prospect", 0, 0.0, 0, None, None),
    ]


def test_win_back_shows_as_won_back_state(settings: Settings) -> None:
    write_entity(
        settings.landing,
        "orders",
        "orders.csv",
        [
            order("X1", "X", "2025-01-10T12:00:00Z", "1"),
            order("X2", "X", "2025-01-25T12:00:00Z", "1"),
        ],
    )
    write_entity(
        settings.landing,
        "events",
        "events.csv",
        [
            {
                "event_id": "EV1",
                "customer_id": "X",
                "occurred_at": "2025-01-20T12:00:00Z",
                "event_type": "cancellation",
            }
        ],
    )
    run(settings, as_of="2025-01-31T00:00:00Z", inactivity_days=30)
    assert fetch(
        settings,
        "select state, strftime(churned_at, '%m-%d'), churn_reason from marts.customer_loyalty",
    ) == [("won_back", "01-20", None)]
    assert fetch(
        settings, "select won_back_customers, competitor_switching_rate from marts.kpi_monthly"
    ) == [(1, None)]


def test_churn_and_win_back_inside_one_month_keeps_the_bridge_closed(settings: Settings) -> None:
    """Y (in S) churns explicitly and buys again in February; N buys first and cancels in it."""
    write_entity(
        settings.landing,
        "orders",
        "orders.csv",
        [
            order("Y1", "Y", "2025-01-20T12:00:00Z", "1"),
            order("Y2", "Y", "2025-02-15T12:00:00Z", "1"),
            order("N1", "N", "2025-02-03T12:00:00Z", "1"),
        ],
    )
    write_entity(
        settings.landing,
        "events",
        "events.csv",
        [
            {
                "event_id": "EV1",
                "customer_id": "N",
                "occurred_at": "2025-02-10T12:00:00Z",
                "event_type": "cancellation",
            }
        ],
    )
    write_entity(
        settings.landing,
        "customers",
        "customers.csv",
        [
            {
                "customer_id": "Y",
                "created_at": "2025-01-01",
                "updated_at": "2025-02-05",
                "churned_at": "2025-02-05T00:00:00Z",
                "churn_reason": "price",
            }
        ],
    )
    run(settings, as_of="2025-03-10T00:00:00Z", inactivity_days=60)
    feb = kpis(settings)[date(2025, 2, 1)]
    columns = (
        "active_customers_start", "active_customers_end", "churned_customers", "lost_customers",
        "new_customers", "won_back_customers", "gained_customers",
    )  # fmt: skip
    assert tuple(feb[c] for c in columns) == (1, 1, 1, 0, 1, 1, 0)
    assert feb["active_customers_end"] == (
        feb["active_customers_start"] + feb["gained_customers"] - feb["lost_customers"]
    )
    assert feb["retention_rate"] == 1.0
    assert feb["switching_rate"] == 1.0
    assert fetch(
        settings, "select churn_kind, reason, churned_customers from marts.churn_reasons_monthly"
    ) == [("explicit", "price", 1)]


def write_crm_history(
    settings: Settings,
    customer: str,
    purchases: list[str],
    versions: list[tuple[str, str, str | None, str | None]],
) -> None:
    """A customer's purchases and CRM versions (updated_at, status, churned_at, churn_reason)."""
    write_entity(
        settings.landing,
        "orders",
        "orders.csv",
        [order(f"{customer}{i}", customer, at, "1") for i, at in enumerate(purchases)],
    )
    write_entity(
        settings.landing,
        "customers",
        "customers.csv",
        [
            {"customer_id": customer, "created_at": "2025-01-01", "updated_at": updated,
             "status": status, "churned_at": churned, "churn_reason": reason}
            for updated, status, churned, reason in versions
        ],
    )  # fmt: skip


def test_a_won_back_customer_keeps_the_reason_of_the_churn_won_back(settings: Settings) -> None:
    """The CRM records W's churn (competitor) and, after the win-back, says active again."""
    write_crm_history(
        settings,
        "W",
        ["2025-01-10T12:00:00Z", "2025-03-01T12:00:00Z"],
        [
            ("2025-01-01T00:00:00Z", "active", None, None),
            ("2025-02-01T12:00:00Z", "churned", "2025-02-01T12:00:00Z", "competitor"),
            ("2025-03-01T12:00:00Z", "active", None, None),
        ],
    )
    run(settings, as_of="2025-03-31T23:59:59Z", inactivity_days=90)
    assert fetch(
        settings,
        "select state, strftime(churned_at, '%m-%d'), churn_kind, churn_reason"
        " from marts.customer_loyalty",
    ) == [("won_back", "02-01", "explicit", "competitor")]
    feb = kpis(settings)[date(2025, 2, 1)]
    assert feb["competitor_switching_rate"] == 1.0


def test_consecutive_crm_versions_saying_churned_are_one_churn(settings: Settings) -> None:
    """The CRM corrects V's churn date (03-05 to 03-01): one churn, and the stale date does not
    end the win-back of 03-03."""
    write_crm_history(
        settings,
        "V",
        ["2025-01-10T12:00:00Z", "2025-03-03T12:00:00Z"],
        [
            ("2025-03-05T12:00:00Z", "churned", "2025-03-05T12:00:00Z", "price"),
            ("2025-03-06T12:00:00Z", "churned", "2025-03-01T12:00:00Z", "service"),
        ],
    )
    run(settings, as_of="2025-03-31T23:59:59Z", inactivity_days=90)
    assert fetch(
        settings,
        "select strftime(churned_at, '%m-%d'), churn_reason, source from core.explicit_churns",
    ) == [("03-01", "service", "crm")]
    assert fetch(
        settings,
        "select spell_no, strftime(churned_at, '%m-%d'), churn_reason from core.activity_spells"
        " order by spell_no",
    ) == [(1, "03-01", "service"), (2, None, None)]


def test_a_month_without_active_customers_gives_null_rates(settings: Settings) -> None:
    write_entity(
        settings.landing,
        "orders",
        "orders.csv",
        [
            order("P1", "P", "2025-01-10T12:00:00Z", "1"),
            order("Q1", "Q", "2025-04-10T12:00:00Z", "1"),
        ],
    )
    run(settings, as_of="2025-04-30T00:00:00Z", inactivity_days=30)
    march = kpis(settings)[date(2025, 3, 1)]
    assert march["active_customers_start"] == 0
    assert march["retention_rate"] is None
    assert march["switching_rate"] is None
    assert march["competitor_switching_rate"] is None
    assert march["winback_rate"] == 0.0


def test_inactivity_days_changes_the_lapse(settings: Settings) -> None:
    write_entity(
        settings.landing,
        "orders",
        "orders.csv",
        [
            order("Z1", "Z", "2025-01-10T12:00:00Z", "1"),
            order("Z2", "Z", "2025-03-10T12:00:00Z", "1"),
        ],
    )
    run(settings, as_of="2025-03-31T00:00:00Z", inactivity_days=30)
    assert fetch(settings, "select count(*) from core.activity_spells") == [(2,)]
    run(settings, "build", as_of="2025-03-31T00:00:00Z", inactivity_days=90)
    assert fetch(settings, "select count(*) from core.activity_spells") == [(1,)]


def test_months_follow_the_reporting_time_zone(settings: Settings) -> None:
    write_entity(
        settings.landing, "orders", "orders.csv", [order("M1", "M", "2025-01-31T23:30:00Z", "1")]
    )
    run(settings.with_overrides(timezone="Europe/Berlin"), as_of="2025-02-10T00:00:00Z")
    berlin = settings.with_overrides(timezone="Europe/Berlin")
    assert fetch(berlin, "select month, new_customers from marts.kpi_monthly") == [
        (date(2025, 2, 1), 1)
    ]


@pytest.mark.parametrize(
    ("as_of", "march_complete"),
    [("2025-03-31T23:59:59Z", True), ("2025-03-31T23:00:00Z", False)],
)
def test_a_month_is_complete_from_23_59_59_of_its_last_day(
    company: Settings, as_of: str, march_complete: bool
) -> None:
    run(company, "build", as_of=as_of, inactivity_days=30)
    assert fetch(company, "select month, is_complete from marts.kpi_monthly order by month")[
        -1
    ] == (date(2025, 3, 1), march_complete)
    assert fetch(
        company, "select distinct month from marts.cohort_retention where in_progress"
    ) == ([] if march_complete else [(date(2025, 3, 1),)])
    (headline_month,) = fetch(company, "select month from marts.loyalty_headlines")[0]
    assert headline_month == (date(2025, 3, 1) if march_complete else date(2025, 2, 1))


@pytest.mark.parametrize(
    ("timezone", "last_order", "as_of", "last_month", "complete"),
    [
        ("UTC", "2025-03-31T10:00:00Z", "2025-03-31 23:59:59", date(2025, 3, 1), True),
        # 23:30 UTC is already 1 April, 01:30 in Berlin.
        ("Europe/Berlin", "2025-03-31T23:30:00Z", "2025-04-01 23:59:59", date(2025, 4, 1), False),
    ],
)
def test_the_default_as_of_is_the_end_of_the_last_day_with_data(
    settings: Settings,
    timezone: str,
    last_order: str,
    as_of: str,
    last_month: date,
    complete: bool,
) -> None:
    local = settings.with_overrides(timezone=timezone)
    write_entity(
        local.landing,
        "orders",
        "orders.csv",
        [order("L1", "L", "2025-02-10T12:00:00Z", "1"), order("L2", "L", last_order, "1")],
    )
    run(local)
    assert fetch(local, "select strftime(as_of, '%Y-%m-%d %H:%M:%S') from marts.build_info") == [
        (as_of,)
    ]
    assert fetch(local, "select month, is_complete from marts.kpi_monthly order by month")[-1] == (
        last_month,
        complete,
    )
