"""Notebook 01_02 (CRM overview and theory) says only what the data show: every number and comparison its
prose keeps as text — in the Markdown cells and in the fixed words around the numbers of its generated
sentences (strong, weak, the largest, cannot tell apart) — is recomputed here from the shipped data with
crmlab. The numbers of the generated sentences themselves are printed by cells, so nbval compares them."""
import re

import numpy as np
import pandas as pd
import pytest
from _notebooks import NOTEBOOKS, cells, numbers, outputs, prose, sentence
from scipy import stats

from crmlab import identify
from crmlab.complaints import retention_difference
from crmlab.datasets import list_tables, load_data, load_truth
from crmlab.loyalty import repeat_purchase_rate
from crmlab.satisfaction import satisfaction_index
from crmlab.transactions import purchases

NB = "01_02_crm_overview"
DATA_TABLES = ["customers", "stores", "products", "orders", "order_lines", "interactions", "complaints", "survey",
               "campaigns", "campaign_assignment", "store_members", "web_accounts", "callcentre_contacts"]


@pytest.fixture(scope="module")
def bought():
    return purchases(load_data("orders"), load_data("order_lines"), verbose=False)


@pytest.fixture(scope="module")
def chain(bought):
    """Section 4's frame, built as the notebook builds it."""
    survey = load_data("survey")
    index = satisfaction_index(survey, verbose=False)
    frame = pd.DataFrame({"customer_id": survey["customer_id"], "survey_date": survey["survey_date"],
                          "value": survey.filter(regex=r"^per_\d\d$").mean(axis=1), "c": index["c"],
                          "level": index["level"], "intention": survey["repurchase_intention"]})
    after = bought.merge(frame[["customer_id", "survey_date"]], on="customer_id")
    after = after[after["order_ts"] >= after["survey_date"] + pd.Timedelta(days=1)]
    frame["purchases_after"] = frame["customer_id"].map(after.groupby("customer_id").size()).fillna(0).astype(int)
    frame["margin_after"] = frame["customer_id"].map(after.groupby("customer_id")["margin"].sum()).fillna(0.0)
    frame["repeat_buyer"] = frame["purchases_after"] > 0
    return frame


def _generated(fragment: str) -> str:
    """The one Markdown output of the notebook that contains ``fragment``."""
    found = [text for _, out in outputs(NB)
             for text in [re.sub(r"\s+", " ", "".join(out.get("data", {}).get("text/markdown", [])))] if fragment in text]
    assert len(found) == 1, f"{len(found)} generated sentences contain {fragment!r}"
    return found[0]


# ---------------------------------------------------------------- section 1: the voices

def test_the_silos_hold_no_common_customer_number():
    sentence(NB, "None of them holds a common customer number")
    for name in identify.SILOS:
        assert "customer_id" not in load_data(name).columns, name


def test_one_in_27_unhappy_customers_complains_is_planted():
    sentence(NB, "Only about 1 in 27 unhappy customers complains")
    assert load_truth()["parameters"]["complaint_prob"] == pytest.approx(1 / 27)


def test_the_data_hold_no_reps_leads_opportunities_or_quotes():
    sentence(NB, "no table records a sales representative or account manager")
    sentence(NB, "The data hold no sales representatives, leads or quotes")
    pattern = re.compile(r"rep\b|representative|agent|staff|employee|salesperson|manager|lead|opportunit|quote", re.I)
    tables = [t for t in list_tables().index if t in DATA_TABLES]
    assert sorted(tables) == sorted(DATA_TABLES)
    found = {t: [c for c in load_data(t).columns if pattern.search(c)] for t in tables}
    assert not any(found.values()), found


def test_prices_are_list_price_minus_a_discount():
    # "the retail company sells at list price minus a discount"
    lines = load_data("order_lines")
    expected = lines["quantity"] * lines["unit_price"] * (1 - lines["discount_rate"])
    assert np.allclose(lines["net_amount"], expected, atol=0.011)


def test_orders_and_contacts_are_keyed_by_customer_id():
    sentence(NB, "The orders table is keyed by `customer_id`")
    customers = set(load_data("customers")["customer_id"])
    for name in ("orders", "interactions"):
        assert load_data(name)["customer_id"].isin(customers).all(), name


def test_promotion_waves_send_one_to_four_messages_as_planted():
    said = _generated("that was planned")
    promo = load_data("interactions").query("purpose == 'promotion'")
    per_wave = promo.groupby(["campaign_id", "customer_id"]).size()
    assert numbers(said)[:2] == [per_wave.min(), per_wave.max()] == [1, load_truth()["parameters"]["contacts"]["max_messages"]]


def test_no_company_contact_but_promotions():
    # "The contact log records no company-initiated contact other than promotions ... no service follow-up call"
    _generated("no company-initiated contact other than promotions")
    interactions = load_data("interactions")
    assert (interactions.loc[interactions["initiated_by"] == "company", "purpose"] == "promotion").all()


def test_unresolved_complaints_have_no_closing_date():
    _generated("have no closing date")
    complaints = load_data("complaints")
    assert complaints.loc[complaints["outcome"] == "unresolved", "closed_ts"].isna().all()
    assert complaints.loc[complaints["outcome"] != "unresolved", "closed_ts"].notna().all()


def test_the_company_has_four_channels_and_six_categories():
    sentence(NB, "one retailer with four channels")
    assert "four channels (store, web, app, call centre)" in _generated("bought in two or more of the four channels")
    assert set(load_data("orders")["channel"].cat.categories) == {"store", "web", "app", "callcentre"}
    shown = " ".join("".join(out.get("data", {}).get("text/plain", [])) for _, out in outputs(NB))
    assert "of the 6 categories" in shown
    assert load_data("products")["category"].nunique() == 6


def test_the_latest_channel_sees_less_than_the_whole(bought):
    said = _generated("know less than the whole")
    share = numbers(said.split("saw on average", 1)[1])[0]
    assert 0 < share < 1


def test_customers_never_start_on_sms_or_push_and_the_company_never_on_the_service_channels():
    said = _generated("the company never starts a conversation")
    mix = pd.crosstab(load_data("interactions")["channel"], load_data("interactions")["initiated_by"])
    spoken = re.search(r"the company speaks through ([a-z_, ]+) \(", said).group(1)
    assert set(spoken.split(", ")) == {"sms", "email", "app_push"}
    assert "phone, online_chat, wechat, store" in said
    assert (mix.loc[["sms", "app_push"], "customer"] == 0).all()
    assert (mix.loc[["phone", "online_chat", "wechat", "store"], "company"] == 0).all()


def test_the_voice_menu_offers_the_five_voices():
    source = "".join(next(c["source"] for c in cells(NB) if "widgets.Dropdown" in "".join(c["source"])))
    for voice in ["销售 sales", "市场 marketing", "服务 service", "经理 managers", "客户 customers"]:
        assert f'"{voice}"' in source


# ---------------------------------------------------------------- sections 2-3: 4C and the kinds of CRM

def test_every_table_named_in_the_crm_types_table_exists():
    text = prose(NB)
    start = text.index("| type | 中文 |")
    named = set(re.findall(r"`([a-z_]+)`", text[start:text.index("Textbooks also sort")]))
    assert named and named <= set(DATA_TABLES), named - set(DATA_TABLES)


# ---------------------------------------------------------------- section 4: the chain

def test_the_survey_is_of_may_and_june_2025_with_22_items_on_1_to_7():
    sentence(NB, "the satisfaction survey (满意度调查) of May–June 2025")
    survey = load_data("survey")
    assert survey["survey_date"].min() >= pd.Timestamp("2025-05-01")
    assert survey["survey_date"].max() <= pd.Timestamp("2025-06-30")
    per = survey.filter(regex=r"^per_\d\d$")
    assert per.shape[1] == 22 and per.min().min() >= 1 and per.max().max() <= 7
    assert survey["repurchase_intention"].between(1, 5).all()


def test_respondents_had_bought_before_and_the_window_is_about_half_a_year(chain, bought):
    sentence(NB, "respondent had bought before answering")
    orders = load_data("orders")
    first = orders[orders["status"] != "cancelled"].groupby("customer_id")["order_ts"].min()
    assert (chain["customer_id"].map(first) < chain["survey_date"]).all()
    end = bought["order_ts"].max().normalize()
    days = (end - chain["survey_date"]).dt.days
    assert days.min() >= 180 and days.max() <= 245     # "half a year is a short window"


def _r(chain, x, y):
    return stats.pearsonr(chain[x], chain[y])


def test_the_links_in_words_are_strong_and_far_from_zero(chain):
    _generated("both with intervals far from 0")
    for x, y in [("value", "c"), ("c", "intention")]:
        r = _r(chain, x, y)
        assert r.statistic > 0.4 and r.confidence_interval().low > 0.4, (x, y)


def test_satisfaction_and_purchases_after_barely_correlate(chain):
    _generated("barely correlate")
    r = _r(chain, "c", "purchases_after")
    ci = r.confidence_interval()
    assert abs(r.statistic) < 0.05 and ci.low < 0 < ci.high


def test_the_extreme_pair_is_the_largest_difference_and_the_overall_test_is_not_significant(chain):
    said = _generated("the largest of the three possible comparisons")
    rates = repeat_purchase_rate(chain, by="level")["rate"]
    pairs = {(a, b): abs(rates[a] - rates[b]) for a in rates.index for b in rates.index if a < b}
    assert max(pairs, key=pairs.get) == ("dissatisfied", "highly_satisfied")
    assert rates["highly_satisfied"] > rates["satisfied"] > rates["dissatisfied"]
    test = stats.chi2_contingency(pd.crosstab(chain["level"], chain["repeat_buyer"]))
    assert test.pvalue > 0.05                                   # "cannot tell them apart from chance"
    again = repeat_purchase_rate(chain, by="level").rename(columns={"repeat_buyers": "bought_again"})
    extreme = retention_difference(again, group="highly_satisfied", versus="dissatisfied")
    assert extreme["ci_low"] > 0 and extreme["p_value"] < 0.05     # the one pair alone would look "significant"
    assert "p = 0.11" in said and "p = 0.03" in said


def test_margin_after_is_not_higher_for_the_satisfied(chain):
    _generated("the dissatisfied have the highest mean")
    means = chain.groupby("level", observed=True)["margin_after"].mean()
    assert means.idxmax() == "dissatisfied"
    groups = [chain.loc[chain["level"] == lvl, "margin_after"] for lvl in means.index]
    assert stats.kruskal(*groups).pvalue > 0.05


def test_no_causal_claim_from_the_survey():
    text = prose(NB) + " ".join("".join(out.get("data", {}).get("text/markdown", [])) for _, out in outputs(NB))
    assert not re.search(r"satisfaction (causes|leads to|drives|increases) (more )?(purchases|profit|loyalty)", text, re.I)
    sentence(NB, "Only an experiment (chapter 5's coupon test is one) can show a cause")
    assert load_data("campaigns")["is_experiment"].sum() == 1


# ---------------------------------------------------------------- section 5: the IDIC map

def test_the_idic_table_links_every_chapter_notebook_that_exists():
    text = prose(NB)
    start = text.index("| IDIC step |")
    linked = set(re.findall(r"\]\(([^)]+\.ipynb)\)", text[start:text.index("Database marketing")]))
    assert all((NOTEBOOKS / name).exists() for name in linked), linked
    chapters = {p.name for p in NOTEBOOKS.glob("0[3-7]*.ipynb")}
    assert linked == chapters
