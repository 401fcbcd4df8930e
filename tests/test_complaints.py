import numpy as np
import pandas as pd
import pytest
from scipy.stats import binomtest, chi2_contingency, hypergeom, mannwhitneyu, norm

from crmlab.complaints import (complaint_causes, complaint_outcomes, complaint_retention, complaint_share,
                               resolution_times, retention_difference)
from crmlab.datasets import load_data, load_truth
from crmlab.transactions import purchases
from crmlab.validation import CrmlabInputError


def _complaints():
    return pd.DataFrame({
        "complaint_id": ["Q1", "Q2", "Q3", "Q4"],
        "customer_id": ["a", "b", "c", "a"],
        "opened_ts": ["2025-03-01 08:00", "2025-03-02 08:00", "2025-03-03 08:00", "2025-05-01 08:00"],
        "closed_ts": ["2025-03-01 20:00", "2025-03-05 08:00", None, "2025-05-01 10:00"],
        "category": ["delivery", "misuse", "product_quality", "delivery"],
        "cause": ["company", "customer", "company", "company"],
        "outcome": ["resolved_satisfied", "resolved_unsatisfied", "unresolved", "resolved_satisfied"],
    })


@pytest.fixture(scope="module")
def company():
    truth = load_data("customer_truth")
    unhappy = truth.loc[truth["failure_ts"].notna(), ["customer_id", "failure_ts", "left_after_failure"]]
    bought = purchases(load_data("orders"), load_data("order_lines"), returns="zero", verbose=False)
    return {"complaints": load_data("complaints"), "purchases": bought,
            "unhappy": unhappy.rename(columns={"failure_ts": "since"}), "truth": load_truth()}


def test_cause_mix_and_resolution_times_by_hand(capsys):
    causes = complaint_causes(_complaints(), by=None)
    assert causes["complaints"].tolist() == [3, 1]
    assert causes["share"].tolist() == [0.75, 0.25]
    assert causes.loc["customer", "cause_zh"] == "客户原因"
    times = resolution_times(_complaints())
    assert times.loc["resolved_satisfied", ["complaints", "closed", "median"]].tolist() == [2, 2, 7.0]  # 12 h and 2 h
    assert times.loc["resolved_unsatisfied", "mean"] == 72.0
    assert times.loc["unresolved", "still_open"] == 1
    assert "set aside 1 open complaints" in capsys.readouterr().out
    assert resolution_times(_complaints(), by=None, time_unit="days", verbose=False).loc["all", "max"] == 3.0


def test_share_of_unhappy_who_complain_by_hand(capsys):
    unhappy = pd.DataFrame({"customer_id": list("abdefghijk")})  # c complained but is not listed
    share = complaint_share(_complaints(), unhappy).loc["all"]
    assert share[["unhappy", "complainers"]].tolist() == [10, 2]
    assert share["one_in"] == pytest.approx(5.0)
    assert share["one_in_low"] < 5 < share["one_in_high"]
    assert "1 complainers not among the unhappy customers" in capsys.readouterr().out


def test_retention_by_hand_with_follow_up_window():
    bought = pd.DataFrame({"customer_id": ["a", "b", "b", "d", "e"],
                           "order_ts": ["2025-03-20", "2025-02-01", "2025-12-01", "2025-02-10", "2025-11-30"]})
    unhappy = pd.DataFrame({"customer_id": ["a", "b", "c", "d", "e"],
                            "since": ["2025-02-25", "2025-02-28", "2025-03-01", "2025-02-01", "2025-11-01"]})
    out = complaint_retention(_complaints(), bought, unhappy=unhappy, end="2026-01-01", verbose=False)
    assert out.index.tolist() == ["resolved_satisfied", "resolved_unsatisfied", "unresolved", "silent"]
    assert out["retention"].tolist() == [1.0, 1.0, 0.0, 1.0]  # a, b (in December), c never; d and e silent
    assert out.attrs["set_aside"] == {"later complaints of the same customer": 1}
    window = complaint_retention(_complaints(), bought, unhappy=unhappy, end="2026-01-01", within_days=90,
                                 verbose=False)
    assert window.loc["resolved_unsatisfied", "retention"] == 0.0  # b's December purchase is too late
    assert window.loc["silent", "customers"] == 1  # e, unhappy in November, is observed for less than 90 days
    assert window.attrs["set_aside"]["customers observed for less than 90 days"] == 1


def test_about_one_complaint_per_27_unhappy_customers(company):
    """Unhappy = a service failure in the answer key (customer_truth.failure_ts); 1 in 27 planted."""
    share = complaint_share(company["complaints"], company["unhappy"], verbose=False).loc["all"]
    planted = company["truth"]["parameters"]["complaint_prob"]
    assert share["share_low"] < planted < share["share_high"]
    assert share["one_in"] == pytest.approx(27, abs=4)


def test_retention_after_complaints_matches_the_planted_stay_probabilities(company):
    """Planted: a complainer stays with probability 0.88 / 0.50 / 0.25 by outcome, a silent unhappy
    customer with 0.40. We measure *bought again*, which needs staying and then a purchase before the
    data end; so the measured rate should be stay x q, where q is the share of the customers who stayed
    (left_after_failure false in the key) that bought again."""
    stay = company["truth"]["parameters"]["stay_prob"]
    out = complaint_retention(company["complaints"], company["purchases"], unhappy=company["unhappy"][["customer_id", "since"]],
                              verbose=False)
    assert out.index.tolist() == ["resolved_satisfied", "resolved_unsatisfied", "unresolved", "silent"]
    outcome = company["complaints"].set_index("customer_id")["outcome"].astype("string")
    key = company["unhappy"].set_index("customer_id")
    key["group"] = outcome.reindex(key.index).fillna("silent")
    key.loc[outcome.index, "since"] = company["complaints"].set_index("customer_id")["opened_ts"]
    last = company["purchases"].groupby("customer_id")["order_ts"].max()
    key["again"] = last.reindex(key.index) > key["since"]
    q = key[~key["left_after_failure"]].groupby("group")["again"].mean()
    for group, row in out.iterrows():
        expected = stay[group] * q[group]
        assert row["retention_low"] < expected < row["retention_high"], group
        assert row["retention_low"] < stay[group]  # buying again is a lower bound of staying
    # the textbook's point: a satisfying resolution keeps far more customers than silence or no resolution
    assert out.loc["resolved_satisfied", "retention_low"] > out.loc["silent", "retention_high"]
    assert out.loc["resolved_satisfied", "retention"] > 2 * out.loc["unresolved", "retention"]


@pytest.mark.parametrize("call, fragment", [
    (lambda c: complaint_causes(c.assign(cause=["company", "nobody", "company", "company"])), r"'cause' must be one of"),
    (lambda c: resolution_times(c.assign(closed_ts=["2025-02-01", None, None, None])), r"'closed_ts' is before 'opened_ts' in row 0"),
    (lambda c: resolution_times(c.assign(opened_ts=["2025-03-01", "later", "2025-03-03", "2025-05-01"])), r"not dates in row 1"),
    (lambda c: resolution_times(c, time_unit="weeks"), r"time_unit='weeks' is not one of"),
    (lambda c: complaint_retention(c.assign(outcome=["fixed", "unresolved", "unresolved", "unresolved"]),
                                   pd.DataFrame({"customer_id": ["a"], "order_ts": ["2025-04-01"]})), r"'outcome' must be one of"),
    (lambda c: complaint_share(c, pd.DataFrame({"customer_id": ["a", "a"]})), r"customer_id is not unique"),
    (lambda c: complaint_share(c.iloc[0:0], pd.DataFrame({"customer_id": ["a"]})), r"complaints is empty"),
    (lambda c: complaint_retention(c, pd.DataFrame({"customer": ["a"], "order_ts": ["2025-04-01"]})), r"did you mean 'customer'"),
    (lambda c: complaint_retention(c, pd.DataFrame({"customer_id": ["a"], "order_ts": ["2025-04-01"]}), within_days=0),
     r"within_days must be"),
])
def test_bad_input_is_named(call, fragment):
    with pytest.raises(CrmlabInputError, match=fragment):
        call(_complaints())


def test_outcomes_by_cause_by_hand():
    """A 2 x 2 case (two outcomes): the permutation p-value is the hypergeometric chance of a table at
    least as far from independence as the observed one."""
    c = pd.DataFrame({"cause": ["company"] * 10 + ["customer"] * 10,
                      "outcome": ["resolved_satisfied"] * 8 + ["unresolved"] * 2 + ["resolved_satisfied"] * 3
                      + ["unresolved"] * 7})
    out = complaint_outcomes(c)
    counts = ["complaints", "resolved_satisfied", "resolved_unsatisfied", "unresolved"]
    assert out.loc["company", counts].tolist() == [10, 8, 0, 2]
    assert out.loc["customer", "share_satisfied"] == pytest.approx(0.3)
    reference = chi2_contingency([[8, 2], [3, 7]], correction=False)
    test = out.attrs["test"]
    assert test["statistic"] == pytest.approx(reference.statistic) and test["df"] == 1
    satisfied = hypergeom(20, 11, 10)  # satisfied company complaints if the outcome ignored the cause
    k = np.arange(11)
    exact = satisfied.pmf(k)[np.abs(k - 5.5) >= abs(8 - 5.5) - 1e-9].sum()
    assert test["p_value"] == pytest.approx(exact, abs=0.01)  # 9 999 reshufflings: Monte Carlo error ~0.003


def test_outcome_test_rejects_at_its_level_when_outcomes_ignore_the_cause(company):
    """Reshuffle the shipped outcomes over the complaints: cause and outcome are then independent."""
    rng = np.random.default_rng(11)
    complaints = company["complaints"]
    runs = 100
    rejected = sum(complaint_outcomes(complaints.assign(outcome=rng.permutation(complaints["outcome"].to_numpy())),
                                      by="category", permutations=999, seed=run).attrs["test"]["p_value"] < 0.05
                   for run in range(runs))
    assert binomtest(rejected, runs, 0.05).pvalue > 0.01, rejected


def test_resolution_time_test_is_the_rank_test(company):
    complaints = company["complaints"]
    times = resolution_times(complaints, by="outcome", verbose=False)
    hours = (complaints["closed_ts"] - complaints["opened_ts"]).dt.total_seconds() / 3600
    satisfied = hours[complaints["outcome"] == "resolved_satisfied"]
    unsatisfied = hours[complaints["outcome"] == "resolved_unsatisfied"]
    reference = mannwhitneyu(satisfied, unsatisfied, use_continuity=False, method="asymptotic")
    assert times.attrs["test"]["groups"] == 2  # the unresolved complaints are all open: no time to compare
    assert times.attrs["test"]["p_value"] == pytest.approx(reference.pvalue)
    assert "test" not in resolution_times(_complaints(), by=None, verbose=False).attrs


def test_retention_difference_by_hand():
    r = pd.DataFrame({"customers": [40, 200], "bought_again": [30, 100]}, index=["resolved_satisfied", "silent"])
    d = retention_difference(r, group="resolved_satisfied", versus="silent")
    assert d["difference"] == pytest.approx(0.25)
    pooled = 130 / 240
    z = 0.25 / np.sqrt(pooled * (1 - pooled) * (1 / 40 + 1 / 200))
    assert d["p_value"] == pytest.approx(2 * norm.sf(z)) and d["ci_low"] < 0.25 < d["ci_high"]
    with pytest.raises(CrmlabInputError, match="versus='quiet' is not one of"):
        retention_difference(r, group="resolved_satisfied", versus="quiet")
