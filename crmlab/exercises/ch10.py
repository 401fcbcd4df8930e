"""Chapter 10 exercises (数据挖掘：客户流失预测): churn prediction with a split in time.

The questions follow the chapter notebook (``notebooks/10_data_mining.ipynb``):
the churn rate of the test period (:func:`crmlab.mining.churn_dataset`: the
features before a cut-off, the label in the 180 days after it), the AUC of
recency alone and of a model learned one year earlier
(:func:`crmlab.mining.churn_model`, :func:`crmlab.mining.compare_auc`), the
gains of the model's list (:func:`crmlab.mining.gains_table`), its
calibration (:func:`crmlab.mining.calibration_table`), how deep a retention
campaign should go under stated assumptions
(:func:`crmlab.mining.targeting_value`) and what a manager should take from
it. Each question is a :class:`crmlab.exercises.core.Question`: its reference
and its typical mistakes are computations on the student's own data.

Examples
--------
>>> [q.id for q in QUESTIONS]
['q1', 'q2', 'q3', 'q4', 'q5', 'q6', 'q7']
"""
from __future__ import annotations

import pandas as pd

from crmlab.exercises.core import PERCENT_HINT as PERCENT
from crmlab.exercises.core import RETURNS_HINT as RETURNS
from crmlab.exercises.core import SHARED_HINT as SHARED
from crmlab.exercises.core import ExerciseData, Mistake, Question, bought

CHAPTER = "ch10"
TRAIN_CUTOFF = "2024-07-01"        # the learning set: features before it, label in the 180 days after
TEST_CUTOFF = "2025-07-01"         # the test set, one year later
HORIZON_DAYS = 180                 # the label window (and the churn rule: 180 days without a purchase)
OTHER_HORIZON = 365                # the mistake: a year as the label window
FEATURES = ["recency_days", "frequency", "monetary", "tenure_days"]
LOG_FEATURES = ["frequency", "monetary", "tenure_days"]
TOP_GROUPS = 5                     # q4: the gain of the top five deciles
VALUE_SAVED, SAVE_RATE, COST = 333.0, 0.12, 20.0   # q6's stated assumptions (not estimates)


# ------------------------------------------------------------------ the data sets and the model, once per data set

def _dataset(data: ExerciseData, cutoff: str = TEST_CUTOFF, *, horizon: int = HORIZON_DAYS,
             returns_removed: bool = True) -> pd.DataFrame:
    def compute():
        from crmlab.mining import churn_dataset
        return churn_dataset(bought(data, returns_removed=returns_removed), cutoff=cutoff, horizon_days=horizon,
                             verbose=False)
    return data.memo(("dataset", cutoff, horizon, returns_removed), compute)


def _probability(data: ExerciseData, *, learn: str = TRAIN_CUTOFF, judge_on: str = TEST_CUTOFF,
                 logged: bool = True) -> pd.Series:
    """The model learned on the data set at ``learn`` and scored on the one at ``judge_on``."""
    def compute():
        from crmlab.mining import churn_model, predict_churn
        model = churn_model(_dataset(data, learn), features=FEATURES, log_features=LOG_FEATURES if logged else ())
        return predict_churn(model, _dataset(data, judge_on))
    return data.memo(("probability", learn, judge_on, logged), compute)


def _auc(data, score, cutoff=TEST_CUTOFF) -> pd.DataFrame:
    from crmlab.mining import compare_auc
    frame = _dataset(data, cutoff)
    return compare_auc(frame["churned"], score, frame["recency_days"])


# ------------------------------------------------------------------ q1: the churn rate of the test period

def _churn_rate(data, cutoff=TEST_CUTOFF, horizon=HORIZON_DAYS, returns_removed=True):
    return float(_dataset(data, cutoff, horizon=horizon, returns_removed=returns_removed)["churned"].mean())


# ------------------------------------------------------------------ q2: recency alone

def _recency_auc(data, cutoff=TEST_CUTOFF, returns_removed=True, flipped=False):
    from crmlab.mining import compare_auc
    frame = _dataset(data, cutoff, returns_removed=returns_removed)
    recency = -frame["recency_days"] if flipped else frame["recency_days"]
    return float(compare_auc(frame["churned"], recency, frame["recency_days"]).loc["score", "auc"])


# ------------------------------------------------------------------ q3: the model, judged on the later period

def _model_auc(data, learn=TRAIN_CUTOFF, judge_on=TEST_CUTOFF, logged=True):
    score = _probability(data, learn=learn, judge_on=judge_on, logged=logged)
    return float(_auc(data, score, judge_on).loc["score", "auc"])


# ------------------------------------------------------------------ q4: gains

def _gains(data, score="model"):
    def compute():
        from crmlab.mining import gains_table
        frame = _dataset(data)
        chosen = _probability(data) if score == "model" else frame["recency_days"]
        return gains_table(frame["churned"], chosen)
    return data.memo(("gains", score), compute)


def _top_gain(data, score="model", cumulative=True) -> pd.Series:
    gains = _gains(data, score).set_index("group")
    column = gains["gain"] if cumulative else gains["churners"] / gains["churners"].sum()
    top = column.iloc[:TOP_GROUPS].astype(float)
    return top.set_axis([str(g) for g in top.index])


# ------------------------------------------------------------------ q5: calibration of the top group

def _calibration_gap(data, group=10, sign=1.0):
    def compute():
        from crmlab.mining import calibration_table
        return calibration_table(_dataset(data)["churned"], _probability(data)).set_index("group")
    table = data.memo("calibration", compute)
    row = table.loc[group]
    return float(sign * (row["observed"] - row["predicted"]))


# ------------------------------------------------------------------ q6: how deep should a campaign go

def _best_net(data, score="model", save_everyone=False, top_only=False):
    from crmlab.mining import targeting_value
    value = targeting_value(_gains(data, score), value_saved=VALUE_SAVED, save_rate=SAVE_RATE, cost=COST)
    if save_everyone:   # the mistake: the save rate applied to every customer contacted, stayers too
        value = value.assign(net=value["contacted"] * (SAVE_RATE * VALUE_SAVED - COST))
    net = value["net"]
    return float(net.iloc[0] if top_only else net.max())


# ------------------------------------------------------------------ the questions

WRONG_SET = (f"judge on the test set, the customers active on {TEST_CUTOFF} with the label of the {HORIZON_DAYS} days "
             f"after it; that value fits the learning set at {TRAIN_CUTOFF}.")

QUESTIONS = (
    Question("q1", "number", 1,
             f"The test set (测试集): build the purchases (`crmlab.transactions.purchases(orders, order_lines)`) and "
             f"`test = crmlab.mining.churn_dataset(purchases, cutoff='{TEST_CUTOFF}', horizon_days={HORIZON_DAYS})`: "
             f"the customers active on the cut-off (截止日期), with features from before it and the label `churned` "
             f"(no purchase in the {HORIZON_DAYS} days from the cut-off). What share of them churned? Give a fraction.",
             _churn_rate, tolerance=0.0005,
             mistakes=(Mistake("date", lambda d: _churn_rate(d, cutoff=TRAIN_CUTOFF), WRONG_SET),
                       Mistake("horizon", lambda d: _churn_rate(d, horizon=OTHER_HORIZON),
                               f"the label window is {HORIZON_DAYS} days after the cut-off (horizon_days="
                               f"{HORIZON_DAYS}), not a year."),
                       Mistake("percent", lambda d: 100 * _churn_rate(d), PERCENT, tolerance=0.05),
                       Mistake("returns", lambda d: _churn_rate(d, returns_removed=False), RETURNS),
                       Mistake("shared", lambda d: _churn_rate(d.shared()), SHARED)),
             answer_hint="A fraction between 0 and 1, to 3 decimals (e.g. 0.123)."),
    Question("q2", "number", 1,
             "The baseline (基准): recency alone as a churn score (the longer since the last purchase, the likelier "
             "the customer has left). What is its AUC (ROC 曲线下面积) on q1's test set? Use "
             "`crmlab.mining.compare_auc(test['churned'], score, baseline)` with recency as the score (row `score`, "
             "column `auc`).",
             _recency_auc, tolerance=0.0005,
             mistakes=(Mistake("sign", lambda d: _recency_auc(d, flipped=True),
                               "a churn score is higher for customers more likely to churn: recency_days as it is, "
                               "not its negative (an AUC below 0.5 means the score is turned round)."),
                       Mistake("date", lambda d: _recency_auc(d, cutoff=TRAIN_CUTOFF), WRONG_SET),
                       Mistake("returns", lambda d: _recency_auc(d, returns_removed=False), RETURNS),
                       Mistake("shared", lambda d: _recency_auc(d.shared()), SHARED)),
             answer_hint="A number between 0 and 1, to 3 decimals (e.g. 0.123)."),
    Question("q3", "number", 2,
             f"The model (流失预测模型), with a split in time: learn it on the data set at the earlier cut-off, "
             f"`train = churn_dataset(purchases, cutoff='{TRAIN_CUTOFF}', horizon_days={HORIZON_DAYS})`, with "
             f"`churn_model(train, features={FEATURES}, log_features={LOG_FEATURES})`, score q1's test set with "
             "`predict_churn` and judge it there. What is the model's AUC on the test set?",
             _model_auc, tolerance=0.0005,
             mistakes=(Mistake("baseline", lambda d: _recency_auc(d),
                               "that is the AUC of the baseline, recency alone (row baseline of compare_auc); the "
                               "model's is row score, with the model's probability as the score."),
                       Mistake("train", lambda d: _model_auc(d, judge_on=TRAIN_CUTOFF),
                               "that is the model judged on the customers it learned from (in-sample); judge it on "
                               f"the later period, the test set at {TEST_CUTOFF}."),
                       Mistake("no_log", lambda d: _model_auc(d, logged=False),
                               f"take log(1 + x) of the counts and amounts: log_features={LOG_FEATURES}."),
                       Mistake("shared", lambda d: _model_auc(d.shared()), SHARED)),
             answer_hint="A number between 0 and 1, to 3 decimals (e.g. 0.123)."),
    Question("q4", "table", 2,
             "Gains (增益表): sort the test customers by the model's probability of q3 and cut them into ten equal "
             "groups (`crmlab.mining.gains_table(test['churned'], probability)`, group 1 = the highest scores). "
             f"For each of the top {TOP_GROUPS} groups give the gain (捕获率, column `gain`): the share of all churners "
             "found in groups 1 to k together.",
             _top_gain, tolerance=0.0005,
             mistakes=(Mistake("not_cumulative", lambda d: _top_gain(d, cumulative=False),
                               "the gain is cumulative: the churners of groups 1 to k together over all churners, "
                               "not those of group k alone."),
                       Mistake("recency", lambda d: _top_gain(d, score="recency"),
                               "that is the gains of recency alone; sort by the model's predicted probability."),
                       Mistake("shared", lambda d: _top_gain(d.shared()), SHARED)),
             partial=True, answer_hint=f"One row per group 1 to {TOP_GROUPS}, e.g. {{1: 0.123, 2: 0.234, ...}}, "
                                       "to 3 decimals."),
    Question("q5", "number", 1,
             "Calibration (概率校准): split the test customers into ten groups by the model's predicted probability "
             "(`crmlab.mining.calibration_table(test['churned'], probability)`, group 1 = the lowest predictions). "
             "In the group of the highest predictions (group 10), what is the observed churn rate minus the mean "
             "predicted probability (negative if the model predicts more churn than happened)?",
             _calibration_gap, tolerance=0.0005,
             mistakes=(Mistake("sign", lambda d: _calibration_gap(d, sign=-1.0),
                               "observed minus predicted, not predicted minus observed."),
                       Mistake("lowest", lambda d: _calibration_gap(d, group=1),
                               "in calibration_table group 1 holds the lowest predictions; the question asks about "
                               "the highest (group 10)."),
                       Mistake("shared", lambda d: _calibration_gap(d.shared()), SHARED)),
             answer_hint="A number between −1 and 1, to 3 decimals (e.g. −0.123)."),
    Question("q6", "number", 2,
             "Decide how deep a retention campaign (客户挽留) should go down the model's list. Assume (假设) a "
             f"contact costs {COST:.0f} yuan, keeps {SAVE_RATE:.0%} of the churners it reaches (save_rate = "
             f"{SAVE_RATE}) and nobody else, and a kept churner is worth {VALUE_SAVED:.0f} yuan. With "
             "`crmlab.mining.targeting_value` on q4's gains table, the campaign contacts groups 1 to k; choose the "
             "depth k with the highest net value. What is that net value in yuan?",
             _best_net, tolerance=0.5,
             mistakes=(Mistake("recency", lambda d: _best_net(d, score="recency"),
                               "that is the best net of recency's list; the campaign uses the model's list (q4)."),
                       Mistake("top_only", lambda d: _best_net(d, top_only=True),
                               "that is the net of the top group only; compare every depth (groups 1 to k) and "
                               "take the best."),
                       Mistake("save_everyone", lambda d: _best_net(d, save_everyone=True),
                               "the save rate applies to the churners reached only: a customer who would have "
                               "stayed anyway is not 'saved' (use targeting_value's net)."),
                       Mistake("shared", lambda d: _best_net(d.shared()), SHARED)),
             answer_hint="An amount in yuan, to 1 decimal (e.g. 1234.5)."),
    Question("q7", "text", 3,
             "Interpret: a retention manager asks whether to use the model's list instead of simply contacting the "
             "customers silent the longest, and how much to trust its probabilities and q6's depth. Answer with "
             "your numbers: the difference in AUC with its interval (`compare_auc`, row `difference`), the "
             "calibration of q5 (and the churn rate of the learning set against the test set), and what a churn "
             "score cannot tell. Answer in a few sentences.",
             None,
             rubric=("the AUC difference model − recency with its DeLong interval: if the interval lies above 0 "
                     "the model ranks better by a (small) established margin, if it includes 0 the data cannot "
                     "tell them apart and the simpler recency list will do; both AUCs are far from 1 (many "
                     "customers are just quiet for a while)",
                     "calibration: whether the top group's observed churn lies below, above or within reach of the "
                     "prediction (q5, with the group's interval); the model learned on an earlier year whose churn "
                     "rate differs from the test period's, so probabilities carried across time need re-checking "
                     "and re-calibrating on recent data before they set a budget; the ranking travels better",
                     "the campaign's net value and best depth (q6) rest on stated assumptions (cost, save rate, "
                     "value of a kept customer): vary them, the depth changes; compare with a random list",
                     "a churn score says who will leave, not whom a contact can keep (uplift): some churners leave "
                     "whatever is done and some stayers need no contact; a randomised test (chapter 5) measures "
                     "the save rate",
                     "honesty of the split in time: features only from before the cut-off, judged on a later period; "
                     "an in-sample AUC would overstate the model"),
             answer_hint="Write your answer as text in quotes."),
)
