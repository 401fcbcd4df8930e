"""Notebook 11_12 (CRM capability and implementation) says only what the data show: the numbers and comparisons
its prose keeps as text are recomputed here from the shipped data with crmlab (the results sentences are generated
by the notebook's cells, so nbval compares them), the course's terms it quotes are checked against the course
material, and the plan and the risks are stated as planning and tied to the areas the scorecard finds open."""
import re

import pandas as pd
import pytest
from _notebooks import cells, numbers, output_tables, outputs, prose, sentence
from _scripts import ROOT

from crmlab.capability import TARGETS, capability_scorecard
from crmlab.complaints import complaint_retention
from crmlab.datasets import load_data
from crmlab.identify import SILOS
from crmlab.retention import customer_lifetimes
from crmlab.transactions import purchases

NB = "11_12_crm_capability"
END = "2026-01-01"
MATERIAL = ROOT.parent / "shared" / "course-material"


def _material_text():
    if not MATERIAL.exists():
        pytest.skip(f"the course material is not beside the checkout ({MATERIAL})")
    return re.sub(r"\s+", "", "".join(p.read_text(encoding="utf-8") for p in sorted(MATERIAL.glob("*.txt"))))


@pytest.fixture(scope="module")
def bought():
    return purchases(load_data("orders"), load_data("order_lines"), verbose=False)


@pytest.fixture(scope="module")
def card(bought):
    return capability_scorecard(silos={n: load_data(n) for n in SILOS}, complaints=load_data("complaints"),
                                campaigns=load_data("campaigns"), assignment=load_data("campaign_assignment"),
                                purchases=bought, as_of=END)


def results(fragment):
    """The one sentence of the notebook's generated results (its Markdown outputs) that contains ``fragment``."""
    text = re.sub(r"\s+", " ", " ".join("".join(o["data"]["text/markdown"]) for _, o in outputs(NB)
                                         if "text/markdown" in o.get("data", {})))
    found = [s for s in re.split(r"(?<=[.!?。])\s+", text) if fragment in s]
    assert len(found) == 1, f"{NB}: {len(found)} result sentences contain {fragment!r}"
    return found[0]


# ---------------------------------------------------------------- the course material

@pytest.mark.parametrize("term", ["客户关系管理的内涵可以分为理念、技术、实施3个层面", "项目规划", "数据迁移",
                                  "技术风险", "业务风险", "数据风险", "人员风险", "项目管理风险", "系统选型"])
def test_quoted_terms_are_in_the_course_material(term):
    assert term.replace("3个", "") in re.sub(r"\s+", "", prose(NB)).replace("3个", "") or term in prose(NB)
    assert term in _material_text()


def test_the_textbooks_complaint_figure():
    assert "70–90 % of complainers stay" in prose(NB)
    course = ROOT.parent / "shared" / "COURSE.md"
    if not course.exists():
        pytest.skip(f"the course map is not beside the checkout ({course})")
    assert "70-90%" in course.read_text(encoding="utf-8").replace("–", "-")


# ---------------------------------------------------------------- the scorecard

def test_the_printed_scorecard_is_the_functions(card):
    (cell, table), = [(i, t) for i, t in output_tables(NB) if "score" in t.columns and "status" in t.columns]
    assert table["measure"].tolist() == list(card.index)
    assert [float(x) for x in table["score"]] == card["score"].round(3).tolist()
    assert table["status"].tolist() == card["status"].tolist()
    assert [float(x) for x in table["target"]] == [TARGETS[m] for m in card.index]


def test_the_summary_counts(card):
    said = results("meet their target")
    counts = card["status"].value_counts()
    assert numbers(said)[:4] == [len(card), counts["met"], counts["near"], counts["weak"]]
    assert results("The weakest is campaign learning")
    assert card["score"].idxmin() == "experiment_share"


def test_the_targets_are_stated_as_a_choice():
    text = prose(NB)
    assert "**The targets are a management choice (管理决策)**" in text
    for fragment in ("90 % of identifying fields filled", "at most 2 % duplicated", "a median of 24 hours",
                     "every second campaign", "60 % of buyers active"):
        assert fragment in text
    assert (TARGETS["data_completeness"], TARGETS["data_duplicates"], TARGETS["complaint_hours"],
            TARGETS["experiment_share"], TARGETS["active_share"]) == (0.90, 0.02, 24, 0.50, 0.60)


def test_48_hours_would_meet_the_complaint_target(card):
    assert "with a 48-hour service promise the complaint time is met" in prose(NB)
    assert 24 < card.loc["complaint_hours", "value"] <= 48


def test_nine_of_ten_campaigns_without_a_control_group(card):
    campaigns = load_data("campaigns")
    assert "nine seasonal promotions" in prose(NB)
    assert len(campaigns) == 10 and card.loc["experiment_share", "value"] == 0.1
    assert campaigns.loc[~campaigns["is_experiment"], "name"].str.contains("年货节|618|双11").all()


def test_the_sms_price_is_the_campaigns_table():
    assert "0.50 yuan for the coupon SMS of the September 2025 experiment" in prose(NB)
    x = load_data("campaigns").set_index("campaign_id").loc["X2509"]
    assert x["cost_per_contact"] == 0.5 and x["channel"] == "sms" and x["start_date"] == pd.Timestamp("2025-09-01")


# ---------------------------------------------------------------- the costs

def test_service_groups_and_the_cost_statement(bought):
    kept = complaint_retention(load_data("complaints"), bought, within_days=180, end=END, verbose=False)
    assert kept["retention"].is_monotonic_decreasing  # satisfied > unsatisfied > unresolved
    said = results("a small sum, because only")
    assert numbers(said)[-1] == len(load_data("complaints"))


def test_the_coupon_report_would_overstate_and_revenue_is_unclear():
    from crmlab.campaigns import campaign_uplift

    u = campaign_uplift(load_data("campaign_assignment"), verbose=False)
    said = results("a report that counted every responder")
    assert round(u.loc["response_rate", "treatment"] / u.loc["response_rate", "uplift"]) in numbers(said)
    rev = u.loc["revenue_per_customer"]
    assert rev["ci_low"] < 0 < rev["ci_high"]
    assert results("cannot tell whether the coupon made money")


def test_fewer_than_half_of_the_buyers_are_active(bought):
    life = customer_lifetimes(bought, as_of=END, verbose=False)
    assert "fewer than half of the buyers are active" in prose(NB)
    assert (~life["churned"]).mean() < 0.5


# ---------------------------------------------------------------- the plan: planning, tied to the scorecard

def test_the_plan_is_stated_as_planning():
    assert "The rest of the notebook is **planning, not data**" in prose(NB)
    sources = "".join("".join(c["source"]) for c in cells(NB) if c["cell_type"] == "code")
    assert "a plan, stated as planning" in sources and "planning, not data" in sources


def test_plan_and_risks_name_only_open_areas(card):
    open_labels = {label.split(" ")[0] for label in card.loc[card["status"] != "met", "label"]}
    met_labels = {label.split(" ")[0] for label in card.loc[card["status"] == "met", "label"]}
    tables = [t for _, t in output_tables(NB) if "针对 open areas" in t.columns or "threatens" in t.columns]
    assert len(tables) == 2
    stages = tables[0]["阶段 stage"].tolist()
    assert [s.split(" ")[1] for s in stages] == ["项目规划", "需求分析", "系统选型", "数据迁移", "试点", "推广", "评估"]
    for table in tables:
        column = "针对 open areas" if "针对 open areas" in table.columns else "threatens"
        named = {item.split(" ")[0] for cell in table[column] for item in cell.split("; ") if item != "—"}
        assert named and named <= open_labels and not named & met_labels


def test_the_summary_names_the_weak_areas(card):
    said = sentence(NB, "The sample company reaches its customers")
    assert card.loc["contactable", "status"] == "met"
    assert {"experiment_share", "active_share", "complaints_satisfied", "data_duplicates"} == set(
        card.index[card["status"] == "weak"])
    assert "one experiment in ten campaigns" in said
