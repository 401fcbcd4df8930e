"""Figures of chapter 3, identify customers (识别客户): match scores, the precision/recall trade-off,
data quality and the transitions between relationship classes."""
from __future__ import annotations

import numpy as np
import pandas as pd

from crmlab.lifecycle import LIFECYCLE_STAGES, RELATIONSHIP_CLASSES
from crmlab.plots._figure import axes

__all__ = ["score_histogram", "threshold_chart", "threshold_widget", "quality_heatmap", "transition_heatmap"]

_ZH = {**RELATIONSHIP_CLASSES, **LIFECYCLE_STAGES}



def score_histogram(scores, same_person, *, threshold: float = 0.0, ax=None):
    """Histogram of the match scores of the candidate pairs, for pairs of one person and of two people.

    Parameters
    ----------
    scores : array-like of float
        ``view.pairs["score"]``.
    same_person : array-like of bool
        Whether each pair is truly one person (from the identity map).
    threshold : float, default 0.0
        Drawn as a vertical line: pairs to its right are merged.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes
        Two histograms on a log scale and the threshold as a dashed line.

    Examples
    --------
    >>> scores = [-12, -8, -3, 4, 9, 15]
    >>> same = [False, False, False, True, True, True]
    >>> ax = score_histogram(scores, same, threshold=0)
    >>> [t.get_text() for t in ax.get_legend().get_texts()]
    ['同一客户 same person', '不同客户 different people']
    >>> [float(x) for x in ax.lines[0].get_xdata()]   # the threshold line at 0
    [0.0, 0.0]
    """
    ax = axes(ax, (9, 4))
    scores = np.asarray(scores, dtype=float)
    same = np.asarray(same_person, dtype=bool)
    bins = np.arange(np.floor(scores.min()), np.ceil(scores.max()) + 2, 2.0)
    ax.hist(scores[same], bins=bins, alpha=0.7, color="tab:blue", label="同一客户 same person")
    ax.hist(scores[~same], bins=bins, alpha=0.7, color="tab:red", label="不同客户 different people")
    ax.axvline(threshold, color="0.2", linestyle="--", linewidth=1)
    ax.annotate(f"分数线 threshold = {threshold:g}", xy=(threshold, 0.9), xycoords=("data", "axes fraction"),
                xytext=(6, 0), textcoords="offset points")
    ax.set_yscale("log")
    ax.set(xlabel="匹配得分 Match score (points)", ylabel="记录对数 Pairs (log scale)",
           title="候选记录对的得分 Scores of the candidate pairs")
    ax.legend(loc="upper right")
    return ax


def _nearest(curve: pd.DataFrame, threshold: float) -> pd.Series:
    """The row of ``curve`` at the threshold nearest ``threshold``."""
    return curve.iloc[int(np.argmin(np.abs(curve["threshold"].to_numpy() - threshold)))]


def _threshold_text(row: pd.Series) -> str:
    return (f"分数线 {row['threshold']:g}: precision {row['precision']:.3f}, recall {row['recall']:.3f}, "
            f"F1 {row['f1']:.3f}, {int(row['customers_found']):,} customers (true {int(row['customers_true']):,})")


def threshold_chart(curve: pd.DataFrame, *, threshold: float | None = None, ax=None):
    """Precision, recall and F1 of the merge at each threshold, with the chosen threshold marked.

    Parameters
    ----------
    curve : DataFrame
        From :func:`crmlab.identify.threshold_curve`.
    threshold : float, optional
        Mark this threshold and print its figures in the title.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes
        Three curves, plus the dashed threshold and its figures in the title when given.

    Examples
    --------
    >>> import pandas as pd
    >>> curve = pd.DataFrame({"threshold": [-5.0, 0.0, 5.0], "precision": [0.80, 0.95, 0.99],
    ...                       "recall": [0.99, 0.97, 0.91], "f1": [0.885, 0.960, 0.948],
    ...                       "customers_found": [9600, 9950, 10400], "customers_true": 10000})
    >>> ax = threshold_chart(curve, threshold=0)
    >>> len(ax.lines)                                # precision, recall, F1 and the threshold
    4
    >>> print(ax.get_title())
    合并分数线的权衡 The threshold trade-off
    分数线 0: precision 0.950, recall 0.970, F1 0.960, 9,950 customers (true 10,000)
    """
    ax = axes(ax, (9, 4))
    for col, label, colour in [("precision", "精确率 precision", "tab:blue"), ("recall", "召回率 recall", "tab:orange"),
                               ("f1", "F1", "tab:green")]:
        ax.plot(curve["threshold"], curve[col], label=label, color=colour)
    title = "合并分数线的权衡 The threshold trade-off"
    if threshold is not None:
        row = _nearest(curve, threshold)
        ax.axvline(row["threshold"], color="0.3", linestyle="--", linewidth=1)
        title += "\n" + _threshold_text(row)
    low = float(curve[["precision", "recall", "f1"]].to_numpy().min())
    ax.set(xlabel="合并分数线 Match threshold (points)", ylabel="比例 Share", title=title,
           ylim=(max(0.0, low - 0.05), 1.01))
    ax.legend(loc="lower left")
    return ax


def quality_heatmap(report: pd.DataFrame, *, measures=("filled", "valid", "standard"), ax=None):
    """The data-quality report as a heatmap: sources and fields down, measures across.

    Parameters
    ----------
    report : DataFrame
        From :func:`crmlab.quality.quality_report`.
    measures : sequence of str
        Columns of the report to show (shares 0-1).
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes
        One row per (source, field), one column per measure, the share written in each cell.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> import pandas as pd
    >>> from crmlab.theme import use_theme
    >>> report = pd.DataFrame({"filled": [1.0, 0.64], "valid": [0.98, 1.0], "standard": [0.7, 0.9]},
    ...                       index=pd.MultiIndex.from_tuples([("web_accounts", "phone"), ("web_accounts", "name")],
    ...                                                       names=["source", "field"]))
    >>> with plt.rc_context():                       # Chinese font for this figure only
    ...     _ = use_theme(cjk_font="bundled")
    ...     ax = quality_heatmap(report)
    >>> [t.get_text() for t in ax.get_yticklabels()]
    ['web_accounts · phone', 'web_accounts · name']
    >>> [t.get_text() for t in ax.texts]             # the cells, row by row
    ['100%', '98%', '70%', '64%', '100%', '90%']
    """
    import seaborn as sns

    names = {"filled": "完整性\ncomplete", "valid": "有效性\nvalid", "standard": "规范格式\nstandard form",
             "duplicated": "重复\nduplicated", "stale": "过时\nstale"}
    table = report[list(measures)].rename(columns=names)
    table.index = [f"{source} · {field}" for source, field in table.index]
    ax = axes(ax, (2 + 1.4 * len(measures), 0.32 * len(table) + 1))
    sns.heatmap(table, annot=True, fmt=".0%", cmap="RdYlGn", vmin=0, vmax=1, cbar=False, ax=ax)
    ax.set(title="数据质量 Data quality by source and field", xlabel="", ylabel="")
    return ax


def transition_heatmap(matrix: pd.DataFrame, *, ax=None, title=None):
    """The transition matrix as a heatmap: colour = share of the row, text = number of customers.

    Parameters
    ----------
    matrix : DataFrame
        From :func:`crmlab.lifecycle.relationship_transitions` or
        :func:`crmlab.lifecycle.transition_matrix`.
    ax : matplotlib Axes, optional
    title : str, optional

    Returns
    -------
    matplotlib Axes
        Rows the class before, columns the class after.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> from crmlab.lifecycle import transition_matrix
    >>> from crmlab.theme import use_theme
    >>> kinds = pd.CategoricalDtype(["first-time", "repeat"])
    >>> before = pd.Series(["first-time", "first-time", "repeat"], index=list("abc"), dtype=kinds)
    >>> after = pd.Series(["repeat", "first-time", "repeat"], index=list("abc"), dtype=kinds)
    >>> with plt.rc_context():                       # Chinese font for this figure only
    ...     _ = use_theme(cjk_font="bundled")
    ...     ax = transition_heatmap(transition_matrix(before, after))
    >>> [t.get_text() for t in ax.get_yticklabels()]
    ['初次购买者 first-time', '重复购买者 repeat']
    >>> [t.get_text() for t in ax.texts]             # customers per cell, row by row
    ['1', '1', '0', '1']
    """
    import seaborn as sns

    label = [f"{_ZH.get(c, '')} {c}".strip() for c in matrix.index]
    share = matrix.div(matrix.sum(axis=1).replace(0, np.nan), axis=0)
    ax = axes(ax, (9, 6))
    sns.heatmap(share.set_axis(label, axis=0).set_axis(label, axis=1), annot=matrix.to_numpy(), fmt="d",
                cmap="Blues", vmin=0, vmax=1, cbar_kws={"label": "行占比 Share of the row"}, ax=ax)
    ax.set(xlabel="之后 After" + (f" ({matrix.columns.name})" if matrix.columns.name not in (None, "after") else ""),
           ylabel="之前 Before" + (f" ({matrix.index.name})" if matrix.index.name not in (None, "before") else ""),
           title=title or "客户关系转换 Transitions between relationship classes")
    ax.tick_params(axis="x", rotation=30)
    return ax


def threshold_widget(curve: pd.DataFrame, *, threshold: float = 0.0):
    """An ipywidgets control: move the match threshold along :func:`threshold_chart` (合并分数线).

    The chart of the three curves is drawn once; a move of the slider only
    redraws the dashed threshold line over it (matplotlib's blitting), and the
    precision, recall, F1 and customer count at that threshold are written
    under it, so the control keeps up with the slider.

    Parameters
    ----------
    curve : DataFrame
        From :func:`crmlab.identify.threshold_curve` (evenly spaced thresholds).
    threshold : float, default 0.0
        Starting position of the slider.

    Returns
    -------
    ipywidgets.VBox
        The slider, the chart (an ``Image`` widget, PNG) and the figures at the threshold (``HTML``).

    Examples
    --------
    >>> import pandas as pd
    >>> curve = pd.DataFrame({"threshold": [-5.0, 0.0, 5.0], "precision": [0.80, 0.95, 0.99],
    ...                       "recall": [0.99, 0.97, 0.91], "f1": [0.885, 0.960, 0.948],
    ...                       "customers_found": [9600, 9950, 10400], "customers_true": 10000})
    >>> import matplotlib.pyplot as plt
    >>> from crmlab.theme import use_theme
    >>> with plt.rc_context():                       # Chinese font for this chart only
    ...     _ = use_theme(cjk_font="bundled")
    ...     w = threshold_widget(curve)
    >>> slider, chart, figures = w.children
    >>> figures.value
    '<p>分数线 0: precision 0.950, recall 0.970, F1 0.960, 9,950 customers (true 10,000)</p>'
    >>> before = chart.value
    >>> slider.value = 5.0
    >>> "precision 0.990" in figures.value and chart.value != before
    True
    """
    from html import escape
    from io import BytesIO

    import ipywidgets as widgets
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from PIL import Image

    # A Figure outside pyplot: nothing is drawn into the notebook cell, the chart lives in the widget.
    fig = Figure(figsize=(9, 4), layout="tight")
    canvas = FigureCanvasAgg(fig)
    ax = fig.subplots()
    threshold_chart(curve, ax=ax)
    canvas.draw()
    background = canvas.copy_from_bbox(fig.bbox)
    line = ax.axvline(threshold, color="0.3", linestyle="--", linewidth=1, animated=True)
    steps = np.diff(curve["threshold"].to_numpy())
    slider = widgets.FloatSlider(value=threshold, min=float(curve["threshold"].min()), max=float(curve["threshold"].max()),
                                 step=float(steps.min()) if len(steps) else 1.0, description="分数线 cut-off",
                                 style={"description_width": "initial"})
    chart, figures = widgets.Image(format="png"), widgets.HTML()

    def show(*_):
        row = _nearest(curve, slider.value)
        line.set_xdata([row["threshold"]] * 2)
        canvas.restore_region(background)
        ax.draw_artist(line)
        png = BytesIO()
        Image.frombuffer("RGBA", canvas.get_width_height(), canvas.buffer_rgba()).save(png, "png", compress_level=1)
        chart.value = png.getvalue()
        figures.value = f"<p>{escape(_threshold_text(row))}</p>"

    slider.observe(show, "value")
    show()
    return widgets.VBox([slider, chart, figures])
