"""Value grids (客户价值矩阵): the value quadrant and the HSBC-style A–F grid.

Two ways to sort customers by what they are worth, so that scarce resources
go where the value is:

- the **value quadrant** (客户价值四象限), current value × future value:

  ============  ==============  =============  ======================================
  current 当前   future 未来      class          what to do
  ============  ==============  =============  ======================================
  high          high            贵宾型 VIP      most valuable (MVC): keep them, serve them best
  low           high            改进型 improve  most growable (MGC): develop them
  high          low             维持型 maintain keep them at a reasonable cost
  low           low             放弃型 abandon  below zero: stop spending on them
  ============  ==============  =============  ======================================

- the **HSBC-style value × loyalty grid** (汇丰银行客户分级) for active
  customers, plus the inactive and the prospects:
  A top (high loyalty, high value), B (low loyalty, high value),
  C (high loyalty, low value), D (low loyalty, low value), E inactive,
  F prospects.

Cut-offs between high and low are stated, configurable and recorded in
``result.attrs["cuts"]``: ``"median"`` (default), ``"mean"``, or a number.
A value equal to the cut counts as low ("high" means strictly above).

Examples
--------
>>> import pandas as pd
>>> df = pd.DataFrame({"current_value": [10, 90, 20, 80], "future_value": [95, 85, 5, 15]})
>>> value_quadrant(df)["quadrant"].tolist()
['improve', 'vip', 'abandon', 'maintain']
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from crmlab.validation import (CrmlabInputError, describe_rows, report_set_aside, require_columns, require_nonempty,
                               require_option)

__all__ = ["QUADRANTS", "GRID_CLASSES", "value_quadrant", "value_loyalty_grid"]

#: The four classes of the value quadrant: (current high, future high), English and Chinese names.
QUADRANTS = pd.DataFrame(
    [("vip", True, True, "VIP (most valuable)", "贵宾型", "keep and serve best"),
     ("improve", False, True, "Improve (most growable)", "改进型", "develop: sell more, raise value"),
     ("maintain", True, False, "Maintain", "维持型", "keep at a reasonable cost"),
     ("abandon", False, False, "Abandon", "放弃型", "stop investing")],
    columns=["quadrant", "current_high", "future_high", "en", "zh", "action"]).set_index("quadrant")

#: The six classes of the HSBC-style grid, with English and Chinese names.
GRID_CLASSES = pd.DataFrame(
    [("A", "top: high loyalty, high value", "高忠诚高价值"),
     ("B", "low loyalty, high value", "低忠诚高价值"),
     ("C", "high loyalty, low value", "高忠诚低价值"),
     ("D", "low loyalty, low value", "低忠诚低价值"),
     ("E", "inactive", "不活跃客户"),
     ("F", "prospect", "潜在客户")],
    columns=["grid", "en", "zh"]).set_index("grid")


def _numbers(frame: pd.DataFrame, column: str) -> pd.Series:
    values = pd.to_numeric(frame[column], errors="coerce")
    bad = values.isna() & frame[column].notna()
    if bad.any():
        raise CrmlabInputError(f"column '{column}' must hold numbers; it does not in "
                               f"{describe_rows(frame.index[bad])}, e.g. {frame[column][bad].iloc[0]!r}.")
    if np.isinf(values).any():
        raise CrmlabInputError(f"column '{column}' has infinite values in "
                               f"{describe_rows(frame.index[np.isinf(values)])}.")
    return values.astype(float)


def _flags(frame: pd.DataFrame, column: str) -> pd.Series:
    values = frame[column]
    if pd.api.types.is_bool_dtype(values) and not values.isna().any():
        return values.astype(bool)
    ok = values.isin([True, False, 0, 1]) & values.notna()
    if not ok.all():
        raise CrmlabInputError(f"column '{column}' must be True/False; it is not in "
                               f"{describe_rows(frame.index[~ok])}, e.g. {values[~ok].iloc[0]!r}.")
    return values.astype(bool)


def _cut(values: pd.Series, rule, *, name: str) -> float:
    """The cut-off between low and high: 'median', 'mean' or a number."""
    if isinstance(rule, str):
        require_option(rule, ("median", "mean"), name=name,
                       fix="Or give a number, e.g. frame[col].quantile(0.8) for the top 20 %.")
        return float(values.median() if rule == "median" else values.mean())
    if isinstance(rule, (bool, np.bool_)) or not isinstance(rule, (int, float, np.number)) or np.isnan(rule):
        raise CrmlabInputError(f"{name}={rule!r}; use 'median', 'mean' or a number.")
    return float(rule)


def value_quadrant(frame: pd.DataFrame, *, current: str = "current_value", future: str = "future_value",
                   current_cut="median", future_cut="median", verbose: bool = True) -> pd.DataFrame:
    """Place each customer in the value quadrant (客户价值四象限): current × future value.

    Parameters
    ----------
    frame : DataFrame
        One row per customer.
    current : str, default "current_value"
        Column of current value (当前价值), e.g. the margin of the last 12
        months or the historical value (:func:`crmlab.clv.historical_value`).
    future : str, default "future_value"
        Column of future value (未来价值), e.g. the discounted CLV of the next
        years (:func:`crmlab.clv.discounted_clv`).
    current_cut, future_cut : "median", "mean" or float, default "median"
        Cut-off between low and high, computed over the customers classified;
        "high" means strictly above the cut.
    verbose : bool, default True
        Print one line about customers set aside (a value missing); they get
        no quadrant (NaN) and are counted in ``attrs["set_aside"]``.

    Returns
    -------
    DataFrame
        A copy of ``frame`` with ``quadrant`` (categorical: vip, improve,
        maintain, abandon) and ``quadrant_label`` (e.g. ``"贵宾型 VIP (most
        valuable)"``). ``attrs["cuts"]`` holds the two cut-offs used.

    Examples
    --------
    >>> df = pd.DataFrame({"now": [1.0, 5.0, 9.0], "later": [9.0, 5.0, 1.0]})
    >>> out = value_quadrant(df, current="now", future="later", current_cut=4, future_cut=4)
    >>> out["quadrant_label"].tolist()
    ['改进型 Improve (most growable)', '贵宾型 VIP (most valuable)', '维持型 Maintain']
    """
    require_columns(frame.columns, [current, future], table="frame")
    require_nonempty(frame, table="frame")
    cur, fut = _numbers(frame, current), _numbers(frame, future)
    ok = cur.notna() & fut.notna()
    if not ok.any():
        raise CrmlabInputError(f"no customer has both '{current}' and '{future}'; nothing to classify.")
    cuts = {current: _cut(cur[ok], current_cut, name="current_cut"),
            future: _cut(fut[ok], future_cut, name="future_cut")}
    high_cur, high_fut = cur > cuts[current], fut > cuts[future]
    code = np.select([high_cur & high_fut, ~high_cur & high_fut, high_cur & ~high_fut], ["vip", "improve", "maintain"],
                     default="abandon")
    out = frame.copy()
    out["quadrant"] = pd.Categorical(np.where(ok, code, None), categories=list(QUADRANTS.index))
    labels = {q: f"{row.zh} {row.en}" for q, row in QUADRANTS.iterrows()}
    out["quadrant_label"] = out["quadrant"].cat.rename_categories(labels)
    out.attrs["cuts"] = cuts
    return report_set_aside(out, {f"customers without '{current}' or '{future}'": (~ok).sum()},
                            what="value_quadrant", verbose=verbose)


def value_loyalty_grid(frame: pd.DataFrame, *, value: str = "value", loyalty: str = "loyalty",
                       active: str = "active", prospect: str = "prospect", value_cut="median",
                       loyalty_cut="median", verbose: bool = True) -> pd.DataFrame:
    """The HSBC-style A–F grid (汇丰银行客户分级): value × loyalty, plus inactive customers and prospects.

    - **F** prospect (潜在客户): ``prospect`` is True (registered, never bought);
    - **E** inactive (不活跃客户): not a prospect, ``active`` is False;
    - active customers by value and loyalty: **A** high loyalty and high value
      (top), **B** low loyalty, high value, **C** high loyalty, low value,
      **D** low loyalty, low value.

    Parameters
    ----------
    frame : DataFrame
        One row per customer.
    value : str, default "value"
        Column of customer value (客户价值), e.g. margin of the last 12 months or CLV.
    loyalty : str, default "loyalty"
        Column of loyalty (忠诚度), e.g. purchases per year of tenure
        (behavioural) or a survey score (attitudinal).
    active : str, default "active"
        Column, True/False: the customer bought recently (state the window).
    prospect : str, default "prospect"
        Column, True/False: the customer has never bought.
    value_cut, loyalty_cut : "median", "mean" or float, default "median"
        Cut-offs, computed over the **active** customers; "high" means
        strictly above the cut.
    verbose : bool, default True
        Print one line about active customers set aside (value or loyalty
        missing; they get no class and are counted in ``attrs["set_aside"]``).

    Returns
    -------
    DataFrame
        A copy of ``frame`` with ``grid`` (categorical A–F) and ``grid_label``
        (e.g. ``"A 高忠诚高价值 top: high loyalty, high value"``).
        ``attrs["cuts"]`` holds the two cut-offs used.

    Examples
    --------
    >>> df = pd.DataFrame({"value": [900, 50, 800, 60, 0, 0], "loyalty": [5, 6, 1, 1, 0, 0],
    ...                    "active": [True, True, True, True, False, False],
    ...                    "prospect": [False, False, False, False, False, True]})
    >>> value_loyalty_grid(df)["grid"].tolist()
    ['A', 'C', 'B', 'D', 'E', 'F']
    """
    require_columns(frame.columns, [value, loyalty, active, prospect], table="frame")
    require_nonempty(frame, table="frame")
    is_prospect, is_active = _flags(frame, prospect), _flags(frame, active)
    both = is_prospect & is_active
    if both.any():
        raise CrmlabInputError(f"a prospect (never bought) cannot be active; both are True in "
                               f"{describe_rows(frame.index[both])}. Check how '{active}' and '{prospect}' were made.")
    val, loy = _numbers(frame, value), _numbers(frame, loyalty)
    scored = is_active & val.notna() & loy.notna()
    if not scored.any():
        raise CrmlabInputError(f"no active customer has both '{value}' and '{loyalty}'; nothing to grade A-D.")
    cuts = {value: _cut(val[scored], value_cut, name="value_cut"),
            loyalty: _cut(loy[scored], loyalty_cut, name="loyalty_cut")}
    high_val, high_loy = val > cuts[value], loy > cuts[loyalty]
    grade = np.select([high_loy & high_val, ~high_loy & high_val, high_loy & ~high_val], ["A", "B", "C"], default="D")
    grade = np.where(is_prospect, "F", np.where(~is_active, "E", np.where(scored, grade, None)))
    out = frame.copy()
    out["grid"] = pd.Categorical(grade, categories=list(GRID_CLASSES.index))
    labels = {g: f"{g} {row.zh} {row.en}" for g, row in GRID_CLASSES.iterrows()}
    out["grid_label"] = out["grid"].cat.rename_categories(labels)
    out.attrs["cuts"] = cuts
    return report_set_aside(out, {f"active customers without '{value}' or '{loyalty}'": (is_active & ~scored).sum()},
                            what="value_loyalty_grid", verbose=verbose)
