import numpy as np
import pandas as pd
import pytest

from crmlab.interaction_plan import (affordable_budget, allocate_budget, compare_budgets, competitive_parity_budget,
                                     expected_responses, frequency_plan, objective_task_budget,
                                     percentage_of_sales_budget, plan_table)
from crmlab.validation import CrmlabInputError


def _plan(**changes):
    plan = pd.DataFrame({
        "segment": ["A", "B", "C"], "customers": [1000, 4000, 500], "channel": ["sms", "email", "phone"],
        "messages": [2, 1, 1], "response_rate": [0.10, 0.02, 0.30], "cost_per_contact": [0.05, 0.01, 6.0],
        "value_per_response": [20.0, 20.0, 10.0], "goal_responses": [75, 60, 0],
        "goal": ["repeat purchase", "reactivate", ""],
    })
    return plan.assign(**changes)


def test_three_budget_methods_by_hand():
    assert affordable_budget(revenue=1_000_000, other_costs=850_000, target_profit=100_000) == 50_000
    assert affordable_budget(revenue=100, other_costs=150) == 0.0  # nothing left, never negative
    assert percentage_of_sales_budget(sales=2_000_000, rate=0.02) == pytest.approx(40_000)
    # competitors spend 120 000 on 4 000 000 sales = 3 %; 3 % of our 2 000 000
    assert competitive_parity_budget(sales=2_000_000, competitor_spend=[30_000, 90_000],
                                     competitor_sales=[1_000_000, 3_000_000]) == pytest.approx(60_000)


def test_expected_responses_with_fatigue():
    assert expected_responses(0.10, decay=0.5, messages=3) == pytest.approx(0.10 + 0.05 + 0.025)
    assert expected_responses(0.10, decay=1.0, messages=3) == pytest.approx(0.30)
    assert expected_responses([0.1, 0.2], decay=0.6, messages=[1, 2]).tolist() == pytest.approx([0.1, 0.32])


def test_frequency_plan_stops_where_one_more_message_loses_money():
    plan = frequency_plan(first_response=0.06, decay=0.6, cost_per_contact=0.05, value_per_response=4.0, max_messages=6)
    # message m adds 0.06 * 0.6**(m-1) * 4 - 0.05: positive up to m = 4, negative from m = 5
    assert (plan["extra_return"] > 0).tolist() == [True, True, True, True, False, False]
    assert plan.index[plan["best"]].tolist() == [4]
    assert plan["return_per_customer"].diff().iloc[1:].tolist() == pytest.approx(plan["extra_return"].iloc[1:].tolist())


def test_plan_table_and_objective_task_by_hand():
    t = plan_table(_plan(), decay=0.5)
    # A: 0.10 + 0.05 = 0.15 responses per customer, 2 x 0.05 = 0.10 CNY per customer
    assert t.loc["A", ["responses_per_customer", "cost_per_customer", "full_responses", "full_cost"]].tolist() == \
        pytest.approx([0.15, 0.10, 150.0, 100.0])
    assert t.loc["A", "roi"] == pytest.approx((150 * 20 - 100) / 100)
    assert t.loc["A", "customers_for_goal"] == 500  # 75 / 0.15
    assert t.loc["B", "customers_for_goal"] == 3000  # 60 / 0.02
    assert t.loc["C", "customers_for_goal"] == 0     # no goal
    assert objective_task_budget(_plan(), decay=0.5) == pytest.approx(500 * 0.10 + 3000 * 0.01)


def test_unreachable_goal_costs_the_whole_segment():
    t = plan_table(_plan(goal_responses=[75, 100, 0]), decay=0.5)
    assert not t.loc["B", "goal_reachable"]  # 4000 x 0.02 = 80 < 100
    assert t.loc["B", "goal_cost"] == pytest.approx(40.0)


def test_allocation_goals_first_then_best_return():
    # ROI: C (0.30 x 10 - 6) / 6 < 0; A 29; B 39. Goals in ROI order: B (30), A (50); then extra B, A; never C.
    spent = allocate_budget(_plan(), budget=70, decay=0.5)
    assert spent.loc["B", "contacted"] == 3000
    assert spent.loc["A", "contacted"] == 400  # 40 CNY left for A's goal at 0.10 each
    assert spent.loc["C", "contacted"] == 0
    rich = allocate_budget(_plan(), budget=10_000, decay=0.5)
    assert rich["contacted"].tolist() == [1000, 4000, 0]  # C loses money on every contact
    assert rich.attrs["unspent"] == pytest.approx(10_000 - 100 - 40)


def test_objective_task_budget_meets_every_reachable_goal_and_budgets_side_by_side():
    table = compare_budgets(_plan(), budgets={"affordable": 20.0, "percentage_of_sales": 80.0,
                                              "competitive_parity": 500.0}, decay=0.5)
    assert table.index.tolist() == ["affordable", "percentage_of_sales", "competitive_parity", "objective_task"]
    assert table.loc["objective_task", "budget"] == pytest.approx(80.0)
    assert table.loc["objective_task", ["goals_met", "goals"]].tolist() == [2, 2]
    assert table.loc["affordable", "goals_met"] == 0
    # invariants: never more than the budget; more money never fewer responses
    assert (table["spent"] <= table["budget"] + 1e-9).all()
    ordered = table.sort_values("budget")
    assert ordered["expected_responses"].is_monotonic_increasing
    assert table.loc["objective_task", "method_zh"] == "目标任务法"
    per_segment = compare_budgets(_plan(), budgets={"affordable": 20.0}, decay=0.5, by_segment=True)
    assert per_segment.columns.get_level_values("method").unique().tolist() == ["affordable", "objective_task"]
    assert per_segment[("objective_task", "contacted")].tolist() == [500, 3000, 0]
    assert per_segment.xs("cost", axis=1, level="measure").sum().tolist() == pytest.approx(
        table.loc[["affordable", "objective_task"], "spent"].tolist())


@pytest.mark.parametrize("change, fragment", [
    (dict(channel=["sms", "fax", "phone"]), r"'channel' has unknown labels in row 1, e.g. 'fax'"),
    (dict(segment=["A", "A", "C"]), r"name each segment once"),
    (dict(response_rate=[0.1, 2.0, 0.3]), r"'response_rate' must be a share"),
    (dict(messages=[2, 0, 1]), r"'messages' must hold whole numbers >= 1"),
    (dict(cost_per_contact=[0.05, -0.01, 6]), r"'cost_per_contact' must be >= 0"),
])
def test_bad_plans_are_named(change, fragment):
    with pytest.raises(CrmlabInputError, match=fragment):
        plan_table(_plan(**change), decay=0.5)


def test_bad_arguments():
    with pytest.raises(CrmlabInputError, match="plan is missing column"):
        plan_table(_plan().drop(columns="value_per_response"), decay=0.5)
    with pytest.raises(CrmlabInputError, match="plan is empty"):
        plan_table(_plan().iloc[0:0], decay=0.5)
    with pytest.raises(CrmlabInputError, match="decay must be a share"):
        plan_table(_plan(), decay=1.5)
    with pytest.raises(CrmlabInputError, match="unknown budget method"):
        compare_budgets(_plan(), budgets={"gut_feeling": 100}, decay=0.5)
    with pytest.raises(CrmlabInputError, match="rate must be a share"):
        percentage_of_sales_budget(sales=100, rate=2)
    with pytest.raises(CrmlabInputError, match="one number per competitor"):
        competitive_parity_budget(sales=100, competitor_spend=[1, 2], competitor_sales=[10])
    with pytest.raises(CrmlabInputError, match="revenue must be an amount"):
        affordable_budget(revenue=-1, other_costs=0)
    with pytest.raises(CrmlabInputError, match="budget must be an amount"):
        allocate_budget(_plan(), budget=np.nan, decay=0.5)
