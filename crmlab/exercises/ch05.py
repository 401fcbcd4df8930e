"""Chapter 5 exercises (客户互动): touchpoints, contact fatigue, budget, the coupon experiment, complaints.

Computing first (q1-q7: responses per 1,000 messages by channel, the fatigue decay, a
percentage-of-sales budget, the uplift and the incremental revenue of the
coupon experiment X2509, the time to close a complaint, buying again after a
resolved vs an unresolved complaint), then deciding (q8: which RFM class the
next coupon test should target) and interpreting (q9: why the experiment
shows what the campaign caused; q10: handling a complaint). Each question is
a :class:`crmlab.exercises.core.Question`: its reference and its typical
mistakes are computations on the student's own data.

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
from crmlab.exercises.ch04 import CLASS_ANSWER, rfm_class_choices
from crmlab.exercises.core import ExerciseData, Mistake, Question, bought

CHAPTER = "ch05"
EXPERIMENT = "X2509"            # the coupon experiment of September 2025
START = "2025-09-01"            # its start: segments, the wave history and the budget's sales end here (exclusive)
DATA_END = "2026-01-01"         # the wrong date: the day after the last day of the data
COMPANY_CHANNELS = ["sms", "email", "app_push"]   # the channels of the company's own messages
RATE = 0.02                     # q3: the percentage of sales (2 %)
FOLLOW_UP_DAYS = 180            # q7's mistake: buying again only within this many days


# ------------------------------------------------------------------ q1: response rate per channel

def _everyday(data: ExerciseData, *, experiment=False):
    """The contact log without the experiment's SMS (whose "response" is a purchase), or with them."""
    log = data.table("interactions")
    return log if experiment else log[~log["campaign_id"].isin([EXPERIMENT])]


def _response_rates(data, experiment=False, scale=1000.0):
    from crmlab.touchpoints import channel_summary
    rates = data.memo(("rates", experiment), lambda: channel_summary(
        _everyday(data, experiment=experiment), by="channel", verbose=False)["response_rate"])
    rates = rates.reindex(COMPANY_CHANNELS)
    return pd.Series(rates.to_numpy(float) * scale, index=COMPANY_CHANNELS)


# ------------------------------------------------------------------ q2: contact fatigue

def _decay(data, waves="before", complement=False):
    """The fitted decay per earlier message, on the waves before START ("before"), all waves ("all")
    or all waves and the experiment ("experiment")."""
    def compute():
        from crmlab.touchpoints import contact_fatigue
        campaigns = data.table("campaigns")
        wave = ~campaigns["is_experiment"]
        if waves == "before":
            wave &= campaigns["start_date"] < pd.Timestamp(START)
        elif waves == "experiment":
            wave |= campaigns["is_experiment"]
        log = data.table("interactions")
        fit = contact_fatigue(log[log["campaign_id"].isin(campaigns.loc[wave, "campaign_id"])], by="channel",
                              verbose=False)
        return float(fit.set_index(["parameter", "group"]).loc[("decay", "all"), "estimate"])
    value = data.memo(("decay", waves), compute)
    return 1 - value if complement else value


# ------------------------------------------------------------------ q3: percentage-of-sales budget

def _budget(data, returns_removed=True, end=START, measure="revenue", months=12, rate=RATE):
    from crmlab.interaction_plan import percentage_of_sales_budget
    lines = bought(data, returns_removed=returns_removed)
    stop = pd.Timestamp(end)
    year = lines[(lines["order_ts"] >= stop - pd.DateOffset(years=1)) & (lines["order_ts"] < stop)]
    sales = float(year[measure].sum()) / 12 * (12 / months)
    if rate > 1:       # the mistake of a rate typed as a percent: the function refuses it, the student multiplies
        return sales * rate
    return percentage_of_sales_budget(sales=sales, rate=rate)


# ------------------------------------------------------------------ q4, q5: the coupon experiment

def _assignment(data):
    table = data.table("campaign_assignment")
    return table[table["campaign_id"] == EXPERIMENT]


def _uplift(data):
    from crmlab.campaigns import campaign_uplift
    return data.memo("uplift", lambda: campaign_uplift(_assignment(data), campaign_id=EXPERIMENT, verbose=False))


def _response_uplift(data, way="uplift", points=100.0):
    """In percentage points (points=100), or as a fraction (points=1)."""
    row = _uplift(data).loc["response_rate"]
    if way == "treatment":           # the campaign report: the treated customers' response rate alone
        return float(row["treatment"]) * points
    if way == "all":                 # the treated against every eligible customer, treated ones included
        return float(row["treatment"] - _assignment(data)["responded"].mean()) * points
    if way == "relative":            # uplift / control rate, read as the uplift
        return float(row["relative_uplift"]) * points
    return float(row["uplift"]) * points


def _incremental_revenue(data, way="campaign_return"):
    from crmlab.campaigns import campaign_return
    if way == "campaign_return":
        cost = float(data.table("campaigns").set_index("campaign_id").loc[EXPERIMENT, "cost_per_contact"])
        back = campaign_return(_assignment(data), campaign_id=EXPERIMENT, cost_per_contact=cost, margin_rate=0.5,
                               verbose=False)
        return float(back.loc[EXPERIMENT, "incremental_revenue"])
    row = _uplift(data).loc["revenue_per_customer"]
    if way == "per_customer":
        return float(row["uplift"])
    if way == "all":                 # the uplift counted for the control group too
        return float(row["uplift"] * len(_assignment(data)))
    table = _assignment(data)        # "report": everything the treated customers spent
    return float(table.loc[table["group"] == "treatment", "revenue"].sum())


# ------------------------------------------------------------------ q6, q7: complaints

def _median_days(data, unit="days", statistic="median"):
    from crmlab.complaints import resolution_times
    times = resolution_times(data.table("complaints"), by=None, time_unit="days", verbose=False)
    value = float(times.loc["all", statistic])
    return {"days": value, "weeks": value / 7, "hours": value * 24}[unit]


def _retention(data, within_days=None):
    def compute():
        from crmlab.complaints import complaint_retention
        from crmlab.transactions import purchases
        again = purchases(data.table("orders"), data.table("order_lines"), returns="zero", verbose=False)
        return complaint_retention(data.table("complaints"), again, within_days=within_days, verbose=False)
    return data.memo(("retention", within_days), compute)


def _retention_gap(data, versus="unresolved", within_days=None, scale=100.0):
    """In percentage points (scale=100), or as a fraction (scale=1)."""
    from crmlab.complaints import retention_difference
    gap = retention_difference(_retention(data, within_days), group="resolved_satisfied", versus=versus)
    return float(gap["difference"]) * scale


# ------------------------------------------------------------------ q8: decide

def _experiment_classes(data):
    """campaign_assignment with each customer's RFM class on the experiment's start day."""
    def compute():
        from crmlab.rfm import rfm_classes, rfm_table
        classes = rfm_classes(rfm_table(bought(data), as_of=START, verbose=False))
        return _assignment(data).join(classes["rfm_class"], on="customer_id")
    return data.memo("experiment_classes", compute)


def _target_class(data, way="incremental"):
    from crmlab.campaigns import campaign_return, campaign_uplift
    experiment = _experiment_classes(data)
    if way == "incremental":
        back = campaign_return(experiment, campaign_id=EXPERIMENT, by="rfm_class", cost_per_contact=0.5,
                               margin_rate=0.5, verbose=False)
        return str(back["incremental_revenue"].idxmax())
    if way == "response":
        uplift = campaign_uplift(experiment, campaign_id=EXPERIMENT, by="rfm_class", verbose=False)
        return str(uplift.xs("response_rate", level="metric")["uplift"].idxmax())
    treated = experiment[experiment["group"] == "treatment"]          # "report": no control group
    return str(treated.groupby("rfm_class", observed=True)["revenue"].sum().idxmax())


NO_CONTROL = ("that is what the treated customers did, with or without the coupon: many would have bought "
              "anyway. Subtract what the control group (对照组) did.")
WRONG_START = (f"use the data before {START}, the day the experiment started (the 12 months before it, up to "
               "but not including that day), not the last months of the data.")

QUESTIONS = (
    Question("q1", "table", 2,
             "Touchpoints and channels (接触点与渠道): how often is each channel of the company's own messages "
             "answered? Take the response rate (响应率: opened, clicked or replied; crmlab.touchpoints."
             "channel_summary(log, by=\"channel\"), column response_rate) on the contact log without the SMS of "
             f"the coupon experiment {EXPERIMENT} (log = interactions[~interactions[\"campaign_id\"].isin("
             f"[\"{EXPERIMENT}\"])]: their \"response\" is a purchase, not an opened message), and give it as "
             "responses per 1,000 messages (每千条消息的响应数) for the three channels sms, email and app_push: a "
             "table channel -> responses per 1,000 messages, to 2 decimals.",
             _response_rates, tolerance=0.005,
             mistakes=(Mistake("experiment", lambda d: _response_rates(d, experiment=True),
                               f"leave out the contacts of the experiment {EXPERIMENT}: their response is a "
                               "purchase in the campaign month, not an opened message."),
                       Mistake("per_message", lambda d: _response_rates(d, scale=1.0),
                               "that is the rate per message (a fraction): give responses per 1,000 messages.",
                               tolerance=0.0005),
                       Mistake("per_hundred", lambda d: _response_rates(d, scale=100.0),
                               "that is per 100 messages (a percent): give responses per 1,000 messages."),
                       Mistake("shared", lambda d: _response_rates(d.shared()), SHARED)),
             partial=True, answer_hint="A table: a dict or Series {\"sms\": ..., \"email\": ..., \"app_push\": ...}, responses "
                         "per 1,000 messages (e.g. 12.34)."),
    Question("q2", "number", 1,
             "Contact fatigue (接触疲劳): the seasonal promotion waves (营销波次) sent each customer 1 to 4 messages "
             "at random. Fit crmlab.touchpoints.contact_fatigue(waves, by=\"channel\") to the contacts of the waves "
             f"that started before {START} (campaigns with is_experiment False and start_date before {START}; "
             "waves = the contacts with one of those campaign_id). What is the fitted decay (the row with "
             "parameter \"decay\"): how many times as often is each further message of a wave answered as the "
             "one before? To 3 decimals.",
             _decay, tolerance=0.0005,
             mistakes=(Mistake("date", lambda d: _decay(d, waves="all"),
                               f"use only the waves that started before {START} (what the company knew when it "
                               "planned the autumn campaign), not every wave of the data."),
                       Mistake("experiment", lambda d: _decay(d, waves="experiment"),
                               f"leave out the experiment {EXPERIMENT}: it is not a promotion wave, and its "
                               "response is a purchase, not an opened message."),
                       Mistake("reduction", lambda d: _decay(d, complement=True),
                               "give the decay itself, the factor a further message keeps of the response, not "
                               "the share it loses (1 - decay)."),
                       Mistake("percent", lambda d: 100 * _decay(d), PERCENT, tolerance=0.05)),
             # no "shared" mistake: the decay of the shared data is too close to a test student's
             answer_hint="A number between 0 and 1, to 3 decimals (e.g. 0.123)."),
    Question("q3", "number", 1,
             "The interaction budget (互动预算) by the percentage-of-sales method (销售百分比法, "
             "crmlab.interaction_plan.percentage_of_sales_budget): the September 2025 wave gets "
             f"{RATE * 100:.0f} % of one month's sales, one month's sales being a twelfth of the revenue of the "
             "purchases (crmlab.transactions.purchases, returns and cancellations removed) with order_ts in the "
             f"12 months before {START} (from 2024-09-01 up to but not including {START}). What is the budget, "
             "in yuan?",
             _budget, tolerance=0.5,
             mistakes=(Mistake("yearly", lambda d: _budget(d, months=1),
                               "the wave's budget is a share of one month's sales: a twelfth of the 12 months' "
                               "revenue."),
                       Mistake("percent", lambda d: _budget(d, rate=100 * RATE),
                               f"give the rate as a fraction ({RATE:.2f} for {RATE * 100:.0f} %), not as a percent."),
                       Mistake("margin", lambda d: _budget(d, measure="margin"),
                               "sales are the revenue (实付金额) of the purchases, not their margin."),
                       Mistake("date", lambda d: _budget(d, end=DATA_END), WRONG_START),
                       Mistake("returns", lambda d: _budget(d, returns_removed=False), RETURNS),
                       Mistake("shared", lambda d: _budget(d.shared()), SHARED)),
             answer_hint="An amount in yuan (e.g. 1234.56)."),
    Question("q4", "number", 1,
             f"The coupon campaign {EXPERIMENT} (2025秋季回馈券实验) was a randomised experiment (随机实验): the "
             "eligible customers in `campaign_assignment` were split at random into a treatment group (实验组: an "
             "SMS with a coupon) and a control group (对照组: nothing). What is its uplift (增量效果) in response "
             "rate: the response rate of the treatment group minus that of the control group "
             "(crmlab.campaigns.campaign_uplift, row response_rate, column uplift)? Give it in percentage points "
             "(百分点: 5.25 for a difference of 0.0525), to 2 decimals.",
             _response_uplift, tolerance=0.005,
             mistakes=(Mistake("fraction", lambda d: _response_uplift(d, points=1.0),
                               "give the uplift in percentage points (5.25 for 0.0525), not as a fraction.",
                               tolerance=0.0005),
                       Mistake("no_control", lambda d: _response_uplift(d, "treatment"), NO_CONTROL, tolerance=0.05),
                       Mistake("all_customers", lambda d: _response_uplift(d, "all"),
                               "compare the treatment group with the control group, not with all the customers "
                               "of the experiment (the treated ones are among them).", tolerance=0.05),
                       Mistake("relative", lambda d: _response_uplift(d, "relative"),
                               "that is the relative uplift (the uplift divided by the control group's rate): "
                               "give the difference of the two response rates.", tolerance=0.05),
                       Mistake("shared", lambda d: _response_uplift(d.shared()), SHARED, tolerance=0.05)),
             answer_hint="Percentage points, to 2 decimals (e.g. 1.23), negative if the coupon lowered the "
                         "response."),
    Question("q5", "number", 1,
             f"What is the incremental revenue (增量收入) of {EXPERIMENT}: the revenue uplift per customer (mean "
             "revenue in the campaign window of the treatment group minus that of the control group, customers "
             "who did not buy counted as 0) times the number of treated customers "
             "(crmlab.campaigns.campaign_return, column incremental_revenue; the cost and margin rate you pass "
             "do not change this column)? In yuan, negative if the treated customers spent less.",
             _incremental_revenue, tolerance=0.5,
             mistakes=(Mistake("report", lambda d: _incremental_revenue(d, "report"), NO_CONTROL),
                       Mistake("per_customer", lambda d: _incremental_revenue(d, "per_customer"),
                               "that is the uplift per customer: multiply it by the number of treated customers."),
                       Mistake("all_customers", lambda d: _incremental_revenue(d, "all"),
                               "only the treated customers got the coupon: multiply the uplift per customer by "
                               "the treatment group's size, not by all the customers of the experiment."),
                       Mistake("shared", lambda d: _incremental_revenue(d.shared()), SHARED)),
             answer_hint="An amount in yuan (e.g. 1234.56 or -1234.56)."),
    Question("q6", "number", 1,
             "Complaints (客户投诉): how long does the company take to close a complaint (投诉处理时长)? Give the "
             "median time from opened_ts to closed_ts of the closed complaints (open ones have no time yet), in "
             "days, to 3 decimals (crmlab.complaints.resolution_times(complaints, by=None, time_unit=\"days\"), "
             "column median).",
             _median_days, tolerance=0.0005,
             mistakes=(Mistake("weeks", lambda d: _median_days(d, unit="weeks"),
                               "the time is asked in days, not weeks."),
                       Mistake("hours", lambda d: _median_days(d, unit="hours"),
                               "the time is asked in days, not hours (time_unit=\"days\").", tolerance=0.05),
                       Mistake("mean", lambda d: _median_days(d, statistic="mean"),
                               "give the median: a few very slow complaints pull the mean up."),
                       Mistake("shared", lambda d: _median_days(d.shared()), SHARED)),
             answer_hint="A number of days, to 3 decimals (e.g. 1.234)."),
    Question("q7", "number", 1,
             "Who stays after a complaint (投诉后的客户保持)? With crmlab.complaints.complaint_retention(complaints, "
             "purchases(orders, order_lines, returns=\"zero\")) (each customer's first complaint; bought again = "
             "any purchase after the complaint up to the end of the data, a returned order counting as buying "
             "again), by how much does the share who bought again among the customers whose complaint was "
             "resolved to their satisfaction (resolved_satisfied, 解决且满意) exceed that among the customers whose "
             "complaint was not resolved (unresolved, 未解决)? Give the difference (crmlab.complaints."
             "retention_difference, column difference) in percentage points (百分点: 5.25 for 0.0525), to 2 "
             "decimals.",
             _retention_gap, tolerance=0.005,
             mistakes=(Mistake("fraction", lambda d: _retention_gap(d, scale=1.0),
                               "give the difference in percentage points (5.25 for 0.0525), not as a fraction.",
                               tolerance=0.0005),
                       Mistake("churn_definition", lambda d: _retention_gap(d, within_days=FOLLOW_UP_DAYS),
                               "count any purchase after the complaint up to the end of the data (the default), "
                               "not only those within a fixed number of days.", tolerance=0.05),
                       Mistake("unsatisfied", lambda d: _retention_gap(d, versus="resolved_unsatisfied"),
                               "compare with the unresolved complaints (unresolved), not with those resolved "
                               "without the customer's satisfaction.", tolerance=0.05),
                       Mistake("shared", lambda d: _retention_gap(d.shared()), SHARED, tolerance=0.05)),
             answer_hint="Percentage points, to 2 decimals (e.g. 12.34), negative if the unresolved bought "
                         "again more often."),
    Question("q8", "choice", 2,
             "Decide: the next coupon test can include only one RFM class (八类客户: crmlab.rfm.rfm_classes, mean "
             f"split, of the purchases before {START}: rfm_from_orders(orders, order_lines, as_of=\"{START}\")). "
             "Choose the class in which the coupon brought the most incremental revenue in "
             f"{EXPERIMENT}: join each customer's class to campaign_assignment by customer_id and use "
             "crmlab.campaigns.campaign_return(..., by=\"rfm_class\"), column incremental_revenue (the cost_per_contact "
             "and margin_rate you pass do not change it; assigned customers without a purchase before "
             f"{START} have no class and are set aside).",
             _target_class, choices=rfm_class_choices(),
             mistakes=(Mistake("report", lambda d: _target_class(d, "report"),
                               "that class's treated customers spent the most, but much of it they would have "
                               "spent without the coupon: compare each class's treatment group with its control "
                               "group (the uplift), times its treated customers."),
                       Mistake("response", lambda d: _target_class(d, "response"),
                               "that class has the largest uplift in response rate; the criterion is the "
                               "incremental revenue (yuan), which also counts how many customers the class has.")),
             answer_hint=CLASS_ANSWER),
    Question("q9", "text", 3,
             f"Interpret: a colleague proposes to judge {EXPERIMENT} by comparing the treated customers' purchases "
             "in September with their purchases in August (a before/after comparison). Why does the comparison of "
             "the treatment group with the control group, and not this before/after comparison, tell what the "
             "coupon caused? And how sure can the company be about your choice in q8? Answer in a few sentences.",
             None,
             rubric=("random assignment makes the two groups alike in everything but the coupon, so the control "
                     "group shows what the treated customers would have done without it (the counterfactual)",
                     "a before/after comparison mixes the coupon with everything else that changed between the two "
                     "months: season and holidays, other promotion waves, trends, each customer's own buying cycle",
                     "the uplift is treatment minus control, read with its confidence interval: the response uplift "
                     "is clear, the revenue uplift can be too noisy to tell from 0 (skewed revenue)",
                     "per-class uplifts rest on small groups and many comparisons; q8's choice is a hypothesis to "
                     "test in the next experiment, with the class chosen in advance, not a proven finding"),
             answer_hint="Write your answer as text in quotes."),
    Question("q10", "text", 3,
             "Interpret: a customer phones to complain that an order arrived a week late and one item was broken. "
             "Say how you would handle the complaint by the textbook's steps (客户投诉处理步骤), one mistake to avoid, "
             "and what your result in q7 does and does not show about handling complaints well. Answer in a few "
             "sentences.",
             None,
             rubric=("let the customer vent and listen without arguing (让客户发泄); record the key points: order, "
                     "what happened, what the customer wants (记录要点)",
                     "judge whether the complaint is valid: here a company cause (delivery, product quality), not "
                     "a customer cause (判断投诉是否成立)",
                     "propose and carry out a feasible solution quickly (replace, refund, compensate) and follow up "
                     "that the customer is content (提出并实施可行的方案, 跟踪服务)",
                     "a common mistake named, e.g. arguing, blaming the customer or colleagues, promising and not "
                     "doing (言行不一)",
                     "q7: customers whose complaint was resolved to their satisfaction bought again more often, but "
                     "the groups formed themselves: an association, not proof that resolving caused it; a complaint "
                     "handled well is a chance to keep the customer"),
             answer_hint="Write your answer as text in quotes."),
)
