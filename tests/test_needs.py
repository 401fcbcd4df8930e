import numpy as np
import pandas as pd
import pytest

from crmlab.customisation import customisation_by_segment, customisation_types
from crmlab.datasets import load_data
from crmlab.needs import needs_differences, needs_profile, needs_summary, price_bands, purchase_lines
from crmlab.rfm import CLASSES, SEGMENTS
from crmlab.validation import CrmlabInputError


def _shop():
    orders = pd.DataFrame({
        "order_id": ["O1", "O2", "O3", "O4", "O5"],
        "customer_id": ["a", "a", "a", "b", "b"],
        "order_ts": pd.to_datetime(["2025-06-18 20:00", "2025-07-05 09:30", "2025-07-20 21:00",
                                    "2025-11-11 00:30", "2025-11-12 10:00"]),
        "channel": ["app", "app", "store", "web", "web"],
        "store_id": ["", "", "S01", "", ""],
        "payment_method": ["alipay", "alipay", "cash", "wechat_pay", "wechat_pay"],
        "status": ["completed", "completed", "completed", "completed", "cancelled"],
    })
    lines = pd.DataFrame({
        "order_id": ["O1", "O1", "O2", "O3", "O4", "O5"],
        "line_no": [1, 2, 1, 1, 1, 1],
        "product_id": ["P1", "P3", "P1", "P2", "P4", "P4"],
        "quantity": [1, 3, 1, 2, 1, 1],
        "unit_price": [10.0, 30.0, 10.0, 20.0, 500.0, 500.0],
        "discount_rate": [0.2, 0.2, 0.0, 0.1, 0.3, 0.0],
        "net_amount": [8.0, 72.0, 10.0, 36.0, 350.0, 500.0],
        "cost": [5.0, 40.0, 5.0, 20.0, 300.0, 300.0],
    })
    products = pd.DataFrame({
        "product_id": ["P1", "P2", "P3", "P4"], "category": ["food", "food", "food", "home"],
        "subcategory": ["零食", "牛奶", "茶叶", "灯具"], "list_price": [10.0, 20.0, 30.0, 500.0],
    })
    return orders, lines, products


def test_price_bands_are_thirds_within_a_category():
    assert price_bands(_shop()[2]).tolist() == ["low", "mid", "high", "low"]


def test_purchase_lines_follow_the_purchase_rule(capsys):
    lines = purchase_lines(*_shop())
    assert sorted(lines["order_id"].unique()) == ["O1", "O2", "O3", "O4"]  # the cancelled O5 is not a purchase
    assert "set aside 1 cancelled orders" in capsys.readouterr().out
    assert lines.loc[lines["order_id"] == "O3", "store_id"].tolist() == ["S01"]
    assert lines.loc[lines["order_id"] == "O1", "price_band"].tolist() == ["low", "high"]


def test_needs_profile_by_hand():
    p = needs_profile(purchase_lines(*_shop(), verbose=False), end="2026-01-01", verbose=False)
    a, b = p.loc["a"], p.loc["b"]
    assert a["top_category"] == "food" and a["top_category_share"] == 1.0
    assert (a["top_daypart"], a["top_season"]) == ("evening", "summer")  # 20:00 and 21:00; June-July
    assert a["festival_share"] == pytest.approx(1 / 3)  # 18 June is 618
    assert (a["top_channel"], a["top_store"], a["top_payment"]) == ("app", "S01", "alipay")
    assert a["items_per_purchase"] == pytest.approx((4 + 1 + 2) / 3)
    assert a["days_between"] == pytest.approx((pd.Timestamp("2025-07-20 21:00") - pd.Timestamp("2025-06-18 20:00")).total_seconds() / 86400 / 2)
    assert a["purchases"] == 3 and a["purchases_last_12m"] == 3
    assert b["top_daypart"] == "night" and b["festival_share"] == 1.0 and pd.isna(b["days_between"])
    assert pd.isna(b["top_store"])  # never in a store
    assert b["top_price_band"] == "low" and b["mean_discount"] == pytest.approx(0.3)


def test_why_is_joined_from_answers_and_summary_by_segment():
    lines = purchase_lines(*_shop(), verbose=False)
    p = needs_profile(lines, reasons=pd.Series({"a": "price"}), verbose=False)
    assert p["why"].tolist() == ["price", pd.NA]
    summary = needs_summary(p.assign(segment=["S", "S"]), by="segment")
    assert needs_summary(p.assign(segment=["S", None]), by="segment", verbose=False).attrs["set_aside"] == {
        "customers without a 'segment'": 1}
    assert summary.loc["S", "customers"] == 2
    assert summary.loc["S", "why_share_of_segment"] == 1.0  # among those who answered
    assert summary.loc["S", "purchases"] == pytest.approx(2.0)


def test_needs_profile_separates_the_planted_segments():
    """Planted: vip customers buy often and spend most per order, occasional buyers rarely."""
    orders, order_lines, products = load_data("orders"), load_data("order_lines"), load_data("products")
    profile = needs_profile(purchase_lines(orders, order_lines, products, verbose=False), end="2026-01-01", verbose=False)
    truth = load_data("customer_truth").set_index("customer_id")
    joined = profile.join(truth[["segment", "mean_spend"]])
    summary = needs_summary(joined, by="segment")
    assert summary.loc["vip", "spend_per_purchase"] > 2 * summary.loc["occasional", "spend_per_purchase"]
    assert summary.loc["vip", "days_between"] < summary.loc["occasional", "days_between"]
    assert summary.loc["vip", "top_price_band"] == "high"
    many = joined[joined["purchases"] >= 5]
    assert np.corrcoef(np.log(many["spend_per_purchase"]), np.log(many["mean_spend"]))[0, 1] > 0.9  # 0.97 measured
    assert profile.index.is_unique and len(profile) == orders.loc[orders["status"] == "completed", "customer_id"].nunique()


def test_ties_go_to_the_most_recent_purchase():
    # one afternoon and one evening purchase: the tie goes to the later one, whichever it is
    def profile(hours):
        stamps = pd.to_datetime([f"2025-03-03 {hours[0]}:00", f"2025-04-07 {hours[1]}:00"])
        lines = pd.DataFrame({"customer_id": "a", "order_id": ["o1", "o2"], "order_ts": stamps,
                              "channel": ["store", "app"], "store_id": ["S01", None], "payment_method": "cash",
                              "category": ["food", "home"], "price_band": ["low", "high"], "quantity": 1,
                              "unit_price": 10.0, "discount_rate": 0.0, "net_amount": 10.0})
        return needs_profile(lines, end="2026-01-01", verbose=False).loc["a"]
    late_evening, late_afternoon = profile(["14", "20"]), profile(["20", "14"])
    assert late_evening["top_daypart"] == "evening" and late_afternoon["top_daypart"] == "afternoon"
    # the line-level choices tie too: the later order's category and band
    assert (late_evening["top_category"], late_evening["top_price_band"]) == ("home", "high")
    assert (late_evening["top_channel"], late_evening["top_category_share"]) == ("app", 0.5)


def test_needs_differences_find_the_planted_difference():
    rng = np.random.default_rng(7)
    n = 400
    segment = np.repeat(["A", "B"], n)
    # the segments differ in channel (80 % vs 20 % app) but not in daypart or spend
    prof = pd.DataFrame({"segment": segment,
                         "top_channel": np.where(rng.random(2 * n) < np.repeat([0.8, 0.2], n), "app", "store"),
                         "top_daypart": rng.choice(["afternoon", "evening"], 2 * n),
                         "spend_per_purchase": rng.gamma(2.0, 50.0, 2 * n),
                         "why": None})
    prof.loc[[1, 2, n, n + 1], "why"] = ["price", "price", "habit", "habit"]  # four surveyed customers
    t = needs_differences(prof.assign(segment=lambda d: d["segment"].where(d.index != 0)), by="segment",
                          verbose=False)
    assert t.attrs["set_aside"] == {"customers without a 'segment'": 1}
    assert t.loc["top_channel", "p_value"] < 1e-20 and t.loc["top_channel", "effect_size"] == pytest.approx(0.6, abs=0.08)
    assert t.loc["top_daypart", "p_value"] > 0.001 and t.loc["top_daypart", "effect_size"] < 0.1
    assert t.loc["spend_per_purchase", "p_value"] > 0.001 and t.loc["spend_per_purchase", "effect_size"] < 0.02
    assert t["kind"].tolist() == ["choice"] * 3 + ["number"]  # choices first, each kind by effect size
    assert t.loc[t["kind"] == "choice", "effect_size"].is_monotonic_decreasing
    # four survey answers split by segment: a "perfect" V of 1, flagged as resting on tiny expected counts
    assert t.loc["why", "customers"] == 4 and t.loc["why", "effect_size"] == pytest.approx(1.0)
    assert t.loc["why", "small_expected"] == 1.0 and t.loc["top_channel", "small_expected"] == 0.0
    # Cramér's V by hand for a 2 x 2 table: sqrt(chi2 / n)
    table = pd.crosstab(prof["segment"].iloc[1:], prof["top_channel"].iloc[1:]).to_numpy()
    expected = table.sum(1, keepdims=True) * table.sum(0, keepdims=True) / table.sum()
    chi2 = ((table - expected) ** 2 / expected).sum()
    assert t.loc["top_channel", "effect_size"] == pytest.approx(np.sqrt(chi2 / table.sum()))


def test_needs_summary_counts_the_answers():
    prof = pd.DataFrame({"segment": ["A", "A", "A", "B"], "why": ["price", None, "price", None],
                         "top_channel": ["app", "app", "web", "web"]})
    summary = needs_summary(prof, by="segment", verbose=False)
    assert summary["why_answers"].tolist() == [2, 0] and summary["top_channel_answers"].tolist() == [3, 1]
    assert summary.loc["A", "why_share_of_segment"] == 1.0 and pd.isna(summary.loc["B", "why"])


def test_customisation_tables_cover_the_chapter_4_segments():
    types = customisation_types()
    assert types.index.tolist() == ["adaptive", "cosmetic", "collaborative", "transparent"]  # the course's order
    # Gilmore & Pine: adaptive changes neither, cosmetic the presentation, collaborative both, transparent the product
    assert types[["changes_product", "changes_presentation"]].values.tolist() == [[False, False], [False, True],
                                                                                 [True, True], [True, False]]
    # the course's wording (规模定制方式): the customer changes it / with the name / talk / without telling
    assert types["course_zh"].str.contains("客户可以自己改变|含名字产品|与客户交谈|不必告诉").all()
    assert types["course_example"].notna().tolist() == [True, True, False, False]  # the course names two
    assert customisation_by_segment().index.tolist() == [c[0] for c in CLASSES]
    by_segment = customisation_by_segment(scheme="rfm_segments")
    assert by_segment.index.tolist() == [s[0] for s in SEGMENTS]
    assert set(by_segment["type"]) == set(types.index)
    needs = pd.DataFrame({"customers": [10], "top_category": ["beauty"]}, index=pd.Index(["champions"], name="segment"))
    joined = customisation_by_segment(scheme="rfm_segments", needs=needs)
    assert joined.loc["champions", "top_category"] == "beauty" and pd.isna(joined.loc["lost", "top_category"])


@pytest.mark.parametrize("call, fragment", [
    (lambda o, l, p: price_bands(p.assign(list_price=[10, 0, 30, 500])), r"'list_price' must be > 0"),
    (lambda o, l, p: price_bands(pd.concat([p, p.iloc[[0]]])), r"product_id is not unique"),
    (lambda o, l, p: purchase_lines(o.drop(columns="payment_method"), l, p), r"missing column\(s\) 'payment_method'"),
    (lambda o, l, p: purchase_lines(o, l.assign(quantity=[1, 0, 1, 2, 1, 1]), p), r"'quantity' must be a whole number > 0"),
    (lambda o, l, p: needs_profile(purchase_lines(o, l, p, verbose=False).iloc[0:0]), r"lines is empty"),
    (lambda o, l, p: needs_profile(purchase_lines(o, l, p, verbose=False), end="2025-06-01"), r"no line is left"),
    (lambda o, l, p: needs_profile(purchase_lines(o, l, p, verbose=False), reasons={"a": "price"}), r"reasons must be a Series"),
    (lambda o, l, p: needs_summary(pd.DataFrame({"x": [1]}), by="segment"), r"profile is missing column"),
    (lambda o, l, p: customisation_by_segment(scheme="abc"), r"scheme='abc'"),
    (lambda o, l, p: needs_differences(pd.DataFrame({"s": ["A", "A"], "purchases": [1, 2]}), by="s"),
     r"column 's' has fewer than 2 segments"),
    (lambda o, l, p: customisation_by_segment(needs=pd.DataFrame({"customers": [1]}, index=["vip"])), r"not in scheme"),
])
def test_bad_input_is_named(call, fragment):
    with pytest.raises(CrmlabInputError, match=fragment):
        call(*_shop())


def test_unknown_products_are_set_aside(capsys):
    orders, lines, products = _shop()
    out = purchase_lines(orders, lines, products[products["product_id"] != "P3"])
    assert out.attrs["set_aside"]["lines with a product_id not in products"] == 1
    assert "1 lines with a product_id not in products" in capsys.readouterr().out
