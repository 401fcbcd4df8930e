"""The CRM capability scorecard (crmlab.capability): the scoring by hand, and on generated data that every
measure is what its chapter's function gives."""
import math

import numpy as np
import pandas as pd
import pytest

from crmlab.campaigns import campaign_uplift
from crmlab.capability import MEASURES, TARGETS, capability_measures, capability_scorecard, score_capability
from crmlab.complaints import resolution_times
from crmlab.datasets import load_data
from crmlab.identify import SILOS, resolve_customers
from crmlab.quality import quality_report
from crmlab.retention import customer_lifetimes
from crmlab.transactions import purchases
from crmlab.validation import CrmlabInputError

END = "2026-01-01"


# ---------------------------------------------------------------- scoring, by hand

def _m(values, better):
    return pd.DataFrame({"value": values, "better": better}, index=[f"m{i}" for i in range(len(values))])


def test_scores_by_hand():
    m = _m([0.45, 0.6, 0.9, 36.0, 24.0, 12.0, 0.0, 25.0], ["higher"] * 3 + ["lower"] * 5)
    targets = {"m0": 0.6, "m1": 0.6, "m2": 0.6, "m3": 24, "m4": 24, "m5": 24, "m6": 0.02, "m7": 20}
    out = score_capability(m, targets=targets)
    # higher: 100 * 0.45 / 0.6 = 75; met at or above the target. lower: 100 * 24 / 36 = 66.67; 24 / 25 = 96 (near)
    assert out["score"].round(2).tolist() == [75.0, 100.0, 100.0, 66.67, 100.0, 100.0, 100.0, 80.0]
    assert out["met"].tolist() == [False, True, True, False, True, True, True, False]
    assert out["status"].tolist() == ["weak", "met", "met", "weak", "met", "met", "met", "near"]
    assert out["status_zh"].tolist() == ["薄弱", "达标", "达标", "薄弱", "达标", "达标", "达标", "接近"]
    assert out["target"].tolist() == [0.6, 0.6, 0.6, 24, 24, 24, 0.02, 20]


def test_near_is_a_choice():
    m = _m([0.45], ["higher"])
    assert score_capability(m, targets={"m0": 0.6}, near=75)["status"].iloc[0] == "near"  # 75 >= 75
    assert score_capability(m, targets={"m0": 0.6}, near=76)["status"].iloc[0] == "weak"


def test_a_measure_the_data_cannot_give_scores_zero():
    out = score_capability(_m([np.nan], ["lower"]), targets={"m0": 0.03})
    assert out["score"].iloc[0] == 0 and not out["met"].iloc[0] and out["status"].iloc[0] == "not measured"


def test_default_targets_and_override():
    m = pd.DataFrame({"value": [30.0], "better": ["lower"]}, index=["complaint_hours"])
    assert score_capability(m)["target"].iloc[0] == TARGETS["complaint_hours"] == 24
    assert score_capability(m, targets={"complaint_hours": 48})["status"].iloc[0] == "met"
    assert set(TARGETS) == set(MEASURES)


@pytest.mark.parametrize("kwargs, words", [
    ({"targets": {"m0": 0}}, "must be a number > 0"),
    ({"targets": {"m0": "high"}}, "must be a number > 0"),
    ({"targets": {"m0": 1, "nonsense": 2}}, "unknown measure(s) ['nonsense']"),
    ({"targets": {}}, "no target for measure(s) ['m0']"),
    ({"targets": [1]}, "targets must be a dict"),
    ({"targets": {"m0": 1}, "near": 120}, "near=120"),
])
def test_bad_targets_are_named(kwargs, words):
    with pytest.raises(CrmlabInputError) as error:
        score_capability(_m([0.5], ["higher"]), **kwargs)
    assert words in str(error.value)


def test_bad_measures_are_named():
    with pytest.raises(CrmlabInputError, match="'better' must be 'higher' or 'lower'.*m0"):
        score_capability(_m([0.5], ["more"]), targets={"m0": 1})
    with pytest.raises(CrmlabInputError, match="missing column"):
        score_capability(pd.DataFrame({"value": [1.0]}, index=["m0"]), targets={"m0": 1})
    with pytest.raises(CrmlabInputError, match="must be a pandas DataFrame"):
        score_capability([0.5], targets={"m0": 1})


# ---------------------------------------------------------------- the measures are the chapter functions'

@pytest.fixture(scope="module")
def company(small_company):
    tables = {name: load_data(name, data_dir=small_company) for name in
              [*SILOS, "complaints", "campaigns", "campaign_assignment", "orders", "order_lines"]}
    tables["purchases"] = purchases(tables["orders"], tables["order_lines"], verbose=False)
    tables["silos"] = {name: tables[name] for name in SILOS}
    return tables


@pytest.fixture(scope="module")
def card(company):
    return capability_scorecard(silos=company["silos"], complaints=company["complaints"],
                                campaigns=company["campaigns"], assignment=company["campaign_assignment"],
                                purchases=company["purchases"], as_of=END)


def test_one_row_per_measure_with_labels(card):
    assert card.index.tolist() == list(MEASURES)
    assert card["label"].str.contains(r"[\u4e00-\u9fff]").all() and card["label"].str.contains("[a-z]").all()
    assert card["score"].between(0, 100).all()


def test_data_quality_is_the_quality_report(company, card):
    report = quality_report(company["silos"], as_of=pd.Timestamp(END) - pd.Timedelta(days=1))
    ident = report[report.index.get_level_values("field").isin(["name", "phone", "email", "id_number"])]
    assert math.isclose(card.loc["data_completeness", "value"],
                        (ident["filled"] * ident["records"]).sum() / ident["records"].sum())
    filled = ident["filled"] * ident["records"]
    assert math.isclose(card.loc["data_standard", "value"], (ident["standard"] * filled).sum() / filled.sum())
    contact = ident[ident.index.get_level_values("field") != "name"]
    filled = contact["filled"] * contact["records"]
    assert math.isclose(card.loc["data_duplicates", "value"], (contact["duplicated"] * filled).sum() / filled.sum())


def test_contactable_is_the_golden_records(company, card):
    golden = resolve_customers(company["silos"], verbose=False).golden
    assert math.isclose(card.loc["contactable", "value"], (golden["phone"].notna() | golden["email"].notna()).mean())


def test_service_is_resolution_times(company, card):
    c = company["complaints"]
    assert math.isclose(card.loc["complaint_hours", "value"], resolution_times(c, by=None, verbose=False)["median"].iloc[0])
    outcome = c["outcome"].astype(str)
    assert math.isclose(card.loc["complaints_resolved", "value"], (outcome != "unresolved").mean())
    assert math.isclose(card.loc["complaints_satisfied", "value"], (outcome == "resolved_satisfied").mean())


def test_campaign_learning_is_campaign_uplift(company, card):
    campaigns, assignment = company["campaigns"], company["campaign_assignment"]
    experiments = set(assignment.loc[assignment["group"] == "control", "campaign_id"])
    assert math.isclose(card.loc["experiment_share", "value"], campaigns["campaign_id"].isin(experiments).mean())
    latest = campaigns[campaigns["campaign_id"].isin(experiments)].sort_values("start_date")["campaign_id"].iloc[-1]
    assert card.attrs["experiment"] == latest
    u = campaign_uplift(assignment, campaign_id=latest, verbose=False).loc["response_rate"]
    assert math.isclose(card.loc["uplift_precision", "value"], (u["ci_high"] - u["ci_low"]) / 2)


def test_retention_is_customer_lifetimes(company, card):
    life = customer_lifetimes(company["purchases"], as_of=END, verbose=False)
    assert math.isclose(card.loc["active_share", "value"], 1 - life["churned"].mean())
    shorter = capability_measures(silos=company["silos"], complaints=company["complaints"],
                                  campaigns=company["campaigns"], assignment=company["campaign_assignment"],
                                  purchases=company["purchases"], as_of=END, inactive_days=90)
    assert shorter.loc["active_share", "value"] < card.loc["active_share", "value"]


def test_no_control_group_means_no_uplift_measured(company):
    treated_only = company["campaign_assignment"].assign(group="treatment")
    out = capability_scorecard(silos=company["silos"], complaints=company["complaints"],
                               campaigns=company["campaigns"], assignment=treated_only,
                               purchases=company["purchases"], as_of=END)
    assert out.loc["experiment_share", "value"] == 0
    assert out.loc["uplift_precision", "status"] == "not measured" and out.loc["uplift_precision", "score"] == 0
    assert out.attrs["experiment"] is None


def test_bad_campaign_inputs_are_named(company):
    kw = dict(silos=company["silos"], complaints=company["complaints"], purchases=company["purchases"], as_of=END)
    with pytest.raises(CrmlabInputError, match="does not list"):
        capability_measures(campaigns=company["campaigns"].iloc[:2], assignment=company["campaign_assignment"], **kw)
    with pytest.raises(CrmlabInputError, match="campaign_id='W01' is not a campaign with a control group"):
        capability_measures(campaigns=company["campaigns"], assignment=company["campaign_assignment"],
                            campaign_id="W01", **kw)
    with pytest.raises(CrmlabInputError, match="campaigns is missing column"):
        capability_measures(campaigns=company["campaigns"].drop(columns="start_date"),
                            assignment=company["campaign_assignment"], **kw)
