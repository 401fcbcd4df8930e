"""Satisfaction (客户满意): c = b / a, SERVQUAL, Cronbach's alpha, IPA and NPS — hand-computed cases,
the planted survey of the sample company, and bad input."""
import numpy as np
import pandas as pd
import pytest

from crmlab.datasets import load_data, load_truth
from crmlab.datasets.schema import SERVQUAL_DIMENSIONS
from crmlab.satisfaction import (cronbach_alpha, importance_performance, net_promoter_score, promoter_groups,
                                 satisfaction_index, satisfaction_summary, servqual_gaps, servqual_reliability,
                                 servqual_scores, weighted_index)
from crmlab.validation import CrmlabInputError

DIMS = list(SERVQUAL_DIMENSIONS)


@pytest.fixture(scope="module")
def survey():
    return load_data("survey")


@pytest.fixture(scope="module")
def truth(survey):
    return survey[["customer_id"]].merge(load_data("customer_truth"), on="customer_id", how="left")


def _servqual_two_respondents():
    """Two respondents: every expectation 6; perception 6 except tangibles (7 for both) and
    reliability (4 for respondent 0, 5 for respondent 1). Importance 10/40/20/20/10 and 20 each."""
    row = {f"exp_{i:02d}": 6 for i in range(1, 23)} | {f"per_{i:02d}": 6 for i in range(1, 23)}
    rows = [dict(row), dict(row)]
    for r, rel in zip(rows, (4, 5)):
        r.update({f"per_{i:02d}": 7 for i in SERVQUAL_DIMENSIONS["tangibles"]})
        r.update({f"per_{i:02d}": rel for i in SERVQUAL_DIMENSIONS["reliability"]})
    imp = [(10, 40, 20, 20, 10), (20, 20, 20, 20, 20)]
    for r, pts in zip(rows, imp):
        r.update({f"imp_{d}": p for d, p in zip(DIMS, pts)})
    return pd.DataFrame(rows).assign(response_id=["R1", "R2"])


# ------------------------------------------------------------------ c = b / a

def test_satisfaction_index_by_hand():
    s = pd.DataFrame({"overall_expectation": [8, 6, 5, 10, 9], "overall_perception": [6, 6, 7, 9, 10]})
    idx = satisfaction_index(s)
    assert idx["c"].tolist() == pytest.approx([6 / 8, 1.0, 7 / 5, 9 / 10, 10 / 9])
    assert idx["level"].tolist() == ["dissatisfied", "satisfied", "highly_satisfied", "dissatisfied",
                                     "highly_satisfied"]
    # a wider tolerance band reads 9/10 as "about equal"
    assert satisfaction_index(s, tolerance=0.1)["level"].iloc[3] == "satisfied"
    summary = satisfaction_summary(idx)
    assert summary.loc["overall", "c_mean"] == pytest.approx(np.mean([0.75, 1.0, 1.4, 0.9, 10 / 9]))
    assert summary.loc["overall", "c_ratio"] == pytest.approx((6 + 6 + 7 + 9 + 10) / (8 + 6 + 5 + 10 + 9))
    assert summary.loc["dissatisfied", ["n", "share"]].tolist() == [2, 0.4]
    # Wilson interval of 2/5 at 95 %, by the formula
    z, p, n = 1.959964, 0.4, 5
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    assert summary.loc["dissatisfied", ["share_low", "share_high"]].tolist() == pytest.approx([centre - half, centre + half])


def test_summary_has_no_interval_where_nothing_was_sampled():
    s = pd.DataFrame({"overall_expectation": [8, 6, 5, 10, 9, 7, 4], "overall_perception": [6, 6, 7, 9, 10, 7, 4]})
    summary = satisfaction_summary(satisfaction_index(s))
    # all respondents are all respondents: 100 % by definition
    assert summary.loc["overall", "share"] == 1.0 and summary.loc["overall", ["share_low", "share_high"]].isna().all()
    # whole-number answers: "satisfied" means b = a, so c = 1 by the level's definition
    assert summary.loc["satisfied", "c_mean"] == 1.0 and summary.loc["satisfied", ["c_low", "c_high"]].isna().all()
    # the sampled quantities keep their intervals
    assert summary.loc[["dissatisfied", "satisfied", "highly_satisfied"], ["share_low", "share_high"]].notna().all().all()
    assert summary.loc[["dissatisfied", "overall"], ["c_low", "c_high"]].notna().all().all()
    # with a tolerance band the satisfied c varies (9/10 and 1): then it is an estimate with an interval
    wide = satisfaction_summary(satisfaction_index(s, tolerance=0.1))
    assert wide.loc["satisfied", "c_mean"] < 1 and wide.loc["satisfied", ["c_low", "c_high"]].notna().all()


def test_missing_answers_are_set_aside_and_reported(capsys):
    s = pd.DataFrame({"response_id": ["R1", "R2", "R3"], "overall_expectation": [8, None, 5],
                      "overall_perception": [6, 6, np.nan]})
    idx = satisfaction_index(s)
    assert idx["response_id"].tolist() == ["R1"]
    assert idx.attrs["set_aside"] == {"rows without an answer for a or b": 2}
    assert "satisfaction_index: set aside 2 rows without an answer for a or b" in capsys.readouterr().out


def test_weighted_index_by_hand():
    f = pd.DataFrame({"quality": [7, 4, 1], "service": [1, 4, 5], "overall": [5, 3, 1]})
    out = weighted_index(f, {"quality": 2, "service": 1, "overall": 1}, scale={"quality": (1, 7), "service": (1, 7),
                                                                               "overall": (1, 5)})
    # row 0: (2 * 100 + 0 + 100) / 4 = 75; row 1: (2 * 50 + 50 + 50) / 4 = 50; row 2: (0 + 100 * 4/6 + 0) / 4
    assert out["index"].tolist() == pytest.approx([75.0, 50.0, 100 * 4 / 6 / 4])


# ------------------------------------------------------------------ SERVQUAL

def test_servqual_gaps_by_hand():
    s = _servqual_two_respondents()
    scores = servqual_scores(s)
    assert scores["gap_reliability"].tolist() == [-2.0, -1.0]
    assert scores["weight_reliability"].tolist() == [0.4, 0.2]
    assert scores["servqual"].tolist() == pytest.approx([(1 - 2) / 5, (1 - 1) / 5])
    assert scores["weighted_servqual"].tolist() == pytest.approx([0.1 * 1 + 0.4 * -2, 0.2 * 1 + 0.2 * -1])
    g = servqual_gaps(s)
    assert g.loc["reliability", ["expectation", "perception", "gap"]].tolist() == [6.0, 4.5, -1.5]
    assert g.loc["tangibles", "gap"] == 1.0 and g.loc["empathy", "gap"] == 0.0
    assert g.loc["reliability", "importance"] == pytest.approx(30.0)
    assert g.loc["reliability", "weighted_gap"] == pytest.approx((0.4 * -2 + 0.2 * -1) / 2)
    assert g.loc["tangibles", "weighted_gap"] == pytest.approx((0.1 + 0.2) / 2)
    assert g.loc["overall", "weighted_gap"] == pytest.approx(g.loc[DIMS, "weighted_gap"].sum())
    assert g.loc["overall", "gap"] == pytest.approx(-0.1)
    assert g.loc["reliability", "priority"] == 1
    # paired t interval of the reliability gaps -2 and -1: mean -1.5, sd 0.707, t(0.975, 1) = 12.706
    half = 12.7062 * np.sqrt(0.5) / np.sqrt(2)
    assert g.loc["reliability", ["gap_low", "gap_high"]].tolist() == pytest.approx([-1.5 - half, -1.5 + half], rel=1e-4)
    items = servqual_gaps(s, by="item")
    assert items.loc[5, ["dimension", "gap"]].tolist() == ["reliability", -1.5]
    assert items.loc[1, "gap"] == 1.0 and len(items) == 22


def test_fixed_and_equal_weights():
    s = _servqual_two_respondents()
    equal = servqual_scores(s, weights=None)
    assert equal["weighted_servqual"].tolist() == pytest.approx(equal["servqual"].tolist())
    fixed = servqual_scores(s, weights={"tangibles": 0, "reliability": 1, "responsiveness": 0, "assurance": 0,
                                        "empathy": 0})
    assert fixed["weighted_servqual"].tolist() == [-2.0, -1.0]
    sub = servqual_gaps(s, dimensions=["tangibles", "reliability"])
    assert sub.index.tolist() == ["tangibles", "reliability", "overall"]
    # respondent 0 weights 10:40 -> 0.2/0.8; respondent 1 20:20 -> 0.5/0.5
    assert sub.loc["overall", "weighted_gap"] == pytest.approx((0.2 * 1 + 0.8 * -2 + 0.5 * 1 + 0.5 * -1) / 2)


def test_servqual_gaps_recover_the_planted_gaps(survey):
    planted = pd.Series(load_truth()["parameters"]["survey"]["gap"])
    g = servqual_gaps(survey).loc[DIMS, "gap"]
    # Differences between dimensions are what the generator planted per dimension: the common shift of
    # the respondents' satisfaction levels cancels. Measured within 0.06 of planted; tolerance 0.1.
    assert (g - g.mean()).to_numpy() == pytest.approx((planted - planted.mean())[DIMS].to_numpy(), abs=0.1)
    # Raw gaps: planted + the common shift (-0.09 here) + the 7-point ceiling on tangibles; within 0.25.
    assert g.to_numpy() == pytest.approx(planted[DIMS].to_numpy(), abs=0.25)
    assert g.idxmin() == "reliability" and g.idxmax() == "tangibles" and g["tangibles"] > 0  # as the README says
    assert g.sort_values().index.tolist() == planted.sort_values().index.tolist()


def test_stated_importance_recovers_the_planted_points(survey):
    planted = pd.Series(load_truth()["parameters"]["survey"]["importance"])
    g = servqual_gaps(survey)
    # Dirichlet mean = planted points; rounding down gives reliability the remainder (+~2 points)
    assert g.loc[DIMS, "importance"].to_numpy() == pytest.approx(planted[DIMS].to_numpy(), abs=2.5)
    assert g.loc["reliability", "priority"] == 1  # biggest gap on the most important dimension


# ------------------------------------------------------------------ Cronbach's alpha

def test_cronbach_alpha_by_hand():
    x = pd.DataFrame({"q1": [1, 2, 3, 4, 5], "q2": [2, 2, 3, 4, 4], "q3": [1, 3, 3, 3, 5]})
    # item variances 2.5, 1.0, 2.0; totals 4, 7, 9, 11, 14 with variance 14.5: 3/2 * (1 - 5.5/14.5) = 27/29
    assert cronbach_alpha(x) == pytest.approx(27 / 29)
    assert cronbach_alpha(pd.DataFrame({"a": [1, 2, 4], "b": [1, 2, 4], "c": [1, 2, 4]})) == pytest.approx(1.0)
    rng = np.random.default_rng(3)
    assert abs(cronbach_alpha(pd.DataFrame(rng.normal(size=(4000, 5))))) < 0.06  # unrelated items: about 0


def test_cronbach_alpha_is_spearman_brown_for_parallel_items():
    # k parallel items with inter-item correlation rho: alpha = k rho / (1 + (k - 1) rho)
    rng = np.random.default_rng(11)
    common = rng.normal(size=(20000, 1))
    items = pd.DataFrame(common + rng.normal(size=(20000, 4)))  # rho = 1 / (1 + 1) = 0.5
    assert cronbach_alpha(items) == pytest.approx(4 * 0.5 / (1 + 3 * 0.5), abs=0.01)


def test_cronbach_alpha_sets_aside_incomplete_rows(capsys):
    x = pd.DataFrame({"q1": [1, 2, 3, 4, 5, None], "q2": [2, 2, 3, 4, 4, 1], "q3": [1, 3, 3, 3, 5, 2]})
    assert cronbach_alpha(x) == pytest.approx(27 / 29)
    assert "cronbach_alpha: set aside 1 rows with a missing answer" in capsys.readouterr().out


def test_servqual_reliability_matches_the_generating_model(survey):
    r = servqual_reliability(survey)
    # Expectation items of a dimension share a factor (sd 0.35) plus item noise (sd 0.5) and rounding to
    # whole points (variance 1/12): rho = 0.35^2 / (0.35^2 + 0.5^2 + 1/12) = 0.27, so alpha = k rho / (1 + (k-1) rho).
    rho = 0.35 ** 2 / (0.35 ** 2 + 0.5 ** 2 + 1 / 12)
    expected = r["items"] * rho / (1 + (r["items"] - 1) * rho)
    assert r["alpha_expectation"].to_numpy() == pytest.approx(expected.to_numpy(), abs=0.05)
    # perceptions also share the respondent's satisfaction level: reliable scales (> 0.8)
    assert (r["alpha_perception"] > 0.8).all()


# ------------------------------------------------------------------ importance-performance

def test_importance_performance_quadrants_by_hand():
    s = _servqual_two_respondents()
    ipa = importance_performance(s, importance={"tangibles": 10, "reliability": 40, "responsiveness": 20,
                                                "assurance": 20, "empathy": 10}, split=(20, 6))
    assert ipa.loc["reliability", "quadrant"] == "concentrate_here"      # 40 >= 20, 4.5 < 6
    assert ipa.loc["tangibles", "quadrant"] == "possible_overkill"       # 10 < 20, 7 >= 6
    assert ipa.loc["responsiveness", "quadrant"] == "keep_up_the_good_work"  # 20 >= 20, 6 >= 6
    assert ipa.loc["empathy", "quadrant"] == "possible_overkill"
    stated = importance_performance(s)
    assert stated.loc["reliability", "importance"] == pytest.approx(30.0)
    assert stated["importance_cut"].iloc[0] == pytest.approx(20.0)  # mean of shares of 100 points


def test_importance_performance_on_the_survey(survey):
    ipa = importance_performance(survey)
    assert ipa.loc["reliability", "quadrant"] == "concentrate_here"
    assert ipa.loc["tangibles", "quadrant"] == "possible_overkill"
    derived = importance_performance(survey, importance="derived")
    assert derived["importance"].between(0.3, 0.8).all()  # each dimension's perception tracks satisfaction


# ------------------------------------------------------------------ NPS

def test_nps_and_its_interval_by_hand():
    answers = pd.Series([10, 9, 9, 10, 9, 8, 7, 7, 3, 6])  # 5 promoters, 3 passives, 2 detractors
    wald = net_promoter_score(answers, method="wald").loc["all"]
    assert wald[["promoters", "passives", "detractors"]].tolist() == [5, 3, 2]
    assert wald["nps"] == pytest.approx(30.0)
    se = np.sqrt((0.5 + 0.2 - 0.3 ** 2) / 10)
    assert wald["se"] == pytest.approx(100 * se)
    assert [wald["ci_low"], wald["ci_high"]] == pytest.approx([100 * (0.3 - 1.959964 * se), 100 * (0.3 + 1.959964 * se)])
    # adjusted Wald (Rocks 2016): 3/4 more promoters and detractors, n + 3
    adj = net_promoter_score(answers).loc["all"]
    pp, pd_ = 5.75 / 13, 2.75 / 13
    se_adj = np.sqrt((pp + pd_ - (pp - pd_) ** 2) / 13)
    assert adj["nps"] == pytest.approx(30.0)  # the estimate itself is not adjusted
    assert [adj["ci_low"], adj["ci_high"]] == pytest.approx([100 * (pp - pd_ - 1.959964 * se_adj),
                                                             100 * (pp - pd_ + 1.959964 * se_adj)])
    # a stricter promoter threshold: only the 10s promote
    assert net_promoter_score(answers, promoter_min=10).loc["all", "nps"] == pytest.approx(0.0)
    assert promoter_groups(answers, detractor_max=7).value_counts()["detractor"] == 4


def test_nps_interval_covers_the_true_score_95_times_in_100():
    # 4 000 samples of 60 answers from a company with 50 % promoters, 30 % passives, 20 % detractors (NPS 30)
    rng = np.random.default_rng(7)
    answers = rng.choice([10, 8, 3], p=[0.5, 0.3, 0.2], size=(4000, 60))
    frame = pd.DataFrame({"recommend": answers.ravel(), "sample": np.repeat(np.arange(4000), 60)})
    for method in ("adjusted_wald", "wald"):
        nps = net_promoter_score(frame, by="sample", method=method)
        coverage = ((nps["ci_low"] <= 30) & (30 <= nps["ci_high"])).mean()
        assert 0.93 <= coverage <= 0.97, (method, coverage)


def test_nps_by_satisfaction_level_is_ordered(survey, truth):
    nps = net_promoter_score(survey.assign(level=truth["satisfaction_level"].to_numpy()), by="level")
    assert nps.loc["dissatisfied", "ci_high"] < nps.loc["satisfied", "ci_low"]
    assert nps.loc["satisfied", "ci_high"] < nps.loc["highly_satisfied", "ci_low"]
    overall = net_promoter_score(survey).loc["all"]
    assert overall["ci_high"] - overall["ci_low"] == pytest.approx(2 * 1.96 * overall["se"], rel=0.01)
    assert overall["ci_high"] - overall["ci_low"] < 12  # about +-5 points with 1 041 answers


# ------------------------------------------------------------------ the planted satisfaction levels

def test_index_levels_track_the_latent_satisfaction(survey, truth):
    idx = satisfaction_index(survey, verbose=False)
    latent = truth["satisfaction_level"].astype(str).to_numpy()
    agreement = (idx["level"].astype(str).to_numpy() == latent).mean()
    assert agreement > 0.65  # measured 0.72; by chance about 0.36
    c_by_latent = idx.groupby(latent)["c"].mean()
    assert c_by_latent["dissatisfied"] < 0.9 < c_by_latent["satisfied"] < 1.1 < c_by_latent["highly_satisfied"]


# ------------------------------------------------------------------ bad input

@pytest.mark.parametrize("call, fragment", [
    (lambda s: satisfaction_index(s.assign(overall_perception=s["overall_perception"].where(s.index != 3, 11))),
     r"'overall_perception' has answers outside the scale 1–10 in row 3, e.g. 11"),
    (lambda s: servqual_scores(s.assign(exp_05=s["exp_05"].where(s.index != 7, 0))),
     r"'exp_05' has answers outside the scale 1–7 in row 7"),
    (lambda s: servqual_scores(s.drop(columns="per_07")), r"survey is missing column\(s\) 'per_07'"),
    (lambda s: servqual_gaps(s, dimensions=["reliabilty"]), r"unknown SERVQUAL dimension 'reliabilty' \(did you mean 'reliability'"),
    (lambda s: servqual_scores(s, weights={"reliability": 1, "empathie": 1}), r"unknown dimension\(s\) \['empathie'\]"),
    (lambda s: servqual_scores(s, weights={"reliability": 1}), r"gives no weight for"),
    (lambda s: servqual_scores(s.drop(columns="imp_empathy")), r"missing column\(s\) 'imp_empathy'"),
    (lambda s: servqual_scores(s.assign(imp_tangibles=-5)), r"importance points must be >= 0"),
    (lambda s: servqual_gaps(s.iloc[0:0]), r"survey is empty"),
    (lambda s: satisfaction_index(s.iloc[0:0]), r"survey is empty"),
    (lambda s: satisfaction_index(s.assign(overall_expectation="high")), r"'overall_expectation' has answers that are not numbers"),
    (lambda s: satisfaction_index(s, scale=(0, 10)), r"needs an expectation a > 0"),
    (lambda s: satisfaction_index(s.rename(columns={"overall_perception": "overall_perceptoin"})),
     r"did you mean 'overall_perceptoin'"),
    (lambda s: net_promoter_score(s.assign(recommend=s["recommend"] + 1)), r"'recommend' has answers outside the scale 0–10"),
    (lambda s: net_promoter_score(s, promoter_min=6, detractor_max=6), r"promoter_min=6 must be above detractor_max=6"),
    (lambda s: net_promoter_score(s, confidence=95), r"confidence=95 must be"),
    (lambda s: net_promoter_score(s, method="exact"), r"method='exact'"),
    (lambda s: importance_performance(s, importance="guess"), r"importance='guess'"),
    (lambda s: cronbach_alpha(s[["exp_01"]]), r"at least 2 item columns"),
    (lambda s: satisfaction_summary(s), r"index is missing column\(s\)"),
    (lambda s: weighted_index(s, {"per_01": -1}), r"weights must be numbers >= 0"),
])
def test_bad_input_gets_a_clear_message(survey, call, fragment):
    with pytest.raises(CrmlabInputError, match=fragment):
        call(survey.copy())


def test_rows_with_missing_servqual_answers_are_set_aside(survey, capsys):
    s = survey.copy()
    s["per_12"] = s["per_12"].astype("Float64").mask(s.index < 5)
    s["imp_assurance"] = s["imp_assurance"].astype("Float64").mask(s.index.isin([10, 11]))
    g = servqual_gaps(s)
    assert g.attrs["set_aside"] == {"rows with a missing SERVQUAL answer": 5,
                                    "rows without usable importance points": 2}
    assert g.loc["overall", "n"] == len(s) - 7
    assert "servqual_scores: set aside 5 rows with a missing SERVQUAL answer, 2 rows without usable importance points" \
        in capsys.readouterr().out
