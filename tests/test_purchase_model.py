"""The BG/NBD purchase model: the likelihood and predictions by hand, recovery, the marts."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from scipy.optimize import minimize

from pipelines import purchase_model
from pipelines.config import Settings
from pipelines.errors import LoyaltyError
from pipelines.generate import GenerateOptions, generate
from pipelines.purchase_model import (
    BOUNDS,
    TOLERANCES,
    Histories,
    Parameters,
    expected_purchases,
    fit,
    mean_log_likelihood,
    negative_mean,
    p_alive,
    stalled_at_optimum,
)
from tests.conftest import fetch, fetch_dicts, run


def one(value: float) -> np.ndarray:
    return np.array([value], dtype=float)


def test_without_repeat_purchases_the_likelihood_is_that_of_no_purchase() -> None:
    p = Parameters(r=0.5, alpha=4.0, a=0.8, b=2.5)
    got, _ = mean_log_likelihood(p, Histories.of(one(0), one(0), one(30), one(1)))
    assert got == pytest.approx(0.5 * math.log(4 / 34))


def test_the_likelihood_of_a_repeat_buyer_by_hand() -> None:
    # Equation 6 of the paper for x = 2, t_x = 4, T = 10 at r = 1, alpha = 2, a = 1, b = 3:
    # B(a, b + x) / B(a, b) * Gamma(r + x) / Gamma(r) * alpha^r
    #   * (1 / (alpha + T)^(r + x) + a / (b + x - 1) / (alpha + t_x)^(r + x))
    # = 3/5 * 2 * 2 * (1/12^3 + 1/4 * 1/6^3)
    p = Parameters(r=1.0, alpha=2.0, a=1.0, b=3.0)
    got, _ = mean_log_likelihood(p, Histories.of(one(2), one(4), one(10), one(1)))
    assert got == pytest.approx(math.log(2.4 * (1 / 12**3 + 0.25 / 6**3)))


@pytest.mark.parametrize("customers", [(1.0, 1.0), (3.0, 1.0)])
def test_the_gradient_is_the_slope_of_the_likelihood(customers: tuple[float, float]) -> None:
    # Central differences by the logarithm of each parameter, for a customer without and
    # one with repeat purchases, equally or unequally many of each.
    h = Histories.of(
        np.array([0.0, 3.0]), np.array([0.0, 40.0]), np.array([30.0, 90.0]), np.array(customers)
    )
    logs = np.log([0.5, 4.0, 0.8, 2.5])
    _, gradient = mean_log_likelihood(Parameters(*np.exp(logs)), h)
    for i in range(4):
        step = np.zeros(4)
        step[i] = 1e-6
        above, _ = mean_log_likelihood(Parameters(*np.exp(logs + step)), h)
        below, _ = mean_log_likelihood(Parameters(*np.exp(logs - step)), h)
        assert gradient[i] == pytest.approx((above - below) / 2e-6, rel=1e-5, abs=1e-8), i


def test_histories_summed_in_blocks_give_the_whole_sum(monkeypatch: pytest.MonkeyPatch) -> None:
    x, t_x, big_t = simulate(Parameters(r=0.8, alpha=40.0, a=0.7, b=2.5), 35, seed=7)
    h = Histories.of(x, t_x, big_t, np.arange(1.0, 36.0))
    p = Parameters(r=0.5, alpha=4.0, a=0.8, b=2.5)
    whole, whole_gradient = mean_log_likelihood(p, h)
    monkeypatch.setattr(purchase_model, "BLOCK_ROWS", 10)
    assert len(h.blocks()) == 4
    blocked, blocked_gradient = mean_log_likelihood(p, h)
    assert blocked == pytest.approx(whole, rel=1e-12)
    assert blocked_gradient == pytest.approx(whole_gradient, rel=1e-12)


def test_shared_histories_count_as_often_as_their_customers() -> None:
    x, t_x, big_t = simulate(Parameters(r=0.8, alpha=40.0, a=0.7, b=2.5), 500, seed=5)
    once = fit(x, t_x, big_t, np.full(500, 2.0))
    twice = fit(np.tile(x, 2), np.tile(t_x, 2), np.tile(big_t, 2), np.ones(1000))
    assert once.customers == twice.customers == 1000
    assert once.log_likelihood == pytest.approx(twice.log_likelihood)
    assert once.parameters.r == pytest.approx(twice.parameters.r, rel=1e-4)


def test_p_alive_by_hand() -> None:
    # 1 / (1 + a / (b + x - 1) * ((alpha + T) / (alpha + t_x)) ** (r + x)) = 1 / (1 + 1/4 * 2**3)
    p = Parameters(r=1.0, alpha=2.0, a=1.0, b=3.0)
    assert p_alive(p, one(2), one(4), one(10))[0] == pytest.approx(1 / 3)
    assert p_alive(p, one(0), one(0), one(10))[0] == 1.0


def test_without_dropout_expected_purchases_are_the_gamma_poisson_mean() -> None:
    # Dropout probability a / (a + b) close to 0: E = t * (r + x) / (alpha + T).
    p = Parameters(r=2.0, alpha=10.0, a=2.0, b=1e9)
    got = expected_purchases(p, 90, one(3), one(40), one(50))[0]
    assert got == pytest.approx(90 * 5 / 60, rel=1e-4)


def test_expected_purchases_are_finite_where_the_formula_is_zero_over_zero() -> None:
    at_one, beside = (
        expected_purchases(Parameters(r=1.0, alpha=5.0, a=a, b=2.0), 90, one(1), one(3), one(20))[0]
        for a in (1.0, 1.001)
    )
    assert math.isfinite(at_one) and at_one == pytest.approx(beside, rel=1e-2)


def simulate(p: Parameters, customers: int, seed: int) -> tuple[np.ndarray, ...]:
    """Purchase histories drawn from the BG/NBD process itself."""
    rng = np.random.default_rng(seed)
    rates = rng.gamma(p.r, 1 / p.alpha, customers)
    dropouts = rng.beta(p.a, p.b, customers)
    ages = rng.uniform(100, 400, customers)
    x, t_x = np.zeros(customers), np.zeros(customers)
    for i in range(customers):
        moment = 0.0
        while True:
            moment += rng.exponential(1 / rates[i])
            if moment > ages[i]:
                break
            x[i], t_x[i] = x[i] + 1, moment
            if rng.random() < dropouts[i]:
                break
    return x, t_x, ages


def test_the_fit_recovers_the_parameters_it_was_drawn_from() -> None:
    truth = Parameters(r=0.8, alpha=40.0, a=0.7, b=2.5)
    result = fit(*simulate(truth, 4000, seed=3), np.ones(4000))
    assert result.converged
    got = result.parameters
    for name in ("r", "alpha", "a", "b"):
        assert getattr(got, name) == pytest.approx(getattr(truth, name), rel=0.35), name


def test_the_fit_stops_at_the_maximum() -> None:
    x, t_x, big_t = simulate(Parameters(r=0.8, alpha=40.0, a=0.7, b=2.5), 500, seed=5)
    result = fit(x, t_x, big_t, np.ones(500))
    h = Histories.of(x, t_x, big_t, np.ones(500))
    _, gradient = mean_log_likelihood(result.parameters, h)
    assert np.abs(gradient).max() < 1e-7


def test_a_fit_that_runs_out_of_iterations_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # One L-BFGS-B step, then a Nelder-Mead polish of four that stops short as well.
    monkeypatch.setattr(purchase_model, "MAX_ITERATIONS", 1)
    x, t_x, big_t = simulate(Parameters(r=0.8, alpha=40.0, a=0.7, b=2.5), 200, seed=5)
    with pytest.raises(LoyaltyError, match="did not converge"):
        fit(x, t_x, big_t, np.ones(200))


def test_no_customers_is_a_clear_error() -> None:
    with pytest.raises(LoyaltyError, match="at least one customer"):
        fit(np.array([]), np.array([]), np.array([]), np.array([]))


@pytest.fixture(scope="module")
def company(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    root = tmp_path_factory.mktemp("health")
    settings = Settings(landing=root / "landing", warehouse=root / "warehouse.duckdb")
    generate(GenerateOptions(settings.landing, customers=400, months=12, seed=11))
    run(settings)
    return settings


def test_the_model_is_fitted_to_every_buyer(company: Settings) -> None:
    (model,) = fetch_dicts(company, "select * from marts.purchase_model")
    buyers = fetch(company, "select count(distinct customer_id) from core.purchases")[0][0]
    assert model["converged"] and model["customers"] == buyers
    assert fetch(company, "select count(*) from marts.customer_health")[0][0] == buyers


def test_a_line_search_that_stalls_at_the_optimum_has_converged(company: Settings) -> None:
    # This company's dropout parameter b runs to its bound, where the likelihood is flat:
    # L-BFGS-B's line search stalls (status 2) with a projected gradient below scipy's own
    # default tolerance. The fit keeps that point instead of polishing it with Nelder-Mead.
    rows = fetch(
        company,
        "select frequency, recency_days, age_days, count(*) from core.purchase_histories "
        "group by all order by all",
    )
    x, t_x, big_t, customers = (np.array(column, dtype=float) for column in zip(*rows, strict=True))
    stalled = minimize(
        negative_mean,
        x0=np.zeros(4),
        args=(Histories.of(x, t_x, big_t, customers),),
        jac=True,
        method="L-BFGS-B",
        bounds=BOUNDS,
        options={"maxiter": 500, **TOLERANCES},
    )
    assert stalled.status == 2 and stalled_at_optimum(stalled)
    assert fit(x, t_x, big_t, customers).parameters == Parameters(*np.exp(stalled.x))


def test_risk_bands_follow_the_thresholds(company: Settings) -> None:
    for row in fetch_dicts(company, "select * from marts.customer_health"):
        if row["state"] not in ("active", "won_back"):
            expected = None
        elif row["p_alive"] < 0.3:
            expected = "high"
        else:
            expected = "medium" if row["p_alive"] < 0.6 else "low"
        assert row["risk_band"] == expected, row
        assert 0 <= row["p_alive"] <= 1 and row["expected_purchases_90d"] >= 0
    at_risk = fetch(
        company,
        "select coalesce(sum(revenue_net_12m), 0) from marts.customer_health "
        "where risk_band = 'high'",
    )[0][0]
    assert fetch(company, "select revenue_at_risk from marts.loyalty_headlines")[0][0] == at_risk


def test_risk_thresholds_in_the_wrong_order_are_refused(tmp_path: Path) -> None:
    with pytest.raises(LoyaltyError, match="LOYALTY_RISK_HIGH"):
        Settings(landing=tmp_path, risk_high=0.7, risk_medium=0.5)
