"""The BG/NBD purchase model (Fader, Hardie and Lee 2005), fitted by maximum likelihood.

Each customer buys at a Poisson rate (gamma-distributed over customers, shape r, rate
alpha) until they drop out, which may happen after any purchase with a probability
(beta-distributed, a and b). The closed-form likelihood of the paper (its equation 6) is
maximised with scipy; docs/purchase_model.md says why this is not a library's fit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
import pyarrow as pa
from scipy.optimize import OptimizeResult, minimize
from scipy.special import digamma, gammaln, hyp2f1
from threadpoolctl import threadpool_limits

from pipelines.errors import LoyaltyError

MAX_ITERATIONS = 500
# Stop where the mean log-likelihood no longer moves in its 13th digit. scipy's defaults
# (ftol 2.2e-9, gtol 1e-5) stop with parameters up to 1e-3 (relative) short of the maximum's,
# and their last digits then depend on the path the optimiser took.
TOLERANCES = {"ftol": 1e-13, "gtol": 1e-10}
# scipy's default for the projected gradient: a line search that stalls below it has converged.
DEFAULT_GTOL = 1e-5
# Histories are summed in blocks of this many (half a megabyte per column): every temporary
# array of a block stays in the processor's cache, which makes an evaluation 3-4 x faster
# than one pass over 700k histories.
BLOCK_ROWS = 65_536
BOUNDS = [(-10.0, 10.0)] * 4
PREDICTION_DAYS = 90
NEAR_ONE = 1e-6


@dataclass(frozen=True)
class Parameters:
    r: float
    alpha: float
    a: float
    b: float


@dataclass(frozen=True)
class Fit:
    parameters: Parameters
    log_likelihood: float
    converged: bool
    iterations: int
    customers: int


@dataclass(frozen=True)
class Histories:
    """Distinct purchase histories (x, t_x, T), the share of customers with each, and what
    the likelihood needs of them at any parameters."""

    x: np.ndarray
    t_x: np.ndarray
    big_t: np.ndarray
    share: np.ndarray
    per_count: np.ndarray
    repeat: np.ndarray
    count_share: np.ndarray

    @classmethod
    def of(
        cls, x: np.ndarray, t_x: np.ndarray, big_t: np.ndarray, customers: np.ndarray
    ) -> Histories:
        share = customers / customers.sum()
        per_count = x.astype(np.int64)
        return cls(x, t_x, big_t, share, per_count, x > 0, np.bincount(per_count, weights=share))

    def blocks(self) -> list[Histories]:
        """BLOCK_ROWS histories at a time, each with the whole population's count shares."""
        return [
            Histories(
                *(
                    column[start : start + BLOCK_ROWS]
                    for column in (
                        self.x,
                        self.t_x,
                        self.big_t,
                        self.share,
                        self.per_count,
                        self.repeat,
                    )
                ),
                self.count_share,
            )
            for start in range(0, len(self.x), BLOCK_ROWS)
        ]


def history_sums(p: Parameters, b_last: np.ndarray, h: Histories) -> np.ndarray:
    """The share-weighted sums over h's histories that the likelihood and its gradient need.

    Per history, the likelihood mixes two terms, A (still buying at T) and B (dropped out
    after the last purchase), as A * (1 + exp(d)) with d = log(B / A): one exponential and
    one logarithm.
    """
    r, alpha, a, b = p.r, p.alpha, p.a, p.b
    at_t, at_t_x = alpha + h.big_t, alpha + h.t_x
    log_t, log_t_x = np.log(at_t), np.log(at_t_x)
    power = r + h.x
    d = np.where(
        h.repeat,
        np.log(a) - np.log(b_last)[h.per_count] + power * (log_t - log_t_x),
        -np.inf,
    )
    small = np.exp(-np.abs(d))
    mixed = np.maximum(d, 0) + np.log1p(small) - power * log_t
    # The weights of A and B in the mixture, each without cancellation.
    w_a = np.where(d >= 0, small, 1) / (1 + small)
    w_b = np.where(d >= 0, 1, small) / (1 + small)
    return np.array(
        [
            h.share @ mixed,
            h.share @ (w_a * log_t + w_b * log_t_x),
            h.share @ (power * (w_a / at_t + w_b / at_t_x)),
            h.share @ w_b,
            h.share @ (w_b * (b / b_last)[h.per_count]),
        ]
    )


def mean_log_likelihood(p: Parameters, h: Histories) -> tuple[float, np.ndarray]:
    """The customers' mean log-likelihood and its derivatives by log r, log alpha, log a and log b.

    The gamma functions depend on the purchase count alone: they are evaluated once per
    count 0..max(x) and weighted by the share of customers with that count. The histories
    are summed block by block.
    """
    r, alpha, a, b = p.r, p.alpha, p.a, p.b
    counts = np.arange(len(h.count_share), dtype=float)
    b_last = np.maximum(b + counts - 1, b)
    count_values = (
        gammaln(r + counts)
        - gammaln(r)
        + r * np.log(alpha)
        + gammaln(a + b)
        + gammaln(b + counts)
        - gammaln(b)
        - gammaln(a + b + counts)
    )
    by_ab = digamma(a + b) - digamma(a + b + counts)
    by_r = digamma(r + counts) - digamma(r) + np.log(alpha)
    by_b = by_ab + digamma(b + counts) - digamma(b)
    sums = sum((history_sums(p, b_last, block) for block in h.blocks()), np.zeros(5))
    mixed, by_r_t, by_alpha_t, w_b, by_b_last = sums
    gradient = np.array(
        [
            r * (h.count_share @ by_r - by_r_t),
            r - alpha * by_alpha_t,
            a * (h.count_share @ by_ab) + w_b,
            b * (h.count_share @ by_b) - by_b_last,
        ]
    )
    return float(h.count_share @ count_values + mixed), gradient


def negative_mean(log_parameters: np.ndarray, h: Histories) -> tuple[float, np.ndarray]:
    """What the optimiser minimises, by the parameters' logarithms: the negative mean
    log-likelihood per customer (a scale its line search handles well) and its gradient."""
    value, gradient = mean_log_likelihood(Parameters(*np.exp(log_parameters)), h)
    return -value, -gradient


def fit(x: np.ndarray, t_x: np.ndarray, big_t: np.ndarray, customers: np.ndarray) -> Fit:
    """Maximum-likelihood parameters; raises when the optimiser does not converge.

    Each history (x, t_x, T) is given once with the number of customers who share it.
    """
    if len(x) == 0:
        raise LoyaltyError("the purchase model needs at least one customer with a purchase")
    h = Histories.of(x, t_x, big_t, customers)
    # The likelihood's dot products are short: OpenBLAS threads would only spin beside them.
    with threadpool_limits(limits=1, user_api="blas"):
        result = minimize(
            negative_mean,
            x0=np.zeros(4),
            args=(h,),
            jac=True,
            method="L-BFGS-B",
            bounds=BOUNDS,
            options={"maxiter": MAX_ITERATIONS, **TOLERANCES},
        )
        converged = result.success or stalled_at_optimum(result)
        if not converged:
            # A line search that stalls short of the optimum: polish it without gradients.
            result = minimize(
                lambda log_parameters: negative_mean(log_parameters, h)[0],
                x0=result.x,
                method="Nelder-Mead",
                bounds=BOUNDS,
                options={"maxiter": MAX_ITERATIONS * 4, "xatol": 1e-6, "fatol": 1e-10},
            )
            converged = result.success
    if not converged or not np.isfinite(result.fun):
        raise LoyaltyError(
            f"the BG/NBD purchase model did not converge after {result.nit} iterations "
            f"({result.message}); the previous marts.purchase_model and customer_health stay. "
            "Check core.purchase_histories for implausible purchase days, or run with an "
            "earlier --as-of"
        )
    return Fit(
        parameters=Parameters(*np.exp(result.x)),
        log_likelihood=-float(result.fun) * float(customers.sum()),
        converged=True,
        iterations=int(result.nit),
        customers=int(customers.sum()),
    )


def stalled_at_optimum(result: OptimizeResult) -> bool:
    """L-BFGS-B stopped because no step along its line lowers the function any more (its
    status 2), where the projected gradient already meets scipy's own default tolerance: the
    maximum within the precision of the arithmetic, as at a bound in a flat valley."""
    if result.status != 2:
        return False
    lower, upper = np.array(BOUNDS).T
    projected = np.clip(result.x - result.jac, lower, upper) - result.x
    return bool(np.abs(projected).max() <= DEFAULT_GTOL)


def p_alive(p: Parameters, x: np.ndarray, t_x: np.ndarray, big_t: np.ndarray) -> np.ndarray:
    """Probability that each customer has not dropped out by T (1 for no repeat purchase)."""
    ratio = np.where(x > 0, p.a / np.where(x > 0, p.b + x - 1, 1.0), 0.0)
    return 1.0 / (1.0 + ratio * ((p.alpha + big_t) / (p.alpha + t_x)) ** (p.r + x))


def expected_purchases(
    p: Parameters, days: float, x: np.ndarray, t_x: np.ndarray, big_t: np.ndarray
) -> np.ndarray:
    """Expected purchases in the next `days` days, given each customer's history."""
    r, alpha, b = p.r, p.alpha, p.b
    # The formula is 0/0 at a = 1 (its limit is finite): evaluate just beside it.
    a = p.a if abs(p.a - 1) > NEAR_ONE else 1 + NEAR_ONE
    later = alpha + big_t + days
    hyper = hyp2f1(r + x, b + x, a + b + x - 1, days / later)
    unconditional = (a + b + x - 1) / (a - 1) * (1 - ((alpha + big_t) / later) ** (r + x) * hyper)
    return unconditional * p_alive(p, x, t_x, big_t)


def column(rows: pa.Table, name: str) -> np.ndarray:
    return rows.column(name).to_numpy().astype(float)


def histories(rows: pa.Table) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return column(rows, "frequency"), column(rows, "recency_days"), column(rows, "age_days")


MODEL_SCHEMA = pa.schema(
    {
        "model": pa.string(),
        "time_unit": pa.string(),
        "r": pa.float64(),
        "alpha": pa.float64(),
        "a": pa.float64(),
        "b": pa.float64(),
        "customers": pa.int64(),
        "log_likelihood": pa.float64(),
        "converged": pa.bool_(),
        "iterations": pa.int64(),
        "fitted_at": pa.timestamp("us", tz="UTC"),
    }
)
PREDICTION_SCHEMA = pa.schema(
    {"customer_id": pa.string(), "p_alive": pa.float64(), "expected_purchases_90d": pa.float64()}
)


def fit_table(rows: pa.Table) -> pa.Table:
    """marts.purchase_model: the fit of the customers' histories (each with its count), one row."""
    if rows.num_rows == 0:
        return MODEL_SCHEMA.empty_table()
    result = fit(*histories(rows), column(rows, "customers"))
    p = result.parameters
    row = {
        "model": "BG/NBD",
        "time_unit": "day",
        "r": p.r,
        "alpha": p.alpha,
        "a": p.a,
        "b": p.b,
        "customers": result.customers,
        "log_likelihood": result.log_likelihood,
        "converged": result.converged,
        "iterations": result.iterations,
        "fitted_at": datetime.now(UTC),
    }
    return pa.Table.from_pylist([row], schema=MODEL_SCHEMA)


def predict_table(rows: pa.Table) -> pa.Table:
    """core.purchase_predictions: p_alive and expected purchases per customer.

    Arrow in and out: the customer ids pass through without becoming Python strings.
    """
    if rows.num_rows == 0:
        return PREDICTION_SCHEMA.empty_table()
    p = Parameters(*(rows.column(name)[0].as_py() for name in ("r", "alpha", "a", "b")))
    x, t_x, big_t = histories(rows)
    return pa.table(
        {
            "customer_id": rows.column("customer_id"),
            "p_alive": p_alive(p, x, t_x, big_t),
            "expected_purchases_90d": expected_purchases(p, PREDICTION_DAYS, x, t_x, big_t),
        }
    )


PYTHON_MODELS = {"purchase_model.fit": fit_table, "purchase_model.predict": predict_table}
