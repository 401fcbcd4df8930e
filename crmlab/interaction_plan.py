"""Interaction plan (客户互动设计): objects, goals, channel and frequency, and the budget.

The textbook designs an interaction in steps: **objects** (互动对象: which
segments) → **goals** (互动目标: specific, achievable, time-bound, usually
several) → **content** (互动内容) → **budget** (互动预算) → **channel and
frequency** (互动渠道与频率) → **evaluation** (评估互动效果). This module does the
arithmetic of the plan:

- :func:`expected_responses`: responses a customer gives to ``m`` messages
  when each earlier message multiplies the response by the fatigue ``decay``
  (fitted with :func:`crmlab.touchpoints.contact_fatigue`);
- :func:`frequency_plan`: return of 1, 2, 3, ... messages, to choose a frequency;
- :func:`plan_table`: per segment, the expected responses, cost, value and
  return of the plan, and what reaching its goal costs;
- the four budget methods of the textbook (互动预算的选择方法), under their
  common names, with the textbook's words in brackets:
  :func:`affordable_budget` (量力而行法; 所有资源), :func:`percentage_of_sales_budget`
  (销售百分比法; 按照比例), :func:`competitive_parity_budget` (竞争对等法;
  参照竞争对手) and :func:`objective_task_budget` (目标任务法; 根据互动目标确定预算);
- :func:`allocate_budget` and :func:`compare_budgets`: what each budget buys
  when spent by one stated rule, side by side.

A plan is a DataFrame with one row per segment (互动对象); its columns:

==================  ============================================================
``segment``         segment label, e.g. an ``rfm_class`` of :func:`crmlab.rfm.rfm_classes`
``customers``       customers in the segment (who could be contacted)
``channel``         contact channel (:data:`crmlab.touchpoints.CONTACT_CHANNELS`)
``messages``        messages per customer in the wave (frequency, 1, 2, ...)
``response_rate``   response to the first message (share), from the contact history
``cost_per_contact`` CNY per message
``value_per_response`` CNY of margin one response brings (an assumption to state)
``goal_responses``  optional: responses the segment should give (the goal, 目标)
``goal``            optional: the goal in words
==================  ============================================================
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from crmlab.touchpoints import CONTACT_CHANNELS
from crmlab.validation import CrmlabInputError, amount_column, describe_rows, require_columns, require_nonempty

#: The textbook's four budget methods: key, English, Chinese.
BUDGET_METHODS = (
    ("affordable", "All you can afford", "量力而行法"),
    ("percentage_of_sales", "Percentage of sales", "销售百分比法"),
    ("competitive_parity", "Competitive parity", "竞争对等法"),
    ("objective_task", "Objective and task", "目标任务法"),
)
PLAN_COLUMNS = ["segment", "customers", "channel", "messages", "response_rate", "cost_per_contact",
                "value_per_response"]


def _money(value, *, name: str) -> np.ndarray:
    arr = np.asarray(value, dtype=float) if not isinstance(value, str) else np.array(np.nan)
    if np.isnan(arr).any() or (arr < 0).any():
        raise CrmlabInputError(f"{name} must be an amount >= 0 (CNY), got {value!r}.")
    return arr


def _share(value, *, name: str) -> float:
    try:
        x = float(value)
    except (TypeError, ValueError):
        x = np.nan
    if not 0 <= x <= 1:
        raise CrmlabInputError(f"{name} must be a share between 0 and 1 (8 % is 0.08), got {value!r}.")
    return x


def affordable_budget(*, revenue, other_costs, target_profit=0.0) -> float:
    """Budget by what the company can afford (量力而行法): what is left after the other costs and the profit it wants.

    ``budget = revenue - other_costs - target_profit``, never below 0. Simple
    and safe, but it ignores what the interaction could achieve: a good year
    buys many contacts, a bad year none, whatever the customers need.

    Parameters
    ----------
    revenue : float
        Expected revenue (or gross margin) of the period, CNY.
    other_costs : float
        Every other cost of the period, CNY.
    target_profit : float, default 0
        The profit the company wants to keep, CNY.

    Returns
    -------
    float

    Examples
    --------
    >>> affordable_budget(revenue=1_000_000, other_costs=850_000, target_profit=100_000)
    50000.0
    """
    money = [float(_money(v, name=n)) for v, n in ((revenue, "revenue"), (other_costs, "other_costs"),
                                                   (target_profit, "target_profit"))]
    return max(money[0] - money[1] - money[2], 0.0)


def percentage_of_sales_budget(*, sales, rate) -> float:
    """Budget as a share of sales (销售百分比法): ``sales * rate``.

    Easy to defend and to compare across years, but backwards: sales drive
    the budget, although the budget should drive sales.

    Parameters
    ----------
    sales : float
        Sales of the last (or the expected) period, CNY.
    rate : float
        The share, e.g. 0.02 for 2 %.

    Returns
    -------
    float

    Examples
    --------
    >>> percentage_of_sales_budget(sales=2_000_000, rate=0.02)
    40000.0
    """
    return float(_money(sales, name="sales")) * _share(rate, name="rate")


def competitive_parity_budget(*, sales, competitor_spend, competitor_sales) -> float:
    """Budget at the competitors' spending ratio (竞争对等法).

    ``budget = sales * sum(competitor_spend) / sum(competitor_sales)``: the
    company spends on interaction the same share of its sales as its
    competitors do together. It avoids a spending war, but copies others'
    choices, which need not fit the company's customers.

    Parameters
    ----------
    sales : float
        The company's sales, CNY.
    competitor_spend, competitor_sales : float or list of float
        Interaction (marketing) spend and sales of each competitor, CNY.

    Returns
    -------
    float

    Examples
    --------
    >>> competitive_parity_budget(sales=2_000_000, competitor_spend=[30_000, 90_000],
    ...                           competitor_sales=[1_000_000, 3_000_000])
    60000.0
    """
    spend = np.atleast_1d(_money(competitor_spend, name="competitor_spend"))
    their_sales = np.atleast_1d(_money(competitor_sales, name="competitor_sales"))
    if spend.shape != their_sales.shape:
        raise CrmlabInputError(f"competitor_spend and competitor_sales need one number per competitor; got "
                               f"{spend.size} and {their_sales.size}.")
    if their_sales.sum() <= 0:
        raise CrmlabInputError("competitor_sales must add up to more than 0.")
    return float(_money(sales, name="sales")) * float(spend.sum() / their_sales.sum())


def expected_responses(first_response, *, decay, messages):
    """Expected responses of one customer to ``messages`` messages with contact fatigue.

    The j-th message is answered with probability ``first_response *
    decay ** (j - 1)``, so ``m`` messages bring ``first_response * (1 -
    decay ** m) / (1 - decay)`` responses (``first_response * m`` without
    fatigue, ``decay = 1``).

    Parameters
    ----------
    first_response : float or array
        Response rate of the first message.
    decay : float
        Response multiplier per earlier message, 0-1 (:func:`crmlab.touchpoints.contact_fatigue`).
    messages : int or array
        Messages per customer (1, 2, ...).

    Returns
    -------
    float or ndarray

    Examples
    --------
    >>> round(expected_responses(0.10, decay=0.5, messages=3), 4)   # 0.10 + 0.05 + 0.025
    0.175
    """
    p0 = np.asarray(first_response, dtype=float)
    m = np.asarray(messages, dtype=float)
    d = _share(decay, name="decay")
    if np.isnan(p0).any() or (p0 < 0).any() or (p0 > 1).any():
        raise CrmlabInputError(f"first_response must be shares between 0 and 1, got {first_response!r}.")
    if np.isnan(m).any() or (m < 1).any() or (m != np.round(m)).any():
        raise CrmlabInputError(f"messages must be whole numbers >= 1, got {messages!r}.")
    out = p0 * m if d == 1 else p0 * (1 - d ** m) / (1 - d)
    return out.item() if out.ndim == 0 else out


def frequency_plan(*, first_response, decay, cost_per_contact, value_per_response, max_messages: int = 6) -> pd.DataFrame:
    """Return of 1, 2, ..., ``max_messages`` messages per customer: choose the frequency (接触频率).

    One more message is worth sending while the response it adds, times the
    value of a response, exceeds its cost: ``first_response * decay **
    (m - 1) * value_per_response > cost_per_contact``.

    Parameters
    ----------
    first_response, decay
        As in :func:`expected_responses`.
    cost_per_contact, value_per_response : float
        CNY per message and CNY of margin per response.
    max_messages : int, default 6
        The largest frequency to show.

    Returns
    -------
    DataFrame
        Indexed by ``messages``: ``responses_per_customer``,
        ``extra_responses`` (of the last message), ``cost_per_customer``,
        ``value_per_customer``, ``return_per_customer`` (value - cost),
        ``extra_return`` (of the last message) and ``best`` (True on the
        frequency with the highest return).

    Examples
    --------
    >>> plan = frequency_plan(first_response=0.06, decay=0.6, cost_per_contact=0.05, value_per_response=4.0,
    ...                       max_messages=4)
    >>> plan["extra_return"].round(4).tolist(), int(plan.index[plan["best"]][0])
    ([0.19, 0.094, 0.0364, 0.0018], 4)
    """
    if not isinstance(max_messages, (int, np.integer)) or max_messages < 1:
        raise CrmlabInputError(f"max_messages must be a whole number >= 1, got {max_messages!r}.")
    cost = float(_money(cost_per_contact, name="cost_per_contact"))
    value = float(_money(value_per_response, name="value_per_response"))
    m = np.arange(1, max_messages + 1)
    responses = expected_responses(np.full(m.shape, first_response, dtype=float), decay=decay, messages=m)
    out = pd.DataFrame({"responses_per_customer": responses}, index=pd.Index(m, name="messages"))
    out["extra_responses"] = np.diff(responses, prepend=0.0)
    out["cost_per_customer"] = m * cost
    out["value_per_customer"] = responses * value
    out["return_per_customer"] = out["value_per_customer"] - out["cost_per_customer"]
    out["extra_return"] = out["extra_responses"] * value - cost
    out["best"] = np.arange(len(out)) == int(np.argmax(out["return_per_customer"].to_numpy()))
    return out


def _checked_plan(plan: pd.DataFrame, channels=None) -> pd.DataFrame:
    require_columns(plan.columns, PLAN_COLUMNS, table="plan")
    require_nonempty(plan, table="plan")
    out = plan.copy()
    if out["segment"].isna().any() or out["segment"].duplicated().any():
        bad = out["segment"].isna() | out["segment"].duplicated(keep=False)
        raise CrmlabInputError(f"plan: column 'segment' must name each segment once; it does not in "
                               f"{describe_rows(out.index[bad])}. One row per segment (互动对象).")
    known = tuple(CONTACT_CHANNELS if channels is None else channels)
    channel = out["channel"].astype("string")
    bad = channel.isna() | ~channel.isin(known)
    if bad.any():
        raise CrmlabInputError(f"plan: column 'channel' has unknown labels in {describe_rows(out.index[bad])}, e.g. "
                               f"{channel[bad].iloc[0]!r}. Known channels: {list(known)} (or pass channels=[...]).")
    for column in ("customers", "messages"):
        x = pd.to_numeric(out[column], errors="coerce")
        low = 0 if column == "customers" else 1
        bad = x.isna() | (x < low) | (x != np.round(x))
        if bad.any():
            raise CrmlabInputError(f"plan: column '{column}' must hold whole numbers >= {low}; it does not in "
                                   f"{describe_rows(out.index[bad])}.")
        out[column] = x.astype(int)
    rate = pd.to_numeric(out["response_rate"], errors="coerce")
    bad = rate.isna() | (rate < 0) | (rate > 1)
    if bad.any():
        raise CrmlabInputError(f"plan: column 'response_rate' must be a share between 0 and 1 (6 % is 0.06); it is "
                               f"not in {describe_rows(out.index[bad])}.")
    out["response_rate"] = rate.astype(float)
    for column in ("cost_per_contact", "value_per_response"):
        out[column] = amount_column(out[column], column=column, table="plan")
    if "goal_responses" in out:
        out["goal_responses"] = amount_column(out["goal_responses"].fillna(0), column="goal_responses", table="plan")
    else:
        out["goal_responses"] = 0.0
    return out


def plan_table(plan: pd.DataFrame, *, decay: float, channels=None) -> pd.DataFrame:
    """Expected response, cost and return of an interaction plan, per segment (互动计划测算).

    Parameters
    ----------
    plan : DataFrame
        One row per segment with the columns in the module description.
    decay : float
        Contact fatigue, the response multiplier per earlier message (0-1).
    channels : list of str, optional
        Allowed channels; default the data dictionary's.

    Returns
    -------
    DataFrame
        Indexed by ``segment``: the plan's columns, then
        ``responses_per_customer``, ``cost_per_customer``, ``full_cost``,
        ``full_responses``, ``full_value``, ``full_return`` and ``roi``
        (return / cost) of contacting the whole segment as planned;
        ``customers_for_goal`` (customers to contact to reach the goal,
        at most the segment), ``goal_reachable`` and ``goal_cost`` (the
        objective-and-task cost of the goal).

    Examples
    --------
    >>> plan = pd.DataFrame({"segment": ["A", "B"], "customers": [1000, 4000], "channel": ["sms", "email"],
    ...                      "messages": [2, 1], "response_rate": [0.10, 0.02], "cost_per_contact": [0.05, 0.01],
    ...                      "value_per_response": [20.0, 20.0], "goal_responses": [75, 100]})
    >>> t = plan_table(plan, decay=0.5)
    >>> t[["full_responses", "full_cost", "customers_for_goal", "goal_cost"]].round(2)  # doctest: +NORMALIZE_WHITESPACE
             full_responses  full_cost  customers_for_goal  goal_cost
    segment
    A                 150.0      100.0                 500       50.0
    B                  80.0       40.0                4000       40.0
    """
    out = _checked_plan(plan, channels=channels)
    out["responses_per_customer"] = expected_responses(out["response_rate"].to_numpy(), decay=decay,
                                                       messages=out["messages"].to_numpy())
    out["cost_per_customer"] = out["messages"] * out["cost_per_contact"]
    out["full_cost"] = out["customers"] * out["cost_per_customer"]
    out["full_responses"] = out["customers"] * out["responses_per_customer"]
    out["full_value"] = out["full_responses"] * out["value_per_response"]
    out["full_return"] = out["full_value"] - out["full_cost"]
    with np.errstate(invalid="ignore", divide="ignore"):
        out["roi"] = (out["full_return"] / out["full_cost"]).where(out["full_cost"] > 0)
        needed = np.ceil(np.round(out["goal_responses"] / out["responses_per_customer"], 9))
    needed = np.where(out["goal_responses"] > 0, needed, 0)
    out["customers_for_goal"] = np.minimum(np.nan_to_num(needed, nan=np.inf, posinf=np.inf), out["customers"]).astype(int)
    out["goal_reachable"] = out["goal_responses"] <= out["full_responses"] + 1e-9
    out["goal_cost"] = out["customers_for_goal"] * out["cost_per_customer"]
    return out.set_index("segment")


def objective_task_budget(plan: pd.DataFrame, *, decay: float, channels=None) -> float:
    """Budget by objective and task (目标任务法): the cost of the contacts that reach each segment's goal.

    For each segment: customers to contact = goal / expected responses per
    customer (rounded up, at most the whole segment), cost = customers x
    messages x cost per contact; the budget is the sum. The only method that
    starts from what the interaction should achieve. A goal that even the
    whole segment cannot reach costs the whole segment (see
    ``plan_table(...)["goal_reachable"]``).

    Parameters
    ----------
    plan, decay, channels
        As in :func:`plan_table`; ``goal_responses`` is needed.

    Returns
    -------
    float

    Examples
    --------
    >>> plan = pd.DataFrame({"segment": ["A", "B"], "customers": [1000, 4000], "channel": ["sms", "email"],
    ...                      "messages": [2, 1], "response_rate": [0.10, 0.02], "cost_per_contact": [0.05, 0.01],
    ...                      "value_per_response": [20.0, 20.0], "goal_responses": [75, 100]})
    >>> objective_task_budget(plan, decay=0.5)   # A: 500 customers x 2 x 0.05; B: all 4000 x 0.01
    90.0
    """
    require_columns(plan.columns, ["goal_responses"], table="plan")
    return float(plan_table(plan, decay=decay, channels=channels)["goal_cost"].sum())


def _fund(budget: float, order: np.ndarray, wanted: np.ndarray, unit_cost: np.ndarray) -> np.ndarray:
    """Customers funded per segment when ``budget`` pays ``wanted`` customers in ``order``, best first."""
    customers = np.zeros(len(wanted))
    cost = wanted[order] * unit_cost[order]
    before = np.cumsum(cost) - cost
    money = np.clip(budget - before, 0, cost)
    with np.errstate(invalid="ignore", divide="ignore"):
        afford = np.where(unit_cost[order] > 0, np.floor(np.round(money / unit_cost[order], 9)), wanted[order])
    customers[order] = np.minimum(afford, wanted[order])
    return customers


def allocate_budget(plan: pd.DataFrame, *, budget: float, decay: float, channels=None) -> pd.DataFrame:
    """Spend a budget on the plan by one stated rule; what it buys per segment (预算分配).

    The rule: first the **goals**, segment by segment in order of return on
    cost (best first), as far as the money goes; then, with what is left,
    **more customers** of the segments whose contacts pay for themselves
    (return > 0), again best first. Money that no paying contact can use
    stays unspent. With the objective-and-task budget exactly the goals are
    funded.

    Parameters
    ----------
    plan, decay, channels
        As in :func:`plan_table`.
    budget : float
        CNY to spend.

    Returns
    -------
    DataFrame
        Indexed by ``segment``: ``customers``, ``contacted``, ``cost``,
        ``expected_responses``, ``expected_value``, ``net_return``,
        ``goal_responses`` and ``goal_met``; ``attrs["budget"]`` and
        ``attrs["unspent"]``.

    Examples
    --------
    >>> plan = pd.DataFrame({"segment": ["A", "B"], "customers": [1000, 4000], "channel": ["sms", "email"],
    ...                      "messages": [2, 1], "response_rate": [0.10, 0.02], "cost_per_contact": [0.05, 0.01],
    ...                      "value_per_response": [20.0, 20.0], "goal_responses": [75, 100]})
    >>> allocate_budget(plan, budget=70, decay=0.5)["contacted"].tolist()   # B pays more per yuan: its 40 first
    [300, 4000]
    """
    money = float(_money(budget, name="budget"))
    table = plan_table(plan, decay=decay, channels=channels)
    unit = table["cost_per_customer"].to_numpy(float)
    roi = table["roi"].fillna(np.inf).to_numpy()  # free contacts first
    order = np.argsort(-roi, kind="stable")
    goal = _fund(money, order, table["customers_for_goal"].to_numpy(float), unit)
    left = money - float((goal * unit).sum())
    room = np.where(table["full_return"].to_numpy() > 0, table["customers"].to_numpy(float) - goal, 0)
    extra = _fund(left, order, room, unit)
    contacted = (goal + extra).astype(int)
    out = pd.DataFrame({"customers": table["customers"], "contacted": contacted}, index=table.index)
    out["cost"] = contacted * unit
    out["expected_responses"] = contacted * table["responses_per_customer"]
    out["expected_value"] = out["expected_responses"] * table["value_per_response"]
    out["net_return"] = out["expected_value"] - out["cost"]
    out["goal_responses"] = table["goal_responses"]
    out["goal_met"] = out["expected_responses"] >= out["goal_responses"] - 1e-9
    out.attrs["budget"] = money
    out.attrs["unspent"] = money - float(out["cost"].sum())
    return out


def compare_budgets(plan: pd.DataFrame, *, budgets: dict, decay: float, by_segment: bool = False,
                    channels=None) -> pd.DataFrame:
    """The budget methods side by side: each budget spent on the same plan by :func:`allocate_budget`.

    Parameters
    ----------
    plan, decay, channels
        As in :func:`plan_table`.
    budgets : dict
        Budget per method, keys from :data:`BUDGET_METHODS` (``"affordable"``,
        ``"percentage_of_sales"``, ``"competitive_parity"``,
        ``"objective_task"``); e.g. the results of :func:`affordable_budget`
        and the others. The objective-and-task budget is computed from the
        plan's goals when it is not given.
    by_segment : bool, default False
        Compare per segment instead of in total.

    Returns
    -------
    DataFrame
        One row per method: ``method_en``, ``method_zh``, ``budget``,
        ``spent``, ``unspent``, ``contacted``, ``expected_responses``,
        ``expected_value``, ``net_return``, ``roi`` (net return / spent),
        ``goals_met`` and ``goals`` (segments with a goal). With
        ``by_segment=True``: one row per segment and, for each method, the
        columns ``contacted``, ``cost``, ``expected_responses``,
        ``net_return`` and ``goal_met`` (column levels: method, measure).

    Examples
    --------
    B's goal of 100 responses is out of reach (4000 x 0.02 = 80 at most), so no budget meets it:

    >>> plan = pd.DataFrame({"segment": ["A", "B"], "customers": [1000, 4000], "channel": ["sms", "email"],
    ...                      "messages": [2, 1], "response_rate": [0.10, 0.02], "cost_per_contact": [0.05, 0.01],
    ...                      "value_per_response": [20.0, 20.0], "goal_responses": [75, 100]})
    >>> compare_budgets(plan, budgets={"percentage_of_sales": 50}, decay=0.5)[["budget", "goals_met"]]
    ... # doctest: +NORMALIZE_WHITESPACE
                         budget  goals_met
    method
    percentage_of_sales    50.0          0
    objective_task         90.0          1
    """
    names = {key: (en, zh) for key, en, zh in BUDGET_METHODS}
    if not isinstance(budgets, dict) or not budgets:
        raise CrmlabInputError("budgets must be a dict such as {'affordable': 50000, 'percentage_of_sales': 40000}.")
    unknown = [k for k in budgets if k not in names]
    if unknown:
        raise CrmlabInputError(f"unknown budget method(s) {unknown}; use {list(names)}.")
    budgets = dict(budgets)
    if "objective_task" not in budgets:
        budgets["objective_task"] = objective_task_budget(plan, decay=decay, channels=channels)
    methods = [k for k in names if k in budgets]  # four at most, in the textbook's order
    spending = {m: allocate_budget(plan, budget=budgets[m], decay=decay, channels=channels) for m in methods}
    if by_segment:
        return pd.concat({m: spending[m][["contacted", "cost", "expected_responses", "net_return", "goal_met"]]
                          for m in methods}, axis=1, names=["method", "measure"])
    rows = []
    for method in methods:
        spent = spending[method]
        cost = float(spent["cost"].sum())
        rows.append({
            "method": method, "method_en": names[method][0], "method_zh": names[method][1],
            "budget": float(budgets[method]), "spent": cost, "unspent": spent.attrs["unspent"],
            "contacted": int(spent["contacted"].sum()),
            "expected_responses": float(spent["expected_responses"].sum()),
            "expected_value": float(spent["expected_value"].sum()),
            "net_return": float(spent["net_return"].sum()),
            "roi": float(spent["net_return"].sum()) / cost if cost > 0 else np.nan,
            "goals_met": int((spent["goal_met"] & (spent["goal_responses"] > 0)).sum()),
            "goals": int((spent["goal_responses"] > 0).sum()),
        })
    return pd.DataFrame(rows).set_index("method")
