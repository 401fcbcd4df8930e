"""Figures and a classroom control for chapter 4, differentiate customers (区分客户图表).

Each chart draws a DataFrame made by :mod:`crmlab.pareto`, :mod:`crmlab.rfm`
or :mod:`crmlab.airline` on a matplotlib Axes (a new one by default) and
returns the Axes; labels are in Chinese and English (call
``crmlab.use_theme()`` first). :func:`rfm_split_explorer` is an ipywidgets
control an instructor can move in class.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from crmlab.rfm import CLASSES, RFM_GRID, SEGMENTS, rfm_classes, rfm_summary
from crmlab.plots import _html
from crmlab.plots._figure import axes

__all__ = ["lorenz_chart", "segment_grid_chart", "class_chart", "lrfmc_profile_chart", "rfm_split_explorer"]



def lorenz_chart(curve: pd.DataFrame, *, gini: float | None = None, ax=None):
    """The Lorenz curve (洛伦兹曲线) against the line of equality, the area between them shaded.

    Parameters
    ----------
    curve : DataFrame
        From :func:`crmlab.pareto.lorenz_curve`.
    gini : float, optional
        Shown in the title.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes
        The curve, the diagonal of equality and the shaded area between them.

    Examples
    --------
    >>> from crmlab.pareto import gini, lorenz_curve
    >>> values = pd.Series([10.0, 10, 20, 60])
    >>> ax = lorenz_chart(lorenz_curve(values), gini=gini(values))
    >>> ax.get_title()
    '洛伦兹曲线 Lorenz curve：基尼系数 Gini = 0.40'
    """
    ax = axes(ax, (5, 5))
    x, y = curve["share_customers"], curve["share_value"]
    ax.plot([0, 1], [0, 1], linestyle="--", color="0.5", linewidth=1, label="人人相同 perfect equality")
    ax.plot(x, y, color="tab:blue", label="洛伦兹曲线 Lorenz curve")
    ax.fill_between(x, y, x, color="tab:blue", alpha=0.15)
    ax.xaxis.set_major_formatter("{x:.0%}")
    ax.yaxis.set_major_formatter("{x:.0%}")
    title = "洛伦兹曲线 Lorenz curve" + (f"：基尼系数 Gini = {gini:.2f}" if gini is not None else "")
    ax.set(title=title, xlabel="客户占比（价值从低到高） Share of customers, least valuable first",
           ylabel="累计价值占比 Cumulative share of value", xlim=(0, 1), ylim=(0, 1))
    ax.legend(loc="upper left")
    return ax


def segment_grid_chart(segmented: pd.DataFrame, *, ax=None):
    """The 5 x 5 R x FM grid of the 11 RFM segments, each cell with its number of customers (RFM细分网格).

    Parameters
    ----------
    segmented : DataFrame
        From :func:`crmlab.rfm.rfm_segments`.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes
        One coloured cell per (R, FM) score pair, labelled with its segment and count.

    Examples
    --------
    >>> from crmlab.datasets import load_data
    >>> from crmlab.rfm import rfm_from_orders
    >>> rfm = rfm_from_orders(load_data("orders"), load_data("order_lines"), as_of="2026-01-01", verbose=False)
    >>> from crmlab.rfm import rfm_scores, rfm_segments
    >>> ax = segment_grid_chart(rfm_segments(rfm_scores(rfm)))
    >>> sum(int(t.get_text().splitlines()[1].replace(",", "")) for t in ax.texts) == len(rfm)  # each in one cell
    True
    """
    ax = axes(ax, (9, 6))
    counts = (segmented.groupby(["r_score", "fm_score"]).size()
              .reindex(pd.MultiIndex.from_product([range(1, 6), range(1, 6)]), fill_value=0)
              .to_numpy().reshape(5, 5))
    names = {key: zh for key, _, zh, _ in SEGMENTS}
    keys = [s[0] for s in SEGMENTS]
    colour = np.array([[keys.index(k) for k in row] for row in RFM_GRID])
    ax.imshow(colour, cmap="tab20", origin="lower", alpha=0.55, extent=(0.5, 5.5, 0.5, 5.5), aspect="auto")
    for r in range(5):
        for f in range(5):
            ax.text(f + 1, r + 1, f"{names[RFM_GRID[r][f]]}\n{counts[r, f]:,}", ha="center", va="center", fontsize=9)
    ax.set(xticks=range(1, 6), yticks=range(1, 6), xlabel="FM 得分 FM score (mean of F and M, rounded up)",
           ylabel="R 得分 R score (5 = most recent)",
           title="RFM 十一类客户 The 11 segments: customers per cell")
    ax.grid(False)
    return ax


def _split(classes: pd.DataFrame) -> str:
    """The split points of :func:`crmlab.rfm.rfm_classes`, as a title says them."""
    points = classes.attrs.get("rfm_classes", {}).get("points", {})
    return ", ".join(f"{k.split('_')[0]} " + f"{v:,.1f}".rstrip("0").rstrip(".") for k, v in points.items())


def class_chart(classes: pd.DataFrame, *, ax=None):
    """Customers and monetary value of the 8 RFM classes, side by side (八类客户).

    Parameters
    ----------
    classes : DataFrame
        From :func:`crmlab.rfm.rfm_classes`.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes
        Two bars per class: its share of customers and its share of monetary value.

    Examples
    --------
    >>> from crmlab.datasets import load_data
    >>> from crmlab.rfm import rfm_from_orders
    >>> rfm = rfm_from_orders(load_data("orders"), load_data("order_lines"), as_of="2026-01-01", verbose=False)
    >>> from crmlab.rfm import rfm_classes
    >>> ax = class_chart(rfm_classes(rfm))
    >>> len(ax.patches)   # two bars for each of the 8 classes
    16
    """
    ax = axes(ax, (9, 4))
    summary = rfm_summary(classes, by="rfm_class")
    y = np.arange(len(summary))
    ax.barh(y + 0.2, summary["share_customers"], height=0.4, color="tab:blue", label="客户占比 share of customers")
    ax.barh(y - 0.2, summary["share_monetary"], height=0.4, color="tab:orange", label="金额占比 share of monetary value")
    for i, (n, share) in enumerate(zip(summary["customers"], summary["share_monetary"])):
        ax.text(max(share, summary["share_customers"].iat[i]) + 0.01, i, f"{n:,}", va="center", fontsize=8)
    ax.set_yticks(y, [f"{zh} {en}" for _, en, zh, *_ in CLASSES])
    ax.set_xlim(0, 1.3 * max(summary["share_customers"].max(), summary["share_monetary"].max()))  # room for the legend
    ax.invert_yaxis()
    ax.xaxis.set_major_formatter("{x:.0%}")
    ax.set(xlabel="占比 Share", title=f"RFM 八类客户 The 8 classes (split at {_split(classes)})")
    ax.legend(loc="lower right")
    return ax


def lrfmc_profile_chart(centres: pd.DataFrame, *, ax=None):
    """The standardised LRFMC centre of each cluster as lines across the five features (客户群特征).

    Parameters
    ----------
    centres : DataFrame
        From :func:`crmlab.airline.name_clusters` (or :func:`crmlab.airline.kmeans`).
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes
        One line per cluster across L, R, F, M and C.

    Examples
    --------
    >>> centres = pd.DataFrame({"z_L": [1.0, -1.0], "z_R": [-0.5, 0.5], "z_F": [1.2, -1.2], "z_M": [1.1, -1.1],
    ...                         "z_C": [0.3, -0.3], "share": [0.4, 0.6]})
    >>> ax = lrfmc_profile_chart(centres)
    >>> [line.get_label() for line in ax.get_lines()][:2]
    ['0: cluster 0 (40%)', '1: cluster 1 (60%)']
    """
    ax = axes(ax, (8, 4.5))
    columns = [c for c in centres.columns if c.startswith("z_")]
    labels = ["L 入会时长", "R 最近乘机", "F 飞行次数", "M 飞行里程", "C 平均折扣"][:len(columns)]
    for cluster, row in centres.iterrows():  # one line per cluster (five), not per member
        name = row["class_zh"] + " " + row["class_en"] if "class_zh" in centres else f"cluster {cluster}"
        ax.plot(labels, row[columns].to_numpy(float), marker="o", label=f"{cluster}: {name} ({row['share']:.0%})")
    ax.axhline(0, color="0.5", linewidth=0.8)
    ax.set(ylabel="标准化均值 Standardised mean (z)", title="各客户群的 LRFMC 特征 Cluster centres")
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1))
    return ax


def _class_table(classes: pd.DataFrame) -> str:
    """:func:`class_chart` as an HTML table with bars: per class its customers, share of customers and
    share of monetary value."""
    summary = rfm_summary(classes, by="rfm_class")
    scale = max(summary["share_customers"].max(), summary["share_monetary"].max())
    blue, orange = _html.colours(2)
    rows = [[f"{zh} {en}", f"{n:,}",
             _html.Markup(_html.bar([(c, blue)], scale=scale) + f" {c:.0%}"),
             _html.Markup(_html.bar([(m, orange)], scale=scale) + f" {m:.0%}")]
            for (_, en, zh, *_), n, c, m in zip(CLASSES, summary["customers"], summary["share_customers"],
                                                summary["share_monetary"])]
    return _html.table(["类 class", "客户数 customers", _html.swatch(blue, "客户占比 share of customers"),
                        _html.swatch(orange, "金额占比 share of monetary value")], rows,
                       caption=f"RFM 八类客户 The 8 classes (split at {_split(classes)})")


def rfm_split_explorer(rfm: pd.DataFrame, *, recency=None, frequency=None, monetary=None):
    """An ipywidgets control: move the split points of R, F and M and watch the 8 classes change.

    Three sliders set where recency (at most: recent), frequency and
    monetary value (at least: high) are split; what :func:`class_chart`
    draws (customers and monetary value per class) is redrawn at each move,
    as an HTML table with bars, which keeps up with a moving slider. It is
    kept inside the widget (not printed into the cell), so a notebook that
    shows the control stays the same whether or not a browser displays it.

    Parameters
    ----------
    rfm : DataFrame
        From :func:`crmlab.rfm.rfm_table` (recency in days).
    recency, frequency, monetary : float, optional
        Starting split points; default the means (the textbook rule) in whole
        days, purchases (rounded up: a mean of 3.4 means "4 or more") and tens of CNY.

    Returns
    -------
    ipywidgets.VBox
        Display it (it is the last expression of a cell, or ``display(...)``).

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> from crmlab.datasets import load_data
    >>> from crmlab.rfm import rfm_from_orders
    >>> rfm = rfm_from_orders(load_data("orders"), load_data("order_lines"), as_of="2026-01-01", verbose=False)
    >>> from crmlab.theme import use_theme
    >>> with plt.rc_context():                       # Chinese font for these figures only
    ...     _ = use_theme(cjk_font="bundled")
    ...     control = rfm_split_explorer(rfm)
    >>> [slider.description for slider in control.children[:3]]
    ['R 最近购买 ≤（天 days）', 'F 购买次数 ≥', 'M 购买金额 ≥（元 CNY）']
    >>> control.children[0].value = 14                       # recent means bought within two weeks
    >>> "split at recency 14," in control.children[3].value
    True
    """
    import ipywidgets as widgets

    if "recency_days" not in rfm.columns:
        from crmlab.validation import CrmlabInputError

        raise CrmlabInputError("rfm_split_explorer needs recency in days: make the table with rfm_table(..., "
                               "time_unit='days').")
    start = {"recency": recency, "frequency": frequency, "monetary": monetary}
    means = {"recency": rfm["recency_days"].mean(), "frequency": rfm["frequency"].mean(),
             "monetary": rfm["monetary"].mean()}
    # Default: the means in whole units, rounded the way that keeps the split (recency at most the mean,
    # frequency at least the mean: a mean of 3.4 purchases means 4 or more).
    rounding = {"recency": np.floor, "frequency": np.ceil, "monetary": lambda x: np.round(x, -1)}
    value = {k: float(v) if v is not None else float(rounding[k](means[k])) for k, v in start.items()}
    style = {"description_width": "14em"}
    layout = widgets.Layout(width="40em")
    sliders = {
        "recency": widgets.IntSlider(value=value["recency"], min=7, max=int(rfm["recency_days"].quantile(0.95)), step=7,
                                     description="R 最近购买 ≤（天 days）", style=style, layout=layout),
        "frequency": widgets.IntSlider(value=max(1, int(value["frequency"])), min=1,
                                       max=max(2, int(rfm["frequency"].quantile(0.95))),
                                       description="F 购买次数 ≥", style=style, layout=layout),
        "monetary": widgets.IntSlider(value=value["monetary"], min=0, step=10,
                                      max=int(rfm["monetary"].quantile(0.95)),
                                      description="M 购买金额 ≥（元 CNY）", style=style, layout=layout),
    }
    out = widgets.HTML()

    def redraw(change=None):
        # An HTML table with bars, not class_chart's figure: a figure takes longer to draw than a slider
        # move may take (benchmarks/widget_update.py).
        out.value = _class_table(rfm_classes(rfm, split={k: s.value for k, s in sliders.items()}))

    for slider in sliders.values():
        slider.observe(redraw, names="value")
    redraw()
    return widgets.VBox([*sliders.values(), out])
