"""Figures for retention (客户保持图表): survival curves, the cohort retention heat map, the win-back list.

Each function draws a DataFrame made by :mod:`crmlab.retention` and returns
the matplotlib Axes; call ``crmlab.use_theme()`` first for Chinese labels.
"""
from __future__ import annotations
from crmlab.plots._figure import axes

__all__ = ["survival_chart", "cohort_heatmap", "winback_chart"]


def survival_chart(km, *, by: str | None = None, labels: dict | None = None, ax=None):
    """Kaplan–Meier step curves with their confidence bands (生存曲线).

    Parameters
    ----------
    km : DataFrame
        From :func:`crmlab.retention.kaplan_meier`.
    by : str, optional
        Its group column, one curve per group.
    labels : dict, optional
        Legend text per group value (e.g. ``crmlab.satisfaction.LEVEL_LABELS``).
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes
        One step curve and band per group.

    Examples
    --------
    >>> import pandas as pd
    >>> from crmlab.retention import kaplan_meier
    >>> customers = pd.DataFrame({"days": [30, 60, 60, 90, 120, 150], "churned": [1, 1, 0, 1, 0, 0],
    ...                           "channel": ["web"] * 3 + ["store"] * 3})
    >>> km = kaplan_meier(customers, duration="days", event="churned", by="channel")
    >>> ax = survival_chart(km, by="channel")
    >>> [t.get_text() for t in ax.get_legend().get_texts()]
    ['store', 'web']
    >>> [line.get_ydata().round(3).tolist() for line in ax.lines]   # S(t) at 0 and after each time
    [[1.0, 0.667, 0.667, 0.667], [1.0, 0.667, 0.333]]
    """
    ax = axes(ax, (8, 4.5))
    groups = km.groupby(by, sort=False, observed=True) if by else [("all", km)]
    for name, curve in groups:  # one curve per group
        label = (labels or {}).get(name, str(name))
        line = ax.step(curve["time"], curve["survival"], where="post", label=label)[0]
        ax.fill_between(curve["time"], curve["ci_low"], curve["ci_high"], step="post", alpha=0.2,
                        color=line.get_color(), linewidth=0)
    ax.set(ylim=(0, 1.02), ylabel="仍活跃的比例 Share still active S(t)", xlabel="天数 Days",
           title="生存曲线 Kaplan–Meier survival (95% CI)")
    ax.yaxis.set_major_formatter("{x:.0%}")
    if by:
        ax.legend()
    return ax


def cohort_heatmap(table, *, max_periods: int = 12, ax=None):
    """Heat map of a cohort retention table (同期群留存热力图).

    Parameters
    ----------
    table : DataFrame
        From :func:`crmlab.retention.cohort_retention`.
    max_periods : int, default 12
        Periods shown (k = 1 ... max_periods; k = 0 is always 100 %).
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes
        One row per cohort, one column per period k.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> import pandas as pd
    >>> from crmlab.retention import cohort_retention
    >>> from crmlab.theme import use_theme
    >>> p = pd.DataFrame({"customer_id": ["A", "A", "B", "C"],
    ...                   "order_ts": pd.to_datetime(["2025-01-05", "2025-03-02", "2025-01-20", "2025-02-11"])})
    >>> table = cohort_retention(p, as_of="2025-04-01")   # periods k = 0, 1, 2
    >>> with plt.rc_context():                       # Chinese font for this figure only
    ...     _ = use_theme(cjk_font="bundled")
    ...     ax = cohort_heatmap(table)
    >>> [t.get_text() for t in ax.get_yticklabels()], [t.get_text() for t in ax.get_xticklabels()]
    (['2025-01 (n=2)', '2025-02 (n=1)'], ['1', '2'])
    """
    import seaborn as sns

    periods = table.drop(columns="customers")
    # By position of the period numbers, not a label slice: a short table has no label max_periods.
    shares = periods.loc[:, [1 <= k <= max_periods for k in periods.columns]]
    shares.index = [f"{p} (n={n})" for p, n in zip(table.index.astype(str), table["customers"])]
    ax = axes(ax, (10, 0.22 * len(shares) + 1.5))
    sns.heatmap(shares, ax=ax, cmap="Blues", vmin=0, vmax=max(0.05, float(shares.max().max())),
                cbar_kws={"label": "回购比例 Share buying", "format": "{x:.0%}"})
    ax.set(xlabel="首购后第k期 Periods after the first purchase (k)", ylabel="同期群 Cohort (first purchase)",
           title="同期群留存表 Cohort retention")
    return ax


def winback_chart(winback, *, ax=None):
    """Cumulative incremental value of a win-back list in two orders: by what the contact adds, and by
    expected value (挽回名单：增量价值与期望价值).

    Contacting the lost customers one by one down a list adds up their incremental value (uplift x value
    − cost). Ranked by incremental value the curve climbs fastest; ranked by expected value (chance of
    returning anyway x value: ``expected_return``) it climbs slower, because that order puts first the
    customers who would come back unprompted. The gap between the curves is what the wrong ranking costs.

    Parameters
    ----------
    winback : DataFrame
        From :func:`crmlab.retention.winback_priority` with a ``baseline`` (columns
        ``incremental_value`` and ``expected_return``), best first.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes
        Two lines: the list's own order and the expected-value order (ties kept in the list's order).

    Examples
    --------
    >>> import pandas as pd
    >>> from crmlab.retention import winback_priority
    >>> f = pd.DataFrame({"churned": True, "value": [500.0, 800.0, 100.0], "alone": [0.6, 0.05, 0.1]},
    ...                  index=["A", "B", "D"])
    >>> ax = winback_chart(winback_priority(f, value="value", uplift=0.07, baseline="alone", cost=10))
    >>> [line.get_ydata().round(1).tolist() for line in ax.lines]   # B first (46), or A first (25)
    [[46.0, 71.0, 68.0], [25.0, 71.0, 68.0]]
    """
    import numpy as np

    ax = axes(ax, (8, 3.8))
    likely = winback.sort_values("expected_return", ascending=False, kind="stable")
    for order, label in ((winback.index, "按联系的增量价值 by what the contact adds"),
                         (likely.index, "按期望价值 by expected value (likely to return)")):
        ax.plot(np.arange(1, len(order) + 1), winback.loc[order, "incremental_value"].cumsum().to_numpy(), label=label)
    ax.set(title="挽回名单 Win-back list: cumulative incremental value",
           xlabel="联系的流失客户数 Lost customers contacted", ylabel="累计增量价值 Incremental value (yuan)")
    ax.legend()
    return ax
