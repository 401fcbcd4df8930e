"""RFM analysis (RFM分析法): recency, frequency and monetary value of each customer.

RFM describes each customer by three numbers taken from the purchases before
an **analysis date** (分析日期):

- **Recency** (最近一次购买, R): how long ago the last purchase was — whole
  calendar days from the day of the last purchase to the analysis date, so a
  purchase on the day before the analysis date has recency 1. The time unit is
  part of the column name: ``recency_days`` (or ``recency_weeks`` = days / 7,
  ``recency_months`` = days / 30.4375);
- **Frequency** (购买频率 or 消费频率, F): the number of purchases in the
  window — rows of the log, so two orders on one day count twice. (The CLV
  summary :func:`crmlab.clv.summary` merges one customer's purchases of one
  day into one transaction instead; compare the two tables knowing this.)
- **Monetary** (购买金额, M): the total amount of those purchases (some
  textbooks use the quantity bought instead and call the method RFA).

Functions, in the order of an analysis:

- :func:`rfm_table` from any transaction log (one row per purchase), e.g. CDNOW;
- :func:`rfm_from_orders` from the sample company's orders and order lines,
  through :func:`crmlab.transactions.purchases`, which states and reports the
  rule for returns (退货) and cancellations (取消);
- :func:`rfm_scores`: scores 1-5 by quantiles (with a stated rule for ties)
  or by fixed cut-offs (固定分界点);
- :func:`rfm_segments`: the common 11-segment R x FM scheme (champions,
  loyal, ..., lost) in English and Chinese;
- :func:`rfm_classes`: the 8 classes of Chinese courses (重要价值客户 ...
  一般挽留客户), each of R, F, M split at its mean;
- :func:`rfm_summary`: size and average R, F, M of each group.

Examples
--------
>>> import pandas as pd
>>> log = pd.DataFrame({"customer_id": ["a", "a", "b"],
...                     "order_ts": pd.to_datetime(["2025-12-01 10:00", "2025-12-30 18:00", "2025-06-01 09:30"]),
...                     "revenue": [100.0, 50.0, 20.0]})
>>> rfm_table(log, as_of="2026-01-01")[["recency_days", "frequency", "monetary"]]
             recency_days  frequency  monetary
customer_id                                   
a                       2          2     150.0
b                     214          1      20.0
"""
from __future__ import annotations

import operator

import numpy as np
import pandas as pd

from crmlab.validation import (TIME_UNITS, CrmlabInputError, amount_column, as_date, compare, datetime_column,
                               describe_ids, frame_check, in_window, report_set_aside, require_columns,
                               require_nonempty, require_option, runs)

#: The units recency can be given in (lengths in :data:`crmlab.validation.TIME_UNITS`).
RECENCY_UNITS = ("days", "weeks", "months")

#: The 11 segments of the R x FM grid: key, English name, Chinese name, what to do.
SEGMENTS = (
    ("champions", "Champions", "冠军客户", "bought recently, buy often and spend the most: reward them, ask for referrals"),
    ("loyal", "Loyal customers", "忠诚客户", "spend well and often: up-sell, membership benefits"),
    ("potential_loyalist", "Potential loyalists", "潜在忠诚客户", "recent, average spend: offer membership, recommend"),
    ("new_customers", "New customers", "新客户", "bought recently for the first times: onboarding, early support"),
    ("promising", "Promising", "有潜力客户", "fairly recent, little spend yet: create brand awareness, trials"),
    ("need_attention", "Need attention", "需要关注的客户", "average on all three: limited-time offers"),
    ("about_to_sleep", "About to sleep", "即将沉睡客户", "below average and fading: reactivate with relevant offers"),
    ("at_risk", "At risk", "有流失风险的客户", "spent well, long ago: personal contact, win back"),
    ("cant_lose", "Can't lose them", "不能失去的客户", "once the best, now silent: win them back at almost any cost"),
    ("hibernating", "Hibernating", "沉睡客户", "long ago, little spend: low-cost reactivation only"),
    ("lost", "Lost", "流失客户", "lowest on all: do not spend on them"),
)

#: The R x FM grid of :func:`rfm_segments`: row = R score 1-5, column = FM score 1-5.
RFM_GRID = (
    # FM = 1           2                     3                 4              5
    ("lost", "hibernating", "at_risk", "cant_lose", "cant_lose"),                     # R = 1
    ("hibernating", "hibernating", "at_risk", "at_risk", "at_risk"),                  # R = 2
    ("about_to_sleep", "about_to_sleep", "need_attention", "loyal", "loyal"),         # R = 3
    ("promising", "potential_loyalist", "loyal", "champions", "champions"),           # R = 4
    ("new_customers", "potential_loyalist", "loyal", "champions", "champions"),       # R = 5
)

#: The 8 classes of the mean split: key, English, Chinese, and whether R (recent), F, M are high.
CLASSES = (
    ("important_value", "Important value", "重要价值客户", True, True, True),
    ("important_develop", "Important to develop", "重要发展客户", True, False, True),
    ("important_retain", "Important to retain", "重要保持客户", False, True, True),
    ("important_winback", "Important to win back", "重要挽留客户", False, False, True),
    ("general_value", "General value", "一般价值客户", True, True, False),
    ("general_develop", "General to develop", "一般发展客户", True, False, False),
    ("general_retain", "General to retain", "一般保持客户", False, True, False),
    ("general_winback", "General to win back", "一般挽留客户", False, False, False),
)


# ---------------------------------------------------------------- the RFM table

def rfm_table(transactions: pd.DataFrame, *, as_of, customer_col: str = "customer_id",
              time_col: str = "order_ts", amount_col: str = "revenue", time_unit: str = "days",
              start=None, verbose: bool = True) -> pd.DataFrame:
    """Recency, frequency and monetary value per customer from a transaction log (交易记录).

    Parameters
    ----------
    transactions : DataFrame
        One row per purchase (a return or a cancellation is not a row: use
        :func:`rfm_from_orders` for the sample company's orders). Columns
        named by ``customer_col``, ``time_col`` and ``amount_col``.
    as_of : str or Timestamp
        The date the analysis looks back from (分析日期), a calendar date
        such as ``"2026-01-01"`` (usually the day after the data end).
        Purchases on or after it are set aside and counted.
    customer_col, time_col, amount_col : str
        Column names of the customer id, the purchase time (datetime, or text
        such as ``2024-06-18 10:05:00``) and the amount (a number >= 0;
        zero-value purchases count as purchases).
    time_unit : {"days", "weeks", "months"}, default "days"
        Unit of recency, carried in the column name. Recency in days is a
        whole number; weeks are days / 7 and months days / 30.4375.
    start : str or Timestamp, optional
        First day of the window: purchases before it are set aside and
        counted, so F and M are "in the last ..." (e.g. 12 months).
        Default: all history before ``as_of``.
    verbose : bool, default True
        Print one line with the rows set aside (also in
        ``result.attrs["set_aside"]``).

    Returns
    -------
    DataFrame
        One row per customer with at least one purchase in the window,
        indexed by customer id in the order each customer first appears in
        the log (sorted, for the log of :func:`crmlab.transactions.purchases`):
        ``first_purchase``, ``last_purchase``
        (datetime), ``recency_<unit>``, ``frequency`` (number of purchases:
        rows, each order its own purchase even when a customer ordered twice
        on one day — unlike :func:`crmlab.clv.summary`, which merges same-day
        purchases), ``monetary`` (total amount). ``attrs["rfm"]`` records the analysis
        date (``as_of``), window, unit and definitions.

    Raises
    ------
    CrmlabInputError
        Missing or misnamed columns, an empty log, amounts that are missing,
        not numbers or negative, times that are missing, not dates or carry
        time zones, an analysis date that is not a date.

    Examples
    --------
    >>> import pandas as pd
    >>> log = pd.DataFrame({"customer_id": ["a", "a", "b"],
    ...                     "order_ts": ["2025-12-01", "2025-12-30 18:00:00", "2026-01-03"],
    ...                     "revenue": [100.0, 50.0, 20.0]})
    >>> rfm = rfm_table(log, as_of="2026-01-01", time_unit="weeks")
    rfm_table: set aside 1 purchases on or after as_of 2026-01-01
    >>> rfm[["recency_weeks", "frequency", "monetary"]].round(3)
                 recency_weeks  frequency  monetary
    customer_id                                    
    a                    0.286          2     150.0
    """
    frame_check(transactions, "transactions")
    require_option(time_unit, RECENCY_UNITS, name="time_unit")
    require_columns(transactions.columns, [customer_col, time_col, amount_col], table="transactions")
    end = as_date(as_of, name="as_of")
    first = None if start is None else as_date(start, name="start")
    if first is not None and first >= end:
        raise CrmlabInputError(f"start ({first.date()}) must be before as_of ({end.date()}).")
    ts = datetime_column(transactions[time_col], column=time_col, table="transactions")
    money = amount_column(transactions[amount_col], column=amount_col, table="transactions")

    customers = transactions[customer_col]
    keep, set_aside = in_window(ts, customers, end=end, start=first)
    if not keep.any():
        raise CrmlabInputError(
            f"rfm_table: no purchase with a customer id falls in the window "
            f"{first.date() if first is not None else 'start of data'} to {end.date()} (exclusive); the data run from "
            f"{ts.min()} to {ts.max()}. Choose an as_of date after the purchases.")
    # Text held by pyarrow is compared where it is held, not as millions of Python strings.
    ids = (customers.array if isinstance(customers.dtype, pd.StringDtype) else customers.to_numpy())[keep]
    stamps, amounts = ts.to_numpy()[keep], money.to_numpy()[keep]
    # Each customer's purchases as one run of rows. purchases() returns them sorted by customer, so the
    # runs are there already and millions of text ids need no hashing: if the runs' ids increase, no
    # customer comes back later. Otherwise factorise all ids and sort first.
    starts = runs(ids)
    run_ids = ids[starts]
    if not (compare(operator.gt, run_ids[1:], run_ids[:-1]).all() or pd.Index(run_ids).is_unique):
        order = np.argsort(pd.factorize(ids)[0], kind="stable")
        ids, stamps, amounts = ids[order], stamps[order], amounts[order]
        starts = runs(ids)
    # From plain values, as before: the index holds text as pandas infers it, whatever held the column.
    index = pd.Index(np.asarray(ids[starts]), name=customer_col)
    ticks = stamps.view("int64")
    totals = pd.DataFrame({
        "first_purchase": np.minimum.reduceat(ticks, starts).view(stamps.dtype),
        "last_purchase": np.maximum.reduceat(ticks, starts).view(stamps.dtype),
        "frequency": np.diff(np.r_[starts, len(ids)]),
        "monetary": np.add.reduceat(amounts, starts),
    }, index=index)
    out = rfm_from_totals(totals, as_of=end, start=first, time_unit=time_unit, amount_col=amount_col)
    return report_set_aside(out, set_aside, what="rfm_table", verbose=verbose)


def rfm_from_orders(orders: pd.DataFrame, order_lines: pd.DataFrame, *, as_of, returns: str = "exclude",
                    value: str = "revenue", time_unit: str = "days", start=None, verbose: bool = True) -> pd.DataFrame:
    """RFM of the sample company's customers from orders and order lines.

    The purchases come from :func:`crmlab.transactions.purchases`, the kit's
    one rule for returns and cancellations: a cancelled order is never a
    purchase; a returned order is set aside (``returns="exclude"``) or counts
    as a purchase worth 0 (``returns="zero"``). What was set aside is printed
    and kept in ``result.attrs["set_aside"]``.

    Parameters
    ----------
    orders, order_lines : DataFrame
        As ``load_data("orders")`` and ``load_data("order_lines")``.
    as_of, time_unit, start, verbose
        As in :func:`rfm_table`.
    returns : {"exclude", "zero"}, default "exclude"
        Rule for returned orders, passed to ``purchases``.
    value : {"revenue", "margin"}, default "revenue"
        What monetary value sums: revenue (实付金额) or margin (毛利).

    Returns
    -------
    DataFrame
        As :func:`rfm_table`, indexed by ``customer_id``.

    Examples
    --------
    >>> from crmlab.datasets import load_data
    >>> rfm = rfm_from_orders(load_data("orders"), load_data("order_lines"),
    ...                       as_of="2026-01-01")   # doctest: +ELLIPSIS
    purchases: set aside 1 512 cancelled orders, 1 955 returned orders
    >>> rfm.columns.tolist()
    ['first_purchase', 'last_purchase', 'recency_days', 'frequency', 'monetary']
    """
    from crmlab.transactions import purchases

    require_option(value, ("revenue", "margin"), name="value")  # 实付金额 or 毛利
    bought = purchases(orders, order_lines, returns=returns, verbose=verbose)
    if value == "margin":
        # Margin can be negative (a discount larger than the margin); RFM needs amounts >= 0.
        negative = bought["margin"] < 0
        bought = bought.assign(margin=bought["margin"].clip(lower=0))
    out = rfm_table(bought, as_of=as_of, amount_col=value, time_unit=time_unit, start=start, verbose=verbose)
    out.attrs["rfm"]["returns"] = f"purchases(returns={returns!r})"
    counts = {**bought.attrs.get("set_aside", {}), **out.attrs.get("set_aside", {})}
    if value == "margin":
        out.attrs["rfm"]["monetary"] = "total margin in the window, loss-making purchases counted as 0"
        out.attrs["rfm"]["loss_making_purchases"] = int(negative.sum())
        if verbose and negative.any():
            print(f"rfm_from_orders: {int(negative.sum()):,} loss-making purchases kept with margin 0".replace(",", " "))
    out.attrs["set_aside"] = {k: v for k, v in counts.items() if v}
    return out


# ---------------------------------------------------------------- scores

def rfm_scores(rfm: pd.DataFrame, *, q: int = 5, cutoffs: dict | None = None) -> pd.DataFrame:
    """Score R, F and M from 1 (worst) to ``q`` (best) by quantiles or fixed cut-offs (RFM打分).

    Parameters
    ----------
    rfm : DataFrame
        The result of :func:`rfm_table` (columns ``recency_<unit>``,
        ``frequency``, ``monetary``).
    q : int, default 5
        Number of scores of the quantile rule (五分位数: quintiles), 2 to 9.

        **Quantile rule and ties.** A customer's score is fixed by the share
        of customers who are strictly worse on that measure:
        ``score = 1 + floor(q x (number strictly worse) / n)``, where worse
        means a smaller frequency or monetary value, or a *longer* recency.
        Customers with equal values therefore always get the same score, and
        a value shared by many customers (most customers buy once) takes one
        score: some scores may then be left empty (e.g. frequency scores 1,
        4, 5). With no ties, each score holds n / q customers.
    cutoffs : dict, optional
        Fixed cut-offs (固定分界点) for some or all of ``"recency"``,
        ``"frequency"``, ``"monetary"``: an increasing list of k numbers
        (1 <= k <= 8) makes scores 1 ... k + 1. For frequency and monetary a value equal
        to a cut-off earns the higher score ("at least"); for recency (in the
        table's time unit) it earns the higher score too ("at most ... ago").
        With ``{"recency": [30, 90, 180, 365]}``: recency <= 30 days scores 5,
        31-90 scores 4, ..., over 365 scores 1; with
        ``{"frequency": [2, 3, 5, 10]}``: one purchase scores 1, two score 2,
        3-4 score 3, 5-9 score 4, 10 or more score 5. Measures without
        cut-offs are scored by the quantile rule.

    Returns
    -------
    DataFrame
        ``rfm`` with ``r_score``, ``f_score``, ``m_score`` (int) and
        ``rfm_cell`` (text such as ``"545"``); ``attrs["rfm_scores"]``
        records the rule of each measure.

    Examples
    --------
    >>> import pandas as pd
    >>> rfm = pd.DataFrame({"recency_days": [5, 40, 40, 200, 400],
    ...                     "frequency": [1, 1, 1, 2, 3],
    ...                     "monetary": [10.0, 20.0, 30.0, 40.0, 50.0]})
    >>> rfm_scores(rfm)[["r_score", "f_score", "m_score"]].values.tolist()
    [[5, 1, 1], [3, 1, 2], [3, 1, 3], [2, 4, 4], [1, 5, 5]]
    >>> rfm_scores(rfm, cutoffs={"recency": [30, 90, 180, 365]})["r_score"].tolist()
    [5, 4, 4, 2, 1]
    """
    recency = _recency_column(rfm)
    require_columns(rfm.columns, ["frequency", "monetary"], table="rfm")
    require_nonempty(rfm, table="rfm")
    if isinstance(q, bool) or not isinstance(q, (int, np.integer)) or not 2 <= q <= 9:
        raise CrmlabInputError(f"q must be a whole number from 2 to 9, got {q!r}; e.g. q=5 for quintiles.")
    cutoffs = dict(cutoffs or {})
    unknown = set(cutoffs) - {"recency", "frequency", "monetary"}
    if unknown:
        raise CrmlabInputError(f"cutoffs has unknown key(s) {sorted(unknown)}; use 'recency', 'frequency', 'monetary'.")
    out = rfm.copy()
    rules = {}
    for letter, measure, column, lower_is_better in (("r", "recency", recency, True),
                                                     ("f", "frequency", "frequency", False),
                                                     ("m", "monetary", "monetary", False)):
        x = pd.to_numeric(rfm[column], errors="coerce")
        if x.isna().any():
            raise CrmlabInputError(f"rfm: column '{column}' has missing or non-numeric values "
                                   f"{describe_ids(rfm.index, x.isna())}.")
        if measure in cutoffs:
            cuts = _cuts(cutoffs[measure], measure)
            if lower_is_better:
                score = len(cuts) + 1 - np.searchsorted(cuts, x.to_numpy(), side="left")
            else:
                score = 1 + np.searchsorted(cuts, x.to_numpy(), side="right")
            rules[measure] = {"rule": "cutoffs", "cutoffs": cuts.tolist(), "scores": len(cuts) + 1}
        else:
            worse = x.rank(method="min", ascending=not lower_is_better).to_numpy().astype("int64") - 1
            score = 1 + (q * worse) // len(x)
            rules[measure] = {"rule": "quantiles", "q": q, "ties": "equal values get the same score"}
        out[f"{letter}_score"] = np.asarray(score, dtype="int64")
    # One digit per score (at most 9 scores), built as a number: text concatenation is slow for millions.
    out["rfm_cell"] = (out["r_score"] * 100 + out["f_score"] * 10 + out["m_score"]).astype(str)
    out.attrs["rfm_scores"] = rules
    return out


def _recency_column(rfm) -> str:
    frame_check(rfm, "rfm", fix="Make it with crmlab.rfm.rfm_table(...) or rfm_from_orders(...).")
    found = [c for c in rfm.columns if str(c) in {f"recency_{u}" for u in RECENCY_UNITS}]
    if len(found) != 1:
        raise CrmlabInputError(
            f"rfm needs exactly one recency column named with its unit ({', '.join(f'recency_{u}' for u in RECENCY_UNITS)}); "
            f"found {found or 'none'} among {list(map(str, rfm.columns))}. Make the table with rfm_table().")
    return found[0]


def _cuts(values, measure) -> np.ndarray:
    try:
        cuts = np.asarray(values, dtype=float).ravel()
    except (TypeError, ValueError):
        cuts = np.array([np.nan])
    if not 1 <= len(cuts) <= 8 or np.isnan(cuts).any() or (np.diff(cuts) <= 0).any():
        raise CrmlabInputError(f"cutoffs['{measure}'] must be 1 to 8 increasing numbers, got {values!r}; "
                               "e.g. {'recency': [30, 90, 180, 365]}.")
    return cuts


# ---------------------------------------------------------------- segments

def rfm_segments(scored: pd.DataFrame) -> pd.DataFrame:
    """The common 11-segment scheme: R score x FM score on a 5 x 5 grid.

    ``fm_score`` is the mean of the F and M scores rounded half up
    (``(f + m + 1) // 2``, so F 3 and M 4 give 4). The grid (row R score,
    column FM score), as in :data:`RFM_GRID`. A segment is a cell of scores,
    not a rule in days: *lost* (流失客户) means R score 1 and FM score 1 among
    these customers, not "no purchase for 180 days" (the churn rule of
    :func:`crmlab.retention.customer_lifetimes`).

    ====  ==============  ==================  ==============  =========  =========
    R     FM 1            FM 2                FM 3            FM 4       FM 5
    ====  ==============  ==================  ==============  =========  =========
    5     new_customers   potential_loyalist  loyal           champions  champions
    4     promising       potential_loyalist  loyal           champions  champions
    3     about_to_sleep  about_to_sleep      need_attention  loyal      loyal
    2     hibernating     hibernating         at_risk         at_risk    at_risk
    1     lost            hibernating         at_risk         cant_lose  cant_lose
    ====  ==============  ==================  ==============  =========  =========

    Parameters
    ----------
    scored : DataFrame
        The result of :func:`rfm_scores` with scores 1-5 (``q=5`` or four
        cut-offs per measure).

    Returns
    -------
    DataFrame
        ``scored`` with ``fm_score``, ``segment`` (ordered categorical, best
        first, keys of :data:`SEGMENTS`), ``segment_en`` and ``segment_zh``.

    Examples
    --------
    >>> import pandas as pd
    >>> s = pd.DataFrame({"r_score": [5, 1, 3], "f_score": [5, 4, 2], "m_score": [4, 5, 3]})
    >>> out = rfm_segments(s)
    >>> out["fm_score"].tolist(), out["segment"].tolist()
    ([5, 5, 3], ['champions', 'cant_lose', 'need_attention'])
    >>> out["segment_zh"].tolist()
    ['冠军客户', '不能失去的客户', '需要关注的客户']
    """
    require_columns(scored.columns, ["r_score", "f_score", "m_score"], table="scored rfm")
    levels = {m: r.get("q", r.get("scores")) for m, r in scored.attrs.get("rfm_scores", {}).items()}
    other = {m: n for m, n in levels.items() if n != 5}
    if other:
        raise CrmlabInputError(
            f"the 11-segment grid needs scores 1-5, but these measures were scored on another scale: {other}. "
            "Score with rfm_scores(rfm, q=5) or with four cut-offs per measure.")
    scores = scored[["r_score", "f_score", "m_score"]]
    bad = ~scores.isin([1, 2, 3, 4, 5]).all(axis=1)
    if bad.any():
        raise CrmlabInputError(
            f"the 11-segment grid needs scores 1-5; found others {describe_ids(scored.index, bad)}. "
            "Score with rfm_scores(rfm, q=5) or with four cut-offs per measure.")
    out = scored.copy()
    out["fm_score"] = (scores["f_score"] + scores["m_score"] + 1) // 2
    keys = [s[0] for s in SEGMENTS]
    grid = pd.Index(keys).get_indexer(np.array(RFM_GRID, dtype=object).ravel()).reshape(5, 5)  # cells as codes
    codes = grid[scores["r_score"].to_numpy() - 1, out["fm_score"].to_numpy() - 1]
    out["segment"] = pd.Categorical.from_codes(codes, categories=keys, ordered=True)
    # Names taken by code from the few names: text made once, not once per customer.
    out["segment_en"] = pd.Index([s[1] for s in SEGMENTS]).take(codes)
    out["segment_zh"] = pd.Index([s[2] for s in SEGMENTS]).take(codes)
    return out


def rfm_classes(rfm: pd.DataFrame, *, split: str = "mean", on: str = "values") -> pd.DataFrame:
    """The 8 customer classes of Chinese courses (八类客户): R, F and M each high or low.

    Each measure is compared with its **mean** by default (or median) over the
    customers: R is *high* when the customer bought recently (recency at most
    the mean), F and M are high when at least the mean, so a value equal to
    the split point counts as high. (The value grids of :mod:`crmlab.value`
    split at the median by default, and there "high" means strictly above.)
    The eight combinations:

    ==  ==  ==  ===================  ======================
    R   F   M   class                English
    ==  ==  ==  ===================  ======================
    高  高  高  重要价值客户         important value
    高  低  高  重要发展客户         important to develop
    低  高  高  重要保持客户         important to retain
    低  低  高  重要挽留客户         important to win back
    高  高  低  一般价值客户         general value
    高  低  低  一般发展客户         general to develop
    低  高  低  一般保持客户         general to retain
    低  低  低  一般挽留客户         general to win back
    ==  ==  ==  ===================  ======================

    Parameters
    ----------
    rfm : DataFrame
        The result of :func:`rfm_table` (or of :func:`rfm_scores` with
        ``on="scores"``).
    split : {"mean", "median"} or dict, default "mean"
        Where each measure is split (the courses use the mean; the median
        resists a few huge spenders), or the split points themselves, e.g.
        ``{"recency": 180, "frequency": 3, "monetary": 1000}`` (keys
        ``"recency"``, ``"frequency"``, ``"monetary"``, in the units of the
        columns split).
    on : {"values", "scores"}, default "values"
        Split the raw values (recency, frequency, monetary) or the scores
        ``r_score``, ``f_score``, ``m_score`` (a high score is good on all three).

    Returns
    -------
    DataFrame
        ``rfm`` with ``r_high``, ``f_high``, ``m_high`` (bool), ``rfm_class``
        (ordered categorical, keys of :data:`CLASSES`), ``rfm_class_en`` and
        ``rfm_class_zh``; ``attrs["rfm_classes"]`` holds the split points.

    Examples
    --------
    >>> import pandas as pd
    >>> rfm = pd.DataFrame({"recency_days": [10, 10, 300, 300],
    ...                     "frequency": [5, 1, 5, 1], "monetary": [900.0, 100.0, 900.0, 100.0]})
    >>> rfm_classes(rfm)["rfm_class_zh"].tolist()
    ['重要价值客户', '一般发展客户', '重要保持客户', '一般挽留客户']
    """
    given = dict(split) if isinstance(split, dict) else None
    if given is None and split not in ("mean", "median"):
        raise CrmlabInputError(f"split={split!r}: use 'mean', 'median' or a dict of split points, "
                               "e.g. {'recency': 180, 'frequency': 3, 'monetary': 1000}.")
    if given is not None and (set(given) != {"recency", "frequency", "monetary"}
                              or not all(isinstance(v, (int, float, np.number)) and not isinstance(v, bool)
                                         and np.isfinite(v) for v in given.values())):
        raise CrmlabInputError(f"split={split!r}: give a number for each of 'recency', 'frequency' and 'monetary'.")
    require_option(on, ("values", "scores"), name="on",
                   fix="'values': recency, frequency, monetary; 'scores': r_score, f_score, m_score.")
    if on == "values":
        columns = [_recency_column(rfm), "frequency", "monetary"]
    else:
        columns = ["r_score", "f_score", "m_score"]
    require_columns(rfm.columns, columns, table="rfm")
    require_nonempty(rfm, table="rfm")
    out = rfm.copy()
    points = {}
    for letter, measure, column in zip("rfm", ("recency", "frequency", "monetary"), columns):
        x = pd.to_numeric(rfm[column], errors="coerce")
        if x.isna().any():
            raise CrmlabInputError(f"rfm: column '{column}' has missing or non-numeric values "
                                   f"{describe_ids(rfm.index, x.isna())}.")
        point = float(given[measure] if given else x.mean() if split == "mean" else x.median())
        points[column] = point
        lower_is_better = letter == "r" and on == "values"
        out[f"{letter}_high"] = (x <= point) if lower_is_better else (x >= point)
    key = out["r_high"].to_numpy() * 4 + out["f_high"].to_numpy() * 2 + out["m_high"].to_numpy() * 1
    lookup = {r * 4 + f * 2 + m: i for i, (_, _, _, r, f, m) in enumerate(CLASSES)}
    codes = np.array([lookup[k] for k in range(8)])[key]
    out["rfm_class"] = pd.Categorical.from_codes(codes, categories=[c[0] for c in CLASSES], ordered=True)
    out["rfm_class_en"] = pd.Index([c[1] for c in CLASSES]).take(codes)  # as rfm_segments' names
    out["rfm_class_zh"] = pd.Index([c[2] for c in CLASSES]).take(codes)
    out.attrs["rfm_classes"] = {"split": "given" if given else split, "on": on, "points": points}
    return out


def rfm_summary(frame: pd.DataFrame, *, by: str = "segment") -> pd.DataFrame:
    """Size and average recency, frequency and monetary value of each group (各类客户特征).

    Parameters
    ----------
    frame : DataFrame
        The result of :func:`rfm_segments`, :func:`rfm_classes` or any RFM
        table with a group column.
    by : str, default "segment"
        The group column, e.g. ``"segment"``, ``"rfm_class"``, ``"rfm_cell"``.

    Returns
    -------
    DataFrame
        One row per group (empty groups of a categorical included): the
        group's Chinese name where known (``name_zh``), ``customers``,
        ``share_customers``, the mean recency, frequency and monetary value,
        ``monetary_total`` and ``share_monetary`` (share of all monetary value).

    Examples
    --------
    >>> import pandas as pd
    >>> rfm = pd.DataFrame({"recency_days": [10, 10, 300, 300],
    ...                     "frequency": [5, 1, 5, 1], "monetary": [900.0, 100.0, 900.0, 100.0]})
    >>> rfm_summary(rfm_classes(rfm), by="rfm_class")["customers"].tolist()
    [1, 0, 1, 0, 0, 1, 0, 1]
    """
    recency = _recency_column(frame)
    require_columns(frame.columns, [by, "frequency", "monetary"], table="rfm")
    require_nonempty(frame, table="rfm")
    groups = frame.groupby(by, observed=False, sort=True)
    out = pd.DataFrame({"customers": groups.size()})
    out["share_customers"] = out["customers"] / out["customers"].sum()
    for column in (recency, "frequency", "monetary"):
        out[f"mean_{column}"] = groups[column].mean()
    out["monetary_total"] = groups["monetary"].sum()
    out["share_monetary"] = out["monetary_total"] / out["monetary_total"].sum()
    names = {s[0]: s[2] for s in SEGMENTS} | {c[0]: c[2] for c in CLASSES}
    if all(str(g) in names for g in out.index):
        out.insert(0, "name_zh", [names[str(g)] for g in out.index])
    return out


def rfm_from_totals(totals: pd.DataFrame, *, as_of, start=None, time_unit: str = "days",
                    amount_col: str = "revenue") -> pd.DataFrame:
    """The RFM table from each customer's purchase totals computed elsewhere.

    What :func:`rfm_table` does after adding up, for totals added up by SQL in
    a database (:mod:`crmlab.engines`) on data too large for pandas: recency
    from the last purchase, and the record of the definitions in ``attrs``.

    Parameters
    ----------
    totals : DataFrame
        Indexed by customer id; columns ``first_purchase``, ``last_purchase``
        (datetime), ``frequency`` (purchases in the window) and ``monetary``
        (their total), over the purchases in [``start``, ``as_of``).
    as_of, start, time_unit
        As in :func:`rfm_table`.
    amount_col : str, default "revenue"
        What ``monetary`` totals, for the record in ``attrs["rfm"]``.

    Returns
    -------
    DataFrame
        As :func:`rfm_table`.

    Examples
    --------
    >>> totals = pd.DataFrame({"first_purchase": pd.to_datetime(["2025-12-01 10:00", "2025-06-01 09:30"]),
    ...                        "last_purchase": pd.to_datetime(["2025-12-30 18:00", "2025-06-01 09:30"]),
    ...                        "frequency": [2, 1], "monetary": [150.0, 20.0]},
    ...                       index=pd.Index(["a", "b"], name="customer_id"))
    >>> rfm_from_totals(totals, as_of="2026-01-01")[["recency_days", "frequency", "monetary"]]
                 recency_days  frequency  monetary
    customer_id                                   
    a                       2          2     150.0
    b                     214          1      20.0
    """
    require_option(time_unit, RECENCY_UNITS, name="time_unit")
    require_columns(totals.columns, ["first_purchase", "last_purchase", "frequency", "monetary"], table="totals")
    end = as_date(as_of, name="as_of")
    first = None if start is None else as_date(start, name="start")
    last = totals["last_purchase"].to_numpy()
    days = (end.to_datetime64().astype("datetime64[D]") - last.astype("datetime64[D]")).astype("int64")
    out = pd.DataFrame({
        "first_purchase": totals["first_purchase"].to_numpy(),
        "last_purchase": last,
        f"recency_{time_unit}": days if time_unit == "days" else days / TIME_UNITS[time_unit],
        "frequency": totals["frequency"].to_numpy(),
        "monetary": totals["monetary"].to_numpy(),
    }, index=totals.index)
    out.attrs["rfm"] = {
        "as_of": str(end.date()), "start": None if first is None else str(first.date()),
        "time_unit": time_unit,
        "recency": "calendar days from the day of the last purchase to as_of"
                   + ("" if time_unit == "days" else f", divided by {TIME_UNITS[time_unit]:g}"),
        "frequency": "number of purchases (rows) in the window",
        "monetary": f"total of '{amount_col}' in the window",
    }
    return out
