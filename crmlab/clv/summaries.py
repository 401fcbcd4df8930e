"""A transaction log as one row per customer (交易记录汇总): the input of the CLV models.

:func:`summary` builds it: repeat purchases x (``repeat_purchases``, 重复购买次数),
span t_x (``span_<unit>``, 首末购买间隔), age T (``T_<unit>``, 客户年龄) and mean
repeat spend (``monetary_value``, 平均重复消费额). :func:`summary_unit` and
:func:`summary_arrays` read a summary back for the models, with a message
naming the column and rows when it cannot be used.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from crmlab.validation import (TIME_UNITS, CrmlabInputError, amount_column, as_date, datetime_column, describe_ids,
                               frame_check, in_window, report_set_aside, require_columns, require_nonempty,
                               require_option, shown)

__all__ = ["SUMMARY_UNITS", "summary", "summary_from_totals", "calibration_window", "summary_unit", "summary_arrays"]

#: Time units a summary can be expressed in (lengths in :data:`crmlab.validation.TIME_UNITS`).
SUMMARY_UNITS = ("days", "weeks")


def summary(transactions: pd.DataFrame, *, calibration_end, observation_end=None,
            customer_col: str = "customer_id", time_col: str = "order_ts", amount_col: str = "revenue",
            time_unit: str = "weeks", verbose: bool = True) -> pd.DataFrame:
    """Repeat purchases, span, age and mean spend of each customer (重复购买次数、首末购买间隔、客户年龄、平均消费).

    The input of :class:`~crmlab.clv.BGNBD`, :class:`~crmlab.clv.ParetoNBD`
    and :class:`~crmlab.clv.GammaGamma`. Rules, as in the CLV literature
    (Fader, Hardie & Lee 2005), where x is called frequency and t_x recency:

    - **Same-day purchases are merged**: all purchases of one customer on one
      calendar day are one transaction (交易) whose amount is their sum
      (``attrs["merged_same_day"]`` counts the rows merged).
    - Times are measured between calendar days from the customer's first
      purchase (首次购买): ``span`` t_x to the last purchase in the
      calibration period, ``T`` to ``calibration_end``; a purchase on
      ``calibration_end`` itself has t_x = T.
    - ``repeat_purchases`` x counts **repeat** transactions (重复购买), after
      the first one, in the calibration period (校准期): up to and including
      ``calibration_end``.
    - These are not RFM's frequency and recency (:func:`crmlab.rfm.rfm_table`),
      which count all purchases and look back from the analysis date; and
      RFM's ``frequency`` counts rows (two orders on one day are two
      purchases), where this summary merges same-day purchases. A customer
      with two orders on one day therefore has ``frequency`` 2 in RFM and
      one transaction here.
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
        - ``repeat_purchases``: x, repeat transactions in the calibration period;
        - ``span_<unit>``: t_x, first to last transaction (0 if x = 0);
        - ``T_<unit>``: T, first transaction to ``calibration_end``;
        - ``monetary_value``: mean amount of the repeat transactions
          (平均重复消费额; NaN if x = 0; the first purchase is left out, as
          the Gamma–Gamma model asks);
        - with ``observation_end``: ``purchases_holdout`` (transactions in the
          holdout period) and ``duration_holdout_<unit>`` (its length).

        ``attrs`` holds ``time_unit``, ``calibration_end``, ``observation_end``,
        ``merged_same_day`` and ``set_aside``.

    Examples
    --------
    >>> from crmlab.datasets.cdnow import load_cdnow
    >>> s = summary(load_cdnow("sample"), time_col="date", amount_col="amount", calibration_end="1997-09-30")
    summary: set aside 1 959 transactions after 1997-09-30
    >>> s[["repeat_purchases", "span_weeks", "T_weeks"]].head(2).round(2)  # doctest: +NORMALIZE_WHITESPACE
                 repeat_purchases  span_weeks  T_weeks
    customer_id
    4                           2       30.43    38.86
    18                          0        0.00    38.43
    """
    require_columns(transactions.columns, [customer_col, time_col, amount_col], table="transactions")
    require_nonempty(transactions, table="transactions")
    require_option(time_unit, SUMMARY_UNITS, name="time_unit")
    cal_end, obs_end, last_day = calibration_window(calibration_end, observation_end)
    ts = datetime_column(transactions[time_col], column=time_col, table="transactions", allow_missing=True)
    amount = amount_column(transactions[amount_col], column=amount_col, table="transactions").to_numpy()

    day = ts.dt.normalize()
    # calibration_end and observation_end are last days, inclusive: the window ends the day after
    keep, set_aside = in_window(day, transactions[customer_col], end=last_day + pd.Timedelta(days=1),
                                late=f"transactions after {last_day:%Y-%m-%d}")
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
    totals = pd.DataFrame({
        "first_purchase": g["day"].min(), "last_purchase": g["day"].max(), "transactions": g.size(),
        # rows are sorted by day within a customer, so first() is the amount of the first day
        "repeat_amount": g["amount"].sum() - g["amount"].first(),
    })
    if obs_end is not None:
        hold = daily[(daily["day"] > cal_end).to_numpy() & ~newcomer]
        totals["purchases_holdout"] = hold.groupby("customer").size().reindex(totals.index, fill_value=0)
    out = summary_from_totals(totals, calibration_end=cal_end, observation_end=obs_end, time_unit=time_unit,
                              customer_col=customer_col)
    out.attrs["merged_same_day"] = merged
    return report_set_aside(out, {
        **set_aside,
        f"customers whose first purchase is after {cal_end:%Y-%m-%d}":
            daily.loc[newcomer, "customer"].nunique(),
    }, what="summary", verbose=verbose)


def summary_unit(frame: pd.DataFrame) -> str:
    """The time unit of a summary, read from its column names (T_weeks -> 'weeks').

    Examples
    --------
    >>> s = pd.DataFrame({"repeat_purchases": [2, 0], "span_weeks": [30.0, 0.0], "T_weeks": [38.0, 20.0]})
    >>> summary_unit(s)
    'weeks'
    >>> summary_unit(s.rename(columns={"span_weeks": "recency", "T_weeks": "T"}))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    crmlab.validation.CrmlabInputError: summary: the time columns must say their unit, e.g. 'span_weeks' and 'T_weeks' ...
    """
    units = [u for u in SUMMARY_UNITS if f"T_{u}" in frame.columns]
    if len(units) > 1:
        raise CrmlabInputError(f"summary has time columns in several units ({', '.join('T_' + u for u in units)}); "
                               "keep one unit.")
    if not units:
        if {"T", "span", "recency"} & set(frame.columns):
            raise CrmlabInputError("summary: the time columns must say their unit, e.g. 'span_weeks' and 'T_weeks' "
                                   "(make the summary with crmlab.clv.summary; a summary from the lifetimes package: "
                                   "rename frequency, recency, T to repeat_purchases, span_weeks, T_weeks).")
        # T_weeks is absent, so this raises, suggesting the closest column names
        require_columns(frame.columns, ["repeat_purchases", "span_weeks", "T_weeks"], table="summary")
    return units[0]


def summary_arrays(frame: pd.DataFrame, *, unit: str | None = None):
    """Check a summary and return (index, x, t_x, T) as float arrays, in ``unit``.

    Examples
    --------
    >>> s = pd.DataFrame({"repeat_purchases": [2, 0], "span_weeks": [30.0, 0.0], "T_weeks": [38.0, 20.0]},
    ...                  index=["a", "b"])
    >>> index, x, tx, T = summary_arrays(s)
    >>> index.tolist(), x.tolist(), tx.tolist(), T.tolist()
    (['a', 'b'], [2.0, 0.0], [30.0, 0.0], [38.0, 20.0])
    >>> summary_arrays(s.assign(span_weeks=[40.0, 0.0]))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    crmlab.validation.CrmlabInputError: summary: span_weeks is greater than T_weeks for customer a; the last purchase cannot ...
    """
    frame_check(frame, "summary", fix="Make it with crmlab.clv.summary(...).")
    found = summary_unit(frame)
    if unit is not None and found != unit:
        raise CrmlabInputError(f"the model was fitted in {unit} but this summary is in {found}; "
                               f"make the summary with time_unit='{unit}'.")
    cols = ["repeat_purchases", f"span_{found}", f"T_{found}"]
    require_columns(frame.columns, cols, table="summary")
    require_nonempty(frame, table="summary")
    arrays = []
    for col in cols:
        values = pd.to_numeric(frame[col], errors="coerce")
        bad = values.isna() | (values < 0) | ~np.isfinite(values.fillna(0))
        if bad.any():
            raise CrmlabInputError(f"summary: column '{col}' must be a number >= 0; it is not "
                                   f"{describe_ids(frame.index, bad)} (e.g. {shown(frame[col][bad].iloc[0])}).")
        arrays.append(values.to_numpy(dtype=float))
    x, tx, T = arrays
    checks = [
        (x % 1 != 0, "repeat_purchases is not a whole number", "count repeat purchases, not amounts"),
        (tx > T + 1e-9, f"span_{found} is greater than T_{found}",
         "the last purchase cannot come after the end of the calibration period; rebuild the summary"),
        ((x == 0) & (tx > 0), f"repeat_purchases is 0 but span_{found} > 0",
         "the span is 0 for customers without repeat purchases"),
    ]
    for bad, what, fix in checks:
        if bad.any():
            raise CrmlabInputError(f"summary: {what} {describe_ids(frame.index, bad)}; {fix}.")
    return frame.index, x, tx, T



def calibration_window(calibration_end, observation_end=None):
    """The calibration and holdout periods as dates: (calibration_end, observation_end, last day analysed).

    Examples
    --------
    >>> calibration_window("2025-06-30", "2025-12-31")[2]
    Timestamp('2025-12-31 00:00:00')
    >>> calibration_window("2025-06-30", "2025-01-01")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    crmlab.validation.CrmlabInputError: observation_end (2025-01-01) must be after calibration_end (2025-06-30); ...
    """
    cal_end = as_date(calibration_end, name="calibration_end")
    obs_end = None if observation_end is None else as_date(observation_end, name="observation_end")
    if obs_end is not None and obs_end <= cal_end:
        raise CrmlabInputError(f"observation_end ({obs_end:%Y-%m-%d}) must be after calibration_end "
                               f"({cal_end:%Y-%m-%d}); the holdout period follows the calibration period.")
    return cal_end, obs_end, cal_end if obs_end is None else obs_end


def summary_from_totals(totals: pd.DataFrame, *, calibration_end, observation_end=None,
                        time_unit: str = "weeks", customer_col: str = "customer_id") -> pd.DataFrame:
    """The summary of :func:`summary` from each customer's totals computed elsewhere.

    What :func:`summary` does after merging same-day purchases and adding up,
    for totals added up by SQL in a database (:mod:`crmlab.engines`) on data
    too large for pandas.

    Parameters
    ----------
    totals : DataFrame
        Indexed by customer id, one row per customer whose first purchase is
        on or before ``calibration_end``: ``first_purchase`` and
        ``last_purchase`` (the days of the first and of the last transaction
        in the calibration period), ``transactions`` (days with a purchase in
        it), ``repeat_amount`` (the amount of those after the first day) and,
        with ``observation_end``, ``purchases_holdout``.
    calibration_end, observation_end, time_unit, customer_col
        As in :func:`summary`.

    Returns
    -------
    DataFrame
        As :func:`summary`, sorted by customer id; ``attrs`` holds
        ``time_unit``, ``calibration_end`` and ``observation_end``.

    Examples
    --------
    >>> totals = pd.DataFrame({"first_purchase": pd.to_datetime(["2025-01-06", "2025-03-03"]),
    ...                        "last_purchase": pd.to_datetime(["2025-02-03", "2025-03-03"]),
    ...                        "transactions": [3, 1], "repeat_amount": [90.0, 0.0]}, index=["a", "b"])
    >>> s = summary_from_totals(totals, calibration_end="2025-03-31")
    >>> s[["repeat_purchases", "span_weeks", "T_weeks", "monetary_value"]]  # doctest: +NORMALIZE_WHITESPACE
                 repeat_purchases  span_weeks  T_weeks  monetary_value
    customer_id
    a                           2         4.0     12.0            45.0
    b                           0         0.0      4.0             NaN
    """
    unit_days = TIME_UNITS[require_option(time_unit, SUMMARY_UNITS, name="time_unit")]
    columns = ["first_purchase", "last_purchase", "transactions", "repeat_amount"]
    require_columns(totals.columns, columns + ([] if observation_end is None else ["purchases_holdout"]),
                    table="totals")
    cal_end = as_date(calibration_end, name="calibration_end")
    obs_end = None if observation_end is None else as_date(observation_end, name="observation_end")
    totals = totals.sort_index()
    first = totals["first_purchase"]
    x = (totals["transactions"] - 1).astype("int64")
    unit = pd.Timedelta(days=unit_days)
    out = pd.DataFrame({
        "first_purchase": first,
        "repeat_purchases": x,
        f"span_{time_unit}": (totals["last_purchase"] - first) / unit,
        f"T_{time_unit}": (cal_end - first) / unit,
        "monetary_value": (totals["repeat_amount"] / x.where(x > 0)).astype(float),
    })
    out.index.name = customer_col
    if obs_end is not None:
        out["purchases_holdout"] = totals["purchases_holdout"].astype("int64")
        out[f"duration_holdout_{time_unit}"] = (obs_end - cal_end) / unit
    out.attrs.update(time_unit=time_unit, calibration_end=cal_end, observation_end=obs_end)
    return out
