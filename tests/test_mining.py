"""crmlab.mining: the churn data set keeps the future out of the features, the small tables are what a hand
computes, and on the sample company the model beats recency alone on a later period and recovers the planted
satisfaction drivers."""
import numpy as np
import pandas as pd
import pytest

from crmlab.datasets import load_data
from crmlab.mining import (calibration_table, churn_dataset, churn_model, compare_auc, gains_table, model_coefficients,
                           predict_churn, targeting_value)
from crmlab.retention import churn_drivers
from crmlab.satisfaction import satisfaction_index
from crmlab.transactions import purchases
from crmlab.validation import CrmlabInputError

CUTOFF = pd.Timestamp("2025-07-01")
FEATURES = ["recency_days", "frequency", "monetary", "tenure_days"]


def _log(rows):
    return pd.DataFrame(rows, columns=["customer_id", "order_ts", "revenue"]).astype({"order_ts": "datetime64[ns]"})


SMALL = _log([("A", "2025-01-10", 100.0), ("A", "2025-05-01", 50.0), ("B", "2025-06-20", 80.0),
              ("C", "2025-06-01", 20.0), ("C", "2025-08-01", 30.0), ("D", "2024-06-01", 10.0),
              ("D", "2025-09-01", 10.0)])


def test_hand_computed_dataset():
    d = churn_dataset(SMALL, cutoff="2025-07-01", horizon_days=90, verbose=False)
    # D's last purchase is 395 days before the cut-off: already lost by the 180-day rule, not predicted
    assert d.index.tolist() == ["A", "B", "C"]
    assert d["recency_days"].tolist() == [61.0, 11.0, 30.0]
    assert d["frequency"].tolist() == [2, 1, 1]
    assert d["monetary"].tolist() == [75.0, 80.0, 20.0]
    assert d["tenure_days"].tolist() == [172.0, 11.0, 30.0]
    assert d["churned"].tolist() == [True, True, False]
    # a purchase after the horizon does not count as staying
    late = pd.concat([SMALL, _log([("A", "2025-10-15", 5.0)])])
    assert churn_dataset(late, cutoff="2025-07-01", horizon_days=90, verbose=False).loc["A", "churned"]


def _features(frame):
    return frame.drop(columns="churned").to_csv().encode()


@pytest.fixture(scope="module")
def company(small_company):
    orders = load_data("orders", data_dir=small_company)
    lines = load_data("order_lines", data_dir=small_company)
    return (purchases(orders, lines, verbose=False), load_data("complaints", data_dir=small_company),
            load_data("survey", data_dir=small_company))


def test_nothing_after_the_cutoff_reaches_the_features(company):
    bought, complaints, survey = company
    kw = dict(cutoff=CUTOFF, complaints=complaints, survey=survey, survey_cols=["satisfaction"], verbose=False)
    base = churn_dataset(bought, **kw)
    later = bought["order_ts"] >= CUTOFF
    changed = bought.copy()
    changed.loc[later, "revenue"] *= 3                                          # every later purchase changed
    changed.loc[later, "order_ts"] += pd.Timedelta(days=1)
    extra = changed.iloc[:50].assign(order_ts=CUTOFF + pd.Timedelta(hours=1), revenue=1e6)  # and new ones
    changed = pd.concat([changed, extra], ignore_index=True)
    c2 = complaints.copy()
    c2.loc[c2["opened_ts"] >= CUTOFF, "outcome"] = "unresolved"
    c2.loc[c2["closed_ts"] >= CUTOFF, "outcome"] = "resolved_satisfied"          # outcomes known only later
    s2 = pd.concat([survey, survey.assign(survey_date=CUTOFF, satisfaction=1)], ignore_index=True)
    after = churn_dataset(changed, **{**kw, "complaints": c2, "survey": s2})
    assert _features(after) == _features(base)
    assert not after["churned"].equals(base["churned"])  # the label does see the later period
    # one purchase before the cut-off changes the features
    first = np.flatnonzero((bought["order_ts"] < CUTOFF).to_numpy()
                           & bought["customer_id"].isin(base.index).to_numpy())[0]
    earlier = bought.copy()
    earlier.iloc[first, earlier.columns.get_loc("revenue")] += 10
    assert _features(churn_dataset(earlier, **kw)) != _features(base)


def test_complaint_status_is_what_the_company_knew_at_the_cutoff():
    c = pd.DataFrame({"customer_id": ["A", "B", "C"], "outcome": ["resolved_satisfied", "resolved_unsatisfied", "unresolved"],
                      "opened_ts": pd.to_datetime(["2025-03-01", "2025-06-25", "2025-08-01"]),
                      "closed_ts": pd.to_datetime(["2025-03-05", "2025-07-10", None])})
    d = churn_dataset(SMALL, cutoff="2025-07-01", horizon_days=90, complaints=c, verbose=False)
    assert d["complaint_status"].astype(str).tolist() == ["resolved_satisfied", "open", "none"]
    assert d["complaints"].tolist() == [1, 1, 0]


def test_gains_calibration_and_value_by_hand():
    y = [1, 1, 0, 1, 0, 0, 1, 0, 0, 0]
    g = gains_table(y, np.arange(10, 0, -1), n_groups=5)
    assert g["churners"].tolist() == [2, 1, 0, 1, 0]
    assert g["gain"].tolist() == [0.5, 0.75, 0.75, 1.0, 1.0]
    assert g["lift"].tolist() == pytest.approx([2.5, 1.25, 0, 1.25, 0])
    v = targeting_value(g, value_saved=100, save_rate=0.5, cost=10)
    assert v["net"].tolist() == [80.0, 110.0, 90.0, 120.0, 100.0]     # 2 x 0.5 x 100 - 2 x 10, ...
    assert v["net_random"].iloc[0] == pytest.approx(2 * (0.4 * 0.5 * 100 - 10))
    cal = calibration_table(y, np.linspace(0.05, 0.95, 10), n_groups=2)
    assert cal["predicted"].tolist() == pytest.approx([0.25, 0.75])
    assert cal["observed"].tolist() == pytest.approx([0.6, 0.2])  # this score ranks backwards


def test_compare_auc_by_hand_and_against_sklearn():
    from sklearn.metrics import roc_auc_score

    rng = np.random.default_rng(1)
    y = rng.random(400) < 0.4
    a, b = y + rng.normal(size=400), y + rng.normal(scale=2, size=400)
    out = compare_auc(y, a, b)
    assert out.loc["score", "auc"] == pytest.approx(roc_auc_score(y, a))
    assert out.loc["baseline", "auc"] == pytest.approx(roc_auc_score(y, b))
    assert out.loc["difference", "auc_low"] > 0
    same = compare_auc(y, a, a)
    assert same.loc["difference", "auc"] == 0


def test_errors_name_the_fix():
    with pytest.raises(CrmlabInputError, match="horizon_days"):
        churn_dataset(SMALL, cutoff="2025-07-01", horizon_days=0)
    with pytest.raises(CrmlabInputError, match="no purchase before cutoff"):
        churn_dataset(SMALL, cutoff="2020-01-01")
    with pytest.raises(CrmlabInputError, match="survey_cols"):
        churn_dataset(SMALL, cutoff="2025-07-01", survey=pd.DataFrame())
    with pytest.raises(CrmlabInputError, match="same value"):
        gains_table([1, 1, 1], [1, 2, 3], n_groups=2)
    with pytest.raises(CrmlabInputError, match="one score per customer"):
        compare_auc([1, 0], [1, 2, 3], [1, 2])
    with pytest.raises(CrmlabInputError, match="save_rate"):
        targeting_value(gains_table([1, 0], [1, 2], n_groups=2), value_saved=1, save_rate=2, cost=1)


# ---------------------------------------------------------------- the sample company

@pytest.fixture(scope="module")
def shipped():
    bought = purchases(load_data("orders"), load_data("order_lines"), verbose=False)
    survey = load_data("survey")
    level = satisfaction_index(survey, verbose=False)["level"].astype(str)
    survey = survey.assign(level=pd.Categorical(level, categories=["satisfied", "dissatisfied", "highly_satisfied"]))
    complaints = load_data("complaints")
    train = churn_dataset(bought, cutoff="2024-07-01", verbose=False)
    test = churn_dataset(bought, cutoff=CUTOFF, complaints=complaints, survey=survey, survey_cols=["level"], verbose=False)
    return train, test


def test_the_model_beats_recency_alone_on_a_later_period(shipped):
    train, test = shipped
    model = churn_model(train, features=FEATURES, log_features=FEATURES[1:])
    out = compare_auc(test["churned"], predict_churn(model, test), test["recency_days"])
    assert 0.64 < out.loc["score", "auc"] < 0.68 and 0.62 < out.loc["baseline", "auc"] < 0.66
    assert out.loc["difference", "auc_low"] > 0                    # DeLong 95 % interval excludes 0
    coef = model_coefficients(model)["coefficient"]
    assert coef["recency_days"] > 0 > coef["frequency"]            # long silences and few purchases: churn
    top = gains_table(test["churned"], predict_churn(model, test)).iloc[0]
    assert top["lift"] > 1.2


def _logged(frame):
    return frame.assign(**{f"log_{c}": np.log1p(frame[c]) for c in FEATURES[1:]})


DRIVERS = ["recency_days", "log_frequency", "log_monetary", "log_tenure_days"]


def test_the_planted_satisfaction_drivers_are_recovered(shipped):
    _, test = shipped
    truth = load_data("customer_truth").set_index("customer_id")["satisfaction_level"]
    level = pd.Categorical(truth.reindex(test.index), categories=["satisfied", "dissatisfied", "highly_satisfied"])
    key = churn_drivers(_logged(test).assign(true_level=level), drivers=DRIVERS + ["true_level"], verbose=False)
    key = key[key["driver"] == "true_level"].set_index("term")["coefficient"]
    # planted dropout multipliers 1.8 (dissatisfied) > 1.0 > 0.6 (highly satisfied): the same order of churn
    assert key["dissatisfied vs satisfied"] > 0 > key["highly_satisfied vs satisfied"]
    said = churn_drivers(_logged(test.dropna(subset=["level"])), drivers=DRIVERS + ["level"], verbose=False)
    said = said[said["driver"] == "level"].set_index("term")
    assert said.loc["dissatisfied vs satisfied", "or_low"] > 1   # the survey's own level finds it too
    assert said.loc["dissatisfied vs satisfied", "coefficient"] > 0 > said.loc["highly_satisfied vs satisfied", "coefficient"]


def test_complaint_outcomes_point_the_planted_way_but_are_few(shipped):
    _, test = shipped
    rate = test.groupby("complaint_status", observed=False)["churned"].agg(["mean", "size"])
    # planted stay probabilities 0.88 (resolved, satisfied) > 0.50 (resolved, unsatisfied) > 0.25 (unresolved)
    assert rate.loc["resolved_satisfied", "mean"] < rate.loc["resolved_unsatisfied", "mean"]
    assert rate.loc["resolved_satisfied", "mean"] < rate.loc["open", "mean"]
    assert rate.loc[["resolved_satisfied", "resolved_unsatisfied", "open"], "size"].sum() < 60  # too few for a model


# -- response against uplift, clusters against RFM, rules on a later period (issue 19, part 2) ---------------

from crmlab.mining import (cluster_segments, response_scores, response_uplift_by_decile, rule_counts,  # noqa: E402
                           rules_holdout, score_groups, segment_agreement)


def test_uplift_by_decile_is_hand_computed():
    s = pd.DataFrame({"customer_id": list("abcdefgh"), "response_score": [.9, .8, .7, .6, .4, .3, .2, .1],
                      "group": ["treatment", "control"] * 4,
                      "responded": [True, True, True, True, True, False, False, False], "revenue": 0.0})
    t = response_uplift_by_decile(s, n_groups=2, verbose=False)
    assert t["group"].tolist() == [1, 2] and t["customers"].tolist() == [4, 4]
    assert t["treatment"].tolist() == [1.0, 0.5] and t["control"].tolist() == [1.0, 0.0]
    assert t["uplift"].tolist() == [0.0, 0.5]
    assert t["mean_score"].round(6).tolist() == [0.75, 0.25]
    # rows without a score are set aside, never put in a group
    t2 = response_uplift_by_decile(s.assign(response_score=s["response_score"].where(s.index != 0)), n_groups=2,
                                   verbose=False)
    assert t2["customers"].sum() == 7


def test_uplift_trend_is_a_weighted_slope():
    rng = np.random.default_rng(3)
    n = 6000
    score = rng.random(n)
    treated = rng.random(n) < 0.5
    # the offer works only in the bottom half of the score: the uplift rises down the list
    responded = rng.random(n) < 0.1 + treated * 0.2 * (score < 0.5)
    s = pd.DataFrame({"customer_id": range(n), "response_score": score,
                      "group": np.where(treated, "treatment", "control"), "responded": responded, "revenue": 0.0})
    t = response_uplift_by_decile(s, n_groups=10, verbose=False)
    assert t["customers"].sum() == n
    tr = t.attrs["trend"]
    assert tr["ci_low"] > 0 and tr["p_value"] < 0.001 and tr["ci_low"] < tr["slope"] < tr["ci_high"]
    revenue = response_uplift_by_decile(s.assign(revenue=responded * 10.0), metric="revenue_per_customer",
                                        verbose=False)
    assert np.allclose(revenue["uplift"], 10 * t["uplift"])


def test_score_groups_match_the_gains_table():
    score = pd.Series([0.3, 0.9, 0.1, 0.9, 0.5])
    assert score_groups(score, n_groups=5).tolist() == [4, 1, 5, 2, 3]         # ties keep their order
    y = [1, 0, 0, 1, 1]
    g = gains_table(y, score.to_numpy(), n_groups=5)
    assert g["churners"].tolist() == pd.Series(y).groupby(score_groups(score, n_groups=5).to_numpy()).sum().tolist()
    with pytest.raises(CrmlabInputError, match="missing"):
        score_groups(pd.Series([0.1, None]), n_groups=2)


def test_response_scores_are_out_of_fold_and_for_both_groups():
    rng = np.random.default_rng(5)
    n = 600
    ids = [f"C{i:04d}" for i in range(n)]
    feats = pd.DataFrame({"frequency": rng.integers(1, 12, n)}, index=pd.Index(ids, name="customer_id"))
    a = pd.DataFrame({"customer_id": ids[::-1], "group": np.where(rng.random(n) < 0.5, "treatment", "control"),
                      "responded": rng.random(n) < 0.05 + feats["frequency"].to_numpy()[::-1] / 15, "revenue": 0.0})
    s = response_scores(a, feats.drop(index=ids[:3]), features=["frequency"], folds=4)
    assert s["customer_id"].tolist() == sorted(ids)                          # sorted, whatever the input order
    assert s["response_score"].isna().sum() == 3 and (s.loc[s["response_score"].isna(), "fold"] == 0).all()
    assert set(s.loc[s["response_score"].notna(), "fold"]) == {1, 2, 3, 4}
    assert s.groupby("group")["response_score"].count().min() > 200
    # out of fold: changing the responses of part 1 leaves part 1's scores alone
    part1 = s.loc[s["fold"] == 1, "customer_id"]
    flipped = a.assign(responded=np.where(a["customer_id"].isin(part1), ~a["responded"], a["responded"]))
    s2 = response_scores(flipped, feats.drop(index=ids[:3]), features=["frequency"], folds=4)
    assert s2.loc[s2["fold"] == 1, "response_score"].equals(s.loc[s["fold"] == 1, "response_score"])
    assert not s2.loc[s2["fold"] == 2, "response_score"].equals(s.loc[s["fold"] == 2, "response_score"])
    with pytest.raises(CrmlabInputError, match="folds"):
        response_scores(a, feats, features=["frequency"], folds=1)


def test_cluster_segments_are_numbered_by_value_and_repeat():
    rng = np.random.default_rng(2)
    rfm = pd.DataFrame({"recency_days": np.r_[rng.integers(1, 30, 50), rng.integers(300, 400, 50)],
                        "frequency": np.r_[rng.integers(8, 15, 50), rng.integers(1, 3, 50)],
                        "monetary": np.r_[rng.uniform(2000, 4000, 50), rng.uniform(20, 80, 50)]})
    c = cluster_segments(rfm, k=2)
    assert c["cluster"].tolist() == [1] * 50 + [2] * 50
    assert c.attrs["clusters"]["centres"][1]["monetary"] > c.attrs["clusters"]["centres"][2]["monetary"]
    again = cluster_segments(rfm.sample(frac=1, random_state=1), k=2)
    assert again["cluster"].reindex(rfm.index).equals(c["cluster"])          # row order does not matter
    with pytest.raises(CrmlabInputError, match="missing"):
        cluster_segments(rfm.assign(monetary=rfm["monetary"].where(rfm.index != 3)), k=2)


def test_segment_agreement_invariants():
    a = pd.Series(list("xxyyzz"), index=range(6))
    renamed = a.map({"x": 3, "y": 1, "z": 2})
    t = segment_agreement(a, renamed)
    assert t.to_numpy().sum() == 6 and t.attrs["customers"] == 6
    assert t.attrs["adjusted_rand"] == pytest.approx(1.0)                  # same split, other names
    b = pd.Series(list("pppqqq"), index=range(6))
    t2 = segment_agreement(a, b.sample(frac=1, random_state=0))            # aligned on the index
    assert t2.loc["y"].tolist() == [1, 1]
    # hand computation: pairs together in both 2 (x,x), (z,z) of 3 in a and 6 in b; ARI = (2 - 3*6/15) / (0.5*(3+6) - 3*6/15)
    assert t2.attrs["adjusted_rand"] == pytest.approx((2 - 18 / 15) / (4.5 - 18 / 15))
    with pytest.raises(CrmlabInputError, match="different customers"):
        segment_agreement(a, b.iloc[:5])


def test_rule_counts_and_holdout_are_hand_computed():
    r = pd.DataFrame({"support": [0.1, 0.05, 0.02], "confidence": [0.5, 0.3, 0.6], "lift": [1.5, 2.0, 0.9]})
    assert rule_counts(r, min_support=[0.0, 0.06], min_confidence=[0.0, 0.4]).to_numpy().tolist() == [[2, 1], [1, 1]]
    p1 = pd.DataFrame({"order_id": [1, 1, 2, 2, 3, 3, 4], "category": ["a", "b", "a", "b", "a", "c", "c"]})
    p2 = pd.DataFrame({"order_id": [5, 5, 6, 7, 7, 8], "category": ["a", "b", "a", "b", "c", "a"]})
    h = rules_holdout(p1, p2, verbose=False).set_index(["antecedent", "consequent"])
    assert set(h.index) == {("a", "b"), ("b", "a")}                          # a-c has lift 2/3 < 1 in period 1
    # period 2 alone: 4 baskets, a in 3, b in 2, both in 1: support 1/4, confidence 1/3, lift (1/3)/(2/4)
    assert h.loc[("a", "b"), ["baskets_2", "support_2"]].tolist() == [1, 0.25]
    assert h.loc[("a", "b"), "confidence_2"] == pytest.approx(1 / 3)
    assert h.loc[("a", "b"), "lift_2"] == pytest.approx(2 / 3) and not h.loc[("a", "b"), "holds"]
    assert h.loc[("a", "b"), "lift_1"] == pytest.approx(4 / 3)
    assert h.attrs["baskets"] == {"first": 4, "second": 4}
    # a period-1 basket that changes never touches the period-2 numbers
    h2 = rules_holdout(pd.concat([p1, pd.DataFrame({"order_id": [9, 9], "category": ["a", "b"]})]), p2,
                       verbose=False).set_index(["antecedent", "consequent"])
    assert h2.loc[("a", "b"), "lift_2"] == h.loc[("a", "b"), "lift_2"]
