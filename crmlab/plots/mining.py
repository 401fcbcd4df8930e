"""Figures and a widget for churn prediction (数据挖掘图表): gains curves, calibration, the value of targeting.

The charts draw DataFrames made by :mod:`crmlab.mining` and return the
matplotlib Axes; call ``crmlab.use_theme()`` first for Chinese labels.
"""
from __future__ import annotations

from crmlab.plots._figure import axes

__all__ = ["gains_chart", "calibration_chart", "targeting_widget"]


def gains_chart(gains: dict, *, ax=None):
    """Cumulative gains curves (累计增益曲线): share of churners found against share of customers contacted.

    Parameters
    ----------
    gains : dict of str to DataFrame
        Label → :func:`crmlab.mining.gains_table`; one curve each, plus the
        diagonal of a random list.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    >>> from crmlab.mining import gains_table
    >>> g = gains_table([1, 1, 0, 1, 0, 0, 1, 0, 0, 0], [10, 9, 8, 7, 6, 5, 4, 3, 2, 1], n_groups=5)
    >>> ax = gains_chart({"model": g})
    >>> ax.lines[0].get_ydata().tolist()
    [0.0, 0.5, 0.75, 0.75, 1.0, 1.0]
    """
    ax = axes(ax, (6, 4.2))
    for label, table in gains.items():
        ax.plot([0.0] + table["cum_share"].tolist(), [0.0] + table["gain"].tolist(), marker="o", label=label)
    ax.plot([0, 1], [0, 1], color="0.5", linestyle="--", label="随机 random")
    ax.xaxis.set_major_formatter("{x:.0%}")
    ax.yaxis.set_major_formatter("{x:.0%}")
    ax.set(xlabel="联系的客户占比 Share of customers contacted (highest scores first)",
           ylabel="找到的流失客户占比 Share of churners found", title="累计增益 Cumulative gains", xlim=(0, 1), ylim=(0, 1))
    ax.legend(loc="lower right")
    return ax


def calibration_chart(table, *, ax=None):
    """Predicted against observed churn per group (校准图), with the observed rate's interval.

    Parameters
    ----------
    table : DataFrame
        From :func:`crmlab.mining.calibration_table`.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    >>> from crmlab.mining import calibration_table
    >>> cal = calibration_table([0, 0, 1, 0, 1, 1], [0.1, 0.2, 0.3, 0.6, 0.7, 0.9], n_groups=2)
    >>> calibration_chart(cal).get_xlabel()
    '预测流失概率 Predicted churn probability'
    """
    ax = axes(ax, (5.2, 4.6))
    ax.errorbar(table["predicted"], table["observed"],
                yerr=[table["observed"] - table["observed_low"], table["observed_high"] - table["observed"]],
                marker="o", linestyle="none", capsize=3, label="各组 groups (95% CI)")
    ax.plot([0, 1], [0, 1], color="0.5", linestyle="--", label="完全校准 perfect calibration")
    ax.xaxis.set_major_formatter("{x:.0%}")
    ax.yaxis.set_major_formatter("{x:.0%}")
    ax.set(xlabel="预测流失概率 Predicted churn probability", ylabel="实际流失率 Observed churn rate",
           title="校准 Calibration", xlim=(0, 1), ylim=(0, 1))
    ax.legend(loc="upper left")
    return ax


def targeting_widget(gains, *, value_saved: float, save_rate: float = 0.2, cost: float = 10.0):
    """An ipywidgets control: set the cost of a contact and the save rate, see what each depth of the list earns.

    Two sliders — cost per contact (yuan) and the share of reached churners
    the contact keeps — and a table per depth (top 10 %, 20 %, ...): net value
    of contacting the model's top customers, against as many picked at random
    (:func:`crmlab.mining.targeting_value`); the caption names the best depth.

    Parameters
    ----------
    gains : DataFrame
        From :func:`crmlab.mining.gains_table`.
    value_saved : float
        Value of a churner kept (yuan).
    save_rate : float, default 0.2
        Starting position of the save-rate slider (0.05 to 0.5, steps of 0.05).
    cost : float, default 10
        Starting position of the cost slider (0 to 50 yuan, steps of 5).

    Returns
    -------
    ipywidgets.VBox
        The two sliders and the table (an ``HTML`` widget).

    Examples
    --------
    >>> from crmlab.mining import gains_table
    >>> g = gains_table([1, 1, 0, 1, 0, 0, 1, 0, 0, 0], [10, 9, 8, 7, 6, 5, 4, 3, 2, 1], n_groups=5)
    >>> w = targeting_widget(g, value_saved=100, save_rate=0.5, cost=10)
    >>> "best depth: top 80%" in w.children[2].value
    True
    >>> w.children[0].value = 40                        # dearer contacts: only the top fifth pays
    >>> "best depth: top 20%" in w.children[2].value
    True
    """
    import ipywidgets as widgets

    from crmlab.mining import targeting_value
    from crmlab.plots import _html

    cost_slider = widgets.IntSlider(value=int(cost), min=0, max=50, step=5, description="每次联系成本 cost per contact (元)",
                                    style={"description_width": "initial"}, layout=widgets.Layout(width="38em"))
    rate_slider = widgets.FloatSlider(value=float(save_rate), min=0.05, max=0.5, step=0.05, readout_format=".2f",
                                      description="挽留成功率 save rate", style={"description_width": "initial"},
                                      layout=widgets.Layout(width="38em"))
    out = widgets.HTML()
    model_colour, random_colour = _html.colours(2)

    def show(*_):
        v = targeting_value(gains, value_saved=value_saved, save_rate=rate_slider.value, cost=cost_slider.value)
        scale = max(v["net"].abs().max(), v["net_random"].abs().max(), 1.0)
        rows = [[f"top {r['cum_share']:.0%}", f"{int(r['contacted']):,}", f"{r['saved']:,.0f}",
                 _html.bar([(r["net"], model_colour)], scale=scale), f"{r['net']:,.0f}", f"{r['net_random']:,.0f}"]
                for _, r in v.iterrows()]
        best = v.loc[v["net"].idxmax()]
        caption = (f"联系成本 {cost_slider.value} 元, 挽留成功率 {rate_slider.value:.0%}, 挽留价值 {value_saved:,.0f} 元: "
                   + (f"best depth: top {best['cum_share']:.0%}, net {best['net']:,.0f} yuan" if best["net"] > 0
                      else "no depth pays (every net value ≤ 0)"))
        out.value = _html.table(["联系 contact", "客户 customers", "挽留 saved", "净值 net value", "模型 model (元)",
                                 "随机 random (元)"], rows, caption=caption)

    cost_slider.observe(show, "value")
    rate_slider.observe(show, "value")
    show()
    return widgets.VBox([cost_slider, rate_slider, out])
