"""Value grids (客户价值矩阵): the value quadrant and the HSBC-style A–F grid.

Two ways to sort customers by what they are worth, so that scarce resources
go where the value is:

- the **value quadrant** (客户价值四象限), current value × future value:

  ============  ==============  =============  ======================================
  current 当前   future 未来      class          what to do
  ============  ==============  =============  ======================================
  high          high            贵宾型 VIP      most valuable (MVC): keep them, serve them best
  low           high            改进型 improve  most growable (MGC): develop them
  high          low             维持型 maintain ordinary (普通客户), some value: keep them at a reasonable cost
  low           low             放弃型 abandon  below zero (负值客户): stop spending on them
  ============  ==============  =============  ======================================

- the **HSBC-style value × loyalty grid** (汇丰银行客户分级) for active
  customers, plus the inactive and the possible customers, with the course's
  names: A 顶级 top (high loyalty, high value), B 大中型 (low loyalty, high
  value), C 大中型 (high loyalty, low value), D 小型 (low loyalty, low
  value), E 非活跃客户 inactive, F 可能客户 possible customers (prospects).

Cut-offs between high and low are stated, configurable and recorded in
``result.attrs["cuts"]``: ``"median"`` (default), ``"mean"``, or a number.
A value equal to the cut counts as low ("high" means strictly above).
**The default split is the median**, so that each axis cuts the customers
in halves; the 8 RFM classes of :func:`crmlab.rfm.rfm_classes` split at
the **mean** by default (as Chinese courses do), where a value equal to the
mean counts as high. Say which one a table used when comparing the two.

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

from crmlab.validation import (CrmlabInputError, describe_ids, report_set_aside, require_columns, require_nonempty,
                               require_option, shown)

__all__ = ["QUADRANTS", "GRID_CLASSES", "value_quadrant", "value_loyalty_grid"]

#: The four classes of the value quadrant: (current high, future high), English and Chinese names.
QUADRANTS = pd.DataFrame(
    [("vip", True, True, "VIP (most valuable)", "贵宾型", "keep and serve best"),
     ("improve", False, True, "Improve (most growable)", "改进型", "develop: sell more, raise value"),
     ("maintain", True, False, "Maintain", "维持型", "keep at a reasonable cost"),
     ("abandon", False, False, "Abandon", "放弃型", "stop investing")],
    columns=["quadrant", "current_high", "future_high", "en", "zh", "action"]).set_index("quadrant")

#: The six classes of the HSBC-style grid, with English and Chinese names as in the course
#: (A 顶级, B and C 大中型, D 小型, E 非活跃客户, F 可能客户).
GRID_CLASSES = pd.DataFrame(
    [("A", "top: high loyalty, high value", "顶级 高忠诚高价值"),
     ("B", "large/medium: low loyalty, high value", "大中型 低忠诚高价值"),
     ("C", "large/medium: high loyalty, low value", "大中型 高忠诚低价值"),
     ("D", "small: low loyalty, low value", "小型 低忠诚低价值"),
     ("E", "inactive", "非活跃客户"),
     ("F", "possible customer (prospect)", "可能客户")],
    columns=["grid", "en", "zh"]).set_index("grid")


def _numbers(frame: pd.DataFrame, column: str) -> pd.Series:
    values = pd.to_numeric(frame[column], errors="coerce")
    bad = values.isna() & frame[column].notna()
    if bad.any():
        raise CrmlabInputError(f"column '{column}' must hold numbers; it does not "
                               f"{describe_ids(frame.index, bad)} (e.g. {shown(frame[column][bad].iloc[0])}).")
    if np.isinf(values).any():
        raise CrmlabInputError(f"column '{column}' has infinite values "
                               f"{describe_ids(frame.index, np.isinf(values))}.")
    return values.astype(float)


def _flags(frame: pd.DataFrame, column: str) -> pd.Series:
    values = frame[column]
    if pd.api.types.is_bool_dtype(values) and not values.isna().any():
        return values.astype(bool)
    ok = values.isin([True, False, 0, 1]) & values.notna()
    if not ok.all():
        raise CrmlabInputError(f"column '{column}' must be True/False; it is not "
                               f"{describe_ids(frame.index, ~ok)} (e.g. {shown(values[~ok].iloc[0])}).")
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
        Cut-off between low and high, computed over the customers classified
        (the median by default, so each axis splits them in halves up to ties;
        RFM's 8 classes split at the mean); "high" means strictly above the cut.
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
    >>> value_quadrant(df, current="now", future="later").attrs["cuts"]   # the default: medians
    {'now': 5.0, 'later': 5.0}
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

    - **F** possible customer (可能客户): ``prospect`` is True (e.g. registered, never bought);
    - **E** inactive (非活跃客户): not a prospect, ``active`` is False (the
      caller's rule, e.g. no purchase in the last 12 months — state it);
    - active customers by value and loyalty: **A** 顶级 top, high loyalty and
      high value, **B** 大中型 low loyalty, high value, **C** 大中型 high
      loyalty, low value, **D** 小型 low loyalty, low value.

    Both cuts default to the **median** of the active customers (not the
    mean that :func:`crmlab.rfm.rfm_classes` uses): half of the active
    customers are high on each axis, up to ties at the median.

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
        (e.g. ``"A 顶级 高忠诚高价值 top: high loyalty, high value"``).
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
        raise CrmlabInputError(f"a prospect (never bought) cannot be active; both are True "
                               f"{describe_ids(frame.index, both)}. Check how '{active}' and '{prospect}' were made.")
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
