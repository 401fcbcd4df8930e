"""Customer loyalty (客户忠诚): indicators, the attitude × behaviour matrix, loyalty types, the satisfaction trap.

The textbook looks at loyalty from three sides: behaviour (行为: repeat
purchases), attitude (态度: preference, liking) and time (时间: staying over
years). This module measures each:

- **indicators** (忠诚度指标) from the purchases: repeat-purchase rate
  (重复购买率), tenure (客户关系持续时间), share of wallet (钱包份额,
  where the customer's total spend in the category is known) and price
  sensitivity (价格敏感度) — :func:`loyalty_indicators`,
  :func:`repeat_purchase_rate`. Of the textbook's six indicators (客户忠诚度
  评价指标) the purchases cannot show the others: time spent choosing
  (挑选时间) needs visit logs or a survey, tolerance of faults (对产品质量事故
  的承受力) comes from the complaints
  (:func:`crmlab.complaints.complaint_retention`), attitude to competitors
  (对竞争品牌的态度) from a survey;
- the **attitude × behaviour matrix** of Dick & Basu (1994): true loyalty
  (真正忠诚), latent loyalty (潜在忠诚: likes us, buys little), spurious
  loyalty (虚假忠诚: buys out of habit or lack of choice, would leave for a
  better offer) and no loyalty (不忠诚) — :func:`loyalty_matrix`;
- the textbook's **six loyalty types** by cause (忠诚类型): monopoly (垄断),
  inertia (惰性), convenience (方便), price (价格), incentive (激励) and
  super-value (超值) loyalty, as stated in a survey, corrected for
  answers that are not honest — :func:`loyalty_type_mix`;
- **satisfaction versus loyalty**, and the **satisfaction trap** (满意陷阱):
  satisfied customers who still leave — :func:`satisfaction_trap`.

Examples
--------
>>> from crmlab.datasets import load_data
>>> mix = loyalty_type_mix(load_data("survey"), honest_share=0.75)
>>> mix["share"].sum().round(6)
np.float64(1.0)
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from crmlab._intervals import wilson_interval, z_value
from crmlab.datasets.schema import LOYALTY_TYPES, SAT_LEVELS
from crmlab.validation import (CrmlabInputError, answers, as_date, boolean, describe_rows, frame_check, id_columns,
                               purchases_before, report_set_aside, require_columns)
from crmlab.retention import churn_by_group

__all__ = ["LOYALTY_TYPE_LABELS", "MATRIX_LABELS", "loyalty_indicators", "repeat_purchase_rate", "loyalty_matrix",
           "loyalty_type_mix", "satisfaction_trap"]

#: The six loyalty types of the textbook (by the cause of repeat buying), bilingual.
LOYALTY_TYPE_LABELS = {"monopoly": "垄断忠诚 monopoly", "inertia": "惰性忠诚 inertia",
                       "convenience": "方便忠诚 convenience", "price": "价格忠诚 price",
                       "incentive": "激励忠诚 incentive", "value": "超值忠诚 super-value"}
#: The four cells of the attitude × behaviour matrix (Dick & Basu 1994), bilingual.
MATRIX_LABELS = {"true_loyalty": "真正忠诚 true loyalty", "latent_loyalty": "潜在忠诚 latent loyalty",
                 "spurious_loyalty": "虚假忠诚 spurious loyalty", "no_loyalty": "不忠诚 no loyalty"}


def loyalty_indicators(purchases: pd.DataFrame, *, as_of, window_days: int = 365, order_lines: pd.DataFrame | None = None,
                       deal_threshold: float = 0.15, wallet: pd.Series | None = None,
                       verbose: bool = True) -> pd.DataFrame:
    """Behavioural loyalty indicators of each customer (客户忠诚度指标).

    Parameters
    ----------
    purchases : DataFrame
        From :func:`crmlab.transactions.purchases`: ``customer_id``,
        ``order_id``, ``order_ts``, ``revenue``.
    as_of : str or Timestamp
        The date the indicators describe (exclusive); later purchases are set aside.
    window_days : int, default 365
        The recent window for ``purchases_window`` and ``spend_window``.
    order_lines : DataFrame, optional
        ``order_id``, ``quantity``, ``unit_price``, ``net_amount`` (as
        ``load_data("order_lines")``): adds the price-sensitivity columns.
    deal_threshold : float, default 0.15
        A purchase "on a deal" has an order discount of at least this share.
    wallet : Series, optional
        Each customer's total spend in the category over the same window at
        all retailers (e.g. from a survey question), indexed by
        ``customer_id``. Share of wallet is estimable only where it is known.
    verbose : bool, default True
        Print one line saying what was set aside.

    Returns
    -------
    DataFrame
        Indexed by ``customer_id``:

        - ``n_purchases``, ``repeat_buyer`` (at least 2 purchases: 重复购买);
        - ``first_purchase``, ``last_purchase``, ``tenure_days`` (as_of −
          first purchase: 客户关系持续时间), ``recency_days``;
        - ``purchases_window``, ``spend_window`` (CNY) in the last ``window_days``;
        - with ``wallet``: ``share_of_wallet`` = spend_window / wallet
          (钱包份额; NaN where the wallet is unknown, or smaller than what
          the customer spent here — those are counted as set aside);
        - with ``order_lines``: ``avg_discount`` (1 − paid / list value over
          all purchases) and ``deal_share`` (share of purchases on a deal):
          the higher, the more price-sensitive (价格敏感).

    Examples
    --------
    >>> import pandas as pd
    >>> p = pd.DataFrame({"customer_id": ["A", "A", "B"], "order_id": ["1", "2", "3"],
    ...                   "order_ts": pd.to_datetime(["2024-03-01", "2025-06-01", "2025-09-01"]),
    ...                   "revenue": [100.0, 50.0, 80.0]})
    >>> ind = loyalty_indicators(p, as_of="2026-01-01", wallet=pd.Series({"A": 200.0, "B": 80.0}))
    >>> ind[["n_purchases", "repeat_buyer", "spend_window", "share_of_wallet"]]  # doctest: +NORMALIZE_WHITESPACE
                 n_purchases  repeat_buyer  spend_window  share_of_wallet
    customer_id
    A                      2          True          50.0             0.25
    B                      1         False          80.0             1.00
    """
    as_of = as_date(as_of, name="as_of")
    if not isinstance(window_days, (int, np.integer)) or window_days < 1:
        raise CrmlabInputError(f"window_days={window_days!r} must be a whole number of days >= 1, e.g. 365.")
    if not isinstance(deal_threshold, (int, float)) or not 0 < deal_threshold < 1:
        raise CrmlabInputError(f"deal_threshold={deal_threshold!r} must be a share between 0 and 1, e.g. 0.15.")
    require_columns(purchases.columns, ["customer_id", "order_id", "order_ts", "revenue"], table="purchases")
    kept, counts = purchases_before(purchases, as_of)
    revenue = pd.to_numeric(kept["revenue"], errors="coerce")
    if revenue.isna().any():
        raise CrmlabInputError(f"purchases: column 'revenue' must be a number; it is not in "
                               f"{describe_rows(kept.index[revenue.isna()])}.")
    # Integer codes per customer, once: grouping and counting on them is many times faster than on id strings.
    codes, customers = pd.factorize(kept["customer_id"], sort=True)
    k = len(customers)
    ts = kept["order_ts"].reset_index(drop=True)
    out = pd.DataFrame({"n_purchases": np.bincount(codes, minlength=k)}, index=pd.Index(customers, name="customer_id"))
    out["repeat_buyer"] = out["n_purchases"] >= 2
    out["first_purchase"] = ts.groupby(codes).min().to_numpy()
    out["last_purchase"] = ts.groupby(codes).max().to_numpy()
    out["tenure_days"] = (as_of - out["first_purchase"]).dt.total_seconds() / 86400
    out["recency_days"] = (as_of - out["last_purchase"]).dt.total_seconds() / 86400
    recent = (ts >= as_of - pd.Timedelta(days=window_days)).to_numpy()
    out["purchases_window"] = np.bincount(codes[recent], minlength=k)
    out["spend_window"] = np.bincount(codes[recent], weights=revenue.to_numpy()[recent], minlength=k)
    if wallet is not None:
        if not isinstance(wallet, pd.Series):
            raise CrmlabInputError("wallet must be a Series of amounts indexed by customer_id.")
        w = pd.to_numeric(wallet, errors="coerce").reindex(out.index)
        if (w <= 0).any():
            raise CrmlabInputError(f"wallet must be > 0; it is not for customers {w.index[w <= 0][:5].tolist()}.")
        sow = out["spend_window"] / w
        too_small = sow > 1 + 1e-9
        out["share_of_wallet"] = sow.mask(too_small)
        counts["customers whose stated wallet is below their spend here"] = too_small.sum()
    if order_lines is not None:
        require_columns(order_lines.columns, ["order_id", "quantity", "unit_price", "net_amount"], table="order_lines")
        orders = pd.Index(kept["order_id"])
        if not orders.is_unique:
            raise CrmlabInputError("purchases: order_id is not unique; make the table with "
                                   "crmlab.transactions.purchases(orders, order_lines).")
        pos = orders.get_indexer(order_lines["order_id"])  # the purchase of each line; -1: not a purchase
        on = pos >= 0
        lines = order_lines[on]
        listed = (pd.to_numeric(lines["quantity"], errors="coerce")
                  * pd.to_numeric(lines["unit_price"], errors="coerce")).to_numpy(dtype=float)
        paid = pd.to_numeric(lines["net_amount"], errors="coerce").to_numpy(dtype=float)
        bad = np.isnan(listed) | np.isnan(paid) | (listed <= 0)
        if bad.any():
            raise CrmlabInputError(f"order_lines: quantity x unit_price must be a number > 0 and net_amount a number; "
                                   f"not so in {describe_rows(lines.index[bad])}.")
        listed_o = np.bincount(pos[on], weights=listed, minlength=len(kept))
        paid_o = np.bincount(pos[on], weights=paid, minlength=len(kept))
        has_lines = listed_o > 0
        with np.errstate(divide="ignore", invalid="ignore"):
            deal = has_lines & (1 - paid_o / listed_o >= deal_threshold)
            out["avg_discount"] = 1 - np.bincount(codes, paid_o, k) / np.bincount(codes, listed_o, k)
            out["deal_share"] = np.bincount(codes, deal, k) / np.bincount(codes, has_lines, k)
    out.index.name = "customer_id"
    return report_set_aside(out, counts, what="loyalty_indicators", verbose=verbose)


def repeat_purchase_rate(indicators: pd.DataFrame, *, by: str | None = None, confidence: float = 0.95) -> pd.DataFrame:
    """Share of customers who bought again (重复购买率), with a Wilson interval.

    The interval is for a *sample* of customers (e.g. a survey's
    respondents). Over all of a company's buyers the rate is a census:
    there is no sampling error, so show the rate without ``ci_low`` /
    ``ci_high``.

    Parameters
    ----------
    indicators : DataFrame
        From :func:`loyalty_indicators` (column ``repeat_buyer``), or any
        frame with a True/False ``repeat_buyer`` column.
    by : str, optional
        Column to group by.
    confidence : float, default 0.95
        Level of the Wilson interval of each rate.

    Returns
    -------
    DataFrame
        One row per group (``all`` without ``by``): ``customers``,
        ``repeat_buyers``, ``rate``, ``ci_low``, ``ci_high``.

    Examples
    --------
    >>> import pandas as pd
    >>> repeat_purchase_rate(pd.DataFrame({"repeat_buyer": [True, False, True, True]}))["rate"].tolist()
    [0.75]
    """
    frame_check(indicators, "indicators")
    z_value(confidence)
    require_columns(indicators.columns, ["repeat_buyer"] + ([by] if by else []), table="indicators")
    rb = boolean(indicators["repeat_buyer"], "repeat_buyer", "indicators")
    key = indicators[by] if by else pd.Series("all", index=indicators.index)
    ok = rb.notna() & key.notna()
    g = rb[ok].astype(int).groupby(key[ok], observed=True, sort=True)
    out = pd.DataFrame({"customers": g.size(), "repeat_buyers": g.sum()})
    out["rate"] = out["repeat_buyers"] / out["customers"]
    out["ci_low"], out["ci_high"] = wilson_interval(out["repeat_buyers"], out["customers"], confidence=confidence)
    out.index.name = by
    return out


def loyalty_matrix(frame: pd.DataFrame, *, attitude=("attitude_like", "attitude_prefer"),
                   behaviour: str = "purchases_window", attitude_cut: float = 3.5, behaviour_cut: float = 2,
                   attitude_scale=(1, 5), verbose: bool = True) -> pd.DataFrame:
    """The attitude × behaviour loyalty matrix (态度—行为忠诚矩阵, Dick & Basu 1994).

    ==============  ========================  ========================
    attitude        repeat buying high        repeat buying low
    ==============  ========================  ========================
    high            true loyalty 真正忠诚      latent loyalty 潜在忠诚
    low             spurious loyalty 虚假忠诚  no loyalty 不忠诚
    ==============  ========================  ========================

    Parameters
    ----------
    frame : DataFrame
        One row per customer with the attitude items (survey) and the
        behaviour measure (e.g. a survey joined with
        :func:`loyalty_indicators`).
    attitude : str or sequence of str, default ("attitude_like", "attitude_prefer")
        Attitude items on ``attitude_scale``; their mean is the attitude score.
    behaviour : str, default "purchases_window"
        Behaviour measure (e.g. purchases in the last 12 months).
    attitude_cut : float, default 3.5
        Attitude is high when the score is >= this (3.5 on a 1–5 scale: agrees on average).
    behaviour_cut : float, default 2
        Behaviour is high when the measure is >= this (2 purchases in the
        window: the customer bought again).
    attitude_scale : (low, high), default (1, 5)
    verbose : bool, default True
        Print how many rows lacked an attitude or behaviour value and were set aside.

    Returns
    -------
    DataFrame
        Id columns when present, ``attitude_score``, ``behaviour``,
        ``attitude_high``, ``behaviour_high`` and ``loyalty`` (categorical:
        true_loyalty, latent_loyalty, spurious_loyalty, no_loyalty).

    Examples
    --------
    >>> import pandas as pd
    >>> f = pd.DataFrame({"attitude_like": [5, 5, 1, 2], "attitude_prefer": [4, 5, 2, 1],
    ...                   "purchases_window": [6, 0, 5, 1]})
    >>> loyalty_matrix(f)["loyalty"].tolist()
    ['true_loyalty', 'latent_loyalty', 'spurious_loyalty', 'no_loyalty']
    """
    frame_check(frame, "frame")
    items = [attitude] if isinstance(attitude, str) else list(attitude)
    if not items:
        raise CrmlabInputError("attitude must name at least one column, e.g. 'attitude_like'.")
    for name, v in (("attitude_cut", attitude_cut), ("behaviour_cut", behaviour_cut)):
        if not isinstance(v, (int, float, np.integer)):
            raise CrmlabInputError(f"{name}={v!r} must be a number.")
    att, att_missing = answers(frame, items, scale=attitude_scale, table="frame")
    beh, beh_missing = answers(frame, [behaviour], scale=(-np.inf, np.inf), table="frame")
    missing = att_missing | beh_missing
    kept = ~missing
    out = id_columns(frame, kept)
    out["attitude_score"] = att.loc[kept].mean(axis=1)
    out["behaviour"] = beh.loc[kept, behaviour]
    out["attitude_high"] = out["attitude_score"] >= attitude_cut
    out["behaviour_high"] = out["behaviour"] >= behaviour_cut
    cell = np.select([out["attitude_high"] & out["behaviour_high"], out["attitude_high"], out["behaviour_high"]],
                     ["true_loyalty", "latent_loyalty", "spurious_loyalty"], "no_loyalty")
    out["loyalty"] = pd.Categorical(cell, categories=list(MATRIX_LABELS))
    return report_set_aside(out, {"rows with a missing attitude or behaviour value": missing.sum()},
                            what="loyalty_matrix", verbose=verbose)


def loyalty_type_mix(survey: pd.DataFrame, *, column: str = "main_reason", honest_share: float | None = None,
                     confidence: float = 0.95, verbose: bool = True) -> pd.DataFrame:
    """Shares of the six loyalty types from the survey's main reason for buying (忠诚类型构成).

    People do not always say why they really buy. If a share *h* of the
    answers is honest and the others pick a reason at random among the K =
    6 types, an observed share *s* estimates the true share as
    ``(s - (1 - h) / K) / h`` (a misclassification correction). Its
    interval is the Wilson interval of *s* put through the same formula.

    Parameters
    ----------
    survey : DataFrame
        One row per respondent with the main reason (``load_data("survey")``).
    column : str, default "main_reason"
        The column with one of monopoly, inertia, convenience, price,
        incentive, value per respondent.
    honest_share : float, optional
        The share *h* of honest answers (e.g. from a validation study); adds
        the corrected columns.
    confidence : float, default 0.95
        Level of the Wilson interval of each share.
    verbose : bool, default True
        Print one line saying which rows were set aside (no answer).

    Returns
    -------
    DataFrame
        Index = the six types in the textbook's order; ``label``, ``n``,
        ``share``, ``share_low``, ``share_high``; with ``honest_share`` also
        ``corrected``, ``corrected_low``, ``corrected_high`` (a corrected
        share below 0 says the type is rarer than the noise of the answers).

    Examples
    --------
    >>> import pandas as pd
    >>> s = pd.DataFrame({"main_reason": ["price"] * 6 + ["value"] * 4 + ["inertia"] * 2})
    >>> loyalty_type_mix(s, honest_share=0.5)[["share", "corrected"]].round(3).loc[["price", "monopoly"]]  # doctest: +NORMALIZE_WHITESPACE
              share  corrected
    loyalty_type
    price       0.5      0.833
    monopoly    0.0     -0.167
    """
    frame_check(survey, "survey")
    z_value(confidence)
    require_columns(survey.columns, [column], table="survey")
    reasons = survey[column].astype("string")
    unknown = reasons.notna() & ~reasons.isin(LOYALTY_TYPES)
    if unknown.any():
        raise CrmlabInputError(f"survey: column '{column}' has values that are not loyalty types in "
                               f"{describe_rows(survey.index[unknown])}, e.g. {reasons[unknown].iloc[0]!r}. "
                               f"Use one of {list(LOYALTY_TYPES)}.")
    missing = reasons.isna()
    if missing.all():
        raise CrmlabInputError(f"survey: column '{column}' has no answers.")
    n = reasons[~missing].value_counts().reindex(list(LOYALTY_TYPES), fill_value=0)
    total = int(n.sum())
    out = pd.DataFrame({"label": [LOYALTY_TYPE_LABELS[t] for t in LOYALTY_TYPES], "n": n.to_numpy()},
                       index=pd.Index(LOYALTY_TYPES, name="loyalty_type"))
    out["share"] = out["n"] / total
    out["share_low"], out["share_high"] = wilson_interval(out["n"], total, confidence=confidence)
    if honest_share is not None:
        if not isinstance(honest_share, (int, float)) or not 0 < honest_share <= 1:
            raise CrmlabInputError(f"honest_share={honest_share!r} must be a share in (0, 1], e.g. 0.75.")
        k = len(LOYALTY_TYPES)
        for src, dst in (("share", "corrected"), ("share_low", "corrected_low"), ("share_high", "corrected_high")):
            out[dst] = (out[src] - (1 - honest_share) / k) / honest_share
    return report_set_aside(out, {"respondents without an answer": missing.sum()}, what="loyalty_type_mix",
                            verbose=verbose)


def satisfaction_trap(frame: pd.DataFrame, *, level: str = "level", churned: str = "churned",
                      satisfied=("satisfied", "highly_satisfied"), confidence: float = 0.95,
                      verbose: bool = True) -> pd.DataFrame:
    """Churn by satisfaction level, and how many of those who left were satisfied (满意陷阱).

    Satisfaction and loyalty go together, but not one for one: expectations
    rise and competitors make offers, so satisfied customers leave too. The
    trap is to read a high satisfaction score as a promise of loyalty.

    Parameters
    ----------
    frame : DataFrame
        One row per customer with a satisfaction level (e.g. from
        :func:`crmlab.satisfaction.satisfaction_index`) and a churn flag
        (e.g. from :func:`crmlab.retention.customer_lifetimes`).
    level : str, default "level"
        The satisfaction level column.
    churned : str, default "churned"
        True/False.
    satisfied : sequence, default ("satisfied", "highly_satisfied")
        The levels that count as satisfied.
    confidence : float, default 0.95
        Level of the Wilson intervals of the churn rates and of the shares of churners.
    verbose : bool, default True
        Print how many customers lacked a level or a churn value and were set aside.

    Returns
    -------
    DataFrame
        One row per level and a last row ``all satisfied`` (the customers of
        the ``satisfied`` levels pooled): ``n``, ``churned``, ``rate`` (churn
        rate) with ``ci_low``/``ci_high`` (Wilson), and ``share_of_churners``
        (of all customers who churned, the share in this row) with
        ``share_low``/``share_high`` (Wilson, over the churned customers).
        The ``all satisfied`` row's ``share_of_churners`` is the trap in one
        number: the share of the lost customers who were satisfied. A row
        that holds every customer (one level only, or ``satisfied`` naming
        every level) has a share of 100 % by definition and no interval (NaN).

    Examples
    --------
    >>> import pandas as pd
    >>> f = pd.DataFrame({"level": ["dissatisfied"] * 2 + ["satisfied"] * 6,
    ...                   "churned": [True, True, True, True, False, False, False, False]})
    >>> satisfaction_trap(f).loc["all satisfied", ["rate", "share_of_churners"]].tolist()
    [0.3333333333333333, 0.5]
    >>> satisfaction_trap(f, satisfied=["dissatisfied", "satisfied"]).loc["all satisfied",
    ...     ["share_of_churners", "share_low"]].tolist()
    [1.0, nan]
    """
    frame_check(frame, "frame")
    require_columns(frame.columns, [level, churned], table="frame")
    sat = [satisfied] if isinstance(satisfied, str) else list(satisfied)
    levels = frame[level].dropna().unique().tolist()
    unknown = [s for s in sat if s not in levels and s not in SAT_LEVELS]
    if unknown:
        raise CrmlabInputError(f"satisfied names level(s) {unknown} that are not in column '{level}' ({levels}).")
    is_sat = frame[level].isin(sat).where(frame[level].notna())
    both = pd.concat([frame[[level, churned]],
                      frame.loc[is_sat.fillna(False).astype(bool), [churned]].assign(**{level: "all satisfied"})])
    order = [lv for lv in SAT_LEVELS if lv in levels] + [lv for lv in levels if lv not in SAT_LEVELS]
    both[level] = pd.Categorical(both[level].astype("object"), categories=order + ["all satisfied"])
    out = churn_by_group(both, group=level, churned=churned, confidence=confidence, verbose=False)
    out = out.drop(columns=["ratio", "ratio_low", "ratio_high"])
    levels_only = out.drop(index="all satisfied")
    all_churned = levels_only["churned"].sum()
    out["share_of_churners"] = out["churned"] / all_churned if all_churned else np.nan
    out["share_low"], out["share_high"] = wilson_interval(out["churned"], all_churned, confidence=confidence)
    # A row holding every customer holds every churner: 100 % by definition, nothing estimated.
    out.loc[out["n"] == levels_only["n"].sum(), ["share_low", "share_high"]] = np.nan
    missing = frame[level].isna() | boolean(frame[churned], churned, "frame").isna()
    return report_set_aside(out, {"rows with a missing level or churn value": missing.sum()}, what="satisfaction_trap",
                            verbose=verbose)
