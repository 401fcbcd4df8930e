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
