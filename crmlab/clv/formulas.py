"""The textbook CLV formulas (公式法): historical value, retention-based CLV, PVIFA and group CLV.

- :func:`historical_value` (历史价值): what each customer has already
  brought, compounded to the analysis date;
- :func:`retention_clv` (客户终生价值公式): a margin per period kept with a
  retention rate (保留率) and discounted at a discount rate (贴现率);
- :func:`pvifa` (年金现值系数) and :func:`group_clv` (客户群体终生价值): a
  group's net contribution per period times the annuity factor PVIFA(i, n).

Discount rates are per period here, the period of the margin or revenue given.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from crmlab.clv._arguments import DAYS_PER_YEAR, checked_rate, scalar
from crmlab.validation import (CrmlabInputError, as_date, datetime_column, describe_rows, in_window, report_set_aside,
                               require_columns, require_nonempty, require_option, shown)

__all__ = ["historical_value", "retention_clv", "pvifa", "group_clv"]


def historical_value(transactions: pd.DataFrame, *, as_of, customer_col: str = "customer_id",
                     time_col: str = "order_ts", amount_col: str = "margin", annual_rate: float = 0.0,
                     verbose: bool = True) -> pd.DataFrame:
    """Historical value (历史价值) of each customer: past amounts compounded to ``as_of``.

    A yuan earned three years ago is worth more than a yuan earned today
    (it could have been invested), so each amount is compounded at
    ``annual_rate`` per year to the analysis date:
    ``sum(amount * (1 + annual_rate) ** (days before as_of / 365.25))``.

    ``as_of`` is the day after the last day analysed, as everywhere in the kit
    (for data to 31 December: the next 1 January); a purchase on the day before
    it is compounded for one day.

    Parameters
    ----------
    transactions : DataFrame
        One row per purchase, e.g. from :func:`crmlab.transactions.purchases`.
    as_of : str or Timestamp
        Analysis date (分析日期), exclusive: purchases on or after it are set aside and counted.
    customer_col, time_col, amount_col : str
        Column names of the customer id, the purchase time and the amount
        (CNY; ``margin`` for profit-based value, ``revenue`` for sales). A
        negative amount (a loss-making order) is allowed here.
    annual_rate : float, default 0
        Yearly rate at which past amounts are compounded (0: plain sum).
    verbose : bool, default True
        Print one line about the rows set aside (also in ``result.attrs["set_aside"]``).

    Returns
    -------
    DataFrame
        Indexed by customer id: ``n_purchases``, ``total_amount`` (plain sum)
        and ``historical_value`` (compounded to ``as_of``).

    Examples
    --------
    >>> tx = pd.DataFrame({"customer_id": ["A", "A"], "order_ts": pd.to_datetime(["2023-12-31", "2024-12-30"]),
    ...                    "margin": [100.0, 50.0]})
    >>> historical_value(tx, as_of="2024-12-31", annual_rate=0.10).round()  # doctest: +NORMALIZE_WHITESPACE
                 n_purchases  total_amount  historical_value
    customer_id
    A                      2         150.0             160.0
    """
    require_columns(transactions.columns, [customer_col, time_col, amount_col], table="transactions")
    require_nonempty(transactions, table="transactions")
    as_of = as_date(as_of, name="as_of")
    rate = float(checked_rate(annual_rate, name="annual_rate", low=-1.0, low_open=True))
    ts = datetime_column(transactions[time_col], column=time_col, table="transactions", allow_missing=True)
    amount = pd.to_numeric(transactions[amount_col], errors="coerce")
    if amount.isna().any():
        bad = amount.isna()
        raise CrmlabInputError(
            f"transactions: column '{amount_col}' must hold numbers; it does not in "
            f"{describe_rows(transactions.index[bad])}, e.g. {shown(transactions[amount_col][bad].iloc[0])}.")
    keep, set_aside = in_window(ts, transactions[customer_col], end=as_of)
    days = (as_of - ts[keep].dt.normalize()).dt.days.to_numpy()
    frame = pd.DataFrame({
        customer_col: transactions.loc[keep, customer_col].to_numpy(),
        "amount": amount[keep].to_numpy(),
        "value": amount[keep].to_numpy() * (1.0 + rate) ** (days / DAYS_PER_YEAR),
    })
    out = frame.groupby(customer_col, sort=True).agg(
        n_purchases=("amount", "size"), total_amount=("amount", "sum"), historical_value=("value", "sum"))
    if out.empty:
        raise CrmlabInputError(f"transactions: no purchase before as_of={as_of:%Y-%m-%d}; "
                               "choose a later analysis date.")
    return report_set_aside(out, set_aside, what="historical_value", verbose=verbose)


def retention_clv(margin, *, retention_rate, discount_rate, periods=None, first_margin: str = "now"):
    """Customer lifetime value from a margin, a retention rate and a discount rate (客户终生价值公式).

    A customer brings ``margin`` per period for as long as the relationship
    lasts; each period the customer stays with probability ``retention_rate``
    (保留率); money in period t is worth ``1 / (1 + discount_rate) ** t``
    today (贴现率). All three are per the same period (e.g. per year).

    - ``first_margin="now"``: the first margin is earned today, for sure:
      ``CLV = sum_{t=0}^{n-1} m r^t / (1+d)^t``; for ever (``periods=None``)
      ``m (1+d) / (1+d-r)``.
    - ``first_margin="end"``: margins are earned at the end of each period by
      the customers retained through it:
      ``CLV = sum_{t=1}^{n} m r^t / (1+d)^t``; for ever ``m r / (1+d-r)``.

    Parameters
    ----------
    margin : float or array
        Margin per period (CNY per period).
    retention_rate : float or array
        Share of customers who stay from one period to the next, 0-1.
    discount_rate : float or array
        Discount rate per period (e.g. 0.10 for 10 % a year), >= 0.
    periods : int, optional
        Number of periods n (horizon, 期数); None means for ever.
    first_margin : {"now", "end"}, default "now"
        When the first margin is earned (see above).

    Returns
    -------
    float or ndarray
        CLV in the unit of ``margin`` (arrays broadcast).

    Examples
    --------
    >>> round(retention_clv(100, retention_rate=0.8, discount_rate=0.1, periods=3), 2)
    225.62
    >>> round(retention_clv(100, retention_rate=0.8, discount_rate=0.1), 2)   # 100 * 1.1 / 0.3
    366.67
    """
    require_option(first_margin, ("now", "end"), name="first_margin",
                   fix="'now': the first margin today; 'end': margins at the end of each period.")
    m = checked_rate(margin, name="margin", low=-np.inf)
    r = checked_rate(retention_rate, name="retention_rate", low=0.0, high=1.0)
    d = checked_rate(discount_rate, name="discount_rate", low=0.0)
    ratio = r / (1.0 + d)  # survival-and-discount factor per period
    if periods is None:
        if (ratio >= 1).any():
            raise CrmlabInputError("with retention_rate 1 and discount_rate 0 a customer is worth an infinite "
                                   "amount; give a finite horizon (periods=...) or a discount rate > 0.")
        total = 1.0 / (1.0 - ratio)  # sum_{t>=0} ratio^t
    else:
        n = _periods(periods)
        # sum_{t=0}^{n-1} ratio^t, with the limit n when ratio = 1
        total = np.where(ratio == 1, float(n), (1.0 - ratio ** n) / np.where(ratio == 1, 0.5, 1.0 - ratio))
    value = m * total * (ratio if first_margin == "end" else 1.0)
    return scalar(value)


def _periods(periods) -> int:
    if isinstance(periods, (bool, np.bool_)) or not float(periods).is_integer() or periods < 1:
        raise CrmlabInputError(f"periods must be a whole number of periods >= 1 (or None for ever); got {periods!r}.")
    return int(periods)


def pvifa(rate, periods):
    """Present value interest factor of an annuity, PVIFA(i, n) (年金现值系数).

    The value today of 1 paid at the end of each of ``n`` periods, discounted
    at ``rate`` per period: ``(1 - (1 + i) ** -n) / i``, and ``n`` when i = 0.

    Parameters
    ----------
    rate : float or array
        Discount rate i per period (e.g. 0.08 a year), > -1.
    periods : int
        Number of periods n (e.g. years).

    Returns
    -------
    float or ndarray

    Examples
    --------
    >>> round(pvifa(0.10, 3), 4)     # 1/1.1 + 1/1.1**2 + 1/1.1**3
    2.4869
    >>> pvifa(0.0, 5)
    5.0
    """
    i = checked_rate(rate, name="rate", low=-1.0, low_open=True)
    n = _periods(periods)
    safe = np.where(i == 0, 1.0, i)
    return scalar(np.where(i == 0, float(n), -np.expm1(-n * np.log1p(i)) / safe))


def group_clv(revenue_per_period, cost_per_period, *, discount_rate, periods):
    """Lifetime value of a customer group (客户群体终生价值): ``(Q - C) * PVIFA(i, n)``.

    The textbook's formula for a group that brings revenue Q and costs C in
    each of n periods (e.g. years), discounted at i per period.

    Parameters
    ----------
    revenue_per_period : float or array
        Q, revenue from the group per period (CNY per period).
    cost_per_period : float or array
        C, cost of serving, communicating with and producing for the group per period.
    discount_rate : float
        i, per period.
    periods : int
        n, number of periods.

    Returns
    -------
    float or ndarray

    Examples
    --------
    >>> round(group_clv(1_000_000, 600_000, discount_rate=0.10, periods=3))
    994741
    """
    q = checked_rate(revenue_per_period, name="revenue_per_period", low=-np.inf)
    c = checked_rate(cost_per_period, name="cost_per_period", low=-np.inf)
    return scalar((q - c) * pvifa(discount_rate, periods))

