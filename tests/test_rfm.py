"""crmlab.rfm: hand-computed RFM tables, scores (ties, quantiles, cut-offs), both segment schemes,
the planted truth of the sample company, CDNOW, and bad input."""
import numpy as np
import pandas as pd
import pytest

from crmlab.rfm import (CLASSES, RFM_GRID, SEGMENTS, rfm_classes, rfm_from_orders, rfm_scores, rfm_segments,
                        rfm_summary, rfm_table)
from crmlab.validation import CrmlabInputError


def _log():
    return pd.DataFrame({
        "customer_id": ["a", "a", "a", "b", "c", None, "b"],
        "order_ts": pd.to_datetime(["2025-12-31 23:59:00", "2025-06-01 10:00:00", "2026-01-01 00:00:00",
                                    "2025-12-02 08:00:00", "2024-12-31 12:00:00", "2025-12-01 00:00:00",
                                    "2025-11-30 09:00:00"]),
        "revenue": [100.0, 50.0, 999.0, 0.0, 20.0, 5.0, 30.0],
    })


# ------------------------------------------------------------------ the RFM table, by hand

def test_rfm_table_by_hand(capsys):
    rfm = rfm_table(_log(), as_of="2026-01-01")
    # a: last purchase 2025-12-31 23:59 -> 1 day; 2026-01-01 00:00 is on the analysis date: set aside
    # b: 2025-12-02 -> 30 days; a purchase worth 0 still counts; c: 2024-12-31 -> 366 days
    assert rfm.index.tolist() == ["a", "b", "c"]
    assert rfm["recency_days"].tolist() == [1, 30, 366]
    assert rfm["frequency"].tolist() == [2, 2, 1]
    assert rfm["monetary"].tolist() == [150.0, 30.0, 20.0]
    assert rfm["first_purchase"]["b"] == pd.Timestamp("2025-11-30 09:00:00")
    assert rfm.attrs["set_aside"] == {"purchases without a customer id": 1,
                                      "purchases on or after as_of 2026-01-01": 1}
    assert capsys.readouterr().out == ("rfm_table: set aside 1 purchases without a customer id, "
                                       "1 purchases on or after as_of 2026-01-01\n")
    assert rfm.attrs["rfm"]["as_of"] == "2026-01-01"


def test_time_unit_is_in_the_column_name():
    weeks = rfm_table(_log(), as_of="2026-01-01", time_unit="weeks", verbose=False)
    months = rfm_table(_log(), as_of="2026-01-01", time_unit="months", verbose=False)
    assert "recency_weeks" in weeks and "recency_days" not in weeks
    assert weeks["recency_weeks"].tolist() == pytest.approx([1 / 7, 30 / 7, 366 / 7])
    assert months["recency_months"].tolist() == pytest.approx([d / 30.4375 for d in (1, 30, 366)])


def test_window_start_sets_earlier_purchases_aside(capsys):
    rfm = rfm_table(_log(), as_of="2026-01-01", start="2025-07-01")
    assert rfm.index.tolist() == ["a", "b"]  # c bought only before the window
    assert rfm.loc["a", "frequency"] == 1 and rfm.loc["a", "monetary"] == 100.0
    assert rfm.attrs["set_aside"]["purchases before start 2025-07-01"] == 2
    assert "2 purchases before start 2025-07-01" in capsys.readouterr().out


def test_text_timestamps_and_amounts_are_read():
    log = _log().assign(order_ts=lambda d: d["order_ts"].dt.strftime("%Y/%m/%d %H:%M"),
                        revenue=lambda d: d["revenue"].astype(str))
    rfm = rfm_table(log, as_of="2026-01-01", verbose=False)
    assert rfm["recency_days"].tolist() == [1, 30, 366]
    assert rfm["monetary"].tolist() == [150.0, 30.0, 20.0]


def test_a_generic_log_with_other_column_names():
    log = _log().rename(columns={"customer_id": "cust", "order_ts": "when", "revenue": "units"})
    rfm = rfm_table(log, customer_col="cust", time_col="when", amount_col="units", as_of="2026-01-01",
                    verbose=False)
    assert rfm.index.name == "cust" and rfm["frequency"].sum() == 5


# ------------------------------------------------------------------ scores

RFM5 = pd.DataFrame({"recency_days": [5, 40, 40, 200, 400], "frequency": [1, 1, 1, 2, 3],
                     "monetary": [10.0, 20.0, 30.0, 40.0, 50.0]}, index=list("vwxyz"))


def test_quantile_scores_with_ties_by_hand():
    s = rfm_scores(RFM5)
    # frequency: 0, 0, 0, 3, 4 customers strictly below -> 1 + 5 * k // 5 = 1, 1, 1, 4, 5
    assert s["f_score"].tolist() == [1, 1, 1, 4, 5]
    # recency: customers with a strictly longer recency: 4, 2, 2, 1, 0 -> 5, 3, 3, 2, 1
    assert s["r_score"].tolist() == [5, 3, 3, 2, 1]
    assert s["m_score"].tolist() == [1, 2, 3, 4, 5]
    assert s["rfm_cell"].tolist() == ["511", "312", "313", "244", "155"]
    assert s.attrs["rfm_scores"]["frequency"]["rule"] == "quantiles"


def test_quantile_scores_split_evenly_without_ties_and_agree_with_equal_values():
    x = pd.DataFrame({"recency_days": np.arange(1, 21), "frequency": np.arange(1, 21),
                      "monetary": np.full(20, 7.0)})
    s = rfm_scores(x, q=4)
    assert s["f_score"].value_counts().sort_index().tolist() == [5, 5, 5, 5]
    assert s["r_score"].tolist() == sorted(s["r_score"], reverse=True)  # shorter recency, higher score
    assert set(s["m_score"]) == {1}  # everyone equal: everyone the same (lowest) score


def test_fixed_cutoffs_by_hand():
    rfm = pd.DataFrame({"recency_days": [30, 31, 90, 365, 366], "frequency": [1, 2, 4, 5, 10],
                        "monetary": [0.0, 200.0, 499.99, 500.0, 5000.0]})
    s = rfm_scores(rfm, cutoffs={"recency": [30, 90, 180, 365], "frequency": [2, 3, 5, 10],
                                 "monetary": [200, 500, 1000, 3000]})
    assert s["r_score"].tolist() == [5, 4, 4, 2, 1]  # "at most 30 days ago" scores 5
    assert s["f_score"].tolist() == [1, 2, 3, 4, 5]  # "at least 2 purchases" scores 2
    assert s["m_score"].tolist() == [1, 2, 2, 3, 5]


def test_cutoffs_for_some_measures_quantiles_for_the_others():
    s = rfm_scores(RFM5, cutoffs={"frequency": [2, 3]})
    assert s["f_score"].tolist() == [1, 1, 1, 2, 3]
    assert s["m_score"].tolist() == [1, 2, 3, 4, 5]
    assert s.attrs["rfm_scores"]["frequency"] == {"rule": "cutoffs", "cutoffs": [2.0, 3.0], "scores": 3}


# ------------------------------------------------------------------ segment schemes

def test_every_cell_of_the_grid_by_hand():
    r, f = np.meshgrid(np.arange(1, 6), np.arange(1, 6), indexing="ij")
    scored = pd.DataFrame({"r_score": r.ravel(), "f_score": f.ravel(), "m_score": f.ravel()})
    out = rfm_segments(scored)
    got = out.pivot(index="r_score", columns="fm_score", values="segment").astype(str)
    expected = {5: ["new_customers", "potential_loyalist", "loyal", "champions", "champions"],
                1: ["lost", "hibernating", "at_risk", "cant_lose", "cant_lose"],
                3: ["about_to_sleep", "about_to_sleep", "need_attention", "loyal", "loyal"]}
    for row, names in expected.items():
        assert got.loc[row].tolist() == names
    assert sorted(set(out["segment"].astype(str))) == sorted(s[0] for s in SEGMENTS)  # all 11 used
    assert len(SEGMENTS) == 11 and np.array(RFM_GRID).shape == (5, 5)


def test_fm_score_rounds_half_up_and_names_are_bilingual():
    out = rfm_segments(pd.DataFrame({"r_score": [5, 2, 4], "f_score": [3, 1, 1], "m_score": [4, 2, 4]}))
    assert out["fm_score"].tolist() == [4, 2, 3]
    assert out["segment"].tolist() == ["champions", "hibernating", "loyal"]
    assert out["segment_zh"].tolist() == ["冠军客户", "沉睡客户", "忠诚客户"]
    assert out["segment_en"].tolist() == ["Champions", "Hibernating", "Loyal customers"]


def test_the_grid_needs_five_scores():
    with pytest.raises(CrmlabInputError, match="scores 1-5.*'q': 4|scores 1-5.*4"):
        rfm_segments(rfm_scores(RFM5, q=4))
    with pytest.raises(CrmlabInputError, match="needs scores 1-5.*in row 0"):
        rfm_segments(pd.DataFrame({"r_score": [6], "f_score": [1], "m_score": [1]}))


def test_messages_name_customer_ids():
    rfm = RFM5.set_axis(pd.Index(["C1", "C2", "C3", "C4", "C5"], name="customer_id"))
    with pytest.raises(CrmlabInputError, match="'frequency' has missing or non-numeric values for customer C3\\.$"):
        rfm_scores(rfm.assign(frequency=[1, 1, np.nan, 2, 3]))
    with pytest.raises(CrmlabInputError, match="'monetary' has missing or non-numeric values for customers C1, C2\\.$"):
        rfm_classes(rfm.assign(monetary=[np.nan, "x", 1.0, 2.0, 3.0]))
    with pytest.raises(CrmlabInputError, match="needs scores 1-5; found others for customer C5\\."):
        rfm_segments(rfm_scores(rfm).assign(r_score=[1, 2, 3, 4, 6]))


def test_eight_classes_by_hand():
    # Means: recency 155, frequency 3, monetary 500. Ties at the mean count as high.
    rfm = pd.DataFrame({"recency_days": [10, 10, 10, 10, 300, 300, 300, 300, 155],
                        "frequency": [5, 1, 5, 1, 5, 1, 5, 1, 3],
                        "monetary": [900.0, 900.0, 100.0, 100.0, 900.0, 900.0, 100.0, 100.0, 500.0]})
    out = rfm_classes(rfm)
    assert out.attrs["rfm_classes"]["points"] == {"recency_days": 155.0, "frequency": 3.0, "monetary": 500.0}
    assert out["rfm_class_zh"].tolist() == ["重要价值客户", "重要发展客户", "一般价值客户", "一般发展客户",
                                           "重要保持客户", "重要挽留客户", "一般保持客户", "一般挽留客户",
                                           "重要价值客户"]
    for key, _, _, r, f, m in CLASSES:  # the table of the docstring, row by row
        row = out[out["rfm_class"] == key].iloc[0]
        assert (row["r_high"], row["f_high"], row["m_high"]) == (r, f, m)


def test_eight_classes_by_median_and_on_scores():
    rfm = pd.DataFrame({"recency_days": [1, 2, 3, 400], "frequency": [1, 1, 2, 50], "monetary": [1.0, 2.0, 3.0, 1e5]})
    by_mean = rfm_classes(rfm)
    by_median = rfm_classes(rfm, split="median")
    # One huge customer drags the means: only it is "high" on F and M by the mean.
    assert by_mean["m_high"].tolist() == [False, False, False, True]
    assert by_median["m_high"].tolist() == [False, False, True, True]
    given = rfm_classes(rfm, split={"recency": 2, "frequency": 2, "monetary": 3.0})
    # recent: recency <= 2; high: frequency >= 2, monetary >= 3
    assert given["rfm_class"].tolist() == ["general_develop", "general_develop", "important_retain", "important_retain"]
    assert given.attrs["rfm_classes"]["points"] == {"recency_days": 2.0, "frequency": 2.0, "monetary": 3.0}
    scored = rfm_classes(rfm_scores(rfm, q=4), on="scores")
    assert scored.attrs["rfm_classes"]["on"] == "scores"
    assert scored["r_high"].tolist() == [True, True, False, False]


def test_summary_counts_every_customer_once():
    out = rfm_segments(rfm_scores(RFM5))
    summary = rfm_summary(out)
    assert summary["customers"].sum() == len(RFM5) and len(summary) == 11
    assert summary["share_monetary"].sum() == pytest.approx(1.0)
    assert summary.loc["champions", "name_zh"] == "冠军客户"


# ------------------------------------------------------------------ the sample company and CDNOW

@pytest.fixture(scope="module")
def retail():
    from crmlab.datasets import load_data

    return {n: load_data(n) for n in ("orders", "order_lines", "customer_truth")}


def test_every_purchase_is_counted_once_and_returns_follow_the_stated_rule(retail):
    orders, lines = retail["orders"], retail["order_lines"]
    excl = rfm_from_orders(orders, lines, as_of="2026-01-01", verbose=False)
    zero = rfm_from_orders(orders, lines, as_of="2026-01-01", returns="zero", verbose=False)
    n = orders["status"].value_counts()
    assert excl["frequency"].sum() == n["completed"]
    assert zero["frequency"].sum() == n["completed"] + n["returned"]
    assert zero["monetary"].sum() == pytest.approx(excl["monetary"].sum())  # a return earns nothing
    assert excl.attrs["set_aside"] == {"cancelled orders": n["cancelled"], "returned orders": n["returned"]}
    completed = orders.loc[orders["status"] == "completed", "order_id"]
    assert excl["monetary"].sum() == pytest.approx(lines.loc[lines["order_id"].isin(completed), "net_amount"].sum())


def test_the_order_of_the_log_does_not_change_the_table(retail):
    from crmlab.transactions import purchases

    log = purchases(retail["orders"], retail["order_lines"], verbose=False)  # sorted by customer
    ordered = rfm_table(log, as_of="2026-01-01", verbose=False)
    shuffled = rfm_table(log.sample(frac=1, random_state=7), as_of="2026-01-01", verbose=False)
    assert ordered.index.is_monotonic_increasing and not shuffled.index.is_monotonic_increasing
    pd.testing.assert_frame_equal(shuffled.sort_index(), ordered, check_exact=False)


@pytest.mark.parametrize("text", [object, "str", "string", "category"])
def test_customer_ids_held_as_objects_pyarrow_or_categories_give_the_same_table(retail, text):
    from crmlab.transactions import purchases

    log = purchases(retail["orders"], retail["order_lines"], verbose=False).astype({"customer_id": object})
    log.loc[log.index[::50], "customer_id"] = None  # set aside: their rows end no run of ids
    want = rfm_table(log, as_of="2025-06-01", verbose=False)
    got = rfm_table(log.astype({"customer_id": text}), as_of="2025-06-01", verbose=False)
    pd.testing.assert_frame_equal(got, want)  # the index holds the ids as text, whatever held them
    assert got.attrs == want.attrs
    shuffled = log.sample(frac=1, random_state=3)  # no runs of ids: hashed and sorted first
    got = rfm_table(shuffled.astype({"customer_id": text}), as_of="2025-06-01", verbose=False)
    pd.testing.assert_frame_equal(got, rfm_table(shuffled, as_of="2025-06-01", verbose=False))


def test_ids_that_repeat_after_other_ids_are_merged_into_one_customer():
    log = pd.DataFrame({"customer_id": ["b", "b", "a", "b", "c"],
                        "order_ts": pd.to_datetime(["2025-01-01", "2025-02-01", "2025-03-01", "2025-04-01",
                                                    "2025-05-01"]),
                        "revenue": [1.0, 2.0, 4.0, 8.0, 16.0]})
    for text in (object, "str"):
        rfm = rfm_table(log.astype({"customer_id": text}), as_of="2026-01-01", verbose=False)
        assert rfm.index.tolist() == ["b", "a", "c"]  # first appearance
        assert rfm["frequency"].tolist() == [3, 1, 1] and rfm["monetary"].tolist() == [11.0, 4.0, 16.0]


def test_segment_and_class_names_are_text_columns():
    rfm = pd.DataFrame({"recency_days": [5, 40, 40, 200, 400], "frequency": [1, 1, 1, 2, 3],
                        "monetary": [10.0, 20.0, 30.0, 40.0, 50.0]})
    text = pd.Series(["x"]).dtype  # what pandas makes of a column of Python strings
    out = rfm_segments(rfm_scores(rfm))
    names = {key: (en, zh) for key, en, zh, _ in SEGMENTS}
    assert out["segment_en"].dtype == text and out["segment_zh"].dtype == text
    assert list(zip(out["segment_en"], out["segment_zh"])) == [names[k] for k in out["segment"]]
    classes = rfm_classes(rfm)
    names = {c[0]: (c[1], c[2]) for c in CLASSES}
    assert classes["rfm_class_en"].dtype == text and classes["rfm_class_zh"].dtype == text
    assert list(zip(classes["rfm_class_en"], classes["rfm_class_zh"])) == [names[k] for k in classes["rfm_class"]]


def test_rfm_on_margin_counts_loss_making_purchases_as_zero(retail, capsys):
    out = rfm_from_orders(retail["orders"], retail["order_lines"], as_of="2026-01-01", value="margin")
    assert out.attrs["rfm"]["loss_making_purchases"] > 0
    assert f"{out.attrs['rfm']['loss_making_purchases']} loss-making purchases kept with margin 0" in capsys.readouterr().out
    assert (out["monetary"] >= 0).all()


def test_scores_follow_the_planted_behaviour(retail):
    rfm = rfm_from_orders(retail["orders"], retail["order_lines"], as_of="2026-01-01", verbose=False)
    out = rfm_segments(rfm_scores(rfm))
    truth = retail["customer_truth"].set_index("customer_id").loc[out.index]
    # F scores rank the planted purchase rates, M scores the planted mean spend.
    rate = truth["purchase_rate"].groupby(out["f_score"]).mean()
    spend = truth["mean_spend"].groupby(out["m_score"]).mean()
    assert rate.is_monotonic_increasing and rate[5] > 3 * rate[1]  # measured 0.163 vs 0.045
    assert spend.is_monotonic_increasing and spend[5] > 3 * spend[1]  # measured 443 vs 113
    # Customers who truly left half a year before the analysis date have low R scores.
    gone = truth["dropout_ts"] < pd.Timestamp("2025-07-01")
    r = out["r_score"].groupby(gone).mean()
    assert r[True] < 2.2 < 3.2 < r[False]  # measured 1.81 vs 3.65
    # Champions hold far more of the planted VIPs than the customers overall.
    vip = truth["segment"] == "vip"
    assert vip[out["segment"] == "champions"].mean() > 2 * vip.mean()  # measured 0.25 vs 0.10


def test_cdnow_through_the_generic_log():
    from crmlab.datasets import load_data

    cdnow = load_data("cdnow_sample")
    rfm = rfm_table(cdnow, time_col="date", amount_col="amount", as_of="1998-07-01", time_unit="weeks",
                    verbose=False)
    assert len(rfm) == cdnow["customer_id"].nunique() == 2357
    assert rfm["frequency"].sum() == len(cdnow)
    assert rfm["monetary"].sum() == pytest.approx(cdnow["amount"].sum())
    last = cdnow.groupby("customer_id")["date"].max()
    assert rfm["recency_weeks"].to_numpy() == pytest.approx(((pd.Timestamp("1998-07-01") - last).dt.days / 7).to_numpy())
    # RFA: the quantity bought in place of the amount
    rfa = rfm_table(cdnow, time_col="date", amount_col="quantity", as_of="1998-07-01", verbose=False)
    assert rfa["monetary"].sum() == cdnow["quantity"].sum()


# ------------------------------------------------------------------ bad input

def _with(**changes):
    log = _log()
    for column, values in changes.items():
        log[column] = values
    return log


@pytest.mark.parametrize("call, fragment", [
    (lambda: rfm_table(_log().drop(columns="revenue"), as_of="2026-01-01"), r"missing column\(s\) 'revenue'"),
    (lambda: rfm_table(_log().rename(columns={"order_ts": "order_time"}), as_of="2026-01-01"),
     "did you mean 'order_time'"),
    (lambda: rfm_table(_with(revenue=[100, "12,5元", 1, 1, 1, 1, 1]), as_of="2026-01-01"),
     r"'revenue' has values that are missing or not numbers in row 1, e.g. '12,5元'"),
    (lambda: rfm_table(_with(revenue=[100, np.nan, 1, 1, 1, 1, 1]), as_of="2026-01-01"), "row 1"),
    (lambda: rfm_table(_with(revenue=[100, -50, 1, 1, 1, 1, 1]), as_of="2026-01-01"),
     r"must be >= 0; it is not in row 1.*crmlab.transactions.purchases"),
    (lambda: rfm_table(_with(revenue=[True] * 7), as_of="2026-01-01"), "must hold numbers"),
    (lambda: rfm_table(_with(order_ts=["2025-01-01", "yesterday", "2025-01-01", "2025-13-45", "2025-01-01",
                                       "2025-01-01", "2025-01-01"]), as_of="2026-01-01"),
     r"'order_ts' has values that are not dates in rows 1, 3.*'yesterday'"),
    (lambda: rfm_table(_with(order_ts=["2025-01-01 10:00:00+08:00", "2025-01-01 10:00:00", "2025-01-01 02:00:00Z",
                                       "2025-01-01", "2025-01-01", "2025-01-01", "2025-01-01"]),
                       as_of="2026-01-01"), "time-zone"),
    (lambda: rfm_table(_with(order_ts=_log()["order_ts"].dt.tz_localize("Asia/Shanghai")), as_of="2026-01-01"),
     r"carries a time zone.*tz_localize\(None\)"),
    (lambda: rfm_table(_with(order_ts=[20250101] * 7), as_of="2026-01-01"), r"holds numbers \(int64\), not dates"),
    (lambda: rfm_table(_with(order_ts=list(_log()["order_ts"][:6]) + [pd.NaT]), as_of="2026-01-01"),
     "'order_ts' is empty in row 6"),
    (lambda: rfm_table(_log().iloc[0:0], as_of="2026-01-01"), "transactions is empty"),
    (lambda: rfm_table(_log(), as_of="2026-01-01 12:00"), "without a time of day.*'2026-01-02'"),
    (lambda: rfm_table(_log(), as_of="2026-01-01T00:00+08:00"), "carries a time zone"),
    (lambda: rfm_table(_log(), as_of="next monday"), "must be a date"),
    (lambda: rfm_table(_log(), as_of=None), "must be a date"),
    (lambda: rfm_table(_log(), as_of="2020-01-01"), "no purchase.*Choose an as_of date after"),
    (lambda: rfm_table(_log(), as_of="2026-01-01", start="2026-02-01"), "must be before as_of"),
    (lambda: rfm_table(_log(), as_of="2026-01-01", time_unit="day"), "is not one of .*Did you mean 'days'"),
    (lambda: rfm_table(_log().to_numpy(), as_of="2026-01-01"), "must be a pandas DataFrame"),
    (lambda: rfm_scores(RFM5, q=1), "q must be a whole number from 2 to 9"),
    (lambda: rfm_scores(RFM5, q=10), "q must be a whole number from 2 to 9"),
    (lambda: rfm_scores(RFM5, cutoffs={"recency": [90, 30]}), "must be 1 to 8 increasing numbers"),
    (lambda: rfm_scores(RFM5, cutoffs={"frequency": ["a", "b"]}), "must be 1 to 8 increasing numbers"),
    (lambda: rfm_scores(RFM5, cutoffs={"monetary": list(range(9))}), "must be 1 to 8 increasing numbers"),
    (lambda: rfm_scores(RFM5, cutoffs={"monetary": []}), "must be 1 to 8 increasing numbers"),
    (lambda: rfm_scores(RFM5, cutoffs={"r": [1, 2]}), r"unknown key\(s\) \['r'\]"),
    (lambda: rfm_scores(RFM5.rename(columns={"recency_days": "recency"})), "exactly one recency column"),
    (lambda: rfm_scores(RFM5.assign(recency_weeks=1.0)), "exactly one recency column"),
    (lambda: rfm_scores(RFM5.assign(monetary=[1.0, None, 2.0, 3.0, 4.0])), "'monetary' has missing"),
    (lambda: rfm_scores(RFM5.iloc[0:0]), "rfm is empty"),
    (lambda: rfm_classes(RFM5, split="mode"), "use 'mean', 'median' or a dict"),
    (lambda: rfm_classes(RFM5, split={"recency": 30, "frequency": 2}), "a number for each of"),
    (lambda: rfm_classes(RFM5, split={"recency": 30, "frequency": 2, "monetary": "high"}), "a number for each of"),
    (lambda: rfm_classes(RFM5, on="scores"), r"missing column\(s\) 'r_score'"),
    (lambda: rfm_segments(RFM5), r"missing column\(s\) 'r_score'"),
    (lambda: rfm_summary(RFM5, by="segment"), r"missing column\(s\) 'segment'"),
])
def test_bad_input_is_rejected_with_the_fix(call, fragment):
    with pytest.raises(CrmlabInputError, match=fragment):
        call()


def test_bad_orders_reach_the_rfm_through_purchases(retail):
    with pytest.raises(CrmlabInputError, match="column 'net_amount' must be"):
        rfm_from_orders(retail["orders"], retail["order_lines"].assign(net_amount=-1.0), as_of="2026-01-01")
    with pytest.raises(CrmlabInputError, match="not one of \\['revenue', 'margin'\\]"):
        rfm_from_orders(retail["orders"], retail["order_lines"], as_of="2026-01-01", value="profit")


def test_frequency_counts_rows_where_the_clv_summary_merges_same_day_purchases():
    # Two orders on one day: two purchases for RFM, one transaction for the CLV models (both docstrings say so).
    from crmlab import clv

    log = pd.DataFrame({"customer_id": ["a", "a", "a", "b"],
                        "order_ts": pd.to_datetime(["2025-03-01 09:00", "2025-03-01 18:00", "2025-05-01 10:00",
                                                    "2025-06-01 10:00"]),
                        "revenue": [10.0, 20.0, 5.0, 8.0]})
    assert rfm_table(log, as_of="2026-01-01", verbose=False)["frequency"].to_dict() == {"a": 3, "b": 1}
    s = clv.summary(log, calibration_end="2025-12-31", verbose=False)
    assert s["repeat_purchases"].to_dict() == {"a": 1, "b": 0} and s.attrs["merged_same_day"] == 1
    assert s.loc["a", "monetary_value"] == 5.0   # the merged first day (30) is the first transaction
