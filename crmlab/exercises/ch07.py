"""Chapter 7 exercises (客户关系测评与维护): satisfaction, SERVQUAL, NPS, loyalty, churn and win-back.

The questions rise from computing (the satisfaction index c = b / a, the
SERVQUAL gaps, the Net Promoter Score, the repeat-purchase rate, the churn
rate under the chapter's 180-day rule, a cohort's retention, the satisfaction
trap) to deciding (which lapsed customer a win-back contact should reach
first, by what the contact adds) and interpreting (why satisfied customers
still leave). Each question is a :class:`crmlab.exercises.core.Question`: its
reference and its typical mistakes are computations on the student's own data.

Examples
--------
>>> [q.id for q in QUESTIONS]
['q1', 'q2', 'q3', 'q4', 'q5', 'q6', 'q7', 'q8', 'q9']
"""
from __future__ import annotations

import pandas as pd

from crmlab.exercises.core import PERCENT_HINT as PERCENT
from crmlab.exercises.core import RETURNS_HINT as RETURNS
from crmlab.exercises.core import SHARED_HINT as SHARED
from crmlab.exercises.core import ExerciseData, Mistake, Question, bought

CHAPTER = "ch07"
ANALYSIS_DATE = "2026-01-01"       # the day after the last day of the data (as_of is exclusive)
REVIEW_DATE = "2025-10-01"         # q5: a quarterly review at the start of the fourth quarter
INACTIVE_DAYS = 180                # the chapter's churn rule: no purchase in the last 180 days
OTHER_RULE_DAYS = 365              # the other rule a student may reach for: a year without a purchase
WINDOW_DAYS = 365                  # the year of the repeat-purchase rate
COHORT, COHORT_K = "2024-05", 1    # q6: the May 2024 cohort in the next month, June (the 618 festival)
UPLIFT, CONTACT_COST = 0.05, 10.0  # q8's stated win-back model (an assumption, not an estimate)


# ------------------------------------------------------------------ shared computations, once per data set

def _index(data: ExerciseData, *, inverted: bool = False) -> pd.DataFrame:
    """satisfaction_index of the survey; ``inverted``: the mistake c = a / b."""
    def compute():
        from crmlab.satisfaction import satisfaction_index
        a, b = "overall_expectation", "overall_perception"
        if inverted:
            a, b = b, a
        return satisfaction_index(data.table("survey"), expectation=a, perception=b, verbose=False)
    return data.memo(("index", inverted), compute)


def _lifetimes(data: ExerciseData, *, as_of: str = ANALYSIS_DATE, days: int = INACTIVE_DAYS,
               after_survey: bool = False) -> pd.DataFrame:
    """customer_lifetimes; ``after_survey``: the respondents, followed from their survey day (notebook section 7)."""
    def compute():
        from crmlab.retention import customer_lifetimes
        start = data.table("survey").set_index("customer_id")["survey_date"] if after_survey else None
        return customer_lifetimes(bought(data), as_of=as_of, inactive_days=days, start=start, verbose=False)
    return data.memo(("lifetimes", as_of, days, after_survey), compute)


# ------------------------------------------------------------------ q1, q2: c = b / a and SERVQUAL

def _dissatisfied(data: ExerciseData) -> pd.Series:
    return _index(data)["level"] == "dissatisfied"


def _mean_c_dissatisfied(data, inverted=False):
    index = _index(data, inverted=inverted)
    return float(index.loc[index["level"] == "dissatisfied", "c"].mean())


def _mean_c_all(data):
    return float(_index(data)["c"].mean())


def _gaps(data, *, everybody=False, sign=1.0, summed=False) -> pd.Series:
    def compute():
        from crmlab.satisfaction import servqual_gaps
        survey = data.table("survey")
        chosen = survey if everybody else survey.loc[_dissatisfied(data)]
        return servqual_gaps(chosen, verbose=False).drop(index="overall")
    table = data.memo(("gaps", everybody), compute)
    gap = table["gap"] * (table["items"] if summed else 1)   # summed: the item gaps added up, not averaged
    return (sign * gap).astype(float)


# ------------------------------------------------------------------ q3: NPS

def _nps(data, promoter_min=9):
    from crmlab.satisfaction import net_promoter_score
    return float(net_promoter_score(data.table("survey"), promoter_min=promoter_min, verbose=False)["nps"].iloc[0])


# ------------------------------------------------------------------ q4: repeat-purchase rate

def _indicators(data, returns_removed=True):
    def compute():
        from crmlab.loyalty import loyalty_indicators
        return loyalty_indicators(bought(data, returns_removed=returns_removed), as_of=ANALYSIS_DATE,
                                  window_days=WINDOW_DAYS, verbose=False)
    return data.memo(("indicators", returns_removed), compute)


def _repeat_rate(data, returns_removed=True, all_time=False):
    from crmlab.loyalty import repeat_purchase_rate
    indicators = _indicators(data, returns_removed=returns_removed)
    if not all_time:   # the buyers of the year; a repeat buyer bought at least twice in it
        year = indicators[indicators["purchases_window"] >= 1]
        indicators = year.assign(repeat_buyer=year["purchases_window"] >= 2)
    return float(repeat_purchase_rate(indicators)["rate"].iloc[0])


# ------------------------------------------------------------------ q5: churn rate

def _churn_rate(data, as_of=REVIEW_DATE, days=INACTIVE_DAYS):
    return float(_lifetimes(data, as_of=as_of, days=days)["churned"].mean())


# ------------------------------------------------------------------ q6: cohort retention

def _cohort_share(data, k=COHORT_K, returns_removed=True):
    def compute():
        from crmlab.retention import cohort_retention
        return cohort_retention(bought(data, returns_removed=returns_removed), as_of=ANALYSIS_DATE, verbose=False)
    table = data.memo(("cohorts", returns_removed), compute)
    return float(table.loc[pd.Period(COHORT, "M"), k])


# ------------------------------------------------------------------ q7: the satisfaction trap

def _trap(data, days=INACTIVE_DAYS):
    def compute():
        from crmlab.loyalty import satisfaction_trap
        index = _index(data).assign(customer_id=data.table("survey")["customer_id"]).set_index("customer_id")
        after = _lifetimes(data, days=days, after_survey=True).join(index[["level"]])
        return satisfaction_trap(after, verbose=False)
    return data.memo(("trap", days), compute)


def _trap_share(data, days=INACTIVE_DAYS, row="all satisfied", column="share_of_churners"):
    return float(_trap(data, days=days).loc[row, column])


# ------------------------------------------------------------------ q8: who first in a win-back campaign

def _winback(data: ExerciseData) -> pd.DataFrame:
    """The notebook's win-back list (section 10.3) with q8's stated uplift and cost, with each customer's history."""
    def compute():
        from crmlab import clv
        from crmlab.retention import winback_priority
        lines = bought(data)
        history = clv.summary(lines, calibration_end="2025-12-31", verbose=False)
        value = clv.discounted_clv(history, purchases_model=clv.BGNBD().fit(history),
                                   spend_model=clv.GammaGamma().fit(history, verbose=False), horizon=156,
                                   annual_discount_rate=0.10, margin=lines["margin"].sum() / lines["revenue"].sum())
        candidates = _lifetimes(data).join(value[["probability_alive", "clv"]])
        candidates["clv_if_active"] = candidates["clv"] / candidates["probability_alive"]
        candidates["churned"] &= candidates["recency_days"] < 365      # lapsed within the last year
        ranked = winback_priority(candidates, value="clv_if_active", uplift=UPLIFT, baseline="probability_alive",
                                  cost=CONTACT_COST, verbose=False)
        return ranked.join(candidates[["revenue", "recency_days"]])
    return data.memo("winback", compute)


def _picks(data: ExerciseData) -> dict:
    """The customer each way of ranking puts first: what the contact adds, and three typical mistakes."""
    def compute():
        ranked = _winback(data)
        return {"incremental": ranked.index[0],                              # winback_priority's rank 1
                "expected": ranked["expected_return"].idxmax(),              # likely to come back anyway
                "spend": ranked["revenue"].idxmax(),                         # the biggest past spender
                "recent": ranked["recency_days"].idxmin()}                   # the one who left last
    return data.memo("picks", compute)


LETTERS = ("A", "B", "C", "D")


def shortlist(data: ExerciseData) -> dict:
    """q8's four lapsed customers, lettered in the order of their ids: letter -> customer id.

    Examples
    --------
    >>> sorted(shortlist(ExerciseData(None)))
    ['A', 'B', 'C', 'D']
    """
    ids = sorted(set(_picks(data).values()))
    return dict(zip(LETTERS, ids))


def _first(data, by="incremental"):
    letter = {customer: letter for letter, customer in shortlist(data).items()}
    return letter[_picks(data)[by]]


def _shortlist_text(data):
    return "The four lapsed customers: " + ", ".join(f"{k} = {v}" for k, v in shortlist(data).items())


def _letter_choices():
    out = {}
    for letter in LETTERS:
        out.update({letter: letter, f"customer {letter}": letter, f"客户{letter}": letter, f"顾客{letter}": letter})
    return out


# ------------------------------------------------------------------ hints

WRONG_DATE_Q5 = (f"the review is on {REVIEW_DATE} (as_of={REVIEW_DATE!r}: purchases before that day), not at the "
                 "end of the data.")
OTHER_RULE = (f"the chapter's churn rule is {INACTIVE_DAYS} days without a purchase (inactive_days={INACTIVE_DAYS}); "
              f"that value fits a rule of {OTHER_RULE_DAYS} days.")
DISSATISFIED_ONLY = ("the question is about the dissatisfied respondents only (level 'dissatisfied' of "
                     "satisfaction_index), not all of them.")

QUESTIONS = (
    Question("q1", "number", 1,
             "The satisfaction index (客户满意度) c = b / a: b = `overall_perception` (感知的实际体验), a = "
             "`overall_expectation` (期望值), as `crmlab.satisfaction.satisfaction_index(survey)` computes it "
             "with its defaults. What is the mean c of the respondents at the level 不满意 (dissatisfied)?",
             _mean_c_dissatisfied, tolerance=0.0005,
             mistakes=(Mistake("inverted", lambda d: _mean_c_dissatisfied(d, inverted=True),
                               "c = b / a is perception over expectation; that value fits a / b (expectation over "
                               "perception), which also turns the levels round."),
                       Mistake("all_respondents", _mean_c_all, DISSATISFIED_ONLY),
                       Mistake("shared", lambda d: _mean_c_dissatisfied(d.shared()), SHARED)),
             answer_hint="A number, to 3 decimals (e.g. 0.123)."),
    Question("q2", "table", 2,
             "SERVQUAL (服务质量差距) for the dissatisfied respondents of q1: the gap (差距) of each of the five "
             "dimensions, as the column `gap` of `crmlab.satisfaction.servqual_gaps` on those respondents' rows of "
             "the survey (defaults; leave out the `overall` row). Give a table with one row per dimension "
             "(tangibles, reliability, responsiveness, assurance, empathy).",
             _gaps, tolerance=0.0005,
             mistakes=(Mistake("sign", lambda d: _gaps(d, sign=-1.0),
                               "the gap is perception − expectation (negative where the company falls short), not "
                               "expectation − perception."),
                       Mistake("items", lambda d: _gaps(d, summed=True),
                               "a dimension's score is the mean of its items (4 or 5 of them), not their sum."),
                       Mistake("all_respondents", lambda d: _gaps(d, everybody=True), DISSATISFIED_ONLY),
                       Mistake("shared", lambda d: _gaps(d.shared()), SHARED)),
             partial=True, answer_hint="A Series or dict {dimension: gap}, e.g. {'tangibles': -0.123, ...}, gaps to 3 decimals."),
    Question("q3", "number", 1,
             "What is the Net Promoter Score (净推荐值, NPS) of the survey's `recommend` question, with the "
             "standard groups (promoters 推荐者 9–10, passives 被动者 7–8, detractors 贬损者 0–6)? Give it in "
             "points from −100 to +100, as `crmlab.satisfaction.net_promoter_score` does (e.g. 12.5, not 0.125).",
             _nps, tolerance=0.05,
             mistakes=(Mistake("percent", lambda d: _nps(d) / 100,
                               "give the NPS in points from −100 to +100 (e.g. 12.5), not as a fraction (0.125).",
                               tolerance=0.0005),
                       Mistake("passives", lambda d: _nps(d, promoter_min=7),
                               "passives (7–8) are neither promoters nor detractors: they count in the total "
                               "only."),
                       Mistake("shared", lambda d: _nps(d.shared()), SHARED)),
             answer_hint="A number of points between −100 and 100, to 3 decimals (e.g. 12.345)."),
    Question("q4", "number", 1,
             f"The yearly repeat-purchase rate (重复购买率) at the analysis date {ANALYSIS_DATE}: of the customers "
             f"with at least one purchase in the {WINDOW_DAYS} days before it (`purchases_window` of "
             f"`crmlab.loyalty.loyalty_indicators(purchases, as_of='{ANALYSIS_DATE}')`), what share made at least "
             "two purchases in those days? Give a fraction.",
             _repeat_rate, tolerance=0.0005,
             mistakes=(Mistake("percent", lambda d: 100 * _repeat_rate(d), PERCENT, tolerance=0.05),
                       Mistake("all_time", lambda d: _repeat_rate(d, all_time=True),
                               f"count the purchases of the last {WINDOW_DAYS} days only (purchases_window), not "
                               "every purchase since the first (repeat_buyer)."),
                       Mistake("returns", lambda d: _repeat_rate(d, returns_removed=False), RETURNS),
                       Mistake("shared", lambda d: _repeat_rate(d.shared()), SHARED)),
             answer_hint="A fraction between 0 and 1, to 3 decimals (e.g. 0.123)."),
    Question("q5", "number", 1,
             f"The churn rate (客户流失率) at a quarterly review on {REVIEW_DATE} (the start of the fourth quarter): "
             "of the customers with at least one purchase before that day, what share had churned by the "
             f"chapter's rule (流失: no purchase in the last {INACTIVE_DAYS} days; "
             f"`crmlab.retention.customer_lifetimes(purchases, as_of='{REVIEW_DATE}')`, column `churned`)? "
             "Give a fraction.",
             _churn_rate, tolerance=0.0005,
             mistakes=(Mistake("churn_definition", lambda d: _churn_rate(d, days=OTHER_RULE_DAYS), OTHER_RULE),
                       Mistake("date", lambda d: _churn_rate(d, as_of=ANALYSIS_DATE), WRONG_DATE_Q5),
                       Mistake("percent", lambda d: 100 * _churn_rate(d), PERCENT, tolerance=0.05),
                       Mistake("shared", lambda d: _churn_rate(d.shared()), SHARED)),
             answer_hint="A fraction between 0 and 1, to 3 decimals (e.g. 0.123)."),
    Question("q6", "number", 1,
             f"Cohort retention (同期群留存): of the customers whose first purchase was in {COHORT} (the cohort), "
             "what share bought again in the next month, June 2024 (the month of the 618 shopping festival)? That "
             f"is column k = {COHORT_K} of `crmlab.retention.cohort_retention(purchases, as_of='{ANALYSIS_DATE}')`, "
             "where k = 0 is the cohort's first month itself. Give a fraction.",
             _cohort_share, tolerance=0.0005,
             mistakes=(Mistake("month", lambda d: _cohort_share(d, k=COHORT_K + 1),
                               "k = 0 is the month of the first purchase itself, so the next month is column "
                               f"k = {COHORT_K}, not k = {COHORT_K + 1}."),
                       Mistake("percent", lambda d: 100 * _cohort_share(d), PERCENT, tolerance=0.05),
                       Mistake("returns", lambda d: _cohort_share(d, returns_removed=False), RETURNS),
                       Mistake("shared", lambda d: _cohort_share(d.shared()), SHARED)),
             answer_hint="A fraction between 0 and 1, to 3 decimals (e.g. 0.123)."),
    Question("q7", "number", 2,
             "The satisfaction trap (满意陷阱): follow the survey's respondents from their survey day to the end of "
             f"the data (`customer_lifetimes(purchases, as_of='{ANALYSIS_DATE}', start=<each respondent's "
             f"survey_date>)`, churn by the {INACTIVE_DAYS}-day rule) and give each the level of q1. Of the "
             "respondents who churned, what share were satisfied or highly satisfied (满意 or 高度满意)? "
             "(`crmlab.loyalty.satisfaction_trap`, row `all satisfied`.) Give a fraction.",
             _trap_share, tolerance=0.0005,
             mistakes=(Mistake("churn_definition", lambda d: _trap_share(d, days=OTHER_RULE_DAYS), OTHER_RULE),
                       Mistake("rate", lambda d: _trap_share(d, column="rate"),
                               "that is the churn rate of the satisfied (the share of them who left); the question "
                               "asks the reverse: of those who left, the share who were satisfied "
                               "(share_of_churners)."),
                       Mistake("highly_only", lambda d: _trap_share(d, row="highly_satisfied"),
                               "count both satisfied levels, 满意 and 高度满意, not the highly satisfied only."),
                       Mistake("shared", lambda d: _trap_share(d.shared()), SHARED)),
             answer_hint="A fraction between 0 and 1, to 3 decimals (e.g. 0.123)."),
    Question("q8", "choice", 2,
             "Decide: a win-back contact (挽回流失客户) can reach one more customer, among the four lapsed "
             "customers named by `show('q8')`. Build the chapter notebook's win-back list (section 10.3: lost by "
             f"the {INACTIVE_DAYS}-day rule at {ANALYSIS_DATE} and lapsed within the last year, value = the 3-year "
             "CLV given alive, clv / probability_alive, with the notebook's parameters) with "
             f"`crmlab.retention.winback_priority`, assuming the contact adds {UPLIFT:.2f} to every customer's "
             f"chance of coming back (uplift) and costs {CONTACT_COST:.0f} CNY. Which of the four should it reach "
             "first?",
             _first, choices=_letter_choices(), detail=_shortlist_text,
             mistakes=(Mistake("expected", lambda d: _first(d, by="expected"),
                               "that customer has the highest expected return (chance of coming back x value): "
                               "likely to come back anyway. Rank by what the contact adds (incremental_value)."),
                       Mistake("spend", lambda d: _first(d, by="spend"),
                               "that customer spent the most in the past; what counts is what a contact adds: "
                               "uplift x the value of a regained customer − cost."),
                       Mistake("recent", lambda d: _first(d, by="recent"),
                               "that customer left most recently; the win-back list ranks by incremental value, "
                               "not by recency.")),
             answer_hint="The letter of one of the four customers of show('q8'), e.g. 'A'."),
    Question("q9", "text", 3,
             "Interpret: in the chapter's data churn falls with satisfaction, yet most of the respondents who "
             "churned had said they were satisfied. Check both on your data (the churn rate of each level, q7's "
             "share), then explain with your numbers why satisfied customers still leave, and what the company "
             "should measure or do besides the satisfaction survey. Answer in a few sentences.",
             None,
             rubric=("the churn rate of each level, read with its interval: on the chapter's data the dissatisfied "
                     "churn more often, on one's own data the difference may be small or absent (say so); and the "
                     "satisfied are the majority of the respondents, so they are also most of the customers who "
                     "left (rate vs share of churners)",
                     "satisfaction is an attitude measured once; loyalty is behaviour over time: rising "
                     "expectations, competitors' offers, ended needs or convenience make satisfied customers "
                     "defect (satisfaction is necessary, not sufficient)",
                     "only strong attachment (highly satisfied, true or super-value loyalty, switching costs) "
                     "holds customers; merely satisfied customers are open to a better offer",
                     "watch behaviour as an early warning (recency, purchase frequency, the churn rule, survival "
                     "curves) next to the survey, and add questions on competitors and switching costs",
                     "the numbers depend on the churn rule (180 days) and on a sample: state the rule and the "
                     "uncertainty"),
             answer_hint="Write your answer as text in quotes."),
)
