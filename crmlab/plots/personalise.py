"""Figures and classroom controls for chapter 6, personalisation (客户个性化).

- :func:`plot_hit_rates`: hit rate@k of next-best-offer models with intervals;
- :func:`rules_widget`: basket type, minimum lift and minimum count -> the
  strongest association rules (an HTML table, so the control looks the same
  live, stored executed and under nbval);
- :func:`offers_widget`: a customer -> what the customer bought and the
  offers of each model.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from crmlab.recommend import association_rules
from crmlab.plots._figure import axes

__all__ = ["plot_hit_rates", "rules_widget", "offers_widget"]


def plot_hit_rates(results: pd.DataFrame, *, ax=None):
    """Hit rate@k (命中率) per model against k, with the Wilson intervals.

    Parameters
    ----------
    results : DataFrame
        :func:`crmlab.recommend.evaluate_recommenders` for several ``k``,
        concatenated with ``k`` as the first index level
        (``pd.concat({k: ... for k in ks}, names=["k"])``).
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes
        One line per model against k, with interval bars.

    Examples
    --------
    >>> import pandas as pd
    >>> results = pd.DataFrame({"k": [1, 3, 1, 3], "model": ["popular", "popular", "co-purchase", "co-purchase"],
    ...                         "hit_rate": [0.10, 0.20, 0.15, 0.30], "hit_low": [0.08, 0.17, 0.12, 0.26],
    ...                         "hit_high": [0.12, 0.23, 0.18, 0.34]}).set_index(["k", "model"])
    >>> ax = plot_hit_rates(results)
    >>> [t.get_text() for t in ax.get_legend().get_texts()]
    ['popular', 'co-purchase']
    """
    ax = axes(ax, None)
    table = results.reset_index()
    for i, (model, rows) in enumerate(table.groupby("model", sort=False)):
        err = np.vstack([rows["hit_rate"] - rows["hit_low"], rows["hit_high"] - rows["hit_rate"]])
        ax.errorbar(rows["k"], rows["hit_rate"], yerr=err, marker="o", capsize=3, color=f"C{i}", label=model)
    ax.yaxis.set_major_formatter("{x:.0%}")
    ax.set_xticks(sorted(table["k"].unique()))
    ax.set(xlabel="推荐数量 k Offers per customer", ylabel="命中率 Hit rate@k",
           title="下一个最佳推荐的命中率 Next best offer on held-out orders")
    ax.legend(title="模型 model")
    return ax


def _names(values, names):
    return values if names is None else values.map(lambda v: f"{names.get(v, v)} ({v})" if v in names else v)


def rules_widget(lines: pd.DataFrame, *, item_col: str = "subcategory", customer_col: str = "customer_id",
                 names: dict | None = None, top: int = 12, min_lift: float = 1.2, min_count: int = 20):
    """Explore association rules in class (关联规则): basket type, minimum lift, minimum count.

    Parameters
    ----------
    lines : DataFrame
        :func:`crmlab.needs.purchase_lines` (columns ``order_id``, ``customer_col`` and ``item_col``).
    item_col : str, default "subcategory"
        The item column.
    customer_col : str, default "customer_id"
        The customer column (the basket "bought by the same customer").
    names : dict, optional
        Display name per item (e.g. product names for ``product_id``).
    top : int, default 12
        Rules shown, by lift.
    min_lift, min_count : starting positions of the sliders.

    Returns
    -------
    ipywidgets.VBox

    Examples
    --------
    >>> lines = pd.DataFrame({"order_id": [1, 1, 2, 2, 3], "customer_id": ["a", "a", "b", "b", "a"],
    ...                       "subcategory": ["tea", "cups", "tea", "cups", "milk"]})
    >>> w = rules_widget(lines, min_lift=1.0, min_count=1)
    >>> "tea" in w.children[3].value
    True
    >>> w.children[1].value = 3.0      # no rule has a lift of 3
    >>> "no rule" in w.children[3].value
    True
    """
    import ipywidgets as widgets

    rules = {basket: association_rules(lines, basket_col=basket, item_col=item_col, verbose=False)
             for basket in ("order_id", customer_col)}
    basket = widgets.Dropdown(options=[("订单 bought together in one order", "order_id"),
                                       ("客户 bought by the same customer", customer_col)],
                              description="购物篮 basket", style={"description_width": "initial"})
    lift = widgets.FloatSlider(value=min_lift, min=0.5, max=5.0, step=0.1, description="最小提升度 min lift",
                               style={"description_width": "initial"})
    count = widgets.IntSlider(value=min_count, min=1, max=200, description="最少篮数 min baskets",
                              style={"description_width": "initial"})
    out = widgets.HTML()

    def show(*_):
        table = rules[basket.value]
        kept = table[(table["lift"] >= lift.value) & (table["baskets"] >= count.value)]
        # The thresholds are echoed, so every move shows on screen even when the same rules pass.
        passing = f"lift ≥ {lift.value:.1f} and at least {count.value} baskets"
        if kept.empty:
            out.value = f"<p>no rule passes {passing} (没有满足条件的规则)</p>"
            return
        shown = kept.head(top).assign(antecedent=lambda d: _names(d["antecedent"], names),
                                      consequent=lambda d: _names(d["consequent"], names))
        shown = shown[["antecedent", "consequent", "baskets", "support", "confidence", "lift"]]
        for column, fmt in (("support", "{:.4f}"), ("confidence", "{:.3f}"), ("lift", "{:.2f}")):
            shown[column] = shown[column].map(fmt.format)
        out.value = (f"<b>{len(kept):,} rules of {len(table):,} pass {passing}; the top {len(shown)} by lift "
                     f"({table.attrs['baskets']:,} baskets)</b>" + shown.to_html(index=False, border=0))

    for control in (basket, lift, count):
        control.observe(show, "value")
    show()
    return widgets.VBox([basket, lift, count, out])


def offers_widget(models: dict, history: pd.DataFrame, *, customers, item_col: str = "product_id",
                  customer_col: str = "customer_id", names: dict | None = None, k: int = 5):
    """Pick a customer: what the customer bought, and the next best offers of each fitted model (推荐示例).

    Parameters
    ----------
    models : dict
        Name -> fitted recommender (:mod:`crmlab.recommend`).
    history : DataFrame
        Columns ``customer_col`` and ``item_col``: what the customers bought.
    customers : list
        The customer ids to choose from.
    item_col : str, default "product_id"
    customer_col : str, default "customer_id"
        The customer column (the models must use the same one).
    names : dict, optional
        Display name per item.
    k : int, default 5

    Returns
    -------
    ipywidgets.VBox

    Examples
    --------
    >>> from crmlab.recommend import PopularityRecommender
    >>> train = pd.DataFrame({"customer_id": ["a", "b", "b"], "product_id": ["x", "x", "y"]})
    >>> w = offers_widget({"popularity": PopularityRecommender().fit(train)}, train, customers=["a"], k=1)
    >>> "<td>y</td>" in w.children[1].value
    True
    """
    import ipywidgets as widgets

    pick = widgets.Dropdown(options=list(customers), description="客户 customer")
    out = widgets.HTML()
    offers = {name: model.recommend(history[history[customer_col].isin(list(customers))], k=k)
              for name, model in models.items()}

    def show(*_):
        mine = history.loc[history[customer_col] == pick.value, item_col].drop_duplicates()
        bought = ", ".join(_names(mine, names).astype(str)) or "(nothing)"
        columns = {name: _names(o.loc[o[customer_col] == pick.value, item_col], names).tolist()
                   for name, o in offers.items()}
        table = pd.DataFrame({name: pd.Series(v, dtype=object) for name, v in columns.items()})
        table.index = pd.RangeIndex(1, len(table) + 1, name="rank")
        out.value = f"<p><b>bought 已购买:</b> {bought}</p>" + table.to_html(border=0)

    pick.observe(show, "value")
    show()
    return widgets.VBox([pick, out])
