import itertools

import numpy as np
import pandas as pd
import pytest

from crmlab.datasets import load_data
from crmlab.needs import purchase_lines
from crmlab.recommend import (CoPurchaseRecommender, PopularityRecommender, association_rules,
                              evaluate_recommenders)
from crmlab.validation import CrmlabInputError


def _baskets():
    """Five baskets: {milk, bread}, {milk, bread, eggs}, {milk}, {eggs, tea}, {bread, eggs}."""
    rows = [(1, "milk"), (1, "bread"), (2, "milk"), (2, "bread"), (2, "eggs"), (2, "milk"), (3, "milk"),
            (4, "eggs"), (4, "tea"), (5, "bread"), (5, "eggs")]
    return pd.DataFrame(rows, columns=["order_id", "category"])


def test_rule_metrics_by_hand():
    rules = association_rules(_baskets(), verbose=False).set_index(["antecedent", "consequent"])
    assert rules.attrs["baskets"] == 5
    milk_bread = rules.loc[("milk", "bread")]
    # milk in 3 baskets, bread in 3, both in 2 (the repeated milk of basket 2 counts once)
    assert milk_bread["baskets"] == 2
    assert milk_bread["support"] == pytest.approx(2 / 5)
    assert milk_bread["confidence"] == pytest.approx(2 / 3)
    assert milk_bread["lift"] == pytest.approx((2 / 3) / (3 / 5))
    assert milk_bread["leverage"] == pytest.approx(2 / 5 - 3 / 5 * 3 / 5)
    tea_eggs = rules.loc[("tea", "eggs")]
    assert (tea_eggs["confidence"], tea_eggs["lift"]) == pytest.approx((1.0, 5 / 3))
    assert ("milk", "tea") not in rules.index  # never bought together: no rule


def test_rules_match_a_brute_force_count():
    rng = np.random.default_rng(3)
    lines = pd.DataFrame({"order_id": rng.integers(0, 60, 300), "category": rng.choice(list("abcdef"), 300)})
    rules = association_rules(lines, verbose=False).set_index(["antecedent", "consequent"])
    baskets = lines.groupby("order_id")["category"].agg(set)
    for a, b in itertools.permutations("abcdef", 2):  # reference count, small by design
        both = sum(a in s and b in s for s in baskets)
        if both:
            n_a, n_b = sum(a in s for s in baskets), sum(b in s for s in baskets)
            assert rules.loc[(a, b), "confidence"] == pytest.approx(both / n_a)
            assert rules.loc[(a, b), "lift"] == pytest.approx(both / n_a / (n_b / len(baskets)))


def test_thresholds_filter_rules():
    rules = association_rules(_baskets(), min_lift=1.2, min_count=1, verbose=False)
    assert (rules["lift"] >= 1.2).all() and len(rules) > 0
    assert rules["lift"].is_monotonic_decreasing
    assert association_rules(_baskets(), min_support=0.5, verbose=False).empty


def test_recommenders_by_hand():
    train = pd.DataFrame({"customer_id": ["a", "a", "b", "b", "c", "d", "e"],
                          "product_id": ["tea", "cups", "tea", "cups", "milk", "milk", "milk"]})
    new = pd.DataFrame({"customer_id": ["x", "y"], "product_id": ["tea", "bread"]})
    co = CoPurchaseRecommender().fit(train).recommend(new, k=1)
    assert co.set_index("customer_id")["product_id"].to_dict() == {"x": "cups", "y": "milk"}  # y: no rule -> most popular
    pop = PopularityRecommender().fit(train).recommend(new, k=2)
    assert pop.loc[pop["customer_id"] == "x", "product_id"].tolist() == ["milk", "cups"]  # tea excluded: bought
    again = PopularityRecommender().fit(train).recommend(new, k=1, exclude_bought=False)
    assert again["product_id"].tolist() == ["milk", "milk"]


def test_co_purchase_beats_popularity_on_held_out_orders():
    lines = purchase_lines(load_data("orders"), load_data("order_lines"), load_data("products"), verbose=False)
    result = evaluate_recommenders(lines, split="2025-07-01", k=5, verbose=False)
    assert result.index.tolist() == ["popularity", "co-purchase"]
    assert result.loc["co-purchase", "vs_low"] > 0.05  # at least 5 points more hits, with 95 % confidence
    assert result.loc["co-purchase", "vs_p_value"] < 1e-6  # McNemar on the same customers
    # the baseline is the reference: no difference, interval or test of its own
    assert result.loc["popularity", ["gained", "lost", "vs_baseline", "vs_low", "vs_high", "vs_p_value"]].isna().all()
    assert result.loc["popularity", "hit_rate"] == pytest.approx(0.20, abs=0.05)
    assert (result["precision"] <= result["hit_rate"]).all()
    assert result.loc["co-purchase", "customers"] > 1500


class _Fixed:
    """A stub recommender offering each customer a fixed item (to plant hits and misses)."""

    def __init__(self, offers, customer_col="customer_id"):
        self.offers, self.customer_col = offers, customer_col

    def fit(self, lines):
        return self

    def recommend(self, history, *, k, exclude_bought):
        return pd.DataFrame({self.customer_col: list(self.offers), "product_id": list(self.offers.values())})


def _held_out_shop(customer_col="customer_id"):
    """Ten customers: each bought "old" in 2025-01 and a new item t0 ... t9 of their own in 2025-08."""
    ids = [f"c{i}" for i in range(10)]
    return pd.DataFrame({customer_col: ids * 2, "order_ts": ["2025-01-05"] * 10 + ["2025-08-05"] * 10,
                         "product_id": ["old"] * 10 + [f"t{i}" for i in range(10)]}), ids


def test_paired_comparison_by_hand():
    lines, ids = _held_out_shop()
    base = {c: (f"t{i}" if i in (0, 9) else "miss") for i, c in enumerate(ids)}  # hits c0, c9
    model = {c: (f"t{i}" if i <= 8 else "miss") for i, c in enumerate(ids)}     # hits c0 ... c8
    result = evaluate_recommenders(lines, split="2025-07-01", k=1, models={"base": _Fixed(base), "m": _Fixed(model)},
                                   verbose=False)
    assert result["hit_rate"].tolist() == [0.2, 0.9]
    m = result.loc["m"]
    assert (m["gained"], m["lost"]) == (8, 1)  # c1 ... c8 only the model hit; c9 only the baseline
    assert m["vs_baseline"] == pytest.approx(0.7)
    # exact McNemar: 2 * P(X <= 1) for X ~ Binomial(9, 1/2) = 2 * (1 + 9) / 2**9
    assert m["vs_p_value"] == pytest.approx(20 / 512)
    same = evaluate_recommenders(lines, split="2025-07-01", k=1, models={"base": _Fixed(base), "m": _Fixed(base)},
                                 verbose=False)
    assert (same.loc["m", "gained"], same.loc["m", "lost"], same.loc["m", "vs_p_value"]) == (0, 0, 1.0)


def test_evaluate_recommenders_takes_the_customer_column():
    lines = purchase_lines(load_data("orders"), load_data("order_lines"), load_data("products"), verbose=False)
    lines = lines[lines["order_ts"] >= pd.Timestamp("2025-01-01")]  # a year keeps the test quick
    default = evaluate_recommenders(lines, split="2025-07-01", k=3, verbose=False)
    renamed = lines.rename(columns={"customer_id": "member", "order_ts": "paid_at"})
    named = evaluate_recommenders(renamed, split="2025-07-01", k=3, customer_col="member", time_col="paid_at",
                                  verbose=False)
    pd.testing.assert_frame_equal(named, default)
    with pytest.raises(CrmlabInputError, match=r"missing column\(s\) 'customer_id'"):
        evaluate_recommenders(renamed, split="2025-07-01", time_col="paid_at")
    small, ids = _held_out_shop(customer_col="member")
    offers = {c: f"t{i}" for i, c in enumerate(ids[:4])}  # four of ten customers hit
    result = evaluate_recommenders(small, split="2025-07-01", k=1, customer_col="member",
                                   models={"base": _Fixed({}, "member"), "m": _Fixed(offers, "member")}, verbose=False)
    assert result["hit_rate"].tolist() == [0.0, 0.4] and result.loc["m", "gained"] == 4


@pytest.mark.parametrize("call, fragment", [
    (lambda: association_rules(_baskets(), item_col="product_id"), r"missing column\(s\) 'product_id'"),
    (lambda: association_rules(_baskets().iloc[0:0]), r"lines is empty"),
    (lambda: association_rules(_baskets(), min_support=2), r"min_support must be a share"),
    (lambda: association_rules(_baskets(), min_count=0), r"min_count must be a whole number"),
    (lambda: PopularityRecommender().recommend(_baskets().rename(columns={"order_id": "customer_id"})), r"not fitted"),
    (lambda: CoPurchaseRecommender(score="magic"), r"score='magic'"),
    (lambda: PopularityRecommender(item_col="category").fit(_baskets().rename(columns={"order_id": "customer_id"}))
     .recommend(_baskets().rename(columns={"order_id": "customer_id"}), k=0), r"k must be a whole number"),
    (lambda: evaluate_recommenders(_baskets().assign(customer_id="a", order_ts="2025-01-01"), split="2030-01-01",
                                   item_col="category"), r"leaves no lines"),
    (lambda: evaluate_recommenders(_baskets().assign(customer_id="a", order_ts="2025-01-01"), split="2025-06-01",
                                   end="2025-01-01", item_col="category"), r"must be after split"),
])
def test_bad_input_is_named(call, fragment):
    with pytest.raises(CrmlabInputError, match=fragment):
        call()


def test_the_offers_widget_takes_the_customer_column():
    from crmlab.plots.personalise import offers_widget

    train = pd.DataFrame({"member": ["a", "b", "b", "c"], "product_id": ["x", "x", "y", "y"]})
    model = PopularityRecommender(customer_col="member").fit(train)
    w = offers_widget({"popularity": model}, train, customers=["a"], customer_col="member", k=1)
    assert "<b>bought 已购买:</b> x</p>" in w.children[1].value and "<td>y</td>" in w.children[1].value


def test_lines_without_an_item_are_reported(capsys):
    lines = _baskets()
    lines.loc[0, "category"] = None
    rules = association_rules(lines)
    assert rules.attrs["set_aside"] == {"lines without 'order_id' or 'category'": 1}
    assert "set aside 1 lines without" in capsys.readouterr().out


def test_recommender_fit_reports_lines_it_cannot_use(capsys):
    train = pd.DataFrame({"customer_id": ["a", None, "b"], "product_id": ["x", "x", None]})
    model = PopularityRecommender().fit(train)
    assert model.set_aside_ == {"lines without 'customer_id' or 'product_id'": 2}
    assert "PopularityRecommender.fit: set aside 2 lines" in capsys.readouterr().out
