"""The 80/20 rule (二八法则): Pareto and Lorenz curves, the Gini coefficient and ABC classes.

Customers differ: a minority brings most of the value. This module measures
how unequal the value is and sorts customers into ABC classes (ABC分类法) so
that scarce resources go where the value is. Every function takes the value
per customer (客户价值: revenue, margin, ...) as a Series indexed by customer,
or as a DataFrame with a value column (``value_col``) and a customer column
(``customer_col``).

- :func:`pareto_table`: customers best first, with the cumulative share of the
  value (累计价值占比) — the 80/20 curve;
- :func:`lorenz_curve` and :func:`gini`: the Lorenz curve (洛伦兹曲线) and the
  Gini coefficient (基尼系数), 0 = everyone equal, towards 1 = one customer
  holds everything;
- :func:`top_share`: the share of the value held by the top x % of customers;
- :func:`abc_classes` and :func:`abc_summary`: ABC analysis with configurable
  thresholds.

Examples
--------
>>> import pandas as pd
>>> value = pd.Series([50.0, 30.0, 15.0, 5.0], index=["a", "b", "c", "d"])
>>> gini(value)
0.375
>>> abc_classes(value)["abc_class"].tolist()
['A', 'A', 'B', 'C']
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from crmlab.validation import CrmlabInputError, require_columns, require_option, values_per_customer

#: Names of the classes of the standard three-class ABC analysis.
ABC_NAMES = {"A": ("key customers", "关键客户"), "B": ("major customers", "主要客户"),
             "C": ("ordinary customers", "普通客户")}


def pareto_table(data, *, value_col: str | None = None, customer_col: str | None = None) -> pd.DataFrame:
    """Customers from most to least valuable with cumulative shares: the 80/20 curve (帕累托曲线).

    Parameters
    ----------
    data : Series or DataFrame
        Value per customer (客户价值), a Series indexed by customer; or a
        DataFrame with the column ``value_col`` (and ``customer_col``, else
        its index is the customer). One row per customer; negative values
        (loss-making customers) are allowed and come last.
    value_col, customer_col : str, optional
        Column names when ``data`` is a DataFrame.

    Returns
    -------
    DataFrame
        Indexed by customer, best first (ties in the order of ``data``), with
        columns ``value``, ``rank`` (1 = most valuable), ``share_customers``
        (rank / number of customers: "the top x %"), ``cum_value`` and
        ``share_value`` (cumulative value / total: "... bring y % of the value").

    Examples
    --------
    >>> import pandas as pd
    >>> pareto_table(pd.Series([1.0, 3.0, 6.0], index=["a", "b", "c"]))[["share_customers", "share_value"]].round(2)
       share_customers  share_value
    c             0.33          0.6
    b             0.67          0.9
    a             1.00          1.0
    """
    values = values_per_customer(data, value_col=value_col, customer_col=customer_col, table="pareto_table")
    ranked = values.sort_values(ascending=False, kind="stable")
    n = len(ranked)
    out = pd.DataFrame({"value": ranked, "rank": np.arange(1, n + 1)}, index=ranked.index)
    out["share_customers"] = out["rank"] / n
    out["cum_value"] = ranked.cumsum()
    out["share_value"] = out["cum_value"] / ranked.sum()
    return out


def lorenz_curve(data, *, value_col: str | None = None, customer_col: str | None = None) -> pd.DataFrame:
    """The Lorenz curve (洛伦兹曲线): customers from least to most valuable.

    Parameters
    ----------
    data, value_col, customer_col
        As in :func:`pareto_table`; values must be >= 0.

    Returns
    -------
    DataFrame
        ``n + 1`` rows starting at (0, 0): ``share_customers`` (the poorest
        x % of customers ...) and ``share_value`` (... hold y % of the value).
        The diagonal is perfect equality.

    Examples
    --------
    >>> import pandas as pd
    >>> lorenz_curve(pd.Series([0.0, 0.0, 0.0, 4.0]))["share_value"].tolist()
    [0.0, 0.0, 0.0, 0.0, 1.0]
    """
    values = values_per_customer(data, value_col=value_col, customer_col=customer_col, table="lorenz_curve",
                                 allow_negative=False)
    x = np.sort(values.to_numpy())
    n = len(x)
    return pd.DataFrame({"share_customers": np.arange(n + 1) / n,
                         "share_value": np.concatenate([[0.0], np.cumsum(x) / x.sum()])})


def gini(data, *, value_col: str | None = None, customer_col: str | None = None) -> float:
    """The Gini coefficient (基尼系数) of the value per customer.

    ``G = 1 - 2 x (area under the Lorenz curve)``, the area taken with
    straight lines between the points of :func:`lorenz_curve`; equivalently,
    with the values sorted ascending ``x_1 <= ... <= x_n``,
    ``G = 2 sum(i x_i) / (n sum(x_i)) - (n + 1) / n``. 0 when every customer
    is worth the same; ``(n - 1) / n`` when one customer holds everything (no
    small-sample correction is applied).

    Parameters
    ----------
    data, value_col, customer_col
        As for :func:`lorenz_curve`.

    Returns
    -------
    float
        From 0 (equality) up to ``(n - 1) / n``, rounded to 12 decimals so that ties print as ties.

    Examples
    --------
    >>> import pandas as pd
    >>> gini(pd.Series([0.0, 0.0, 0.0, 1.0]))
    0.75
    >>> gini(pd.Series([5.0, 5.0, 5.0]))
    0.0
    """
    curve = lorenz_curve(data, value_col=value_col, customer_col=customer_col)
    n = len(curve) - 1
    area = (curve["share_value"].iloc[1:].to_numpy() + curve["share_value"].iloc[:-1].to_numpy()).sum() / (2 * n)
    return round(float(1 - 2 * area), 12)


def top_share(data, share: float = 0.2, *, value_col: str | None = None, customer_col: str | None = None) -> float:
    """Share of the value held by the top ``share`` of customers (e.g. "the top 20 % bring 75 %").

    Read off the 80/20 curve of :func:`pareto_table`, linear between its
    points, so that a fraction of the customer on the boundary counts when
    ``share`` x number of customers is not a whole number.

    Parameters
    ----------
    data, value_col, customer_col
        As in :func:`pareto_table`.
    share : float, default 0.2
        Share of customers, between 0 and 1.

    Returns
    -------
    float

    Examples
    --------
    >>> import pandas as pd
    >>> top_share(pd.Series([4.0, 3.0, 2.0, 1.0]), 0.25)
    0.4
    """
    if isinstance(share, bool) or not isinstance(share, (int, float)) or not 0 <= share <= 1:
        raise CrmlabInputError(f"share must be a number between 0 and 1, got {share!r}; e.g. share=0.2 for the top 20 %.")
    table = pareto_table(data, value_col=value_col, customer_col=customer_col)
    x = np.concatenate([[0.0], table["share_customers"].to_numpy()])
    y = np.concatenate([[0.0], table["share_value"].to_numpy()])
    return round(float(np.interp(share, x, y)), 12)


def abc_classes(data, *, thresholds=(0.8, 0.95), by: str = "value", value_col: str | None = None,
                customer_col: str | None = None) -> pd.DataFrame:
    """ABC analysis (ABC分类法): customers ranked by value and cut into classes A, B, C, ...

    Parameters
    ----------
    data, value_col, customer_col
        As in :func:`pareto_table`.
    thresholds : sequence of float, default (0.8, 0.95)
        Increasing cumulative shares in (0, 1) where one class ends and the
        next begins; k thresholds make k + 1 classes.
    by : {"value", "customers"}, default "value"
        - ``"value"`` (the textbook rule): a customer is in class A while the
          cumulative share of the value *up to and including* that customer
          is at most 0.8, in B while at most 0.95, else in C — A is the
          customers who together bring the first 80 % of the value;
        - ``"customers"``: by the share of customers instead, e.g.
          ``thresholds=(0.2, 0.5)`` puts the top 20 % of customers in A, the
          next 30 % in B and the rest in C.

        Customers of equal value are ordered as in ``data`` (a stable sort),
        so the result is reproducible. Customers with a value <= 0 are always
        in the last class.

    Returns
    -------
    DataFrame
        :func:`pareto_table` with the column ``abc_class`` (an ordered
        categorical A < B < C ...).

    Examples
    --------
    >>> import pandas as pd
    >>> value = pd.Series([50.0, 30.0, 15.0, 5.0], index=["a", "b", "c", "d"])
    >>> abc_classes(value)[["share_value", "abc_class"]]
       share_value abc_class
    a         0.50         A
    b         0.80         A
    c         0.95         B
    d         1.00         C
    """
    require_option(by, ("value", "customers"), name="by",
                   fix="'value': classes by cumulative share of the value; 'customers': by share of customers.")
    try:
        cuts = np.asarray(thresholds, dtype=float).ravel()
    except (TypeError, ValueError):
        cuts = np.array([np.nan])
    if len(cuts) == 0 or np.isnan(cuts).any() or (cuts <= 0).any() or (cuts >= 1).any() or (np.diff(cuts) <= 0).any():
        raise CrmlabInputError(f"thresholds must be increasing shares between 0 and 1, got {thresholds!r}; "
                               "e.g. thresholds=(0.8, 0.95).")
    table = pareto_table(data, value_col=value_col, customer_col=customer_col)
    share = table["share_value" if by == "value" else "share_customers"].to_numpy()
    # A tiny tolerance, so that a cumulative share of exactly 0.8 computed as 0.80000000001 stays in A.
    code = np.searchsorted(cuts + 1e-12, share, side="left")
    code[table["value"].to_numpy() <= 0] = len(cuts)
    labels = [chr(ord("A") + i) for i in range(len(cuts) + 1)]
    table["abc_class"] = pd.Categorical.from_codes(code, categories=labels, ordered=True)
    return table


def abc_summary(classes: pd.DataFrame) -> pd.DataFrame:
    """How many customers each ABC class has and how much value it brings.

    Parameters
    ----------
    classes : DataFrame
        The result of :func:`abc_classes`.

    Returns
    -------
    DataFrame
        One row per class: ``name`` and ``name_zh`` (for the standard three
        classes: key 关键客户, major 主要客户, ordinary 普通客户 customers),
        ``customers``, ``share_customers``, ``value``, ``share_value``,
        ``mean_value``.

    Examples
    --------
    >>> import pandas as pd
    >>> s = abc_summary(abc_classes(pd.Series([50.0, 30.0, 15.0, 5.0])))
    >>> s["customers"].tolist(), s["share_value"].round(2).tolist()
    ([2, 1, 1], [0.8, 0.15, 0.05])
    """
    require_columns(classes.columns, ["value", "abc_class"], table="abc_summary")
    groups = classes.groupby("abc_class", observed=False)["value"]
    out = pd.DataFrame({"customers": groups.size(), "value": groups.sum()})
    out["share_customers"] = out["customers"] / out["customers"].sum()
    out["share_value"] = out["value"] / out["value"].sum()
    out["mean_value"] = out["value"] / out["customers"].where(out["customers"] > 0)
    standard = list(out.index) == list(ABC_NAMES)
    out.insert(0, "name", [ABC_NAMES[c][0] if standard else "" for c in out.index])
    out.insert(1, "name_zh", [ABC_NAMES[c][1] if standard else "" for c in out.index])
    return out[["name", "name_zh", "customers", "share_customers", "value", "share_value", "mean_value"]]
