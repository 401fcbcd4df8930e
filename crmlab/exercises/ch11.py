"""Chapters 11–12 exercises (客户关系管理能力与实施): the CRM capability scorecard and what it is worth.

The questions follow the chapter notebook (``notebooks/11_12_crm_capability.ipynb``):
the measures of the scorecard (:func:`crmlab.capability.capability_measures`:
duplicate contact values in the silos, the median time to close a
complaint, the share of buyers still active), their scores against the
management's targets (:func:`crmlab.capability.score_capability`), what
reaching the retention target would be worth, and how a scorecard should be
read before an implementation plan is built on it. Each question is a
:class:`crmlab.exercises.core.Question`: its reference and its typical
mistakes are computations on the student's own data.

Examples
--------
>>> [q.id for q in QUESTIONS]
['q1', 'q2', 'q3', 'q4', 'q5', 'q6']
"""
from __future__ import annotations

import pandas as pd

from crmlab.exercises.core import PERCENT_HINT as PERCENT
from crmlab.exercises.core import RETURNS_HINT as RETURNS
from crmlab.exercises.core import SHARED_HINT as SHARED
from crmlab.exercises.core import ExerciseData, Mistake, Question, bought

CHAPTER = "ch11"
END = "2026-01-01"                 # the analysis date: the day after the last day of the data (exclusive)
INACTIVE_DAYS = 180                # the chapter-7 churn rule
OTHER_RULE_DAYS = 365              # the other rule a student may reach for
YEAR_START = "2025-01-01"          # q5: the margin of a 2025 buyer
SCORED = ["data_completeness", "data_standard", "data_duplicates", "complaint_hours", "complaints_resolved",
          "complaints_satisfied"]  # q4: the measures of data quality and service
CONTACT_FIELDS = ("phone", "email", "id_number")


# ------------------------------------------------------------------ the measures, once per data set

def _measures(data: ExerciseData) -> pd.DataFrame:
    def compute():
        from crmlab.capability import capability_measures
        from crmlab.identify import SILOS
        silos = {name: data.table(name) for name in SILOS}
        return capability_measures(silos=silos, complaints=data.table("complaints"), campaigns=data.table("campaigns"),
                                   assignment=data.table("campaign_assignment"),
                                   purchases=bought(data), as_of=END, inactive_days=INACTIVE_DAYS)
    return data.memo("measures", compute)


def _value(data, measure) -> float:
    return float(_measures(data).loc[measure, "value"])


# ------------------------------------------------------------------ q1: duplicate contact values

def _duplicates(data) -> float:
    return _value(data, "data_duplicates")


def _duplicates_unweighted(data) -> float:
    """The mistake: the plain mean of the quality report's duplicated shares of the contact fields."""
    from crmlab.identify import SILOS
    from crmlab.quality import quality_report
    report = quality_report({name: data.table(name) for name in SILOS}, as_of=pd.Timestamp(END) - pd.Timedelta(days=1))
    rows = report[report.index.get_level_values("field").isin(CONTACT_FIELDS)]
    return float(rows["duplicated"].mean())


# ------------------------------------------------------------------ q2: time to close a complaint

def _hours(data, column="median", per=1.0) -> float:
    from crmlab.complaints import resolution_times
    return float(resolution_times(data.table("complaints"), by=None, verbose=False)[column].iloc[0]) / per


# ------------------------------------------------------------------ q3: active buyers

def _lifetimes(data, returns_removed=True, days=INACTIVE_DAYS) -> pd.DataFrame:
    def compute():
        from crmlab.retention import customer_lifetimes
        return customer_lifetimes(bought(data, returns_removed=returns_removed), as_of=END, inactive_days=days,
                                  verbose=False)
    return data.memo(("lifetimes", returns_removed, days), compute)


def _active(data, returns_removed=True, days=INACTIVE_DAYS, churned=False) -> float:
    """The measure active_share (capability_measures computes it from the same customer_lifetimes)."""
    share = float(1 - _lifetimes(data, returns_removed, days)["churned"].mean())
    return 1 - share if churned else share


# ------------------------------------------------------------------ q4: scores against the targets

def _scores(data, *, direction=True, scale=100.0) -> pd.Series:
    from crmlab.capability import TARGETS, score_capability
    measures = _measures(data).loc[SCORED]
    if direction:
        scores = score_capability(measures)["score"]
    else:   # the mistake: value / target for every measure, as if higher were always better
        target = pd.Series(TARGETS).reindex(SCORED)
        scores = 100 * (measures["value"] / target).clip(upper=1)
    return (scores * scale / 100).astype(float).rename(None).rename_axis(None)


# ------------------------------------------------------------------ q5: what the retention target is worth

def _target_worth(data, returns_removed=True, days=INACTIVE_DAYS, amount="margin") -> float:
    from crmlab.capability import TARGETS
    lines = bought(data, returns_removed=returns_removed)
    life = _lifetimes(data, returns_removed, days)
    active = float(1 - life["churned"].mean())
    year = lines[lines["order_ts"] >= YEAR_START]
    per_buyer = year[amount].sum() / year["customer_id"].nunique()
    return float((TARGETS["active_share"] - active) * len(life) * per_buyer)


# ------------------------------------------------------------------ the questions

OTHER_RULE = (f"the chapter's churn rule is {INACTIVE_DAYS} days without a purchase (inactive_days={INACTIVE_DAYS}); "
              f"that value fits a rule of {OTHER_RULE_DAYS} days.")

QUESTIONS = (
    Question("q1", "number", 1,
             "Data quality (数据质量): build the scorecard's measures, `crmlab.capability.capability_measures(silos=..., "
             "complaints=..., campaigns=..., assignment=..., purchases=..., as_of='2026-01-01')`, with the silos "
             "`{name: load_data(name) for name in crmlab.identify.SILOS}`, the complaints, campaigns and "
             "campaign_assignment tables and the purchases (`crmlab.transactions.purchases`). What share of the "
             "filled phone, e-mail and ID values occur on more than one record of the same silo (measure "
             "`data_duplicates`)? Give a fraction.",
             _duplicates, tolerance=0.0005,
             mistakes=(Mistake("percent", lambda d: 100 * _duplicates(d), PERCENT, tolerance=0.05),
                       Mistake("unweighted", _duplicates_unweighted,
                               "that is the plain mean of the quality report's duplicated shares; each field of each "
                               "silo counts by its number of filled values (records x filled), as capability_measures "
                               "weighs them."),
                       Mistake("shared", lambda d: _duplicates(d.shared()), SHARED)),
             answer_hint="A fraction between 0 and 1, to 4 decimals (e.g. 0.0123)."),
    Question("q2", "number", 1,
             "Service (服务响应): how long does the company take to close a complaint? Give the median number of "
             "hours from opening to closing over the closed complaints (measure `complaint_hours`, from "
             "`crmlab.complaints.resolution_times(complaints, by=None)`).",
             _hours, tolerance=0.05,
             mistakes=(Mistake("mean", lambda d: _hours(d, column="mean"),
                               "the measure is the median time, not the mean (a few complaints take very long)."),
                       Mistake("days", lambda d: _hours(d, per=24.0), "give the time in hours, not days."),
                       Mistake("shared", lambda d: _hours(d.shared()), SHARED)),
             answer_hint="A number of hours, to 2 decimals (e.g. 12.34)."),
    Question("q3", "number", 1,
             f"Retention (客户保持): of the customers who ever bought before {END}, what share is still active by "
             f"chapter 7's rule (a purchase in the last {INACTIVE_DAYS} days; measure `active_share`)? Give a fraction.",
             _active, tolerance=0.0005,
             mistakes=(Mistake("churned", lambda d: _active(d, churned=True),
                               "that is the share of lost buyers (churned); the measure is the share still active."),
                       Mistake("churn_definition", lambda d: _active(d, days=OTHER_RULE_DAYS), OTHER_RULE),
                       Mistake("returns", lambda d: _active(d, returns_removed=False), RETURNS),
                       Mistake("percent", lambda d: 100 * _active(d), PERCENT, tolerance=0.05),
                       Mistake("shared", lambda d: _active(d.shared()), SHARED)),
             answer_hint="A fraction between 0 and 1, to 4 decimals (e.g. 0.1234)."),
    Question("q4", "table", 2,
             "Scores (能力评分): score the measures with `crmlab.capability.score_capability(measures)` against the "
             "default targets (`crmlab.capability.TARGETS`, a management choice): 100 when a measure meets its "
             "target, otherwise 100 x value / target where higher is better and 100 x target / value where lower is "
             "better. Give the score of each of the six measures of data quality and service (data_completeness, "
             "data_standard, data_duplicates, complaint_hours, complaints_resolved, complaints_satisfied).",
             _scores, tolerance=0.05,
             mistakes=(Mistake("direction", lambda d: _scores(d, direction=False),
                               "for a measure where lower is better (data_duplicates, complaint_hours) the score is "
                               "100 x target / value: a value above the target misses it."),
                       Mistake("fraction", lambda d: _scores(d, scale=1.0),
                               "scores run from 0 to 100 (e.g. 85.4), not from 0 to 1.", tolerance=0.0005),
                       Mistake("shared", lambda d: _scores(d.shared()), SHARED)),
             partial=True, answer_hint="One row per measure, the score to 2 decimals, e.g. "
                                       "{'data_completeness': 12.34, ...}."),
    Question("q5", "number", 2,
             "Decide which gap is worth closing: what would reaching the target for active buyers (`active_share`, "
             f"target {0.60:.2f}) be worth a year? As the chapter notebook does it: the additional active buyers, "
             "(target − active share) x the number of customers who ever bought, times the margin a buyer of 2025 "
             f"brought (the `margin` of the purchases from {YEAR_START} on, over the number of customers who bought "
             "in that time). Give the amount in yuan.",
             _target_worth, tolerance=1.0,
             mistakes=(Mistake("revenue", lambda d: _target_worth(d, amount="revenue"),
                               "value a buyer by the margin they bring, not by their revenue."),
                       Mistake("churn_definition", lambda d: _target_worth(d, days=OTHER_RULE_DAYS), OTHER_RULE),
                       Mistake("returns", lambda d: _target_worth(d, returns_removed=False), RETURNS),
                       Mistake("shared", lambda d: _target_worth(d.shared()), SHARED)),
             answer_hint="An amount in yuan, to whole yuan (e.g. 123456)."),
    Question("q6", "text", 3,
             "Interpret: the management asks which area the first stages of the implementation (项目规划, 数据迁移, "
             "试点) should address, and whether the scorecard can be trusted as the project's goals. Answer with your "
             "scorecard: which measures are weak or near, what is worth most (q5 against the service and data "
             "measures), and what depends on the targets rather than on the data. Answer in a few sentences.",
             None,
             rubric=("names the weak and near measures of one's own scorecard with their values and targets (e.g. "
                     "duplicate contact values, satisfied complaint resolution, the campaigns with a control group, "
                     "active buyers), as the data show them, not as the sample company's",
                     "the targets are a management choice: another target (e.g. a 48-hour service promise) changes "
                     "the status, not the data; the score is the share of the target reached, capped at 100, so a "
                     "met measure shows no margin",
                     "ranks by what closing a gap is worth: the retention target (q5) is the largest sum, service "
                     "and duplicate mailings smaller; some gaps (no control groups) cost decisions taken blind "
                     "rather than a number",
                     "links the weak areas to the stages: data migration (clean, standardise, merge the silos) "
                     "before the pilot, the pilot for process changes (complaint time limits, control groups), the "
                     "same scorecard to evaluate",
                     "the measures are a census with no sampling interval, but they depend on definitions (the "
                     "180-day churn rule, the merge of the silos, returns set aside); q5 is arithmetic on a target, "
                     "not a forecast"),
             answer_hint="Write your answer as text in quotes."),
)
