import numpy as np
import pandas as pd
import pytest
from scipy.stats import binomtest, norm, ttest_ind

from crmlab.campaigns import campaign_return, campaign_uplift
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
