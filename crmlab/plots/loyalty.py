"""Figure of the attitude × behaviour loyalty matrix (态度—行为忠诚矩阵图)."""
from __future__ import annotations

import pandas as pd

from crmlab.loyalty import MATRIX_LABELS
from crmlab.plots._figure import axes

__all__ = ["loyalty_matrix_chart", "satisfaction_trap_widget"]


def loyalty_matrix_chart(matrix, *, ax=None):
    """The four cells of Dick & Basu's matrix with their counts and shares.

    Parameters
    ----------
    matrix : DataFrame
        From :func:`crmlab.loyalty.loyalty_matrix` (column ``loyalty``).
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes
        The 2 x 2 grid, each cell with its name, count and share.

    Examples
    --------
    >>> import pandas as pd
    >>> from crmlab.loyalty import loyalty_matrix
    >>> f = pd.DataFrame({"attitude_like": [5, 5, 1, 2], "attitude_prefer": [4, 5, 2, 1],
    ...                   "purchases_window": [6, 0, 5, 1]})
    >>> ax = loyalty_matrix_chart(loyalty_matrix(f))
    >>> [t.get_text().split("\\n")[1] for t in ax.texts]   # one customer in each cell
    ['1 (25%)', '1 (25%)', '1 (25%)', '1 (25%)']
    >>> ax.texts[0].get_text().split("\\n")[0]             # top left: high attitude, high repeat buying
    '真正忠诚 true loyalty'
    """
    import numpy as np

    ax = axes(ax, (6.5, 4.5))
    counts = matrix["loyalty"].value_counts().reindex(list(MATRIX_LABELS), fill_value=0)
    # rows: attitude high, low; columns: repeat buying high, low
    grid = np.array([[counts["true_loyalty"], counts["latent_loyalty"]],
                     [counts["spurious_loyalty"], counts["no_loyalty"]]])
    names = [["true_loyalty", "latent_loyalty"], ["spurious_loyalty", "no_loyalty"]]
    ax.imshow(grid, cmap="Blues", vmin=0, vmax=grid.max() * 1.6)
    for i in range(2):
        for j in range(2):
            ax.text(j, i, f"{MATRIX_LABELS[names[i][j]]}\n{grid[i, j]} ({grid[i, j] / grid.sum():.0%})",
                    ha="center", va="center", fontsize=10)
    ax.set_xticks([0, 1], ["高 high", "低 low"])
    ax.set_yticks([0, 1], ["高 high", "低 low"])
    ax.set(xlabel="重复购买行为 Repeat buying", ylabel="态度 Attitude", title="态度—行为忠诚矩阵 (Dick & Basu)")
    ax.grid(False)
    return ax


def satisfaction_trap_widget(purchases: pd.DataFrame, levels: pd.Series, *, as_of, start=None,
                             inactive_days: int = 180, labels: dict | None = None):
    """An ipywidgets control: move the churn rule and watch the satisfaction trap (满意陷阱).

    A slider sets after how many days without a purchase a customer counts as
    lost; a table with bars shows the churn rate per satisfaction level with
    its 95 % interval, and the share of the lost customers who were satisfied
    (:func:`crmlab.loyalty.satisfaction_trap` on
    :func:`crmlab.retention.customer_lifetimes`).

    Parameters
    ----------
    purchases : DataFrame
        What :func:`crmlab.retention.customer_lifetimes` takes.
    levels : Series
        The satisfaction level per customer (index ``customer_id``).
    as_of, start
        Passed to :func:`crmlab.retention.customer_lifetimes`.
    inactive_days : int, default 180
        Starting position of the slider (60 to 240 days, in steps of 30).
    labels : dict, optional
        Display name per level (e.g. :data:`crmlab.satisfaction.LEVEL_LABELS`).

    Returns
    -------
    ipywidgets.VBox
        The slider and the table (an ``HTML`` widget).

    Examples
    --------
    >>> import pandas as pd
    >>> bought = pd.DataFrame({"customer_id": ["a", "b", "c", "d"],
    ...                        "order_ts": pd.to_datetime(["2025-12-20", "2025-09-01", "2025-10-15", "2025-06-01"])})
    >>> levels = pd.Series(["satisfied", "satisfied", "dissatisfied", "dissatisfied"], index=list("abcd"))
    >>> since = pd.Series(pd.Timestamp("2025-01-01"), index=levels.index)  # when each was surveyed
    >>> w = satisfaction_trap_widget(bought, levels, as_of="2026-01-01", start=since)
    >>> ": 0% of the lost customers were satisfied" in w.children[1].value  # 180 days: d lost only
    True
    >>> w.children[0].value = 90                                            # b (122 days) and d lost
    >>> "50% of the lost customers were satisfied" in w.children[1].value
    True
    """
    import ipywidgets as widgets

    from crmlab.loyalty import satisfaction_trap
    from crmlab.plots import _html
    from crmlab.retention import customer_lifetimes

    days = widgets.IntSlider(value=inactive_days, min=60, max=240, step=30, description="未购买天数 days without a purchase",
                             style={"description_width": "initial"}, layout=widgets.Layout(width="38em"))
    out = widgets.HTML()
    names = dict(labels or {}, **{"all satisfied": "满意合计 all satisfied"})
    colour = _html.colours(1)[0]

    def show(*_):
        life = customer_lifetimes(purchases, as_of=as_of, start=start, inactive_days=days.value, verbose=False)
        table = satisfaction_trap(life.join(levels.rename("level")), verbose=False)
        rows = [[names.get(level, level), f"{int(r['n']):,}", f"{int(r['churned']):,}",
                 _html.bar([(r["rate"], colour)], scale=1.0, interval=(r["ci_low"], r["ci_high"])),
                 f"{r['rate']:.0%} [{r['ci_low']:.0%}, {r['ci_high']:.0%}]"] for level, r in table.iterrows()]
        out.value = _html.table(
            ["满意度 level", "客户 customers", "流失 lost", "流失率 churn rate", "(95% CI)"], rows,
            caption=f"流失 = {days.value} 天未购买 (lost after {days.value} days without a purchase): "
                    f"{table.loc['all satisfied', 'share_of_churners']:.0%} of the lost customers were satisfied")

    days.observe(show, "value")
    show()
    return widgets.VBox([days, out])
