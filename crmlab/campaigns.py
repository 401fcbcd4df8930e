"""Campaign evaluation as an experiment (营销活动效果评估：随机实验).

A campaign report that counts the buyers among the contacted customers
credits the campaign with purchases that would have happened anyway. A
randomised **control group** (对照组: eligible customers who were *not*
contacted) shows what would have happened; the difference between the
treatment group (实验组) and the control group is the campaign's effect, the
**uplift** (增量效果).

- :func:`campaign_uplift`: uplift in response rate and in revenue per
  customer, with confidence intervals and significance tests, for the whole
  campaign or per segment;
- :func:`uplift_heterogeneity`: whether the uplift differs between segments
  (a test of the treatment x segment interaction), before anyone reads
  "works for A, not for B" off the per-segment table;
- :func:`campaign_return`: incremental revenue and margin, the campaign's
  cost and its return on that cost (投资回报率, ROI), with intervals.

The assignment table is ``load_data("campaign_assignment")``: one row per
eligible customer with ``campaign_id``, ``customer_id``, ``group``
(treatment / control), ``responded`` (bought in the campaign window) and
``revenue`` (CNY in the window). Segments come from chapter 4 (e.g.
``rfm_class`` of :func:`crmlab.rfm.rfm_classes` at the campaign's start
date), joined in by ``customer_id``; measure them *before* the campaign, or
the campaign itself changes who is in which segment.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from crmlab.validation import (CrmlabInputError, amount_column, boolean, describe_rows, report_set_aside,
                               require_columns, require_labels, require_nonempty)
from crmlab._intervals import difference_of_shares, z_value

#: The two groups of a randomised campaign: treatment (实验组) and control (对照组).
GROUPS = ("treatment", "control")
METRICS = ("response_rate", "revenue_per_customer")


def _experiment(assignment: pd.DataFrame, *, campaign_id, by, what: str):
    """The checked rows of one campaign: group, responded (bool), revenue (float), and ``by``; set-aside counts."""
    by = [] if by is None else ([by] if isinstance(by, str) else list(by))
    need = ["customer_id", "group", "responded", "revenue", *by]
    if campaign_id is not None or "campaign_id" in assignment.columns:
        need.insert(0, "campaign_id")
    require_columns(assignment.columns, need, table="campaign_assignment")
    require_nonempty(assignment, table="campaign_assignment")
    rows = assignment
    if "campaign_id" in need:
        ids = assignment["campaign_id"].astype("string")
        present = sorted(ids.dropna().unique())
        if campaign_id is None:
            if len(present) > 1:
                raise CrmlabInputError(f"campaign_assignment holds {len(present)} campaigns {present}; choose one with "
                                       "campaign_id=..., since each experiment is evaluated on its own.")
        elif campaign_id not in present:
            raise CrmlabInputError(f"campaign_id={campaign_id!r} is not in campaign_assignment; campaigns present: {present}.")
        else:
            rows = assignment[ids.eq(campaign_id).fillna(False).to_numpy(dtype=bool)]
    require_labels(rows["group"], GROUPS, column="group", table="campaign_assignment",
                   fix="Rename the labels to treatment (实验组) and control (对照组), e.g. "
                       "df['group'] = df['group'].replace({'实验组': 'treatment', '对照组': 'control'}).")
    group = rows["group"].astype("string")
    missing = {name: int((group == name).sum()) == 0 for name in GROUPS}
    if missing["control"]:
        raise CrmlabInputError(
            "campaign_assignment has no control group (对照组): every customer was contacted, so nothing shows what "
            "they would have done without the campaign and the uplift cannot be measured. Hold out a random "
            "control group in the next campaign.")
    if missing["treatment"]:
        raise CrmlabInputError("campaign_assignment has no treatment group (实验组): nobody was contacted.")
    dup = rows["customer_id"].duplicated(keep=False)
    if dup.any():
        raise CrmlabInputError(f"campaign_assignment: customer_id is not unique within the campaign in "
                               f"{describe_rows(rows.index[dup])}; each customer belongs to one group once.")
    set_aside: dict = {}
    responded = boolean(rows["responded"], "responded", "campaign_assignment")
    no_outcome = responded.isna() | rows["revenue"].isna()
    if no_outcome.any():
        set_aside["customers without an outcome (responded or revenue missing)"] = int(no_outcome.sum())
    for column in by:
        gap = rows[column].isna() & ~no_outcome
        if gap.any():
            set_aside[f"customers without a '{column}'"] = int(gap.sum())
            no_outcome = no_outcome | gap
    keep = ~no_outcome
    out = pd.DataFrame({"group": group[keep], "responded": responded[keep].astype(bool),
                        "revenue": amount_column(rows.loc[keep, "revenue"], column="revenue", table="campaign_assignment")})
    for column in by:
        out[column] = rows.loc[keep, column]
    if out.empty:
        raise CrmlabInputError(f"{what}: no customer is left after setting aside {set_aside}.")
    return out, by, set_aside


def campaign_uplift(assignment: pd.DataFrame, *, campaign_id=None, by=None, confidence: float = 0.95,
                    verbose: bool = True) -> pd.DataFrame:
    """Uplift of the treatment group over the control group (增量效果), with intervals and tests.

    - **Response rate** (响应率): difference of the two shares; Newcombe's
      interval (from the two Wilson intervals: for large groups the textbook
      ``d ± 1.96·se``, and still honest for a small segment in which nobody
      responded), two-proportion z-test (pooled).
    - **Revenue per customer** (人均收入, customers without a purchase count
      0): difference of the two means; Welch's t interval and test (unequal
      variances), which is right for the skewed revenue of large groups.

    Parameters
    ----------
    assignment : DataFrame
        Columns ``customer_id``, ``group`` (``"treatment"`` / ``"control"``),
        ``responded`` (bool), ``revenue`` (CNY >= 0), ``campaign_id`` when
        several campaigns are in it, and the columns in ``by``.
    campaign_id : str, optional
        The campaign to evaluate (needed when the table holds several).
    by : str or list of str, optional
        Segment column(s) for the uplift per segment (分群增量), e.g.
        ``"rfm_class"`` joined in from :func:`crmlab.rfm.rfm_classes`.
        Customers with no segment are set aside and reported. Several
        segments mean several tests: expect about one in twenty to look
        "significant" by chance at the 95 % level.
    confidence : float, default 0.95
        Level of the intervals; ``significant`` means p < 1 - confidence.
    verbose : bool, default True
        Print one line about the rows set aside (kept in ``attrs["set_aside"]``).

    Returns
    -------
    DataFrame
        One row per (segment and) metric (``"response_rate"``,
        ``"revenue_per_customer"``): ``n_treatment``, ``n_control``,
        ``treatment``, ``control`` (the group means), ``uplift`` (treatment -
        control), ``ci_low``, ``ci_high``, ``p_value``, ``significant`` and
        ``relative_uplift`` (uplift / control). A segment without customers
        in one group gets empty (NaN) results.

    Raises
    ------
    CrmlabInputError
        Unknown group labels, no control (or no treatment) group, several
        campaigns without ``campaign_id``, duplicated customers, bad values.

    Examples
    --------
    >>> a = pd.DataFrame({"customer_id": list("abcdefgh"), "group": ["treatment"] * 4 + ["control"] * 4,
    ...                   "responded": [True, True, False, False, True, False, False, False],
    ...                   "revenue": [100.0, 50.0, 0.0, 0.0, 60.0, 0.0, 0.0, 0.0]})
    >>> campaign_uplift(a)[["treatment", "control", "uplift"]]  # doctest: +NORMALIZE_WHITESPACE
                          treatment  control  uplift
    metric
    response_rate              0.5     0.25    0.25
    revenue_per_customer      37.5    15.00   22.50
    """
    from scipy.stats import t as student

    rows, by, set_aside = _experiment(assignment, campaign_id=campaign_id, by=by, what="campaign_uplift")
    z_value(confidence)  # checks the level before any arithmetic
    segments = by or ["_all"]
    rows = rows.assign(_all="all") if not by else rows
    stats = rows.groupby([*segments, "group"], observed=True, sort=True).agg(
        n=("revenue", "size"), responders=("responded", "sum"), mean=("revenue", "mean"), var=("revenue", "var"))
    wide = stats.unstack("group")  # one row per segment; a group absent from a segment gives NaN

    def column(name, group):
        return wide[(name, group)].to_numpy(float)

    nt, nc = np.nan_to_num(column("n", "treatment")), np.nan_to_num(column("n", "control"))
    xt, xc = column("responders", "treatment"), column("responders", "control")
    diff, low, high, p_resp = difference_of_shares(xt, nt, xc, nc, confidence=confidence)
    mt, mc = column("mean", "treatment"), column("mean", "control")
    vt, vc = column("var", "treatment"), column("var", "control")
    with np.errstate(invalid="ignore", divide="ignore"):
        se2t, se2c = vt / nt, vc / nc
        se = np.sqrt(se2t + se2c)
        df = (se2t + se2c) ** 2 / (se2t ** 2 / (nt - 1) + se2c ** 2 / (nc - 1))  # Welch-Satterthwaite
        q = student.ppf(0.5 + confidence / 2, df)
        rev_diff = mt - mc
        p_rev = np.where(se > 0, 2 * student.sf(np.abs(rev_diff) / se, df), np.where(rev_diff == 0, 1.0, 0.0))
    ok_resp = (nt > 0) & (nc > 0)
    ok_rev = (nt > 1) & (nc > 1)
    response = pd.DataFrame({
        "metric": "response_rate", "n_treatment": nt.astype(int), "n_control": nc.astype(int),
        "treatment": np.where(nt > 0, xt / np.maximum(nt, 1), np.nan),
        "control": np.where(nc > 0, xc / np.maximum(nc, 1), np.nan),
        "uplift": np.where(ok_resp, diff, np.nan), "ci_low": np.where(ok_resp, low, np.nan),
        "ci_high": np.where(ok_resp, high, np.nan), "p_value": np.where(ok_resp, p_resp, np.nan)}, index=wide.index)
    revenue = pd.DataFrame({
        "metric": "revenue_per_customer", "n_treatment": nt.astype(int), "n_control": nc.astype(int),
        "treatment": mt, "control": mc,
        "uplift": np.where(ok_rev, rev_diff, np.nan), "ci_low": np.where(ok_rev, rev_diff - q * se, np.nan),
        "ci_high": np.where(ok_rev, rev_diff + q * se, np.nan), "p_value": np.where(ok_rev, p_rev, np.nan)},
        index=wide.index)
    out = pd.concat([response, revenue])
    out["significant"] = out["p_value"] < 1 - confidence
    with np.errstate(invalid="ignore", divide="ignore"):
        out["relative_uplift"] = (out["uplift"] / out["control"]).where(out["control"] > 0)
    out["_order"] = out["metric"].map({m: i for i, m in enumerate(METRICS)})
    if by:
        out = out.reset_index().sort_values([*by, "_order"], kind="stable").set_index([*by, "metric"])
    else:
        out = out.set_index("metric")
    out = out.drop(columns="_order")
    return report_set_aside(out, set_aside, what="campaign_uplift", verbose=verbose)


def uplift_heterogeneity(assignment: pd.DataFrame, *, by, campaign_id=None, confidence: float = 0.95,
                         verbose: bool = True) -> pd.DataFrame:
    """Does the uplift differ between segments? (分群增量差异检验)

    A table of uplift by segment invites "it works for A, not for B". That
    reading needs a test of the *difference between the segments' effects*
    (the treatment x segment interaction), not one test per segment: a
    segment whose own interval includes 0 may still have the same effect as
    one whose interval does not. The null hypothesis of every test here is
    "the effect is the same in every segment"; a large p-value means the data
    cannot tell the segments apart, not that their effects are equal.

    - **Response, likelihood-ratio test** (``"likelihood_ratio"``): logistic
      regression of ``responded`` on segment + treatment (one effect, a common
      odds ratio) against segment x treatment (one effect per segment; this
      model reproduces every segment-group response rate). Twice the
      difference of the log-likelihoods is referred to chi-square with
      (segments - 1) degrees of freedom. The common-effect model is fitted by
      Newton-Raphson on the segment-group counts (no sampling, exact).
    - **Response, Cochran's Q** (``"cochran_q"``): the per-segment uplifts in
      points (difference of shares, as in :func:`campaign_uplift`) with their
      variances ``p1(1-p1)/n1 + p0(1-p0)/n0``; ``Q = sum w (d - d_bar)**2``,
      ``w = 1/variance``, ``d_bar`` the weighted mean; chi-square with
      (segments - 1) degrees of freedom. It tests the effect on the scale of
      the uplift table, but its variances are rough for small segments.
    - **Revenue per customer, Cochran's Q**: the same on the per-segment
      differences of mean revenue with Welch's variances ``s1**2/n1 +
      s0**2/n0`` (large-sample; skewed revenue in small segments makes it
      approximate).

    A segment enters a test only if it can say something about its effect:
    both groups present (for revenue at least 2 customers in each), and for
    the response someone responded and someone did not; for revenue, some
    spread in revenue. Segments left out are named in ``left_out`` and are
    not counted in the degrees of freedom (software that keeps such a segment
    in the logistic model counts one more degree of freedom for it, for a
    likelihood-ratio statistic it does not change, and so reports a larger
    p-value).

    Parameters
    ----------
    assignment : DataFrame
        As in :func:`campaign_uplift`, with the segment column ``by``.
    by : str
        The segment column, measured before the campaign (e.g. ``rfm_class``).
        Customers without a segment are set aside and reported.
    campaign_id : str, optional
        The campaign to test (needed when the table holds several).
    confidence : float, default 0.95
        ``differs`` means p < 1 - confidence.
    verbose : bool, default True
        Print one line about the rows set aside (kept in ``attrs["set_aside"]``).

    Returns
    -------
    DataFrame
        Indexed by (``metric``, ``method``): ``statistic``, ``df``,
        ``p_value``, ``differs``, ``segments`` (how many entered the test)
        and ``left_out`` (the segments that could not, comma-separated).

    Raises
    ------
    CrmlabInputError
        As :func:`campaign_uplift`; also if ``by`` is not a single column.

    Examples
    --------
    Two segments of 8 customers: in x, 3 of 4 treated customers respond and 1
    of 4 controls; in y the other way round, so the effects are +50 and -50
    points (a toy case; in a real test 16 customers are far too few):

    >>> a = pd.DataFrame({"customer_id": range(16), "segment": ["x"] * 8 + ["y"] * 8,
    ...                   "group": (["treatment"] * 4 + ["control"] * 4) * 2,
    ...                   "responded": [1, 1, 1, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 1, 0],
    ...                   "revenue": [50.0, 60, 70, 0, 40, 0, 0, 0, 20, 0, 0, 0, 30, 40, 50, 0]})
    >>> uplift_heterogeneity(a, by="segment")[["statistic", "df", "p_value"]].round(3)
    ... # doctest: +NORMALIZE_WHITESPACE
                                           statistic  df  p_value
    metric               method
    response_rate        likelihood_ratio      4.186   1    0.041
                         cochran_q             5.333   1    0.021
    revenue_per_customer cochran_q             7.448   1    0.006
    """
    from scipy.stats import chi2

    if not isinstance(by, str):
        raise CrmlabInputError(f"by must name one segment column, e.g. by='rfm_class', got {by!r}.")
    rows, _, set_aside = _experiment(assignment, campaign_id=campaign_id, by=by, what="uplift_heterogeneity")
    z_value(confidence)
    stats = rows.groupby([by, "group"], observed=True, sort=True).agg(
        n=("revenue", "size"), x=("responded", "sum"), mean=("revenue", "mean"), var=("revenue", "var"))
    wide = stats.unstack("group")
    names = wide.index.astype(str)

    def column(name, group):
        return np.nan_to_num(wide[(name, group)].to_numpy(float))  # a group absent from a segment: 0 customers

    nt, nc, xt, xc = column("n", "treatment"), column("n", "control"), column("x", "treatment"), column("x", "control")
    both = (nt > 0) & (nc > 0)
    responders = xt + xc
    informative = both & (responders > 0) & (responders < nt + nc)
    lr = _interaction_lr(xt[informative], nt[informative], xc[informative], nc[informative])
    with np.errstate(invalid="ignore", divide="ignore"):
        pt, pc = xt / nt, xc / nc
        resp_var = pt * (1 - pt) / nt + pc * (1 - pc) / nc
        rev_var = column("var", "treatment") / nt + column("var", "control") / nc
    resp_ok = informative & (resp_var > 0)
    rev_ok = (nt > 1) & (nc > 1) & (rev_var > 0)
    rev_diff = column("mean", "treatment") - column("mean", "control")
    tests = [("response_rate", "likelihood_ratio", lr, informative),
             ("response_rate", "cochran_q", _cochran_q(pt[resp_ok] - pc[resp_ok], resp_var[resp_ok]), resp_ok),
             ("revenue_per_customer", "cochran_q", _cochran_q(rev_diff[rev_ok], rev_var[rev_ok]), rev_ok)]
    out = pd.DataFrame([{
        "metric": metric, "method": method, "statistic": stat, "df": max(int(used.sum()) - 1, 0),
        "p_value": float(chi2.sf(stat, used.sum() - 1)) if used.sum() > 1 else np.nan,
        "segments": int(used.sum()), "left_out": ", ".join(names[~used])} for metric, method, stat, used in tests])
    out["differs"] = out["p_value"] < 1 - confidence
    out = out.set_index(["metric", "method"])[["statistic", "df", "p_value", "differs", "segments", "left_out"]]
    return report_set_aside(out, set_aside, what="uplift_heterogeneity", verbose=verbose)


def _cochran_q(effects: np.ndarray, variances: np.ndarray) -> float:
    """Cochran's Q: the weighted spread of the segment effects around their inverse-variance mean."""
    if len(effects) < 2:
        return np.nan
    w = 1 / variances
    pooled = np.sum(w * effects) / np.sum(w)
    return float(np.sum(w * (effects - pooled) ** 2))


def _interaction_lr(xt, nt, xc, nc) -> float:
    """Likelihood-ratio statistic of the treatment x segment interaction, from the segment-group counts.

    With one effect per segment the logistic model fits every cell's share exactly, so its
    log-likelihood is that of the observed shares. The common-effect model (segment intercepts
    ``a_s``, one treatment coefficient ``b``) is fitted by Newton-Raphson with step halving; the
    log-likelihood rises at every step, so the statistic converges even where an estimate drifts
    to infinity (a group in which nobody responded).
    """
    from scipy.special import expit, xlogy

    k = len(xt)
    if k < 2:
        return np.nan
    x = np.concatenate([xt, xc])
    n = np.concatenate([nt, nc])
    design = np.zeros((2 * k, k + 1))
    design[np.arange(2 * k), np.tile(np.arange(k), 2)] = 1.0
    design[:k, k] = 1.0  # the treated cells

    def loglik(beta):
        eta = design @ beta
        return float(np.sum(x * eta - n * np.logaddexp(0, eta)))

    shares = (x + 0.5) / (n + 1)  # start from the observed log-odds, kept finite
    beta = np.linalg.lstsq(design, np.log(shares / (1 - shares)), rcond=None)[0]
    current = loglik(beta)
    for _ in range(200):
        p = expit(design @ beta)
        gradient = design.T @ (x - n * p)
        hessian = design.T @ (design * (n * p * (1 - p))[:, None])
        step = np.linalg.lstsq(hessian, gradient, rcond=None)[0]
        for _ in range(30):
            trial = loglik(beta + step)
            if trial >= current:
                break
            step = step / 2
        else:
            break  # no step along the Newton direction gains: at the maximum
        beta, gain, current = beta + step, trial - current, trial
        if gain < 1e-12:
            break
    p = x / n
    saturated = float(np.sum(xlogy(x, p) + xlogy(n - x, 1 - p)))
    return max(2 * (saturated - current), 0.0)


def campaign_return(assignment: pd.DataFrame, *, cost_per_contact: float, margin_rate: float, fixed_cost: float = 0.0,
                    campaign_id=None, by=None, confidence: float = 0.95, verbose: bool = True) -> pd.DataFrame:
    """Return on the campaign's cost (活动投资回报): incremental margin against what the contacts cost.

    Only the **uplift** counts as the campaign's revenue: revenue per
    treated customer minus revenue per control customer, times the treated
    customers. Its margin (``margin_rate`` of it; the coupon is already
    deducted from the revenue) is set against the cost of the contacts:
    ``net_return = incremental margin - cost``, ``roi = net_return / cost``.
    The intervals carry the uncertainty of the revenue uplift (the cost is known).

    Parameters
    ----------
    assignment : DataFrame
        As in :func:`campaign_uplift`.
    cost_per_contact : float
        CNY per treated customer (message and offer handling), e.g.
        ``campaigns["cost_per_contact"]``.
    margin_rate : float
        Share of the incremental revenue that is margin (毛利率), 0-1, e.g.
        the margin / revenue of the treated customers' purchases in the
        window, from :func:`crmlab.transactions.purchases`.
    fixed_cost : float, default 0
        Cost of the campaign beyond the contacts (design, set-up), CNY; with
        ``by`` it is shared over the segments by their treated customers.
    campaign_id, by, confidence, verbose
        As in :func:`campaign_uplift`; ``by`` gives the return per segment.

    Returns
    -------
    DataFrame
        One row for the campaign (indexed by its id, or ``"all"``) or per
        segment: ``treated``, ``uplift_per_customer`` with ``uplift_low`` /
        ``uplift_high`` (revenue, CNY), ``incremental_revenue``,
        ``incremental_margin`` with ``margin_low`` / ``margin_high``, ``cost``,
        ``net_return`` with ``net_low`` / ``net_high``, ``roi`` with
        ``roi_low`` / ``roi_high``.

    Examples
    --------
    >>> a = pd.DataFrame({"customer_id": list("abcdefgh"), "group": ["treatment"] * 4 + ["control"] * 4,
    ...                   "responded": [True, True, False, False, True, False, False, False],
    ...                   "revenue": [100.0, 50.0, 0.0, 0.0, 60.0, 0.0, 0.0, 0.0]})
    >>> r = campaign_return(a, cost_per_contact=5.0, margin_rate=0.4)
    >>> r.loc["all", ["incremental_revenue", "incremental_margin", "cost", "net_return", "roi"]].tolist()
    [90.0, 36.0, 20.0, 16.0, 0.8]
    """
    cost_each = _nonnegative(cost_per_contact, name="cost_per_contact")
    fixed = _nonnegative(fixed_cost, name="fixed_cost")
    try:
        margin = float(margin_rate)
    except (TypeError, ValueError):
        margin = np.nan
    if not 0 <= margin <= 1:
        raise CrmlabInputError(f"margin_rate must be a share between 0 and 1 (35 % is 0.35), got {margin_rate!r}.")
    uplift = campaign_uplift(assignment, campaign_id=campaign_id, by=by, confidence=confidence, verbose=verbose)
    if by is None:
        ids = assignment["campaign_id"].dropna().unique() if "campaign_id" in assignment.columns else []
        label = campaign_id if campaign_id is not None else (str(ids[0]) if len(ids) == 1 else "all")
        revenue = uplift.loc[["revenue_per_customer"]].set_axis(pd.Index([label], name="campaign_id"))
    else:
        revenue = uplift.xs("revenue_per_customer", level="metric")
    treated = revenue["n_treatment"].astype(float)
    cost = treated * cost_each + fixed * treated / treated.sum()
    out = pd.DataFrame({
        "treated": revenue["n_treatment"],
        "uplift_per_customer": revenue["uplift"], "uplift_low": revenue["ci_low"], "uplift_high": revenue["ci_high"],
        "incremental_revenue": revenue["uplift"] * treated,
        "incremental_margin": revenue["uplift"] * treated * margin,
        "margin_low": revenue["ci_low"] * treated * margin,
        "margin_high": revenue["ci_high"] * treated * margin,
        "cost": cost,
    })
    out["net_return"] = out["incremental_margin"] - cost
    out["net_low"] = out["margin_low"] - cost
    out["net_high"] = out["margin_high"] - cost
    with np.errstate(invalid="ignore", divide="ignore"):
        for name, source in (("roi", "net_return"), ("roi_low", "net_low"), ("roi_high", "net_high")):
            out[name] = (out[source] / cost).where(cost > 0)
    out.attrs["set_aside"] = uplift.attrs.get("set_aside", {})
    return out


def _nonnegative(value, *, name: str) -> float:
    try:
        x = float(value)
    except (TypeError, ValueError):
        x = np.nan
    if not x >= 0:
        raise CrmlabInputError(f"{name} must be an amount >= 0 (CNY), got {value!r}.")
    return x
