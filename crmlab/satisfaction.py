"""Customer satisfaction (客户满意): the index c = b / a, SERVQUAL, importance–performance, NPS.

The textbook measures satisfaction as the ratio of what a customer
experienced to what the customer expected, **c = b / a** (客户满意度 c,
感知的实际体验 b, 期望值 a), and reads it in three levels: dissatisfied
(不满意, c < 1), satisfied (满意, c = 1) and highly satisfied (高度满意,
c > 1). Service quality is measured with **SERVQUAL** (服务质量差距模型,
Parasuraman, Zeithaml & Berry 1988): 22 items, each asked twice — what an
excellent company should do (expectation 期望) and what this company does
(perception 感知) — grouped in five dimensions (维度):

====================  =========  ======
dimension             中文        items
====================  =========  ======
tangibles             有形性      1–4
reliability           可靠性      5–9
responsiveness        响应性      10–13
assurance             保证性      14–17
empathy               移情性      18–22
====================  =========  ======

The gap (差距) is perception − expectation; negative means the company falls
short. Stated importance points (重要性, 100 points shared over the five
dimensions) weight the gaps. Cronbach's alpha (克朗巴哈系数) checks that the
items of a dimension measure one thing; the importance–performance analysis
(重要性—绩效分析, IPA) says where to act; the Net Promoter Score (净推荐值,
NPS) summarises the recommend question, with the uncertainty of a sample.

Every function takes the survey as a DataFrame with the columns of
``load_data("survey")`` (names can be changed by keyword), rejects answers
outside the scale with a message naming the column and rows, and sets aside
(counts, prints, keeps in ``attrs["set_aside"]``) rows with missing answers.

Examples
--------
>>> from crmlab.datasets import load_data
>>> survey = load_data("survey")
>>> idx = satisfaction_index(survey)
>>> idx["level"].value_counts().index.tolist()
['satisfied', 'highly_satisfied', 'dissatisfied']
>>> servqual_gaps(survey).loc["reliability", "gap"].round(2)
np.float64(-1.0)
"""
from __future__ import annotations

import difflib

import numpy as np
import pandas as pd

from crmlab.validation import (CrmlabInputError, answers, describe_rows, frame_check, id_columns, report_set_aside,
                               require_columns, require_option, scale_pair)
from crmlab._intervals import wilson_interval, z_value
from crmlab.datasets.schema import SAT_LEVELS, SERVQUAL_DIMENSIONS

__all__ = [
    "LEVEL_LABELS", "DIMENSION_LABELS", "QUADRANT_LABELS", "NPS_GROUPS",
    "satisfaction_index", "satisfaction_summary", "weighted_index",
    "servqual_scores", "servqual_gaps", "cronbach_alpha", "servqual_reliability",
    "importance_performance", "promoter_groups", "net_promoter_score",
]

#: The three satisfaction levels (满意水平), in order, with bilingual labels.
LEVEL_LABELS = {"dissatisfied": "不满意 dissatisfied", "satisfied": "满意 satisfied",
                "highly_satisfied": "高度满意 highly satisfied"}
#: The five SERVQUAL dimensions with bilingual labels (items: ``SERVQUAL_DIMENSIONS``).
DIMENSION_LABELS = {"tangibles": "有形性 tangibles", "reliability": "可靠性 reliability",
                    "responsiveness": "响应性 responsiveness", "assurance": "保证性 assurance",
                    "empathy": "移情性 empathy"}
#: The four quadrants of the importance–performance grid (Martilla & James 1977).
QUADRANT_LABELS = {"concentrate_here": "重点改进 concentrate here",
                   "keep_up_the_good_work": "继续保持 keep up the good work",
                   "low_priority": "低优先 low priority",
                   "possible_overkill": "过度投入 possible overkill"}
#: The three NPS groups (推荐者 / 被动者 / 贬损者).
NPS_GROUPS = ("detractor", "passive", "promoter")

# -- SERVQUAL dimensions and weights --------------------------------------------------------------

def _dimensions(dimensions) -> list[str]:
    known = list(SERVQUAL_DIMENSIONS)
    if dimensions is None:
        return known
    if isinstance(dimensions, str):
        dimensions = [dimensions]
    dims = list(dimensions)
    for d in dims:
        if d not in known:
            close = difflib.get_close_matches(str(d), known, n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            raise CrmlabInputError(f"unknown SERVQUAL dimension {d!r}{hint}. The dimensions are {known}.")
    if not dims or len(set(dims)) != len(dims):
        raise CrmlabInputError(f"dimensions={dimensions!r} must name each dimension once, e.g. {known[:2]}.")
    return dims


def _items(dimension: str, kind: str) -> list[str]:
    return [f"{kind}_{i:02d}" for i in SERVQUAL_DIMENSIONS[dimension]]


def _fixed_weights(weights: dict, dims: list[str], what: str) -> pd.Series:
    w = pd.Series(weights, dtype="object")
    unknown = [k for k in w.index if k not in dims]
    if unknown:
        close = difflib.get_close_matches(str(unknown[0]), dims, n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        raise CrmlabInputError(f"{what} names unknown dimension(s) {unknown}{hint}; use {dims}.")
    missing = [d for d in dims if d not in w.index]
    if missing:
        raise CrmlabInputError(f"{what} gives no weight for {missing}; give one number per dimension of {dims}.")
    w = pd.to_numeric(w[dims], errors="coerce")
    if w.isna().any() or (w < 0).any() or w.sum() <= 0:
        raise CrmlabInputError(f"{what} must be numbers >= 0 with a positive sum, got {dict(weights)}.")
    return w.astype(float) / w.sum()


def mean_ci(values, confidence: float = 0.95):
    """Mean and Student-t interval along the first axis (NaN ignored; no interval below 2 values)."""
    from scipy.stats import t

    z_value(confidence)  # checks the argument
    x = np.asarray(values, dtype=float)
    n = np.sum(~np.isnan(x), axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.nansum(x, axis=0) / n
        sd = np.sqrt(np.nansum((x - mean) ** 2, axis=0) / (n - 1))
        half = t.ppf(0.5 + confidence / 2, np.maximum(n - 1, 1)) * sd / np.sqrt(n)
    return mean, mean - half, mean + half


# -- the satisfaction index c = b / a -------------------------------------------------------------

def satisfaction_index(survey: pd.DataFrame, *, expectation: str = "overall_expectation",
                       perception: str = "overall_perception", scale=(1, 10), tolerance: float = 0.05,
                       verbose: bool = True) -> pd.DataFrame:
    """The satisfaction index c = b / a of each respondent and its level (客户满意度与满意水平).

    Parameters
    ----------
    survey : DataFrame
        One row per respondent, with the overall expectation *a* and the
        overall perception *b* (``load_data("survey")``).
    expectation, perception : str
        Columns holding *a* (期望值) and *b* (感知的实际体验).
    scale : (low, high), default (1, 10)
        The answer scale of both questions; *low* must be > 0 so that c is defined.
    tolerance : float, default 0.05
        The textbook's cut-offs are c < 1 dissatisfied (不满意), c = 1
        satisfied (满意), c > 1 highly satisfied (高度满意). Answers are
        whole numbers, so "c = 1" is read as ``|c - 1| <= tolerance``. On a
        1–10 scale the ratios nearest to 1 are 9/10 and 10/9, so any
        tolerance below 0.1 gives exactly the textbook rule (b = a).
    verbose : bool, default True
        Print one line saying which rows were set aside.

    Returns
    -------
    DataFrame
        Same index as ``survey`` (rows without *a* or *b* set aside and
        counted in ``attrs["set_aside"]``): ``response_id`` and
        ``customer_id`` when present, ``a``, ``b``, ``c`` (= b / a) and
        ``level`` (categorical: dissatisfied < satisfied < highly_satisfied).

    Examples
    --------
    >>> import pandas as pd
    >>> s = pd.DataFrame({"overall_expectation": [8, 6, 5], "overall_perception": [6, 6, 7]})
    >>> satisfaction_index(s)[["c", "level"]].round(2)
          c             level
    0  0.75      dissatisfied
    1  1.00         satisfied
    2  1.40  highly_satisfied
    """
    frame_check(survey, "survey")
    lo, _ = scale_pair(scale)
    if lo <= 0:
        raise CrmlabInputError(f"scale={scale!r} includes 0 or less; c = b / a needs an expectation a > 0.")
    if not isinstance(tolerance, (int, float)) or not 0 <= tolerance < 1:
        raise CrmlabInputError(f"tolerance={tolerance!r} must be a number from 0 up to (not including) 1.")
    values, missing = answers(survey, [expectation, perception], scale=scale)
    kept = ~missing
    out = id_columns(survey, kept)
    out["a"] = values.loc[kept, expectation]
    out["b"] = values.loc[kept, perception]
    out["c"] = out["b"] / out["a"]
    level = np.select([out["c"] < 1 - tolerance, out["c"] > 1 + tolerance], ["dissatisfied", "highly_satisfied"],
                      "satisfied")
    out["level"] = pd.Categorical(level, categories=SAT_LEVELS, ordered=True)
    return report_set_aside(out, {"rows without an answer for a or b": missing.sum()},
                            what="satisfaction_index", verbose=verbose)


def satisfaction_summary(index: pd.DataFrame, *, confidence: float = 0.95) -> pd.DataFrame:
    """Shares of the three levels and the mean index, with confidence intervals (满意度汇总).

    Parameters
    ----------
    index : DataFrame
        The result of :func:`satisfaction_index` (columns ``a``, ``b``, ``c``, ``level``).
    confidence : float, default 0.95
        Level of the intervals: Wilson for shares, Student t for the mean of c.

    Returns
    -------
    DataFrame
        One row per level and a last row ``overall``; columns ``n``,
        ``share`` (of respondents) with ``share_low``/``share_high``,
        ``a_mean``, ``b_mean``, ``c_mean`` (mean of the individual c) with
        ``c_low``/``c_high``, and ``c_ratio`` = ``b_mean / a_mean`` (the
        index of the group as a whole: mean perception over mean expectation).

        Intervals only where a sample leaves something uncertain: the
        ``overall`` share is 100 % by definition, so it has none (NaN); and
        a level whose c does not vary has its c fixed by the level's
        definition — the satisfied level (满意) on whole-number answers,
        where c = 1 means b = a (see :func:`satisfaction_index`) — so its
        ``c_low``/``c_high`` are NaN too.

    Examples
    --------
    >>> import pandas as pd
    >>> s = pd.DataFrame({"overall_expectation": [8, 6, 5, 5], "overall_perception": [6, 6, 7, 5]})
    >>> summary = satisfaction_summary(satisfaction_index(s))
    >>> summary.loc["overall", ["n", "c_mean", "c_ratio"]].round(3).tolist()
    [4.0, 1.038, 1.0]
    >>> summary.loc["overall", ["share", "share_low"]].tolist(), summary.loc["satisfied", ["c_mean", "c_low"]].tolist()
    ([1.0, nan], [1.0, nan])
    """
    frame_check(index, "index")
    require_columns(index.columns, ["a", "b", "c", "level"], table="index")
    z_value(confidence)
    groups = [(lvl, index["level"] == lvl) for lvl in SAT_LEVELS] + [("overall", pd.Series(True, index=index.index))]
    rows = []
    for name, mask in groups:  # four groups, not data rows
        sub = index[mask]
        c_mean, c_low, c_high = mean_ci(sub["c"], confidence)
        if sub["c"].nunique() == 1:  # c fixed by the level's definition (b = a): nothing to estimate
            c_low = c_high = np.nan
        rows.append({"n": len(sub), "a_mean": sub["a"].mean(), "b_mean": sub["b"].mean(),
                     "c_mean": c_mean, "c_low": c_low, "c_high": c_high})
    out = pd.DataFrame(rows, index=pd.Index([g for g, _ in groups], name="level"))
    out.insert(1, "share", out["n"] / len(index))
    low, high = wilson_interval(out["n"], len(index), confidence=confidence)
    out.insert(2, "share_low", low)
    out.insert(3, "share_high", high)
    out.loc["overall", ["share_low", "share_high"]] = np.nan  # 100 % by definition
    out["c_ratio"] = out["b_mean"] / out["a_mean"]
    return out


def weighted_index(frame: pd.DataFrame, weights: dict, *, scale=(1, 7), verbose: bool = True) -> pd.DataFrame:
    """A weighted satisfaction index on 0–100 (加权满意度指数, like a CSI).

    Each indicator (a column: a perception score, overall satisfaction, ...)
    is rescaled to 0–100 on its answer scale and the results are averaged
    with the given weights: ``index = sum_i w_i * 100 * (x_i - low_i) /
    (high_i - low_i) / sum_i w_i``.

    Parameters
    ----------
    frame : DataFrame
        One row per respondent.
    weights : dict
        ``{column: weight}``; weights >= 0 with a positive sum (e.g. stated
        importance points). Only these columns enter the index.
    scale : (low, high) or dict, default (1, 7)
        The answer scale, the same for all columns or ``{column: (low, high)}``.
    verbose : bool, default True
        Print one line saying which rows were set aside.

    Returns
    -------
    DataFrame
        Id columns when present and ``index`` (0 = every indicator at the
        bottom of its scale, 100 = all at the top); rows with a missing
        indicator are set aside (``attrs["set_aside"]``).

    Examples
    --------
    >>> import pandas as pd
    >>> f = pd.DataFrame({"quality": [7, 4], "service": [1, 4]})
    >>> weighted_index(f, {"quality": 3, "service": 1})["index"].tolist()
    [75.0, 50.0]
    """
    frame_check(frame, "frame")
    if not isinstance(weights, dict) or not weights:
        raise CrmlabInputError("weights must be a dict {column: weight}, e.g. {'per_reliability': 32, 'per_empathy': 16}.")
    cols = list(weights)
    w = pd.to_numeric(pd.Series(weights, dtype="object"), errors="coerce")
    if w.isna().any() or (w < 0).any() or w.sum() <= 0:
        raise CrmlabInputError(f"weights must be numbers >= 0 with a positive sum, got {weights}.")
    scales = scale if isinstance(scale, dict) else {c: scale for c in cols}
    missing_scale = [c for c in cols if c not in scales]
    if missing_scale:
        raise CrmlabInputError(f"scale gives no (low, high) for {missing_scale}; give one for every weighted column.")
    require_columns(frame.columns, cols, table="frame")
    parts, missing = [], pd.Series(False, index=frame.index)
    for col in cols:  # a handful of indicator columns
        values, miss = answers(frame, [col], scale=scales[col], table="frame")
        lo, hi = scale_pair(scales[col])
        parts.append((values[col] - lo) / (hi - lo) * 100 * float(w[col]))
        missing |= miss
    out = id_columns(frame, ~missing)
    out["index"] = (sum(parts) / float(w.sum()))[~missing]
    return report_set_aside(out, {"rows with a missing indicator": missing.sum()}, what="weighted_index",
                            verbose=verbose)


# -- SERVQUAL -------------------------------------------------------------------------------------

def servqual_scores(survey: pd.DataFrame, *, weights="stated", dimensions=None, scale=(1, 7),
                    importance_prefix: str = "imp_", verbose: bool = True) -> pd.DataFrame:
    """Each respondent's SERVQUAL scores by dimension, unweighted and weighted (SERVQUAL 得分).

    Parameters
    ----------
    survey : DataFrame
        Expectation items ``exp_01`` ... ``exp_22`` and perception items
        ``per_01`` ... ``per_22`` (the items of the chosen dimensions), and for
        ``weights="stated"`` the importance points ``imp_<dimension>``.
    weights : "stated", None or dict, default "stated"
        How the dimensions are weighted in ``weighted_servqual``:

        - ``"stated"``: each respondent's own importance points (重要性),
          divided by their sum over the chosen dimensions;
        - ``None``: equal weights;
        - ``{dimension: weight}``: the same weights for everybody (e.g. an
          instructor's choice), normalised to sum to 1.
    dimensions : list of str, optional
        A subset of ``tangibles``, ``reliability``, ``responsiveness``,
        ``assurance``, ``empathy`` (default: all five).
    scale : (low, high), default (1, 7)
        The answer scale of the 44 items.
    importance_prefix : str, default "imp_"
        Prefix of the importance columns.
    verbose : bool, default True
        Print one line saying which rows were set aside.

    Returns
    -------
    DataFrame
        Id columns when present; per dimension *d*: ``exp_<d>`` and
        ``per_<d>`` (mean of its items), ``gap_<d>`` = ``per_<d> - exp_<d>``
        and ``weight_<d>`` (sums to 1 over the dimensions); ``servqual``, the
        unweighted SERVQUAL score (mean of the dimension gaps), and
        ``weighted_servqual`` = sum of ``weight_<d> * gap_<d>``. Rows with a
        missing item or importance answer (or importance points summing to
        0) are set aside and counted.

    Examples
    --------
    >>> from crmlab.datasets import load_data
    >>> s = servqual_scores(load_data("survey"))
    >>> float(s["gap_reliability"].mean().round(2)), float(s["weight_reliability"].mean().round(2))
    (-1.0, 0.34)
    """
    frame_check(survey, "survey")
    dims = _dimensions(dimensions)
    items = {d: (_items(d, "exp"), _items(d, "per")) for d in dims}
    values, missing = answers(survey, [c for e, p in items.values() for c in (*e, *p)], scale=scale)
    counts = {"rows with a missing SERVQUAL answer": int(missing.sum())}
    if isinstance(weights, str) and weights == "stated":
        imp_cols = [f"{importance_prefix}{d}" for d in dims]
        require_columns(survey.columns, imp_cols, table="survey")
        points = survey[imp_cols].apply(pd.to_numeric, errors="coerce").astype("float64")
        negative = (points < 0).any(axis=1)
        if negative.any():
            raise CrmlabInputError(
                f"survey: importance points must be >= 0; they are not in {describe_rows(survey.index[negative])}. "
                "Fix these answers or leave them empty (the row is then set aside).")
        no_weight = (points.isna().any(axis=1) | (points.sum(axis=1) <= 0)) & ~missing
        counts["rows without usable importance points"] = int(no_weight.sum())
        missing = missing | no_weight
        w = points.div(points.sum(axis=1), axis=0).set_axis(dims, axis=1)
    elif weights is None:
        w = pd.DataFrame(1 / len(dims), index=survey.index, columns=dims)
    elif isinstance(weights, dict):
        fixed = _fixed_weights(weights, dims, "weights")
        w = pd.DataFrame(np.tile(fixed.to_numpy(), (len(survey), 1)), index=survey.index, columns=dims)
    else:
        raise CrmlabInputError(f"weights={weights!r}: use 'stated', None or a dict {{dimension: weight}}.")

    kept = ~missing
    out = id_columns(survey, kept)
    for d, (exp_cols, per_cols) in items.items():  # five dimensions
        out[f"exp_{d}"] = values.loc[kept, exp_cols].mean(axis=1)
        out[f"per_{d}"] = values.loc[kept, per_cols].mean(axis=1)
        out[f"gap_{d}"] = out[f"per_{d}"] - out[f"exp_{d}"]
        out[f"weight_{d}"] = w.loc[kept, d]
    gaps = out[[f"gap_{d}" for d in dims]].to_numpy()
    out["servqual"] = gaps.mean(axis=1)
    out["weighted_servqual"] = (gaps * out[[f"weight_{d}" for d in dims]].to_numpy()).sum(axis=1)
    return report_set_aside(out, counts, what="servqual_scores", verbose=verbose)


def servqual_gaps(survey: pd.DataFrame, *, by: str = "dimension", weights="stated", dimensions=None,
                  scale=(1, 7), confidence: float = 0.95, verbose: bool = True) -> pd.DataFrame:
    """The SERVQUAL gap table: expectation, perception and gap per dimension or item (服务质量差距表).

    Parameters
    ----------
    survey : DataFrame
        As for :func:`servqual_scores`.
    by : {"dimension", "item"}, default "dimension"
        One row per dimension (plus ``overall``), or one row per item.
    weights, dimensions, scale, verbose
        As for :func:`servqual_scores`.
    confidence : float, default 0.95
        Level of the Student-t intervals of the mean gaps (paired: each
        respondent's perception − expectation).

    Returns
    -------
    DataFrame
        ``by="dimension"``: index = dimension and a last row ``overall``;
        columns ``label`` (Chinese and English), ``items`` (number of
        items), ``n`` (respondents), ``expectation``, ``perception``,
        ``gap`` with ``gap_low``/``gap_high``, ``importance`` (mean weight,
        in % of the total), ``weighted_gap`` (mean of weight × gap; the
        dimensions' values add up to the overall weighted SERVQUAL score)
        with ``weighted_low``/``weighted_high``, and ``priority`` (1 = the
        most negative weighted gap, where improving pays most). In the
        ``overall`` row, ``gap`` is the unweighted SERVQUAL score (mean of
        the five dimension gaps).

        ``by="item"``: index = item number; columns ``dimension``,
        ``label``, ``expectation``, ``perception``, ``gap``, ``gap_low``,
        ``gap_high``.

    Examples
    --------
    >>> from crmlab.datasets import load_data
    >>> g = servqual_gaps(load_data("survey"))
    >>> g["gap"].idxmin()
    'reliability'
    """
    require_option(by, ("dimension", "item"), name="by")
    scores = servqual_scores(survey, weights=weights, dimensions=dimensions, scale=scale, verbose=verbose)
    dims = _dimensions(dimensions)
    z_value(confidence)
    if len(scores) == 0:
        raise CrmlabInputError("servqual_gaps: every row was set aside (missing answers); nothing is left to analyse.")
    if by == "item":
        kept = scores.index
        rows = []
        for d in dims:
            for i in SERVQUAL_DIMENSIONS[d]:  # 22 items
                e = pd.to_numeric(survey.loc[kept, f"exp_{i:02d}"]).astype(float)
                p = pd.to_numeric(survey.loc[kept, f"per_{i:02d}"]).astype(float)
                gap, low, high = mean_ci(p - e, confidence)
                rows.append({"item": i, "dimension": d, "label": DIMENSION_LABELS[d], "expectation": e.mean(),
                             "perception": p.mean(), "gap": gap, "gap_low": low, "gap_high": high})
        out = pd.DataFrame(rows).set_index("item")
        out.attrs["set_aside"] = scores.attrs.get("set_aside", {})
        return out
    gap_cols = [f"gap_{d}" for d in dims]
    wg = scores[gap_cols].to_numpy() * scores[[f"weight_{d}" for d in dims]].to_numpy()
    gap, gap_low, gap_high = mean_ci(scores[gap_cols].to_numpy(), confidence)
    wgap, w_low, w_high = mean_ci(wg, confidence)
    out = pd.DataFrame({
        "label": [DIMENSION_LABELS[d] for d in dims],
        "items": [len(SERVQUAL_DIMENSIONS[d]) for d in dims],
        "n": len(scores),
        "expectation": scores[[f"exp_{d}" for d in dims]].mean().to_numpy(),
        "perception": scores[[f"per_{d}" for d in dims]].mean().to_numpy(),
        "gap": gap, "gap_low": gap_low, "gap_high": gap_high,
        "importance": scores[[f"weight_{d}" for d in dims]].mean().to_numpy() * 100,
        "weighted_gap": wgap, "weighted_low": w_low, "weighted_high": w_high,
    }, index=pd.Index(dims, name="dimension"))
    out["priority"] = out["weighted_gap"].rank(method="first").astype(int)
    g_all = mean_ci(scores["servqual"], confidence)
    w_all = mean_ci(scores["weighted_servqual"], confidence)
    out.loc["overall"] = {
        "label": "总体 overall", "items": sum(out["items"]), "n": len(scores),
        "expectation": out["expectation"].mean(), "perception": out["perception"].mean(),
        "gap": g_all[0], "gap_low": g_all[1], "gap_high": g_all[2], "importance": 100.0,
        "weighted_gap": w_all[0], "weighted_low": w_all[1], "weighted_high": w_all[2], "priority": 0,
    }
    out[["items", "n", "priority"]] = out[["items", "n", "priority"]].astype(int)
    out.attrs["set_aside"] = scores.attrs.get("set_aside", {})
    return out


def cronbach_alpha(items: pd.DataFrame, *, verbose: bool = True) -> float:
    """Cronbach's alpha (克朗巴哈 α 系数): how consistently a set of items measures one thing.

    ``alpha = k / (k - 1) * (1 - sum of item variances / variance of the total score)``
    for k items (variances with ddof = 1). Rule of thumb: >= 0.7 acceptable,
    >= 0.8 good; below 0.6 the items hardly measure a common construct.

    Parameters
    ----------
    items : DataFrame
        One column per item, one row per respondent, numeric answers.
        Rows with a missing answer are set aside (listwise) and counted in a
        printed line.
    verbose : bool, default True
        Print that line.

    Returns
    -------
    float
        At most 1; negative when the items disagree more than chance would make them.

    Examples
    --------
    >>> import pandas as pd
    >>> x = pd.DataFrame({"q1": [1, 2, 3, 4, 5], "q2": [2, 2, 3, 4, 4], "q3": [1, 3, 3, 3, 5]})
    >>> round(cronbach_alpha(x), 4)    # = 27/29
    0.931
    """
    frame_check(items, "items")
    if items.shape[1] < 2:
        raise CrmlabInputError(f"Cronbach's alpha needs at least 2 item columns; got {list(items.columns)}.")
    items = items.set_axis([str(c) for c in items.columns], axis=1)
    values, missing = answers(items, list(items.columns), scale=(-np.inf, np.inf), table="items")
    complete = values[~missing]
    report_set_aside(complete, {"rows with a missing answer": missing.sum()}, what="cronbach_alpha", verbose=verbose)
    if len(complete) < 2:
        raise CrmlabInputError(f"Cronbach's alpha needs at least 2 complete rows; {len(complete)} left after setting "
                               "aside rows with missing answers.")
    k = complete.shape[1]
    total_var = complete.sum(axis=1).var(ddof=1)
    if total_var == 0:
        raise CrmlabInputError("every respondent has the same total score, so alpha is undefined "
                               "(no variation to explain). Check the items.")
    return float(k / (k - 1) * (1 - complete.var(ddof=1).sum() / total_var))


def servqual_reliability(survey: pd.DataFrame, *, dimensions=None, scale=(1, 7), verbose: bool = True) -> pd.DataFrame:
    """Cronbach's alpha of each SERVQUAL dimension, for expectations, perceptions and gaps (信度).

    Parameters
    ----------
    survey : DataFrame
        The 44 item columns of the chosen dimensions.
    dimensions, scale, verbose
        As for :func:`servqual_scores`.

    Returns
    -------
    DataFrame
        Index = dimension; columns ``label``, ``items``, ``n`` (complete
        respondents), ``alpha_expectation``, ``alpha_perception`` and
        ``alpha_gap`` (of the item gaps, the scores SERVQUAL averages).

    Examples
    --------
    >>> from crmlab.datasets import load_data
    >>> r = servqual_reliability(load_data("survey"))
    >>> bool((r["alpha_perception"] > 0.7).all())
    True
    """
    frame_check(survey, "survey")
    dims = _dimensions(dimensions)
    cols = [c for d in dims for c in (*_items(d, "exp"), *_items(d, "per"))]
    values, missing = answers(survey, cols, scale=scale)
    complete = values[~missing]
    report_set_aside(complete, {"rows with a missing SERVQUAL answer": missing.sum()}, what="servqual_reliability",
                     verbose=verbose)
    rows = []
    for d in dims:  # five dimensions
        e, p = complete[_items(d, "exp")], complete[_items(d, "per")]
        rows.append({"label": DIMENSION_LABELS[d], "items": e.shape[1], "n": len(complete),
                     "alpha_expectation": cronbach_alpha(e, verbose=False),
                     "alpha_perception": cronbach_alpha(p, verbose=False),
                     "alpha_gap": cronbach_alpha(pd.DataFrame(p.to_numpy() - e.to_numpy()), verbose=False)})
    out = pd.DataFrame(rows, index=pd.Index(dims, name="dimension"))
    out.attrs["set_aside"] = complete.attrs.get("set_aside", {})
    return out


# -- importance–performance analysis --------------------------------------------------------------

def importance_performance(survey: pd.DataFrame, *, importance="stated", outcome: str = "satisfaction",
                           dimensions=None, split="mean", scale=(1, 7), verbose: bool = True) -> pd.DataFrame:
    """Importance–performance analysis of the SERVQUAL dimensions (重要性—绩效分析, IPA).

    Each dimension is placed by how important it is and how well the company
    performs on it (mean perception); the grid lines split it into four
    quadrants (Martilla & James 1977): **concentrate here** (重点改进:
    important, performing poorly), **keep up the good work** (继续保持),
    **low priority** (低优先) and **possible overkill** (过度投入: good
    performance on something customers care little about).

    Parameters
    ----------
    survey : DataFrame
        As for :func:`servqual_scores`.
    importance : "stated", "derived" or dict, default "stated"
        ``"stated"``: mean importance points (% of 100); ``"derived"``:
        correlation of the dimension's perception with ``outcome`` over the
        respondents (what actually moves satisfaction); a dict
        ``{dimension: importance}`` to try other values.
    outcome : str, default "satisfaction"
        Column used for derived importance.
    dimensions, scale, verbose
        As for :func:`servqual_scores`.
    split : "mean", "median" or (importance, performance), default "mean"
        Where the grid lines go: the mean or median of the plotted points,
        or fixed values (e.g. the scale midpoint for performance).

    Returns
    -------
    DataFrame
        Index = dimension; columns ``label``, ``importance``,
        ``performance``, ``expectation``, ``gap``, ``importance_cut``,
        ``performance_cut`` and ``quadrant`` (categorical, one of
        :data:`QUADRANT_LABELS`).

    Examples
    --------
    >>> from crmlab.datasets import load_data
    >>> ipa = importance_performance(load_data("survey"))
    >>> ipa.loc["reliability", "quadrant"]
    'concentrate_here'
    """
    weights = "stated" if isinstance(importance, str) and importance == "stated" else None
    scores = servqual_scores(survey, weights=weights, dimensions=dimensions, scale=scale, verbose=verbose)
    dims = _dimensions(dimensions)
    if len(scores) == 0:
        raise CrmlabInputError("importance_performance: every row was set aside; nothing is left to analyse.")
    perf = scores[[f"per_{d}" for d in dims]].mean().set_axis(dims)
    if isinstance(importance, str) and importance == "stated":
        imp = scores[[f"weight_{d}" for d in dims]].mean().set_axis(dims) * 100
    elif isinstance(importance, str) and importance == "derived":
        require_columns(survey.columns, [outcome], table="survey")
        y = pd.to_numeric(survey.loc[scores.index, outcome], errors="coerce")
        if y.notna().sum() < 3 or y.nunique() < 2:
            raise CrmlabInputError(f"derived importance needs a varying numeric '{outcome}' for at least 3 respondents.")
        imp = pd.Series({d: scores[f"per_{d}"].corr(y) for d in dims})
    elif isinstance(importance, dict):
        imp = _fixed_weights(importance, dims, "importance") * 100
    else:
        raise CrmlabInputError(f"importance={importance!r}: use 'stated', 'derived' or a dict {{dimension: importance}}.")
    if isinstance(split, str) and split in ("mean", "median"):
        cut_i, cut_p = getattr(imp, split)(), getattr(perf, split)()
    else:
        try:
            cut_i, cut_p = (float(v) for v in split)
        except (TypeError, ValueError):
            raise CrmlabInputError(f"split={split!r}: use 'mean', 'median' or a pair (importance, performance).") from None
    high_i, high_p = imp >= cut_i, perf >= cut_p
    quadrant = np.select([high_i & ~high_p, high_i & high_p, ~high_i & ~high_p],
                         ["concentrate_here", "keep_up_the_good_work", "low_priority"], "possible_overkill")
    out = pd.DataFrame({
        "label": [DIMENSION_LABELS[d] for d in dims], "importance": imp.to_numpy(), "performance": perf.to_numpy(),
        "expectation": scores[[f"exp_{d}" for d in dims]].mean().to_numpy(),
        "gap": scores[[f"gap_{d}" for d in dims]].mean().to_numpy(),
        "importance_cut": cut_i, "performance_cut": cut_p,
        "quadrant": pd.Categorical(quadrant, categories=list(QUADRANT_LABELS)),
    }, index=pd.Index(dims, name="dimension"))
    out.attrs["set_aside"] = scores.attrs.get("set_aside", {})
    return out


# -- Net Promoter Score ---------------------------------------------------------------------------

def _nps_cuts(promoter_min, detractor_max, scale):
    lo, hi = scale_pair(scale)
    for name, v in (("promoter_min", promoter_min), ("detractor_max", detractor_max)):
        if not isinstance(v, (int, float, np.integer)) or not lo <= v <= hi:
            raise CrmlabInputError(f"{name}={v!r} must be a number on the answer scale {lo:g}–{hi:g}.")
    if promoter_min <= detractor_max:
        raise CrmlabInputError(f"promoter_min={promoter_min} must be above detractor_max={detractor_max} "
                               "(standard NPS: promoters 9–10, detractors 0–6).")


def promoter_groups(data, *, column: str = "recommend", promoter_min: int = 9, detractor_max: int = 6,
                    scale=(0, 10), verbose: bool = True) -> pd.Series:
    """Detractor / passive / promoter of each answer to the recommend question (贬损者/被动者/推荐者).

    Parameters
    ----------
    data : DataFrame or Series
        The answers (0–10 "How likely are you to recommend us to a friend?").
    column : str, default "recommend"
        Column of ``data`` when it is a DataFrame.
    promoter_min, detractor_max : int, default 9 and 6
        Answers >= ``promoter_min`` are promoters (推荐者), answers <=
        ``detractor_max`` detractors (贬损者), the rest passives (被动者).
    scale : (low, high), default (0, 10)
    verbose : bool, default True
        Print how many rows had no answer and were set aside.

    Returns
    -------
    Series
        Categorical (``detractor`` < ``passive`` < ``promoter``), same index
        as ``data`` without the rows that had no answer.

    Examples
    --------
    >>> import pandas as pd
    >>> promoter_groups(pd.Series([10, 7, 3])).tolist()
    ['promoter', 'passive', 'detractor']
    """
    if isinstance(data, pd.Series):
        data = data.to_frame(column)
    frame_check(data, "data")
    _nps_cuts(promoter_min, detractor_max, scale)
    values, missing = answers(data, [column], scale=scale, table="data")
    x = values.loc[~missing, column]
    group = np.select([x >= promoter_min, x <= detractor_max], ["promoter", "detractor"], "passive")
    out = pd.Series(pd.Categorical(group, categories=NPS_GROUPS, ordered=True), index=x.index, name="nps_group")
    return report_set_aside(out, {"rows without an answer": missing.sum()}, what="promoter_groups", verbose=verbose)


def net_promoter_score(data, *, column: str = "recommend", by=None, promoter_min: int = 9, detractor_max: int = 6,
                       scale=(0, 10), method: str = "adjusted_wald", confidence: float = 0.95,
                       verbose: bool = True) -> pd.DataFrame:
    """Net Promoter Score with its confidence interval (净推荐值 NPS 及置信区间).

    NPS = % promoters − % detractors, from −100 to +100 (Reichheld 2003).
    A survey is a sample, so the score carries sampling error; the interval
    says how far the company's true NPS may lie from the estimate.

    Parameters
    ----------
    data : DataFrame or Series
        The answers to the recommend question.
    column : str, default "recommend"
        Column of ``data`` when it is a DataFrame.
    by : str, optional
        Column to group by (one NPS per group, e.g. per satisfaction level).
    promoter_min, detractor_max, scale
        As for :func:`promoter_groups`.
    method : {"adjusted_wald", "wald"}, default "adjusted_wald"
        ``"wald"``: NPS ± z·se with ``se² = (p_P + p_D − (p_P − p_D)²) / n``.
        ``"adjusted_wald"`` (recommended by Rocks 2016, *The American
        Statistician* 70(4)): the same after adding 3/4 to the promoters and
        to the detractors and 3 to n; better coverage in small samples.
    confidence : float, default 0.95
        Level of the interval of each NPS.
    verbose : bool, default True
        Print how many rows had no answer and were set aside.

    Returns
    -------
    DataFrame
        One row per group (``all`` without ``by``): ``n``, ``promoters``,
        ``passives``, ``detractors``, ``pct_promoters``, ``pct_detractors``,
        ``nps``, ``se``, ``ci_low``, ``ci_high`` (NPS and interval in points, −100 … 100).

    Examples
    --------
    >>> import pandas as pd
    >>> recommend = pd.Series([10, 9, 9, 10, 9, 8, 7, 7, 3, 6])
    >>> net_promoter_score(recommend, method="wald")[["nps", "ci_low", "ci_high"]].round(1)
          nps  ci_low  ci_high
    all  30.0   -18.4     78.4
    """
    require_option(method, ("adjusted_wald", "wald"), name="method")
    z = z_value(confidence)
    if isinstance(data, pd.Series):
        data = data.to_frame(column)
    groups = promoter_groups(data, column=column, promoter_min=promoter_min, detractor_max=detractor_max,
                             scale=scale, verbose=verbose)
    if by is None:
        key = pd.Series("all", index=groups.index, name="group")
    else:
        require_columns(data.columns, [by], table="data")
        key = data.loc[groups.index, by]
    counts = pd.crosstab(key, groups).reindex(columns=list(NPS_GROUPS), fill_value=0)
    n = counts.sum(axis=1).astype(float)
    pro, det = counts["promoter"].astype(float), counts["detractor"].astype(float)
    add_k, add_n = (0.75, 3.0) if method == "adjusted_wald" else (0.0, 0.0)
    pp, pd_ = (pro + add_k) / (n + add_n), (det + add_k) / (n + add_n)
    se = np.sqrt((pp + pd_ - (pp - pd_) ** 2) / (n + add_n))
    centre = pp - pd_
    out = pd.DataFrame({
        "n": n.astype(int), "promoters": pro.astype(int), "passives": counts["passive"].astype(int),
        "detractors": det.astype(int), "pct_promoters": 100 * pro / n, "pct_detractors": 100 * det / n,
        "nps": 100 * (pro - det) / n, "se": 100 * se,
        "ci_low": 100 * np.maximum(centre - z * se, -1), "ci_high": 100 * np.minimum(centre + z * se, 1),
    })
    out.index.name = by
    out.attrs["set_aside"] = groups.attrs.get("set_aside", {})
    return out
