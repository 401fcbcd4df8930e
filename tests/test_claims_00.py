"""What the start-here tour says in prose, recomputed from the shipped data.

Each test names the sentence it checks (``sentence`` fails clearly if the tour is reworded) and
recomputes the numbers or the comparison in it with pandas and scipy, not with the tour's cells.
"""
import re

import numpy as np
import pandas as pd
import pytest
from _notebooks import numbers, sentence
from scipy import stats

from crmlab.datasets import load_data

TOUR = "00_start_here"


@pytest.fixture(scope="module")
def data():
    return {name: load_data(name) for name in ("customers", "stores", "products", "orders", "order_lines",
                                                "complaints", "survey", "campaigns")}


def test_the_company_in_numbers(data):
    said = sentence(TOUR, "registered members (会员)")
    assert numbers(said)[:3] == [len(data["customers"]), len(data["stores"]), data["stores"]["city"].nunique()]
    first, last = data["orders"]["order_ts"].min(), data["orders"]["order_ts"].max()
    assert f"{first:%Y-%m-%d} to 2025-12-31" in said and last.year == 2025 and last.month == 12
    said = sentence(TOUR, "× 30 products")
    per_category = data["products"].groupby("category", observed=True).size()
    assert len(per_category) == 6 and set(per_category) == {30}


def test_margins_are_thinnest_in_electronics_and_fattest_in_beauty(data):
    assert "electronics thin, beauty fat" in sentence(TOUR, "Margins differ by category")
    lines = data["order_lines"].merge(data["products"][["product_id", "category"]], on="product_id")
    totals = lines.groupby("category", observed=True)[["net_amount", "cost"]].sum()
    rate = 1 - totals["cost"] / totals["net_amount"]
    assert rate.idxmin() == "electronics" and rate.idxmax() == "beauty"


def test_sizes_of_the_complaints_survey_and_campaigns(data):
    assert "About a hundred complaints" in sentence(TOUR, "About a hundred complaints")
    assert 90 <= len(data["complaints"]) <= 110
    said = sentence(TOUR, "satisfaction survey of about 1 000 members")
    assert 61 in numbers(said) and data["survey"].shape[1] == 61
    assert 900 <= len(data["survey"]) <= 1100
    assert "Ten campaigns" in prose_of_campaigns() and len(data["campaigns"]) == 10
    assert data["campaigns"]["is_experiment"].sum() == 1
    assert "15 %" in sentence(TOUR, "a 15 % coupon")
    assert data["campaigns"].loc[data["campaigns"]["is_experiment"], "offer"].str.startswith("15%").all()


def prose_of_campaigns():
    return sentence(TOUR, "Ten campaigns")


def test_one_person_in_five_records_and_no_gendered_pronoun_for_an_unknown_gender():
    said = sentence(TOUR, "Five records, one customer")
    phones = pd.concat([load_data(t)["phone"] for t in ("store_members", "web_accounts", "callcentre_contacts")])
    digits = phones.str.normalize("NFKC").str.replace(r"\D", "", regex=True).str[-11:]
    assert digits.value_counts().iloc[0] == 5   # the most frequent number, shown above the sentence
    assert not {"he", "she", "him", "her", "his", "hers"} & set(re.findall(r"\w+", said.lower()))


def test_the_spikes_are_618_and_double_11_and_grow_and_saturday_is_busiest(data):
    sentence(TOUR, "The spikes are 18 June and 11 November")
    daily = data["orders"].set_index("order_ts").resample("D").size()
    for month_day in ("06-18", "11-11"):
        peaks = [daily[f"{year}-{month_day}"] for year in (2023, 2024, 2025)]
        assert peaks == sorted(peaks) and peaks[0] < peaks[-1], month_day   # growing from year to year
    for year in (2024, 2025):   # the two largest days of the year are the two festivals
        top = daily[str(year)].nlargest(2).index.strftime("%m-%d")
        assert set(top) == {"06-18", "11-11"}, year
    assert "busiest on Saturdays" in sentence(TOUR, "weekly rhythm")
    assert data["orders"]["order_ts"].dt.day_name().value_counts().idxmax() == "Saturday"


def test_returns_and_cancellations_do_not_depend_on_the_channel(data):
    said = sentence(TOUR, "p far above 0.05")
    assert "nothing" in said
    test = stats.chi2_contingency(pd.crosstab(data["orders"]["channel"], data["orders"]["status"]))
    assert test.pvalue > 0.5
    shares = pd.crosstab(data["orders"]["channel"], data["orders"]["status"], normalize="index")
    assert (shares.max() - shares.min()).max() < 0.01   # "differ by less than a percentage point"
    assert "less than a percentage point" in sentence(TOUR, "differ by less than a percentage point")


def test_about_one_member_in_eight_never_bought(data):
    assert "about one in eight" in sentence(TOUR, "about one in eight")
    bought = data["customers"]["customer_id"].isin(
        data["orders"].loc[data["orders"]["status"] != "cancelled", "customer_id"])
    assert 1 / 9 < 1 - bought.mean() < 1 / 7


def test_how_complaints_ended_and_their_causes(data):
    said = sentence(TOUR, "Most complaints are resolved")
    assert "a quarter are resolved but leave the customer unsatisfied" in said
    outcome = data["complaints"]["outcome"].value_counts(normalize=True)
    assert outcome["resolved_satisfied"] > 0.5 and 0.2 <= outcome["resolved_unsatisfied"] <= 0.3
    assert 0 < outcome["unresolved"] < outcome["resolved_unsatisfied"]
    assert "Most\nhave a company cause".replace("\n", " ") in sentence(TOUR, "have a company cause")
    assert data["complaints"]["cause"].value_counts(normalize=True)["company"] > 0.5


def test_servqual_perception_falls_short_most_on_reliability_and_responsiveness(data):
    sentence(TOUR, "Expectations are about the same everywhere")
    survey = data["survey"]
    dims = {"tangibles": range(1, 5), "reliability": range(5, 10), "responsiveness": range(10, 14),
            "assurance": range(14, 18), "empathy": range(18, 23)}
    exp = pd.DataFrame({d: survey[[f"exp_{i:02d}" for i in items]].mean(axis=1) for d, items in dims.items()})
    per = pd.DataFrame({d: survey[[f"per_{i:02d}" for i in items]].mean(axis=1) for d, items in dims.items()})
    assert exp.mean().max() - exp.mean().min() < 0.1
    gap = per - exp
    assert list(gap.mean().nsmallest(2).index) == ["reliability", "responsiveness"]
    # tangibles "slightly exceed expectations": positive, and more than chance (one-sample t test)
    assert 0 < gap["tangibles"].mean() < 0.3 and stats.ttest_1samp(gap["tangibles"], 0).pvalue < 0.01
    assert np.all(gap.mean().drop("tangibles") < 0)


def test_the_example_export_has_the_problems_the_tour_names():
    """The export section: the duplicates repeat whole orders (order number included), the set-aside
    ID is in scientific notation, and the shop writes dates day first (the planted date is the order's)."""
    from crmlab.datasets import DATA_DIR
    from crmlab.exports import read_transactions

    said = sentence(TOUR, "Here they repeat whole")
    assert "order number included" in said
    assert "writes the day first" in sentence(TOUR, "ask how the shop's system writes dates")
    log = read_transactions(DATA_DIR / "examples" / "messy_orders.csv", dayfirst=True, mangled_ids="set_aside",
                            verbose=False)
    report = log.attrs["report"].set_index("problem")
    repeats = log.loc[report.loc["duplicate lines", "lines"]]
    assert repeats["order_id"].isin(log.drop(repeats.index)["order_id"]).all()   # the same orders again
    orders = load_data("orders").set_index("order_id")
    day_first = log.loc[report.loc["dates read day first", "lines"]]
    assert (day_first["order_ts"].dt.date == orders.loc[day_first["order_id"], "order_ts"].dt.date.to_numpy()).all()
    assert report.loc["IDs in scientific notation (Excel-mangled)", "example"] == "'1.23457E+17'"
