"""Discounted customer lifetime value (折现的客户终生价值) of each customer.

:func:`discounted_clv` combines a fitted purchases model (BG/NBD or
Pareto/NBD) with a fitted spend model (Gamma–Gamma): expected purchases step
by step over a horizon, valued at the expected spend and discounted at a
yearly rate.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from crmlab.clv._arguments import DAYS_PER_YEAR, checked_rate
from crmlab.clv.models import BGNBD, GammaGamma, ParetoNBD
from crmlab.validation import TIME_UNITS, CrmlabInputError

__all__ = ["discounted_clv"]


def discounted_clv(summary: pd.DataFrame, *, purchases_model, spend_model: GammaGamma, horizon,
                   annual_discount_rate: float, margin: float = 1.0, steps_per_year: int = 12) -> pd.DataFrame:
    """Discounted customer lifetime value (折现的客户终生价值) of each customer over a horizon.

    ``CLV = margin x expected spend x sum_k E[purchases in step k] / (1 + d) ** (years to end of step k)``:
    the horizon is cut into steps (months by default), each step's expected
    purchases (conditional on the customer's history) are valued at the
    expected spend and discounted from the end of the step.

    Parameters
    ----------
    summary : DataFrame
        From :func:`~crmlab.clv.summary`, in the unit the models were fitted in.
    purchases_model : BGNBD or ParetoNBD
        Fitted model of the number of purchases.
    spend_model : GammaGamma
        Fitted model of spend per purchase.
    horizon : float
        Length of the forecast, in the models' time unit (e.g. 156 weeks = 3 years).
    annual_discount_rate : float
        Discount rate per year (e.g. 0.10); converted to the time unit with
        365.25 days a year.
    margin : float, default 1
        Share of spend that is profit (毛利率); 1 gives discounted revenue.
    steps_per_year : int, default 12
        Steps of the discounting grid per year.

    Returns
    -------
    DataFrame
        Indexed by customer: ``probability_alive``, ``expected_purchases``
        (over the horizon, not discounted), ``expected_spend`` (per purchase)
        and ``clv`` (discounted margin). ``attrs`` records the horizon, unit,
        rate and margin.

    Examples
    --------
    >>> from crmlab.clv import BGNBD, GammaGamma, summary
    >>> from crmlab.datasets.cdnow import load_cdnow
    >>> s = summary(load_cdnow("sample"), time_col="date", amount_col="amount", calibration_end="1997-09-30",
    ...             verbose=False)
    >>> bg, gg = BGNBD().fit(s), GammaGamma().fit(s, verbose=False)
    >>> v = discounted_clv(s, purchases_model=bg, spend_model=gg, horizon=52, annual_discount_rate=0.1)
    >>> list(v.columns)
    ['probability_alive', 'expected_purchases', 'expected_spend', 'clv']
    """
    if not isinstance(purchases_model, (BGNBD, ParetoNBD)):
        raise CrmlabInputError("purchases_model must be a fitted BGNBD or ParetoNBD.")
    if not isinstance(spend_model, GammaGamma):
        raise CrmlabInputError("spend_model must be a fitted GammaGamma.")
    horizon = float(checked_rate(horizon, name="horizon", low=0.0, low_open=True))
    d = float(checked_rate(annual_discount_rate, name="annual_discount_rate", low=0.0))
    margin = float(checked_rate(margin, name="margin", low=0.0, high=1.0))
    if not float(steps_per_year).is_integer() or steps_per_year < 1:
        raise CrmlabInputError(f"steps_per_year must be a whole number >= 1; got {steps_per_year!r}.")
    # The models' own methods check that they are fitted and that the summary is in their time unit.
    alive = purchases_model.probability_alive(summary)
    spend = spend_model.expected_spend(summary).to_numpy()
    unit = purchases_model.time_unit_
    units_per_year = DAYS_PER_YEAR / TIME_UNITS[unit]
    step = units_per_year / steps_per_year
    ends = np.append(np.arange(step, horizon, step), horizon)
    total, cum_prev = np.zeros(len(alive)), np.zeros(len(alive))
    for end in ends:  # a few dozen steps of the horizon; each is vectorised over customers
        cum = purchases_model.expected_purchases(end, summary).to_numpy()
        total += (cum - cum_prev) / (1 + d) ** (end / units_per_year)
        cum_prev = cum
    out = pd.DataFrame({
        "probability_alive": alive.to_numpy(),
        "expected_purchases": cum_prev,
        "expected_spend": spend,
        "clv": margin * spend * total,
    }, index=alive.index)
    out.attrs.update(horizon=horizon, time_unit=unit, annual_discount_rate=d, margin=margin)
    return out
