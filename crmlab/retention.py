"""Customer retention and churn (客户保持与客户流失): cohorts, survival curves, churn drivers, win-back.

Keeping a customer costs far less than winning a new one (the textbook: 5–10
times less), so a company watches who stays and who leaves:

- a **cohort retention table** (同期群留存表): of the customers who first
  bought in a month, which share bought again 1, 2, 3 ... months later
  (:func:`cohort_retention`, :func:`average_retention`);
- **survival curves** (生存曲线): the Kaplan–Meier estimate of the share of
  customers still active *t* days after a start, which handles customers
  whose story is not over yet (censored, 删失) correctly
  (:func:`customer_lifetimes`, :func:`kaplan_meier`, :func:`median_survival`);
- **churn rates by group** with confidence intervals and rate ratios
  (:func:`churn_by_group`), and **churn drivers** (流失驱动因素) from a
  logistic regression (:func:`churn_drivers`);
- a **win-back priority list** (挽回流失客户): lost customers ranked by what
  a win-back contact *adds* — the increase in the chance of a return that
  the contact causes, times the value of a regained customer, minus the
  cost — not by how likely they are to come back anyway
  (:func:`winback_priority`).

In a retail business nobody cancels a contract, so churn (流失) must be
defined from behaviour: here a customer has churned when the last purchase
lies at least ``inactive_days`` before the end of the data — an absolute
rule, the same for every customer. It is not the ``lost`` segment of
:mod:`crmlab.rfm` (流失客户: the lowest R and FM quintile scores, a rank
relative to the other customers at the analysis date). State the rule with
every number.

The Kaplan–Meier estimator is written out here (a few vectorised lines)
rather than taken from the lifelines package: lifelines (0.30.3) would add
about 10 MB of dependencies, among them autograd-gamma (last release 2020),
and half a second of import time, for one estimator that the tests check
against the published 6-MP leukaemia example.

Examples
--------
>>> from crmlab.datasets import load_data
>>> from crmlab.transactions import purchases
>>> p = purchases(load_data("orders"), load_data("order_lines"), verbose=False)
>>> life = customer_lifetimes(p, as_of="2026-01-01", verbose=False)
>>> km = kaplan_meier(life)
>>> bool(km["survival"].is_monotonic_decreasing)
True
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from crmlab.validation import (CrmlabInputError, aligned, as_date, boolean, describe_rows, frame_check,
                               purchases_before, report_set_aside, require_columns, require_option, shown)
from crmlab._intervals import wilson_interval, z_value

__all__ = ["customer_lifetimes", "kaplan_meier", "median_survival", "cohort_retention", "cohort_retention_from_counts",
           "average_retention",
           "churn_by_group", "churn_drivers", "winback_priority"]


# -- lifetimes and Kaplan–Meier -------------------------------------------------------------------

def customer_lifetimes(purchases: pd.DataFrame, *, as_of, inactive_days: int = 180, start=None,
                       verbose: bool = True) -> pd.DataFrame:
    """Each customer's observed lifetime and churn status, for survival curves (客户生命周期与流失状态).

    Churn rule (流失定义): a customer has **churned** if the last purchase
    before ``as_of`` lies at least ``inactive_days`` days before ``as_of``.
    The lifetime runs from the start to the last purchase (the last sign of
    life). For a churned customer that is the event (流失事件); for a
    customer still active it is censored (删失): the customer lived at least
    that long and may buy again.

    Parameters
    ----------
    purchases : DataFrame
        From :func:`crmlab.transactions.purchases`: ``customer_id``,
        ``order_ts`` and, if present, ``revenue`` and ``margin`` (summed).
    as_of : str or Timestamp
        The end of the observation (exclusive), e.g. ``"2026-01-01"`` for
        the sample company. Purchases on or after it are set aside.
    inactive_days : int, default 180
        Days without a purchase after which a customer counts as churned.
    start : Series, optional
        A start date per customer (indexed by ``customer_id``), e.g. the date
        of the satisfaction survey, to measure survival *after* it. Only
        these customers are kept; a customer whose last purchase came before
        the start gets lifetime 0. Default: each customer's first purchase.
    verbose : bool, default True
        Print one line saying what was set aside.

    Returns
    -------
    DataFrame
        Indexed by ``customer_id``: ``first_purchase``, ``last_purchase``,
        ``n_purchases``, ``revenue`` and ``margin`` (when in the input),
        ``start``, ``recency_days`` (as_of − last purchase), ``churned``
        (bool), ``duration_days`` (start → last purchase, >= 0).

    Examples
    --------
    >>> import pandas as pd
    >>> p = pd.DataFrame({"customer_id": ["A", "A", "B"],
    ...                   "order_ts": pd.to_datetime(["2025-01-01", "2025-03-01", "2025-11-20"])})
    >>> customer_lifetimes(p, as_of="2026-01-01")[["churned", "duration_days"]]  # doctest: +NORMALIZE_WHITESPACE
                 churned  duration_days
    customer_id                       
    A               True           59.0
    B              False            0.0
    """
    as_of = as_date(as_of, name="as_of")
    if not isinstance(inactive_days, (int, np.integer)) or inactive_days < 1:
        raise CrmlabInputError(f"inactive_days={inactive_days!r} must be a whole number of days >= 1, e.g. 180.")
    kept, counts = purchases_before(purchases, as_of)
    # Integer codes per customer, once: grouping on them is many times faster than on id strings.
    codes, customers = pd.factorize(kept["customer_id"], sort=True)
    g = kept.reset_index(drop=True).groupby(codes)
    out = g["order_ts"].agg(first_purchase="min", last_purchase="max", n_purchases="size")
    for col in ("revenue", "margin"):
        if col in kept.columns:
            out[col] = g[col].sum()
    out.index = pd.Index(customers, name="customer_id")
    if start is None:
        out["start"] = out["first_purchase"]
    else:
        if not isinstance(start, pd.Series):
            raise CrmlabInputError("start must be a Series of dates indexed by customer_id "
                                   "(e.g. survey.set_index('customer_id')['survey_date']).")
        if start.index.duplicated().any():
            raise CrmlabInputError(f"start: customer_id is not unique ({start.index[start.index.duplicated()][:3].tolist()} ...); "
                                   "give one start date per customer.")
        starts = pd.to_datetime(start, errors="coerce")
        no_start = starts.isna()
        late_start = starts >= as_of
        no_purchase = ~starts.index.isin(out.index)
        counts.update({"customers without a start date": no_start.sum(),
                       "customers whose start is on or after as_of": (late_start & ~no_start).sum(),
                       "customers in start without a purchase before as_of": (no_purchase & ~no_start & ~late_start).sum()})
        starts = starts[~(no_start | late_start | no_purchase)]
        out = out.loc[starts.index]
        out["start"] = starts.to_numpy()
    out["recency_days"] = (as_of - out["last_purchase"]).dt.total_seconds() / 86400
    out["churned"] = out["recency_days"] >= inactive_days
    out["duration_days"] = ((out["last_purchase"] - out["start"]).dt.total_seconds() / 86400).clip(lower=0).round(6)
    out.index.name = "customer_id"
    return report_set_aside(out, counts, what="customer_lifetimes", verbose=verbose)


def kaplan_meier(frame: pd.DataFrame, *, duration: str = "duration_days", event: str = "churned", by: str | None = None,
                 confidence: float = 0.95, verbose: bool = True) -> pd.DataFrame:
    """Kaplan–Meier survival curve(s) with Greenwood standard errors (生存曲线).

    ``S(t) = prod over event times t_i <= t of (1 - d_i / n_i)``, with d_i
    events and n_i subjects at risk just before t_i; censored subjects leave
    the risk set after their time. Standard error by Greenwood's formula;
    the interval is the log–log ("exponential Greenwood") interval, which
    stays inside [0, 1] (the default of lifelines and of R's survival).

    Parameters
    ----------
    frame : DataFrame
        One row per subject, e.g. from :func:`customer_lifetimes`.
    duration : str, default "duration_days"
        Observed time (>= 0): to the event, or to censoring.
    event : str, default "churned"
        True if the event (churn) was observed, False if censored.
    by : str, optional
        Column to group by: one curve per group.
    confidence : float, default 0.95
        Level of the pointwise interval (Greenwood's variance, log-log scale).
    verbose : bool, default True
        Print how many rows lacked a duration, an event or a group and were set aside.

    Returns
    -------
    DataFrame
        Long table, one row per group and distinct time (starting with a row
        at time 0): ``group`` (only with ``by``), ``time``, ``at_risk``,
        ``events``, ``censored``, ``survival``, ``se``, ``ci_low``, ``ci_high``.
        The row at time 0 has S = 1 by definition and no interval (NaN);
        where S is still 1 (before the first event) or has reached 0,
        Greenwood's variance is 0 and the interval is undefined (NaN), as
        in ``scipy.stats.ecdf``.

    Examples
    --------
    The treated group of the 6-MP leukaemia trial (Freireich et al. 1963):

    >>> import pandas as pd
    >>> weeks = [6, 6, 6, 6, 7, 9, 10, 10, 11, 13, 16, 17, 19, 20, 22, 23, 25, 32, 32, 34, 35]
    >>> relapse = [1, 1, 1, 0, 1, 0, 1, 0, 0, 1, 1, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0]
    >>> km = kaplan_meier(pd.DataFrame({"weeks": weeks, "relapse": relapse}), duration="weeks", event="relapse")
    >>> km.loc[km["events"] > 0, ["time", "at_risk", "survival"]].round(3).head(3)
       time  at_risk  survival
    1   6.0       21     0.857
    2   7.0       17     0.807
    4  10.0       15     0.753
    """
    frame_check(frame, "frame")
    z = z_value(confidence)
    cols = [duration, event] + ([by] if by is not None else [])
    require_columns(frame.columns, cols, table="frame")
    t = pd.to_numeric(frame[duration], errors="coerce")
    bad = t.isna() & frame[duration].notna()
    if bad.any() or (t < 0).any():
        rows = frame.index[bad | (t < 0)]
        raise CrmlabInputError(f"frame: column '{duration}' must hold durations >= 0; it does not in "
                               f"{describe_rows(rows)}, e.g. {shown(frame[duration][rows[0]])}.")
    e = boolean(frame[event], event, "frame")
    key = frame[by] if by is not None else pd.Series("all", index=frame.index)
    missing = t.isna() | e.isna() | key.isna()
    if missing.all():
        raise CrmlabInputError("kaplan_meier: no row has both a duration and an event value.")
    gcode, groups = pd.factorize(key[~missing], sort=True)  # integer group codes: fast grouping
    d = pd.DataFrame({"group": gcode, "time": t[~missing].to_numpy(dtype=float),
                      "event": e[~missing].to_numpy(dtype=int)})
    tab = (d.groupby(["group", "time"], sort=True)["event"].agg(["size", "sum"])
           .rename(columns={"size": "removed", "sum": "events"}).reset_index())
    grp = tab.groupby("group", sort=False, observed=True)["removed"]
    tab["at_risk"] = grp.transform("sum") - grp.cumsum() + tab["removed"]
    tab["censored"] = tab["removed"] - tab["events"]
    with np.errstate(divide="ignore", invalid="ignore"):
        log_step = np.log1p(-tab["events"] / tab["at_risk"])
        tab["survival"] = np.exp(log_step.groupby(tab["group"], observed=True).cumsum())
        green = (tab["events"] / (tab["at_risk"] * (tab["at_risk"] - tab["events"]))).groupby(
            tab["group"], observed=True).cumsum()
        s = tab["survival"]
        tab["se"] = np.where(s > 0, s * np.sqrt(green), 0.0)
        se_loglog = np.sqrt(green) / np.abs(np.log(s))
        low, high = s ** np.exp(z * se_loglog), s ** np.exp(-z * se_loglog)
    # Where S is 1 (no event yet) or 0 (the last subject had the event) Greenwood's variance is 0 and the
    # log-log interval undefined: an interval of width zero would claim a certainty the sample does not give.
    degenerate = (s >= 1) | (s <= 0)
    tab["ci_low"] = np.where(degenerate, np.nan, low)
    tab["ci_high"] = np.where(degenerate, np.nan, high)
    first = tab.groupby("group", sort=False, observed=True).agg(at_risk=("at_risk", "first")).reset_index()
    # S(0) = 1 by definition (everybody is at risk at the start): a fixed value, so no interval.
    first = first.assign(time=0.0, events=0, censored=0, survival=1.0, se=0.0, ci_low=np.nan, ci_high=np.nan)
    out = pd.concat([first, tab.drop(columns="removed")], ignore_index=True)
    out["order"] = np.arange(len(out))
    out = out.sort_values(["group", "time", "order"], kind="stable").drop(columns="order")
    # (a curve with events at time 0 keeps both rows at 0: S = 1 first, then the drop)
    out = out[["group", "time", "at_risk", "events", "censored", "survival", "se", "ci_low", "ci_high"]]
    out = out.reset_index(drop=True)
    code = out.pop("group").to_numpy()
    if by is not None:
        out.insert(0, by, pd.Series(groups.take(code)))
    return report_set_aside(out, {"rows with a missing duration, event or group": missing.sum()},
                            what="kaplan_meier", verbose=verbose)


def median_survival(km: pd.DataFrame, *, by: str | None = None) -> pd.DataFrame:
    """Median survival time of each curve, with the interval read off the confidence band (中位生存时间).

    The median is the first time the curve reaches 0.5 or below; its
    interval runs from the first time ``ci_low`` reaches 0.5 to the first
    time ``ci_high`` does (Brookmeyer & Crowley 1982). NaN where a curve
    never comes down to 0.5 (more than half the customers still active).

    Parameters
    ----------
    km : DataFrame
        From :func:`kaplan_meier`.
    by : str, optional
        The group column of ``km`` (the ``by`` used there).

    Returns
    -------
    DataFrame
        One row per group: ``median``, ``median_low``, ``median_high``.

    Examples
    --------
    >>> import pandas as pd
    >>> f = pd.DataFrame({"t": [1, 2, 3, 4], "e": [1, 1, 1, 1]})
    >>> median_survival(kaplan_meier(f, duration="t", event="e"))["median"].tolist()
    [2.0]
    """
    frame_check(km, "km")
    require_columns(km.columns, ["time", "survival", "ci_low", "ci_high"] + ([by] if by else []), table="km")
    key = km[by] if by else pd.Series("all", index=km.index)

    def first_time(col):
        # A curve that reaches 0.5 exactly (4 deaths: 3/4 x 2/3) comes out of floating-point
        # arithmetic a hair above it (0.5000000000000001): compare with a tolerance.
        hit = km["time"].where(km[col] <= 0.5 + 1e-12)
        return hit.groupby(key, sort=False, observed=True).min()

    out = pd.DataFrame({"median": first_time("survival"), "median_low": first_time("ci_low"),
                        "median_high": first_time("ci_high")})
    out.index.name = by
    return out


# -- cohorts --------------------------------------------------------------------------------------

def cohort_retention(purchases: pd.DataFrame, *, as_of, period: str = "M", max_periods: int | None = None,
                     verbose: bool = True) -> pd.DataFrame:
    """The cohort retention table (同期群留存表): share of each cohort buying k periods later.

    A cohort (同期群) is the customers whose first purchase fell in the same
    period (month by default). Cell (cohort, k) is the share of the cohort
    that made at least one purchase in the k-th period after the first one
    (k = 0 is the first period itself, always 100 %). Periods not yet
    complete at ``as_of`` are NaN (not observed), never 0.

    Parameters
    ----------
    purchases : DataFrame
        From :func:`crmlab.transactions.purchases` (``customer_id``, ``order_ts``).
    as_of : str or Timestamp
        End of the data (exclusive); purchases on or after it are set aside.
    period : {"M", "Q"}, default "M"
        Month (月) or quarter (季度).
    max_periods : int, optional
        Keep periods 0 … max_periods only.
    verbose : bool, default True
        Print one line saying what was set aside.

    Returns
    -------
    DataFrame
        Index ``cohort`` (a pandas Period); column ``customers`` (cohort
        size), then one column per period k = 0, 1, 2, ... with the share.
        Customers whose first purchase falls in the incomplete last period
        are set aside (``attrs["set_aside"]``).

    Examples
    --------
    >>> import pandas as pd
    >>> p = pd.DataFrame({"customer_id": ["A", "A", "B", "C"],
    ...                   "order_ts": pd.to_datetime(["2025-01-05", "2025-03-02", "2025-01-20", "2025-02-11"])})
    >>> cohort_retention(p, as_of="2025-04-01")  # doctest: +NORMALIZE_WHITESPACE
             customers    0    1    2
    cohort                           
    2025-01          2  1.0  0.0  0.5
    2025-02          1  1.0  0.0  NaN
    """
    as_of = as_date(as_of, name="as_of")
    require_option(period, ("M", "Q"), name="period", fix="'M': months, 'Q': quarters.")
    kept, counts = purchases_before(purchases, as_of)
    ordinal = kept["order_ts"].dt.to_period(period).array.asi8
    codes, _ = pd.factorize(kept["customer_id"])
    act = pd.DataFrame({"customer": codes, "p": ordinal}).drop_duplicates()
    act["cohort"] = act.groupby("customer")["p"].transform("min")
    act["k"] = act["p"] - act["cohort"]
    cohort_counts = act.groupby(["cohort", "k"], as_index=False).size().rename(columns={"size": "customers"})
    share = cohort_retention_from_counts(cohort_counts, as_of=as_of, period=period, max_periods=max_periods)
    counts.update(share.attrs.pop("set_aside"))
    return report_set_aside(share, counts, what="cohort_retention", verbose=verbose)


def cohort_retention_from_counts(cohort_counts: pd.DataFrame, *, as_of, period: str = "M",
                                 max_periods: int | None = None) -> pd.DataFrame:
    """The cohort retention table from counts of active customers per cohort and period.

    What :func:`cohort_retention` does after counting, for counts computed
    elsewhere — by SQL in a database (:mod:`crmlab.engines`) on data too large
    for pandas. Periods are pandas period ordinals (months or quarters since
    1970-01), so any engine can compute them from a year and a month.

    Parameters
    ----------
    cohort_counts : DataFrame
        Columns ``cohort`` (the ordinal of the period of the first purchase),
        ``k`` (periods after it, 0, 1, ...) and ``customers`` (how many of the
        cohort bought in period cohort + k), one row per (cohort, k) with a buyer.
    as_of, period, max_periods
        As in :func:`cohort_retention`.

    Returns
    -------
    DataFrame
        As :func:`cohort_retention`; ``attrs["set_aside"]`` counts the customers
        of cohorts whose first period is not complete at ``as_of``.

    Examples
    --------
    >>> jan = pd.Period("2025-01", "M").ordinal
    >>> counts = pd.DataFrame({"cohort": [jan, jan, jan + 1], "k": [0, 2, 0], "customers": [2, 1, 1]})
    >>> cohort_retention_from_counts(counts, as_of="2025-04-01")  # doctest: +NORMALIZE_WHITESPACE
             customers    0    1    2
    cohort
    2025-01          2  1.0  0.0  0.5
    2025-02          1  1.0  0.0  NaN
    """
    as_of = as_date(as_of, name="as_of")
    require_option(period, ("M", "Q"), name="period", fix="'M': months, 'Q': quarters.")
    if max_periods is not None and (not isinstance(max_periods, (int, np.integer)) or max_periods < 1):
        raise CrmlabInputError(f"max_periods={max_periods!r} must be a whole number >= 1.")
    require_columns(cohort_counts.columns, ["cohort", "k", "customers"], table="cohort_counts")
    last_complete = pd.Period(as_of, period).ordinal - 1
    young = cohort_counts["cohort"] > last_complete
    set_aside = {"customers whose first purchase is in the incomplete last period":
                 int(cohort_counts.loc[young & (cohort_counts["k"] == 0), "customers"].sum())}
    act = cohort_counts[~young & (cohort_counts["cohort"] + cohort_counts["k"] <= last_complete)]
    if act.empty:
        raise CrmlabInputError("cohort_retention: no cohort has a complete period before as_of.")
    counts_ck = act.pivot_table(index="cohort", columns="k", values="customers", aggfunc="sum", fill_value=0)
    size = counts_ck[0]
    share = counts_ck.div(size, axis=0).astype(float)
    ks = np.arange(last_complete - share.index.min() + 1)
    share = share.reindex(columns=ks, fill_value=0.0)
    observed = (share.index.to_numpy()[:, None] + ks[None, :]) <= last_complete
    share = share.where(observed)
    if max_periods is not None:
        share = share.loc[:, :max_periods]
    share.insert(0, "customers", size.astype(int))
    share.index = pd.PeriodIndex.from_ordinals(share.index, freq=period)
    share.index.name = "cohort"
    share.columns.name = None
    share.attrs["set_aside"] = set_aside
    return share


def average_retention(table: pd.DataFrame) -> pd.DataFrame:
    """Average retention curve over the cohorts, weighted by cohort size (平均留存曲线).

    Parameters
    ----------
    table : DataFrame
        From :func:`cohort_retention`.

    Returns
    -------
    DataFrame
        Index = period k; ``retention`` (customer-weighted mean over the
        cohorts observed at k) and ``cohorts`` (how many cohorts are observed at k).

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"customers": [2, 1], 0: [1.0, 1.0], 1: [0.0, 1.0], 2: [0.5, None]})
    >>> average_retention(t)["retention"].round(3).tolist()
    [1.0, 0.333, 0.5]
    """
    frame_check(table, "table")
    require_columns(table.columns, ["customers"], table="table")
    shares = table.drop(columns="customers")
    w = shares.notna().mul(table["customers"], axis=0)
    out = pd.DataFrame({"retention": shares.fillna(0).mul(table["customers"], axis=0).sum() / w.sum(),
                        "cohorts": shares.notna().sum()})
    out.index.name = "period"
    return out


# -- churn by group, drivers ----------------------------------------------------------------------

def churn_by_group(frame: pd.DataFrame, *, group: str, churned: str = "churned", exposure: str | None = None,
                   reference=None, confidence: float = 0.95, verbose: bool = True) -> pd.DataFrame:
    """Churn rate of each group, with its interval and its ratio to a reference group (分组流失率).

    Parameters
    ----------
    frame : DataFrame
        One row per customer.
    group : str
        Column with the groups (e.g. the satisfaction level).
    churned : str, default "churned"
        True/False (or 1/0): the customer churned.
    exposure : str, optional
        Without it, the rate is the share of customers who churned (Wilson
        interval; ratio = risk ratio with Katz's log interval). With it (e.g.
        the number of purchases at risk), the rate is churn events per unit
        of exposure (exact Poisson interval; ratio = rate ratio with a log
        interval) — the per-purchase dropout probability of a
        buy-till-you-die model, when the exposure is the repeat purchases.
    reference : optional
        The group the ratios compare with (default: the first group). Its
        own ratio is 1 by definition, so it has no interval (NaN).
    confidence : float, default 0.95
        Level of the intervals of the rates and of the ratios.
    verbose : bool, default True
        Print how many rows lacked a churn value, a group or an exposure and were set aside.

    Returns
    -------
    DataFrame
        One row per group: ``n``, ``churned``, (``exposure``), ``rate``,
        ``ci_low``, ``ci_high``, ``ratio``, ``ratio_low``, ``ratio_high``
        (NaN in the reference row, whose ratio is 1 by definition).

    Examples
    --------
    >>> import pandas as pd
    >>> f = pd.DataFrame({"level": ["low"] * 4 + ["high"] * 4, "churned": [1, 1, 1, 0, 1, 0, 0, 0]})
    >>> churn_by_group(f, group="level", reference="high")[["n", "churned", "rate", "ratio", "ratio_low"]].round(2)  # doctest: +NORMALIZE_WHITESPACE
           n  churned  rate  ratio  ratio_low
    level
    high   4        1  0.25    1.0        NaN
    low    4        3  0.75    3.0       0.5
    """
    from scipy.stats import chi2

    frame_check(frame, "frame")
    z = z_value(confidence)
    require_columns(frame.columns, [group, churned] + ([exposure] if exposure else []), table="frame")
    ch = boolean(frame[churned], churned, "frame")
    missing = ch.isna() | frame[group].isna()
    if exposure:
        ex = aligned(frame, exposure, "exposure")
        if (ex < 0).any():
            raise CrmlabInputError(f"frame: column '{exposure}' must be >= 0; it is not in {describe_rows(frame.index[ex < 0])}.")
        missing |= ex.isna()
    data = frame.loc[~missing, [group]].assign(_churned=ch[~missing].astype(int))
    if data.empty:
        raise CrmlabInputError("churn_by_group: no row has both a group and a churn value.")
    g = data.groupby(group, observed=True, sort=True)["_churned"]
    out = pd.DataFrame({"n": g.size(), "churned": g.sum()})
    if exposure:
        out["exposure"] = ex[~missing].groupby(data[group], observed=True, sort=True).sum()
        if (out["exposure"] <= 0).any():
            raise CrmlabInputError(f"churn_by_group: a group has no exposure ('{exposure}' sums to 0): "
                                   f"{out.index[out['exposure'] <= 0].tolist()}.")
        k, e = out["churned"].astype(float), out["exposure"]
        alpha = 1 - confidence
        out["rate"] = k / e
        out["ci_low"] = np.where(k > 0, chi2.ppf(alpha / 2, 2 * k) / 2, 0.0) / e
        out["ci_high"] = chi2.ppf(1 - alpha / 2, 2 * (k + 1)) / 2 / e
    else:
        out["rate"] = out["churned"] / out["n"]
        out["ci_low"], out["ci_high"] = wilson_interval(out["churned"], out["n"], confidence=confidence)
    ref = out.index[0] if reference is None else reference
    if ref not in out.index:
        raise CrmlabInputError(f"reference={reference!r} is not one of the groups {out.index.tolist()}.")
    # numpy floats: a reference without churners gives an undefined (inf / NaN) ratio, not a crash
    r0, k0 = out.loc[ref, "rate"], np.float64(out.loc[ref, "churned"])
    k1 = out["churned"].astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        out["ratio"] = out["rate"] / r0
        if exposure:
            se = np.sqrt(1 / k1 + 1 / k0)
        else:
            se = np.sqrt(1 / k1 - 1 / out["n"] + 1 / k0 - 1 / out.loc[ref, "n"])
        out["ratio_low"] = out["ratio"] * np.exp(-z * se)
        out["ratio_high"] = out["ratio"] * np.exp(z * se)
    # The reference compared with itself is 1 by definition: nothing was estimated.
    out.loc[ref, ["ratio_low", "ratio_high"]] = np.nan
    return report_set_aside(out, {"rows with a missing group, churn value or exposure": missing.sum()},
                            what="churn_by_group", verbose=verbose)


def churn_drivers(frame: pd.DataFrame, *, drivers, churned: str = "churned", standardize: bool = True,
                  confidence: float = 0.95, verbose: bool = True) -> pd.DataFrame:
    """Churn drivers (流失驱动因素): odds ratios from a logistic regression of churn on the drivers.

    All drivers enter one model, so each odds ratio is the association of
    that driver with churn *holding the others fixed*. Numbers are scaled
    to one standard deviation (``standardize=True``) so that their odds
    ratios can be compared; True/False drivers compare True with False;
    categorical drivers compare each level with the first (reference)
    level. Associations, not causes: a driver may stand for something
    unmeasured.

    Parameters
    ----------
    frame : DataFrame
        One row per customer.
    drivers : list of str
        Columns: numeric, True/False or categorical.
    churned : str, default "churned"
        True/False (or 1/0).
    standardize : bool, default True
        Odds ratios of numeric drivers per standard deviation (else per unit).
    confidence : float, default 0.95
        Level of the intervals of the odds ratios.
    verbose : bool, default True
        Print how many rows lacked a driver or a churn value and were set aside.

    Returns
    -------
    DataFrame
        One row per model term, strongest evidence first: ``driver``,
        ``term`` (the level, or ``per SD`` / ``per unit`` / ``True``),
        ``coefficient``, ``se``, ``odds_ratio``, ``or_low``, ``or_high``,
        ``p_value``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=2000)
    >>> f = pd.DataFrame({"x": x, "churned": rng.random(2000) < 1 / (1 + np.exp(-x))})
    >>> churn_drivers(f, drivers=["x"], standardize=False)["coefficient"].round(1).tolist()
    [1.0]
    """
    from scipy.stats import norm
    from sklearn.linear_model import LogisticRegression

    frame_check(frame, "frame")
    z = z_value(confidence)
    if isinstance(drivers, str):
        drivers = [drivers]
    drivers = list(drivers)
    if not drivers:
        raise CrmlabInputError("drivers is empty; name at least one column, e.g. drivers=['c', 'switching_cost'].")
    require_columns(frame.columns, drivers + [churned], table="frame")
    y = boolean(frame[churned], churned, "frame")
    missing = y.isna() | frame[drivers].isna().any(axis=1)
    data = frame.loc[~missing, drivers]
    y = y[~missing].astype(int).to_numpy()
    if len(np.unique(y)) < 2:
        raise CrmlabInputError("churn_drivers: every remaining customer has the same churn value; nothing to explain.")
    columns, terms = [], []
    for col in drivers:  # a few driver columns
        x = data[col]
        if pd.api.types.is_bool_dtype(x):
            columns.append(x.astype(float).to_numpy())
            terms.append((col, "True"))
        elif pd.api.types.is_numeric_dtype(x):
            v = x.astype(float).to_numpy()
            sd = v.std(ddof=1)
            if not sd > 0:
                raise CrmlabInputError(f"driver '{col}' does not vary; leave it out.")
            columns.append((v - v.mean()) / sd if standardize else v)
            terms.append((col, "per SD" if standardize else "per unit"))
        else:
            cat = pd.Categorical(x)
            levels = [lv for lv in cat.categories if (cat == lv).any()]
            if len(levels) < 2:
                raise CrmlabInputError(f"driver '{col}' has a single level; leave it out.")
            for lv in levels[1:]:
                columns.append((cat == lv).astype(float))
                terms.append((col, f"{lv} vs {levels[0]}"))
    X = np.column_stack(columns)
    # C = inf: no penalty, plain maximum likelihood (the odds ratios of the textbooks)
    model = LogisticRegression(C=np.inf, max_iter=1000).fit(X, y)
    p = model.predict_proba(X)[:, 1]
    X1 = np.column_stack([np.ones(len(X)), X])
    info = X1.T @ (X1 * (p * (1 - p))[:, None])
    try:
        cov = np.linalg.inv(info)
    except np.linalg.LinAlgError:
        raise CrmlabInputError("churn_drivers: the drivers are collinear (one is a combination of others); "
                               "leave one of them out.") from None
    coef = model.coef_[0]
    se = np.sqrt(np.diag(cov)[1:])
    out = pd.DataFrame({"driver": [d for d, _ in terms], "term": [t for _, t in terms], "coefficient": coef, "se": se,
                        "odds_ratio": np.exp(coef), "or_low": np.exp(coef - z * se), "or_high": np.exp(coef + z * se),
                        "p_value": 2 * norm.sf(np.abs(coef / se))})
    out = out.iloc[np.argsort(-np.abs(coef / se), kind="stable")].reset_index(drop=True)
    return report_set_aside(out, {"rows with a missing driver or churn value": missing.sum()}, what="churn_drivers",
                            verbose=verbose)


# -- win-back -------------------------------------------------------------------------------------

def winback_priority(frame: pd.DataFrame, *, value, uplift, churned: str = "churned", baseline=None, cost=0.0,
                     verbose: bool = True) -> pd.DataFrame:
    """Lost customers ranked by the value a win-back contact adds (挽回流失客户优先级, 增量价值).

    ``incremental_value = uplift x value - cost``. A contact is worth only
    what it changes: ``uplift`` is the increase in the chance that the
    customer comes back *caused by the contact* — the response rate of
    contacted customers minus that of comparable customers left alone, as
    a randomised test with a control group measures it
    (:func:`crmlab.campaigns.campaign_uplift`). It is **not** the chance
    that the customer comes back (``baseline``): a customer who would come
    back unprompted adds nothing when contacted, however valuable. Ranking
    by ``baseline x value`` (expected value) puts at the top the customers
    most likely to return on their own, so the campaign would claim their
    return and spend where it changes least.

    ``value`` is what a regained customer is worth (CNY): e.g. the CLV of
    a customer with the same history *given that the customer is active*
    (``clv / probability_alive`` from :mod:`crmlab.clv`), or the yearly
    margin the customer used to bring. Customers with an incremental value
    of 0 or less are not worth the contact.

    Parameters
    ----------
    frame : DataFrame
        One row per customer (its index identifies the customer), with the
        churn flag; only churned customers are ranked.
    value : str or Series
        Column of ``frame``, or a Series indexed like ``frame``: the value
        of a regained customer (CNY).
    uplift : str, Series or float
        Increase in the chance of a return caused by the contact, -1 to 1
        (e.g. 0.068 for +6.8 percentage points), one number for all or one
        per customer (e.g. per segment of an experiment).
    churned : str, default "churned"
        True/False: the customer is lost (流失客户).
    baseline : str, Series, float or None
        Chance that the customer comes back without a contact, 0–1 (e.g.
        the control group's return rate, or a model's probability of being
        alive). Reported with ``expected_return`` = baseline x value (what
        comes back anyway) to show how far "likely to return" is from
        "worth contacting"; it does not enter the ranking.
    cost : str, Series or float, default 0
        Cost of one win-back attempt (CNY, >= 0).
    verbose : bool, default True
        Print one line saying which lost customers were set aside (missing value, uplift or baseline).

    Returns
    -------
    DataFrame
        The lost customers, best first: ``value``, ``uplift``, ``baseline``
        (NaN without one), ``cost``, ``expected_return``, ``incremental_value``,
        ``rank``, ``worth_contacting`` (incremental value > 0) and
        ``cumulative_share`` (share of the total positive incremental value
        reached by contacting down to this row). Ties keep the order of ``frame``.

    Examples
    --------
    A likely returner (A) and a customer who will not come back alone (B):

    >>> import pandas as pd
    >>> f = pd.DataFrame({"churned": [True, True, False, True], "clv_if_active": [500.0, 800.0, 900.0, 100.0],
    ...                   "p_alone": [0.6, 0.05, 0.9, 0.1]}, index=["A", "B", "C", "D"])
    >>> out = winback_priority(f, value="clv_if_active", uplift=0.07, baseline="p_alone", cost=10)
    >>> out[["expected_return", "incremental_value", "rank"]].round(1)
       expected_return  incremental_value  rank
    B             40.0               46.0     1
    A            300.0               25.0     2
    D             10.0               -3.0     3
    """
    frame_check(frame, "frame")
    require_columns(frame.columns, [churned], table="frame")
    lost_flag = boolean(frame[churned], churned, "frame")
    v = aligned(frame, value, "value")
    u = aligned(frame, uplift, "uplift")
    b = pd.Series(np.nan, index=frame.index) if baseline is None else aligned(frame, baseline, "baseline")
    c = aligned(frame, cost, "cost")
    for name, x, low in (("uplift", u, -1), ("baseline", b, 0)):
        outside = (x < low) | (x > 1)
        if outside.any():
            raise CrmlabInputError(f"{name} must be between {low} and 1; it is not in {describe_rows(frame.index[outside])}, "
                                   f"e.g. {shown(x[outside].iloc[0])}. Give shares, e.g. 0.068 for 6.8 points.")
    if (c < 0).any():
        raise CrmlabInputError(f"cost must be >= 0; it is not in {describe_rows(frame.index[c < 0])}.")
    lost = lost_flag.fillna(False).astype(bool)
    unknown = lost & (v.isna() | u.isna() | c.isna() | (b.isna() if baseline is not None else False))
    keep = lost & ~unknown
    out = pd.DataFrame({"value": v[keep], "uplift": u[keep], "baseline": b[keep], "cost": c[keep]})
    out["expected_return"] = out["baseline"] * out["value"]
    out["incremental_value"] = out["uplift"] * out["value"] - out["cost"]
    out = out.sort_values("incremental_value", ascending=False, kind="stable")
    out["rank"] = np.arange(1, len(out) + 1)
    out["worth_contacting"] = out["incremental_value"] > 0
    positive = out["incremental_value"].clip(lower=0)
    total = positive.sum()
    out["cumulative_share"] = positive.cumsum() / total if total > 0 else 0.0
    return report_set_aside(out, {"lost customers without a value or uplift or baseline": unknown.sum(),
                                  "customers with an unknown churn status": lost_flag.isna().sum()},
                            what="winback_priority", verbose=verbose)
