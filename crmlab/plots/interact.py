"""Figures and classroom controls for chapter 5, interacting with customers (客户互动).

Figures (each returns the matplotlib ``Axes``; call ``plt.show()`` after):

- :func:`plot_response_by_message`: contact fatigue, the observed response
  of the 1st, 2nd, ... message with intervals and the fitted curve;
- :func:`plot_uplift`: a forest plot of uplift per segment with intervals;
- :func:`plot_complaint_retention`: who buys again after a complaint, by
  outcome, against the silent unhappy customers.

Controls (``ipywidgets``; display the returned box as the last line of a
cell). Their results are HTML tables, not matplotlib figures, so they look
the same live, in a notebook stored executed and under nbval:

- :func:`frequency_widget`: channel and value of a response -> the best
  number of messages;
- :func:`budget_widget`: budget method and amount -> what the budget buys
  per segment;
- :func:`campaign_segment_widget`: a segment -> its uplift and return.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from crmlab.campaigns import campaign_return, campaign_uplift
from crmlab.complaints import GROUP_ZH
from crmlab.interaction_plan import BUDGET_METHODS, allocate_budget, frequency_plan
from crmlab.touchpoints import CHANNEL_ZH
from crmlab.plots._figure import axes

__all__ = ["plot_response_by_message", "plot_uplift", "plot_complaint_retention", "frequency_widget",
           "budget_widget", "campaign_segment_widget"]


def _html(frame: pd.DataFrame, formats: dict) -> str:
    shown = frame.copy()
    for column, fmt in formats.items():
        if column in shown:
            shown[column] = shown[column].map(lambda v, f=fmt: "" if pd.isna(v) else f.format(v))
    return shown.to_html(escape=True, border=0)


def plot_response_by_message(observed: pd.DataFrame, fit: pd.DataFrame | None = None, *, ax=None):
    """Response rate of the j-th message of a wave, with Wilson intervals, per channel (接触疲劳).

    Parameters
    ----------
    observed : DataFrame
        :func:`crmlab.touchpoints.response_by_message` with ``by="channel"``.
    fit : DataFrame, optional
        :func:`crmlab.touchpoints.contact_fatigue` with ``by="channel"``:
        draws ``first_response * decay ** (j - 1)`` as dashed lines.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes
        Points with interval bars per channel, the fitted curve dashed when given.

    Examples
    --------
    Two messages per customer; the second one is answered half as often:

    >>> from crmlab.touchpoints import contact_fatigue, response_by_message
    >>> ids = [f"c{i}" for i in range(200)]           # c0-c99 by SMS, c100-c199 by e-mail
    >>> log = pd.DataFrame({"customer_id": ids * 2, "campaign_id": "W1",
    ...                     "interaction_ts": pd.to_datetime(["2025-06-01"] * 200 + ["2025-06-04"] * 200),
    ...                     "channel": (["sms"] * 100 + ["email"] * 100) * 2, "initiated_by": "company",
    ...                     "cost": 0.05,
    ...                     "responded": [i % 100 < (50 if i < 100 else 20) for i in range(200)]
    ...                                  + [i % 100 < (25 if i < 100 else 10) for i in range(200)]})
    >>> observed = response_by_message(log, by="channel")
    >>> fit = contact_fatigue(log, by="channel")
    >>> ax = plot_response_by_message(observed, fit)
    >>> [t.get_text() for t in ax.get_legend().get_texts()]
    ['电子邮件 email', '短信 sms']
    >>> [line.get_ydata().round(3).tolist() for line in ax.lines if line.get_linestyle() == "--"]  # fitted
    [[0.2, 0.1], [0.5, 0.25]]
    """
    ax = axes(ax, None)
    table = observed.reset_index()
    for k, (channel, rows) in enumerate(table.groupby("channel", sort=False)):
        colour = f"C{k}"
        j = rows["message_no"].to_numpy()
        err = np.vstack([rows["response_rate"] - rows["response_low"], rows["response_high"] - rows["response_rate"]])
        ax.errorbar(j + (k - 1) * 0.06, rows["response_rate"], yerr=err, fmt="o", color=colour, capsize=3,
                    label=f"{CHANNEL_ZH.get(channel, channel)} {channel}")
        if fit is not None:
            params = fit.set_index(["parameter", "group"])["estimate"]
            if ("first_response", channel) in params.index:
                curve = params[("first_response", channel)] * params[("decay", "all")] ** (j - 1)
                ax.plot(j, curve, linestyle="--", color=colour, linewidth=1)
    ax.set_xticks(sorted(table["message_no"].unique()))
    ax.yaxis.set_major_formatter("{x:.0%}")
    ax.set(xlabel="波次内第几条消息 Message number within the wave", ylabel="响应率 Response rate",
           title="接触疲劳 Contact fatigue: response to each further message")
    ax.legend(title="渠道 Channel")
    return ax


def plot_uplift(uplift: pd.DataFrame, *, metric: str = "response_rate", labels=None, heterogeneity=None, ax=None):
    """Forest plot (森林图) of the uplift per segment with its interval; 0 = no effect.

    A red interval is significant in its segment alone; whether the segments
    differ is another test (:func:`crmlab.campaigns.uplift_heterogeneity`),
    whose p-value the plot writes in its corner when ``heterogeneity`` is given.

    Parameters
    ----------
    uplift : DataFrame
        :func:`crmlab.campaigns.campaign_uplift` with ``by`` (one segment column).
    metric : {"response_rate", "revenue_per_customer"}, default "response_rate"
    labels : dict, optional
        Display label per segment key (e.g. Chinese names).
    heterogeneity : DataFrame, optional
        :func:`crmlab.campaigns.uplift_heterogeneity` of the same data: the
        p-value of its first test of ``metric`` (for the response the
        likelihood-ratio test) is written on the plot.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes
        One interval per segment around its uplift, with a line at 0.

    Examples
    --------
    >>> a = pd.DataFrame({"customer_id": [f"c{i}" for i in range(80)],
    ...                   "group": (["treatment"] * 20 + ["control"] * 20) * 2,
    ...                   "responded": [True] * 12 + [False] * 8 + [True] * 4 + [False] * 16    # new: 60 % vs 20 %
    ...                                + [True] * 6 + [False] * 14 + [True] * 5 + [False] * 15,  # loyal: 30 % vs 25 %
    ...                   "revenue": 0.0, "segment": ["new"] * 40 + ["loyal"] * 40})
    >>> ax = plot_uplift(campaign_uplift(a, by="segment"))
    >>> [t.get_text() for t in ax.get_yticklabels()]
    ['loyal', 'new']
    >>> [str(bar.lines[0].get_color()) for bar in ax.containers]   # C3 (red): significant
    ['C0', 'C3']
    >>> from crmlab.campaigns import uplift_heterogeneity
    >>> ax = plot_uplift(campaign_uplift(a, by="segment"), heterogeneity=uplift_heterogeneity(a, by="segment"))
    >>> ax.texts[0].get_text()
    '分群差异检验 segments differ? p = 0.13'
    """
    ax = axes(ax, None)
    rows = uplift.xs(metric, level="metric").dropna(subset=["uplift"])
    names = [labels.get(s, s) if labels else str(s) for s in rows.index]
    y = np.arange(len(rows))[::-1]
    err = np.vstack([rows["uplift"] - rows["ci_low"], rows["ci_high"] - rows["uplift"]])
    colours = np.where(rows["significant"], "C3", "C0")
    for yi, x, e0, e1, c in zip(y, rows["uplift"], err[0], err[1], colours):
        ax.errorbar(x, yi, xerr=[[e0], [e1]], fmt="o", color=c, capsize=3)
    ax.axvline(0, color="0.4", linewidth=0.8, linestyle="--")
    ax.set_yticks(y, names)
    if metric == "response_rate":
        ax.xaxis.set_major_formatter("{x:+.0%}")
        ax.set(xlabel="响应率增量（实验组 − 对照组） Uplift in response rate")
    else:
        ax.set(xlabel="人均收入增量（元） Uplift in revenue per customer (CNY)")
    ax.set(title="分群增量 Uplift by segment, 95% intervals (red: p < 0.05 alone)")
    if heterogeneity is not None:
        p = heterogeneity.xs(metric, level="metric").iloc[0]["p_value"]
        ax.set_ylim(-1.2, len(rows) - 0.5)  # a free row at the bottom for the test
        ax.text(0.98, -0.8, f"分群差异检验 segments differ? {'p < 0.001' if p < 0.001 else f'p = {p:.2f}'}",
                transform=ax.get_yaxis_transform(), ha="right", va="center", fontsize=9, color="0.25")
    return ax


def plot_complaint_retention(retention: pd.DataFrame, *, expected: dict | None = None, ax=None):
    """Share who bought again after a complaint, by outcome, with intervals (投诉后的保持率).

    Parameters
    ----------
    retention : DataFrame
        :func:`crmlab.complaints.complaint_retention`.
    expected : dict, optional
        The share per group a correct analysis should find (the answer key's
        ``estimands["bought_again"]``), drawn as open diamonds.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes
        One bar per complaint outcome with its interval, the expected shares marked when given.

    Examples
    --------
    >>> retention = pd.DataFrame({"customers": [40, 25, 300], "retention": [0.8, 0.2, 0.5],
    ...                           "retention_low": [0.65, 0.09, 0.44], "retention_high": [0.9, 0.39, 0.56]},
    ...                          index=pd.Index(["resolved_satisfied", "unresolved", "silent"], name="group"))
    >>> ax = plot_complaint_retention(retention, expected={"resolved_satisfied": 0.85})
    >>> [float(bar.get_height()) for bar in ax.patches]   # one bar per group: the share who bought again
    [0.8, 0.2, 0.5]
    >>> [t.get_text().split("\\n")[1] for t in ax.get_xticklabels()]
    ['resolved_satisfied', 'unresolved', 'silent']
    """
    ax = axes(ax, (9, 4.5))
    x = np.arange(len(retention))
    err = np.vstack([retention["retention"] - retention["retention_low"],
                     retention["retention_high"] - retention["retention"]])
    ax.bar(x, retention["retention"], color=[f"C{i}" for i in range(len(retention))], alpha=0.8,
           label="再次购买 bought again (measured)")
    ax.errorbar(x, retention["retention"], yerr=err, fmt="none", color="0.2", capsize=4)
    if expected is not None:
        ax.plot(x, [expected.get(g, np.nan) for g in retention.index], "D", color="0.1", markerfacecolor="none",
                markersize=9, label="答案：预期再购比例 expected (answer key)")
    ax.set_xticks(x, [f"{GROUP_ZH.get(g, g)}\n{g}\nn = {n:,}" for g, n in zip(retention.index, retention["customers"])],
                  fontsize=9)
    ax.yaxis.set_major_formatter("{x:.0%}")
    ax.set(ylim=(0, 1), ylabel="投诉后再次购买的比例 Share who bought again",
           title="投诉处理结果与客户保持 Complaint outcome and retention")
    ax.legend(loc="upper right")
    return ax


def frequency_widget(first_response: dict, *, decay: float, cost_per_contact: dict, value_per_response: float = 5.0,
                     max_messages: int = 6):
    """Choose a contact frequency in class (接触频率): channel and value of a response -> best number of messages.

    Parameters
    ----------
    first_response : dict
        Channel -> response rate of the first message (e.g. from
        :func:`crmlab.touchpoints.contact_fatigue`).
    decay : float
        Fatigue: response multiplier per earlier message.
    cost_per_contact : dict
        Channel -> CNY per message.
    value_per_response : float, default 5
        Starting value of the slider (CNY of margin per response).
    max_messages : int, default 6

    Returns
    -------
    ipywidgets.VBox
        A channel dropdown, a value slider and the table of
        :func:`crmlab.interaction_plan.frequency_plan`.

    Examples
    --------
    >>> w = frequency_widget({"sms": 0.06}, decay=0.6, cost_per_contact={"sms": 0.05}, value_per_response=4.0)
    >>> "best: 4 messages" in w.children[2].value
    True
    """
    import ipywidgets as widgets

    channel = widgets.Dropdown(options=list(first_response), description="渠道 channel")
    value = widgets.FloatSlider(value=value_per_response, min=0.5, max=30, step=0.5,
                                description="每次响应价值", style={"description_width": "initial"})
    out = widgets.HTML()

    def show(*_):
        plan = frequency_plan(first_response=first_response[channel.value], decay=decay,
                              cost_per_contact=cost_per_contact[channel.value], value_per_response=value.value,
                              max_messages=max_messages)
        best = int(plan.index[plan["best"]][0])
        out.value = (f"<b>best: {best} messages</b> per customer in a wave (最佳频率 {best} 条)"
                     + _html(plan.drop(columns="best"), {c: "{:.4f}" for c in plan.columns if c != "best"}))

    channel.observe(show, "value")
    value.observe(show, "value")
    show()
    return widgets.VBox([channel, value, out])


def budget_widget(plan: pd.DataFrame, *, budgets: dict, decay: float):
    """A budget method and amount -> what the budget buys per segment (互动预算).

    Parameters
    ----------
    plan : DataFrame
        The interaction plan (:mod:`crmlab.interaction_plan`).
    budgets : dict
        Budget per method (all four, e.g. with the objective-and-task budget
        from :func:`crmlab.interaction_plan.objective_task_budget`); choosing
        a method sets the amount slider to it.
    decay : float
        Contact fatigue.

    Returns
    -------
    ipywidgets.VBox
        Method dropdown, amount slider, and the allocation table of
        :func:`crmlab.interaction_plan.allocate_budget`.

    Examples
    --------
    >>> plan = pd.DataFrame({"segment": ["A"], "customers": [1000], "channel": ["sms"], "messages": [1],
    ...                      "response_rate": [0.1], "cost_per_contact": [1.0], "value_per_response": [20.0],
    ...                      "goal_responses": [50]})
    >>> w = budget_widget(plan, budgets={"affordable": 300.0, "objective_task": 500.0}, decay=0.6)
    >>> w.children[0].value = "objective_task"
    >>> w.children[1].value
    500.0
    """
    import ipywidgets as widgets

    names = {key: f"{zh} {en}" for key, en, zh in BUDGET_METHODS}
    method = widgets.Dropdown(options=[(names[k], k) for k in names if k in budgets], description="方法 method")
    top = max(budgets.values()) * 2
    amount = widgets.FloatSlider(value=budgets[method.value], min=0, max=top, step=top / 200,
                                 description="预算（元）", style={"description_width": "initial"},
                                 layout=widgets.Layout(width="500px"))
    out = widgets.HTML()

    def show(*_):
        spent = allocate_budget(plan, budget=amount.value, decay=decay)
        met = int((spent["goal_met"] & (spent["goal_responses"] > 0)).sum())
        goals = int((spent["goal_responses"] > 0).sum())
        out.value = (f"<b>spent {spent['cost'].sum():,.0f} of {amount.value:,.0f} CNY; "
                     f"{spent['expected_responses'].sum():,.0f} responses expected; net return "
                     f"{spent['net_return'].sum():,.0f} CNY; goals met {met} of {goals}</b>"
                     + _html(spent, {"cost": "{:,.0f}", "expected_responses": "{:,.1f}", "expected_value": "{:,.0f}",
                                     "net_return": "{:,.0f}", "goal_responses": "{:,.0f}"}))

    def pick(*_):
        amount.value = budgets[method.value]  # triggers show

    method.observe(pick, "value")
    amount.observe(show, "value")
    show()
    return widgets.VBox([method, amount, out])


def campaign_segment_widget(assignment: pd.DataFrame, *, by: str, cost_per_contact: float, margin_rate: float,
                            labels=None, campaign_id=None):
    """Pick a segment -> its uplift in response and revenue and the return on the campaign's cost (分群评估).

    Parameters
    ----------
    assignment : DataFrame
        ``campaign_assignment`` with the segment column ``by`` joined in.
    by : str
        The segment column.
    cost_per_contact, margin_rate, campaign_id
        As in :func:`crmlab.campaigns.campaign_return`.
    labels : dict, optional
        Display label per segment key.

    Returns
    -------
    ipywidgets.VBox

    Examples
    --------
    >>> a = pd.DataFrame({"customer_id": list("abcdefgh"), "group": ["treatment", "control"] * 4,
    ...                   "responded": [True, False] * 4, "revenue": [50.0, 0.0, 30.0, 0.0, 20.0, 10.0, 0.0, 0.0],
    ...                   "seg": ["x"] * 4 + ["y"] * 4})
    >>> w = campaign_segment_widget(a, by="seg", cost_per_contact=1.0, margin_rate=0.5)
    >>> w.children[0].options[0][1], "uplift" in w.children[1].value
    ('(all)', True)
    """
    import ipywidgets as widgets

    uplift = campaign_uplift(assignment, by=by, campaign_id=campaign_id, verbose=False)
    money = campaign_return(assignment, by=by, cost_per_contact=cost_per_contact, margin_rate=margin_rate,
                            campaign_id=campaign_id, verbose=False)
    overall = campaign_uplift(assignment, campaign_id=campaign_id, verbose=False)
    overall_money = campaign_return(assignment, cost_per_contact=cost_per_contact, margin_rate=margin_rate,
                                    campaign_id=campaign_id, verbose=False)
    keys = list(dict.fromkeys(uplift.index.get_level_values(0)))
    options = [("全部 all customers", "(all)")] + [(labels.get(k, str(k)) if labels else str(k), k) for k in keys]
    segment = widgets.Dropdown(options=options, description="细分 segment")
    out = widgets.HTML()
    columns = ["n_treatment", "n_control", "treatment", "control", "uplift", "ci_low", "ci_high", "p_value"]
    fmt = {c: "{:.4f}" for c in ["treatment", "control", "uplift", "ci_low", "ci_high", "p_value"]}

    def show(*_):
        if segment.value == "(all)":
            table, ret = overall[columns], overall_money.iloc[0]
        else:
            table, ret = uplift.loc[segment.value, columns], money.loc[segment.value]
        out.value = (_html(table, fmt) +
                     f"<p><b>return on cost</b>: incremental margin {ret['incremental_margin']:,.0f} CNY "
                     f"(95% {ret['margin_low']:,.0f} to {ret['margin_high']:,.0f}) for a cost of {ret['cost']:,.0f} CNY; "
                     f"ROI {ret['roi']:.1f} (95% {ret['roi_low']:.1f} to {ret['roi_high']:.1f})</p>")

    segment.observe(show, "value")
    show()
    return widgets.VBox([segment, out])
