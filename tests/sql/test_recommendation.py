"""NPS, CSAT, satisfaction versus delight, quality drivers, touchpoints, earned growth by hand.

January 2025 survey (K = known customer, anon = anonymous):
  R1 K1 nps 10 (dropped: K1 answered again later in January), R2 K1 3, R3 anon 9, R4 anon 9,
  R5 K2 10, R6 K3 8, R7 K4 7, R8 K5 6, R9 K6 9, R10 K7 0 (no CSAT), R12 K8 8.
Kept: 10 responses, promoters R3 R4 R5 R9, passives R6 R7 R12, detractors R2 R8 R10.
"""

from __future__ import annotations

import math
import statistics
from datetime import date

import pytest

from pipelines.config import Settings
from tests.conftest import fetch, fetch_dicts, run, write_entity

RESPONSES = [
    # id, customer, responded_at, nps, csat, product, process, personal
    ("R1", "K1", "2025-01-05T10:00:00Z", 10, 5, 5, 5, 4),
    ("R2", "K1", "2025-01-20T10:00:00Z", 3, 2, 2, 3, 4),
    ("R3", None, "2025-01-06T10:00:00Z", 9, 4, 4, 4, 3),
    ("R4", None, "2025-01-07T10:00:00Z", 9, 4, 5, 3, 5),
    ("R5", "K2", "2025-01-08T10:00:00Z", 10, 5, 5, 4, 4),
    ("R6", "K3", "2025-01-09T10:00:00Z", 8, 4, 4, 4, 2),
    ("R7", "K4", "2025-01-10T10:00:00Z", 7, 3, 3, 2, 4),
    ("R8", "K5", "2025-01-11T10:00:00Z", 6, 1, 2, 1, 3),
    ("R9", "K6", "2025-01-12T10:00:00Z", 9, 5, 5, 5, 5),
    ("R10", "K7", "2025-01-13T10:00:00Z", 0, None, 1, None, 2),
    ("R12", "K8", "2025-01-14T10:00:00Z", 8, 4, 4, 3, None),
    ("R11", "K2", "2025-02-10T10:00:00Z", 10, None, None, None, None),
]
ORDERS = [
    # id, customer, ordered_at, net, gross, discount
    ("K1a", "K1", "2024-12-01T10:00:00Z", "10", "10", "0"),
    ("K1b", "K1", "2025-02-01T10:00:00Z", "50", "60", "10"),
    ("K2a", "K2", "2025-01-02T10:00:00Z", "10", "10", "0"),
    ("K2b", "K2", "2025-03-01T10:00:00Z", "100", "100", "0"),
    ("K2c", "K2", "2025-05-01T10:00:00Z", "100", "100", "0"),
    ("K3a", "K3", "2024-11-01T10:00:00Z", "10", "10", "0"),
    ("K5a", "K5", "2025-01-01T10:00:00Z", "40", "40", "0"),
    ("K6a", "K6", "2025-01-01T10:00:00Z", "20", "20", "0"),
    ("K6b", "K6", "2025-06-01T10:00:00Z", "20", "25", "5"),
    ("K8a", "K8", "2025-03-01T10:00:00Z", "30", "30", "0"),
]
CUSTOMERS = [
    {
        "customer_id": "K1",
        "created_at": "2024-11-01",
        "updated_at": "2025-03-01T00:00:00Z",
        "segment": "consumer",
        "status": "churned",
        "churned_at": "2025-03-01T00:00:00Z",
        "churn_reason": "price",
    },
    {
        "customer_id": "K2",
        "created_at": "2024-11-01",
        "updated_at": "2024-11-01",
        "segment": "consumer",
    },
    {
        "customer_id": "K3",
        "created_at": "2024-11-01",
        "updated_at": "2024-11-01",
        "segment": "consumer",
    },
    {
        "customer_id": "K5",
        "created_at": "2024-11-01",
        "updated_at": "2024-11-01",
        "segment": "business",
    },
]
EVENTS = [
    (
        "S1",
        "K1",
        "2025-01-03T10:00:00Z",
        "support_contact",
        "phone",
        "2025-01-03T12:00:00Z",
        "0",
        None,
    ),
    ("S2", "K2", "2025-01-04T10:00:00Z", "complaint", "phone", "2025-01-05T10:00:00Z", "2", None),
    ("S3", "K2", "2025-01-06T10:00:00Z", "support_contact", "phone", None, None, None),
    (
        "S4",
        "K3",
        "2025-01-07T10:00:00Z",
        "support_contact",
        "email",
        "2025-01-07T16:00:00Z",
        "1",
        None,
    ),
    ("F1", "K2", "2025-02-15T10:00:00Z", "referral", None, None, None, "N1"),
    ("F2", "K6", "2025-05-01T10:00:00Z", "referral", None, None, None, "N2"),
]
AS_OF = "2025-12-31T00:00:00Z"


@pytest.fixture
def survey(settings: Settings) -> Settings:
    write_entity(
        settings.landing,
        "responses",
        "responses.csv",
        [
            dict(
                zip(
                    (
                        "response_id",
                        "customer_id",
                        "responded_at",
                        "nps_score",
                        "csat",
                        "product_quality",
                        "process_quality",
                        "personal_service",
                    ),
                    r,
                    strict=True,
                )
            )
            for r in RESPONSES
        ],
    )
    write_entity(
        settings.landing,
        "orders",
        "orders.csv",
        [
            dict(
                zip(
                    (
                        "order_id",
                        "customer_id",
                        "ordered_at",
                        "net_amount",
                        "gross_amount",
                        "discount_amount",
                    ),
                    o,
                    strict=True,
                )
            )
            for o in ORDERS
        ],
    )
    write_entity(settings.landing, "customers", "customers.csv", CUSTOMERS)
    write_entity(
        settings.landing,
        "events",
        "events.csv",
        [
            dict(
                zip(
                    (
                        "event_id",
                        "customer_id",
                        "occurred_at",
                        "event_type",
                        "channel",
                        "resolved_at",
                        "handoffs",
                        "referred_customer_id",
                    ),
                    e,
                    strict=True,
                )
            )
            for e in EVENTS
        ],
    )
    run(settings, as_of=AS_OF)
    return settings


def moe(promoters: int, detractors: int, n: int) -> float:
    """The adjusted-Wald margin of the contract, in NPS points."""
    adjusted = n + 3
    p, d = (promoters + 0.75) / adjusted, (detractors + 0.75) / adjusted
    return 100 * 1.96 * math.sqrt((p + d - (p - d) ** 2) / adjusted)


def month_row(settings: Settings, month: date) -> dict[str, object]:
    rows = fetch_dicts(settings, "select * from marts.kpi_monthly")
    return next(r for r in rows if r["month"] == month)


def test_january_nps_with_deduplication_and_margin(survey: Settings) -> None:
    jan = month_row(survey, date(2025, 1, 1))
    assert (jan["nps_responses"], jan["promoters"], jan["passives"], jan["detractors"]) == (
        10,
        4,
        3,
        3,
    )
    assert jan["nps"] == pytest.approx(10.0)
    assert jan["nps_moe"] == pytest.approx(moe(4, 3, 10))
    assert jan["nps_low_sample"] is True


def test_january_csat_delight_and_active_recommenders(survey: Settings) -> None:
    jan = month_row(survey, date(2025, 1, 1))
    assert jan["csat_responses"] == 9
    assert jan["csat_pct"] == pytest.approx(6 / 9)
    assert jan["delight_pct"] == pytest.approx(2 / 9)
    assert jan["satisfied_not_delighted_pct"] == pytest.approx(4 / 9)
    assert jan["active_recommender_rate"] == pytest.approx(0.5)


def test_month_over_month_change_and_its_significance(survey: Settings) -> None:
    feb = month_row(survey, date(2025, 2, 1))
    assert (feb["nps_responses"], feb["nps"]) == (1, 100.0)
    assert feb["nps_moe"] == pytest.approx(moe(1, 0, 1)) == pytest.approx(73.5)
    assert feb["nps_change"] == pytest.approx(90.0)
    combined = math.sqrt(moe(1, 0, 1) ** 2 + moe(4, 3, 10) ** 2)
    assert feb["nps_change_moe"] == pytest.approx(combined)
    assert combined < 90.0 and feb["nps_change_significant"] is True


def scored(month: str, scores: list[int]) -> list[dict[str, object]]:
    """Anonymous NPS responses of one month, one per score."""
    return [
        {"response_id": f"{month}-{i}", "responded_at": f"{month}-10T10:00:00Z", "nps_score": s}
        for i, s in enumerate(scores)
    ]


@pytest.mark.parametrize(
    ("month", "promoters", "passives", "detractors"),
    [("2025-03", 1, 0, 0), ("2025-04", 0, 0, 1), ("2025-05", 1, 0, 1), ("2025-06", 0, 2, 0),
     ("2025-07", 150, 90, 60)],
)  # fmt: skip
def test_adjusted_wald_margins_for_small_and_large_samples(
    settings: Settings, month: str, promoters: int, passives: int, detractors: int
) -> None:
    write_entity(
        settings.landing,
        "responses",
        "responses.csv",
        scored(month, [10] * promoters + [8] * passives + [3] * detractors),
    )
    write_entity(
        settings.landing,
        "orders",
        "orders.csv",
        [{"order_id": "O1", "customer_id": "C1", "ordered_at": f"{month}-01T10:00:00Z",
          "net_amount": "10"}],
    )  # fmt: skip
    run(settings, as_of="2025-07-31T23:59:59Z")
    n = promoters + passives + detractors
    row = month_row(settings, date.fromisoformat(f"{month}-01"))
    assert row["nps"] == pytest.approx(100 * (promoters - detractors) / n), "the NPS is unadjusted"
    assert row["nps_moe"] == pytest.approx(moe(promoters, detractors, n))
    assert 0 < row["nps_moe"] < 100
    ((segment_moe,),) = fetch(
        settings,
        "select nps_moe from marts.nps_by_segment where month = ? and dimension = 'touchpoint'",
        [date.fromisoformat(f"{month}-01")],
    )
    assert segment_moe == pytest.approx(moe(promoters, detractors, n))


def test_min_sample_is_configurable(settings: Settings, survey: Settings) -> None:
    run(survey.with_overrides(min_sample=5), "build", as_of=AS_OF)
    assert month_row(survey, date(2025, 1, 1))["nps_low_sample"] is False


def test_nps_by_segment(survey: Settings) -> None:
    rows = fetch(
        survey,
        "select dimension, value, responses, nps, low_sample from marts.nps_by_segment"
        " where month = '2025-01-01' and dimension in ('segment', 'touchpoint') order by 1, 2",
    )
    assert rows == [
        ("segment", "business", 1, -100.0, True),
        ("segment", "consumer", 3, 0.0, True),
        ("segment", "unknown", 6, pytest.approx(100 * (3 - 1) / 6), True),
        ("touchpoint", "unknown", 10, pytest.approx(10.0), True),
    ]


def test_satisfaction_outcomes_per_tier(survey: Settings) -> None:
    tiers = {r["tier"]: r for r in fetch_dicts(survey, "select * from marts.satisfaction_outcomes")}
    assert list(tiers) == ["dissatisfied", "neutral", "satisfied", "delighted"]
    expected = {
        # customers, switching, revenue/customer, orders/customer, discount share, referral rate, avg nps
        "dissatisfied": (2, 1.0, 25.0, 0.5, 10 / 60, 0.0, 4.5),
        "neutral": (1, 0.0, 0.0, 0.0, None, 0.0, 7.0),
        "satisfied": (2, 0.5, 15.0, 0.5, 0.0, 0.0, 8.0),
        "delighted": (2, 0.0, 110.0, 1.5, 5 / 225, 1.0, 9.5),
    }
    columns = (
        "customers",
        "switching_rate_180d",
        "revenue_per_customer_180d",
        "orders_per_customer_180d",
        "discount_share",
        "referral_rate",
        "avg_nps",
    )
    for tier, values in expected.items():
        for column, value in zip(columns, values, strict=True):
            assert tiers[tier][column] == (None if value is None else pytest.approx(value)), (
                tier,
                column,
            )
    assert tiers["satisfied"]["share_of_all_churned"] == pytest.approx(1 / 3)


def test_headline_figures(survey: Settings) -> None:
    (headline,) = fetch_dicts(survey, "select * from marts.loyalty_headlines")
    assert headline["satisfied_defectors_share"] == pytest.approx(1 / 3)
    assert headline["satisfied_customers_share"] == pytest.approx(2 / 7)
    assert headline["delight_lift"] == pytest.approx(1.0 / 0.5)
    assert headline["satisfied_vs_delighted_switching_ratio"] is None, "no delighted one switched"


def test_satisfied_versus_delighted_switching_ratio(settings: Settings) -> None:
    # Two satisfied customers (one churns in its window) and four delighted (one churns).
    tiers = {"S1": 4, "S2": 4, "D1": 5, "D2": 5, "D3": 5, "D4": 5}
    write_entity(
        settings.landing,
        "responses",
        "responses.csv",
        [
            {"response_id": f"R{c}", "customer_id": c, "responded_at": "2025-01-10T10:00:00Z",
             "csat": csat}
            for c, csat in tiers.items()
        ],
    )  # fmt: skip
    write_entity(
        settings.landing,
        "orders",
        "orders.csv",
        [
            {"order_id": f"O{c}", "customer_id": c, "ordered_at": "2025-01-05T10:00:00Z",
             "net_amount": "10"}
            for c in tiers
        ],
    )  # fmt: skip
    write_entity(
        settings.landing,
        "customers",
        "customers.csv",
        [
            {"customer_id": c, "created_at": "2025-01-01", "updated_at": "2025-03-01T00:00:00Z",
             "status": "churned", "churned_at": "2025-03-01T00:00:00Z", "churn_reason": "price"}
            for c in ("S1", "D1")
        ],
    )  # fmt: skip
    run(settings, as_of="2025-12-31T23:59:59Z", inactivity_days=365)
    (headline,) = fetch_dicts(settings, "select * from marts.loyalty_headlines")
    assert headline["satisfied_vs_delighted_switching_ratio"] == pytest.approx((1 / 2) / (1 / 4))
    assert headline["satisfied_defectors_share"] == pytest.approx(1 / 2)
    assert headline["satisfied_customers_share"] == pytest.approx(2 / 6)


def test_the_active_recommender_rate_is_null_while_its_window_is_open(survey: Settings) -> None:
    # January's promoters (R3, R4 anonymous; R5 K2 referred on 02-15; R9 K6 did not within
    # 90 days): the window of January closes at 2025-01-31 23:59:59 + 90 days.
    run(survey, "build", as_of="2025-05-01T23:59:58Z")
    assert month_row(survey, date(2025, 1, 1))["active_recommender_rate"] is None
    (headline,) = fetch_dicts(survey, "select * from marts.loyalty_headlines")
    assert headline["active_recommender_rate"] is None
    run(survey, "build", as_of="2025-05-01T23:59:59Z")
    assert month_row(survey, date(2025, 1, 1))["active_recommender_rate"] == pytest.approx(0.5)
    assert month_row(survey, date(2025, 2, 1))["active_recommender_rate"] is None
    (headline,) = fetch_dicts(survey, "select * from marts.loyalty_headlines")
    assert (headline["active_recommender_rate"], headline["active_recommender_month"]) == (
        pytest.approx(0.5),
        date(2025, 1, 1),
    )


# R1 is dropped as for the NPS: K1 answered again later in January (R2, with every item).
KEPT = [r for r in RESPONSES if r[0] != "R1"]


def test_quality_drivers_match_an_independent_correlation(survey: Settings) -> None:
    drivers = {
        r["item"]: r
        for r in fetch_dicts(
            survey, "select * from marts.quality_drivers where month = '2025-12-01'"
        )
    }
    for position, item in ((5, "product_quality"), (6, "process_quality"), (7, "personal_service")):
        assert drivers[item]["first_month"] == date(2025, 1, 1)
        scores = [r[position] for r in KEPT if r[position] is not None]
        pairs = [(r[position], r[3]) for r in KEPT if r[position] is not None and r[3] is not None]
        assert drivers[item]["n"] == len(scores)
        assert drivers[item]["mean"] == pytest.approx(statistics.mean(scores))
        assert drivers[item]["top_box_pct"] == pytest.approx(scores.count(5) / len(scores))
        expected = statistics.correlation([a for a, _ in pairs], [b for _, b in pairs])
        assert drivers[item]["correlation_with_nps"] == pytest.approx(expected)
    strongest = max(drivers.values(), key=lambda r: r["correlation_with_nps"])
    assert [i for i, r in drivers.items() if r["is_strongest_driver"]] == [strongest["item"]]
    (headline,) = fetch_dicts(survey, "select * from marts.loyalty_headlines")
    assert headline["strongest_driver"] == strongest["item"]


def test_quality_drivers_cover_the_trailing_twelve_months(survey: Settings) -> None:
    run(survey, "build", as_of="2026-01-31T23:59:59Z")
    rows = fetch(
        survey,
        "select month, first_month, n, correlation_with_nps from marts.quality_drivers"
        " where item = 'product_quality' and month in ('2025-01-01', '2025-12-01', '2026-01-01')"
        " order by month",
    )
    january = len([r for r in KEPT if r[5] is not None])
    assert [row[:3] for row in rows] == [
        (date(2025, 1, 1), date(2024, 2, 1), january),
        (date(2025, 12, 1), date(2025, 1, 1), january),
        (date(2026, 1, 1), date(2025, 2, 1), 0),
    ]
    assert rows[0][3] == pytest.approx(rows[1][3]) and rows[2][3] is None


def test_service_touchpoints(survey: Settings) -> None:
    rows = fetch(
        survey,
        "select channel, contacts, complaints, customers_contacted, first_contact_resolution_rate,"
        " median_resolution_hours, handoff_rate from marts.service_touchpoints order by channel",
    )
    assert rows == [
        ("email", 1, 0, 1, 0.0, 6.0, 1.0),
        ("phone", 3, 1, 2, pytest.approx(1 / 3), 13.0, pytest.approx(1 / 3)),
    ]


def test_customer_loyalty_survey_columns(survey: Settings) -> None:
    rows = fetch(
        survey,
        "select customer_id, last_nps, nps_group, last_csat, satisfaction_tier, referrals"
        " from marts.customer_loyalty where customer_id in ('K1', 'K2') order by 1",
    )
    assert rows == [
        ("K1", 3, "detractor", 2, "dissatisfied", 0),
        ("K2", 10, "promoter", 5, "delighted", 1),
    ]


def test_earned_growth(settings: Settings) -> None:
    orders = [
        ("B3", "B3", "2023-01-10T10:00:00Z", "10"),
        ("B1a", "B1", "2023-03-10T10:00:00Z", "100"),
        ("B2a", "B2", "2023-06-10T10:00:00Z", "200"),
        ("B1b", "B1", "2024-05-10T10:00:00Z", "150"),
        ("N1a", "N1", "2024-02-10T10:00:00Z", "80"),
        ("N2a", "N2", "2024-03-10T10:00:00Z", "50"),
    ]
    write_entity(
        settings.landing,
        "orders",
        "orders.csv",
        [
            dict(zip(("order_id", "customer_id", "ordered_at", "net_amount"), o, strict=True))
            for o in orders
        ],
    )
    write_entity(
        settings.landing,
        "events",
        "events.csv",
        [
            {
                "event_id": "F1",
                "customer_id": "B1",
                "occurred_at": "2024-02-01T10:00:00Z",
                "event_type": "referral",
                "referred_customer_id": "N1",
            }
        ],
    )
    run(settings, as_of="2025-01-15T00:00:00Z")
    (row,) = fetch_dicts(settings, "select * from marts.earned_growth")
    assert row["month"] == date(2024, 12, 1)
    assert (row["base_customers"], row["referred_new_customers"]) == (3, 1)
    assert row["net_revenue_retention"] == pytest.approx(150 / 310)
    assert row["referred_revenue_share"] == pytest.approx(80 / 310)
    assert row["earned_growth_rate"] == pytest.approx(150 / 310 + 80 / 310 - 1)


def test_no_surveys_no_crm_gives_empty_survey_marts(settings: Settings) -> None:
    write_entity(
        settings.landing,
        "orders",
        "orders.csv",
        [
            dict(zip(("order_id", "customer_id", "ordered_at", "net_amount"), o[:4], strict=True))
            for o in ORDERS
        ],
    )
    run(settings, as_of=AS_OF)
    assert fetch(settings, "select count(*) from marts.nps_by_segment") == [(0,)]
    assert fetch(settings, "select count(*), sum(customers) from marts.satisfaction_outcomes") == [
        (4, 0)
    ]
    assert fetch(settings, "select count(*) from marts.quality_drivers") == [(0,)]
    assert fetch(settings, "select count(*) from marts.service_touchpoints") == [(0,)]
    assert fetch(settings, "select count(*), count(nps) from marts.loyalty_headlines") == [(1, 0)]
