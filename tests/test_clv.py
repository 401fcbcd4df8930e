"""Tests of crmlab.clv: CLV formulas, the summary of a transaction log, and the
BG/NBD, Pareto/NBD and Gamma-Gamma models.

Checked against: hand-computed formulas; the published maximum-likelihood
estimates on CDNOW (Fader, Hardie & Lee 2005a, 2005b); an independent
numerical integration of the Pareto/NBD likelihood; data simulated from the
models with known parameters; and the planted truth of the sample company.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from crmlab import clv
from crmlab.datasets import load_data, load_truth
from crmlab.datasets.cdnow import load_cdnow
from crmlab.transactions import purchases
from crmlab.validation import CrmlabInputError

DATA = "datasets/cdnow/cdnow_customers_summary_with_transactions.csv"


# ------------------------------------------------------------------ formulas, by hand

def test_pvifa_by_hand():
    assert clv.pvifa(0.10, 3) == pytest.approx(1 / 1.1 + 1 / 1.1 ** 2 + 1 / 1.1 ** 3, rel=1e-12)  # 2.4869
    assert clv.pvifa(0.05, 1) == pytest.approx(1 / 1.05)
    assert clv.pvifa(0.0, 5) == 5.0
    assert clv.pvifa(1e-12, 5) == pytest.approx(5.0)  # continuous at i = 0
    assert np.allclose(clv.pvifa(np.array([0.0, 0.1]), 3), [3.0, 2.486851991])


def test_group_clv_is_net_contribution_times_pvifa():
    # (Q - C) * PVIFA(10 %, 3 years) = 400 000 * 2.486852
    assert clv.group_clv(1_000_000, 600_000, discount_rate=0.10, periods=3) == pytest.approx(994_740.8, abs=0.1)
    assert clv.group_clv(500, 800, discount_rate=0.1, periods=2) < 0  # a group that costs more than it brings


@pytest.mark.parametrize("first_margin, periods, expected", [
    ("now", 3, 100 * (1 + 0.8 / 1.1 + 0.8 ** 2 / 1.1 ** 2)),                 # 225.62
    ("end", 3, 100 * (0.8 / 1.1 + 0.8 ** 2 / 1.1 ** 2 + 0.8 ** 3 / 1.1 ** 3)),  # 164.09
    ("now", None, 100 * 1.1 / (1.1 - 0.8)),                                # 366.67
    ("end", None, 100 * 0.8 / (1.1 - 0.8)),                                # 266.67
])
def test_retention_clv_by_hand(first_margin, periods, expected):
    got = clv.retention_clv(100, retention_rate=0.8, discount_rate=0.1, periods=periods, first_margin=first_margin)
    assert got == pytest.approx(expected, rel=1e-12)


def test_retention_clv_limits_and_arrays():
    # a long finite horizon tends to the formula for ever; r = 1, d = 0 is n margins
    assert clv.retention_clv(50, retention_rate=0.9, discount_rate=0.08, periods=400) == pytest.approx(
        clv.retention_clv(50, retention_rate=0.9, discount_rate=0.08), rel=1e-9)
    assert clv.retention_clv(50, retention_rate=1.0, discount_rate=0.0, periods=4) == 200.0
    assert clv.retention_clv(50, retention_rate=1.0, discount_rate=0.1) == pytest.approx(50 * 1.1 / 0.1)
    values = clv.retention_clv(100, retention_rate=np.array([0.5, 0.7, 0.9]), discount_rate=0.1)
    assert np.all(np.diff(values) > 0)  # higher retention, higher value
    assert clv.retention_clv(100, retention_rate=0.0, discount_rate=0.1) == 100.0  # only today's margin


@pytest.mark.parametrize("kwargs, fragment", [
    (dict(retention_rate=1.2, discount_rate=0.1), "retention_rate must be >= 0.0 and <= 1.0"),
    (dict(retention_rate=0.8, discount_rate=-0.1), "discount_rate must be >= 0.0"),
    (dict(retention_rate=0.8, discount_rate=0.1, periods=0), "periods must be a whole number"),
    (dict(retention_rate=0.8, discount_rate=0.1, periods=2.5), "periods must be a whole number"),
    (dict(retention_rate=1.0, discount_rate=0.0), "infinite amount"),
    (dict(retention_rate=0.8, discount_rate=0.1, first_margin="start"), "first_margin='start'"),
    (dict(retention_rate="high", discount_rate=0.1), "retention_rate must be a number, not 'high'"),
])
def test_retention_clv_rejects_bad_arguments(kwargs, fragment):
    with pytest.raises(CrmlabInputError, match=fragment):
        clv.retention_clv(100, **kwargs)


@pytest.mark.parametrize("call, fragment", [
    (lambda: clv.pvifa(-1.0, 3), "rate must be > -1.0"),
    (lambda: clv.pvifa(0.1, 0), "periods must be a whole number"),
    (lambda: clv.group_clv("lots", 10, discount_rate=0.1, periods=3), "revenue_per_period must be a number"),
    (lambda: clv.retention_clv(None, retention_rate=0.5, discount_rate=0.1), "margin must be a number"),
])
def test_pvifa_and_group_clv_reject_bad_arguments(call, fragment):
    with pytest.raises(CrmlabInputError, match=fragment):
        call()


def test_historical_value_compounds_to_the_analysis_date(capsys):
    tx = pd.DataFrame({
        "customer_id": ["A", "A", "B", None, "B"],
        "order_ts": pd.to_datetime(["2023-01-01", "2024-12-31", "2024-07-01", "2024-01-01", "2025-02-01"]),
        "margin": [100.0, 50.0, -20.0, 10.0, 30.0],
    })
    hv = clv.historical_value(tx, as_of="2025-01-01", annual_rate=0.10)  # as_of: the day after the last day
    assert hv.loc["A", "historical_value"] == pytest.approx(100 * 1.1 ** (731 / 365.25) + 50 * 1.1 ** (1 / 365.25))
    assert hv.loc["B", "total_amount"] == -20.0  # a loss-making customer stays negative
    assert hv["n_purchases"].to_dict() == {"A": 2, "B": 1}
    assert hv.attrs["set_aside"] == {"purchases without a customer id": 1, "purchases on or after as_of 2025-01-01": 1}
    assert "set aside 1 purchases without a customer id, 1 purchases on or after as_of 2025-01-01" in capsys.readouterr().out
    plain = clv.historical_value(tx, as_of="2025-01-01", verbose=False)
    assert plain["historical_value"].equals(plain["total_amount"])  # rate 0: the plain sum


@pytest.mark.parametrize("change, kwargs, fragment", [
    (lambda t: t.drop(columns="margin"), {}, "missing column\\(s\\) 'margin'"),
    (lambda t: t.assign(margin=[1, "n/a"]), {}, "'margin' must hold numbers.*row 1"),
    (lambda t: t.assign(order_ts=["2024-01-01T10:00:00Z", "2024-02-01"]), {}, "time-zone"),
    (lambda t: t.iloc[0:0], {}, "transactions is empty"),
    (lambda t: t, dict(as_of="2020-01-01"), "no purchase before as_of=2020-01-01"),
    (lambda t: t, dict(annual_rate=-1.5), "annual_rate must be > -1.0"),
])
def test_historical_value_rejects_bad_input(change, kwargs, fragment):
    tx = pd.DataFrame({"customer_id": ["A", "B"], "order_ts": pd.to_datetime(["2024-01-01", "2024-02-01"]),
                       "margin": [1.0, 2.0]})
    with pytest.raises(CrmlabInputError, match=fragment):
        clv.historical_value(change(tx), **(dict(as_of="2025-01-01") | kwargs))


# ------------------------------------------------------------------ summary of a transaction log

def _log():
    return pd.DataFrame({
        "customer_id": ["A", "A", "A", "A", "B", "C", "C", "D", None],
        "order_ts": pd.to_datetime(["2024-01-01 09:00", "2024-01-01 18:00", "2024-01-15 10:00", "2024-03-01 12:00",
                                    "2024-02-05 08:00", "2024-02-01 10:00", "2024-02-10 10:00", "2024-03-05 10:00",
                                    "2024-01-02 10:00"]),
        "revenue": [10.0, 30.0, 20.0, 50.0, 5.0, 8.0, 12.0, 7.0, 1.0],
    })


def test_summary_by_hand(capsys):
    s = clv.summary(_log(), calibration_end="2024-01-31", observation_end="2024-03-01", time_unit="days")
    # A: days 1 Jan (40 = 10 + 30, merged), 15 Jan (20); holdout 1 Mar. B, C: first purchase after the
    # calibration period. D: after observation_end. One row without an id.
    assert s.index.tolist() == ["A"]
    a = s.loc["A"]
    assert (a["repeat_purchases"], a["span_days"], a["T_days"], a["monetary_value"]) == (1, 14.0, 30.0, 20.0)
    assert (a["purchases_holdout"], a["duration_holdout_days"]) == (1, 30.0)
    assert s.attrs["merged_same_day"] == 1 and s.attrs["time_unit"] == "days"
    assert s.attrs["set_aside"] == {"purchases without a customer id": 1, "transactions after 2024-03-01": 1,
                                    "customers whose first purchase is after 2024-01-31": 2}
    assert "summary: set aside 1 purchases without a customer id" in capsys.readouterr().out


def test_summary_in_weeks_and_without_holdout():
    s = clv.summary(_log(), calibration_end="2024-03-01", verbose=False)
    assert list(s.columns) == ["first_purchase", "repeat_purchases", "span_weeks", "T_weeks", "monetary_value"]
    assert s.loc["A", "span_weeks"] == pytest.approx(60 / 7)  # 1 Jan -> 1 Mar 2024 (leap year)
    assert s.loc["A", "span_weeks"] == s.loc["A", "T_weeks"]  # a purchase on calibration_end: t_x = T
    assert s.loc["A", "monetary_value"] == pytest.approx((20 + 50) / 2)  # repeat purchases only
    assert np.isnan(s.loc["B", "monetary_value"])  # no repeat purchase, no repeat spend
    assert s.attrs["set_aside"]["transactions after 2024-03-01"] == 1


def test_summary_reproduces_the_cdnow_summary_file():
    s = clv.summary(load_cdnow("sample"), time_col="date", amount_col="amount", calibration_end="1997-09-30",
                    verbose=False)
    ref = pd.read_csv(DATA)
    # The file's ID is the rank of the customer by first purchase date, then customer id.
    s = s.sort_values(["first_purchase"], kind="stable")
    assert len(s) == len(ref) == 2357
    assert np.array_equal(s["repeat_purchases"], ref["x"])
    assert np.allclose(s["span_weeks"].round(2), ref["t_x"])
    assert np.allclose(s["T_weeks"].round(2), ref["T"])
    assert np.allclose(s["monetary_value"].fillna(0), ref["zbar"], atol=0.0051)  # file rounds to cents
    # Fader, Hardie & Lee (2005a): 1 411 of 2 357 make no repeat purchase; 2 457 repeat transactions.
    assert (s["repeat_purchases"] == 0).sum() == 1411 and s["repeat_purchases"].sum() == 2457


def test_cdnow_holdout_and_same_day_merging(cdnow):
    # 6 919 rows, 223 of them a second row of a customer on the same day: 6 696 customer-days
    # (datasets/cdnow/README.md), 4 357 of them in the calibration period and 2 339 after.
    assert cdnow.attrs["merged_same_day"] == 223
    assert len(cdnow) + cdnow["repeat_purchases"].sum() + cdnow["purchases_holdout"].sum() == 6696
    assert (cdnow["duration_holdout_weeks"] == 39.0).all()


@pytest.mark.parametrize("change, kwargs, fragment", [
    (lambda t: t.drop(columns="revenue"), {}, "missing column\\(s\\) 'revenue'"),
    (lambda t: t.rename(columns={"order_ts": "order_time"}), {}, "did you mean 'order_time'"),
    (lambda t: t.assign(revenue=["10", "x", 20, 50, 5, 8, 12, 7, 1]), {}, "'revenue' has values that are missing or not numbers in row 1"),
    (lambda t: t.assign(revenue=[10, -30, 20, 50, 5, 8, 12, 7, 1]), {}, "'revenue' must be >= 0.*purchases\\(\\)"),
    (lambda t: t.assign(order_ts=["2024-01-01", "yesterday"] + ["2024-02-01"] * 7), {}, "not dates in row 1"),
    (lambda t: t.assign(order_ts=["2024-01-01 10:00:00+08:00", "2024-01-01 10:00:00-05:00"] + ["2024-02-01"] * 7),
     {}, "time-zone"),
    (lambda t: t.assign(order_ts=t["order_ts"].dt.tz_localize("Asia/Shanghai")), {}, "carries a time zone"),
    (lambda t: t.assign(order_ts=range(9)), {}, "holds numbers .* not dates"),
    (lambda t: t.iloc[0:0], {}, "transactions is empty"),
    (lambda t: t, dict(observation_end="2024-01-01"), "must be after calibration_end"),
    (lambda t: t, dict(calibration_end="2023-06-30"), "no customer bought on or before"),
    (lambda t: t, dict(time_unit="months"), "time_unit='months' is not one of \\['days', 'weeks'\\]"),
    (lambda t: t, dict(calibration_end="not a date"), "calibration_end must be a date such as"),
    (lambda t: t, dict(calibration_end=pd.Timestamp("2024-03-01", tz="UTC")), "carries a time zone"),
])
def test_summary_rejects_bad_input(change, kwargs, fragment):
    args = dict(calibration_end="2024-01-31") | kwargs
    with pytest.raises(CrmlabInputError, match=fragment):
        clv.summary(change(_log()), verbose=False, **args)


def test_summary_parses_text_dates():
    text = _log().assign(order_ts=_log()["order_ts"].dt.strftime("%Y/%m/%d %H:%M"))
    pd.testing.assert_frame_equal(clv.summary(text, calibration_end="2024-03-01", verbose=False),
                                  clv.summary(_log(), calibration_end="2024-03-01", verbose=False),
                                  check_dtype=False)  # datetime resolution (s vs us) may differ


# ------------------------------------------------------------------ CDNOW: the published estimates

@pytest.fixture(scope="module")
def cdnow():
    return clv.summary(load_cdnow("sample"), time_col="date", amount_col="amount", calibration_end="1997-09-30",
                       observation_end="1998-06-30", verbose=False)


def test_bgnbd_reproduces_fader_hardie_lee_2005(cdnow):
    m = clv.BGNBD().fit(cdnow)
    # Published (FHL 2005a, to 3 decimals): r 0.243, alpha 4.414, a 0.793, b 2.426, LL -9582.4.
    for name, value in {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}.items():
        assert m.params_[name] == pytest.approx(value, abs=6e-4)
    assert m.log_likelihood_ == pytest.approx(-9582.4, abs=0.05)
    assert m.aic_ == pytest.approx(2 * 4 + 2 * 9582.4, abs=0.1)
    # Standard errors as `lifetimes` 0.11 documents for the same fit (r .012557, alpha .378221,
    # a .185719, b .705345): an independent implementation of the Hessian.
    assert np.allclose(m.standard_errors_, [0.012557, 0.378221, 0.185719, 0.705345], rtol=2e-3)
    assert m.time_unit_ == "weeks" and m.n_customers_ == 2357


def test_pareto_nbd_reproduces_the_published_fit(cdnow):
    m = clv.ParetoNBD().fit(cdnow)
    # Published (FHL 2005a): r 0.553, alpha 10.578, s 0.606, beta 11.669, LL -9595.0.
    for name, value in {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669}.items():
        assert m.params_[name] == pytest.approx(value, abs=6e-4 if value < 1 else 2e-3)
    assert m.log_likelihood_ == pytest.approx(-9595.0, abs=0.05)
    assert (m.standard_errors_ > 0).all()


def test_gamma_gamma_reproduces_the_published_fit(cdnow, capsys):
    m = clv.GammaGamma().fit(cdnow)
    # Published (FHL 2005b): p 6.25, q 3.74, gamma 15.44 on the 946 repeat customers' mean *repeat*
    # transaction value (the first purchase left out), as summary() computes it.
    assert m.n_customers_ == 946 and m.n_set_aside_ == 1411
    assert "set aside 1 411 customers without repeat purchases" in capsys.readouterr().out
    for name, value in {"p": 6.25, "q": 3.74, "gamma": 15.44}.items():
        assert m.params_[name] == pytest.approx(value, abs=0.006)
    # The mean over *all* calibration transactions (first one included) does not reproduce them.
    tx = load_cdnow("sample")
    day = tx.groupby(["customer_id", "date"], as_index=False)["amount"].sum()
    all_mean = day[day["date"] <= "1997-09-30"].groupby("customer_id")["amount"].mean()
    other = clv.GammaGamma().fit(cdnow.assign(monetary_value=all_mean.reindex(cdnow.index)), verbose=False)
    assert abs(other.params_["gamma"] - 15.44) > 1
    # Spend predictions: between the population mean and the customer's own mean.
    spend = m.expected_spend(cdnow)
    pop = m.population_mean_spend()
    rep = cdnow["repeat_purchases"] > 0
    own = cdnow["monetary_value"][rep]
    assert np.all((spend[rep] - pop) * (spend[rep] - own) <= 1e-9)
    assert np.allclose(spend[~rep], pop)


def test_cdnow_forecasts_are_sensible(cdnow):
    bg = clv.BGNBD().fit(cdnow)
    alive = bg.probability_alive()
    # BG/NBD: no repeat purchase, no dropout
    assert alive.between(0, 1).all() and (alive[cdnow["repeat_purchases"] == 0] == 1).all()
    # More purchases predicted for customers with more repeat purchases.
    pred = bg.expected_purchases(39)
    assert pred.groupby(cdnow["repeat_purchases"].clip(upper=5)).mean().is_monotonic_increasing
    # In total the 39-week holdout forecast is within 15 % of the 1 882 transactions that happened.
    assert cdnow["purchases_holdout"].sum() == 1882
    assert pred.sum() == pytest.approx(1882, rel=0.15)
    # A just-acquired customer: rate r/alpha per week at first, fewer later as customers drop out.
    new = bg.expected_purchases_new_customer(np.array([0.01, 39.0, 78.0]))
    assert new[0] / 0.01 == pytest.approx(bg.params_["r"] / bg.params_["alpha"], rel=1e-3)
    assert 0 < new[2] - new[1] < new[1]


# ------------------------------------------------------------------ numerics

def _quad_loglik(params, x, tx, T):
    """Pareto/NBD log-likelihood by numerical integration of the dropout time, no 2F1:
    L = C [ (a+T)^-(r+x) (b+T)^-s + s * int_tx^T (a+u)^-(r+x) (b+u)^-(s+1) du ]."""
    from scipy.integrate import quad
    from scipy.special import gammaln

    r, alpha, s, beta = params
    const = gammaln(r + x) - gammaln(r) + r * np.log(alpha) + s * np.log(beta)
    alive = -(r + x) * np.log(alpha + T) - s * np.log(beta + T)

    def log_f(u):
        return np.log(s) - (r + x) * np.log(alpha + u) - (s + 1) * np.log(beta + u)

    top = max(alive, log_f(tx))
    lo = min(alpha, beta)  # integrate in log(u + lo): smooth for any alpha/beta
    part = quad(lambda v: np.exp(log_f(np.exp(v) - lo) - top + v), np.log(tx + lo), np.log(T + lo),
                epsabs=0, epsrel=1e-13, limit=500)[0]
    return const + top + np.log(np.exp(alive - top) + part)


@pytest.mark.parametrize("params", [
    (0.553, 10.578, 0.606, 11.669),   # CDNOW: alpha < beta
    (0.553, 11.669, 0.606, 10.578),   # alpha > beta
    (1.0, 10.0, 1.0, 10.0),           # alpha = beta, s = 1 (whole-number parameters)
    (0.3, 0.05, 2.0, 900.0),          # beta >> alpha: z close to 1, where scipy's hyp2f1 returns NaN
    (5.0, 800.0, 3.0, 0.02),          # alpha >> beta
])
def test_pareto_nbd_likelihood_matches_numerical_integration(params):
    cases = [(0, 0.0, 38.86), (1, 1.71, 38.86), (2, 30.43, 38.86), (7, 38.0, 38.0), (60, 10.0, 150.0),
             (400, 1.0, 150.0), (150, 100.0, 150.0)]
    x, tx, T = (np.array(c, dtype=float) for c in zip(*cases))
    got = clv.ParetoNBD._loglik(np.array(params), x, tx, T)
    want = np.array([_quad_loglik(params, *c) for c in cases])
    assert np.allclose(got, want, rtol=1e-10, atol=1e-10)


def test_pareto_nbd_is_continuous_where_the_branches_meet():
    x, tx, T = np.array([3.0]), np.array([20.0]), np.array([38.0])
    at = clv.ParetoNBD._loglik(np.array([0.5, 10.0, 0.7, 10.0]), x, tx, T)
    for beta in (10.0 * (1 + 1e-9), 10.0 * (1 - 1e-9)):
        assert clv.ParetoNBD._loglik(np.array([0.5, 10.0, 0.7, beta]), x, tx, T) == pytest.approx(at, abs=1e-7)


@pytest.mark.parametrize("model, data", [
    (clv.BGNBD, lambda: (np.array([0.0, 1, 2, 7, 40]), np.array([0.0, 1.7, 30.4, 38.0, 20.0]),
                         np.array([38.9, 38.9, 38.9, 38.0, 30.0]))),
    (clv.GammaGamma, lambda: (np.array([1.0, 2, 5, 40]), np.array([12.0, 30.5, 8.2, 55.0]),
                              np.log([12.0, 30.5, 8.2, 55.0]))),
])
def test_analytic_gradients_match_finite_differences(model, data):
    params = {clv.BGNBD: np.array([0.7, 6.0, 0.9, 2.5]), clv.GammaGamma: np.array([4.0, 3.0, 20.0])}[model]
    rows = data()
    _, grad = model._loglik(params, *rows, grad=True)
    for i in range(len(params)):
        h = np.zeros_like(params)
        h[i] = 1e-6 * params[i]
        numeric = (model._loglik(params + h, *rows) - model._loglik(params - h, *rows)) / (2 * h[i])
        assert np.allclose(grad[i], numeric, rtol=1e-5, atol=1e-7)


def _bgnbd_by_the_paper(params, x, tx, T):
    """Fader, Hardie & Lee (2005), eq. 6, term by term (no care for overflow: moderate cases only)."""
    from scipy.special import beta as B, gamma as G

    r, alpha, a, b = params
    A1 = G(r + x) * alpha ** r / G(r)
    A2 = B(a, b + x) / B(a, b)
    A3 = (1 / (alpha + T)) ** (r + x)
    A4 = np.where(x > 0, a / np.maximum(b + x - 1, 1e-300) * (1 / (alpha + tx)) ** (r + x), 0.0)
    return np.log(A1 * A2 * (A3 + A4))


def test_bgnbd_likelihood_is_the_papers_and_stays_finite_for_frequent_buyers():
    from crmlab.clv.fitting import Column

    params = np.array([0.24, 4.4, 0.79, 2.4])
    x = np.array([0.0, 0.0, 1, 2, 7, 30, 3])
    tx = np.array([0.0, 0.0, 1.7, 30.43, 38.0, 2.5, 0.001])
    T = np.array([38.86, 0.5, 38.86, 38.86, 38.0, 38.9, 38.0])
    assert np.allclose(clv.BGNBD._loglik(params, x, tx, T), _bgnbd_by_the_paper(params, x, tx, T), rtol=1e-12)
    # 400 repeat purchases in the first day of 150 weeks: (alpha + T)^(r + x) overflows, the log does not
    big = clv.BGNBD._loglik(params, np.array([400.0]), np.array([1.0]), np.array([150.0]), grad=True)
    assert np.isfinite(big[0]).all() and np.isfinite(big[1]).all()
    # times held as a Column (computed once per distinct value) or as they are: the same numbers
    rows = (Column(x), Column(tx), Column(T))
    for got, want in zip(clv.BGNBD._loglik(params, *rows, grad=True), clv.BGNBD._loglik(params, x, tx, T, grad=True)):
        assert np.array_equal(got, want)


def test_time_unit_changes_the_scale_not_the_answer():
    tx = load_cdnow("sample")
    args = dict(time_col="date", amount_col="amount", calibration_end="1997-09-30", verbose=False)
    weeks = clv.BGNBD().fit(clv.summary(tx, **args))
    days = clv.BGNBD().fit(clv.summary(tx, time_unit="days", **args))
    assert days.time_unit_ == "days"
    assert days.params_["alpha"] == pytest.approx(7 * weeks.params_["alpha"], rel=1e-4)
    assert days.params_["r"] == pytest.approx(weeks.params_["r"], rel=1e-4)
    assert days.expected_purchases(7 * 39).sum() == pytest.approx(weeks.expected_purchases(39).sum(), rel=1e-4)
    with pytest.raises(CrmlabInputError, match="fitted in weeks but this summary is in days"):
        weeks.probability_alive(clv.summary(tx, time_unit="days", **args))


# ------------------------------------------------------------------ simulated from the models

def _simulate(model, params, n, rng, *, T_cal=52.0, T_hold=52.0):
    """Customers of a BG/NBD or Pareto/NBD world with known parameters, first purchase at time 0
    of a staggered cohort; returns a summary (continuous times) with the holdout outcome and truth."""
    T = T_cal - rng.uniform(0, 13, n)  # acquired over the first quarter
    if model == "bgnbd":
        r, alpha, a, b = params
        lam, p = rng.gamma(r, 1 / alpha, n), rng.beta(a, b, n)
        gaps = rng.exponential(1 / lam[:, None], (n, 200))     # inter-purchase times while active
        times = np.cumsum(gaps, axis=1)
        death_after = rng.geometric(p)                         # drops out after the J-th repeat purchase
        active = np.arange(1, 201)[None, :] <= death_after[:, None]
        death = np.full(n, np.inf)
        dies = death_after <= 200
        death[dies] = times[np.flatnonzero(dies), death_after[dies] - 1]
    else:
        r, alpha, s, beta = params
        lam, mu = rng.gamma(r, 1 / alpha, n), rng.gamma(s, 1 / beta, n)
        death = rng.exponential(1 / mu)
        times = np.cumsum(rng.exponential(1 / lam[:, None], (n, 200)), axis=1)
        active = times <= death[:, None]
    in_cal = active & (times <= T[:, None])
    x = in_cal.sum(axis=1)
    tx = np.where(x > 0, np.max(np.where(in_cal, times, 0), axis=1), 0.0)
    hold = (active & (times > T[:, None]) & (times <= (T + T_hold)[:, None])).sum(axis=1)
    return pd.DataFrame({"repeat_purchases": x, "span_weeks": tx, "T_weeks": T, "purchases_holdout": hold,
                         "alive_at_T": death > T})


@pytest.mark.parametrize("model, cls, params", [
    ("bgnbd", clv.BGNBD, (0.8, 8.0, 1.2, 3.0)),
    ("pnbd", clv.ParetoNBD, (0.8, 8.0, 1.5, 20.0)),
])
def test_models_recover_what_was_simulated(model, cls, params):
    data = _simulate(model, params, 8000, np.random.default_rng(11))
    m = cls().fit(data)
    # Each estimate within 3 standard errors of the truth (the SEs come from the Hessian).
    z = (m.params_ - np.array(params)) / m.standard_errors_
    assert (z.abs() < 3).all(), z
    # Holdout forecast (1 year) within 4 % of what the simulated customers did.
    assert m.expected_purchases(52.0).sum() == pytest.approx(data["purchases_holdout"].sum(), rel=0.04)
    # P(alive) is calibrated: its mean is the share truly active at T, within 2 points.
    assert m.probability_alive().mean() == pytest.approx(data["alive_at_T"].mean(), abs=0.02)


def test_gamma_gamma_recovers_what_was_simulated():
    rng = np.random.default_rng(5)
    p, q, gamma = 4.0, 3.0, 60.0
    x = rng.integers(1, 12, 6000)
    nu = rng.gamma(q, 1 / gamma, 6000)
    mean_spend = rng.gamma(p * x, 1 / nu) / x  # mean of x Gamma(p, nu) amounts
    m = clv.GammaGamma().fit(pd.DataFrame({"repeat_purchases": x, "monetary_value": mean_spend}))
    z = (m.params_ - [p, q, gamma]) / m.standard_errors_
    assert (z.abs() < 3).all(), z
    assert m.population_mean_spend() == pytest.approx(p * gamma / (q - 1), rel=0.05)


# ------------------------------------------------------------------ the sample company vs its planted truth

@pytest.fixture(scope="module")
def company():
    orders, lines = load_data("orders"), load_data("order_lines")
    # Counts: every purchase occasion is a purchase, returned or not (the planted process);
    # spend: completed purchases only, whose amount is the drawn spend up to price-list rounding.
    args = dict(calibration_end="2024-12-31", observation_end="2025-12-31", verbose=False)
    counts = clv.summary(purchases(orders, lines, returns="zero", verbose=False), **args)
    spend = clv.summary(purchases(orders, lines, verbose=False), **args)
    truth = load_data("customer_truth").set_index("customer_id")
    return counts.join(truth), spend.join(truth), load_truth()["parameters"]["segments"]


def test_bgnbd_recovers_the_planted_purchase_rates(company):
    counts, _, planted = company
    total_pred = 0.0
    for segment, group in counts.groupby("segment", observed=True):
        m = clv.BGNBD().fit(group)
        # Mean purchase rate r/alpha within 15 % of the mean planted rate of these customers.
        # It comes out 6-12 % low: service failures make some customers leave right after their
        # first purchase, which the BG/NBD cannot represent, so it reads them as slow buyers.
        assert m.params_["r"] / m.params_["alpha"] == pytest.approx(group["purchase_rate"].mean(), rel=0.15)
        assert m.params_["r"] / m.params_["alpha"] == pytest.approx(planted[segment]["r"] / planted[segment]["alpha"],
                                                                    rel=0.2)
        # 2025 (holdout) purchases per segment within 20 %.
        pred = m.expected_purchases(group["duration_holdout_weeks"], group).sum()
        assert pred == pytest.approx(group["purchases_holdout"].sum(), rel=0.2)
        total_pred += pred
    assert total_pred == pytest.approx(counts["purchases_holdout"].sum(), rel=0.1)


def test_probability_alive_tracks_who_is_still_active(company):
    counts, _, _ = company
    m = clv.BGNBD().fit(counts)
    alive = counts["dropout_ts"].isna() | (counts["dropout_ts"] > "2024-12-31")
    rep = counts["repeat_purchases"] > 0
    pa = m.probability_alive()
    assert pa[rep].mean() == pytest.approx(alive[rep].mean(), abs=0.06)
    by_bin = alive[rep].groupby(pd.cut(pa[rep], [0, 0.2, 0.4, 0.6, 0.8, 1.0])).mean()
    assert by_bin.is_monotonic_increasing  # the higher P(alive), the more are truly active


def test_gamma_gamma_recovers_the_planted_spend(company):
    _, spend, planted = company
    for segment, group in spend.groupby("segment", observed=True):
        m = clv.GammaGamma().fit(group, verbose=False)
        seg = planted[segment]
        # Population mean spend p*gamma/(q-1) within 10 % of the planted one (2-6 % observed).
        assert m.population_mean_spend() == pytest.approx(seg["p"] * seg["gamma"] / (seg["q"] - 1), rel=0.10)
        # Shrinking each customer's own mean towards the population mean gets closer to the truth.
        rep = group[group["repeat_purchases"] > 0]
        err_model = (m.expected_spend(rep) - rep["mean_spend"]).abs().mean()
        err_own = (rep["monetary_value"] - rep["mean_spend"]).abs().mean()
        assert err_model < err_own


def test_discounted_clv_predicts_next_years_revenue(company):
    _, spend, _ = company
    bg, gg = clv.BGNBD().fit(spend), clv.GammaGamma().fit(spend, verbose=False)
    undiscounted = clv.discounted_clv(spend, purchases_model=bg, spend_model=gg, horizon=52.0,
                                      annual_discount_rate=0.0)
    # With no discount the CLV of one year is expected purchases x expected spend ...
    assert np.allclose(undiscounted["clv"], undiscounted["expected_purchases"] * undiscounted["expected_spend"])
    # ... and it predicts the revenue the customers brought in 2025 within 5 % (1 % observed).
    orders, lines = load_data("orders"), load_data("order_lines")
    p = purchases(orders, lines, verbose=False)
    revenue_2025 = p.loc[p["order_ts"] >= "2025-01-01", "revenue"].groupby(p["customer_id"]).sum()
    assert undiscounted["clv"].sum() == pytest.approx(revenue_2025.reindex(spend.index).sum(), rel=0.05)
    # Discounting lowers the value; a margin rate scales it; a longer horizon raises it.
    disc = clv.discounted_clv(spend, purchases_model=bg, spend_model=gg, horizon=52.0, annual_discount_rate=0.1)
    assert (disc["clv"] < undiscounted["clv"]).all()
    assert disc["clv"].sum() > undiscounted["clv"].sum() / 1.1  # discounted by at most a year
    half = clv.discounted_clv(spend, purchases_model=bg, spend_model=gg, horizon=52.0, annual_discount_rate=0.1,
                              margin=0.5)
    assert np.allclose(half["clv"], disc["clv"] / 2)
    longer = clv.discounted_clv(spend, purchases_model=bg, spend_model=gg, horizon=156.0, annual_discount_rate=0.1)
    assert (longer["clv"] >= disc["clv"]).all()
    assert longer.attrs == {"horizon": 156.0, "time_unit": "weeks", "annual_discount_rate": 0.1, "margin": 1.0}


# ------------------------------------------------------------------ bad input to the models

def _tiny():
    return pd.DataFrame({"repeat_purchases": [0, 1, 2, 0, 3, 1, 0, 4, 0, 2, 1, 0],
                         "span_weeks": [0, 3.0, 10, 0, 20, 5, 0, 30, 0, 12, 2, 0],
                         "T_weeks": [30.0] * 12,
                         "monetary_value": [np.nan, 20, 35, np.nan, 15, 40, np.nan, 22, np.nan, 18, 25, np.nan]})


@pytest.mark.parametrize("change, fragment", [
    (lambda s: s.drop(columns="T_weeks"), "missing column\\(s\\) 'T_weeks'"),
    (lambda s: s.rename(columns={"span_weeks": "span", "T_weeks": "T"}), "must say their unit"),
    (lambda s: s.rename(columns={"repeat_purchases": "frequency", "span_weeks": "recency", "T_weeks": "T"}),
     "rename frequency, recency, T to repeat_purchases, span_weeks, T_weeks"),  # a summary from lifetimes
    (lambda s: s.assign(span_weeks=s["span_weeks"].where(s.index != 4, 31.0)),
     "span_weeks is greater than T_weeks in row 4"),
    (lambda s: s.assign(repeat_purchases=s["repeat_purchases"] + 0.5), "repeat_purchases is not a whole number"),
    (lambda s: s.assign(span_weeks=s["span_weeks"].where(s.index != 0, 2.0)), "repeat_purchases is 0 but span"),
    (lambda s: s.assign(T_weeks=["30"] * 11 + ["soon"]), "'T_weeks' must be a number >= 0.*row 11"),
    (lambda s: s.assign(repeat_purchases=-s["repeat_purchases"]), "'repeat_purchases' must be a number >= 0"),
    (lambda s: s.iloc[:5], "too little data to fit: 5 customers"),
    (lambda s: s.assign(repeat_purchases=0, span_weeks=0.0), "with repeat purchases"),
    (lambda s: s.iloc[0:0], "summary is empty"),
])
def test_count_models_reject_bad_summaries(change, fragment):
    for cls in (clv.BGNBD, clv.ParetoNBD):
        with pytest.raises(CrmlabInputError, match=fragment):
            cls().fit(change(_tiny()))


@pytest.mark.parametrize("change, fragment", [
    (lambda s: s.assign(monetary_value=s["monetary_value"].where(s.index != 1, 0.0)),
     "'monetary_value' must be > 0 .* row 1"),
    (lambda s: s.assign(monetary_value=s["monetary_value"].where(s.index != 2, -5.0)), "must be > 0"),
    (lambda s: s.assign(monetary_value=s["monetary_value"].where(s.index != 2)), "missing or not a number .* row 2"),
    (lambda s: s.drop(columns="monetary_value"), "missing column\\(s\\) 'monetary_value'"),
    (lambda s: s, "too little data to fit: 7 customers with repeat purchases"),
])
def test_gamma_gamma_rejects_bad_summaries(change, fragment):
    with pytest.raises(CrmlabInputError, match=fragment):
        clv.GammaGamma().fit(change(_tiny()), verbose=False)


def test_messages_name_customer_ids_and_print_plain_numbers(cdnow):
    # CDNOW's summary is indexed by customer id: a message must name the id ("customer 10244"), not call it
    # a row, and print the value as a student reads it (0.0, not np.float64(0.0)).
    repeat = cdnow.index[cdnow["repeat_purchases"] > 0]
    bad_id = repeat[-1]
    assert cdnow.index.get_loc(bad_id) != bad_id  # the id is not the row number: "row <id>" would mislead
    zero = cdnow.assign(monetary_value=cdnow["monetary_value"].where(cdnow.index != bad_id, 0.0))
    with pytest.raises(CrmlabInputError) as error:
        clv.GammaGamma().fit(zero, verbose=False)
    assert f"it is not for customer {bad_id} (e.g. 0.0)." in str(error.value)
    assert "row" not in str(error.value) and "np." not in str(error.value)
    missing = cdnow.assign(monetary_value=cdnow["monetary_value"].where(~cdnow.index.isin(repeat[:7])))
    with pytest.raises(CrmlabInputError, match=f"for customers {', '.join(map(str, repeat[:5]))} \\(and 2 more\\), who"):
        clv.GammaGamma().fit(missing, verbose=False)
    late = cdnow.assign(span_weeks=cdnow["span_weeks"].where(cdnow.index != bad_id, 99.0))
    with pytest.raises(CrmlabInputError, match=f"span_weeks is greater than T_weeks for customer {bad_id};"):
        clv.BGNBD().fit(late)
    text = cdnow.assign(T_weeks=cdnow["T_weeks"].astype(object).where(cdnow.index != bad_id, "soon"))
    with pytest.raises(CrmlabInputError, match=f"'T_weeks' must be a number >= 0; it is not for customer {bad_id} "
                                               "\\(e.g. 'soon'\\)"):
        clv.ParetoNBD().fit(text)


def test_unfitted_models_and_bad_arguments(cdnow):
    with pytest.raises(CrmlabInputError, match="not fitted yet"):
        clv.BGNBD().probability_alive(cdnow)
    with pytest.raises(CrmlabInputError, match="not fitted yet"):
        clv.GammaGamma().expected_spend(cdnow)
    bg = clv.BGNBD().fit(cdnow)
    with pytest.raises(CrmlabInputError, match="t must be a time >= 0"):
        bg.expected_purchases(-1)
    with pytest.raises(CrmlabInputError, match="one per customer"):
        bg.expected_purchases(np.ones(3))
    with pytest.raises(CrmlabInputError, match="summary must be a pandas DataFrame, not .*crmlab.clv.summary"):
        bg.probability_alive([1, 2, 3])
    gg = clv.GammaGamma().fit(cdnow, verbose=False)
    with pytest.raises(CrmlabInputError, match="purchases_model must be a fitted BGNBD or ParetoNBD"):
        clv.discounted_clv(cdnow, purchases_model=gg, spend_model=gg, horizon=52, annual_discount_rate=0.1)
    with pytest.raises(CrmlabInputError, match="annual_discount_rate must be >= 0"):
        clv.discounted_clv(cdnow, purchases_model=bg, spend_model=gg, horizon=52, annual_discount_rate=-0.1)
    with pytest.raises(CrmlabInputError, match="horizon must be > 0"):
        clv.discounted_clv(cdnow, purchases_model=bg, spend_model=gg, horizon=0, annual_discount_rate=0.1)


def test_classroom_widget_follows_its_sliders():
    from crmlab.plots.clv import clv_formula_widget

    retention, discount, result = clv_formula_widget(margin=200).children
    assert "CLV = 733.3" in result.value  # 200 x 1.1 / (1.1 - 0.8)
    retention.value, discount.value = 0.9, 0.05
    assert f"CLV = {200 * 1.05 / 0.15:,.1f}" in result.value  # 1,400.0
    assert result.value.count("<tr>") == 11  # header + 10 years
