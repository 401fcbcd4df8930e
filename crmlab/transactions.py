"""Purchases from orders (交易记录): the one place where returns and cancellations
are turned into a transaction log, by a stated rule.

Every chapter that counts purchases or sums spend (RFM, CLV, campaigns,
loyalty) starts from :func:`purchases`, so that recency, frequency and
monetary value mean the same thing everywhere in the kit.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from crmlab.validation import (CrmlabInputError, amount_column, datetime_column, describe_rows, report_set_aside,
                               require_columns, require_labels, require_nonempty, require_option)

RETURN_RULES = ("exclude", "zero")


def purchases(orders: pd.DataFrame, order_lines: pd.DataFrame, *, returns: str = "exclude",
              verbose: bool = True) -> pd.DataFrame:
    """One row per purchase, with its revenue, cost and margin (购买记录).

    Parameters
    ----------
    orders : DataFrame
        Columns ``order_id``, ``customer_id``, ``order_ts``, ``channel``,
        ``status`` (completed / returned / cancelled), as ``load_data("orders")``.
    order_lines : DataFrame
        Columns ``order_id``, ``net_amount``, ``cost``, as ``load_data("order_lines")``.
    returns : {"exclude", "zero"}, default "exclude"
        The rule for returned orders (退货):

        - ``"exclude"``: a returned order is not a purchase; it is set aside;
        - ``"zero"``: it is a purchase (the customer did buy) that earned
          nothing: revenue, cost and margin 0.

        Cancelled orders (取消) are never purchases, and orders without a
        customer id cannot be attributed; both are set aside and counted.
    verbose : bool, default True
        Print one line saying what was set aside (also kept in
        ``result.attrs["set_aside"]``).

    Returns
    -------
    DataFrame
        Columns ``customer_id``, ``order_id``, ``order_ts``, ``channel``,
        ``returned`` (bool), ``revenue``, ``cost``, ``margin`` (CNY),
        sorted by ``customer_id`` then ``order_ts``.

    Examples
    --------
    >>> from crmlab.datasets import load_data
    >>> p = purchases(load_data("orders"), load_data("order_lines"))   # doctest: +ELLIPSIS
    purchases: set aside ... cancelled orders, ... returned orders
    >>> p.columns.tolist()
    ['customer_id', 'order_id', 'order_ts', 'channel', 'returned', 'revenue', 'cost', 'margin']
    """
    require_option(returns, RETURN_RULES, name="returns")
    require_columns(orders.columns, ["order_id", "customer_id", "order_ts", "channel", "status"], table="orders")
    require_columns(order_lines.columns, ["order_id", "net_amount", "cost"], table="order_lines")
    require_nonempty(orders, table="orders")
    order_ts = datetime_column(orders["order_ts"], column="order_ts", table="orders")
    require_labels(orders["status"], ("completed", "returned", "cancelled"), column="status", table="orders")
    status = orders["status"].astype("string")
    net = amount_column(order_lines["net_amount"], column="net_amount", table="order_lines")
    cost = amount_column(order_lines["cost"], column="cost", table="order_lines")
    if orders["order_id"].duplicated().any():
        dup = orders["order_id"].duplicated(keep=False)
        raise CrmlabInputError(f"orders: order_id is not unique in {describe_rows(orders.index[dup])}; "
                               "remove the duplicated orders first (orders.drop_duplicates('order_id')).")

    cancelled = status == "cancelled"
    no_customer = orders["customer_id"].isna() & ~cancelled
    returned = (status == "returned") & ~no_customer
    drop = cancelled | no_customer | (returned if returns == "exclude" else False)
    keep = ~drop.to_numpy()
    # Sort by customer, then time: integer codes and lexsort are much faster than sorting strings.
    customer_code, _ = pd.factorize(orders["customer_id"].to_numpy()[keep], sort=True)
    when = order_ts.to_numpy()[keep]
    order = np.lexsort((when, customer_code))
    kept = orders.loc[keep, ["customer_id", "order_id", "order_ts", "channel"]].iloc[order].reset_index(drop=True)
    kept["order_ts"] = when[order]
    kept["returned"] = returned.to_numpy()[keep][order]
    # Sum the lines of each kept order by its position (bincount), not by a string group-by.
    position = pd.Index(kept["order_id"]).get_indexer(order_lines["order_id"])
    found = position >= 0
    earned = ~kept["returned"].to_numpy()
    for column, values in (("revenue", net), ("cost", cost)):
        total = np.bincount(position[found], weights=values.to_numpy()[found], minlength=len(kept))
        kept[column] = np.where(earned, total, 0.0)
    kept["margin"] = kept["revenue"] - kept["cost"]
    return report_set_aside(kept, {
        "cancelled orders": cancelled.sum(),
        "returned orders": returned.sum() if returns == "exclude" else 0,
        "orders without a customer_id": no_customer.sum(),
    }, what="purchases", verbose=verbose)
