"""crmlab.pareto: hand-computed Lorenz, Gini, top share and ABC classes; the shipped company; bad input."""
import numpy as np
import pandas as pd
import pytest

from crmlab.pareto import abc_classes, abc_summary, gini, lorenz_curve, pareto_table, top_share
from crmlab.validation import CrmlabInputError


# ------------------------------------------------------------------ hand-computed cases

def test_gini_by_hand():
    # sorted x = 1, 2, 3, 4: 2 * (1 + 4 + 9 + 16) / (4 * 10) - 5 / 4 = 0.25
    assert gini(pd.Series([4.0, 1.0, 3.0, 2.0])) == pytest.approx(0.25)
    # one customer holds everything: (n - 1) / n
    assert gini(pd.Series([0.0, 0.0, 0.0, 1.0])) == pytest.approx(0.75)
    assert gini(pd.Series([7.0] * 5)) == 0.0


def test_gini_is_one_minus_twice_the_area_under_the_lorenz_curve():
    curve = lorenz_curve(pd.Series([4.0, 1.0, 3.0, 2.0]))
    assert curve["share_customers"].tolist() == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert curve["share_value"].tolist() == pytest.approx([0.0, 0.1, 0.3, 0.6, 1.0])
    area = np.trapezoid(curve["share_value"], curve["share_customers"])  # 0.375
    assert gini(pd.Series([4.0, 1.0, 3.0, 2.0])) == pytest.approx(1 - 2 * area)


def test_gini_ignores_scale_and_order():
    rng = np.random.default_rng(3)
    x = pd.Series(rng.gamma(0.5, 100, 500))
    assert gini(x * 37.5) == pytest.approx(gini(x))
    assert gini(x.sample(frac=1, random_state=1).reset_index(drop=True)) == pytest.approx(gini(x))


def test_top_share_reads_the_curve_between_customers():
    values = pd.Series([4.0, 3.0, 2.0, 1.0])
    assert top_share(values, 0.25) == pytest.approx(0.4)
    assert top_share(values, 0.5) == pytest.approx(0.7)
    assert top_share(values, 0.3) == pytest.approx(0.4 + 0.2 * 0.3)  # a fifth of the second customer
    assert top_share(values, 1.0) == pytest.approx(1.0) and top_share(values, 0.0) == 0.0


def test_pareto_table_columns_and_order():
    table = pareto_table(pd.DataFrame({"customer_id": ["a", "b", "c"], "margin": [1.0, 6.0, 3.0]}),
                         value_col="margin", customer_col="customer_id")
    assert table.index.tolist() == ["b", "c", "a"]
    assert table["rank"].tolist() == [1, 2, 3]
    assert table["share_value"].tolist() == pytest.approx([0.6, 0.9, 1.0])


def test_abc_by_cumulative_value_textbook_rule():
    value = pd.Series([5.0, 30.0, 50.0, 15.0], index=["d", "b", "a", "c"])
    out = abc_classes(value)
    # cumulative 50 %, 80 % (still A: at most 80 %), 95 % (B), 100 % (C)
    assert out["abc_class"].to_dict() == {"a": "A", "b": "A", "c": "B", "d": "C"}
    assert list(out["abc_class"].cat.categories) == ["A", "B", "C"] and out["abc_class"].cat.ordered


def test_abc_boundary_survives_floating_point():
    # The first three bring exactly 80 % of the value, but floating point computes 0.8000000000000002.
    value = pd.Series([35, 28, 17, 11, 8, 1]) * 0.01
    assert (value.cumsum() / value.sum()).iloc[2] > 0.8
    assert abc_classes(value)["abc_class"].tolist() == ["A", "A", "A", "B", "C", "C"]  # 91 %, 99 %, 100 %


def test_abc_ties_are_kept_in_the_order_given():
    out = abc_classes(pd.Series([40.0, 40.0, 20.0], index=["x", "y", "z"]), thresholds=(0.5,))
    assert out["abc_class"].to_dict() == {"x": "A", "y": "B", "z": "B"}


def test_abc_by_share_of_customers_and_more_classes():
    value = pd.Series(np.arange(10, 0, -1, dtype=float))
    out = abc_classes(value, thresholds=(0.2, 0.5), by="customers")
    assert out["abc_class"].value_counts().sort_index().tolist() == [2, 3, 5]
    four = abc_classes(value, thresholds=(0.3, 0.6, 0.9))
    assert list(four["abc_class"].cat.categories) == ["A", "B", "C", "D"]


def test_loss_making_customers_are_always_in_the_last_class():
    out = abc_classes(pd.Series([100.0, 10.0, -5.0, 0.0], index=list("abcd")), thresholds=(0.5, 0.99))
    assert out.loc[["c", "d"], "abc_class"].tolist() == ["C", "C"]
    # the cumulative share passes 100 % before the negative customer brings it back
    assert out["share_value"].max() > 1 and out["share_value"].iloc[-1] == pytest.approx(1.0)


def test_abc_summary_adds_up():
    s = abc_summary(abc_classes(pd.Series([50.0, 30.0, 15.0, 5.0])))
    assert s["customers"].tolist() == [2, 1, 1]
    assert s["share_value"].tolist() == pytest.approx([0.8, 0.15, 0.05])
    assert s["name_zh"].tolist() == ["关键客户", "主要客户", "普通客户"]
    assert s["share_customers"].sum() == pytest.approx(1.0)


# ------------------------------------------------------------------ the sample company

@pytest.fixture(scope="module")
def margin_and_truth():
    from crmlab.datasets import load_data
    from crmlab.transactions import purchases

    p = purchases(load_data("orders"), load_data("order_lines"), verbose=False)
    truth = load_data("customer_truth").set_index("customer_id")
    return p.groupby("customer_id")["margin"].sum(), truth


def test_class_a_is_where_the_planted_vips_are(margin_and_truth):
    margin, truth = margin_and_truth
    classes = abc_classes(margin)
    segment = truth.loc[classes.index, "segment"]
    base = (segment == "vip").mean()
    in_a = (segment[classes["abc_class"] == "A"] == "vip").mean()
    in_c = (segment[classes["abc_class"] == "C"] == "vip").mean()
    print(f"vip share: all {base:.3f}, class A {in_a:.3f}, class C {in_c:.3f}")
    assert in_a > 2.5 * base and in_c < 0.25 * base  # measured 0.318, 0.104, 0.007


def test_the_80_20_rule_on_the_company(margin_and_truth):
    margin, truth = margin_and_truth
    members = margin.clip(lower=0).reindex(truth.index, fill_value=0.0)  # all members; loss-making count 0
    share, g = top_share(members, 0.2), gini(members)
    print(f"top 20 % share {share:.3f}, Gini {g:.3f}")
    assert 0.65 < share < 0.88  # datasets/README.md: about three quarters (measured 0.764)
    assert 0.6 < g < 0.85  # measured 0.737
    # A convex Lorenz curve through (0.8, 1 - share) has a Gini of at least share - 0.2.
    assert g >= share - 0.2


# ------------------------------------------------------------------ bad input

@pytest.mark.parametrize("call, fragment", [
    (lambda: gini(pd.Series([1.0, np.nan, 2.0])), r"missing or not numbers in row 1"),
    (lambda: gini(pd.Series(["1", "x", "2"])), r"not numbers in row 1, e.g. 'x'"),
    (lambda: gini(pd.Series([True, False])), "must hold numbers"),
    (lambda: gini(pd.Series([3.0, -1.0])), r"need values >= 0.*row 1.*clip\(lower=0\)"),
    (lambda: gini(pd.Series([0.0, 0.0])), "add up to 0.0"),
    (lambda: gini(pd.Series([], dtype=float)), "is empty"),
    (lambda: gini([1, 2, 3]), "expected a pandas Series"),
    (lambda: gini(pd.Series([1.0, 2.0], index=["a", "a"])), "appear more than once.*groupby"),
    # a table indexed by customer: the message names the customers and prints plain numbers
    (lambda: gini(pd.Series([3.0, -1.5], index=pd.Index(["C1", "C2"], name="customer_id"))),
     r"negative for customer C2, e\.g\. -1\.5\. Decide"),
    (lambda: gini(pd.Series([1.0, 2.0, 3.0], index=pd.Index(["C1", "C2", "C2"], name="customer_id"))),
     r"more than once \(for customer C2\)"),
    (lambda: pareto_table(pd.Series([2.0, -2.0])), r"add up to 0\.0;"),
    (lambda: pareto_table(pd.DataFrame({"margin": [1.0]})), "pass the name of the value column.*value_col="),
    (lambda: pareto_table(pd.DataFrame({"margn": [1.0]}), value_col="margin"), "did you mean 'margn'"),
    (lambda: top_share(pd.Series([1.0]), 20), "between 0 and 1"),
    (lambda: abc_classes(pd.Series([1.0]), thresholds=(0.95, 0.8)), "increasing shares"),
    (lambda: abc_classes(pd.Series([1.0]), thresholds=(80, 95)), "increasing shares"),
    (lambda: abc_classes(pd.Series([1.0]), thresholds="A"), "increasing shares"),
    (lambda: abc_classes(pd.Series([1.0]), by="revenue"), r"by=.revenue. is not one of \[.value., .customers.\]"),
    (lambda: abc_summary(pd.DataFrame({"value": [1.0]})), "missing column"),
])
def test_bad_input_is_rejected_with_the_fix(call, fragment):
    with pytest.raises(CrmlabInputError, match=fragment):
        call()
