"""Loyalty (客户忠诚): indicators, the Dick & Basu matrix, the six loyalty types, the satisfaction trap —
hand-computed cases, the planted loyalty mix and attitudes of the sample company, and bad input."""
import numpy as np
import pandas as pd
import pytest

from crmlab.datasets import load_data, load_truth
from crmlab.datasets.schema import LOYALTY_TYPES
from crmlab._intervals import wilson_interval
from crmlab.loyalty import loyalty_indicators, loyalty_matrix, loyalty_type_mix, repeat_purchase_rate, satisfaction_trap
from crmlab.retention import customer_lifetimes
from crmlab.satisfaction import satisfaction_index
from crmlab.transactions import purchases
from crmlab.validation import CrmlabInputError

SURVEY_START = "2025-05-01"  # the survey ran in May-June 2025


@pytest.fixture(scope="module")
def company():
    survey = load_data("survey")
    truth = survey[["customer_id"]].merge(load_data("customer_truth"), on="customer_id", how="left")
    return {"survey": survey, "truth": truth, "lines": load_data("order_lines"),
            "purchases": purchases(load_data("orders"), load_data("order_lines"), verbose=False)}


def _hand():
    p = pd.DataFrame({"customer_id": ["A", "A", "A", "B", "C"], "order_id": ["o1", "o2", "o3", "o4", "o5"],
                      "order_ts": pd.to_datetime(["2024-02-01", "2025-03-01", "2025-10-01", "2025-06-01", "2026-02-01"]),
                      "revenue": [100.0, 60.0, 40.0, 90.0, 10.0]})
    lines = pd.DataFrame({"order_id": ["o1", "o1", "o2", "o3", "o4", "o5"], "quantity": [1, 2, 1, 1, 3, 1],
                          "unit_price": [50.0, 30.0, 75.0, 40.0, 40.0, 10.0],
                          "net_amount": [45.0, 55.0, 60.0, 40.0, 90.0, 10.0]})
    return p, lines


# ------------------------------------------------------------------ indicators

def test_loyalty_indicators_by_hand(capsys):
    p, lines = _hand()
    ind = loyalty_indicators(p, as_of="2026-01-01", order_lines=lines, wallet=pd.Series({"A": 400.0, "B": 60.0}))
    assert "loyalty_indicators: set aside 1 purchases on or after as_of 2026-01-01" in capsys.readouterr().out
    assert ind.index.tolist() == ["A", "B"]  # C bought only after as_of
    assert ind["n_purchases"].tolist() == [3, 1] and ind["repeat_buyer"].tolist() == [True, False]
    assert ind.loc["A", "tenure_days"] == (pd.Timestamp("2026-01-01") - pd.Timestamp("2024-02-01")).days
    assert ind.loc["A", "recency_days"] == 92
    assert ind["purchases_window"].tolist() == [2, 1] and ind["spend_window"].tolist() == [100.0, 90.0]
    # share of wallet: A 100 / 400; B spent 90 here but says 60 in total -> not estimable, counted
    assert ind.loc["A", "share_of_wallet"] == 0.25 and np.isnan(ind.loc["B", "share_of_wallet"])
    assert ind.attrs["set_aside"]["customers whose stated wallet is below their spend here"] == 1
    # price sensitivity: A paid 100 + 60 + 40 for list 110 + 75 + 40 -> discount 25/225; order discounts
    # 10/110 = 9 %, 15/75 = 20 %, 0 % -> one of three on a deal of >= 15 %; B: 30/120 = 25 %, on a deal
    assert ind.loc["A", "avg_discount"] == pytest.approx(25 / 225)
    assert ind["deal_share"].tolist() == pytest.approx([1 / 3, 1.0])


def test_repeat_purchase_rate_with_interval():
    f = pd.DataFrame({"repeat_buyer": [True] * 30 + [False] * 70, "tier": ["gold"] * 20 + ["std"] * 80})
    out = repeat_purchase_rate(f, by="tier")
    assert out.loc["gold", ["customers", "repeat_buyers", "rate"]].tolist() == [20, 20, 1.0]
    assert out.loc["std", "rate"] == pytest.approx(10 / 80)
    assert out.loc["gold", "ci_high"] == pytest.approx(1.0) and out.loc["gold", "ci_low"] < 1
    assert repeat_purchase_rate(f).loc["all", "rate"] == 0.3


def test_repeat_purchase_rate_of_the_company(company):
    ind = loyalty_indicators(company["purchases"], as_of="2026-01-01", verbose=False)
    rate = repeat_purchase_rate(ind).loc["all"]
    # most members buy only a few times (README): between a half and three quarters buy again
    assert 0.5 < rate["rate"] < 0.75 and rate["ci_high"] - rate["ci_low"] < 0.03


# ------------------------------------------------------------------ attitude x behaviour

def test_loyalty_matrix_by_hand():
    f = pd.DataFrame({"customer_id": list("ABCDE"), "attitude_like": [5, 5, 1, 2, 4],
                      "attitude_prefer": [4, 5, 2, 1, 3], "purchases_window": [6, 0, 5, 1, 2]})
    m = loyalty_matrix(f)
    assert m["attitude_score"].tolist() == [4.5, 5.0, 1.5, 1.5, 3.5]
    assert m["loyalty"].tolist() == ["true_loyalty", "latent_loyalty", "spurious_loyalty", "no_loyalty", "true_loyalty"]
    strict = loyalty_matrix(f, attitude_cut=4, behaviour_cut=3)
    assert strict["loyalty"].tolist()[-1] == "no_loyalty"
    assert m["customer_id"].tolist() == list("ABCDE")


def test_attitude_recovers_the_planted_attitudinal_loyalty(company):
    survey, truth = company["survey"], company["truth"]
    ind = loyalty_indicators(company["purchases"], as_of=SURVEY_START, verbose=False)
    frame = survey.merge(ind[["purchases_window"]], left_on="customer_id", right_index=True, how="left")
    frame["purchases_window"] = frame["purchases_window"].fillna(0)
    m = loyalty_matrix(frame)
    agreement = (m["attitude_high"].to_numpy() == truth["attitude_high"].to_numpy()).mean()
    assert agreement > 0.9  # measured 0.93
    assert set(m["loyalty"].unique()) == {"true_loyalty", "latent_loyalty", "spurious_loyalty", "no_loyalty"}


# ------------------------------------------------------------------ the six loyalty types

def test_loyalty_type_mix_by_hand():
    s = pd.DataFrame({"main_reason": ["price"] * 6 + ["value"] * 4 + ["inertia"] * 2 + [None]})
    mix = loyalty_type_mix(s, honest_share=0.5)
    assert mix.index.tolist() == list(LOYALTY_TYPES)
    assert mix["n"].tolist() == [0, 2, 0, 6, 0, 4] and mix["share"].sum() == pytest.approx(1.0)
    # (s - (1 - h) / 6) / h with h = 0.5: price (0.5 - 1/12) * 2
    assert mix.loc["price", "corrected"] == pytest.approx((0.5 - 1 / 12) * 2)
    assert mix["corrected"].sum() == pytest.approx(1.0)
    assert mix.attrs["set_aside"] == {"respondents without an answer": 1}
    plain = loyalty_type_mix(s, verbose=False)
    assert "corrected" not in plain.columns


def test_loyalty_type_mix_recovers_the_planted_types(company):
    P = load_truth()["parameters"]
    h = P["survey"]["honest_reason"]
    mix = loyalty_type_mix(company["survey"], honest_share=h)
    true_share = company["truth"]["loyalty_type"].value_counts(normalize=True).reindex(list(LOYALTY_TYPES))
    # the respondents' latent types: inside the corrected interval, and within 0.03 (measured <= 0.015)
    assert ((mix["corrected_low"] <= true_share) & (true_share <= mix["corrected_high"])).all()
    assert mix["corrected"].to_numpy() == pytest.approx(true_share.to_numpy(), abs=0.03)
    # without the correction, random answers inflate the rare monopoly type (0.083 against 0.049)
    assert abs(mix.loc["monopoly", "corrected"] - true_share["monopoly"]) < abs(mix.loc["monopoly", "share"] - true_share["monopoly"])
    # the planted mix: bargain hunters (20 % of members) are price-loyal with probability 0.6 on top of
    # 0.4 x the mix (crmlab/generator/retail); respondents are survivors, so allow 0.06
    mix_planted = pd.Series(P["loyalty_mix"])[list(LOYALTY_TYPES)]
    bargain = P["segments"]["bargain"]["share"]
    expected = (1 - bargain) * mix_planted + bargain * 0.4 * mix_planted
    expected["price"] += bargain * 0.6
    assert mix["corrected"].to_numpy() == pytest.approx(expected.to_numpy(), abs=0.06)


# ------------------------------------------------------------------ satisfaction vs loyalty

def test_satisfaction_trap_by_hand():
    f = pd.DataFrame({"level": ["dissatisfied"] * 4 + ["satisfied"] * 10 + ["highly_satisfied"] * 6,
                      "churned": [1, 1, 1, 0] + [1] * 4 + [0] * 6 + [1] + [0] * 5})
    trap = satisfaction_trap(f)
    assert trap.index.tolist() == ["dissatisfied", "satisfied", "highly_satisfied", "all satisfied"]
    assert trap["rate"].tolist() == pytest.approx([0.75, 0.4, 1 / 6, 5 / 16])
    assert trap["share_of_churners"].tolist() == pytest.approx([3 / 8, 4 / 8, 1 / 8, 5 / 8])
    low, high = wilson_interval(5, 8)
    assert trap.loc["all satisfied", ["share_low", "share_high"]].tolist() == pytest.approx([low, high])
    assert "ratio" not in trap.columns  # no reference level here


def test_a_share_of_churners_that_is_100_percent_by_definition_has_no_interval():
    f = pd.DataFrame({"level": ["dissatisfied"] * 3 + ["satisfied"] * 3, "churned": [1, 0, 1, 1, 1, 0]})
    everyone = satisfaction_trap(f, satisfied=["dissatisfied", "satisfied"])
    assert everyone.loc["all satisfied", "share_of_churners"] == 1.0
    assert everyone.loc["all satisfied", ["share_low", "share_high"]].isna().all()
    assert everyone.loc["satisfied", ["share_low", "share_high"]].notna().all()  # 2 of 4 churners: a sample share
    one_level = satisfaction_trap(f[f["level"] == "satisfied"])
    assert one_level[["share_low", "share_high"]].isna().all().all()  # the level and the pooled row hold everyone
    # a share of 100 % that the data happen to give (no dissatisfied churner) is an estimate: it keeps its interval
    none_left = satisfaction_trap(f.assign(churned=[0, 0, 0, 1, 1, 0]))
    assert none_left.loc["all satisfied", "share_of_churners"] == 1.0
    assert none_left.loc["all satisfied", ["share_low", "share_high"]].notna().all()


def test_the_satisfaction_trap_in_the_company(company):
    survey = company["survey"]
    life = customer_lifetimes(company["purchases"], as_of="2026-01-01",
                              start=survey.set_index("customer_id")["survey_date"], verbose=False)
    level = satisfaction_index(survey, verbose=False).assign(customer_id=survey["customer_id"]).set_index("customer_id")
    trap = satisfaction_trap(life.join(level["level"]))
    # churn falls with satisfaction, yet most of those who left were satisfied (measured 66 %)
    assert trap.loc["dissatisfied", "rate"] > trap.loc["satisfied", "rate"] > trap.loc["highly_satisfied", "rate"]
    assert trap.loc["all satisfied", "share_of_churners"] > 0.5
    assert trap.loc["all satisfied", "ci_low"] > 0.4  # and satisfied customers churn at a high rate


# ------------------------------------------------------------------ bad input

@pytest.mark.parametrize("call, fragment", [
    (lambda p, l: loyalty_indicators(p.iloc[0:0], as_of="2026-01-01"), "purchases is empty"),
    (lambda p, l: loyalty_indicators(p.drop(columns="revenue"), as_of="2026-01-01"), r"missing column\(s\) 'revenue'"),
    (lambda p, l: loyalty_indicators(p, as_of="2026-01-01", window_days=0), "window_days=0"),
    (lambda p, l: loyalty_indicators(p, as_of="2026-01-01", wallet=pd.Series({"A": 0.0})), "wallet must be > 0"),
    (lambda p, l: loyalty_indicators(p, as_of="2026-01-01", order_lines=l.drop(columns="unit_price")),
     r"order_lines is missing column\(s\) 'unit_price'"),
    (lambda p, l: loyalty_indicators(p, as_of="2026-01-01", order_lines=l.assign(unit_price=0.0)),
     "quantity x unit_price must be a number > 0"),
    (lambda p, l: loyalty_matrix(pd.DataFrame({"attitude_like": [6], "attitude_prefer": [4], "purchases_window": [1]})),
     "'attitude_like' has answers outside the scale 1–5 in row 0, e.g. 6"),
    (lambda p, l: loyalty_matrix(pd.DataFrame({"attitude_like": [3], "purchases_window": [1]})),
     r"missing column\(s\) 'attitude_prefer'"),
    (lambda p, l: loyalty_type_mix(pd.DataFrame({"main_reason": ["price", "habit"]})),
     "'main_reason' has values that are not loyalty types in row 1, e.g. 'habit'"),
    (lambda p, l: loyalty_type_mix(pd.DataFrame({"main_reason": ["price"]}), honest_share=0), "honest_share=0"),
    (lambda p, l: loyalty_type_mix(pd.DataFrame({"main_reason": []})), "is empty"),
    (lambda p, l: satisfaction_trap(pd.DataFrame({"level": ["satisfied"], "churned": [True]}), satisfied=["happy"]),
     r"satisfied names level\(s\) \['happy'\]"),
    (lambda p, l: satisfaction_trap(pd.DataFrame({"level": ["satisfied"], "churned": ["maybe"]})),
     "'churned' must be True/False"),
    (lambda p, l: repeat_purchase_rate(pd.DataFrame({"n": [1]})), r"missing column\(s\) 'repeat_buyer'"),
])
def test_bad_input_gets_a_clear_message(call, fragment):
    with pytest.raises(CrmlabInputError, match=fragment):
        call(*_hand())
