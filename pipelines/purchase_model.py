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
import pandas as pd
from scipy.optimize import minimize
from scipy.special import digamma, gammaln, hyp2f1

from pipelines.errors import LoyaltyError

MAX_ITERATIONS = 500
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


def log_likelihood_gradient(
    p: Parameters, x: np.ndarray, t_x: np.ndarray, big_t: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Each customer's log-likelihood and its derivatives by log r, log alpha, log a and log b.

    The gamma functions depend on the purchase count alone: they are evaluated once per
    count 0..max(x), not once per customer, which makes an evaluation several times cheaper.
    """
    r, alpha, a, b = p.r, p.alpha, p.a, p.b
    counts = np.arange(int(x.max(initial=0)) + 1, dtype=float)
    per_count = x.astype(np.int64)
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
    at_t, at_t_x = alpha + big_t, alpha + t_x
    log_t, log_t_x = np.log(at_t), np.log(at_t_x)
    a3 = -(r + x) * log_t
    a4 = np.where(x > 0, np.log(a) - np.log(b_last)[per_count] - (r + x) * log_t_x, -np.inf)
    mixed = np.logaddexp(a3, a4)
    w3, w4 = np.exp(a3 - mixed), np.exp(a4 - mixed)
    gradient = np.stack(
        [
            r * (by_r[per_count] - w3 * log_t - w4 * log_t_x),
            r - alpha * (r + x) * (w3 / at_t + w4 / at_t_x),
            a * by_ab[per_count] + w4,
            b * by_b[per_count] - w4 * (b / b_last)[per_count],
        ]
    )
    return count_values[per_count] + mixed, gradient


def fit(x: np.ndarray, t_x: np.ndarray, big_t: np.ndarray, customers: np.ndarray) -> Fit:
    """Maximum-likelihood parameters; raises when the optimiser does not converge.

    Each history (x, t_x, T) is given once with the number of customers who share it.
    """
    if len(x) == 0:
        raise LoyaltyError("the purchase model needs at least one customer with a purchase")
    share = customers / customers.sum()

    def negative(log_parameters: np.ndarray) -> tuple[float, np.ndarray]:
        """The mean negative log-likelihood per customer (a scale the line search handles
        well) and its gradient."""
        values, gradient = log_likelihood_gradient(
            Parameters(*np.exp(log_parameters)), x, t_x, big_t
        )
        return -float(np.dot(share, values)), -(gradient @ share)

    result = minimize(
        negative,
        x0=np.zeros(4),
        jac=True,
        method="L-BFGS-B",
        bounds=BOUNDS,
        options={"maxiter": MAX_ITERATIONS},
    )
    if not result.success:
        # A line search that stalls near the optimum: polish from there without gradients.
        result = minimize(
            lambda log_parameters: negative(log_parameters)[0],
            x0=result.x,
            method="Nelder-Mead",
            bounds=BOUNDS,
            options={"maxiter": MAX_ITERATIONS * 4, "xatol": 1e-6, "fatol": 1e-10},
        )
    if not result.success or not np.isfinite(result.fun):
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


def histories(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return (
        frame["frequency"].to_numpy(dtype=float),
        frame["recency_days"].to_numpy(dtype=float),
        frame["age_days"].to_numpy(dtype=float),
    )


MODEL_COLUMNS = {
    "model": "string",
    "time_unit": "string",
    "r": "float64",
    "alpha": "float64",
    "a": "float64",
    "b": "float64",
    "customers": "int64",
    "log_likelihood": "float64",
    "converged": "bool",
    "iterations": "int64",
    "fitted_at": "datetime64[us, UTC]",
}


def fit_table(frame: pd.DataFrame) -> pd.DataFrame:
    """marts.purchase_model: the fit of the customers' histories (each with its count), one row."""
    if frame.empty:
        return pd.DataFrame({name: pd.Series(dtype=kind) for name, kind in MODEL_COLUMNS.items()})
    result = fit(*histories(frame), frame["customers"].to_numpy(dtype=float))
    p = result.parameters
    return pd.DataFrame(
        {
            "model": ["BG/NBD"],
            "time_unit": ["day"],
            "r": [p.r],
            "alpha": [p.alpha],
            "a": [p.a],
            "b": [p.b],
            "customers": [result.customers],
            "log_likelihood": [result.log_likelihood],
            "converged": [result.converged],
            "iterations": [result.iterations],
            "fitted_at": [datetime.now(UTC)],
        }
    )


def predict_table(frame: pd.DataFrame) -> pd.DataFrame:
    """core.purchase_predictions: p_alive and expected purchases per customer."""
    if frame.empty:
        return pd.DataFrame(
            {
                "customer_id": pd.Series(dtype="string"),
                "p_alive": pd.Series(dtype="float64"),
                "expected_purchases_90d": pd.Series(dtype="float64"),
            }
        )
    first = frame.iloc[0]
    p = Parameters(float(first["r"]), float(first["alpha"]), float(first["a"]), float(first["b"]))
    x, t_x, big_t = histories(frame)
    return pd.DataFrame(
        {
            "customer_id": frame["customer_id"].astype("string"),
            "p_alive": p_alive(p, x, t_x, big_t),
            "expected_purchases_90d": expected_purchases(p, PREDICTION_DAYS, x, t_x, big_t),
        }
    )


PYTHON_MODELS = {"purchase_model.fit": fit_table, "purchase_model.predict": predict_table}
