"""Chapters 1–2 exercises (客户关系管理概述与理论基础): why CRM, 4P to 4C, the satisfaction–loyalty chain.

The questions follow the chapter notebook (``notebooks/01_02_crm_overview.ipynb``):
the voices of CRM found in the data — one person behind several records of
the silos (:func:`crmlab.identify.resolve_customers`), the same mailing sent
twice, complaints left unresolved — a 4C measure (convenience: the channels
customers buy in) and the chain value → satisfaction → loyalty
(:func:`crmlab.satisfaction.satisfaction_index`, purchases after the survey).
Each question is a :class:`crmlab.exercises.core.Question`: its reference and
its typical mistakes are computations on the student's own data.

Examples
--------
>>> [q.id for q in QUESTIONS]
['q1', 'q2', 'q3', 'q4', 'q5', 'q6', 'q7']
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from crmlab.exercises.core import PERCENT_HINT as PERCENT
from crmlab.exercises.core import RETURNS_HINT as RETURNS
from crmlab.exercises.core import SHARED_HINT as SHARED
from crmlab.exercises.core import ExerciseData, Mistake, Question, bought

CHAPTER = "ch01"
END = "2026-01-01"       # the day after the last day of the data


# ------------------------------------------------------------------ the single customer view, once per data set

def _view(data: ExerciseData):
    def compute():
        from crmlab.identify import SILOS, resolve_customers
        return resolve_customers({name: data.table(name) for name in SILOS}, verbose=False)
    return data.memo("view", compute)


# ------------------------------------------------------------------ q1: records and people

def _overstatement(data, inverted=False) -> float:
    view = _view(data)
    records, people = len(view.records), len(view.golden)
    return float(people / records if inverted else records / people - 1)


# ------------------------------------------------------------------ q2: the same mailing, twice

def _duplicate_messages(data, per_person=False, phone_only=False) -> float:
    records = _view(data).records
    usable = records["phone_std"].notna() if phone_only else records["phone_std"].notna() | records["email_std"].notna()
    copies = records[usable].groupby("person_id").size()
    if per_person:      # the mistake: the share of people who get it twice or more
        return float((copies >= 2).mean())
    return float((copies.sum() - len(copies)) / copies.sum())


# ------------------------------------------------------------------ q3: unresolved complaints

def _days_open(data, how="mean", per=1.0) -> float:
    complaints = data.table("complaints")
    unresolved = complaints[complaints["outcome"] == "unresolved"]
    days = (pd.Timestamp(END) - unresolved["opened_ts"]).dt.days
    return float(getattr(days, how)()) / per


# ------------------------------------------------------------------ q4: 4P -> 4C, convenience

def _channels(data, returns_removed=True, scale=1.0) -> pd.Series:
    def compute():
        orders = bought(data, returns_removed=returns_removed).drop_duplicates("order_id")
        return orders["channel"].astype(str).value_counts(normalize=True).sort_index()
    return (data.memo(("channels", returns_removed), compute) * scale).astype(float).rename(None).rename_axis(None)


# ------------------------------------------------------------------ q5-q6: the chain, in words and in deeds

def _chain(data, same_day=False) -> pd.DataFrame:
    """The respondents with c, level, the stated intention and their purchases after the survey."""
    def compute():
        from crmlab.satisfaction import satisfaction_index
        survey = data.table("survey")
        index = satisfaction_index(survey, verbose=False)
        chain = pd.DataFrame({"customer_id": survey["customer_id"], "survey_date": survey["survey_date"],
                              "c": index["c"], "level": index["level"].astype(str),
                              "intention": survey["repurchase_intention"]})
        lines = bought(data)
        after = lines.merge(chain[["customer_id", "survey_date"]], on="customer_id")
        first_day = after["survey_date"] + pd.Timedelta(days=0 if same_day else 1)
        after = after[after["order_ts"] >= first_day]
        chain["purchases_after"] = chain["customer_id"].map(after.groupby("customer_id").size()).fillna(0).astype(int)
        return chain
    return data.memo(("chain", same_day), compute)


def _correlation(data, y="purchases_after", same_day=False) -> float:
    chain = _chain(data, same_day=same_day)
    return float(np.corrcoef(chain["c"], chain[y])[0, 1])


def _difference(data, versus="rest", sign=1.0, scale=1.0) -> float:
    """Bought again after the survey: the highly satisfied minus the others (``versus="rest"``) or one level."""
    chain = _chain(data)
    again = chain["purchases_after"] > 0
    top = chain["level"] == "highly_satisfied"
    other = ~top if versus == "rest" else chain["level"] == versus
    return float(sign * scale * (again[top].mean() - again[other].mean()))


# ------------------------------------------------------------------ the questions

SAME_DAY = ("count the purchases from the day after each answer (survey_date + 1 day): a purchase on the day of "
            "the survey may be the one the customer was asked about.")

QUESTIONS = (
    Question("q1", "number", 1,
             "Sales (销售): \"Who is this customer?\" Merge the three silos (store members, web accounts, call-centre "
             "contacts) into a single customer view, `view = crmlab.identify.resolve_customers({name: "
             "load_data(name) for name in crmlab.identify.SILOS})` (defaults): `view.records` holds every record, "
             "`view.golden` one row per person. A company that counted records as customers would overstate its "
             "customers by records / people − 1. What is that overstatement? Give a fraction.",
             _overstatement, tolerance=0.0005,
             mistakes=(Mistake("inverted", lambda d: _overstatement(d, inverted=True),
                               "records / people − 1 (how many more records than people), not people / records."),
                       Mistake("percent", lambda d: 100 * _overstatement(d), PERCENT, tolerance=0.05),
                       Mistake("shared", lambda d: _overstatement(d.shared()), SHARED)),
             answer_hint="A fraction, to 3 decimals (e.g. 0.123)."),
    Question("q2", "number", 1,
             "Marketing (市场): \"We mailed the same person twice.\" Without a single customer view, marketing sends "
             "one promotion to every record of the silos with a usable phone number or e-mail address (`phone_std` "
             "or `email_std` of `view.records` filled). What share of the messages sent are duplicates, i.e. a "
             "second or further copy to the same person (`person_id`)? Give a fraction.",
             _duplicate_messages, tolerance=0.0005,
             mistakes=(Mistake("per_person", lambda d: _duplicate_messages(d, per_person=True),
                               "that is the share of people who get two or more copies; the question asks for the "
                               "share of the messages that are extra copies."),
                       Mistake("phone_only", lambda d: _duplicate_messages(d, phone_only=True),
                               "a record is reached by phone or by e-mail: count the records with either filled."),
                       Mistake("percent", lambda d: 100 * _duplicate_messages(d), PERCENT, tolerance=0.05),
                       Mistake("shared", lambda d: _duplicate_messages(d.shared()), SHARED)),
             answer_hint="A fraction between 0 and 1, to 3 decimals (e.g. 0.123)."),
    Question("q3", "number", 1,
             "Service (服务): \"Nobody followed the complaint up.\" Take the complaints whose `outcome` is "
             f"`unresolved` (未解决: no closing date). On {END}, the day after the last day of the data, how many days "
             "had they been open, on average (the mean of the whole days from `opened_ts` to that day)?",
             _days_open, tolerance=0.05,
             mistakes=(Mistake("median", lambda d: _days_open(d, how="median"),
                               "the question asks for the mean number of days, not the median."),
                       Mistake("weeks", lambda d: _days_open(d, per=7.0), "give the time in days, not weeks."),
                       Mistake("shared", lambda d: _days_open(d.shared()), SHARED)),
             answer_hint="A number of days, to 2 decimals (e.g. 123.45)."),
    Question("q4", "table", 2,
             "From 4P to 4C: place (渠道) becomes convenience (便利), the channels customers choose. Of the completed "
             "purchases (`crmlab.transactions.purchases(orders, order_lines)`: one row per line, so count each "
             "`order_id` once), what share was made in each channel (column `channel`: app, callcentre, store, web)? "
             "Give fractions.",
             _channels, tolerance=0.0005,
             mistakes=(Mistake("returns", lambda d: _channels(d, returns_removed=False), RETURNS),
                       Mistake("percent", lambda d: _channels(d, scale=100.0), PERCENT, tolerance=0.05),
                       Mistake("shared", lambda d: _channels(d.shared()), SHARED)),
             partial=True, answer_hint="One row per channel, the share to 3 decimals, e.g. {'app': 0.123, ...}."),
    Question("q5", "number", 1,
             "The chain satisfaction → loyalty (满意 → 忠诚), in deeds: give each respondent of the survey the "
             "satisfaction index c of `crmlab.satisfaction.satisfaction_index(survey)` (c = b / a) and count their "
             "completed purchases from the day after their `survey_date` to the end of the data. What is the "
             "Pearson correlation r between c and that number of purchases?",
             _correlation, tolerance=0.0005,
             mistakes=(Mistake("intention", lambda d: _correlation(d, y="intention"),
                               "that is the link in words, c against the stated repurchase_intention; the question "
                               "asks for the link in deeds, c against the purchases made after the survey."),
                       Mistake("same_day", lambda d: _correlation(d, same_day=True), SAME_DAY),
                       Mistake("shared", lambda d: _correlation(d.shared()), SHARED)),
             answer_hint="A number between −1 and 1, to 3 decimals (e.g. 0.123)."),
    Question("q6", "number", 2,
             "Decide whether only the highly satisfied are loyal (the textbook's claim that merely satisfied "
             "customers still leave): with the same purchases after the survey, the share of respondents who bought "
             "again at least once. What is the share of the highly satisfied (q5's `level` highly_satisfied, 高度满意) "
             "minus the share of all the other respondents (satisfied and dissatisfied together)? Negative if the "
             "others bought again more often. Give a difference of fractions.",
             _difference, tolerance=0.0005,
             mistakes=(Mistake("sign", lambda d: _difference(d, sign=-1.0),
                               "highly satisfied minus the others, not the other way round."),
                       Mistake("percent", lambda d: _difference(d, scale=100.0),
                               "give the difference of two fractions (e.g. 0.05), not percentage points (5).",
                               tolerance=0.05),
                       Mistake("dissatisfied_only", lambda d: _difference(d, versus="dissatisfied"),
                               "compare with all the other respondents, satisfied and dissatisfied together, not "
                               "with the dissatisfied only."),
                       Mistake("shared", lambda d: _difference(d.shared()), SHARED)),
             answer_hint="A number between −1 and 1, to 3 decimals (e.g. 0.123 or −0.987)."),
    Question("q7", "text", 3,
             "Interpret: relationship marketing claims a chain value → satisfaction → loyalty → profit. Which links "
             "do your data support, in words (stated intention) and in deeds (purchases after the survey)? Use q5 "
             "and q6 with their uncertainty (an interval or a test, e.g. `crmlab.complaints.retention_difference` "
             "or a chi-square test over the three levels), say what the survey can and cannot show, and what a "
             "company should do about it. Answer in a few sentences.",
             None,
             rubric=("the links in words (value → c, c → stated intention) are usually strong; the link in deeds "
                     "(c → purchases after) is whatever one's own data show: report r and the difference of q6 (highly "
                     "satisfied against the rest) with their sign, and say whether an interval or test can tell it "
                     "from chance",
                     "does not claim a direction the data do not show: if the difference is small, negative or its "
                     "interval includes 0, satisfaction alone does not show in behaviour here",
                     "the survey groups formed themselves (no random assignment): even a clear difference describes, "
                     "it does not prove a cause; only an experiment can",
                     "stated intention is not behaviour: a company should measure loyalty by what customers do "
                     "(repeat purchases, margin) next to what they say, and link the survey to the purchase records "
                     "(a single customer view)",
                     "links the chain to CRM: satisfaction is necessary, not sufficient; value to the customer (4C) "
                     "and the relationship over time decide profit"),
             answer_hint="Write your answer as text in quotes."),
)
