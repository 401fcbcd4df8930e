"""Checks of the numeric arguments shared by the CLV modules (参数检查)."""
from __future__ import annotations

import numpy as np

from crmlab.validation import CrmlabInputError

#: Days in a year for yearly rates: the mean calendar year.
DAYS_PER_YEAR = 365.25


def checked_rate(value, *, name: str, low: float, high: float | None = None, low_open: bool = False):
    """A rate argument as a float array within bounds, with a message that names it."""
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        arr = np.array(np.nan)
    if np.isnan(arr).any():
        raise CrmlabInputError(f"{name} must be a number, not {value!r}.")
    too_low = arr <= low if low_open else arr < low
    if too_low.any() or (high is not None and (arr > high).any()):
        where = f"{'>' if low_open else '>='} {low}" + (f" and <= {high}" if high is not None else "")
        raise CrmlabInputError(f"{name} must be {where}; got {value!r}. Rates are fractions: 10 % is 0.10.")
    return arr


def scalar(arr):
    """A 0-d result as a Python number, anything else unchanged."""
    return arr.item() if np.ndim(arr) == 0 else arr
