"""Breakdowns by country, segment and acquisition channel, and the NPS change attribution.

The company (W = 30 days, as_of = 2025-03-31 23:59:59 UTC):
- A (DE, consumer) buys 01-10 on the web and 02-05 in the app -> active until 03-07.
- B (DE, premium) buys 01-15 in the app -> lapses 02-14.
- C (FR, consumer) buys 01-20 in a store; the CRM says churned 02-10 (competitor).
- D (FR, no segment) buys 02-20 and 03-10 on the web -> active into April.
By hand, per country (S, E, gained, lost, churned, competitor churns):
  DE  Jan 0 2 2 0 0 0 | Feb 2 1 0 1 1 0 | Mar 1 0 0 1 1 0
  FR  Jan 0 1 1 0 0 0 | Feb 1 1 1 1 1 1 | Mar 1 1 0 0 0 0
NPS: February A 10, C 0, anonymous 9; March A 6, D 9, anonymous 9 and 10.

The survey (anonymous responses, touchpoint / channel):
  February post_purchase 10, 10, 5 (web), support 0 (web): NPS 0
  March    post_purchase 10, 7 (web),  support 9, 0 (app):  NPS 25
"""

from __future__ import annotations

import math
import re
from datetime import date
from pathlib import Path

import pytest

from pipelines.config import Settings
from pipelines.generate import GenerateOptions, generate
from pipelines.warehouse import open_snapshot
from tests.conftest import fetch, fetch_dicts, run, write_entity

AS_OF = "2025-03-31T23:59:59Z"
JAN, FEB, MAR = date(2025, 1, 1), date(2025, 2, 1), date(2025, 3, 1)


def order(order_id: str, customer: str, at: str, channel: str) -> dict[str, object]:
    return {
        "order_id": order_id,
        "customer_id": customer,
        "ordered_at": at,
        "net_amount": "10",
        "status": "completed",
        "channel": channel,
    }


def customer(customer_id: str, country: str, segment: str | None, **extra: str) -> dict:
    return {
        "customer_id": customer_id,
        "created_at": "2025-01-01",
        "updated_at": extra.pop("updated_at", "2025-01-01"),
        "country": country,
        "segment": segment,
        **extra,
    }


def response(response_id: str, customer: str | None, at: str, score: int, **extra: str) -> dict:
    return {
        "response_id": response_id,
        "customer_id": customer,
        "responded_at": at,
        "nps_score": score,
        "touchpoint": extra.get("touchpoint", "post_purchase"),
        "channel": extra.get("channel", "web"),
    }


@pytest.fixture
def company(settings: Settings) -> Settings:
    write_entity(
        settings.landing,
        "orders",
        "orders.csv",
        [
            order("A1", "A", "2025-01-10T12:00:00Z", "web"),
            order("A2", "A", "2025-02-05T12:00:00Z", "app"),
            order("B1", "B", "2025-01-15T12:00:00Z", "app"),
            order("C1", "C", "2025-01-20T12:00:00Z", "store"),
            order("D1", "D", "2025-02-20T12:00:00Z", "web"),
            order("D2", "D", "2025-03-10T12:00:00Z", "web"),
        ],
    )
    write_entity(
        settings.landing,
        "customers",
        "customers.csv",
        [
            customer("A", "DE", "consumer"),
            customer("B", "DE", "premium"),
            customer(
                "C",
                "FR",
                "consumer",
                updated_at="2025-02-10T12:00:00Z",
                status="churned",
                churned_at="2025-02-10T12:00:00Z",
                churn_reason="competitor",
            ),
            customer("D", "FR", None),
        ],
    )
    write_entity(
        settings.landing,
        "responses",
        "responses.csv",
        [
            response("R1", "A", "2025-02-06T10:00:00Z", 10),
            response("R2", "C", "2025-02-07T10:00:00Z", 0),
            response("R3", None, "2025-02-08T10:00:00Z", 9),
            response("R4", "A", "2025-03-06T10:00:00Z", 6),
            response("R5", "D", "2025-03-11T10:00:00Z", 9),
            response("R6", None, "2025-03-12T10:00:00Z", 9),
            response("R7", None, "2025-03-13T10:00:00Z", 10),
        ],
    )
    run(settings, as_of=AS_OF, inactivity_days=30)
    return settings


def breakdown(settings: Settings, dimension: str) -> dict[tuple[date, str], dict]:
    rows = fetch_dicts(
        settings,
        f"select * from marts.kpi_monthly_by_dimension where dimension = '{dimension}'",
    )
    return {(row["month"], row["value"]): row for row in rows}


COUNTS = ("active_customers_start", "active_customers_end", "gained_customers")
COUNTS += ("lost_customers", "churned_customers")


@pytest.mark.parametrize(
    ("month", "country", "expected", "competitor"),
    [
        (JAN, "DE", (0, 2, 2, 0, 0), 0),
        (FEB, "DE", (2, 1, 0, 1, 1), 0),
        (MAR, "DE", (1, 0, 0, 1, 1), 0),
        (JAN, "FR", (0, 1, 1, 0, 0), 0),
        (FEB, "FR", (1, 1, 1, 1, 1), 1),
        (MAR, "FR", (1, 1, 0, 0, 0), 0),
        (FEB, "unknown", (0, 0, 0, 0, 0), 0),
    ],
)
def test_two_country_breakdown_by_hand(
    company: Settings, month: date, country: str, expected: tuple, competitor: int
) -> None:
    row = breakdown(company, "country")[(month, country)]
    assert tuple(row[c] for c in COUNTS) == expected
    start = expected[0]
    assert row["retention_rate"] == (None if start == 0 else (start - expected[3]) / start)
    assert row["switching_rate"] == (None if start == 0 else expected[4] / start)
    assert row["competitor_switching_rate"] == (None if start == 0 else competitor / start)


def test_nps_by_country_puts_anonymous_responses_under_unknown(company: Settings) -> None:
    rows = breakdown(company, "country")
    assert [rows[(FEB, c)]["nps"] for c in ("DE", "FR", "unknown")] == [100.0, -100.0, 100.0]
    march = [rows[(MAR, c)] for c in ("DE", "FR", "unknown")]
    assert [(r["nps_responses"], r["nps"]) for r in march] == [(1, -100.0), (1, 100.0), (2, 100.0)]
    assert all(r["low_sample"] for r in march)
    assert rows[(JAN, "DE")]["nps_responses"] == 0
    assert rows[(JAN, "DE")]["nps"] is None


def test_acquisition_channel_is_the_channel_of_the_first_purchase(company: Settings) -> None:
    assert fetch(
        company,
        "select customer_id, country, segment, acquisition_channel "
        "from core.customer_dimensions order by customer_id",
    ) == [
        ("A", "DE", "consumer", "web"),
        ("B", "DE", "premium", "app"),
        ("C", "FR", "consumer", "store"),
        ("D", "FR", "unknown", "web"),
    ]
    rows = breakdown(company, "acquisition_channel")
    assert [rows[(FEB, c)]["active_customers_start"] for c in ("app", "store", "web")] == [1, 1, 1]


def test_cohort_retention_by_country(company: Settings) -> None:
    rows = fetch(
        company,
        "select cohort_month, months_since_first, value, cohort_size, retained_customers, "
        "retained_customers_unbounded from marts.cohort_retention_by_dimension "
        "where dimension = 'country' order by cohort_month, value, months_since_first",
    )
    assert rows == [
        (JAN, 0, "DE", 2, 2, 2),
        (JAN, 1, "DE", 2, 1, 1),
        (JAN, 2, "DE", 2, 0, 0),
        (JAN, 0, "FR", 1, 1, 1),
        (JAN, 1, "FR", 1, 0, 0),
        (JAN, 2, "FR", 1, 0, 0),
        (FEB, 0, "FR", 1, 1, 1),
        (FEB, 1, "FR", 1, 1, 1),
    ]


@pytest.fixture
def survey(settings: Settings) -> Settings:
    write_entity(
        settings.landing,
        "orders",
        "orders.csv",
        [order("X1", "X", "2025-01-10T12:00:00Z", "web")],
    )
    answers = [
        ("2025-02-03", 10, "post_purchase", "web"),
        ("2025-02-04", 10, "post_purchase", "web"),
        ("2025-02-05", 5, "post_purchase", "web"),
        ("2025-02-06", 0, "support", "web"),
        ("2025-03-03", 10, "post_purchase", "web"),
        ("2025-03-04", 7, "post_purchase", "web"),
        ("2025-03-05", 9, "support", "app"),
        ("2025-03-06", 0, "support", "app"),
    ]
    write_entity(
        settings.landing,
        "responses",
        "responses.csv",
        [
            response(f"S{i}", None, f"{day}T10:00:00Z", score, touchpoint=tp, channel=ch)
            for i, (day, score, tp, ch) in enumerate(answers)
        ],
    )
    run(settings, as_of=AS_OF, inactivity_days=30)
    return settings


def attribution(settings: Settings, dimension: str) -> dict[str, dict]:
    rows = fetch_dicts(
        settings,
        "select * from marts.nps_change_attribution "
        f"where month = '2025-03-01' and dimension = '{dimension}'",
    )
    return {row["value"]: row for row in rows}


def test_two_group_attribution_by_hand(survey: Settings) -> None:
    groups = attribution(survey, "touchpoint")
    post, support = groups["post_purchase"], groups["support"]
    assert (post["nps_previous"], post["nps"]) == pytest.approx((100 / 3, 50.0))
    assert (support["nps_previous"], support["nps"]) == (-100.0, 0.0)
    # Shares 3/4 and 1/4 in February, 1/2 and 1/2 in March.
    assert post["mix_effect"] == pytest.approx((0.5 - 0.75) * 100 / 3, abs=1e-12)
    assert support["mix_effect"] == pytest.approx((0.5 - 0.25) * -100, abs=1e-12)
    assert post["score_effect"] == pytest.approx(0.5 * (50 - 100 / 3), abs=1e-12)
    assert support["score_effect"] == pytest.approx(0.5 * (0 + 100), abs=1e-12)
    assert post["total_nps_change"] == pytest.approx(25.0)
    total = sum(g["mix_effect"] + g["score_effect"] for g in groups.values())
    assert abs(total - 25.0) < 1e-9
    assert support["nps_change"] == 100.0
    moe = support["change_moe"]
    assert support["significant"] is (moe < 100.0)


def test_a_group_missing_in_one_month_counts_with_zero(survey: Settings) -> None:
    groups = attribution(survey, "channel")
    app = groups["app"]
    assert (app["responses_previous"], app["nps_previous"], app["share_previous"]) == (0, None, 0)
    assert (app["mix_effect"], app["score_effect"]) == (0.0, 0.0)
    assert app["nps_change"] is None
    assert app["significant"] is False
    assert groups["web"]["score_effect"] == 25.0


@pytest.fixture(scope="module")
def sample_company(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    root: Path = tmp_path_factory.mktemp("sample")
    settings = Settings(
        landing=root / "landing",
        warehouse=root / "warehouse.duckdb",
        reports=root / "reports",
        settle_seconds=0,
    )
    generate(GenerateOptions(settings.landing, customers=800, months=24, seed=7, flags=False))
    run(settings)
    return settings


@pytest.mark.slow
@pytest.mark.parametrize("dimension", ["country", "segment", "acquisition_channel"])
def test_breakdown_counts_sum_to_kpi_monthly_every_month(
    sample_company: Settings, dimension: str
) -> None:
    columns = (*COUNTS, "nps_responses", "promoters", "detractors")
    sums = ", ".join(f"sum({c})::bigint" for c in columns)
    kpis = ", ".join(f"coalesce({c}, 0)" for c in columns)
    by_value = fetch(
        sample_company,
        f"select month, {sums}, count(*) from marts.kpi_monthly_by_dimension "
        "where dimension = ? group by month order by month",
        [dimension],
    )
    totals = fetch(sample_company, f"select month, {kpis} from marts.kpi_monthly order by month")
    assert len(by_value) == len(totals) >= 24
    assert [row[:-1] for row in by_value] == totals
    assert min(row[-1] for row in by_value) >= 2


@pytest.mark.slow
def test_cohort_breakdown_sums_to_cohort_retention(sample_company: Settings) -> None:
    mismatches = fetch(
        sample_company,
        "with sums as (select cohort_month, months_since_first, dimension, "
        "sum(cohort_size) as size, sum(retained_customers) as retained, "
        "sum(retained_customers_unbounded) as unbounded "
        "from marts.cohort_retention_by_dimension group by all) "
        "select count(*) from marts.cohort_retention as c "
        "inner join sums using (cohort_month, months_since_first) "
        "where sums.size <> c.cohort_size or sums.retained <> c.retained_customers "
        "or sums.unbounded <> c.retained_customers_unbounded",
    )
    assert mismatches == [(0,)]
    cells = fetch(sample_company, "select count(*) from marts.cohort_retention")[0][0]
    assert fetch(
        sample_company, "select count(distinct dimension) from marts.cohort_retention_by_dimension"
    ) == [(3,)]
    assert cells > 200


@pytest.mark.slow
def test_attribution_effects_sum_to_the_nps_change(sample_company: Settings) -> None:
    rows = fetch(
        sample_company,
        "select month, dimension, sum(mix_effect) + sum(score_effect), any_value(total_nps_change) "
        "from marts.nps_change_attribution group by all",
    )
    changes = dict(
        fetch(
            sample_company,
            "select month, nps_change from marts.kpi_monthly where nps_change is not null",
        )
    )
    assert {dimension for _, dimension, _, _ in rows} == {
        "touchpoint",
        "channel",
        "segment",
        "country",
    }
    assert {month for month, *_ in rows} == set(changes)
    for month, _, effects, total in rows:
        assert total == changes[month]
        assert math.fabs(effects - total) < 1e-9


DOC = Path(__file__).resolve().parents[2] / "docs" / "breakdowns.md"


@pytest.mark.slow
def test_the_worked_examples_run_as_written(sample_company: Settings) -> None:
    queries = re.findall(r"```sql\n(.*?)```", DOC.read_text(encoding="utf-8"), re.DOTALL)
    assert len(queries) == 5
    with open_snapshot(sample_company.warehouse) as con:
        results = [con.execute(sql).fetchall() for sql in queries]
    assert all(results)
    channels = {row[0] for row in results[0]}
    assert channels == {"app", "store", "web"}
    attribution = results[3]
    assert sum(row[9] for row in attribution) == pytest.approx(attribution[0][10], abs=0.2)
    for _, _, mix, score, contribution, total in results[4]:
        assert contribution == total and mix + score == pytest.approx(total, abs=0.011)
