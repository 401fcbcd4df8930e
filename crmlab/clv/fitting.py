"""Maximum likelihood (最大似然估计) machinery shared by the CLV models.

- :class:`Column` and :func:`per_value`: a function of a data column computed
  once per distinct value, so a million customers cost little more than a few
  thousand;
- :func:`compress`: identical customers merged into one weighted row;
- :func:`maximise`: the optimiser over log-parameters, with standard errors
  (标准误) from the Hessian of the log-likelihood.
"""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from crmlab.validation import CrmlabInputError

__all__ = ["Column", "per_value", "maximise", "compress"]


class Column:
    """A data column held as its distinct values and, per row, which one it is.

    Summaries built from calendar days have few distinct frequencies and
    times, so a function of one column (gammaln(r + x), log(α + T), ...) is
    computed once per distinct value and gathered: the likelihood of a
    million customers costs little more than that of a few thousand.

    Examples
    --------
    >>> days = Column([7, 14, 7, 7])
    >>> days.values.tolist(), days.rows.tolist()   # two distinct values; which one each row holds
    ([7, 14], [0, 1, 0, 0])
    >>> days.apply(np.log).round(3).tolist()      # log computed twice, gathered for the four rows
    [1.946, 2.639, 1.946, 1.946]
    """

    def __init__(self, values):
        self.values, self.rows = np.unique(values, return_inverse=True)

    def apply(self, f):
        return f(self.values)[self.rows]


def per_value(column, f):
    """``f(column)``, computed once per distinct value when ``column`` is a :class:`Column`.

    Examples
    --------
    >>> per_value(Column([4, 9, 4]), np.sqrt).tolist()     # sqrt of 4 and 9 only
    [2.0, 3.0, 2.0]
    >>> per_value(np.array([4, 9, 4]), np.sqrt).tolist()   # a plain array: f applied as is
    [2.0, 3.0, 2.0]
    """
    return column.apply(f) if isinstance(column, Column) else f(column)


def maximise(loglik, data, weights, start, *, names, gradient: bool):
    """Maximum likelihood over log-parameters (so every parameter stays > 0).

    ``loglik(params, *data[, grad=True])`` returns the log-likelihood of each
    row (and, with ``gradient``, its gradient: k rows of n); ``weights`` counts how
    many customers each row stands for. Returns (params, total LL, standard errors).

    Examples
    --------
    Waiting times with an exponential distribution: the best rate is 1 / mean, here
    1 / 2, with standard error rate / sqrt(n) = 0.5 / 2:

    >>> def loglik(p, x):                      # log-likelihood of each row at rate p[0]
    ...     return np.log(p[0]) - p[0] * x
    >>> x = np.array([1.0, 2.0, 3.0, 2.0])
    >>> params, ll, se = maximise(loglik, (x,), np.ones(4), [1.0], names=["rate"], gradient=False)
    >>> params.round(4).tolist(), round(ll, 4), se.round(3).tolist()   # LL = 4 log(0.5) - 0.5 * 8
    ([0.5], -6.7726, [0.25])
    """
    from scipy.optimize import minimize

    from crmlab._threads import one_blas_thread

    n = weights.sum()

    def total(theta, grad=False):
        with np.errstate(all="ignore"):  # a trial step may overflow: the objective then refuses it
            p = np.exp(theta)
            if not grad:
                return float(weights @ loglik(p, *data))
            ll, g = loglik(p, *data, grad=True)
        # Row by row: a k x n array of a million customers would be fresh memory from the system at
        # every evaluation (too large for malloc to keep), slower to touch than to compute.
        return float(weights @ ll), np.array([row @ weights for row in g]) * p  # chain rule to log-parameters

    def objective(theta):
        if not gradient:
            value = -total(theta) / n
            return value if np.isfinite(value) else 1e10
        value, g = total(theta, grad=True)
        if not (np.isfinite(value) and np.all(np.isfinite(g))):
            return 1e10, np.zeros_like(theta)
        return -value / n, -g / n

    with one_blas_thread():  # hundreds of small products: faster, and the same sums on any machine
        res = minimize(objective, np.log(start), jac=gradient, method="L-BFGS-B",
                       options={"maxiter": 2000, "ftol": 1e-14, "gtol": 1e-9, "maxcor": 20})
        ll = total(res.x)
        hess = _hessian(total, res.x, gradient=gradient)
    if not np.isfinite(ll):
        raise CrmlabInputError("the log-likelihood is not finite at any tried parameter value; "
                               "check the summary (times, frequencies, amounts).")
    if not res.success and "ABNORMAL" not in str(res.message):
        warnings.warn(f"maximum likelihood did not converge ({res.message}); treat the estimates with care.",
                      RuntimeWarning, stacklevel=4)
    with np.errstate(invalid="ignore"):
        try:
            se_log = np.sqrt(np.diag(np.linalg.inv(-hess)))
        except np.linalg.LinAlgError:
            se_log = np.full(len(res.x), np.nan)
    if not np.all(np.isfinite(se_log)):
        warnings.warn("the Hessian of the log-likelihood is not negative definite at the estimate; "
                      "standard errors are not available (NaN).", RuntimeWarning, stacklevel=4)
    params = pd.Series(np.exp(res.x), index=names, name="estimate")
    # Delta method: SE(θ) = θ SE(log θ), exact at the maximum where the gradient is zero.
    return params, ll, pd.Series(params.to_numpy() * se_log, index=names, name="std_error")


def _hessian(total, theta, *, gradient: bool, h: float = 1e-4):
    """Hessian of the total log-likelihood in log-parameters, by central differences
    (of the analytic gradient when there is one, else of the function)."""
    k = len(theta)
    step = np.eye(k) * h
    if gradient:
        cols = [(total(theta + step[i], grad=True)[1] - total(theta - step[i], grad=True)[1]) / (2 * h)
                for i in range(k)]
        hess = np.array(cols)
        return (hess + hess.T) / 2
    f0 = total(theta)
    hess = np.empty((k, k))
    for i in range(k):  # k <= 4 parameters, not data rows
        for j in range(i, k):
            if i == j:
                val = (total(theta + step[i]) - 2 * f0 + total(theta - step[i])) / h ** 2
            else:
                val = (total(theta + step[i] + step[j]) - total(theta + step[i] - step[j])
                       - total(theta - step[i] + step[j]) + total(theta - step[i] - step[j])) / (4 * h * h)
            hess[i, j] = hess[j, i] = val
    return hess


def compress(x, tx, T):
    """Distinct (x, t_x, T) rows and how many customers share each: identical customers
    have identical likelihoods (summaries built from calendar days repeat a lot).

    Examples
    --------
    >>> x, tx, T, n = compress([0, 2, 0, 2], [0.0, 5.0, 0.0, 5.0], [10.0, 10.0, 10.0, 12.0])
    >>> x.tolist(), tx.tolist(), T.tolist(), n.tolist()   # the first and third customers are alike
    ([0, 2, 2], [0.0, 5.0, 5.0], [10.0, 10.0, 12.0], [2.0, 1.0, 1.0])
    """
    counts = pd.DataFrame({"x": x, "tx": tx, "T": T}).groupby(["x", "tx", "T"], sort=False).size()
    rows = counts.index.to_frame(index=False)
    return rows["x"].to_numpy(), rows["tx"].to_numpy(), rows["T"].to_numpy(), counts.to_numpy(dtype=float)

