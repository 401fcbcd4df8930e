"""Chapter 4 exercises (区分客户): Pareto, ABC, RFM, the 8 customer classes and CLV.

Computing first (q1-q8: top-20 % share, Gini, ABC, recency, the 8 RFM
classes, a BG/NBD forecast, group CLV with PVIFA), then deciding (q9) and
interpreting (q10). Each question is a :class:`crmlab.exercises.core.Question`:
its reference and its typical mistakes are computations on the student's own data.

Examples
--------
>>> [q.id for q in QUESTIONS]
['q1', 'q2', 'q3', 'q4', 'q5', 'q6', 'q7', 'q8', 'q9', 'q10']
"""
from __future__ import annotations

import pandas as pd

from crmlab.exercises.core import PERCENT_HINT as PERCENT
from crmlab.exercises.core import RETURNS_HINT as RETURNS
from crmlab.exercises.core import SHARED_HINT as SHARED
from crmlab.exercises.core import ExerciseData, Mistake, Question, bought

CHAPTER = "ch04"
ANALYSIS_DATE = "2026-01-01"       # the day after the last day of the data
LAST_DAY = "2025-12-31"            # the wrong analysis date: the last order day
CALIBRATION_END = "2025-12-31"     # q7: the BG/NBD is fitted on all the data, inclusive of this day
NOTEBOOK_CALIBRATION = "2024-12-31"  # q7's mistake: the calibration end of the CLV notebook's holdout check
HORIZON_WEEKS = 52                 # q7: forecast horizon
CLV_YEAR = "2025"                  # q8: the year whose margin is the group's yearly contribution
DISCOUNT_RATE = 0.10               # q8: per year
YEARS = 5                          # q8: horizon in years


def _member_margin(data: ExerciseData, *, returns_removed: bool = True) -> pd.Series:
    def compute():
        lines = bought(data, returns_removed=returns_removed)
        ids = data.table("customers")["customer_id"]
        return lines.groupby("customer_id")["margin"].sum().reindex(ids, fill_value=0.0).clip(lower=0)
    return data.memo(("margin", returns_removed), compute)


def _rfm(data: ExerciseData, *, returns_removed: bool = True, as_of: str = ANALYSIS_DATE):
    def compute():
        from crmlab.rfm import rfm_table
        return rfm_table(bought(data, returns_removed=returns_removed), as_of=as_of, verbose=False)
    return data.memo(("rfm", returns_removed, as_of), compute)


# ------------------------------------------------------------------ q1, q2: Pareto and Gini

def _top20(data, returns_removed=True, buyers_only=False):
    from crmlab.pareto import top_share
    margin = _member_margin(data, returns_removed=returns_removed)
    if buyers_only:
        margin = margin[margin.index.isin(bought(data)["customer_id"])]
    return top_share(margin, 0.2)


def _top20_revenue(data):
    from crmlab.pareto import top_share
    ids = data.table("customers")["customer_id"]
    return top_share(bought(data).groupby("customer_id")["revenue"].sum().reindex(ids, fill_value=0.0), 0.2)


def _gini(data, returns_removed=True):
    from crmlab.pareto import gini
    return gini(_member_margin(data, returns_removed=returns_removed))


def _gini_buyers(data):
    from crmlab.pareto import gini
    margin = _member_margin(data)
    return gini(margin[margin.index.isin(bought(data)["customer_id"])])


# ------------------------------------------------------------------ q3: ABC

def _class_a(data, returns_removed=True, by="value"):
    from crmlab.pareto import abc_classes
    thresholds = (0.8, 0.95) if by == "value" else (0.2, 0.5)
    table = abc_classes(_member_margin(data, returns_removed=returns_removed), thresholds=thresholds, by=by)
    return int((table["abc_class"] == "A").sum())


# ------------------------------------------------------------------ q4: recency of a named customer

def _latest_orders(data: ExerciseData) -> pd.DataFrame:
    """Each customer's latest order, whatever its status (q4 and q7 name a customer by it)."""
    def compute():
        orders = data.table("orders").dropna(subset=["customer_id"])
        return orders.sort_values(["customer_id", "order_ts"], kind="stable").groupby("customer_id").tail(1)
    return data.memo("latest_orders", compute)


def named_customer(data: ExerciseData) -> str:
    """The customer q4 asks about: the first (by id) buyer whose latest order was returned or cancelled.

    Examples
    --------
    >>> named_customer(ExerciseData(None)).startswith("C")
    True
    """
    def compute():
        latest = _latest_orders(data)
        buyers = set(bought(data)["customer_id"])
        candidates = latest[(latest["status"] != "completed") & latest["customer_id"].isin(buyers)
                            & (latest["order_ts"] < pd.Timestamp(LAST_DAY))]
        return str(sorted(candidates["customer_id"])[0])
    return data.memo("named_customer", compute)


def _recency(data, returns_removed=True, as_of=ANALYSIS_DATE, weeks=False):
    customer = named_customer(data)
    days = float(_rfm(data, returns_removed=returns_removed, as_of=as_of).loc[customer, "recency_days"])
    return days / 7 if weeks else days


# ------------------------------------------------------------------ q5, q6: the 8 classes

def _important_value(data, split="mean", returns_removed=True, as_of=ANALYSIS_DATE):
    from crmlab.rfm import rfm_classes
    classes = rfm_classes(_rfm(data, returns_removed=returns_removed, as_of=as_of), split=split)
    return int((classes["rfm_class"] == "important_value").sum())


def _change(data):
    return _important_value(data, "median") - _important_value(data, "mean")


# ------------------------------------------------------------------ q7: BG/NBD forecast of a named customer

def _bgnbd(data, returns_removed=True, calibration_end=CALIBRATION_END):
    """The summary (in weeks) and the BG/NBD fitted to it; fitted once per data set and variant."""
    def compute():
        from crmlab.clv import BGNBD, summary
        table = summary(bought(data, returns_removed=returns_removed), calibration_end=calibration_end,
                        verbose=False)
        return table, BGNBD().fit(table)
    return data.memo(("bgnbd", returns_removed, calibration_end), compute)


def clv_customer(data: ExerciseData) -> str:
    """The customer q7 asks about: the first (by id) repeat buyer whose latest order was returned.

    At least 3 repeat purchases, a first purchase before 2025 and a purchase
    in the second half of 2025 (so that the forecast is not close to 0). A
    returned latest order makes the "returns" mistake change this customer's
    own history, not only the model's parameters.

    Examples
    --------
    >>> clv_customer(ExerciseData(None)).startswith("C")
    True
    """
    def compute():
        table, _ = _bgnbd(data)
        latest = _latest_orders(data)
        returned_last = set(latest.loc[latest["status"] == "returned", "customer_id"])
        last_bought = bought(data).groupby("customer_id")["order_ts"].max()
        active = ((table["repeat_purchases"] >= 3) & (table["first_purchase"] < pd.Timestamp("2025-01-01"))
                  & (last_bought.reindex(table.index) >= pd.Timestamp("2025-07-01")))
        # every variant has such customers; should one have none, any active repeat buyer will do
        candidates = list(table.index[active & table.index.isin(returned_last)]) or list(table.index[active])
        return str(sorted(candidates)[0])
    return data.memo("clv_customer", compute)


def _expected(data, returns_removed=True, calibration_end=CALIBRATION_END, t=HORIZON_WEEKS):
    table, model = _bgnbd(data, returns_removed=returns_removed, calibration_end=calibration_end)
    return float(model.expected_purchases(t, table).loc[clv_customer(data)])


# ------------------------------------------------------------------ q8: group CLV with PVIFA

def _per_buyer(data, returns_removed=True, per="buyer"):
    """Revenue and cost in CLV_YEAR per customer who bought in that year (per="member": per member)."""
    lines = bought(data, returns_removed=returns_removed)
    year = lines[lines["order_ts"].dt.year == int(CLV_YEAR)]
    customers = year["customer_id"].nunique() if per == "buyer" else len(data.table("customers"))
    return float(year["revenue"].sum()) / customers, float(year["cost"].sum()) / customers


def _group_clv(data, returns_removed=True, per="buyer", rate=DISCOUNT_RATE, timing="end"):
    from crmlab.clv import group_clv, pvifa
    revenue, cost = _per_buyer(data, returns_removed=returns_removed, per=per)
    if timing == "now":         # the first margin today: an annuity due, (Q - C) (1 + PVIFA(i, n - 1))
        return (revenue - cost) * (1 + pvifa(rate, YEARS - 1))
    return group_clv(revenue, cost, discount_rate=rate, periods=YEARS)


# ------------------------------------------------------------------ q9: decide

def _class_totals(data):
    from crmlab.rfm import rfm_classes
    classes = rfm_classes(_rfm(data))
    return classes.groupby("rfm_class", observed=False)["monetary"].agg(["sum", "size"])


def _winback_target(data, measure="sum", low_r_only=True):
    from crmlab.rfm import CLASSES
    totals = _class_totals(data)
    if low_r_only:
        totals = totals.loc[[key for key, _, _, r, _, _ in CLASSES if not r]]
    return str(totals[measure].idxmax())


CLASS_ANSWER = ("One of the 8 classes: its key (e.g. 'general_winback'), its English name as in crmlab.rfm.CLASSES "
                "(e.g. 'General to win back') or its Chinese name (e.g. '一般挽留客户').")


def rfm_class_choices() -> dict:
    """Every name of the 8 RFM classes (key, English, Chinese) mapped to its key, for choice questions.

    >>> rfm_class_choices()["重要价值客户"]
    'important_value'
    """
    from crmlab.rfm import CLASSES
    out = {}
    for key, en, zh, *_ in CLASSES:
        out.update({key: key, en: key, zh: key})
    return out


MEMBERS = "count every member of `customers`, also those who never bought (margin 0)."
PERCENT = "give the share as a fraction between 0 and 1 (e.g. 0.25), not as a percent (25)."
WRONG_DATE = (f"the analysis date is {ANALYSIS_DATE}, the day after the last day of the data "
              "(as_of is exclusive), not the last order day.")

QUESTIONS = (
    Question("q1", "number", 1,
             "What share of the members' total margin (毛利) comes from the top 20 % of members? Margin per "
             "member = sum of the margin of their purchases, every member of `customers` counted (0 if they "
             "never bought), loss-making members counted as 0. Give a fraction.",
             _top20, tolerance=0.0005,
             mistakes=(Mistake("percent", lambda d: 100 * _top20(d), PERCENT, tolerance=0.05),
                       Mistake("revenue", _top20_revenue,
                               "the question is about margin (毛利 = revenue - cost), not revenue."),
                       Mistake("buyers_only", lambda d: _top20(d, buyers_only=True), MEMBERS)),
             # No "returns" or "shared" mistake: returns barely move this share (less than the tolerance
             # on a test student), nor does another variant's data.
             answer_hint="A fraction between 0 and 1, to 3 decimals (e.g. 0.123)."),
    Question("q2", "number", 1,
             "What is the Gini coefficient of the members' margin (the same values as in q1)?",
             _gini, tolerance=0.0005,
             mistakes=(Mistake("buyers_only", _gini_buyers, MEMBERS),
                       Mistake("percent", lambda d: 100 * _gini(d),
                               "the Gini coefficient is between 0 and 1: give 0.5, not 50.", tolerance=0.05),
                       # no "returns" mistake: returns change the Gini by less than the typed precision
                       Mistake("shared", lambda d: _gini(d.shared()), SHARED)),
             answer_hint="A number between 0 and 1, to 3 decimals (e.g. 0.123)."),
    Question("q3", "integer", 1,
             "ABC analysis of the members' margin (q1's values) with the textbook thresholds (80 % / 95 % of "
             "the value): how many members are in class A?",
             _class_a, tolerance=0,
             mistakes=(Mistake("by_customers", lambda d: _class_a(d, by="customers"),
                               "class A is the members who together bring the first 80 % of the value "
                               "(by='value'), not the top 20 % of the members."),
                       Mistake("returns", lambda d: _class_a(d, returns_removed=False), RETURNS),
                       Mistake("shared", lambda d: _class_a(d.shared()), SHARED)),
             answer_hint="A whole number of members."),
    Question("q4", "integer", 1,
             f"What is the recency, in days, of the customer named by `show('q4')` at the analysis date "
             f"{ANALYSIS_DATE}?",
             _recency, tolerance=0, detail=lambda d: f"The customer: {named_customer(d)}",
             mistakes=(Mistake("weeks", lambda d: _recency(d, weeks=True),
                               "recency is asked in days, not weeks.", tolerance=0.5),
                       Mistake("date", lambda d: _recency(d, as_of=LAST_DAY), WRONG_DATE),
                       Mistake("returns", lambda d: _recency(d, returns_removed=False), RETURNS),
                       Mistake("shared", lambda d: _recency(d.shared()), SHARED)),
             answer_hint="A whole number of days."),
    Question("q5", "integer", 1,
             f"Split R, F and M at their means (rfm_classes, analysis date {ANALYSIS_DATE}, monetary = revenue): "
             "how many customers are 重要价值客户 (important value)?",
             _important_value, tolerance=0,
             mistakes=(Mistake("median", lambda d: _important_value(d, "median"),
                               "this question splits at the mean (split='mean'); that count fits the median."),
                       Mistake("returns", lambda d: _important_value(d, returns_removed=False), RETURNS),
                       Mistake("shared", lambda d: _important_value(d.shared()), SHARED)),
             answer_hint="A whole number of customers."),
    Question("q6", "integer", 1,
             "Now split at the medians instead: by how many customers does the count of 重要价值客户 change? "
             "Give median count minus mean count (negative if it falls).",
             _change, tolerance=0,
             mistakes=(Mistake("sign", lambda d: -_change(d),
                               "give the median count minus the mean count: the sign says whether it rises."),
                       Mistake("count", lambda d: _important_value(d, "median"),
                               "give the change (median count minus mean count), not the median count itself."),
                       Mistake("shared", lambda d: _change(d.shared()), SHARED)),
             answer_hint="A whole number, negative if the count falls."),
    Question("q7", "number", 1,
             "Customer lifetime value (客户终生价值, CLV) models: build the summary of your purchases with "
             f"crmlab.clv.summary(purchases, calibration_end=\"{CALIBRATION_END}\"), where purchases = "
             "crmlab.transactions.purchases(orders, order_lines) (returns and cancellations removed; the "
             "summary's default time unit, weeks), and fit crmlab.clv.BGNBD to it. How many purchases does the "
             f"model expect the customer named by `show('q7')` to make in the next {HORIZON_WEEKS} weeks "
             "(expected_purchases)? Give it to 2 decimals.",
             _expected, tolerance=0.01, detail=lambda d: f"The customer: {clv_customer(d)}",
             mistakes=(Mistake("weeks", lambda d: _expected(d, t=HORIZON_WEEKS / 7),
                               f"that is a forecast for {HORIZON_WEEKS} days: the horizon is {HORIZON_WEEKS} "
                               "weeks. The summary's time unit (time_unit, the T_weeks column) is the unit of t."),
                       Mistake("days", lambda d: _expected(d, t=365),
                               "the model's time unit is weeks, so t=365 is 365 weeks (7 years); "
                               f"the next {HORIZON_WEEKS} weeks is t={HORIZON_WEEKS}.", tolerance=0.1),
                       Mistake("calibration", lambda d: _expected(d, calibration_end=NOTEBOOK_CALIBRATION),
                               f"fit on all the data: calibration_end=\"{CALIBRATION_END}\", not the end of "
                               "2024 (the chapter notebook's holdout check)."),
                       Mistake("returns", lambda d: _expected(d, returns_removed=False), RETURNS),
                       Mistake("shared", lambda d: _expected(d.shared()), SHARED)),
             answer_hint="A number of purchases, to 2 decimals (e.g. 1.23)."),
    Question("q8", "number", 1,
             f"Group CLV with the annuity factor (年金现值系数 PVIFA): the group is the customers who bought in "
             f"{CLV_YEAR}. Per customer of the group, Q = their average revenue and C = their average cost in "
             f"{CLV_YEAR} (revenue and cost of all their {CLV_YEAR} purchases, returns and cancellations removed, "
             f"divided by the number of these customers). If Q - C stays the same for the next {YEARS} years, "
             f"earned at the end of each year, and the discount rate (贴现率) is {DISCOUNT_RATE * 100:.0f} % a "
             f"year, what is the group CLV per customer, (Q - C) x PVIFA({DISCOUNT_RATE * 100:.0f} %, {YEARS}) "
             "(crmlab.clv.group_clv)? In yuan, to 2 decimals.",
             _group_clv, tolerance=0.5,
             mistakes=(Mistake("undiscounted", lambda d: _group_clv(d, rate=0.0),
                               f"discount each year's margin: a yuan in {YEARS} years is worth less than a yuan "
                               "today (PVIFA, not the number of years)."),
                       Mistake("first_now", lambda d: _group_clv(d, timing="now"),
                               "the margins are earned at the end of each year (the first one after a year), "
                               "as PVIFA assumes, not the first one today."),
                       Mistake("percent", lambda d: _group_clv(d, rate=100 * DISCOUNT_RATE),
                               "give the discount rate as a fraction (0.10 for 10 %), not as a percent (10)."),
                       Mistake("members", lambda d: _group_clv(d, per="member"),
                               f"average over the customers who bought in {CLV_YEAR}, not over every member."),
                       Mistake("returns", lambda d: _group_clv(d, returns_removed=False), RETURNS),
                       Mistake("shared", lambda d: _group_clv(d.shared()), SHARED)),
             answer_hint="An amount in yuan (e.g. 1234.56)."),
    Question("q9", "choice", 2,
             "Decide: a win-back campaign (挽回) can reach one class of customers who have not bought recently "
             "(low R, mean split as in q5). Which class should it target to protect the most revenue?",
             _winback_target, choices=rfm_class_choices(),
             mistakes=(Mistake("by_size", lambda d: _winback_target(d, measure="size"),
                               "the largest class by number of customers is not the one holding the most revenue."),
                       Mistake("any_r", lambda d: _winback_target(d, low_r_only=False),
                               "that class bought recently (high R): a win-back campaign is for customers "
                               "who have gone quiet.")),
             answer_hint=CLASS_ANSWER),
    Question("q10", "text", 3,
             "Interpret: why does the number of 重要价值客户 change so much between the mean and the median "
             "split, and which split would you use to plan a budget for this class? Answer in a few sentences.",
             None,
             rubric=("the monetary values (and frequency) are skewed: a few very large customers pull the mean "
                     "far above the median",
                     "so a mean split marks few customers as high on M/F, a median split about half of them",
                     "the choice of split is a business decision: budget per customer, size of the class the "
                     "campaign can serve",
                     "a justified choice, e.g. the mean (or a fixed cut-off) for a small premium programme, the "
                     "median for a broad one"),
             answer_hint="Write your answer as text in quotes."),
)
