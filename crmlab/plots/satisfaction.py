"""Figures for chapter 7's satisfaction measures (满意度图表): SERVQUAL gaps, importance–performance, NPS.

Each function draws one DataFrame made by :mod:`crmlab.satisfaction` on a
matplotlib Axes (a new one by default) and returns the Axes; labels are in
Chinese and English (call ``crmlab.use_theme()`` first). :func:`nps_widget` is
a control for class: move the NPS cut-offs.
"""
from __future__ import annotations

import pandas as pd

from crmlab.satisfaction import NPS_GROUPS, QUADRANT_LABELS
from crmlab.plots._figure import axes

__all__ = ["servqual_chart", "ipa_chart", "nps_chart", "nps_widget"]



def servqual_chart(gaps, *, weighted: bool = False, ax=None):
    """Horizontal bars of the SERVQUAL gap per dimension, with confidence intervals (服务质量差距图).

    Parameters
    ----------
    gaps : DataFrame
        From :func:`crmlab.satisfaction.servqual_gaps` (by dimension).
    weighted : bool, default False
        Draw the importance-weighted gaps instead of the plain gaps.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes
        One bar per dimension with its interval.

    Examples
    --------
    >>> from crmlab.datasets import load_data
    >>> from crmlab.satisfaction import servqual_gaps
    >>> gaps = servqual_gaps(load_data("survey"))
    >>> ax = servqual_chart(gaps)
    >>> len(ax.patches)                              # one bar per dimension; the overall row is left out
    5
    >>> ax.get_yticklabels()[-1].get_text(), round(float(ax.patches[-1].get_width()), 2)   # the top bar
    ('有形性 tangibles', 0.12)
    """
    ax = axes(ax, (7, 3.8))
    data = gaps.drop(index="overall", errors="ignore").iloc[::-1]
    col, low, high = ("weighted_gap", "weighted_low", "weighted_high") if weighted else ("gap", "gap_low", "gap_high")
    colours = ["tab:red" if v < 0 else "tab:green" for v in data[col]]
    ax.barh(data["label"], data[col], color=colours,
            xerr=[data[col] - data[low], data[high] - data[col]], ecolor="0.3", capsize=3)
    ax.axvline(0, color="0.3", linewidth=0.8)
    what = "加权差距 Weighted gap (weight × gap)" if weighted else "差距 Gap = 感知 perception − 期望 expectation"
    ax.set(title="SERVQUAL 服务质量差距 Service-quality gaps (95% CI)", xlabel=what, ylabel="")
    return ax


def ipa_chart(ipa, *, ax=None):
    """Importance–performance grid (重要性—绩效矩阵) with the quadrant names.

    Parameters
    ----------
    ipa : DataFrame
        From :func:`crmlab.satisfaction.importance_performance`.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes
        The dimensions as points, the two cut lines and the four quadrant names.

    Examples
    --------
    >>> from crmlab.datasets import load_data
    >>> from crmlab.satisfaction import importance_performance
    >>> ax = ipa_chart(importance_performance(load_data("survey")))
    >>> len(ax.collections[0].get_offsets())        # one point per SERVQUAL dimension
    5
    >>> [t.get_text() for t in ax.texts[5:]]         # the quadrants, after the five point labels
    ['重点改进 concentrate here', '继续保持 keep up the good work', '低优先 low priority', '过度投入 possible overkill']
    """
    ax = axes(ax, (7, 5))
    ax.scatter(ipa["importance"], ipa["performance"], s=60, color="tab:blue", zorder=3)
    for label, x, y in zip(ipa["label"], ipa["importance"], ipa["performance"]):
        ax.annotate(label, (x, y), xytext=(6, 4), textcoords="offset points", fontsize=9)
    cut_i, cut_p = ipa["importance_cut"].iloc[0], ipa["performance_cut"].iloc[0]
    ax.axvline(cut_i, color="0.5", linestyle="--", linewidth=0.8)
    ax.axhline(cut_p, color="0.5", linestyle="--", linewidth=0.8)
    xs, ys = ipa["importance"], ipa["performance"]
    pad_x, pad_y = (xs.max() - xs.min()) * 0.25 + 1e-9, (ys.max() - ys.min()) * 0.25 + 1e-9
    ax.set_xlim(min(xs.min(), cut_i) - pad_x, max(xs.max(), cut_i) + pad_x)
    ax.set_ylim(min(ys.min(), cut_p) - pad_y, max(ys.max(), cut_p) + pad_y)
    corners = {"concentrate_here": (0.98, 0.02, "right", "bottom"), "keep_up_the_good_work": (0.98, 0.98, "right", "top"),
               "low_priority": (0.02, 0.02, "left", "bottom"), "possible_overkill": (0.02, 0.98, "left", "top")}
    for key, (x, y, ha, va) in corners.items():
        ax.text(x, y, QUADRANT_LABELS[key], transform=ax.transAxes, ha=ha, va=va, fontsize=9, color="0.4")
    ax.set(title="重要性—绩效分析 Importance–performance analysis",
           xlabel="重要性 Importance", ylabel="绩效（平均感知） Performance (mean perception)")
    return ax


def nps_chart(nps, *, ax=None):
    """Stacked shares of detractors, passives and promoters per group, with the NPS and its interval (净推荐值图).

    Parameters
    ----------
    nps : DataFrame
        From :func:`crmlab.satisfaction.net_promoter_score`.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes
        One stacked bar per group, labelled with its NPS and interval.

    Examples
    --------
    >>> import pandas as pd
    >>> from crmlab.satisfaction import net_promoter_score
    >>> answers = pd.DataFrame({"recommend": [10, 9, 9, 10, 9, 8, 7, 7, 3, 6],
    ...                         "channel": ["web"] * 5 + ["store"] * 5})
    >>> ax = nps_chart(net_promoter_score(answers, by="channel"))
    >>> len(ax.patches)                              # detractors, passives, promoters for each channel
    6
    >>> [t.get_text() for t in ax.texts]             # web: 5 promoters; store: 3 passives, 2 detractors
    ['NPS +100 [+17, +100]', 'NPS -40 [-67, +17]']
    """
    ax = axes(ax, (8, 0.7 * len(nps) + 1.6))
    rows = nps.iloc[::-1]  # the first group on top
    labels = [str(g) for g in rows.index]
    names = {"detractor": "贬损者 detractors", "passive": "被动者 passives", "promoter": "推荐者 promoters"}
    colours = {"detractor": "tab:red", "passive": "0.75", "promoter": "tab:green"}
    left = 0
    for g in NPS_GROUPS:
        share = rows[f"{g}s"] / rows["n"] * 100
        ax.barh(labels, share, left=left, color=colours[g], label=names[g])
        left = left + share
    for y, (nps_value, low, high) in enumerate(zip(rows["nps"], rows["ci_low"], rows["ci_high"])):
        ax.text(102, y, f"NPS {nps_value:+.0f} [{low:+.0f}, {high:+.0f}]", va="center", fontsize=9)
    ax.set_xticks(range(0, 101, 20))
    ax.set(xlim=(0, 135), xlabel="占比 Share of respondents (%)", title="净推荐值 Net Promoter Score (95% CI)")
    ax.legend(loc="upper center", bbox_to_anchor=(0.4, -0.2), ncol=3, frameon=False)
    return ax


def nps_widget(answers, *, by: str | None = None, order=None, promoter_min: int = 9, detractor_max: int = 6):
    """An ipywidgets control: move the promoter and detractor cut-offs and watch the NPS change (净推荐值).

    Two sliders set who counts as a promoter (at least) and as a detractor (at
    most); a table with stacked bars shows, for all answers and per group,
    the shares of detractors, passives and promoters and the NPS with its
    interval, as :func:`nps_chart` draws them (HTML, so it keeps up with the slider).

    Parameters
    ----------
    answers : DataFrame or Series
        What :func:`crmlab.satisfaction.net_promoter_score` takes (0–10 answers).
    by : str, optional
        Column to group by; the first row is always all answers.
    order : list, optional
        The groups in the order shown (default: as they come).
    promoter_min, detractor_max : int, default 9 and 6
        Starting positions of the sliders (the standard NPS cut-offs).

    Returns
    -------
    ipywidgets.VBox
        The two sliders and the table (an ``HTML`` widget).

    Examples
    --------
    >>> import pandas as pd
    >>> answers = pd.DataFrame({"recommend": [10, 9, 9, 10, 9, 8, 7, 7, 3, 6],
    ...                         "channel": ["web"] * 5 + ["store"] * 5})
    >>> w = nps_widget(answers, by="channel")
    >>> "+100" in w.children[2].value                # web: all five promoters
    True
    >>> w.children[0].value = 10                     # only a 10 promotes
    >>> "+40" in w.children[2].value                 # web: two promoters of five
    True
    >>> w.children[1].value = 8; w.children[0].value = 8
    >>> "must be above" in w.children[2].value
    True
    """
    import ipywidgets as widgets

    from crmlab.plots import _html
    from crmlab.satisfaction import net_promoter_score

    # "initial": the label takes the width it needs (a fixed width cuts the Chinese-English label).
    style, layout = {"description_width": "initial"}, widgets.Layout(width="34em")
    promoters = widgets.IntSlider(value=promoter_min, min=7, max=10, description="推荐者 promoters ≥",
                                  style=style, layout=layout)
    detractors = widgets.IntSlider(value=detractor_max, min=3, max=8, description="贬损者 detractors ≤",
                                   style=style, layout=layout)
    out = widgets.HTML()
    # Okabe–Ito vermillion, grey and blue: told apart with any colour vision (not red against green).
    colours = {"detractor": "#d55e00", "passive": "#bbbbbb", "promoter": "#0072b2"}
    names = {"detractor": "贬损者 detractors", "passive": "被动者 passives", "promoter": "推荐者 promoters"}

    def show(*_):
        if promoters.value <= detractors.value:  # the sliders overlap: say so instead of raising in the callback
            out.value = (f"<p>推荐者 ≥ {promoters.value} must be above 贬损者 ≤ {detractors.value}: "
                         "move one slider apart (standard NPS: promoters 9–10, detractors 0–6).</p>")
            return
        cuts = {"promoter_min": promoters.value, "detractor_max": detractors.value, "verbose": False}
        table = net_promoter_score(answers, **cuts)
        if by is not None:
            groups = net_promoter_score(answers, by=by, **cuts)
            table = pd.concat([table, groups if order is None else groups.reindex(list(order))])
        rows = [[str(g), f"{int(r['n']):,}",
                 _html.bar([(r[f"{k}s"], colours[k]) for k in NPS_GROUPS], scale=r["n"]),
                 f"{r['nps']:+.0f} [{r['ci_low']:+.0f}, {r['ci_high']:+.0f}]"] for g, r in table.iterrows()]
        out.value = _html.table(
            ["组 group", "回答 answers", _html.Markup(" ".join(_html.swatch(colours[k], names[k]) for k in NPS_GROUPS)),
             "NPS (95% CI)"], rows,
            caption=f"净推荐值 NPS: promoters answer ≥ {promoters.value}, detractors ≤ {detractors.value}")

    for control in (promoters, detractors):
        control.observe(show, "value")
    show()
    return widgets.VBox([promoters, detractors, out])
