"""Notebook 10 (data mining: churn prediction) says only what the data show: the planted numbers its prose
quotes are the answer key's, its results sentences are printed by its cells (so nbval compares them) and are
recomputed here with crmlab from the shipped data, and no printed table carries an interval on a number
fixed by definition."""
import re

import pandas as pd
import pytest
from _notebooks import cells, numbers, outputs, prose, sentence

from crmlab.datasets import load_data, load_truth
from crmlab.mining import calibration_table, churn_dataset, churn_model, compare_auc, gains_table, predict_churn
from crmlab.transactions import purchases

NB = "10_data_mining"
FEATURES = ["recency_days", "frequency", "monetary", "tenure_days"]


@pytest.fixture(scope="module")
def fitted():
    bought = purchases(load_data("orders"), load_data("order_lines"), verbose=False)
    train = churn_dataset(bought, cutoff="2024-07-01", verbose=False)
    test = churn_dataset(bought, cutoff="2025-07-01", verbose=False)
    model = churn_model(train, features=FEATURES, log_features=FEATURES[1:])
    return train, test.assign(p=predict_churn(model, test))


def _printed():
    return " ".join("".join(o["data"]["text/markdown"]) for _, o in outputs(NB) if "text/markdown" in o.get("data", {}))


def test_the_planted_numbers_are_the_answer_keys():
    p = load_truth()["parameters"]
    said = sentence(NB, "low satisfaction multiplies")
    assert numbers(said)[:2] == [p["satisfaction"]["dropout_multiplier"]["dissatisfied"],
                                 p["satisfaction"]["dropout_multiplier"]["highly_satisfied"]]
    stay = sentence(NB, "stays with probability")
    assert numbers(stay)[-3:] == [p["stay_prob"]["resolved_satisfied"], p["stay_prob"]["resolved_unsatisfied"],
                                  p["stay_prob"]["unresolved"]]
    assert "1 in 27" in _printed() and round(1 / p["complaint_prob"]) == 27


def test_the_churn_rule_is_the_one_of_chapters_4_and_7():
    text = prose(NB)
    assert "180 days without a purchase" in text and "customer_lifetimes" in text
    assert "2024-07-01" in text and "2025-07-01" in text


def test_results_are_printed_by_cells_and_recomputed(fitted):
    train, test = fitted
    auc = compare_auc(test["churned"], test["p"], test["recency_days"])
    said = _printed()
    assert f"AUC is {auc.loc['score', 'auc']:.3f}, recency alone {auc.loc['baseline', 'auc']:.3f}" in said
    assert auc.loc["difference", "auc_low"] > 0 and "Small but real" in said
    top = calibration_table(test["churned"], test["p"]).iloc[-1]
    assert top["predicted"] > top["observed_high"]                 # "overstate churn" (question 3, section 3)
    assert train["churned"].mean() > test["churned"].mean()
    g = gains_table(test["churned"], test["p"]).iloc[0]
    assert f"top decile holds {int(g['churners'])} churners of {int(g['customers'])} customers" in said


def test_no_number_in_the_static_prose_is_a_result(fitted):
    # Results live in Markdown outputs; the static cells hold only definitions, dates, planted values, assumptions
    # (0.7 and "7 in 10" explain calibration) and the size of a calibration group, checked here.
    _, test = fitted
    assert round(len(test) / 10, -1) == 320
    # 2509 is the campaign id X2509, 0.15 its 15 % coupon (the campaigns table)
    allowed = {0.5, 0.7, 0.1, 0.2, 1.8, 0.6, 0.88, 0.50, 0.25, 320, 2509, 0.15}
    stray = [n for n in numbers(re.sub(r"\d{4}-\d\d-\d\d", "", prose(NB))) if n not in allowed and not (n.is_integer() and (0 <= n <= 27 or n in
                                                                                             (180, 2024, 2025)))]
    assert not stray, stray


def test_discussion_questions_close_the_notebook():
    last = "".join(cells(NB)[-1]["source"])
    assert "课堂讨论 (discussion questions)" in last and "5. " in last


def test_response_uplift_and_cluster_and_rule_sentences_are_recomputed():
    from crmlab.mining import (cluster_segments, response_scores, response_uplift_by_decile, rules_holdout,
                               segment_agreement)
    from crmlab.needs import purchase_lines
    from crmlab.rfm import rfm_classes, rfm_from_orders

    said = _printed()
    orders, lines = load_data("orders"), load_data("order_lines")
    before = rfm_from_orders(orders, lines, as_of="2025-09-01", verbose=False)
    before["tenure_days"] = (pd.Timestamp("2025-09-01") - before["first_purchase"]).dt.days
    scored = response_scores(load_data("campaign_assignment"), before, features=FEATURES,
                             log_features=FEATURES[1:], campaign_id="X2509")
    d = response_uplift_by_decile(scored, verbose=False)
    top, trend = d.iloc[0], d.attrs["trend"]
    assert f"uplift there is {top['uplift'] * 100:+.1f} points" in said
    assert trend["ci_low"] < 0 < trend["ci_high"] and "cannot establish that it rises or falls" in said
    assert top["ci_low"] < 0 < top["ci_high"] and "cannot establish that their uplift is smaller" in said
    rfm = rfm_from_orders(orders, lines, as_of="2026-01-01", verbose=False)
    ari = segment_agreement(rfm_classes(rfm)["rfm_class"], cluster_segments(rfm, k=4)["cluster"]).attrs["adjusted_rand"]
    assert f"ARI {ari:.2f} against the eight classes" in said
    pl = purchase_lines(orders, lines, load_data("products"), verbose=False)
    held = rules_holdout(pl[pl["order_ts"] < "2025-01-01"], pl[pl["order_ts"] >= "2025-01-01"], item_col="subcategory",
                         min_support=0.002, min_confidence=0.05, min_count=20, verbose=False)
    assert f"{int(held['holds'].sum())} of them still pass the same thresholds" in said
    assert f"{int((held['lift_2'] < held['lift_1']).sum())} of the {len(held)} have a lower lift" in said


def test_the_discussion_list_covers_the_new_sections():
    last = "".join(cells(NB)[-1]["source"])
    assert "8. " in last and "uplift" in last and "cluster" in last.lower()
