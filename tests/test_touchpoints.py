import numpy as np
import pandas as pd
import pytest
from scipy.stats import binomtest, chi2_contingency, norm

from crmlab.datasets import load_data, load_truth
from crmlab.touchpoints import (channel_summary, compare_initiative, compare_response_rates, contact_fatigue,
                                frequency_difference, frequency_response, initiative_mix, message_numbers,
                                response_by_message)
from crmlab.validation import CrmlabInputError


def _log():
    return pd.DataFrame({
        "customer_id": ["a", "b", "c", "d", "a", "b"],
        "interaction_ts": pd.to_datetime(["2025-06-01 10:00", "2025-06-01 11:00", "2025-06-01 12:00",
                                          "2025-06-02 09:00", "2025-06-04 10:00", "2025-06-05 15:00"]),
        "channel": ["sms", "sms", "sms", "phone", "sms", "wechat"],
        "initiated_by": ["company", "company", "company", "customer", "company", "customer"],
        "purpose": ["promotion"] * 3 + ["enquiry", "promotion", "service"],
        "campaign_id": ["W1", "W1", "W1", "", "W1", ""],
        "cost": [0.05, 0.05, 0.05, 6.0, 0.05, 1.5],
        "responded": [True, False, True, None, False, None],
        "segment": ["A", "B", "A", "B", "A", None],
    })


@pytest.fixture(scope="module")
def waves():
    """The shipped contact log's promotion waves (the randomised experiment left out)."""
    interactions = load_data("interactions")
    campaigns = load_data("campaigns")
    return interactions[interactions["campaign_id"].isin(campaigns.loc[~campaigns["is_experiment"], "campaign_id"])]


def test_channel_summary_hand_computed():
    out = channel_summary(_log(), by="channel", verbose=False)
    sms = out.loc["sms"]
    assert (sms["contacts"], sms["customers"], sms["responses"]) == (4, 3, 2)
    assert sms["cost_per_contact"] == pytest.approx(0.05)
    assert sms["response_rate"] == pytest.approx(0.5)
    assert sms["cost_per_response"] == pytest.approx(0.10)  # 4 x 0.05 / 2
    ci = binomtest(2, 4).proportion_ci(confidence_level=0.95, method="wilson")
    assert (sms["response_low"], sms["response_high"]) == pytest.approx((ci.low, ci.high))
    assert np.isnan(out.loc["phone", "response_rate"])  # customer-initiated: no response rate
    assert out.loc["phone", "share_customer_initiated"] == 1.0
    assert out["share_of_contacts"].sum() == pytest.approx(1.0)


def test_segment_column_joined_in_and_missing_segments_reported(capsys):
    out = channel_summary(_log(), by=["segment", "channel"])
    assert out.attrs["set_aside"] == {"contacts without a 'segment'": 1}
    assert "set aside 1 contacts without a 'segment'" in capsys.readouterr().out
    assert out.loc[("A", "sms"), "response_rate"] == pytest.approx(2 / 3)
    assert out["contacts"].sum() == 5


def test_initiative_mix_shares():
    out = initiative_mix(_log(), by="segment", verbose=False)
    assert out.loc["B", ["contacts", "customer_initiated"]].tolist() == [2, 1]
    assert out.loc["A", "share_customer_initiated"] == 0.0


def test_message_numbers_follow_time_within_wave():
    out = message_numbers(_log(), verbose=False)
    assert out.attrs["set_aside"] == {"customer-initiated contacts": 2}
    assert out.loc[[0, 4], "message_no"].tolist() == [1, 2]  # customer a: 1 June, then 4 June
    assert out.loc[[0, 1], "messages_in_wave"].tolist() == [2, 1]  # a got two W1 messages, b one


def _fatigue_log(rates, n=400):
    """n customers x len(rates) messages; exactly rates[j] * n answer message j + 1."""
    ids = [f"c{i}" for i in range(n)]
    days = pd.to_datetime("2025-06-01") + pd.to_timedelta(np.repeat(np.arange(len(rates)) * 3, n), unit="D")
    return pd.DataFrame({"customer_id": ids * len(rates), "campaign_id": "W1", "interaction_ts": days,
                         "channel": "email", "initiated_by": "company", "cost": 0.01,
                         "responded": np.concatenate([np.arange(n) < r * n for r in rates])})


def test_fatigue_recovers_a_hand_made_decay():
    fit = contact_fatigue(_fatigue_log([0.2, 0.1, 0.05]), by=None, verbose=False).set_index("parameter")
    assert fit.loc["decay", "estimate"] == pytest.approx(0.5, abs=1e-4)
    assert fit.loc["first_response", "estimate"] == pytest.approx(0.2, abs=1e-4)
    assert fit.loc["decay", "ci_low"] < 0.5 < fit.loc["decay", "ci_high"]
    seen = response_by_message(_fatigue_log([0.2, 0.1, 0.05]), by=None, verbose=False)
    assert seen["relative_to_first"].tolist() == pytest.approx([1.0, 0.5, 0.25])


def test_fatigue_needs_more_than_one_message():
    with pytest.raises(CrmlabInputError, match="one message per wave"):
        contact_fatigue(_fatigue_log([0.2]), by=None, verbose=False)


def test_planted_fatigue_decay_is_recovered(waves):
    """The generator multiplies the response by 0.6 per earlier message of a wave."""
    truth = load_truth()["parameters"]["contacts"]
    fit = contact_fatigue(waves, verbose=False).set_index(["parameter", "group"])
    decay = fit.loc[("decay", "all")]
    assert decay["ci_low"] < truth["fatigue_decay"] < decay["ci_high"]
    assert decay["estimate"] == pytest.approx(truth["fatigue_decay"], abs=0.06)
    # First-message response = planted base rate x the segment multipliers (0.9-1.3) of the targeted customers.
    for channel, base in truth["base_response"].items():
        assert fit.loc[("first_response", channel), "estimate"] == pytest.approx(base, rel=0.3)


def test_frequency_response_follows_the_fatigue_model(waves):
    truth = load_truth()["parameters"]["contacts"]
    freq = frequency_response(waves, verbose=False)
    assert freq.index.tolist() == [1, 2, 3, 4]
    # Four messages reach clearly more responders than one ...
    assert freq.loc[4, "responder_low"] > freq.loc[1, "responder_high"]
    # ... but far fewer than four times as many: p0 (1 - d^4) / (1 - d) responses, not 4 p0.
    p0 = freq.loc[1, "responses_per_customer"]
    d = truth["fatigue_decay"]
    assert freq.loc[4, "responses_per_customer"] == pytest.approx(p0 * (1 - d ** 4) / (1 - d), rel=0.25)
    assert (freq["cost_per_customer"].diff().dropna() > 0).all()


@pytest.mark.parametrize("change, fragment", [
    (lambda f: f.assign(channel=["sms", "fax", "sms", "phone", "sms", "wechat"]), r"unknown or missing labels in row 1, e.g. 'fax'"),
    (lambda f: f.assign(initiated_by=["company", "us", "company", "customer", "company", "customer"]), r"'initiated_by' must be"),
    (lambda f: f.drop(columns="cost"), r"missing column\(s\) 'cost'"),
    (lambda f: f.rename(columns={"channel": "chanel"}), r"did you mean 'chanel'"),
    (lambda f: f.assign(cost=[0.05, -1, 0.05, 6, 0.05, 1.5]), r"'cost' must be >= 0"),
    (lambda f: f.assign(responded=["yes", False, True, None, False, None]), r"'responded' must be True/False"),
    (lambda f: f.iloc[0:0], r"interactions is empty"),
])
def test_bad_input_is_named(change, fragment):
    with pytest.raises(CrmlabInputError, match=fragment):
        channel_summary(change(_log()), verbose=False)


def test_bad_dates_and_custom_channels():
    bad = _log().assign(interaction_ts=["2025-06-01", "soon", "2025-06-01", "2025-06-02", "2025-06-04", "2025-06-05"])
    with pytest.raises(CrmlabInputError, match="'interaction_ts' has values that are not dates in row 1"):
        message_numbers(bad, verbose=False)
    own = _log().assign(channel=["douyin"] * 6)
    assert channel_summary(own, by="channel", channels=["douyin"], verbose=False)["contacts"].tolist() == [6]


def test_compare_response_rates_by_hand():
    """sms 30 of 100 respond, email 10 of 100, app push 25 of 50: ranked app push, sms, email."""
    log = pd.DataFrame({"customer_id": [f"c{i}" for i in range(250)],
                        "channel": ["sms"] * 100 + ["email"] * 100 + ["app_push"] * 50,
                        "initiated_by": "company", "cost": 0.01,
                        "responded": np.r_[np.arange(100) < 30, np.arange(100) < 10, np.arange(50) < 25]})
    out = compare_response_rates(log, verbose=False)
    assert out.index.tolist() == ["app_push", "sms", "email"]
    assert out["gap"].tolist()[:2] == pytest.approx([0.5 - 0.3, 0.3 - 0.1])
    pooled = 40 / 200  # sms against email: the classic pooled two-proportion z-test
    z = 0.2 / np.sqrt(pooled * (1 - pooled) * (2 / 100))
    assert out.loc["sms", "gap_p_value"] == pytest.approx(2 * norm.sf(z))
    assert out.loc["sms", "gap_low"] < 0.2 < out.loc["sms", "gap_high"] and np.isnan(out.loc["email", "gap"])
    reference = chi2_contingency([[25, 25], [30, 70], [10, 90]], correction=False)
    assert out.attrs["test"]["statistic"] == pytest.approx(reference.statistic)
    assert out.attrs["test"]["p_value"] == pytest.approx(reference.pvalue) and out.attrs["test"]["df"] == 2


def test_equal_response_rates_are_rejected_at_the_tests_level():
    rng = np.random.default_rng(3)
    runs, n = 200, 600
    log = pd.DataFrame({"customer_id": np.arange(3 * n), "channel": np.repeat(["sms", "email", "app_push"], n),
                        "initiated_by": "company", "cost": 0.01})
    rejected = sum(compare_response_rates(log.assign(responded=rng.random(3 * n) < 0.05), verbose=False)
                   .attrs["test"]["p_value"] < 0.05 for _ in range(runs))
    assert binomtest(rejected, runs, 0.05).pvalue > 0.01, rejected


def test_compare_initiative_ranks_the_customer_initiated_share():
    out = compare_initiative(_log(), by="segment", verbose=False)
    assert out.index.tolist() == ["B", "A"]  # B: 1 of 2 contacts customer-initiated; A: 0 of 3
    assert out["share_customer_initiated"].tolist() == [0.5, 0.0] and out["gap"].iloc[0] == 0.5
    reference = chi2_contingency([[1, 1], [0, 3]], correction=False)
    assert out.attrs["test"]["statistic"] == pytest.approx(reference.statistic)
    assert out.attrs["set_aside"] == {"contacts without a 'segment'": 1}


def test_frequency_difference_by_hand(waves):
    freq = frequency_response(waves, verbose=False)
    d = frequency_difference(freq, messages=4, versus=1)
    four, one = freq.loc[4], freq.loc[1]
    assert d["difference"] == pytest.approx(four["responder_rate"] - one["responder_rate"])
    pooled = (four["responders"] + one["responders"]) / (four["customer_waves"] + one["customer_waves"])
    z = d["difference"] / np.sqrt(pooled * (1 - pooled) * (1 / four["customer_waves"] + 1 / one["customer_waves"]))
    assert d["p_value"] == pytest.approx(2 * norm.sf(z))
    with pytest.raises(CrmlabInputError, match="messages=7 is not a number of messages"):
        frequency_difference(freq, messages=7, versus=1)
