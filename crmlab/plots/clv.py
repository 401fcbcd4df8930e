"""Classroom controls for customer lifetime value (客户终生价值).

:func:`clv_formula_widget` puts the textbook CLV formula under two sliders,
retention rate (保留率) and discount rate (贴现率). The result is drawn as an
HTML table with bars rather than a matplotlib figure, so the control has no
captured output: it looks the same in JupyterLab, in a notebook stored
executed, and under nbval.
"""
from __future__ import annotations

import numpy as np

from crmlab.clv import retention_clv

__all__ = ["clv_formula_widget"]


def _table(margin: float, retention_rate: float, discount_rate: float, years: int) -> str:
    t = np.arange(years)
    yearly = margin * retention_rate ** t / (1 + discount_rate) ** t
    total = retention_clv(margin, retention_rate=retention_rate, discount_rate=discount_rate)
    rows = "".join(
        f"<tr><td>{k}</td><td style='text-align:right'>{v:,.1f}</td>"
        f"<td><div style='background:#4c72b0;height:0.8em;width:{200 * v / margin:.0f}px'></div></td></tr>"
        for k, v in zip(t, yearly))
    return (f"<b>CLV = {total:,.1f}</b> (margin {margin:,.0f} a year, first margin today, for ever)"
            f"<table><tr><th>年 year t</th><th>贴现后毛利 discounted margin</th><th></th></tr>{rows}</table>")


def clv_formula_widget(margin: float = 200.0, *, retention_rate: float = 0.8, discount_rate: float = 0.10,
                       years: int = 10):
    """Sliders for the retention and discount rates of the CLV formula, with the result.

    Shows ``m r^t / (1 + d)^t``, the discounted margin of each of the first
    ``years`` years, and the CLV for ever, ``m (1 + d) / (1 + d - r)``
    (:func:`crmlab.clv.retention_clv`); all rates per year.

    Parameters
    ----------
    margin : float, default 200
        Margin per year (CNY).
    retention_rate, discount_rate : float
        Starting positions of the sliders (0.8 and 0.10).
    years : int, default 10
        Years shown in the table.

    Returns
    -------
    ipywidgets.VBox
        Display it as the last line of a notebook cell.

    Examples
    --------
    >>> w = clv_formula_widget()
    >>> "CLV = 733.3" in w.children[2].value        # 200 x 1.1 / (1.1 - 0.8)
    True
    >>> w.children[0].value = 0.9                    # move the retention slider
    >>> "CLV = 1,100.0" in w.children[2].value
    True
    """
    from ipywidgets import HTML, FloatSlider, VBox

    retention = FloatSlider(value=retention_rate, min=0.0, max=0.98, step=0.02, description="保留率 r")
    discount = FloatSlider(value=discount_rate, min=0.0, max=0.30, step=0.01, description="贴现率 d")
    result = HTML()

    def update(change=None):
        result.value = _table(margin, retention.value, discount.value, years)

    # Observers rather than interact(): the function writes into the HTML widget and prints
    # nothing, so there is no Output widget whose captured output differs between frontends.
    retention.observe(update, names="value")
    discount.observe(update, names="value")
    update()
    return VBox([retention, discount, result])
