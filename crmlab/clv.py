"""Customer lifetime value (客户终生价值, CLV): formulas and probabilistic models.

Three ways to put a number on a customer, from the textbook to the research
literature:

1. **Historical value** (历史价值): what the customer has already brought,
   compounded to today (:func:`historical_value`).
2. **Formula CLV** (公式法): a margin per period kept with a retention rate
   (保留率) and discounted at a discount rate (贴现率), for one customer
   (:func:`retention_clv`), or a group's yearly net contribution times the
   annuity present-value factor PVIFA(i, n) (年金现值系数, :func:`pvifa`,
   :func:`group_clv`).
3. **Probabilistic models** ("buy till you die"): from each customer's
   repeat purchases x, recency t_x and age T (:func:`summary`), the BG/NBD
   (:class:`BGNBD`) and Pareto/NBD (:class:`ParetoNBD`) models predict future
   purchases and the probability that the customer is still active (客户存活
   概率); the Gamma–Gamma model (:class:`GammaGamma`) predicts spend per
   purchase; :func:`discounted_clv` combines them into a discounted CLV per
   customer.

Time units are explicit everywhere: a summary carries its unit in its column
names (``recency_weeks``, ``T_weeks``), a fitted model's rates are per that
unit (``model.time_unit_``), and discount rates are per period (formulas) or
per year (:func:`discounted_clv`).

References: Fader, Hardie & Lee (2005a), "Counting your customers" the easy
way, *Marketing Science* 24(2) (BG/NBD); Schmittlein, Morrison & Colombo
(1987), *Management Science* 33(1) (Pareto/NBD); Fader, Hardie & Lee (2005b),
RFM and CLV: using iso-value curves, *Journal of Marketing Research* 42(4)
(Gamma–Gamma); Fader & Hardie (2005), A note on deriving the Pareto/NBD model
and related expressions.

Examples
--------
>>> from crmlab.datasets.cdnow import load_cdnow
>>> s = summary(load_cdnow("sample"), time_col="date", amount_col="amount",
...             calibration_end="1997-09-30", observation_end="1998-06-30")
>>> bg = BGNBD().fit(s)
>>> bg.params_.round(3).to_dict()
{'r': 0.243, 'alpha': 4.414, 'a': 0.793, 'b': 2.426}
"""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from crmlab.validation import (CrmlabInputError, amount_column, as_date, datetime_column, describe_rows,
                               report_set_aside, require_columns, require_nonempty)

__all__ = [
    "TIME_UNITS", "historical_value", "retention_clv", "pvifa", "group_clv", "summary",
    "BGNBD", "ParetoNBD", "GammaGamma", "discounted_clv",
]

#: Time units a summary can be expressed in, and their length in days.
TIME_UNITS = {"days": 1.0, "weeks": 7.0}
DAYS_PER_YEAR = 365.25


# ------------------------------------------------------------------ input checks

def _time_unit(time_unit: str) -> float:
    if time_unit not in TIME_UNITS:
        raise CrmlabInputError(f"time_unit={time_unit!r} is not supported; use one of {list(TIME_UNITS)}.")
    return TIME_UNITS[time_unit]


def _rate(value, *, name: str, low: float, high: float | None = None, low_open: bool = False):
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


def _scalar(arr):
    return arr.item() if np.ndim(arr) == 0 else arr


# ------------------------------------------------------------------ textbook formulas

def historical_value(transactions: pd.DataFrame, *, as_of, customer_col: str = "customer_id",
                     time_col: str = "order_ts", amount_col: str = "margin", annual_rate: float = 0.0,
                     verbose: bool = True) -> pd.DataFrame:
    """Historical value (历史价值) of each customer: past amounts compounded to ``as_of``.

    A yuan earned three years ago is worth more than a yuan earned today
    (it could have been invested), so each amount is compounded at
    ``annual_rate`` per year to the analysis date:
    ``sum(amount * (1 + annual_rate) ** (days before as_of / 365.25))``.

    Parameters
    ----------
    transactions : DataFrame
        One row per purchase, e.g. from :func:`crmlab.transactions.purchases`.
    as_of : str or Timestamp
        Analysis date (分析日期). Purchases after this day are set aside and counted.
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
    >>> historical_value(tx, as_of="2024-12-30", annual_rate=0.10).round()  # doctest: +NORMALIZE_WHITESPACE
                 n_purchases  total_amount  historical_value
    customer_id
    A                      2         150.0             160.0
    """
    require_columns(transactions.columns, [customer_col, time_col, amount_col], table="transactions")
    require_nonempty(transactions, table="transactions")
    as_of = as_date(as_of, name="as_of")
    rate = float(_rate(annual_rate, name="annual_rate", low=-1.0, low_open=True))
    ts = datetime_column(transactions[time_col], column=time_col, table="transactions", allow_missing=True)
    amount = pd.to_numeric(transactions[amount_col], errors="coerce")
    if amount.isna().any():
        bad = amount.isna()
        raise CrmlabInputError(
            f"transactions: column '{amount_col}' must hold numbers; it does not in "
            f"{describe_rows(transactions.index[bad])}, e.g. {transactions[amount_col][bad].iloc[0]!r}.")
    no_id = transactions[customer_col].isna()
    no_time = ts.isna()
    late = ts.dt.normalize() > as_of
    keep = ~(no_id | no_time | late)
    days = (as_of - ts[keep].dt.normalize()).dt.days.to_numpy()
    frame = pd.DataFrame({
        customer_col: transactions.loc[keep, customer_col].to_numpy(),
        "amount": amount[keep].to_numpy(),
        "value": amount[keep].to_numpy() * (1.0 + rate) ** (days / DAYS_PER_YEAR),
    })
    out = frame.groupby(customer_col, sort=True).agg(
        n_purchases=("amount", "size"), total_amount=("amount", "sum"), historical_value=("value", "sum"))
    if out.empty:
        raise CrmlabInputError(f"transactions: no purchase on or before as_of={as_of:%Y-%m-%d}; "
                               "choose a later analysis date.")
    return report_set_aside(out, {
        "rows without a customer id": (no_id & ~no_time).sum(),
        "rows without a time": no_time.sum(),
        f"purchases after {as_of:%Y-%m-%d}": (late & ~no_id).sum(),
    }, what="historical_value", verbose=verbose)


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
    if first_margin not in ("now", "end"):
        raise CrmlabInputError(f"first_margin={first_margin!r}; use 'now' (first margin today) or 'end' "
                               "(margins at the end of each period).")
    m = _rate(margin, name="margin", low=-np.inf)
    r = _rate(retention_rate, name="retention_rate", low=0.0, high=1.0)
    d = _rate(discount_rate, name="discount_rate", low=0.0)
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
    return _scalar(value)


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
    i = _rate(rate, name="rate", low=-1.0, low_open=True)
    n = _periods(periods)
    safe = np.where(i == 0, 1.0, i)
    return _scalar(np.where(i == 0, float(n), -np.expm1(-n * np.log1p(i)) / safe))


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
    q = _rate(revenue_per_period, name="revenue_per_period", low=-np.inf)
    c = _rate(cost_per_period, name="cost_per_period", low=-np.inf)
    return _scalar((q - c) * pvifa(discount_rate, periods))


# ------------------------------------------------------------------ transaction log -> summary

def summary(transactions: pd.DataFrame, *, calibration_end, observation_end=None,
            customer_col: str = "customer_id", time_col: str = "order_ts", amount_col: str = "revenue",
            time_unit: str = "weeks", verbose: bool = True) -> pd.DataFrame:
    """Frequency, recency, age and mean spend of each customer (频度、近度、客户年龄、平均消费).

    The input of :class:`BGNBD`, :class:`ParetoNBD` and :class:`GammaGamma`.
    Rules, as in the CLV literature (Fader, Hardie & Lee 2005):

    - **Same-day purchases are merged**: all purchases of one customer on one
      calendar day are one transaction (交易) whose amount is their sum
      (``attrs["merged_same_day"]`` counts the rows merged).
    - Times are measured between calendar days from the customer's first
      purchase (首次购买): ``recency`` t_x to the last purchase in the
      calibration period, ``T`` to ``calibration_end``; a purchase on
      ``calibration_end`` itself has t_x = T.
    - ``frequency`` x counts **repeat** transactions (重复购买), after the
      first one, in the calibration period (校准期): up to and including
      ``calibration_end``.
    - The holdout period (验证期) runs from the day after ``calibration_end``
      to ``observation_end`` inclusive.

    Parameters
    ----------
    transactions : DataFrame
        One row per purchase. For the sample company use
        :func:`crmlab.transactions.purchases` (its rule for returns and
        cancellations applies); CDNOW works as loaded
        (``time_col="date", amount_col="amount"``).
    calibration_end : str or Timestamp
        Last day of the calibration period, the same for every customer.
    observation_end : str or Timestamp, optional
        Last day of the holdout period; when given, the holdout columns are added.
    customer_col, time_col, amount_col : str
        Column names of the customer id, the purchase time (datetime, or
        text as ``YYYY-MM-DD [HH:MM:SS]``) and the amount (a number >= 0).
    time_unit : {"weeks", "days"}, default "weeks"
        Unit of the time columns, carried in their names.
    verbose : bool, default True
        Print one line about rows set aside (also in ``result.attrs["set_aside"]``):
        rows without id or time, transactions after the last day analysed, and
        customers whose first purchase is after ``calibration_end``.

    Returns
    -------
    DataFrame
        Indexed by customer id (named as ``customer_col``), sorted, columns

        - ``first_purchase``: day of the first purchase;
        - ``frequency``: x, repeat transactions in the calibration period;
        - ``recency_<unit>``: t_x, first to last transaction (0 if x = 0);
        - ``T_<unit>``: T, first transaction to ``calibration_end``;
        - ``monetary_value``: mean amount of the repeat transactions
          (平均重复消费额; NaN if x = 0; the first purchase is left out, as
          the Gamma–Gamma model asks);
        - with ``observation_end``: ``frequency_holdout`` (transactions in the
          holdout period) and ``duration_holdout_<unit>`` (its length).

        ``attrs`` holds ``time_unit``, ``calibration_end``, ``observation_end``,
        ``merged_same_day`` and ``set_aside``.

    Examples
    --------
    >>> from crmlab.datasets.cdnow import load_cdnow
    >>> s = summary(load_cdnow("sample"), time_col="date", amount_col="amount", calibration_end="1997-09-30")
    summary: set aside 1 959 transactions after 1997-09-30
    >>> s[["frequency", "recency_weeks", "T_weeks"]].head(2).round(2)  # doctest: +NORMALIZE_WHITESPACE
                 frequency  recency_weeks  T_weeks
    customer_id
    4                    2          30.43    38.86
    18                   0           0.00    38.43
    """
    require_columns(transactions.columns, [customer_col, time_col, amount_col], table="transactions")
    require_nonempty(transactions, table="transactions")
    unit_days = _time_unit(time_unit)
    cal_end = as_date(calibration_end, name="calibration_end")
    obs_end = None if observation_end is None else as_date(observation_end, name="observation_end")
    if obs_end is not None and obs_end <= cal_end:
        raise CrmlabInputError(f"observation_end ({obs_end:%Y-%m-%d}) must be after calibration_end "
                               f"({cal_end:%Y-%m-%d}); the holdout period follows the calibration period.")
    last_day = cal_end if obs_end is None else obs_end
    ts = datetime_column(transactions[time_col], column=time_col, table="transactions", allow_missing=True)
    amount = amount_column(transactions[amount_col], column=amount_col, table="transactions").to_numpy()

    no_id = transactions[customer_col].isna().to_numpy()
    no_time = ts.isna().to_numpy() & ~no_id
    day = ts.dt.normalize()
    late = (day > last_day).to_numpy() & ~no_id & ~no_time
    keep = ~(no_id | no_time | late)
    log = pd.DataFrame({"customer": transactions[customer_col].to_numpy()[keep],
                        "day": day.to_numpy()[keep], "amount": amount[keep]})
    daily = log.groupby(["customer", "day"], sort=True)["amount"].sum().reset_index()
    merged = int(keep.sum()) - len(daily)

    first_day = daily.groupby("customer", sort=False)["day"].transform("min")
    newcomer = (first_day > cal_end).to_numpy()
    in_cal = (daily["day"] <= cal_end).to_numpy() & ~newcomer
    cal = daily[in_cal]
    if cal.empty:
        raise CrmlabInputError(f"transactions: no customer bought on or before calibration_end="
                               f"{cal_end:%Y-%m-%d}; choose a later calibration_end.")
    g = cal.groupby("customer", sort=True)
    first = g["day"].min()
    n = g.size()
    first_amount = g["amount"].first()  # rows are sorted by day within a customer
    x = (n - 1).astype("int64")
    repeat_sum = g["amount"].sum() - first_amount
    unit = pd.Timedelta(days=unit_days)
    out = pd.DataFrame({
        "first_purchase": first,
        "frequency": x,
        f"recency_{time_unit}": (g["day"].max() - first) / unit,
        f"T_{time_unit}": (cal_end - first) / unit,
        "monetary_value": (repeat_sum / x.where(x > 0)).astype(float),
    })
    out.index.name = customer_col
    if obs_end is not None:
        hold = daily[(daily["day"] > cal_end).to_numpy() & ~newcomer]
        out["frequency_holdout"] = hold.groupby("customer").size().reindex(out.index, fill_value=0).astype("int64")
        out[f"duration_holdout_{time_unit}"] = (obs_end - cal_end) / unit
    out.attrs.update(time_unit=time_unit, calibration_end=cal_end, observation_end=obs_end,
                     merged_same_day=merged)
    return report_set_aside(out, {
        "rows without a customer id": no_id.sum(),
        "rows without a time": no_time.sum(),
        f"transactions after {last_day:%Y-%m-%d}": late.sum(),
        f"customers whose first purchase is after {cal_end:%Y-%m-%d}":
            daily.loc[newcomer, "customer"].nunique(),
    }, what="summary", verbose=verbose)


def _summary_unit(frame: pd.DataFrame) -> str:
    """The time unit of a summary, read from its column names (T_weeks -> 'weeks')."""
    units = [u for u in TIME_UNITS if f"T_{u}" in frame.columns]
    if len(units) > 1:
        raise CrmlabInputError(f"summary has time columns in several units ({', '.join('T_' + u for u in units)}); "
                               "keep one unit.")
    if not units:
        if "T" in frame.columns or "recency" in frame.columns:
            raise CrmlabInputError("summary: the time columns must say their unit; rename 'recency' and 'T' to "
                                   "e.g. 'recency_weeks' and 'T_weeks' (or make the summary with crmlab.clv.summary).")
        # T_weeks is absent, so this raises, suggesting the closest column names
        require_columns(frame.columns, ["frequency", "recency_weeks", "T_weeks"], table="summary")
    return units[0]


def _rft(frame: pd.DataFrame, *, unit: str | None = None):
    """Check a summary and return (index, x, t_x, T) as float arrays, in ``unit``."""
    if not isinstance(frame, pd.DataFrame):
        raise CrmlabInputError("expected a summary DataFrame from crmlab.clv.summary(...), "
                               f"got {type(frame).__name__}.")
    found = _summary_unit(frame)
    if unit is not None and found != unit:
        raise CrmlabInputError(f"the model was fitted in {unit} but this summary is in {found}; "
                               f"make the summary with time_unit='{unit}'.")
    cols = ["frequency", f"recency_{found}", f"T_{found}"]
    require_columns(frame.columns, cols, table="summary")
    require_nonempty(frame, table="summary")
    arrays = []
    for col in cols:
        values = pd.to_numeric(frame[col], errors="coerce")
        bad = values.isna() | (values < 0) | ~np.isfinite(values.fillna(0))
        if bad.any():
            raise CrmlabInputError(f"summary: column '{col}' must be a number >= 0; it is not in "
                                   f"{describe_rows(frame.index[bad])}, e.g. {frame[col][bad].iloc[0]!r}.")
        arrays.append(values.to_numpy(dtype=float))
    x, tx, T = arrays
    checks = [
        (x % 1 != 0, "frequency is not a whole number", "count repeat purchases, not amounts"),
        (tx > T + 1e-9, f"recency_{found} is greater than T_{found}",
         "the last purchase cannot come after the end of the calibration period; rebuild the summary"),
        ((x == 0) & (tx > 0), f"frequency is 0 but recency_{found} > 0",
         "recency is 0 for customers without repeat purchases"),
    ]
    for bad, what, fix in checks:
        if bad.any():
            raise CrmlabInputError(f"summary: {what} in {describe_rows(frame.index[bad])}; {fix}.")
    return frame.index, x, tx, T


# ------------------------------------------------------------------ model machinery

class _Column:
    """A data column held as its distinct values and, per row, which one it is.

    Summaries built from calendar days have few distinct frequencies and
    times, so a function of one column (gammaln(r + x), log(α + T), ...) is
    computed once per distinct value and gathered: the likelihood of a
    million customers costs little more than that of a few thousand.
    """

    def __init__(self, values):
        self.values, self.rows = np.unique(values, return_inverse=True)

    def apply(self, f):
        return f(self.values)[self.rows]


def _per_value(column, f):
    """``f(column)``, computed once per distinct value when ``column`` is a :class:`_Column`."""
    return column.apply(f) if isinstance(column, _Column) else f(column)


def _maximise(loglik, data, weights, start, *, names, gradient: bool):
    """Maximum likelihood over log-parameters (so every parameter stays > 0).

    ``loglik(params, *data[, grad=True])`` returns the log-likelihood of each
    row (and, with ``gradient``, its k x n gradient); ``weights`` counts how
    many customers each row stands for. Returns (params, total LL, standard errors).
    """
    from scipy.optimize import minimize

    from crmlab._threads import one_blas_thread

    n = weights.sum()

    def total(theta, grad=False):
        p = np.exp(theta)
        with np.errstate(all="ignore"):
            if not grad:
                return float(weights @ loglik(p, *data))
            ll, g = loglik(p, *data, grad=True)
        return float(weights @ ll), (g @ weights) * p  # chain rule to log-parameters

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
                      RuntimeWarning, stacklevel=3)
    with np.errstate(invalid="ignore"):
        try:
            se_log = np.sqrt(np.diag(np.linalg.inv(-hess)))
        except np.linalg.LinAlgError:
            se_log = np.full(len(res.x), np.nan)
    if not np.all(np.isfinite(se_log)):
        warnings.warn("the Hessian of the log-likelihood is not negative definite at the estimate; "
                      "standard errors are not available (NaN).", RuntimeWarning, stacklevel=3)
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


def _compress(x, tx, T):
    """Distinct (x, t_x, T) rows and how many customers share each: identical customers
    have identical likelihoods (summaries built from calendar days repeat a lot)."""
    counts = pd.DataFrame({"x": x, "tx": tx, "T": T}).groupby(["x", "tx", "T"], sort=False).size()
    rows = counts.index.to_frame(index=False)
    return rows["x"].to_numpy(), rows["tx"].to_numpy(), rows["T"].to_numpy(), counts.to_numpy(dtype=float)


def _table(params: pd.Series, se: pd.Series) -> pd.DataFrame:
    return pd.DataFrame({"estimate": params, "std_error": se})


class _CountModel:
    """Shared fit/predict machinery of the BG/NBD and Pareto/NBD models."""

    _names: tuple[str, ...] = ()
    _gradient = False  # whether _loglik can return its gradient (grad=True)

    def __init__(self):
        self.params_ = None

    def _check_fitted(self):
        if self.params_ is None:
            raise CrmlabInputError(f"this {type(self).__name__} is not fitted yet; call .fit(summary) first.")

    def fit(self, summary: pd.DataFrame):
        """Estimate the parameters by maximum likelihood (最大似然估计).

        Parameters
        ----------
        summary : DataFrame
            From :func:`summary`: columns ``frequency``, ``recency_<unit>``,
            ``T_<unit>``; one row per customer.

        Returns
        -------
        self
            With ``params_`` (Series), ``standard_errors_`` (from the Hessian
            of the log-likelihood), ``log_likelihood_`` (total), ``aic_``
            (= 2k - 2 LL), ``n_customers_`` and ``time_unit_`` (rates are per
            this unit).
        """
        unit = _summary_unit(summary) if isinstance(summary, pd.DataFrame) else None
        index, x, tx, T = _rft(summary)
        if len(x) < 10 or (x > 0).sum() < 2:
            raise CrmlabInputError(
                f"too little data to fit: {len(x)} customers, {(x > 0).sum()} with repeat purchases. "
                "The model needs many customers (hundreds) and some who bought again.")
        ux, utx, uT, w = _compress(x, tx, T)
        data = (_Column(ux), _Column(utx), _Column(uT)) if self._gradient else (ux, utx, uT)
        rate = max(x.mean(), 1e-3) / max(T.mean(), 1e-3)
        self.params_, self.log_likelihood_, self.standard_errors_ = _maximise(
            self._loglik, data, w, self._start(rate, T.mean()), names=list(self._names), gradient=self._gradient)
        self.aic_ = 2 * len(self.params_) - 2 * self.log_likelihood_
        self.n_customers_ = len(x)
        self.time_unit_ = unit
        self._fitted = (index, x, tx, T)
        return self

    @property
    def estimates_(self) -> pd.DataFrame:
        """Estimates and standard errors as one table."""
        self._check_fitted()
        return _table(self.params_, self.standard_errors_)

    def _data(self, summary):
        self._check_fitted()
        if summary is None:
            return self._fitted
        return _rft(summary, unit=self.time_unit_)

    def loglik(self, summary: pd.DataFrame | None = None) -> pd.Series:
        """Log-likelihood of each customer's history at the fitted parameters."""
        index, x, tx, T = self._data(summary)
        return pd.Series(self._loglik(self.params_.to_numpy(), x, tx, T), index=index, name="log_likelihood")

    def probability_alive(self, summary: pd.DataFrame | None = None) -> pd.Series:
        """Probability that each customer is still active (客户存活概率) at the end of calibration.

        Parameters
        ----------
        summary : DataFrame, optional
            Customers to score; default the customers the model was fitted to.

        Returns
        -------
        Series
            P(alive | x, t_x, T), indexed by customer.
        """
        index, x, tx, T = self._data(summary)
        return pd.Series(self._p_alive(self.params_.to_numpy(), x, tx, T), index=index, name="probability_alive")

    def expected_purchases(self, t, summary: pd.DataFrame | None = None) -> pd.Series:
        """Expected number of purchases of each customer in the next ``t`` time units (预测购买次数).

        Conditional on the customer's history (x, t_x, T): the expectation
        E[Y(t) | x, t_x, T] for the period (T, T + t].

        Parameters
        ----------
        t : float or array
            Length of the forecast period, in the model's time unit
            (``time_unit_``); an array gives one length per customer (e.g.
            ``summary["duration_holdout_weeks"]``).
        summary : DataFrame, optional
            Customers to predict for; default the customers the model was fitted to.

        Returns
        -------
        Series
            Indexed by customer.
        """
        index, x, tx, T = self._data(summary)
        t = self._horizon(t, len(x))
        return pd.Series(self._conditional(self.params_.to_numpy(), t, x, tx, T), index=index,
                         name="expected_purchases")

    def expected_purchases_new_customer(self, t):
        """Expected repeat purchases E[X(t)] of a customer just acquired, in the first ``t`` time units.

        Parameters
        ----------
        t : float or array
            Time since the first purchase, in ``time_unit_``.

        Returns
        -------
        float or ndarray
        """
        self._check_fitted()
        t = np.asarray(t, dtype=float)
        if (t < 0).any() or np.isnan(t).any():
            raise CrmlabInputError("t must be a time >= 0.")
        zero = np.zeros_like(t)
        return _scalar(self._conditional(self.params_.to_numpy(), t, zero, zero, zero))

    @staticmethod
    def _horizon(t, n):
        t = np.asarray(t, dtype=float)
        if np.isnan(t).any() or (t < 0).any():
            raise CrmlabInputError("t must be a time >= 0 (in the model's time unit).")
        if t.ndim and t.shape != (n,):
            raise CrmlabInputError(f"t has {t.size} values but the summary has {n} customers; give one t, "
                                   "or one per customer.")
        return np.broadcast_to(t, (n,))

    def __repr__(self):
        if self.params_ is None:
            return f"{type(self).__name__}()"
        est = ", ".join(f"{k}={v:.4g}" for k, v in self.params_.items())
        return (f"{type(self).__name__}({est}; {self.n_customers_} customers, time unit {self.time_unit_}, "
                f"LL={self.log_likelihood_:.1f}, AIC={self.aic_:.1f})")


class BGNBD(_CountModel):
    """The BG/NBD model of repeat buying (Fader, Hardie & Lee 2005).

    While active a customer buys as a Poisson process with rate λ ~ Gamma(r, α)
    (per time unit); after each repeat purchase the customer drops out for
    good with probability p ~ Beta(a, b).

    Attributes (after :meth:`fit`)
    -------------------------------
    params_ : Series
        ``r``, ``alpha`` (in the summary's time unit), ``a``, ``b``.
    standard_errors_, log_likelihood_, aic_, n_customers_, time_unit_

    Examples
    --------
    >>> from crmlab.datasets.cdnow import load_cdnow
    >>> s = summary(load_cdnow("sample"), time_col="date", amount_col="amount", calibration_end="1997-09-30",
    ...             verbose=False)
    >>> model = BGNBD().fit(s)
    >>> round(model.log_likelihood_, 1)
    -9582.4
    >>> round(float(model.probability_alive().loc[4]), 3)   # x = 2, t_x = 30.43, T = 38.86 weeks
    0.727
    """

    _names = ("r", "alpha", "a", "b")
    _gradient = True

    @staticmethod
    def _start(rate, mean_T):
        return np.array([1.0, 1.0 / rate, 1.0, 3.0])

    @staticmethod
    def _loglik(params, x, tx, T, grad=False):
        from scipy.special import digamma, gammaln

        r, alpha, a, b = params
        xv = _per_value(x, lambda v: v)
        # lnΓ(r+x) - lnΓ(r) + ln B(a, b+x) - ln B(a, b): depends on x only
        base = _per_value(x, lambda v: gammaln(r + v) - gammaln(r) + gammaln(b + v) - gammaln(b)
                          + gammaln(a + b) - gammaln(a + b + v))
        log_T = _per_value(T, lambda v: np.log(alpha + v))
        log_tx = _per_value(tx, lambda v: np.log(alpha + v))
        log_bx = _per_value(x, lambda v: np.where(v > 0, np.log(b + v - 1), 0.0))
        alive = -(r + xv) * log_T  # still active at T
        # dropped out right after the last purchase (only possible after a repeat purchase)
        dead = np.where(xv > 0, np.log(a) - log_bx - (r + xv) * log_tx, -np.inf)
        both = np.logaddexp(alive, dead)
        ll = r * np.log(alpha) + base + both
        if not grad:
            return ll
        w_dead = np.exp(dead - both)  # share of the likelihood from 'dropped out'
        w_alive = 1 - w_dead
        d_r = (_per_value(x, lambda v: digamma(r + v) - digamma(r)) + np.log(alpha)
               - w_alive * log_T - w_dead * log_tx)
        d_alpha = (r / alpha - (r + xv) * (w_alive * _per_value(T, lambda v: 1 / (alpha + v))
                                           + w_dead * _per_value(tx, lambda v: 1 / (alpha + v))))
        d_a = _per_value(x, lambda v: digamma(a + b) - digamma(a + b + v)) + w_dead / a
        d_b = (_per_value(x, lambda v: digamma(b + v) - digamma(b) + digamma(a + b) - digamma(a + b + v))
               - w_dead * _per_value(x, lambda v: np.where(v > 0, 1 / (b + v - 1), 0.0)))
        return ll, np.vstack([d_r, d_alpha, d_a, d_b])

    @staticmethod
    def _p_alive(params, x, tx, T):
        r, alpha, a, b = params
        with np.errstate(divide="ignore", invalid="ignore"):
            log_odds_dead = np.where(x > 0, np.log(a) - np.log(np.maximum(b + x - 1, 1e-300))
                                     + (r + x) * (np.log(alpha + T) - np.log(alpha + tx)), -np.inf)
        return np.exp(-np.logaddexp(0.0, log_odds_dead))

    @classmethod
    def _conditional(cls, params, t, x, tx, T):
        from scipy.special import hyp2f1

        r, alpha, a, b = params
        z = t / (alpha + T + t)
        # ((α+T)/(α+T+t))^(r+x) 2F1(r+x, b+x; a+b+x-1; z) = (1-z)^(a-1) 2F1(a+b-1-r, a-1; a+b+x-1; z)
        # by Euler's transformation: no large powers, so no overflow for frequent buyers.
        g = (1 - z) ** (a - 1) * hyp2f1(a + b - 1 - r, a - 1, a + b + x - 1, z)
        return (a + b + x - 1) / (a - 1) * (1 - g) * cls._p_alive(params, x, tx, T)


def _hyp2f1_one(b, c, z):
    """Gauss hypergeometric 2F1(1, b; c; z) for c > b > 0 and 0 <= z < 1 (arrays).

    Up to z = 0.9 scipy's ``hyp2f1`` is accurate (checked against the series to
    1e-14); closer to 1 it can return NaN or lose digits (when c - b - 1 is
    near a whole number, or c is large). There Gauss's continued fraction
    for F(b, 1; c; z) = F(b, 1; c; z) / F(b, 0; c - 1; z) is used: its
    coefficients are positive and tend to 1/4, so the backward recurrence is
    stable, and it converges at the rate ((1 - sqrt(1-z)) / (1 + sqrt(1-z)))
    per level, far faster than the series.
    """
    from scipy.special import hyp2f1

    b, c, z = np.broadcast_arrays(np.asarray(b, float), np.asarray(c, float), np.asarray(z, float))
    out = np.asarray(hyp2f1(1.0, b, c, z), dtype=float).copy()
    near = z > 0.9
    if near.any():
        bn, cn, zn = b[near], c[near], z[near]
        root = np.sqrt(1 - zn)
        rate = np.max((1 - root) / (1 + root))
        depth = int(min(np.ceil(np.log(1e-17) / np.log(rate)) + 10, 200_000))
        tail = (1 + root) / 2  # the fixed point the continued fraction's tail tends to
        for i in range(depth - 1, -1, -1):  # levels of the fraction, vectorised over customers
            j = i // 2
            if i % 2 == 0:  # k_{2j+1}
                k = (bn + j) * (cn - 1 + j) / ((cn - 1 + 2 * j) * (cn + 2 * j))
            else:  # k_{2j+2}
                k = (j + 1) * (cn - bn + j) / ((cn + 2 * j) * (cn + 2 * j + 1))
            tail = 1 - k * zn / tail
        out[near] = 1 / tail
    return out


class ParetoNBD(_CountModel):
    """The Pareto/NBD model of repeat buying (Schmittlein, Morrison & Colombo 1987).

    While active a customer buys as a Poisson process with rate λ ~ Gamma(r, α);
    the lifetime is exponential with rate μ ~ Gamma(s, β) (both per time unit).

    The likelihood needs the Gauss hypergeometric function 2F1 in two
    branches (α >= β and α < β); it is evaluated after Euler's transformation
    as 2F1(1, ·; ·; z), a series of positive terms, and combined in logs
    (log-sum-exp), so it stays accurate for frequent buyers and for α close to β.

    Attributes (after :meth:`fit`)
    -------------------------------
    params_ : Series
        ``r``, ``alpha``, ``s``, ``beta`` (α and β in the summary's time unit).
    standard_errors_, log_likelihood_, aic_, n_customers_, time_unit_

    Examples
    --------
    >>> from crmlab.datasets.cdnow import load_cdnow
    >>> s = summary(load_cdnow("sample"), time_col="date", amount_col="amount", calibration_end="1997-09-30",
    ...             verbose=False)
    >>> round(ParetoNBD().fit(s).log_likelihood_, 1)
    -9595.0
    """

    _names = ("r", "alpha", "s", "beta")

    @staticmethod
    def _start(rate, mean_T):
        return np.array([1.0, 1.0 / rate, 1.0, mean_T])

    @staticmethod
    def _log_a0_term(params, x, t):
        """log of 2F1(r+s+x, b; r+s+x+1; z) / (max(α,β) + t)^(r+s+x), the two terms of A0."""
        r, alpha, s, beta = params
        big, small = max(alpha, beta), min(alpha, beta)
        # α >= β: b = s+1, z = (α-β)/(α+t);  α < β: b = r+x, z = (β-α)/(β+t).
        b = s + 1 if alpha >= beta else r + x
        z = (big - small) / (big + t)
        log1mz = np.log(small + t) - np.log(big + t)
        # Euler: 2F1(c-1, b; c; z) = (1-z)^(1-b) 2F1(1, c-b; c; z) with c = r+s+x+1.
        c = r + s + x + 1
        return (1 - b) * log1mz + np.log(_hyp2f1_one(c - b, c, z)) - (r + s + x) * np.log(big + t)

    @classmethod
    def _log_parts(cls, params, x, tx, T):
        """log of the 'alive at T' and 'died in (t_x, T]' parts of the likelihood (without constants)."""
        r, alpha, s, beta = params
        alive = -(r + x) * np.log(alpha + T) - s * np.log(beta + T)
        l1, l2 = cls._log_a0_term(params, x, tx), cls._log_a0_term(params, x, T)
        with np.errstate(divide="ignore", invalid="ignore"):
            log_a0 = l1 + np.log(-np.expm1(np.minimum(l2 - l1, 0.0)))  # log(e^l1 - e^l2), l1 >= l2
        dead = np.log(s) - np.log(r + s + x) + log_a0
        return alive, dead

    @classmethod
    def _loglik(cls, params, x, tx, T):
        from scipy.special import gammaln

        r, alpha, s, beta = params
        alive, dead = cls._log_parts(params, x, tx, T)
        return gammaln(r + x) - gammaln(r) + r * np.log(alpha) + s * np.log(beta) + np.logaddexp(alive, dead)

    @classmethod
    def _p_alive(cls, params, x, tx, T):
        alive, dead = cls._log_parts(params, x, tx, T)
        return np.exp(alive - np.logaddexp(alive, dead))

    @classmethod
    def _conditional(cls, params, t, x, tx, T):
        r, alpha, s, beta = params
        u = np.log1p(t / (beta + T))
        k = s - 1
        # (β+T)/(s-1) [1 - ((β+T)/(β+T+t))^(s-1)], written to stay exact as s -> 1.
        integral = (beta + T) * (u if abs(k) < 1e-10 else -np.expm1(-k * u) / k)
        return (r + x) / (alpha + T) * integral * cls._p_alive(params, x, tx, T)


class GammaGamma:
    """The Gamma–Gamma model of spend per transaction (Fader, Hardie & Lee 2005b).

    Each transaction's amount is Gamma(p, ν) with mean p/ν for the customer;
    ν ~ Gamma(q, γ) across customers. Fitted to each repeat customer's number
    of repeat transactions x and their mean amount z̄ (``monetary_value``);
    it assumes spend per transaction does not depend on how often one buys
    (check it: the correlation of ``frequency`` and ``monetary_value``).

    Attributes (after :meth:`fit`)
    -------------------------------
    params_ : Series
        ``p``, ``q``, ``gamma`` (γ, in the unit of the amounts).
    standard_errors_, log_likelihood_, aic_, n_customers_ (repeat customers used)

    Examples
    --------
    >>> from crmlab.datasets.cdnow import load_cdnow
    >>> s = summary(load_cdnow("sample"), time_col="date", amount_col="amount", calibration_end="1997-09-30",
    ...             verbose=False)
    >>> GammaGamma().fit(s, verbose=False).params_.round(2).to_dict()
    {'p': 6.25, 'q': 3.74, 'gamma': 15.44}
    """

    _names = ("p", "q", "gamma")

    def __init__(self):
        self.params_ = None

    @staticmethod
    def _data(frame):
        if not isinstance(frame, pd.DataFrame):
            raise CrmlabInputError("expected a summary DataFrame from crmlab.clv.summary(...), "
                                   f"got {type(frame).__name__}.")
        require_columns(frame.columns, ["frequency", "monetary_value"], table="summary")
        require_nonempty(frame, table="summary")
        x = pd.to_numeric(frame["frequency"], errors="coerce")
        bad = x.isna() | (x < 0) | (x % 1 != 0)
        if bad.any():
            raise CrmlabInputError(f"summary: column 'frequency' must be a whole number >= 0; it is not in "
                                   f"{describe_rows(frame.index[bad])}.")
        m = pd.to_numeric(frame["monetary_value"], errors="coerce")
        repeat = (x > 0).to_numpy()
        rows = frame.index[repeat]
        if m[repeat].isna().any():
            raise CrmlabInputError(f"summary: column 'monetary_value' is missing or not a number for repeat "
                                   f"customers in {describe_rows(rows[m[repeat].isna().to_numpy()])}.")
        low = repeat & (m <= 0).to_numpy()
        if low.any():
            raise CrmlabInputError(
                f"summary: 'monetary_value' must be > 0 for the Gamma-Gamma model; it is not in "
                f"{describe_rows(frame.index[low])}, e.g. {m[low].iloc[0]!r}. Spend per transaction is modelled "
                "as a positive amount: leave these customers out (summary[summary.monetary_value > 0]) and say so.")
        return frame.index, x.to_numpy(dtype=float), m.to_numpy(dtype=float), repeat

    def fit(self, summary: pd.DataFrame, *, verbose: bool = True):
        """Estimate p, q, γ by maximum likelihood on the customers with at least one repeat purchase.

        Parameters
        ----------
        summary : DataFrame
            From :func:`summary`: columns ``frequency`` and ``monetary_value``.
            Customers without repeat purchases carry no spend information and
            are set aside (counted in ``n_set_aside_``, printed when ``verbose``).
        verbose : bool, default True

        Returns
        -------
        self
        """
        index, x, m, repeat = self._data(summary)
        if repeat.sum() < 10:
            raise CrmlabInputError(f"too little data to fit: {repeat.sum()} customers with repeat purchases; "
                                   "the Gamma-Gamma model needs many (hundreds).")
        if np.ptp(m[repeat]) == 0:
            raise CrmlabInputError("all repeat customers have the same mean spend; there is nothing to fit.")
        xr, mr = x[repeat], m[repeat]
        mean, var = mr.mean(), mr.var()
        shape = max(mean ** 2 / var, 0.5)  # moment guess of p; q starts at 3
        start = np.array([shape + 1, 3.0, 2.0 * mean / shape])
        self.params_, self.log_likelihood_, self.standard_errors_ = _maximise(
            self._loglik, (_Column(xr), mr, np.log(mr)), np.ones(len(xr)), start, names=list(self._names),
            gradient=True)
        self.aic_ = 2 * len(self.params_) - 2 * self.log_likelihood_
        self.n_customers_ = int(repeat.sum())
        self.n_set_aside_ = int((~repeat).sum())
        if verbose and self.n_set_aside_:
            print(f"GammaGamma: set aside {self.n_set_aside_:,} customers without repeat purchases "
                  "(no spend information)".replace(",", " "))
        self._fitted = (index, x, m)
        return self

    @property
    def estimates_(self) -> pd.DataFrame:
        """Estimates and standard errors as one table."""
        self._check_fitted()
        return _table(self.params_, self.standard_errors_)

    def _check_fitted(self):
        if self.params_ is None:
            raise CrmlabInputError("this GammaGamma is not fitted yet; call .fit(summary) first.")

    @staticmethod
    def _loglik(params, x, m, log_m, grad=False):
        from scipy.special import digamma, gammaln

        p, q, g = params
        xv = _per_value(x, lambda v: v)
        log_gxm = np.log(g + xv * m)
        ll = (_per_value(x, lambda v: gammaln(p * v + q) - gammaln(p * v) + p * v * np.log(v))
              - gammaln(q) + q * np.log(g) + (p * xv - 1) * log_m - (p * xv + q) * log_gxm)
        if not grad:
            return ll
        d_p = xv * (_per_value(x, lambda v: digamma(p * v + q) - digamma(p * v) + np.log(v)) + log_m - log_gxm)
        d_q = _per_value(x, lambda v: digamma(p * v + q)) - digamma(q) + np.log(g) - log_gxm
        d_g = q / g - (p * xv + q) / (g + xv * m)
        return ll, np.vstack([d_p, d_q, d_g])

    def population_mean_spend(self) -> float:
        """Mean spend per transaction across customers, p γ / (q - 1) (needs q > 1)."""
        self._check_fitted()
        p, q, g = self.params_.to_numpy()
        if q <= 1:
            raise CrmlabInputError(f"q = {q:.3g} <= 1: the Gamma-Gamma model has no finite mean spend for "
                                   "a new customer; the spend data are too heavy-tailed for this model.")
        return p * g / (q - 1)

    def expected_spend(self, summary: pd.DataFrame | None = None) -> pd.Series:
        """Expected amount of each customer's future transactions (预期客单价), E[M | x, z̄].

        A weighted average of the population mean p γ / (q - 1) and the
        customer's own mean z̄, with weight p x / (p x + q - 1) on z̄: the more
        repeat purchases, the more the customer's own mean counts. Customers
        without repeat purchases get the population mean.

        Parameters
        ----------
        summary : DataFrame, optional
            Default: the summary the model was fitted to (all its customers).

        Returns
        -------
        Series
            Indexed by customer, in the unit of the amounts.
        """
        self._check_fitted()
        index, x, m = self._fitted if summary is None else self._data(summary)[:3]
        p, q, g = self.params_.to_numpy()
        pop = self.population_mean_spend()
        w = p * x / (p * x + q - 1)
        spend = np.where(x > 0, (1 - w) * pop + w * np.nan_to_num(m), pop)
        return pd.Series(spend, index=index, name="expected_spend")

    def __repr__(self):
        if self.params_ is None:
            return "GammaGamma()"
        est = ", ".join(f"{k}={v:.4g}" for k, v in self.params_.items())
        return f"GammaGamma({est}; {self.n_customers_} repeat customers, LL={self.log_likelihood_:.1f})"


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
        From :func:`summary`, in the unit the models were fitted in.
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
    >>> from crmlab.datasets.cdnow import load_cdnow
    >>> s = summary(load_cdnow("sample"), time_col="date", amount_col="amount", calibration_end="1997-09-30",
    ...             verbose=False)
    >>> bg, gg = BGNBD().fit(s), GammaGamma().fit(s, verbose=False)
    >>> v = discounted_clv(s, purchases_model=bg, spend_model=gg, horizon=52, annual_discount_rate=0.1)
    >>> list(v.columns)
    ['probability_alive', 'expected_purchases', 'expected_spend', 'clv']
    """
    if not isinstance(purchases_model, _CountModel):
        raise CrmlabInputError("purchases_model must be a fitted BGNBD or ParetoNBD.")
    if not isinstance(spend_model, GammaGamma):
        raise CrmlabInputError("spend_model must be a fitted GammaGamma.")
    purchases_model._check_fitted()
    spend_model._check_fitted()
    horizon = float(_rate(horizon, name="horizon", low=0.0, low_open=True))
    d = float(_rate(annual_discount_rate, name="annual_discount_rate", low=0.0))
    margin = float(_rate(margin, name="margin", low=0.0, high=1.0))
    if not float(steps_per_year).is_integer() or steps_per_year < 1:
        raise CrmlabInputError(f"steps_per_year must be a whole number >= 1; got {steps_per_year!r}.")
    unit = purchases_model.time_unit_
    units_per_year = DAYS_PER_YEAR / TIME_UNITS[unit]
    index, x, tx, T = _rft(summary, unit=unit)
    spend = spend_model.expected_spend(summary).to_numpy()
    params = purchases_model.params_.to_numpy()
    step = units_per_year / steps_per_year
    ends = np.append(np.arange(step, horizon, step), horizon)
    total, cum_prev = np.zeros(len(x)), np.zeros(len(x))
    for end in ends:  # a few dozen steps of the horizon; each is vectorised over customers
        cum = purchases_model._conditional(params, np.full(len(x), end), x, tx, T)
        total += (cum - cum_prev) / (1 + d) ** (end / units_per_year)
        cum_prev = cum
    out = pd.DataFrame({
        "probability_alive": purchases_model._p_alive(params, x, tx, T),
        "expected_purchases": cum_prev,
        "expected_spend": spend,
        "clv": margin * spend * total,
    }, index=index)
    out.attrs.update(horizon=horizon, time_unit=unit, annual_discount_rate=d, margin=margin)
    return out
