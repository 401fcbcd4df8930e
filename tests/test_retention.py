"""Retention (客户保持): lifetimes, Kaplan–Meier, cohorts, churn by group, drivers, win-back —
textbook and hand-computed cases, the planted satisfaction → churn effect, and bad input."""
import numpy as np
import pandas as pd
import pytest

from crmlab.datasets import load_data, load_truth
from crmlab.retention import (average_retention, churn_by_group, churn_drivers, cohort_retention, customer_lifetimes,
                              kaplan_meier, median_survival, winback_priority)
from crmlab.satisfaction import satisfaction_index
from crmlab.transactions import purchases
from crmlab.validation import CrmlabInputError

END = "2026-01-01"  # the sample company's data end (exclusive)

# The 6-MP arm of the leukaemia trial of Freireich et al. (1963), weeks in remission; 0 = censored.
MP6_WEEKS = [6, 6, 6, 6, 7, 9, 10, 10, 11, 13, 16, 17, 19, 20, 22, 23, 25, 32, 32, 34, 35]
MP6_RELAPSE = [1, 1, 1, 0, 1, 0, 1, 0, 0, 1, 1, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0]


@pytest.fixture(scope="module")
def company():
    orders, lines = load_data("orders"), load_data("order_lines")
    return {"purchases": purchases(orders, lines, verbose=False),
            "all_purchases": purchases(orders, lines, returns="zero", verbose=False),
            "survey": load_data("survey"), "truth": load_data("customer_truth")}


def _hand_purchases():
    return pd.DataFrame({
        "customer_id": ["A", "A", "A", "B", "C", "C"],
        "order_ts": pd.to_datetime(["2025-01-10", "2025-02-03", "2025-04-20", "2025-01-25", "2025-02-14", "2025-07-04"]),
        "revenue": [100.0, 50.0, 70.0, 30.0, 20.0, 40.0], "margin": [40.0, 20.0, 30.0, 9.0, 5.0, 8.0]})


# ------------------------------------------------------------------ Kaplan–Meier

def test_kaplan_meier_on_the_6mp_leukaemia_data():
    km = kaplan_meier(pd.DataFrame({"weeks": MP6_WEEKS, "relapse": MP6_RELAPSE}), duration="weeks", event="relapse")
    steps = km[km["events"] > 0].set_index("time")
    # Published Kaplan–Meier estimates and Greenwood standard errors (Klein & Moeschberger, Survival
    # Analysis, table 4.1A; Kalbfleisch & Prentice): S(6) = 0.857 ... S(23) = 0.448.
    assert steps.index.tolist() == [6, 7, 10, 13, 16, 22, 23]
    assert steps["at_risk"].tolist() == [21, 17, 15, 12, 11, 7, 6]
    assert steps["survival"].round(3).tolist() == [0.857, 0.807, 0.753, 0.690, 0.627, 0.538, 0.448]
    assert steps["se"].round(4).tolist() == [0.0764, 0.0869, 0.0963, 0.1068, 0.1141, 0.1282, 0.1346]
    # log-log intervals; lifelines 0.30.3 gives the same to 4 decimals
    assert steps.loc[6, ["ci_low", "ci_high"]].round(4).tolist() == [0.6197, 0.9516]
    assert steps.loc[23, ["ci_low", "ci_high"]].round(4).tolist() == [0.1881, 0.6801]
    assert km.iloc[0][["time", "survival", "at_risk"]].tolist() == [0.0, 1.0, 21.0]
    med = median_survival(km).loc["all"]
    assert med["median"] == 23 and med["median_low"] == 13 and np.isnan(med["median_high"])


def test_kaplan_meier_has_no_interval_at_time_zero():
    f = pd.DataFrame({"weeks": MP6_WEEKS * 2, "relapse": MP6_RELAPSE * 2, "arm": ["a"] * 21 + ["b"] * 21})
    km = kaplan_meier(f, duration="weeks", event="relapse", by="arm")
    start = km[km["time"] == 0]
    assert len(start) == 2 and (start["survival"] == 1).all()  # S(0) = 1 by definition
    assert start[["ci_low", "ci_high"]].isna().all().all()
    assert km.loc[km["time"] > 0, ["ci_low", "ci_high"]].notna().all().all()
    # before the first event and after the last subject's event: Greenwood's variance is 0, no interval
    edge = kaplan_meier(pd.DataFrame({"t": [0.5, 1, 2, 3], "e": [0, 1, 0, 1]}), duration="t", event="e")
    assert edge["survival"].tolist() == pytest.approx([1.0, 1.0, 2 / 3, 2 / 3, 0.0])
    assert edge["ci_low"].isna().tolist() == [True, True, False, False, True]


def test_kaplan_meier_without_censoring_is_one_minus_the_empirical_cdf():
    t = np.array([3, 1, 4, 1, 5, 9, 2, 6])
    km = kaplan_meier(pd.DataFrame({"t": t, "e": True}), duration="t", event="e")
    for time, s in zip(km["time"], km["survival"]):
        assert s == pytest.approx((t > time).mean())


def test_kaplan_meier_by_group_equals_separate_curves():
    f = pd.DataFrame({"weeks": MP6_WEEKS * 2, "relapse": MP6_RELAPSE + [1] * 21, "arm": ["6-MP"] * 21 + ["x"] * 21})
    by = kaplan_meier(f, duration="weeks", event="relapse", by="arm")
    alone = kaplan_meier(f[f["arm"] == "6-MP"], duration="weeks", event="relapse")
    assert by[by["arm"] == "6-MP"]["survival"].tolist() == pytest.approx(alone["survival"].tolist())
    assert by[by["arm"] == "x"]["survival"].iloc[-1] == 0.0
    assert median_survival(by, by="arm").loc["x", "median"] == 16  # the 11th of 21 relapses is at week 16


def test_kaplan_meier_agrees_with_scipy_on_tied_censored_data():
    """scipy.stats.ecdf computes the same product-limit estimate and log-log interval."""
    from scipy import stats

    rng = np.random.default_rng(5)
    t = rng.integers(1, 30, 400).astype(float)  # whole days: many ties
    e = rng.random(400) < 0.7
    km = kaplan_meier(pd.DataFrame({"t": t, "e": e}), duration="t", event="e")
    res = stats.ecdf(stats.CensoredData.right_censored(t, ~e))
    ci = res.sf.confidence_interval(0.95, method="log-log")
    steps = km[km["events"] > 0].set_index("time")
    assert steps.index.tolist() == res.sf.quantiles.tolist()
    assert steps["survival"].to_numpy() == pytest.approx(res.sf.probabilities, rel=1e-12)
    inside = res.sf.probabilities > 0  # scipy leaves the interval at S = 0 undefined
    assert steps["ci_low"].to_numpy()[inside] == pytest.approx(ci.low.probabilities[inside], rel=1e-9)
    assert steps["ci_high"].to_numpy()[inside] == pytest.approx(ci.high.probabilities[inside], rel=1e-9)
    reached = np.isclose(res.sf.probabilities, 0.5) | (res.sf.probabilities < 0.5)
    assert median_survival(km).loc["all", "median"] == res.sf.quantiles[reached.argmax()]


def test_median_survival_when_the_curve_reaches_one_half_exactly():
    # S = 3/4, then 3/4 x 2/3 = 1/2 at t = 2: the median is 2, though floating point gives 0.5000000000000001
    km = kaplan_meier(pd.DataFrame({"t": [1, 2, 3, 4], "e": [1, 1, 1, 1]}), duration="t", event="e")
    assert median_survival(km).loc["all", "median"] == 2


# ------------------------------------------------------------------ lifetimes and cohorts

def test_customer_lifetimes_by_hand(capsys):
    p = _hand_purchases()
    late = pd.DataFrame({"customer_id": ["B"], "order_ts": pd.to_datetime(["2025-09-01"]), "revenue": [5.0],
                         "margin": [1.0]})
    life = customer_lifetimes(pd.concat([p, late], ignore_index=True), as_of="2025-08-01", inactive_days=90)
    assert "customer_lifetimes: set aside 1 purchases on or after as_of 2025-08-01" in capsys.readouterr().out
    assert life["n_purchases"].to_dict() == {"A": 3, "B": 1, "C": 2}
    assert life["margin"].to_dict() == {"A": 90.0, "B": 9.0, "C": 13.0}
    # A: last 2025-04-20, 103 days before as_of -> churned after 100 days; C: last 2025-07-04, 28 days -> active
    assert life["churned"].to_dict() == {"A": True, "B": True, "C": False}
    assert life.loc["A", "duration_days"] == 100.0 and life.loc["C", "duration_days"] == 140.0
    # exactly inactive_days of silence counts as churned
    assert customer_lifetimes(p, as_of="2025-07-29", inactive_days=100, verbose=False).loc["A", "churned"]
    start = pd.Series(pd.to_datetime(["2025-03-01", "2025-03-01", "2025-03-01"]), index=["A", "C", "Z"])
    after = customer_lifetimes(p, as_of="2025-08-01", inactive_days=90, start=start)
    assert after["duration_days"].to_dict() == {"A": 50.0, "C": 125.0}
    assert after.attrs["set_aside"] == {"customers in start without a purchase before as_of": 1}


def test_cohort_retention_by_hand():
    table = cohort_retention(_hand_purchases(), as_of="2025-06-15")
    # cohorts: 2025-01 = A, B; 2025-02 = C. A buys in Jan, Feb, Apr; C in Feb (and Jul, after as_of).
    assert table["customers"].tolist() == [2, 1]
    # May is the last complete month on 15 June: the February cohort is observed for k = 0..3 only
    assert table.columns.tolist() == ["customers", 0, 1, 2, 3, 4]
    assert table.loc[pd.Period("2025-01", "M"), [0, 1, 2, 3, 4]].tolist() == [1.0, 0.5, 0.0, 0.5, 0.0]
    feb = table.loc[pd.Period("2025-02", "M"), [0, 1, 2, 3, 4]]
    assert feb.iloc[:4].tolist() == [1.0, 0.0, 0.0, 0.0] and np.isnan(feb[4])
    assert table.attrs["set_aside"] == {"purchases on or after as_of 2025-06-15": 1}
    quarters = cohort_retention(_hand_purchases(), as_of="2025-10-01", period="Q", verbose=False)
    # all three first bought in Q1; A buys again in Q2, C in Q3
    assert quarters.loc[pd.Period("2025Q1", "Q"), [0, 1, 2]].tolist() == pytest.approx([1.0, 1 / 3, 1 / 3])
    avg = average_retention(table)
    assert avg.loc[1, "retention"] == pytest.approx((0.5 * 2 + 0.0 * 1) / 3)
    assert avg.loc[3, ["retention", "cohorts"]].tolist() == [(0.5 * 2 + 0.0) / 3, 2]
    assert avg.loc[4, ["retention", "cohorts"]].tolist() == [0.0, 1]


def test_cohort_retention_on_the_company(company):
    table = cohort_retention(company["purchases"], as_of=END, verbose=False)
    assert table.index.min() == pd.Period("2023-01", "M") and table.index.max() == pd.Period("2025-12", "M")
    assert (table[0] == 1).all()
    assert table[1].dropna().between(0.05, 0.5).all()
    observed = table.drop(columns="customers").notna().sum(axis=1)
    assert observed.tolist() == list(range(36, 0, -1))  # a triangle: young cohorts are observed for less
    avg = average_retention(table)
    assert avg["retention"].iloc[1] > avg["retention"].iloc[12] > 0


# ------------------------------------------------------------------ churn by group

def test_churn_by_group_by_hand():
    f = pd.DataFrame({"g": ["a"] * 10 + ["b"] * 20, "churned": [1] * 6 + [0] * 4 + [1] * 5 + [0] * 15,
                      "purchases": [2] * 10 + [5] * 20})
    out = churn_by_group(f, group="g", reference="b")
    assert out["rate"].tolist() == [0.6, 0.25]
    assert out.loc["a", "ratio"] == pytest.approx(2.4)
    se = np.sqrt(1 / 6 - 1 / 10 + 1 / 5 - 1 / 20)  # Katz
    assert out.loc["a", ["ratio_low", "ratio_high"]].tolist() == pytest.approx([2.4 * np.exp(-1.959964 * se),
                                                                               2.4 * np.exp(1.959964 * se)])
    # the reference compared with itself: ratio 1 by definition, no interval
    assert out.loc["b", "ratio"] == 1.0 and out.loc["b", ["ratio_low", "ratio_high"]].isna().all()
    assert out.loc["a", ["ratio_low", "ratio_high"]].notna().all()
    per = churn_by_group(f, group="g", exposure="purchases", reference="b")
    assert per.loc["b", ["ratio_low", "ratio_high"]].isna().all()
    nobody = churn_by_group(f.assign(churned=np.where(f["g"] == "b", 0, f["churned"])), group="g", reference="b")
    assert np.isinf(nobody.loc["a", "ratio"])  # no churner in the reference: the ratio is undefined, no crash
    assert per["rate"].tolist() == [6 / 20, 5 / 100]
    assert per.loc["a", "ratio"] == pytest.approx(6.0)
    # exact Poisson interval for 6 events: chi2(0.025, 12)/2 = 2.2018, chi2(0.975, 14)/2 = 13.0594
    assert per.loc["a", ["ci_low", "ci_high"]].tolist() == pytest.approx([2.2018 / 20, 13.0594 / 20], abs=1e-4)


def test_satisfied_respondents_churn_less_after_the_survey(company):
    """Observable: churn (no purchase in the last 180 days of the data) by the surveyed level c = b / a."""
    survey = company["survey"]
    life = customer_lifetimes(company["purchases"], as_of=END, start=survey.set_index("customer_id")["survey_date"],
                              verbose=False)
    levels = satisfaction_index(survey, verbose=False).assign(customer_id=survey["customer_id"])
    frame = life.join(levels.set_index("customer_id")["level"])
    out = churn_by_group(frame, group="level", reference="highly_satisfied")
    # measured 0.565 / 0.507 / 0.456
    assert out.loc["dissatisfied", "rate"] > out.loc["satisfied", "rate"] > out.loc["highly_satisfied", "rate"]
    assert out.loc["dissatisfied", "ratio_low"] > 1  # dissatisfied churn more, beyond sampling error
    km = kaplan_meier(frame, by="level")
    last = km.groupby("level", observed=True)["survival"].last()
    assert last["dissatisfied"] < last["satisfied"] < last["highly_satisfied"]


def test_per_purchase_dropout_recovers_the_planted_satisfaction_multipliers(company):
    """Planted: after each repeat purchase a customer drops out with probability p, multiplied by 1.8 for
    the dissatisfied and 0.6 for the highly satisfied. Events per repeat purchase estimate p."""
    truth = company["truth"].set_index("customer_id")
    n = company["all_purchases"].groupby("customer_id").size()
    buyers = truth.loc[n.index].assign(repeats=n - 1)
    # dropout by the buy-till-you-die process (not the separate leaving after a service failure)
    buyers["dropped"] = buyers["dropout_ts"].notna() & ~buyers["left_after_failure"]
    out = churn_by_group(buyers, group="satisfaction_level", churned="dropped", exposure="repeats",
                         reference="satisfied")
    planted = load_truth()["parameters"]["satisfaction"]["dropout_multiplier"]
    # Pooled over customers with different p, the ratio is diluted towards 1 (frailty): the planted
    # model's own expectation for these customers is sum(p_i x repeats_i) per group.
    expected = (buyers["dropout_prob"] * buyers["repeats"]).groupby(buyers["satisfaction_level"], observed=True).sum() \
        / buyers.groupby("satisfaction_level", observed=True)["repeats"].sum()
    expected_ratio = expected / expected["satisfied"]
    for level in ("dissatisfied", "highly_satisfied"):
        row = out.loc[level]
        assert row["ratio_low"] <= expected_ratio[level] <= row["ratio_high"], level
        assert row["ratio"] == pytest.approx(planted[level], rel=0.2), level  # 1.51 vs 1.8, 0.61 vs 0.6
    assert out.loc["highly_satisfied", "ratio_low"] <= planted["highly_satisfied"] <= out.loc["highly_satisfied", "ratio_high"]


# ------------------------------------------------------------------ drivers and win-back

def test_churn_drivers_recover_known_coefficients():
    rng = np.random.default_rng(5)
    n = 6000
    f = pd.DataFrame({"tenure": rng.normal(10, 2, n), "complained": rng.random(n) < 0.3,
                      "tier": rng.choice(["gold", "silver", "standard"], n)})
    logit = -1 + 0.25 * (f["tenure"] - 10) + 1.0 * f["complained"] + np.where(f["tier"] == "standard", 0.5, 0.0)
    f["churned"] = rng.random(n) < 1 / (1 + np.exp(-logit))
    out = churn_drivers(f, drivers=["tenure", "complained", "tier"], standardize=False).set_index("term")
    for term, beta in [("per unit", 0.25), ("True", 1.0), ("standard vs gold", 0.5), ("silver vs gold", 0.0)]:
        row = out.loc[term]
        assert np.log(row["or_low"]) <= beta <= np.log(row["or_high"]), term
    assert out.index[0] == "True"  # the strongest evidence first
    sd = churn_drivers(f, drivers=["tenure"]).iloc[0]
    assert sd["coefficient"] == pytest.approx(0.25 * f["tenure"].std(), abs=0.06)  # per standard deviation


def test_winback_priority_ranks_by_what_the_contact_adds(capsys):
    f = pd.DataFrame({"churned": [True, True, False, True, True], "value": [500.0, 800.0, 900.0, 100.0, None],
                      "alone": [0.6, 0.05, 0.9, 0.1, 0.3]}, index=["A", "B", "C", "D", "E"])
    out = winback_priority(f, value="value", uplift=0.07, baseline="alone", cost=10)
    assert out.index.tolist() == ["B", "A", "D"]  # C is not lost; E has no value
    assert out["incremental_value"].tolist() == pytest.approx([46.0, 25.0, -3.0])
    assert out["expected_return"].tolist() == pytest.approx([40.0, 300.0, 10.0])
    assert out["worth_contacting"].tolist() == [True, True, False]
    assert out["cumulative_share"].tolist() == pytest.approx([46 / 71, 1.0, 1.0])
    assert "winback_priority: set aside 1 lost customers without a value or uplift or baseline" in capsys.readouterr().out
    # the customer most likely to return on their own (A: 300 yuan expected back) is not the first to contact
    assert out["expected_return"].idxmax() == "A" != out.index[0]
    # the baseline does not enter the ranking: only the uplift and the value do
    same = winback_priority(f, value="value", uplift=0.07, cost=10, verbose=False)
    assert same.index.tolist() == out.index.tolist() and same["baseline"].isna().all()
    # a per-customer uplift (e.g. per experiment segment) reorders the list
    per = winback_priority(f, value="value", uplift=pd.Series({"A": 0.2, "B": 0.01, "D": 0.0}), verbose=False)
    assert per.index.tolist() == ["A", "B", "D"]
    assert per["incremental_value"].tolist() == pytest.approx([100.0, 8.0, 0.0])
    assert per["worth_contacting"].tolist() == [True, True, False]  # adding nothing is not worth a contact


def test_expected_value_ranking_favours_customers_who_would_return_anyway():
    """Simulated experiment: the contact adds the same 5 points to everyone's chance of return. Ranking by
    baseline x value picks the likely returners; ranking by uplift x value picks the customers where the
    contact changes most in money, and its top half gains more incremental value."""
    rng = np.random.default_rng(3)
    n = 4000
    value = rng.gamma(2.0, 200.0, n)
    alive = rng.beta(1, 3, n)
    f = pd.DataFrame({"churned": True, "value": value / alive.clip(0.05), "alone": alive}, index=np.arange(n))
    new = winback_priority(f, value="value", uplift=0.05, baseline="alone", cost=5, verbose=False)
    old = f.assign(ev=f["alone"] * f["value"]).sort_values("ev", ascending=False)
    half = n // 2
    assert new["incremental_value"].head(half).sum() > new.loc[old.index[:half], "incremental_value"].sum()
    assert f.loc[old.index[:half], "alone"].mean() > f.loc[new.index[:half], "alone"].mean()


# ------------------------------------------------------------------ bad input

@pytest.mark.parametrize("call, fragment", [
    (lambda p: customer_lifetimes(p.iloc[0:0], as_of=END), "purchases is empty"),
    (lambda p: customer_lifetimes(p.drop(columns="order_ts"), as_of=END), r"missing column\(s\) 'order_ts'"),
    (lambda p: customer_lifetimes(p.assign(order_ts=p["order_ts"].astype(str)), as_of=END), "'order_ts' is not a date/time"),
    (lambda p: customer_lifetimes(p, as_of="end of year"), "as_of must be a date such as"),
    (lambda p: customer_lifetimes(p, as_of=END, inactive_days=0), "inactive_days=0"),
    (lambda p: customer_lifetimes(p, as_of=END, start=["2025-01-01"]), "start must be a Series"),
    (lambda p: cohort_retention(p, as_of=END, period="W"), "period='W'"),
    (lambda p: cohort_retention(p, as_of="2023-01-15"), "no cohort has a complete period"),
    (lambda p: kaplan_meier(pd.DataFrame({"t": [1, -2], "e": [1, 0]}), duration="t", event="e"),
     "'t' must hold durations >= 0; it does not in row 1, e.g. -2"),
    (lambda p: kaplan_meier(pd.DataFrame({"t": [1, 2], "e": ["yes", "no"]}), duration="t", event="e"),
     "'e' must be True/False"),
    (lambda p: kaplan_meier(pd.DataFrame({"t": [1, 2], "e": [1, 0]}), duration="t", event="churn"),
     r"missing column\(s\) 'churn'"),
    (lambda p: churn_by_group(pd.DataFrame({"g": ["a"], "churned": [True]}), group="g", reference="z"),
     "reference='z' is not one of the groups"),
    (lambda p: churn_drivers(pd.DataFrame({"x": [1.0, 1.0, 1.0], "churned": [1, 0, 1]}), drivers=["x"]),
     "driver 'x' does not vary"),
    (lambda p: churn_drivers(pd.DataFrame({"x": [1.0, 2.0], "churned": [1, 1]}), drivers=["x"]),
     "same churn value"),
    (lambda p: winback_priority(pd.DataFrame({"churned": [True], "v": [1.0], "q": [1.5]}), value="v", uplift="q"),
     "uplift must be between -1 and 1; it is not in row 0, e.g. 1.5"),
    (lambda p: winback_priority(pd.DataFrame({"churned": [True], "v": ["much"]}), value="v", uplift=0.1),
     "value: values that are not numbers"),
    (lambda p: winback_priority(pd.DataFrame({"churned": [True], "v": [1.0]}), value="v", uplift=0.1, baseline=2),
     "baseline must be between 0 and 1"),
])
def test_bad_input_gets_a_clear_message(call, fragment):
    with pytest.raises(CrmlabInputError, match=fragment):
        call(_hand_purchases())


def test_kaplan_meier_sets_aside_rows_without_a_duration(capsys):
    f = pd.DataFrame({"weeks": MP6_WEEKS + [None], "relapse": MP6_RELAPSE + [1]})
    km = kaplan_meier(f, duration="weeks", event="relapse")
    assert km.attrs["set_aside"] == {"rows with a missing duration, event or group": 1}
    assert km.loc[km["time"] == 6, "survival"].round(3).tolist() == [0.857]
    assert "kaplan_meier: set aside 1 rows with a missing duration" in capsys.readouterr().out


def test_winback_chart_ranked_by_uplift_is_never_below_the_expected_value_order():
    import matplotlib.pyplot as plt

    from crmlab.plots.retention import winback_chart

    rng = np.random.default_rng(8)
    f = pd.DataFrame({"churned": True, "value": rng.gamma(2.0, 300.0, 300), "alone": rng.beta(1, 3, 300)})
    ax = winback_chart(winback_priority(f, value="value", uplift=0.05, baseline="alone", cost=5, verbose=False))
    best, by_return = (line.get_ydata() for line in ax.lines)
    assert (best >= by_return - 1e-9).all() and best[-1] == pytest.approx(by_return[-1])  # same customers in total
    assert best[len(best) // 10] > by_return[len(best) // 10]
    plt.close(ax.figure)
