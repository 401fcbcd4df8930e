"""Figures for CRM capability (客户关系管理能力图表): the scorecard as bars.

Draws a DataFrame made by :func:`crmlab.capability.capability_scorecard` and
returns the matplotlib Axes; call ``crmlab.use_theme()`` first for Chinese labels.
"""
from __future__ import annotations

from crmlab.capability import STATUS_ZH
from crmlab.plots._figure import axes

__all__ = ["scorecard_chart", "STATUS_COLOURS"]

#: Bar colour per status (colour-blind safe: blue met, orange near, vermilion weak, grey not measured).
STATUS_COLOURS = {"met": "#0072b2", "near": "#e69f00", "weak": "#d55e00", "not measured": "#999999"}


def _shown(value, unit: str) -> str:
    if value != value:  # NaN
        return "–"
    return f"{value:.3g} h" if unit == "hours" else f"{value:.0%}" if value >= 0.1 else f"{value:.1%}"


def scorecard_chart(scorecard, *, ax=None):
    """The capability scorecard as horizontal bars of the score, coloured by status (能力评分卡).

    Parameters
    ----------
    scorecard : DataFrame
        From :func:`crmlab.capability.capability_scorecard` (columns ``label``, ``value``, ``unit``,
        ``target``, ``better``, ``score``, ``status``), drawn top to bottom in its order.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes
        One bar per measure (score 0-100), a line at 100 (target met), and beside each bar the value
        against its target.

    Examples
    --------
    >>> import pandas as pd
    >>> from crmlab.capability import score_capability
    >>> m = pd.DataFrame({"label": ["活跃客户 active", "投诉处理时长 hours"], "value": [0.45, 36.0],
    ...                   "unit": ["share", "hours"], "better": ["higher", "lower"]}, index=["active", "hours"])
    >>> ax = scorecard_chart(score_capability(m, targets={"active": 0.6, "hours": 24}))
    >>> [round(float(p.get_width()), 1) for p in ax.patches]
    [75.0, 66.7]
    >>> [t.get_text() for t in ax.texts]
    ['45% (≥ 60%)', '36 h (≤ 24 h)']
    """
    ax = axes(ax, (8, 0.45 * len(scorecard) + 1.4))
    rows = list(range(len(scorecard)))[::-1]  # first measure on top
    ax.barh(rows, scorecard["score"].to_numpy(float), color=scorecard["status"].map(STATUS_COLOURS).tolist())
    ax.set_yticks(rows, scorecard["label"].tolist())
    ax.axvline(100, color="0.3", linewidth=1)
    for y, (_, r) in zip(rows, scorecard.iterrows()):  # one label per measure (about ten), not per data row
        sign = "≥" if r["better"] == "higher" else "≤"
        ax.text(min(r["score"], 100) + 2, y, f"{_shown(r['value'], r['unit'])} ({sign} {_shown(r['target'], r['unit'])})",
                va="center", fontsize="small")
    ax.set(xlim=(0, 145), xlabel="得分 Score (100 = 达标 target met)", title="客户关系管理能力评分卡 CRM capability scorecard")
    ax.set_xticks([0, 20, 40, 60, 80, 100])
    from matplotlib.patches import Patch

    handles = [Patch(color=c, label=f"{STATUS_ZH[s]} {s}") for s, c in STATUS_COLOURS.items()
               if s in set(scorecard["status"])]
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1), fontsize="small")
    return ax
