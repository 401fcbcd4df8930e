"""Truth is the estimand: what `truth.json` holds for the notebooks to compare with is what their analysis
recovers, within its sampling error, on the shipped data and on two students' variants.

Each analysis below is the notebooks' own (the same crmlab calls and options); the standard error is
read from the interval the analysis reports. Three standard errors is the bar: a truth value that sits
outside it is a truth file that disagrees with a correct analysis.
"""
import numpy as np
import pytest
from scipy.stats import norm

from crmlab import clv
from crmlab.campaigns import campaign_uplift
from crmlab.complaints import complaint_retention, complaint_share
from crmlab.datasets import DATA_DIR, load_data, load_truth
from crmlab.generator import generate
from crmlab.satisfaction import servqual_gaps
from crmlab.transactions import purchases

Z = norm.ppf(0.975)


@pytest.fixture(scope="module", params=[None, "2025001", "2025002"], ids=["shipped", "student-1", "student-2"])
def company(request, tmp_path_factory):
    """The shipped data, or a student's variant at the default size."""
    if request.param is None:
        return DATA_DIR
    out = tmp_path_factory.mktemp(f"variant-{request.param}")
    generate(out, student_id=request.param)
    return out


def _within(estimate, low, high, truth, what):
    se = (high - low) / (2 * Z)
    assert abs(estimate - truth) <= 3 * se, f"{what}: estimate {estimate:.4f} (se {se:.4f}), truth {truth:.4f}"


def _unhappy(data_dir):
    truth = load_data("customer_truth", data_dir=data_dir)
    return truth.loc[truth["failure_ts"].notna(), ["customer_id", "failure_ts"]].rename(columns={"failure_ts": "since"})


def test_servqual_gaps_measured_from_the_survey_recover_the_expected_gaps(company):
    expected = load_truth(data_dir=company)["estimands"]["servqual_gap"]
    gaps = servqual_gaps(load_data("survey", data_dir=company), verbose=False)
    for dimension, truth in expected.items():
        row = gaps.loc[dimension]
        _within(row["gap"], row["gap_low"], row["gap_high"], truth, dimension)


def test_the_complaint_share_of_unhappy_customers_recovers_the_expected_share(company):
    truth = load_truth(data_dir=company)["estimands"]["complaint_share"]
    share = complaint_share(load_data("complaints", data_dir=company), _unhappy(company)).loc["all"]
    _within(share["share"], share["share_low"], share["share_high"], truth, "complaint share")


def test_who_buys_again_after_a_complaint_recovers_the_expected_share_not_the_stay_probability(company):
    truth = load_truth(data_dir=company)
    orders, lines = load_data("orders", data_dir=company), load_data("order_lines", data_dir=company)
    bought = purchases(orders, lines, returns="zero", verbose=False)
    retention = complaint_retention(load_data("complaints", data_dir=company), bought, unhappy=_unhappy(company),
                                    verbose=False)
    for group, row in retention.iterrows():
        expected = truth["estimands"]["bought_again"][group]
        _within(row["retention"], row["retention_low"], row["retention_high"], expected, group)
        # Buying again needs staying *and* a later purchase: the estimand sits below the parameter.
        assert expected < truth["parameters"]["stay_prob"][group]


def test_the_experiment_recovers_the_true_average_effects(company):
    truth = load_truth(data_dir=company)["experiment"]
    uplift = campaign_uplift(load_data("campaign_assignment", data_dir=company))
    for metric, key in [("response_rate", "true_uplift_response"), ("revenue_per_customer", "true_uplift_revenue")]:
        row = uplift.loc[metric]
        _within(row["uplift"], row["ci_low"], row["ci_high"], truth[key], metric)


def test_the_gamma_gamma_mean_spend_of_each_segment_recovers_the_expected_spend(company):
    """As notebook 04b fits it: one Gamma-Gamma model per latent segment (answer key) on the purchases to the
    end of 2024; its standard error by a bootstrap over the segment's repeat customers."""
    expected = load_truth(data_dir=company)["estimands"]["segment_mean_spend"]
    segment = load_data("customer_truth", data_dir=company).set_index("customer_id")["segment"]
    bought = purchases(load_data("orders", data_dir=company), load_data("order_lines", data_dir=company),
                       verbose=False)
    summary = clv.summary(bought, calibration_end="2024-12-31", verbose=False)
    rng = np.random.default_rng(0)
    for name, part in summary.join(segment).groupby("segment", observed=True):
        repeat = part[part["repeat_purchases"] > 0].reset_index(drop=True)
        estimate = clv.GammaGamma().fit(repeat, verbose=False).population_mean_spend()
        boots = [clv.GammaGamma().fit(repeat.iloc[rng.integers(0, len(repeat), len(repeat))], verbose=False)
                 .population_mean_spend() for _ in range(30)]
        se = float(np.std(boots))
        assert abs(estimate - expected[name]) <= 3 * se, f"{name}: {estimate:.1f} (se {se:.1f}), expected {expected[name]:.1f}"


def test_the_planted_gap_parameter_is_not_what_the_survey_measures():
    """Why the estimands exist: the generator's gap parameter ignores the satisfaction levels' shift
    and the 1-7 scale, and a correct analysis lands far from it."""
    truth = load_truth()
    gaps = servqual_gaps(load_data("survey"), verbose=False)["gap"]
    parameter = truth["parameters"]["survey"]["gap"]
    assert max(abs(gaps[d] - parameter[d]) for d in parameter) > 0.1
    assert max(abs(gaps[d] - truth["estimands"]["servqual_gap"][d]) for d in parameter) < 0.05
    assert np.isclose(truth["estimands"]["complaint_share"], truth["parameters"]["complaint_prob"], rtol=0.01)
