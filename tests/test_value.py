"""Tests of crmlab.value: the value quadrant and the HSBC-style A-F grid.

Hand-computed small cases (cut-offs, ties, missing values), bad input, and on
the sample company: customers placed high on future value by the models
(fitted on 2023-2024) really spend more in 2025.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from crmlab import clv
from crmlab.datasets import load_data
from crmlab.transactions import purchases
from crmlab.validation import CrmlabInputError
from crmlab.value import GRID_CLASSES, QUADRANTS, value_loyalty_grid, value_quadrant


def _values():
    return pd.DataFrame({"current_value": [10.0, 90.0, 20.0, 80.0, 50.0, np.nan],
                         "future_value": [95.0, 85.0, 5.0, 15.0, 50.0, 30.0]},
                        index=pd.Index(["a", "b", "c", "d", "e", "f"], name="customer_id"))


def test_quadrant_by_hand_with_median_cuts(capsys):
    out = value_quadrant(_values())
    # Medians over the 5 customers with both values: current 50, future 50; "high" is strictly above,
    # so customer e (exactly 50, 50) is low on both.
    assert out.attrs["cuts"] == {"current_value": 50.0, "future_value": 50.0}
    assert out["quadrant"].tolist()[:5] == ["improve", "vip", "abandon", "maintain", "abandon"]
    assert pd.isna(out.loc["f", "quadrant"])
    assert out.attrs["set_aside"] == {"customers without 'current_value' or 'future_value'": 1}
    assert "value_quadrant: set aside 1 customers without" in capsys.readouterr().out
    assert out.loc["b", "quadrant_label"] == "贵宾型 VIP (most valuable)"
    assert out.loc["a", "quadrant_label"] == "改进型 Improve (most growable)"
    assert list(out["quadrant"].cat.categories) == ["vip", "improve", "maintain", "abandon"]
    assert out.loc[:, ["current_value", "future_value"]].equals(_values())  # input columns kept, copy returned


def test_quadrant_with_fixed_and_mean_cuts():
    df = _values().dropna()
    fixed = value_quadrant(df, current_cut=15, future_cut=90)
    assert fixed["quadrant"].tolist() == ["improve", "maintain", "maintain", "maintain", "maintain"]
    mean = value_quadrant(df, current_cut="mean", future_cut="mean", verbose=False)
    assert mean.attrs["cuts"] == {"current_value": 50.0, "future_value": 50.0}
    renamed = value_quadrant(df.rename(columns={"current_value": "hist", "future_value": "clv"}),
                             current="hist", future="clv")
    assert renamed["quadrant"].tolist() == value_quadrant(df)["quadrant"].tolist()


def test_quadrant_labels_cover_every_class_in_both_languages():
    assert set(QUADRANTS["zh"]) == {"贵宾型", "改进型", "维持型", "放弃型"}
    assert QUADRANTS.loc["vip", ["current_high", "future_high"]].tolist() == [True, True]
    assert QUADRANTS.loc["improve", ["current_high", "future_high"]].tolist() == [False, True]
    assert QUADRANTS.loc["maintain", ["current_high", "future_high"]].tolist() == [True, False]


@pytest.mark.parametrize("change, kwargs, fragment", [
    (lambda d: d.drop(columns="future_value"), {}, "missing column\\(s\\) 'future_value'"),
    (lambda d: d.rename(columns={"future_value": "future_values"}), {}, "did you mean 'future_values'"),
    (lambda d: d.assign(current_value=["10", "x", 1, 2, 3, 4]), {}, "'current_value' must hold numbers; it does not for customer b \\(e.g. 'x'\\)"),
    (lambda d: d.iloc[0:0], {}, "frame is empty"),
    (lambda d: d.assign(current_value=np.nan), {}, "no customer has both"),
    (lambda d: d, dict(current_cut="top20"), "current_cut='top20'"),
    (lambda d: d, dict(future_cut=None), "future_cut=None"),
    (lambda d: d.assign(future_value=np.inf), {}, "infinite values"),
])
def test_quadrant_rejects_bad_input(change, kwargs, fragment):
    with pytest.raises(CrmlabInputError, match=fragment):
        value_quadrant(change(_values()), verbose=False, **kwargs)


def _grid():
    return pd.DataFrame({
        "value":    [900.0, 50.0, 800.0, 60.0, 5000.0, 0.0, 400.0, 100.0],
        "loyalty":  [5.0, 6.0, 1.0, 1.0, 9.0, 0.0, np.nan, 3.0],
        "active":   [True, True, True, True, False, False, True, True],
        "prospect": [False, False, False, False, False, True, False, False],
    })


def test_grid_by_hand(capsys):
    out = value_loyalty_grid(_grid())
    # Active customers with both numbers: rows 0-3 and 7; medians value 100, loyalty 3.
    # The inactive customer's huge value does not move the cuts.
    assert out.attrs["cuts"] == {"value": 100.0, "loyalty": 3.0}
    assert out["grid"].tolist()[:6] == ["A", "C", "B", "D", "E", "F"]
    assert pd.isna(out.loc[6, "grid"]) and out.loc[7, "grid"] == "D"  # (100, 3) sits on both cuts: low
    assert out.attrs["set_aside"] == {"active customers without 'value' or 'loyalty'": 1}
    assert "value_loyalty_grid: set aside 1 active customers" in capsys.readouterr().out
    assert out.loc[0, "grid_label"] == "A 顶级 高忠诚高价值 top: high loyalty, high value"
    assert out.loc[5, "grid_label"] == "F 可能客户 possible customer (prospect)"
    assert list(out["grid"].cat.categories) == list(GRID_CLASSES.index) == ["A", "B", "C", "D", "E", "F"]


def test_grid_names_follow_the_course():
    # The course's HSBC case: A 顶级, B and C 大中型, D 小型, E 非活跃客户, F 可能客户 (not 潜在客户, which the
    # course uses for another class, the potential customers of the relationship classes).
    assert [zh.split()[0] for zh in GRID_CLASSES["zh"]] == ["顶级", "大中型", "大中型", "小型", "非活跃客户", "可能客户"]
    assert GRID_CLASSES.loc["A", "zh"].endswith("高忠诚高价值") and GRID_CLASSES.loc["B", "zh"].endswith("低忠诚高价值")
    assert GRID_CLASSES.loc["C", "zh"].endswith("高忠诚低价值") and GRID_CLASSES.loc["D", "zh"].endswith("低忠诚低价值")


def test_grid_accepts_zero_one_flags_and_fixed_cuts():
    df = _grid().assign(active=_grid()["active"].astype(int), prospect=_grid()["prospect"].astype(int))
    out = value_loyalty_grid(df, value_cut=500, loyalty_cut=0.5, verbose=False)
    assert out["grid"].tolist()[:6] == ["A", "C", "A", "C", "E", "F"]


@pytest.mark.parametrize("change, kwargs, fragment", [
    (lambda d: d.drop(columns="prospect"), {}, "missing column\\(s\\) 'prospect'"),
    (lambda d: d.assign(active=["yes"] * 8), {}, "'active' must be True/False"),
    (lambda d: d.assign(prospect=True), {}, "a prospect \\(never bought\\) cannot be active"),
    (lambda d: d.assign(value="high"), {}, "'value' must hold numbers"),
    (lambda d: d.assign(active=False, prospect=False), {}, "no active customer"),
    (lambda d: d, dict(loyalty_cut="q3"), "loyalty_cut='q3'"),
])
def test_grid_rejects_bad_input(change, kwargs, fragment):
    with pytest.raises(CrmlabInputError, match=fragment):
        value_loyalty_grid(change(_grid()), verbose=False, **kwargs)


def test_messages_name_customer_ids_and_print_plain_numbers():
    # Indexed by customer id, a message names the ids, not "rows"; a plain row number stays a row.
    by_id = _grid().set_index(pd.Index([f"C{i}" for i in range(8)], name="customer_id"))
    with pytest.raises(CrmlabInputError) as error:
        value_loyalty_grid(by_id.assign(active=np.array([1, 2, 1, 1, 0, 0, 1, 1])), verbose=False)
    assert str(error.value) == "column 'active' must be True/False; it is not for customer C1 (e.g. 2)."
    with pytest.raises(CrmlabInputError, match="both are True for customers C0, C1, C2, C3, C4 \\(and 3 more\\)"):
        value_loyalty_grid(by_id.assign(active=True, prospect=True), verbose=False)
    with pytest.raises(CrmlabInputError, match="infinite values in row 2"):
        value_loyalty_grid(_grid().assign(value=[1.0, 2.0, np.inf, 4.0, 5.0, 6.0, 7.0, 8.0]), verbose=False)


@pytest.fixture(scope="module")
def company():
    customers, orders, lines = load_data("customers"), load_data("orders"), load_data("order_lines")
    p = purchases(orders, lines, verbose=False)
    s = clv.summary(p, calibration_end="2024-12-31", observation_end="2025-12-31", verbose=False)
    bg, gg = clv.BGNBD().fit(s), clv.GammaGamma().fit(s, verbose=False)
    future = clv.discounted_clv(s, purchases_model=bg, spend_model=gg, horizon=52.0, annual_discount_rate=0.1)
    current = clv.historical_value(p, as_of="2025-01-01", amount_col="revenue", verbose=False)
    revenue_2025 = p.loc[p["order_ts"] >= "2025-01-01"].groupby("customer_id")["revenue"].sum()
    return customers, p, pd.DataFrame({
        "current_value": current["historical_value"], "future_value": future["clv"],
        "revenue_2025": revenue_2025.reindex(s.index, fill_value=0.0)})


def test_quadrant_on_the_sample_company_sorts_next_years_spend(company):
    _, _, values = company
    out = value_quadrant(values, verbose=False)
    assert out["quadrant"].notna().all()
    spend = out.groupby("quadrant", observed=True)["revenue_2025"].mean()
    # Future value was predicted from 2023-2024; the customers it ranks high spent more in 2025.
    assert spend["vip"] > 5 * spend["abandon"]
    assert spend["improve"] > spend["maintain"]
    assert spend["vip"] == spend.max()


def test_grid_on_the_sample_company(company):
    customers, p, _ = company
    last_year = p[p["order_ts"] >= "2025-01-01"]
    frame = pd.DataFrame(index=customers["customer_id"])
    frame["value"] = last_year.groupby("customer_id")["margin"].sum().reindex(frame.index, fill_value=0.0)
    first = p.groupby("customer_id")["order_ts"].min()
    years = (pd.Timestamp("2025-12-31") - first).dt.days / 365.25
    frame["loyalty"] = (p.groupby("customer_id").size() / years.clip(lower=0.25)).reindex(frame.index)
    frame["prospect"] = ~frame.index.isin(p["customer_id"])
    frame["active"] = frame.index.isin(last_year["customer_id"])
    out = value_loyalty_grid(frame, verbose=False)
    counts = out["grid"].value_counts()
    assert counts.sum() == len(customers)
    assert counts["F"] == frame["prospect"].sum() > 0  # about 12 % registered but never bought
    assert counts["E"] == (~frame["prospect"] & ~frame["active"]).sum()
    margin = out.groupby("grid", observed=True)["value"].sum()
    assert margin["A"] > margin[["C", "D"]].sum()  # the top class carries the value
