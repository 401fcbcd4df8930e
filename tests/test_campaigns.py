import numpy as np
import pandas as pd
import pytest
from scipy.stats import binomtest, chi2, norm, ttest_ind

from crmlab.campaigns import campaign_return, campaign_uplift, uplift_heterogeneity
from crmlab.datasets import load_data, load_truth
from crmlab.validation import CrmlabInputError


def _experiment():
    """40 treated (12 respond), 50 controls (10 respond)."""
    treated = np.arange(40) < 12
    control = np.arange(50) < 10
    return pd.DataFrame({
        "campaign_id": "C1",
        "customer_id": [f"t{i}" for i in range(40)] + [f"c{i}" for i in range(50)],
        "group": ["treatment"] * 40 + ["control"] * 50,
        "responded": np.concatenate([treated, control]),
        "revenue": np.concatenate([np.where(treated, 100.0 + np.arange(40), 0.0), np.where(control, 80.0, 0.0)]),
        "segment": ["x", "y"] * 45,
    })


@pytest.fixture(scope="module")
def x2509():
    return load_data("campaign_assignment")


def test_response_uplift_and_interval_by_hand():
    u = campaign_uplift(_experiment(), verbose=False).loc["response_rate"]
    p1, p0 = 12 / 40, 10 / 50
    assert u["uplift"] == pytest.approx(0.1)
    # Newcombe's interval from the two Wilson intervals (reference: scipy's Wilson intervals)
    w1 = binomtest(12, 40).proportion_ci(method="wilson")
    w0 = binomtest(10, 50).proportion_ci(method="wilson")
    low = 0.1 - np.sqrt((p1 - w1.low) ** 2 + (w0.high - p0) ** 2)
    high = 0.1 + np.sqrt((w1.high - p1) ** 2 + (p0 - w0.low) ** 2)
    assert (u["ci_low"], u["ci_high"]) == pytest.approx((low, high))
    pooled = 22 / 90
    z = 0.1 / np.sqrt(pooled * (1 - pooled) * (1 / 40 + 1 / 50))
    assert u["p_value"] == pytest.approx(2 * norm.sf(z))
    assert u["relative_uplift"] == pytest.approx(0.5)
    assert not u["significant"]


def test_revenue_uplift_matches_welch(x2509):
    data = _experiment()
    u = campaign_uplift(data, verbose=False).loc["revenue_per_customer"]
    t = data["group"] == "treatment"
    ref = ttest_ind(data.loc[t, "revenue"], data.loc[~t, "revenue"], equal_var=False)
    ci = ref.confidence_interval(0.90)
    assert u["p_value"] == pytest.approx(ref.pvalue)
    u90 = campaign_uplift(data, confidence=0.90, verbose=False).loc["revenue_per_customer"]
    assert (u90["ci_low"], u90["ci_high"]) == pytest.approx((ci.low, ci.high))


def test_planted_campaign_uplift_lies_in_the_intervals(x2509):
    truth = load_truth()["experiment"]
    u = campaign_uplift(x2509, campaign_id=truth["campaign_id"], verbose=False)
    response, revenue = u.loc["response_rate"], u.loc["revenue_per_customer"]
    assert response["ci_low"] < truth["true_uplift_response"] < response["ci_high"]
    assert revenue["ci_low"] < truth["true_uplift_revenue"] < revenue["ci_high"]
    assert response["significant"] and response["uplift"] == pytest.approx(0.06, abs=0.02)
    assert response["n_treatment"] + response["n_control"] == truth["n_eligible"]


def test_uplift_by_latent_segment_matches_the_planted_effects(x2509):
    """Planted: the coupon adds an order with probability u (vip 3 % ... bargain 14 %); the response
    rises by u x (1 - the chance the customer bought anyway), measured by the control group."""
    truth = load_truth()["parameters"]["campaign"]["uplift"]
    segments = load_data("customer_truth")[["customer_id", "segment"]]
    u = campaign_uplift(x2509.merge(segments, on="customer_id"), by="segment", verbose=False)
    response = u.xs("response_rate", level="metric")
    for segment, row in response.iterrows():
        planted = truth[segment] * (1 - row["control"])
        assert row["ci_low"] < planted < row["ci_high"], segment
    assert response["n_treatment"].sum() == (x2509["group"] == "treatment").sum()


def test_a_small_segment_without_responses_keeps_an_honest_interval():
    data = _experiment()
    data.loc[data["segment"] == "y", "responded"] = False
    u = campaign_uplift(data, by="segment", verbose=False).loc[("y", "response_rate")]
    assert u["uplift"] == 0 and u["ci_low"] < -0.1 and u["ci_high"] > 0.1  # not a zero-width interval


def test_missing_segments_and_outcomes_are_reported(capsys):
    data = _experiment().astype({"responded": "boolean"})
    data.loc[[0, 1], "segment"] = None
    data.loc[2, "responded"] = pd.NA
    u = campaign_uplift(data, by="segment")
    assert u.attrs["set_aside"] == {"customers without an outcome (responded or revenue missing)": 1,
                                    "customers without a 'segment'": 2}
    assert "set aside 1 customers without an outcome" in capsys.readouterr().out
    assert u.xs("response_rate", level="metric")[["n_treatment", "n_control"]].sum().tolist() == [37, 50]


def test_return_on_cost_by_hand():
    data = _experiment()
    r = campaign_return(data, cost_per_contact=2.0, margin_rate=0.3, fixed_cost=20.0, verbose=False).loc["C1"]
    treat = data.loc[data["group"] == "treatment", "revenue"].mean()
    control = data.loc[data["group"] == "control", "revenue"].mean()
    margin = (treat - control) * 40 * 0.3
    assert r["incremental_margin"] == pytest.approx(margin)
    assert r["cost"] == pytest.approx(40 * 2.0 + 20.0)
    assert r["roi"] == pytest.approx((margin - 100.0) / 100.0)
    assert r["roi_low"] < r["roi"] < r["roi_high"]
    by = campaign_return(data, cost_per_contact=2.0, margin_rate=0.3, fixed_cost=20.0, by="segment", verbose=False)
    assert by["cost"].sum() == pytest.approx(100.0)  # the fixed cost is shared, not counted twice


@pytest.mark.parametrize("change, fragment", [
    (lambda d: d.assign(group=d["group"].replace({"control": "holdout"})), r"'group' has unknown or missing labels.*e.g. 'holdout'.*treatment"),
    (lambda d: d[d["group"] == "treatment"], r"no control group"),
    (lambda d: d[d["group"] == "control"], r"no treatment group"),
    (lambda d: pd.concat([d, d.assign(campaign_id="C2")]), r"holds 2 campaigns"),
    (lambda d: pd.concat([d, d.iloc[[0]]]), r"customer_id is not unique"),
    (lambda d: d.assign(revenue=-d["revenue"]), r"'revenue' must be >= 0"),
    (lambda d: d.assign(responded=["maybe"] * len(d)), r"'responded' must be True/False"),
    (lambda d: d.drop(columns="group"), r"missing column\(s\) 'group'"),
    (lambda d: d.iloc[0:0], r"campaign_assignment is empty"),
])
def test_bad_campaigns_are_refused(change, fragment):
    with pytest.raises(CrmlabInputError, match=fragment):
        campaign_uplift(change(_experiment()), verbose=False)


def test_bad_arguments():
    with pytest.raises(CrmlabInputError, match="campaign_id='Z9' is not in"):
        campaign_uplift(_experiment(), campaign_id="Z9", verbose=False)
    with pytest.raises(CrmlabInputError, match="confidence=95 must be"):
        campaign_uplift(_experiment(), confidence=95, verbose=False)
    with pytest.raises(CrmlabInputError, match="margin_rate must be a share"):
        campaign_return(_experiment(), cost_per_contact=1.0, margin_rate=35, verbose=False)
    with pytest.raises(CrmlabInputError, match="cost_per_contact must be an amount"):
        campaign_return(_experiment(), cost_per_contact=-1, margin_rate=0.3, verbose=False)


def _segments(rng, *, control, treated, revenue_mean, revenue_effect, n=300):
    """A planted experiment: per segment, n treated and n controls; response shares ``treated`` /
    ``control``; revenue exponential with mean ``revenue_mean`` plus ``revenue_effect`` if treated."""
    k = len(control)
    segment = np.repeat(np.arange(k), 2 * n)
    is_treated = np.tile(np.r_[np.ones(n, bool), np.zeros(n, bool)], k)
    share = np.where(is_treated, np.asarray(treated)[segment], np.asarray(control)[segment])
    revenue = rng.exponential(np.asarray(revenue_mean, float)[segment]) + is_treated * np.asarray(revenue_effect)[segment]
    return pd.DataFrame({"customer_id": np.arange(len(segment)), "segment": segment.astype(str),
                         "group": np.where(is_treated, "treatment", "control"),
                         "responded": rng.random(len(segment)) < share, "revenue": revenue})


def _odds(p):
    return p / (1 - p)


def test_heterogeneity_by_hand():
    """x: 3 of 4 treated respond, 1 of 4 controls; y the other way round. By symmetry the common-effect
    logistic model has no treatment effect and fits 1/2 in every cell."""
    data = pd.DataFrame({"customer_id": range(16), "segment": ["x"] * 8 + ["y"] * 8,
                         "group": (["treatment"] * 4 + ["control"] * 4) * 2,
                         "responded": [1, 1, 1, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 1, 0],
                         "revenue": [50.0, 60, 70, 0, 40, 0, 0, 0, 20, 0, 0, 0, 30, 40, 50, 0]})
    h = uplift_heterogeneity(data, by="segment", verbose=False)
    saturated = 4 * (3 * np.log(3 / 4) + np.log(1 / 4))
    assert h.loc[("response_rate", "likelihood_ratio"), "statistic"] == pytest.approx(2 * (saturated - 16 * np.log(0.5)))
    var = 2 * (3 / 4 * 1 / 4) / 4  # the same in both segments
    assert h.loc[("response_rate", "cochran_q"), "statistic"] == pytest.approx((0.5 - -0.5) ** 2 / (2 * var))
    rev = data["revenue"].to_numpy().reshape(4, 4)  # x-treated, x-control, y-treated, y-control
    d = rev.mean(axis=1)
    v = rev.var(axis=1, ddof=1) / 4
    q = (d[0] - d[1] - (d[2] - d[3])) ** 2 / (v[0] + v[1] + v[2] + v[3])
    assert h.loc[("revenue_per_customer", "cochran_q"), "statistic"] == pytest.approx(q)
    assert (h["df"] == 1).all() and (h["segments"] == 2).all()
    assert h["p_value"].tolist() == pytest.approx(chi2.sf(h["statistic"], 1).tolist())


def test_equal_odds_ratios_leave_nothing_to_explain():
    """Odds ratio 3 in both segments (x: 2/4 vs 1/4, y: 6/8 vs 4/8): the common-effect model fits exactly."""
    data = pd.DataFrame({"customer_id": range(24), "segment": ["x"] * 8 + ["y"] * 16,
                         "group": ["treatment"] * 4 + ["control"] * 4 + ["treatment"] * 8 + ["control"] * 8,
                         "responded": [1, 1, 0, 0, 1, 0, 0, 0] + [1] * 6 + [0] * 2 + [1] * 4 + [0] * 4,
                         "revenue": 10.0})
    lr = uplift_heterogeneity(data, by="segment", verbose=False).loc[("response_rate", "likelihood_ratio")]
    assert lr["statistic"] == pytest.approx(0, abs=1e-9) and lr["p_value"] == pytest.approx(1)


def test_likelihood_ratio_matches_a_logistic_regression_fit(x2509):
    """Reference: scikit-learn's unpenalised logistic regression on the customers, with and without the
    interaction (latent segments of the answer key, so every segment has responders)."""
    from sklearn.linear_model import LogisticRegression

    data = x2509.merge(load_data("customer_truth")[["customer_id", "segment"]], on="customer_id")
    segment = pd.get_dummies(data["segment"].astype(str), dtype=float)
    treated = (data["group"] == "treatment").to_numpy(float)
    y = data["responded"].to_numpy(int)

    def loglik(x):
        fit = LogisticRegression(C=np.inf, fit_intercept=False, max_iter=10_000, tol=1e-10).fit(x, y)
        p = fit.predict_proba(x)[:, 1]
        return np.sum(y * np.log(p) + (1 - y) * np.log(1 - p))

    common = loglik(np.column_stack([segment, treated]))
    separate = loglik(np.column_stack([segment, segment.to_numpy() * treated[:, None]]))
    lr = uplift_heterogeneity(data, by="segment", verbose=False).loc[("response_rate", "likelihood_ratio")]
    assert lr["statistic"] == pytest.approx(2 * (separate - common), rel=1e-4)
    assert lr["df"] == segment.shape[1] - 1


@pytest.mark.parametrize("metric, method, planted", [
    # equal odds ratio (1.6) on different base rates; equal revenue effect (+10 CNY)
    ("response_rate", "likelihood_ratio", "odds"),
    ("revenue_per_customer", "cochran_q", "odds"),
    # equal uplift in points (+5) on different base rates
    ("response_rate", "cochran_q", "points"),
])
def test_equal_effects_are_rejected_at_the_tests_level(metric, method, planted):
    rng = np.random.default_rng(5)
    control = np.array([0.05, 0.10, 0.20, 0.35])
    treated = (_odds(control) * 1.6 / (1 + _odds(control) * 1.6)) if planted == "odds" else control + 0.05
    runs = 200
    rejected = sum(
        uplift_heterogeneity(_segments(rng, control=control, treated=treated, revenue_mean=[20, 40, 80, 120],
                                       revenue_effect=[10] * 4), by="segment", verbose=False)
        .loc[(metric, method), "differs"] for _ in range(runs))
    # about 5 % of the runs; the binomial test would flag a level far from 5 % (e.g. 1 % or 12 %)
    assert binomtest(rejected, runs, 0.05).pvalue > 0.01, rejected


def test_strongly_different_effects_are_found():
    rng = np.random.default_rng(6)
    control = np.array([0.05, 0.10, 0.20, 0.35])
    runs = 100
    found = pd.DataFrame([
        uplift_heterogeneity(_segments(rng, control=control, treated=control + [0, 0, 0.2, 0.3],
                                       revenue_mean=[20, 40, 80, 120], revenue_effect=[0, 0, 40, 80]),
                             by="segment", verbose=False)["differs"] for _ in range(runs)])
    assert (found.mean() > 0.9).all(), found.mean()


def test_segments_that_cannot_inform_the_test_are_left_out():
    data = _experiment()
    data["segment"] = np.where(np.arange(len(data)) % 3 == 0, "z", data["segment"])
    data.loc[data["segment"] == "z", ["responded", "revenue"]] = [False, 0.0]  # nobody in z bought
    h = uplift_heterogeneity(data, by="segment", verbose=False)
    assert (h["left_out"] == "z").all() and (h["segments"] == 2).all() and (h["df"] == 1).all()
    with pytest.raises(CrmlabInputError, match="by must name one segment column"):
        uplift_heterogeneity(data, by=["segment", "group"], verbose=False)
