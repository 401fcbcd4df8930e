"""Complaints (客户投诉): causes, time to resolution, who complains and who stays.

The textbook's facts about complaints, measured on a complaint log
(``load_data("complaints")``):

- :func:`complaint_causes`: the cause mix (投诉原因) — company causes
  (product or service failures) against customer causes (misuse, excessive
  expectations), by category;
- :func:`resolution_times`: how long complaints take to close (处理时长), by
  outcome or category, with the complaints still open counted;
- :func:`complaint_share`: the share of unhappy customers who complain (the
  textbook: only about 1 in 27 does);
- :func:`complaint_retention`: who buys again after the complaint —
  resolved to the customer's satisfaction, resolved but unsatisfied,
  unresolved, against the **silent** unhappy customers who never complained;
  :func:`retention_difference` tests the difference between two such groups.

Who is "unhappy"? The complaint log shows only the customers who
complained. The silent unhappy are visible in two places only:

- the **answer key** of the sample company, ``load_data("customer_truth")``:
  a customer is unhappy from the first service failure on
  (``failure_ts`` not empty) — exact, and what the kit's tests use;
- a **survey** (``load_data("survey")``): respondents who rate their
  satisfaction low (e.g. 1-2 of 5) — what a real company has, but only for
  the customers who answered and only from the survey date on.

Both functions that need them take an ``unhappy`` table with the columns
``customer_id`` and ``since`` (when the customer became unhappy), so the
choice is the caller's and stays visible in the notebook.

What "retention" measures here: a customer *bought again* after the
complaint (or, for a silent customer, after becoming unhappy). Buying again
shows that the customer stayed, but a customer who stayed need not have
bought again before the data end, so the rate is the chance of staying times
the chance that a staying customer buys again in the time observed: below
the true staying rate, the more so the shorter the follow-up.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from crmlab._intervals import difference_of_shares, wilson_interval
from crmlab.datasets.schema import OUTCOMES
from crmlab.validation import (TIME_UNITS, CrmlabInputError, as_date, datetime_column, describe_rows,
                               report_set_aside, require_columns, require_nonempty, require_option)

#: Who caused the complaint: the company (企业原因) or the customer (客户原因).
CAUSES = ("company", "customer")
#: The groups of :func:`complaint_retention`: the three outcomes, then the silent unhappy customers.
RETENTION_GROUPS = (*OUTCOMES, "silent")
GROUP_ZH = {"resolved_satisfied": "解决且满意", "resolved_unsatisfied": "解决但不满意", "unresolved": "未解决",
            "silent": "不满但未投诉", "company": "企业原因", "customer": "客户原因"}


def _labels(frame: pd.DataFrame, column: str, allowed, *, table: str) -> pd.Series:
    values = frame[column].astype("string")
    bad = values.isna() | ~values.isin(allowed)
    if bad.any():
        raise CrmlabInputError(f"{table}: column '{column}' must be one of {list(allowed)}; it is not in "
                               f"{describe_rows(frame.index[bad])}, e.g. {values[bad].iloc[0]!r}.")
    return values


def complaint_causes(complaints: pd.DataFrame, *, by="category", confidence: float = 0.95) -> pd.DataFrame:
    """The cause mix of complaints (投诉原因构成): company vs customer, and within each by ``by``.

    Parameters
    ----------
    complaints : DataFrame
        Columns ``cause`` (company / customer) and ``by``, as ``load_data("complaints")``.
    by : str or None, default "category"
        The breakdown within each cause (e.g. ``"category"``, ``"severity"``,
        ``"channel"``); None: the two causes only.
    confidence : float, default 0.95
        Level of the Wilson interval of each share.

    Returns
    -------
    DataFrame
        One row per cause (and ``by`` value): ``complaints``, ``share`` of all
        complaints with ``share_low`` / ``share_high``, and ``cause_zh``.

    Examples
    --------
    >>> c = pd.DataFrame({"cause": ["company", "company", "customer", "company"],
    ...                   "category": ["delivery", "billing", "misuse", "delivery"]})
    >>> complaint_causes(c, by=None)[["complaints", "share"]]  # doctest: +NORMALIZE_WHITESPACE
              complaints  share
    cause
    company            3   0.75
    customer           1   0.25
    """
    need = ["cause"] + ([] if by is None else [by])
    require_columns(complaints.columns, need, table="complaints")
    require_nonempty(complaints, table="complaints")
    cause = _labels(complaints, "cause", CAUSES, table="complaints")
    keys = [cause] if by is None else [cause, complaints[by].astype("string").fillna("(missing)")]
    out = cause.groupby(keys, sort=True).size().rename("complaints").to_frame()
    out["share"] = out["complaints"] / len(complaints)
    out["share_low"], out["share_high"] = wilson_interval(out["complaints"], len(complaints), confidence=confidence)
    out["cause_zh"] = out.index.get_level_values(0).map(GROUP_ZH)
    return out


def resolution_times(complaints: pd.DataFrame, *, by="outcome", time_unit: str = "hours", verbose: bool = True) -> pd.DataFrame:
    """Time from complaint to closing (投诉处理时长), per outcome or category; open complaints counted.

    Parameters
    ----------
    complaints : DataFrame
        Columns ``opened_ts``, ``closed_ts`` (empty while the complaint is
        open) and ``by``, as ``load_data("complaints")``. Dates may be text.
    by : str or None, default "outcome"
        The grouping (``"outcome"``, ``"category"``, ``"severity"``, ...); None: all together.
    time_unit : {"hours", "days"}, default "hours"
    verbose : bool, default True
        Print how many open complaints have no time (kept in ``attrs["set_aside"]``).

    Returns
    -------
    DataFrame
        One row per group: ``complaints``, ``closed``, ``still_open``, and over
        the closed ones the ``mean``, ``median``, ``p90`` (90th percentile)
        and ``max`` time to close, in ``time_unit``. When two or more groups
        have closed complaints, ``attrs["test"]`` holds the Kruskal-Wallis
        test of "the time to close is the same in every group" (a rank test,
        since a few slow complaints dominate the mean): ``method``,
        ``groups``, ``statistic``, ``df``, ``p_value``. Open complaints have
        no time and are not in the test; a group that is all open (such as
        the unresolved ones) is not compared.

    Examples
    --------
    >>> c = pd.DataFrame({"opened_ts": ["2025-01-01 08:00", "2025-01-02 08:00", "2025-01-03 08:00"],
    ...                   "closed_ts": ["2025-01-01 20:00", "2025-01-03 20:00", None],
    ...                   "outcome": ["resolved_satisfied", "resolved_unsatisfied", "unresolved"]})
    >>> resolution_times(c, verbose=False)[["complaints", "still_open", "median"]]  # doctest: +NORMALIZE_WHITESPACE
                          complaints  still_open  median
    outcome
    resolved_satisfied             1           0    12.0
    resolved_unsatisfied           1           0    36.0
    unresolved                     1           1     NaN
    """
    require_option(time_unit, ("hours", "days"), name="time_unit")
    need = ["opened_ts", "closed_ts"] + ([] if by is None else [by])
    require_columns(complaints.columns, need, table="complaints")
    require_nonempty(complaints, table="complaints")
    opened = datetime_column(complaints["opened_ts"], column="opened_ts", table="complaints")
    closed = datetime_column(complaints["closed_ts"], column="closed_ts", table="complaints", allow_missing=True)
    hours = (closed - opened).dt.total_seconds() / (TIME_UNITS[time_unit] * 86400)
    early = hours < 0
    if early.any():
        raise CrmlabInputError(f"complaints: 'closed_ts' is before 'opened_ts' in {describe_rows(complaints.index[early])}; "
                               "correct the dates of those complaints.")
    group = (pd.Series("all", index=complaints.index, name="group") if by is None
             else complaints[by].astype("string").fillna("(missing)"))
    groups = hours.groupby(group, sort=True)
    out = pd.DataFrame({"complaints": groups.size(), "closed": groups.count()})
    out["still_open"] = out["complaints"] - out["closed"]
    out["mean"] = groups.mean()
    out["median"] = groups.median()
    out["p90"] = groups.quantile(0.9)
    out["max"] = groups.max()
    out.attrs["time_unit"] = time_unit
    closed_groups = [h.dropna().to_numpy() for _, h in groups if h.notna().any()]
    if len(closed_groups) > 1:
        from scipy.stats import kruskal

        test = kruskal(*closed_groups)
        out.attrs["test"] = {"method": "Kruskal-Wallis test of the closed complaints' times",
                             "groups": len(closed_groups), "statistic": float(test.statistic),
                             "df": len(closed_groups) - 1, "p_value": float(test.pvalue)}
    if by is not None and str(by) in ("outcome", "cause"):
        out.insert(0, "name_zh", out.index.map(GROUP_ZH))
    return report_set_aside(out, {"open complaints (no closing time)": int(out["still_open"].sum())},
                            what="resolution_times", verbose=verbose)


def _unhappy(unhappy: pd.DataFrame, *, need_since: bool, by=None) -> pd.DataFrame:
    need = ["customer_id"] + (["since"] if need_since else []) + ([] if by is None else [by])
    require_columns(unhappy.columns, need, table="unhappy")
    require_nonempty(unhappy, table="unhappy")
    dup = unhappy["customer_id"].duplicated(keep=False)
    if dup.any():
        raise CrmlabInputError(f"unhappy: customer_id is not unique in {describe_rows(unhappy.index[dup])}; give each "
                               "unhappy customer once, with the time they first became unhappy.")
    out = unhappy[need].copy()
    if need_since:
        out["since"] = datetime_column(unhappy["since"], column="since", table="unhappy")
    return out


def complaint_share(complaints: pd.DataFrame, unhappy: pd.DataFrame, *, by=None, confidence: float = 0.95,
                    verbose: bool = True) -> pd.DataFrame:
    """Share of unhappy customers who complain (投诉率), and "1 in how many".

    Parameters
    ----------
    complaints : DataFrame
        Column ``customer_id``, as ``load_data("complaints")``.
    unhappy : DataFrame
        One row per unhappy customer, column ``customer_id`` (and ``by``).
        From the answer key: ``customer_truth[customer_truth["failure_ts"].notna()]``;
        or from a survey (see the module description).
    by : str, optional
        A column of ``unhappy`` to break the share down by, e.g. a segment.
    confidence : float, default 0.95
        Level of the Wilson interval.
    verbose : bool, default True
        Print how many complainers are not in ``unhappy`` (they are left out;
        kept in ``attrs["set_aside"]``).

    Returns
    -------
    DataFrame
        One row (``"all"``) or one per group: ``unhappy``, ``complainers``,
        ``share`` with ``share_low`` / ``share_high``, and ``one_in`` (=
        unhappy / complainers: "1 complaint per ... unhappy customers") with
        ``one_in_low`` / ``one_in_high``.

    Examples
    --------
    >>> complaints = pd.DataFrame({"customer_id": ["a", "b"]})
    >>> unhappy = pd.DataFrame({"customer_id": list("abcdefghij")})
    >>> complaint_share(complaints, unhappy)[["unhappy", "complainers", "share", "one_in"]]
    ... # doctest: +NORMALIZE_WHITESPACE
         unhappy  complainers  share  one_in
    all       10            2    0.2     5.0
    """
    require_columns(complaints.columns, ["customer_id"], table="complaints")
    require_nonempty(complaints, table="complaints")
    people = _unhappy(unhappy, need_since=False, by=by)
    complainers = pd.Index(complaints["customer_id"].dropna().unique())
    outside = int((~complainers.isin(people["customer_id"])).sum())
    people["complained"] = people["customer_id"].isin(complainers)
    group = (pd.Series("all", index=people.index) if by is None
             else people[by].astype("string").fillna("(missing)"))
    groups = people["complained"].groupby(group, sort=True)
    out = pd.DataFrame({"unhappy": groups.size(), "complainers": groups.sum().astype(int)})
    out.index.name = by
    out["share"] = out["complainers"] / out["unhappy"]
    out["share_low"], out["share_high"] = wilson_interval(out["complainers"], out["unhappy"], confidence=confidence)
    with np.errstate(divide="ignore"):
        out["one_in"] = 1 / out["share"]
        out["one_in_low"] = 1 / out["share_high"]
        out["one_in_high"] = 1 / out["share_low"]
    return report_set_aside(out, {"complainers not among the unhappy customers": outside},
                            what="complaint_share", verbose=verbose)


def complaint_retention(complaints: pd.DataFrame, purchases: pd.DataFrame, *, unhappy=None, within_days=None,
                        end=None, confidence: float = 0.95, verbose: bool = True) -> pd.DataFrame:
    """Who buys again after a complaint (投诉后的客户保持), by outcome, against the silent unhappy customers.

    A complainer *bought again* when a purchase follows the complaint
    (``opened_ts``); a silent unhappy customer, when a purchase follows the
    moment the customer became unhappy (``since``). See the module
    description for what this rate measures: staying x buying again while
    observed.

    Parameters
    ----------
    complaints : DataFrame
        Columns ``customer_id``, ``opened_ts``, ``outcome``
        (resolved_satisfied / resolved_unsatisfied / unresolved). A customer's
        first complaint counts; later ones are set aside and counted.
    purchases : DataFrame
        Columns ``customer_id``, ``order_ts``: the result of
        :func:`crmlab.transactions.purchases` (``returns="zero"`` counts a
        returned order as buying again).
    unhappy : DataFrame, optional
        Columns ``customer_id`` and ``since``: every unhappy customer and when
        they became unhappy (see the module description). Those who never
        complained form the ``"silent"`` group; without it there is no such row.
    within_days : int, optional
        Count only purchases within this many days after the complaint (or
        ``since``), and set aside customers observed for less than that, so
        that every group gets the same follow-up. Default: any purchase up
        to ``end``.
    end : date, optional
        End of the observation (exclusive); default the day after the last
        purchase. Complaints (or ``since``) at or after it are set aside.
    confidence : float, default 0.95
        Level of the Wilson interval.
    verbose : bool, default True
        Print what was set aside (kept in ``attrs["set_aside"]``).

    Returns
    -------
    DataFrame
        One row per group of :data:`RETENTION_GROUPS` that has customers:
        ``group_zh``, ``customers``, ``bought_again``, ``retention`` (share)
        with ``retention_low`` / ``retention_high``, and
        ``median_days_to_next`` (among those who bought again).

    Examples
    --------
    >>> complaints = pd.DataFrame({"customer_id": ["a", "b"], "opened_ts": ["2025-03-01", "2025-03-01"],
    ...                            "outcome": ["resolved_satisfied", "unresolved"]})
    >>> bought = pd.DataFrame({"customer_id": ["a", "a", "b", "c"],
    ...                        "order_ts": ["2025-02-20", "2025-04-01", "2025-02-25", "2025-05-01"]})
    >>> unhappy = pd.DataFrame({"customer_id": ["a", "b", "c", "d"],
    ...                         "since": ["2025-02-20", "2025-02-25", "2025-01-10", "2025-01-15"]})
    >>> complaint_retention(complaints, bought, unhappy=unhappy, end="2026-01-01")[["customers", "retention"]]
    ... # doctest: +NORMALIZE_WHITESPACE
                        customers  retention
    group
    resolved_satisfied          1        1.0
    unresolved                  1        0.0
    silent                      2        0.5
    """
    require_columns(complaints.columns, ["customer_id", "opened_ts", "outcome"], table="complaints")
    require_columns(purchases.columns, ["customer_id", "order_ts"], table="purchases")
    require_nonempty(complaints, table="complaints")
    require_nonempty(purchases, table="purchases")
    outcome = _labels(complaints, "outcome", OUTCOMES, table="complaints")
    opened = datetime_column(complaints["opened_ts"], column="opened_ts", table="complaints")
    order_ts = datetime_column(purchases["order_ts"], column="order_ts", table="purchases")
    stop = order_ts.max().normalize() + pd.Timedelta(days=1) if end is None else as_date(end, name="end")
    if within_days is not None and (not isinstance(within_days, (int, np.integer)) or within_days < 1):
        raise CrmlabInputError(f"within_days must be a whole number of days >= 1, got {within_days!r}.")

    set_aside: dict = {}
    first = (pd.DataFrame({"customer_id": complaints["customer_id"], "since": opened, "group": outcome})
             .dropna(subset=["customer_id"]).sort_values("since", kind="stable"))
    later = first["customer_id"].duplicated()
    set_aside["later complaints of the same customer"] = int(later.sum())
    people = first[~later]
    if unhappy is not None:
        silent = _unhappy(unhappy, need_since=True)
        silent = silent[~silent["customer_id"].isin(people["customer_id"])].assign(group="silent")
        people = pd.concat([people, silent[["customer_id", "since", "group"]]], ignore_index=True)
    late = people["since"] >= stop
    set_aside["customers unhappy only at or after the end"] = int(late.sum())
    people = people[~late]
    if within_days is not None:
        short = people["since"] + pd.Timedelta(days=within_days) > stop
        set_aside[f"customers observed for less than {within_days} days"] = int(short.sum())
        people = people[~short]
    if people.empty:
        raise CrmlabInputError(f"complaint_retention: no customer is left after setting aside {set_aside}.")

    bought = pd.DataFrame({"customer_id": purchases["customer_id"], "order_ts": order_ts})
    bought = bought[bought["order_ts"] < stop]
    pairs = people.merge(bought, on="customer_id", how="inner")
    after = pairs["order_ts"] > pairs["since"]
    if within_days is not None:
        after &= pairs["order_ts"] <= pairs["since"] + pd.Timedelta(days=within_days)
    gap = (pairs.loc[after, "order_ts"] - pairs.loc[after, "since"]).dt.total_seconds() / 86400
    next_gap = gap.groupby(pairs.loc[after, "customer_id"]).min()
    people = people.assign(bought_again=people["customer_id"].isin(next_gap.index),
                           days_to_next=people["customer_id"].map(next_gap))
    groups = people.groupby("group", sort=False)
    out = pd.DataFrame({"customers": groups.size(), "bought_again": groups["bought_again"].sum().astype(int)})
    out = out.reindex([g for g in RETENTION_GROUPS if g in out.index])
    out.index.name = "group"
    out.insert(0, "group_zh", out.index.map(GROUP_ZH))
    out["retention"] = out["bought_again"] / out["customers"]
    out["retention_low"], out["retention_high"] = wilson_interval(out["bought_again"], out["customers"],
                                                                  confidence=confidence)
    out["median_days_to_next"] = groups["days_to_next"].median().reindex(out.index)
    return report_set_aside(out, set_aside, what="complaint_retention", verbose=verbose)


def complaint_outcomes(complaints: pd.DataFrame, *, by="cause", confidence: float = 0.95, permutations: int = 9999,
                       seed: int = 0) -> pd.DataFrame:
    """How complaints end (投诉处理结果), per cause or category, and whether the outcome depends on it.

    The test of "the outcome does not depend on ``by``" is the chi-square
    statistic of the ``by`` x outcome table, with its p-value from
    ``permutations`` random reshufflings of the outcomes (a permutation test:
    a complaint log has few complaints per category, too few for the
    chi-square distribution). It shows association, not cause: complaints of
    one kind may be harder to resolve, or be resolved worse.

    Parameters
    ----------
    complaints : DataFrame
        Columns ``outcome`` (resolved_satisfied / resolved_unsatisfied /
        unresolved) and ``by``, as ``load_data("complaints")``.
    by : str, default "cause"
        The grouping, e.g. ``"cause"``, ``"category"``, ``"severity"``, ``"channel"``.
    confidence : float, default 0.95
        Level of the Wilson interval of the share resolved to the customer's satisfaction.
    permutations : int, default 9999
        Reshufflings for the p-value (its precision is about 1 / permutations).
    seed : int, default 0
        Seed of the reshuffling, so that the p-value is the same at every run.

    Returns
    -------
    DataFrame
        One row per group: ``complaints``, the count of each outcome,
        ``share_satisfied`` (resolved to the customer's satisfaction) with
        ``satisfied_low`` / ``satisfied_high``. ``attrs["test"]`` holds the
        test: ``method``, ``statistic`` (chi-square), ``df``, ``p_value``.

    Examples
    --------
    >>> c = pd.DataFrame({"cause": ["company"] * 4 + ["customer"] * 4,
    ...                   "outcome": ["resolved_satisfied"] * 3 + ["unresolved"] + ["resolved_unsatisfied"] * 4})
    >>> out = complaint_outcomes(c)
    >>> out[["complaints", "resolved_satisfied", "share_satisfied"]]  # doctest: +NORMALIZE_WHITESPACE
              complaints  resolved_satisfied  share_satisfied
    cause
    company            4                   3             0.75
    customer           4                   0             0.00
    >>> round(out.attrs["test"]["statistic"], 2), out.attrs["test"]["df"]
    (8.0, 2)
    """
    require_columns(complaints.columns, ["outcome", by], table="complaints")
    require_nonempty(complaints, table="complaints")
    if not isinstance(permutations, (int, np.integer)) or permutations < 99:
        raise CrmlabInputError(f"permutations must be a whole number >= 99, got {permutations!r}.")
    outcome = _labels(complaints, "outcome", OUTCOMES, table="complaints")
    group = complaints[by].astype("string").fillna("(missing)")
    table = pd.crosstab(group, outcome).reindex(columns=list(OUTCOMES), fill_value=0)
    table.index.name, table.columns.name = by, None
    out = table.copy()
    out.insert(0, "complaints", table.sum(axis=1))
    out["share_satisfied"] = out["resolved_satisfied"] / out["complaints"]
    out["satisfied_low"], out["satisfied_high"] = wilson_interval(out["resolved_satisfied"], out["complaints"],
                                                                  confidence=confidence)
    # the permutation test: shuffle the outcomes over the complaints, keeping both margins
    g = pd.Categorical(group, categories=table.index).codes
    o = pd.Categorical(outcome, categories=table.columns).codes
    rows, cols = table.shape
    expected = np.outer(table.sum(axis=1), table.sum(axis=0)) / len(g)
    used = expected > 0

    def chi_square(counts):
        return (((counts - expected) ** 2)[..., used] / expected[used]).sum(axis=-1)

    rng = np.random.default_rng(seed)
    shuffled = rng.permuted(np.tile(o, (permutations, 1)), axis=1)
    cells = (np.arange(permutations)[:, None] * rows * cols + g * cols + shuffled).ravel()
    counts = np.bincount(cells, minlength=permutations * rows * cols).reshape(permutations, rows, cols)
    observed = float(chi_square(table.to_numpy(float)))
    p_value = (1 + int((chi_square(counts) >= observed - 1e-9).sum())) / (permutations + 1)
    df = (int((table.sum(axis=1) > 0).sum()) - 1) * (int((table.sum(axis=0) > 0).sum()) - 1)
    out.attrs["test"] = {"method": f"chi-square permutation test ({permutations} reshufflings)",
                         "statistic": observed, "df": df, "p_value": p_value}
    return out


def retention_difference(retention: pd.DataFrame, *, group: str, versus: str, confidence: float = 0.95) -> pd.Series:
    """Difference in *bought again* between two rows of :func:`complaint_retention` (保持率差异), with a test.

    Newcombe's interval of the difference of the two shares and the
    two-proportion z-test, as for the campaign uplift. It compares groups
    that formed themselves (how a complaint ended is not assigned at random),
    so it describes, it does not prove what resolving a complaint causes.

    Parameters
    ----------
    retention : DataFrame
        The result of :func:`complaint_retention` (columns ``customers``, ``bought_again``).
    group, versus : str
        The two groups, e.g. ``"resolved_satisfied"`` and ``"silent"``.
    confidence : float, default 0.95

    Returns
    -------
    Series
        ``retention`` (of ``group``), ``versus_retention``, ``difference``,
        ``ci_low``, ``ci_high``, ``p_value``.

    Examples
    --------
    >>> r = pd.DataFrame({"customers": [60, 2500], "bought_again": [42, 750]}, index=["resolved_satisfied", "silent"])
    >>> retention_difference(r, group="resolved_satisfied", versus="silent")[["difference", "p_value"]].round(4).tolist()
    [0.4, 0.0]
    """
    require_columns(retention.columns, ["customers", "bought_again"], table="retention")
    for name in (group, versus):
        require_option(name, list(retention.index), name="group" if name == group else "versus")
    a, b = retention.loc[group], retention.loc[versus]
    diff, low, high, p = difference_of_shares(a["bought_again"], a["customers"], b["bought_again"], b["customers"],
                                              confidence=confidence)
    return pd.Series({"retention": a["bought_again"] / a["customers"],
                      "versus_retention": b["bought_again"] / b["customers"],
                      "difference": float(diff), "ci_low": float(low), "ci_high": float(high), "p_value": float(p)},
                     name=f"{group} - {versus}")
