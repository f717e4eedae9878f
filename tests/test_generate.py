"""The sample company: deterministic per seed, and behaving as docs/sample-company.md says."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from pipelines.config import Settings
from pipelines.generate import GenerateOptions, generate
from tests.conftest import fetch, run


def digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path: Path) -> None:
    generate(GenerateOptions(tmp_path / "a", customers=300, months=12, seed=1))
    generate(GenerateOptions(tmp_path / "b", customers=300, months=12, seed=1))
    generate(GenerateOptions(tmp_path / "c", customers=300, months=12, seed=2))
    assert digest(tmp_path / "a") == digest(tmp_path / "b")
    assert digest(tmp_path / "a") != digest(tmp_path / "c")


def test_every_entity_is_written_with_its_flag_file(tmp_path: Path) -> None:
    written = generate(GenerateOptions(tmp_path, customers=200, months=6, seed=3))
    folders = {p.parent.relative_to(tmp_path).as_posix() for p in written}
    assert folders == {
        "crm/customers",
        "crm/events",
        "shop/orders",
        "shop/returns",
        "survey/responses",
    }
    assert all((tmp_path / folder / "_ready").exists() for folder in folders)


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    root = tmp_path_factory.mktemp("sample")
    settings = Settings(landing=root / "landing", warehouse=root / "warehouse.duckdb")
    generate(GenerateOptions(settings.landing, customers=4000, months=24, seed=11))
    run(settings)
    return settings


def test_sample_loads_without_rejects(sample: Settings) -> None:
    assert fetch(sample, "select count(*) from audit.rejects") == [(0,)]
    assert fetch(sample, "select count(distinct status) from audit.files") == [(1,)]


def churn_share(settings: Settings, tier: str) -> float:
    ((share,),) = fetch(
        settings,
        "select avg((state = 'churned')::int) from marts.customer_loyalty where satisfaction_tier = ?",
        [tier],
    )
    return float(share)


def test_delighted_customers_churn_less_than_merely_satisfied(sample: Settings) -> None:
    assert (
        churn_share(sample, "delighted")
        < churn_share(sample, "satisfied")
        < churn_share(sample, "dissatisfied")
    )


def test_delighted_customers_buy_more(sample: Settings) -> None:
    rows = dict(
        fetch(
            sample,
            "select satisfaction_tier, avg(purchases) from marts.customer_loyalty"
            " where satisfaction_tier is not null group by 1",
        )
    )
    assert rows["delighted"] > rows["satisfied"] > rows["dissatisfied"]


def test_satisfied_customers_still_switch_to_competitors(sample: Settings) -> None:
    ((count,),) = fetch(
        sample,
        "select count(*) from marts.customer_loyalty"
        " where satisfaction_tier = 'satisfied' and churn_reason = 'competitor'",
    )
    assert count > 0


def test_promoters_refer_more_than_detractors(sample: Settings) -> None:
    rows = dict(
        fetch(
            sample,
            "select nps_group, avg(referrals) from marts.customer_loyalty where nps_group is not null group by 1",
        )
    )
    assert rows["promoter"] > 2 * rows["detractor"]


def test_discount_hunters_are_less_satisfied(sample: Settings) -> None:
    ((hunters, others),) = fetch(
        sample,
        """
        with discount as (
            select customer_id, sum(discount_amount) / sum(gross_amount) as share
            from core.purchases group by customer_id
        )
        select
            avg(last_csat) filter (where share >= 0.1),
            avg(last_csat) filter (where share < 0.1)
        from marts.customer_loyalty join discount using (customer_id)
        """,
    )
    assert hunters < others


def test_handoffs_hurt_satisfaction(sample: Settings) -> None:
    ((with_handoffs, without),) = fetch(
        sample,
        """
        with handoffs as (
            select customer_id, max(handoffs) as most from staging.stg_events
            where event_type in ('support_contact', 'complaint') group by customer_id
        )
        select avg(last_csat) filter (where most >= 2), avg(last_csat) filter (where most = 0)
        from marts.customer_loyalty join handoffs using (customer_id)
        """,
    )
    assert with_handoffs < without


def test_some_churned_customers_are_won_back_and_orders_are_seasonal(sample: Settings) -> None:
    assert fetch(
        sample, "select count(*) > 0 from marts.customer_loyalty where state = 'won_back'"
    ) == [(True,)]
    ((december, july),) = fetch(
        sample,
        """
        select
            avg(purchases / active_customers_start) filter (where month(month) = 12),
            avg(purchases / active_customers_start) filter (where month(month) = 7)
        from marts.kpi_monthly where active_customers_start > 100
        """,
    )
    assert december > july
