"""Confidence intervals for shares and differences of shares (置信区间), shared by the
chapter 5-6 modules so that every rate in the kit carries the same kind of interval."""
from __future__ import annotations

import numpy as np

from crmlab.validation import CrmlabInputError


def z_value(confidence: float) -> float:
    """The two-sided normal quantile for ``confidence`` (1.96 for 0.95); refuses values outside (0, 1)."""
    from scipy.stats import norm

    try:
        level = float(confidence)
    except (TypeError, ValueError):
        level = np.nan
    if not 0 < level < 1:
        raise CrmlabInputError(f"confidence={confidence!r} must be a share between 0 and 1, e.g. 0.95 for 95 %.")
    return float(norm.ppf(0.5 + level / 2))


def wilson_interval(successes, trials, *, confidence: float = 0.95):
    """Wilson score interval of a share (比例的置信区间): ``(low, high)`` arrays.

    Better than the textbook ``p ± z·sqrt(p(1-p)/n)`` for small groups and
    shares near 0 or 1 (it never leaves [0, 1]); NaN where ``trials`` is 0.
    """
    z = z_value(confidence)
    k = np.asarray(successes, dtype=float)
    n = np.asarray(trials, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = k / n
        centre = (p + z * z / (2 * n)) / (1 + z * z / n)
        half = z / (1 + z * z / n) * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return centre - half, centre + half


def difference_of_shares(x1, n1, x0, n0, *, confidence: float = 0.95):
    """Difference of two shares ``x1/n1 - x0/n0`` with Newcombe's interval and a two-sided z-test.

    The interval is Newcombe's hybrid score interval (Newcombe 1998, method 10), built from the
    Wilson intervals of the two shares: ``low = d - sqrt((p1 - l1)**2 + (u0 - p0)**2)``,
    ``high = d + sqrt((u1 - p1)**2 + (p0 - l0)**2)``. For large groups it equals the textbook
    ``d ± z·sqrt(p1(1-p1)/n1 + p0(1-p0)/n0)``; unlike that one it stays honest for small groups
    and for shares of 0 or 1 (no zero-width interval when nobody responded). The test of "no
    difference" uses the pooled share (the classic two-proportion z-test, the same as a chi-square
    test of the 2 x 2 table without continuity correction).
    Returns ``(difference, low, high, p_value)`` as arrays.
    """
    from scipy.stats import norm

    z_value(confidence)
    x1, n1, x0, n0 = (np.asarray(v, dtype=float) for v in (x1, n1, x0, n0))
    l1, u1 = wilson_interval(x1, n1, confidence=confidence)
    l0, u0 = wilson_interval(x0, n0, confidence=confidence)
    with np.errstate(invalid="ignore", divide="ignore"):
        p1, p0 = x1 / n1, x0 / n0
        diff = p1 - p0
        low = diff - np.sqrt((p1 - l1) ** 2 + (u0 - p0) ** 2)
        high = diff + np.sqrt((u1 - p1) ** 2 + (p0 - l0) ** 2)
        pooled = (x1 + x0) / (n1 + n0)
        se0 = np.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n0))
        p_value = np.where(se0 > 0, 2 * norm.sf(np.abs(diff) / se0), 1.0)
    return diff, low, high, p_value
