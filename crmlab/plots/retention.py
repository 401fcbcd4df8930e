"""Figures for retention (客户保持图表): survival curves and the cohort retention heat map.

Each function draws a DataFrame made by :mod:`crmlab.retention` and returns
the matplotlib Axes; call ``crmlab.use_theme()`` first for Chinese labels.
"""
from __future__ import annotations

__all__ = ["survival_chart", "cohort_heatmap"]


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
    """
    import matplotlib.pyplot as plt

    ax = plt.subplots(figsize=(8, 4.5))[1] if ax is None else ax
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
    """
    import matplotlib.pyplot as plt
    import seaborn as sns

    shares = table.drop(columns="customers").loc[:, 1:max_periods]
    shares.index = [f"{p} (n={n})" for p, n in zip(table.index.astype(str), table["customers"])]
    ax = plt.subplots(figsize=(10, 0.22 * len(shares) + 1.5))[1] if ax is None else ax
    sns.heatmap(shares, ax=ax, cmap="Blues", vmin=0, vmax=max(0.05, float(shares.max().max())),
                cbar_kws={"label": "回购比例 Share buying", "format": "{x:.0%}"})
    ax.set(xlabel="首购后第k期 Periods after the first purchase (k)", ylabel="同期群 Cohort (first purchase)",
           title="同期群留存表 Cohort retention")
    return ax
