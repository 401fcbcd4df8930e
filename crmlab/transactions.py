"""Purchases from orders (交易记录): the one place where returns and cancellations
are turned into a transaction log, by a stated rule.

Every chapter that counts purchases or sums spend (RFM, CLV, campaigns,
loyalty) starts from :func:`purchases`, so that recency, frequency and
monetary value mean the same thing everywhere in the kit.
"""
from __future__ import annotations

import operator

import numpy as np
import pandas as pd

from crmlab.validation import (CrmlabInputError, amount_column, compare, datetime_column, describe_rows, label_codes,
                               report_set_aside, require_columns, require_nonempty, require_option, runs)

RETURN_RULES = ("exclude", "zero")

#: The statuses of an order, as ``load_data("orders")`` writes them.
STATUSES = ("completed", "returned", "cancelled")


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
    status = label_codes(orders["status"], STATUSES, column="status", table="orders")
    net = amount_column(order_lines["net_amount"], column="net_amount", table="order_lines")
    cost = amount_column(order_lines["cost"], column="cost", table="order_lines")
    order_ids = orders["order_id"].array
    # Ids that increase down the table are distinct: millions of them need no hashing.
    if not compare(operator.gt, order_ids[1:], order_ids[:-1]).all() and orders["order_id"].duplicated().any():
        dup = orders["order_id"].duplicated(keep=False)
        raise CrmlabInputError(f"orders: order_id is not unique in {describe_rows(orders.index[dup])}; "
                               "remove the duplicated orders first (orders.drop_duplicates('order_id')).")

    cancelled = status == STATUSES.index("cancelled")
    no_customer = orders["customer_id"].isna().to_numpy() & ~cancelled
    returned = (status == STATUSES.index("returned")) & ~no_customer
    drop = cancelled | no_customer | (returned if returns == "exclude" else False)
    rows = np.flatnonzero(~drop)
    when = order_ts.to_numpy()[rows]
    order = _by_customer_then_time(_sort_keys(orders["customer_id"])[rows], when)
    rows = rows[order]
    kept = orders[["customer_id", "order_id", "order_ts", "channel"]].take(rows).reset_index(drop=True)
    kept["order_ts"] = when[order]
    kept["returned"] = returned[rows]
    # Sum the lines of each order by its row in orders (bincount), not by a string group-by;
    # lines of no order go to one extra bin, left out.
    position = _order_rows(order_ids, order_lines["order_id"].array)
    position[position < 0] = len(orders)
    earned = ~kept["returned"].to_numpy()
    for column, values in (("revenue", net), ("cost", cost)):
        total = np.bincount(position, weights=values.to_numpy(), minlength=len(orders) + 1)
        kept[column] = np.where(earned, total[rows], 0.0)
    kept["margin"] = kept["revenue"] - kept["cost"]
    return report_set_aside(kept, {
        "cancelled orders": cancelled.sum(),
        "returned orders": returned.sum() if returns == "exclude" else 0,
        "orders without a customer_id": no_customer.sum(),
    }, what="purchases", verbose=verbose)


def _sort_keys(customer_ids):
    """Values that sort as the customer ids do, cheap to sort: ids of one length up to 8 bytes held
    by pyarrow (``C0001234``) as the unsigned integers their bytes spell, big-endian, so that
    number order is text order (byte order, which in UTF-8 is code-point order, as Python sorts
    text); other text as pyarrow holds it; other ids as numpy values, as pandas orders them.
    Missing ids get arbitrary keys: they are never sorted."""
    dtype = customer_ids.dtype
    if not isinstance(dtype, pd.StringDtype):
        return customer_ids.to_numpy()
    if dtype.storage != "pyarrow":
        return customer_ids.array
    import pyarrow as pa
    import pyarrow.compute as pc

    text = customer_ids.array.__arrow_array__().combine_chunks()
    shortest, longest = pc.min_max(pc.binary_length(text)).values()
    width = longest.as_py()
    if width is None or not 0 < width <= 8 or shortest.as_py() != width:
        return customer_ids.array
    fixed = pc.cast(text, pa.binary(width))  # one id every `width` bytes (zeros for a missing one)
    spelt = np.frombuffer(fixed.buffers()[1], dtype=np.uint8, count=len(fixed) * width, offset=fixed.offset * width)
    padded = np.zeros((len(fixed), 8), dtype=np.uint8)
    padded[:, :width] = spelt.reshape(-1, width)
    return padded.view(">u8").ravel().astype(np.uint64)


def _by_customer_then_time(keys, times):
    """Positions that sort rows by customer (``keys``), then time, ties in table order (as ``np.lexsort``)."""
    code, _ = pd.factorize(keys, sort=True)
    if not len(code):
        return code
    ticks = times.view("int64")
    low = ticks.min()
    span = int(ticks.max()) - int(low) + 1
    if (int(code.max()) + 1) * span < 2 ** 63:  # one int64 key: one stable sort, not lexsort's two
        return np.argsort(code * span + (ticks - low), kind="stable")
    return np.lexsort((times, code))


def _order_rows(order_ids, line_ids):
    """The row in orders of each order line's order (-1 for none); ``order_ids`` are distinct."""
    # Lines come in runs, one per order, usually in the orders' order: then the runs' ids are the
    # orders' ids and no id needs hashing. Otherwise each run's id is looked up once.
    starts = runs(line_ids)
    run_ids = line_ids.take(starts)
    if len(run_ids) == len(order_ids) and compare(operator.eq, run_ids, order_ids).all():
        found = np.arange(len(order_ids))
    else:
        found = pd.Index(order_ids).get_indexer(run_ids)
    return np.repeat(found, np.diff(np.r_[starts, len(line_ids)]))
