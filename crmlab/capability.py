"""CRM capability (客户关系管理能力): a scorecard of what the company can do with its own data.

A company's CRM capability is not the software it bought but what it can
reliably do: know who its customers are, reach them, answer their
complaints, learn from its campaigns and keep its customers. Each of these
is measured here on the company's own data by the chapter function that
teaches it, and judged against a target the management sets:

- data quality (数据质量, :func:`crmlab.quality.quality_report` on the silos):
  ``data_completeness``, the share of the identifying fields (name, phone,
  e-mail, ID number) of all silo records that are filled (target >= 0.90);
  ``data_standard``, the share of filled values already in the standard
  form (>= 0.90); ``data_duplicates``, the share of filled phone, e-mail and
  ID values that occur on more than one record of the same silo (<= 0.02);
- customer view (统一客户视图, :func:`crmlab.identify.resolve_customers`):
  ``contactable``, the share of customers with a usable phone or e-mail
  (>= 0.95);
- service (服务响应, :func:`crmlab.complaints.resolution_times`):
  ``complaint_hours``, the median hours from complaint to closing (<= 24);
  ``complaints_resolved``, the share of complaints resolved either way
  (>= 0.95); ``complaints_satisfied``, resolved to the customer's
  satisfaction (>= 0.75);
- campaign learning (营销学习, :func:`crmlab.campaigns.campaign_uplift`):
  ``experiment_share``, the share of campaigns run with a randomised control
  group (>= 0.50); ``uplift_precision``, the half-width of the 95 % interval
  of the latest experiment's response uplift (<= 0.03, three points);
- retention (客户保持, :func:`crmlab.retention.customer_lifetimes`):
  ``active_share``, the share of buyers with a purchase in the last
  ``inactive_days`` (>= 0.60).

The targets (:data:`TARGETS`) are a **management choice** (管理决策), not a
law of nature: a 24-hour service promise, a rule that every second campaign
keeps a control group. Change them with ``targets={...}``; the scorecard
states them beside every value.

:func:`capability_measures` takes the measures, :func:`score_capability`
scores them, :func:`capability_scorecard` does both. The score of a measure
is 100 when it meets its target and otherwise the share of the target it
reaches: ``100 * value / target`` where higher is better, ``100 * target /
value`` where lower is better. A measure the data cannot give (no campaign
with a control group has no uplift interval) scores 0: what a company cannot
see, it cannot manage.

The measures are counts over all of the company's records (a census, not a
sample), so they carry no interval; the one interval in the table, of the
campaign uplift, *is* the measure (how precisely the company learns).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from crmlab import campaigns as _campaigns
from crmlab import complaints as _complaints
from crmlab import identify, quality, retention
from crmlab.datasets.schema import OUTCOMES
from crmlab.validation import CrmlabInputError, as_date, frame_check, require_columns, require_nonempty

__all__ = ["MEASURES", "TARGETS", "STATUS_ZH", "capability_measures", "score_capability", "capability_scorecard"]

#: Each measure: (area, area_zh, label_zh, label_en, unit, better, source function).
MEASURES = {
    "data_completeness": ("data quality", "数据质量", "数据完整性", "identifying fields filled", "share", "higher",
                          "crmlab.quality.quality_report"),
    "data_standard": ("data quality", "数据质量", "数据规范性", "values in standard form", "share", "higher",
                      "crmlab.quality.quality_report"),
    "data_duplicates": ("data quality", "数据质量", "重复记录", "contact values on several records", "share", "lower",
                        "crmlab.quality.quality_report"),
    "contactable": ("customer view", "统一客户视图", "可联系客户", "customers with phone or e-mail", "share", "higher",
                    "crmlab.identify.resolve_customers"),
    "complaint_hours": ("service", "服务响应", "投诉处理时长", "median hours to close a complaint", "hours", "lower",
                        "crmlab.complaints.resolution_times"),
    "complaints_resolved": ("service", "服务响应", "投诉解决率", "complaints resolved", "share", "higher",
                            "crmlab.complaints.resolution_times"),
    "complaints_satisfied": ("service", "服务响应", "满意解决率", "complaints resolved to satisfaction", "share", "higher",
                             "crmlab.complaints.resolution_times"),
    "experiment_share": ("campaign learning", "营销学习", "对照实验活动", "campaigns with a control group", "share",
                         "higher", "crmlab.campaigns.campaign_uplift"),
    "uplift_precision": ("campaign learning", "营销学习", "增量效果精度", "half-width of the uplift interval", "share",
                         "lower", "crmlab.campaigns.campaign_uplift"),
    "active_share": ("retention", "客户保持", "活跃客户", "buyers still active", "share", "higher",
                     "crmlab.retention.customer_lifetimes"),
}
#: The default targets (管理目标), a management choice: see the module description.
TARGETS = {"data_completeness": 0.90, "data_standard": 0.90, "data_duplicates": 0.02, "contactable": 0.95,
           "complaint_hours": 24.0, "complaints_resolved": 0.95, "complaints_satisfied": 0.75,
           "experiment_share": 0.50, "uplift_precision": 0.03, "active_share": 0.60}
#: The status of a measure: target met (达标), near it (接近), weak (薄弱), not measurable (无法测量).
STATUS_ZH = {"met": "达标", "near": "接近", "weak": "薄弱", "not measured": "无法测量"}

_IDENTIFYING = ("name", "phone", "email", "id_number")
_CONTACT = ("phone", "email", "id_number")


def _weighted(report: pd.DataFrame, fields, column: str, weight) -> float:
    rows = report[report.index.get_level_values("field").isin(fields)]
    w = weight(rows)
    return float((rows[column].fillna(0) * w).sum() / w.sum()) if w.sum() > 0 else np.nan


def capability_measures(*, silos, complaints: pd.DataFrame, campaigns: pd.DataFrame, assignment: pd.DataFrame,
                        purchases: pd.DataFrame, as_of, view=None, columns=None, campaign_id=None,
                        inactive_days: int = 180) -> pd.DataFrame:
    """The measures of the CRM capability scorecard (客户关系管理能力指标), each from its chapter's function.

    Parameters
    ----------
    silos : dict of {str: DataFrame}
        The record silos (``{name: load_data(name) for name in crmlab.identify.SILOS}``).
    complaints : DataFrame
        The complaint log: ``opened_ts``, ``closed_ts``, ``outcome`` (``load_data("complaints")``).
    campaigns : DataFrame
        Every campaign the company ran: ``campaign_id``, ``start_date`` (``load_data("campaigns")``).
    assignment : DataFrame
        The randomised campaigns' customers (``load_data("campaign_assignment")``): ``campaign_id``,
        ``customer_id``, ``group``, ``responded``, ``revenue``. A campaign of ``campaigns`` with no
        control group here counts as run without one.
    purchases : DataFrame
        From :func:`crmlab.transactions.purchases`.
    as_of : str or Timestamp
        End of the data (exclusive), e.g. ``"2026-01-01"``.
    view : CustomerView, optional
        The single customer view of ``silos``; default :func:`crmlab.identify.resolve_customers` with
        its defaults.
    columns : dict, optional
        Field-to-column map of the silos (default :data:`crmlab.identify.SILOS`).
    campaign_id : str, optional
        The experiment whose uplift interval is judged; default the one with a control group that
        started last.
    inactive_days : int, default 180
        A buyer without a purchase for this many days counts as lost (the churn rule of chapter 7).

    Returns
    -------
    DataFrame
        Indexed by ``measure`` (the keys of :data:`MEASURES`, in that order): ``area``, ``area_zh``,
        ``label`` (Chinese and English), ``value``, ``unit`` (share 0-1 or hours), ``better``
        (``"higher"`` / ``"lower"``) and ``source`` (the function that measured it).
        ``attrs["experiment"]`` names the campaign of ``uplift_precision`` (None without one).

    Raises
    ------
    CrmlabInputError
        A missing column, an empty table, a ``campaign_id`` that is not an experiment with a control
        group, campaigns in ``assignment`` that ``campaigns`` does not list.

    Examples
    --------
    >>> from crmlab.datasets import load_data
    >>> from crmlab.transactions import purchases
    >>> m = capability_measures(silos={n: load_data(n) for n in identify.SILOS},
    ...                         complaints=load_data("complaints"), campaigns=load_data("campaigns"),
    ...                         assignment=load_data("campaign_assignment"),
    ...                         purchases=purchases(load_data("orders"), load_data("order_lines"), verbose=False),
    ...                         as_of="2026-01-01")
    >>> m.loc[["experiment_share", "complaints_resolved"], "value"].round(3).tolist()
    [0.1, 0.853]
    """
    as_of = as_date(as_of, name="as_of")
    for name, frame in (("complaints", complaints), ("campaigns", campaigns), ("campaign_assignment", assignment)):
        frame_check(frame, name)
    require_columns(campaigns.columns, ["campaign_id", "start_date"], table="campaigns")
    require_nonempty(campaigns, table="campaigns")
    require_columns(assignment.columns, ["campaign_id", "group"], table="campaign_assignment")
    require_columns(complaints.columns, ["opened_ts", "closed_ts", "outcome"], table="complaints")
    values = {}

    # data quality: the report of chapter 3, weighted by records (completeness) or filled values
    report = quality.quality_report(silos, columns=columns, as_of=as_of - pd.Timedelta(days=1))
    values["data_completeness"] = _weighted(report, _IDENTIFYING, "filled", lambda r: r["records"])
    values["data_standard"] = _weighted(report, _IDENTIFYING, "standard", lambda r: r["records"] * r["filled"])
    values["data_duplicates"] = _weighted(report, _CONTACT, "duplicated", lambda r: r["records"] * r["filled"])

    # customer view: golden records with a usable (valid, standardised) phone or e-mail
    if view is None:
        view = identify.resolve_customers(silos, columns=columns, verbose=False)
    golden = view.golden
    values["contactable"] = float((golden["phone"].notna() | golden["email"].notna()).mean())

    # service: time to close, and how the complaints ended
    values["complaint_hours"] = float(
        _complaints.resolution_times(complaints, by=None, verbose=False)["median"].iloc[0])
    ended = _complaints.resolution_times(complaints, by="outcome", verbose=False)["complaints"]
    ended = ended.reindex(list(OUTCOMES), fill_value=0)
    values["complaints_resolved"] = float(1 - ended["unresolved"] / ended.sum())
    values["complaints_satisfied"] = float(ended["resolved_satisfied"] / ended.sum())

    # campaign learning: which campaigns kept a control group, and how precise the last one's uplift is
    listed = campaigns["campaign_id"].astype("string")
    ids = assignment["campaign_id"].astype("string")
    unknown = sorted(set(ids.dropna()) - set(listed.dropna()))
    if unknown:
        raise CrmlabInputError(f"campaign_assignment holds campaign(s) {unknown} that the campaigns table does not "
                               "list; add them to campaigns (one row per campaign the company ran).")
    with_control = set(ids[assignment["group"].astype("string").eq("control").fillna(False).to_numpy(bool)].dropna())
    experiments = campaigns.assign(_id=listed)[listed.isin(with_control).to_numpy(bool)]
    values["experiment_share"] = float(listed.drop_duplicates().isin(with_control).mean())
    if campaign_id is None and len(experiments):
        campaign_id = experiments.sort_values(["start_date", "_id"], kind="stable")["_id"].iloc[-1]
    elif campaign_id is not None and campaign_id not in with_control:
        raise CrmlabInputError(f"campaign_id={campaign_id!r} is not a campaign with a control group in "
                               f"campaign_assignment; those are: {sorted(with_control)}.")
    if campaign_id is None:
        values["uplift_precision"] = np.nan
    else:
        uplift = _campaigns.campaign_uplift(assignment, campaign_id=campaign_id, verbose=False).loc["response_rate"]
        values["uplift_precision"] = float((uplift["ci_high"] - uplift["ci_low"]) / 2)

    # retention: buyers still active under the chapter-7 churn rule
    life = retention.customer_lifetimes(purchases, as_of=as_of, inactive_days=inactive_days, verbose=False)
    require_nonempty(life, table="purchases before as_of")
    values["active_share"] = float(1 - life["churned"].mean())

    meta = pd.DataFrame.from_dict(MEASURES, orient="index",
                                  columns=["area", "area_zh", "label_zh", "label_en", "unit", "better", "source"])
    out = pd.DataFrame({"area": meta["area"], "area_zh": meta["area_zh"],
                        "label": meta["label_zh"] + " " + meta["label_en"],
                        "value": pd.Series(values, dtype=float), "unit": meta["unit"], "better": meta["better"],
                        "source": meta["source"]})
    out.index.name = "measure"
    out.attrs["experiment"] = campaign_id
    return out


def score_capability(measures: pd.DataFrame, *, targets=None, near: float = 80.0) -> pd.DataFrame:
    """Score each measure against its target (能力评分): 100 when met, else the share of the target reached.

    Parameters
    ----------
    measures : DataFrame
        Indexed by measure name, with ``value`` and ``better`` (``"higher"`` or ``"lower"``), as
        :func:`capability_measures` returns; other columns are kept.
    targets : dict, optional
        Targets by measure name, overriding :data:`TARGETS` (a management choice). Every measure
        needs a target > 0.
    near : float, default 80
        A measure that misses its target with a score of at least ``near`` is *near* (接近); below,
        *weak* (薄弱).

    Returns
    -------
    DataFrame
        ``measures`` with ``target``, ``score`` (0-100: ``100 * min(1, value / target)`` where higher
        is better, ``100 * min(1, target / value)`` where lower is better; 0 for a value the data
        could not give), ``met`` (bool), ``status`` (met / near / weak / not measured) and
        ``status_zh``.

    Raises
    ------
    CrmlabInputError
        Missing columns, a ``better`` other than higher / lower, a measure without a target, a
        target that is not a number > 0, a target for an unknown measure, ``near`` outside 0-100.

    Examples
    --------
    >>> m = pd.DataFrame({"value": [0.45, 36.0, 0.0], "better": ["higher", "lower", "lower"]},
    ...                  index=["active", "hours", "duplicates"])
    >>> score_capability(m, targets={"active": 0.6, "hours": 24, "duplicates": 0.02})[["score", "status"]]
    ... # doctest: +NORMALIZE_WHITESPACE
                    score status
    active      75.000000   weak
    hours       66.666667   weak
    duplicates  100.000000   met
    """
    frame_check(measures, "measures", fix="Pass the table of capability_measures(...).")
    require_columns(measures.columns, ["value", "better"], table="measures")
    require_nonempty(measures, table="measures")
    if isinstance(near, bool) or not isinstance(near, (int, float, np.integer, np.floating)) or not 0 <= near <= 100:
        raise CrmlabInputError(f"near={near!r} must be a score from 0 to 100, e.g. 80.")
    better = measures["better"].astype("string")
    bad = ~better.isin(["higher", "lower"]).fillna(False).to_numpy(bool)
    if bad.any():
        raise CrmlabInputError(f"measures: column 'better' must be 'higher' or 'lower'; it is not for measure(s) "
                               f"{list(measures.index[bad])}.")
    chosen = dict(TARGETS)
    if targets is not None:
        if not isinstance(targets, dict):
            raise CrmlabInputError("targets must be a dict {measure: target}, e.g. {'complaint_hours': 48}.")
        stray = sorted(set(targets) - set(measures.index) - set(TARGETS))
        if stray:
            raise CrmlabInputError(f"targets for unknown measure(s) {stray}; measures: {list(measures.index)}.")
        chosen.update(targets)
    missing = [m for m in measures.index if m not in chosen]
    if missing:
        raise CrmlabInputError(f"no target for measure(s) {missing}; pass targets={{{missing[0]!r}: ...}}.")
    target = pd.to_numeric(pd.Series([chosen[m] for m in measures.index], index=measures.index, dtype=object),
                           errors="coerce")
    wrong = ~(target > 0).to_numpy(bool)
    if wrong.any():
        raise CrmlabInputError(f"the target of {list(measures.index[wrong])} must be a number > 0, got "
                               f"{[chosen[m] for m in measures.index[wrong]]}.")
    value = pd.to_numeric(measures["value"], errors="coerce").astype(float)
    higher = better.eq("higher").to_numpy(bool)
    with np.errstate(divide="ignore", invalid="ignore"):
        reached = np.where(higher, value / target, np.where(value == 0, np.inf, target / value))
    score = 100 * np.minimum(1.0, np.nan_to_num(reached, nan=0.0))
    met = np.where(higher, value >= target, value <= target) & value.notna().to_numpy(bool)
    status = np.where(value.isna(), "not measured", np.where(met, "met", np.where(score >= near, "near", "weak")))
    out = measures.copy()
    out["target"] = target.astype(float)
    out["score"] = score
    out["met"] = met
    out["status"] = status
    out["status_zh"] = out["status"].map(STATUS_ZH)
    return out


def capability_scorecard(*, silos, complaints: pd.DataFrame, campaigns: pd.DataFrame, assignment: pd.DataFrame,
                         purchases: pd.DataFrame, as_of, view=None, columns=None, campaign_id=None,
                         inactive_days: int = 180, targets=None, near: float = 80.0) -> pd.DataFrame:
    """The CRM capability scorecard (客户关系管理能力评分卡): :func:`capability_measures`, then
    :func:`score_capability`.

    Parameters
    ----------
    silos, complaints, campaigns, assignment, purchases, as_of, view, columns, campaign_id, inactive_days
        As :func:`capability_measures`.
    targets : dict, optional
        Targets overriding :data:`TARGETS` (a management choice; see the module description).
    near : float, default 80
        As :func:`score_capability`.

    Returns
    -------
    DataFrame
        One row per measure: ``area``, ``area_zh``, ``label``, ``value``, ``unit``, ``better``,
        ``source``, ``target``, ``score`` (0-100), ``met``, ``status``, ``status_zh``.

    Examples
    --------
    >>> from crmlab.datasets import load_data
    >>> from crmlab.transactions import purchases
    >>> card = capability_scorecard(silos={n: load_data(n) for n in identify.SILOS},
    ...                             complaints=load_data("complaints"), campaigns=load_data("campaigns"),
    ...                             assignment=load_data("campaign_assignment"),
    ...                             purchases=purchases(load_data("orders"), load_data("order_lines"), verbose=False),
    ...                             as_of="2026-01-01", targets={"complaint_hours": 48})
    >>> float(card.loc["complaint_hours", "target"]), card.loc["complaint_hours", "status"]
    (48.0, 'met')
    """
    measures = capability_measures(silos=silos, complaints=complaints, campaigns=campaigns, assignment=assignment,
                                   purchases=purchases, as_of=as_of, view=view, columns=columns,
                                   campaign_id=campaign_id, inactive_days=inactive_days)
    out = score_capability(measures, targets=targets, near=near)
    out.attrs.update(measures.attrs)
    return out
