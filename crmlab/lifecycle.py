"""The customer lifecycle (客户生命周期) and the relationship class (客户关系类型) of every customer at a date.

Both are read from behaviour — when the customer registered and when they
bought — by simple rules that a student can read, change and argue about
(:class:`LifecycleRules`). Purchases come from
:func:`crmlab.transactions.purchases`, so that "a purchase" means the same
here as in every other chapter.

Lifecycle stages (:data:`LIFECYCLE_STAGES`). The textbook's lifecycle runs
from the moment a customer starts to learn of the company (or the company
starts to court the customer) until the business relationship has ended and
everything connected with it is settled. Each stage, with what it means and
the rule that stands for it, checked in this order at ``as_of``:

1. not registered yet: no stage (``<NA>``, counted and reported);
2. acquisition 潜在获取期 (getting to know each other, no business yet):
   registered, no purchase yet;
3. termination 终止期 (the relationship has ended): no purchase for more
   than ``lost_days``;
4. decline 衰退期 (buying falls away): no purchase for more than
   ``active_days``;
5. maturity 成熟期 (buying is established): at least ``mature_purchases``
   purchases so far;
6. growth 成长期 (the customer has started to buy): the other active buyers
   (fewer purchases so far).

Relationship classes (:data:`RELATIONSHIP_CLASSES`, the textbook's
classification by the company–customer relationship, 非客户/潜在/目标/
现实(初次购买者/重复购买者/忠实客户)/流失), with what each means and its
rule, in this order:

1. non-customer 非客户 (no relationship with the company): not registered
   yet;
2. potential 潜在客户 (has the need, has not bought): registered, never
   bought, no marketing consent;
3. target 目标客户 (a potential customer the company has chosen to win):
   registered, never bought, consented to marketing, so the company can
   pursue them;
4. lost 流失客户 (used to buy, has stopped): bought before, but not for more
   than ``lost_days``;
5. loyal 忠实客户 (buys again and again): at least ``loyal_purchases``
   purchases in the last ``loyal_window_days``;
6. repeat 重复购买者 (buys again): two or more purchases so far;
7. first-time 初次购买者 (has bought once): exactly one purchase.

:func:`relationship_transitions` counts how customers moved between the
classes from one date to another (关系转换).

Examples
--------
>>> from crmlab.datasets import load_data
>>> from crmlab.transactions import purchases
>>> p = purchases(load_data("orders"), load_data("order_lines"), verbose=False)
>>> classes = relationship_class(load_data("customers"), p, as_of="2025-12-31")
>>> classes["relationship"].cat.categories.tolist()
['non-customer', 'potential', 'target', 'first-time', 'repeat', 'loyal', 'lost']
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from crmlab.validation import (CrmlabInputError, as_date, datetime_column, describe_rows, report_set_aside,
                               require_columns, require_nonempty)

__all__ = ["LIFECYCLE_STAGES", "RELATIONSHIP_CLASSES", "LifecycleRules", "customer_activity", "lifecycle_stage",
           "relationship_class", "transition_matrix", "relationship_transitions"]

#: Lifecycle stages in order, with their Chinese names.
LIFECYCLE_STAGES = {"acquisition": "潜在获取期", "growth": "成长期", "maturity": "成熟期", "decline": "衰退期",
                    "termination": "终止期"}
#: Relationship classes in order, with their Chinese names.
RELATIONSHIP_CLASSES = {"non-customer": "非客户", "potential": "潜在客户", "target": "目标客户",
                        "first-time": "初次购买者", "repeat": "重复购买者", "loyal": "忠实客户", "lost": "流失客户"}


@dataclass(frozen=True)
class LifecycleRules:
    """The thresholds of the lifecycle and relationship rules (生命周期规则); change any of them.

    Parameters
    ----------
    active_days : int, default 180
        A customer who bought within this many days is active (growth or
        maturity); after it, in decline (衰退期).
    lost_days : int, default 365
        No purchase for longer than this: termination (终止期) / lost (流失).
    mature_purchases : int, default 3
        Purchases so far that make an active customer mature (成熟期).
    loyal_purchases : int, default 4
        Purchases within ``loyal_window_days`` that make a customer loyal (忠实).
    loyal_window_days : int, default 365
        The window for ``loyal_purchases``.

    Examples
    --------
    >>> LifecycleRules(lost_days=270).lost_days
    270
    """

    active_days: int = 180
    lost_days: int = 365
    mature_purchases: int = 3
    loyal_purchases: int = 4
    loyal_window_days: int = 365

    def __post_init__(self):
        for name in ("active_days", "lost_days", "mature_purchases", "loyal_purchases", "loyal_window_days"):
            value = getattr(self, name)
            if not isinstance(value, (int, np.integer)) or value < 1:
                raise CrmlabInputError(f"LifecycleRules: {name} must be a whole number >= 1, not {value!r}.")
        if self.active_days >= self.lost_days:
            raise CrmlabInputError(f"LifecycleRules: active_days ({self.active_days}) must be smaller than lost_days "
                                   f"({self.lost_days}); decline lies between the two.")


def customer_activity(customers: pd.DataFrame, purchases: pd.DataFrame, *, as_of, window_days: int = 365,
                      verbose: bool = True) -> pd.DataFrame:
    """What each customer had done by ``as_of`` (截至某日的客户行为): the facts the rules read.

    Parameters
    ----------
    customers : DataFrame
        Columns ``customer_id``, ``signup_ts`` (``load_data("customers")``).
    purchases : DataFrame
        Columns ``customer_id``, ``order_ts``, one row per purchase
        (:func:`crmlab.transactions.purchases`). Purchases after ``as_of``
        are not yet known and do not count.
    as_of : str or Timestamp
        The date of the snapshot, e.g. ``"2025-06-30"``: what happened on or
        before that day counts (the whole day).
    window_days : int, default 365
        Length of the recent window for ``recent_purchases``.
    verbose : bool, default True
        Print what was set aside: purchases by customers not in ``customers``.

    Returns
    -------
    DataFrame
        One row per customer: ``customer_id``, ``registered`` (signed up by
        ``as_of``), ``purchases`` (so far), ``recent_purchases`` (within
        ``window_days``), ``first_purchase``, ``last_purchase``,
        ``days_since_last`` (whole days from the last purchase to ``as_of``).

    Raises
    ------
    CrmlabInputError
        Missing or misspelt columns, an empty customer table, duplicated
        customer ids, dates that cannot be read.

    Examples
    --------
    >>> import pandas as pd
    >>> customers = pd.DataFrame({"customer_id": ["A"], "signup_ts": pd.to_datetime(["2024-01-01"])})
    >>> buys = pd.DataFrame({"customer_id": ["A", "A"], "order_ts": pd.to_datetime(["2024-03-01", "2024-06-20"])})
    >>> customer_activity(customers, buys, as_of="2024-06-30")[["purchases", "days_since_last"]].values.tolist()
    [[2, 10]]
    """
    require_columns(customers.columns, ["customer_id", "signup_ts"], table="customers")
    require_columns(purchases.columns, ["customer_id", "order_ts"], table="purchases")
    require_nonempty(customers, table="customers")
    if customers["customer_id"].duplicated().any():
        dup = customers["customer_id"].duplicated(keep=False).to_numpy()
        raise CrmlabInputError(f"customers: customer_id is not unique in {describe_rows(customers.index[dup])}; "
                               "keep one row per customer (customers.drop_duplicates('customer_id')).")
    day_end = as_date(as_of, name="as_of") + pd.Timedelta(days=1)  # as_of counts the whole day
    signup = datetime_column(customers["signup_ts"], column="signup_ts", table="customers")
    when = datetime_column(purchases["order_ts"], column="order_ts", table="purchases")
    known = purchases["customer_id"].isin(customers["customer_id"]).to_numpy()
    past = known & (when < day_end).to_numpy()
    buys = pd.DataFrame({"customer_id": purchases["customer_id"].to_numpy()[past], "ts": when.to_numpy()[past]})
    recent_start = day_end - pd.Timedelta(days=window_days)
    g = buys.groupby("customer_id")["ts"]
    out = pd.DataFrame({"customer_id": customers["customer_id"].to_numpy(),
                        "registered": (signup < day_end).to_numpy()})
    ids = out["customer_id"]
    out["purchases"] = ids.map(g.size()).fillna(0).astype(int).to_numpy()
    out["recent_purchases"] = ids.map(buys[buys["ts"] >= recent_start].groupby("customer_id").size()) \
        .fillna(0).astype(int).to_numpy()
    out["first_purchase"] = ids.map(g.min()).to_numpy()
    out["last_purchase"] = ids.map(g.max()).to_numpy()
    out["days_since_last"] = ((day_end - pd.Timedelta(days=1)) - out["last_purchase"].dt.normalize()).dt.days \
        .astype("Int64")
    return report_set_aside(out, {"purchases by customers not in the customer table": (~known).sum()},
                            what="customer_activity", verbose=verbose)


def lifecycle_stage(customers: pd.DataFrame, purchases: pd.DataFrame, *, as_of, rules: LifecycleRules | None = None,
                    verbose: bool = True) -> pd.DataFrame:
    """The lifecycle stage (生命周期阶段) of every customer at ``as_of``, by the rules in the module text.

    Parameters
    ----------
    customers, purchases, as_of, verbose
        As for :func:`customer_activity`.
    rules : LifecycleRules, optional
        The thresholds; default ``LifecycleRules()``.

    Returns
    -------
    DataFrame
        :func:`customer_activity` columns plus ``stage`` (categories as
        :data:`LIFECYCLE_STAGES`; ``<NA>`` for customers not registered yet,
        counted in ``attrs["set_aside"]``) and ``stage_zh`` (Chinese name).

    Examples
    --------
    >>> import pandas as pd
    >>> customers = pd.DataFrame({"customer_id": ["A", "B"], "signup_ts": pd.to_datetime(["2024-01-01", "2024-01-01"])})
    >>> buys = pd.DataFrame({"customer_id": ["B"] * 3, "order_ts": pd.to_datetime(["2024-02-01", "2024-03-01", "2024-05-01"])})
    >>> lifecycle_stage(customers, buys, as_of="2024-06-30")["stage"].tolist()
    ['acquisition', 'maturity']
    """
    rules = LifecycleRules() if rules is None else rules
    act = customer_activity(customers, purchases, as_of=as_of, window_days=rules.loyal_window_days, verbose=False)
    days = act["days_since_last"].to_numpy(dtype=float, na_value=np.nan)
    stage = np.select(
        [~act["registered"], act["purchases"] == 0, days > rules.lost_days, days > rules.active_days,
         act["purchases"] >= rules.mature_purchases],
        ["", "acquisition", "termination", "decline", "maturity"], "growth")
    act["stage"] = pd.Categorical(np.where(stage == "", None, stage), categories=list(LIFECYCLE_STAGES))
    act["stage_zh"] = act["stage"].map(LIFECYCLE_STAGES).astype("string")
    set_aside = dict(act.attrs.get("set_aside", {}))
    set_aside["customers not registered by as_of (no stage)"] = (~act["registered"]).sum()
    return report_set_aside(act, set_aside, what="lifecycle_stage", verbose=verbose)


def relationship_class(customers: pd.DataFrame, purchases: pd.DataFrame, *, as_of,
                       rules: LifecycleRules | None = None, verbose: bool = True) -> pd.DataFrame:
    """The relationship class (客户关系类型) of every customer at ``as_of``, by the rules in the module text.

    Parameters
    ----------
    customers : DataFrame
        Columns ``customer_id``, ``signup_ts``, ``marketing_consent`` (True:
        the customer agreed to marketing contacts, 营销许可). The sample
        company records consent as it stands at the end of the data, so a
        snapshot at an earlier date uses today's consent.
    purchases, as_of, verbose
        As for :func:`customer_activity`.
    rules : LifecycleRules, optional
        As for :func:`lifecycle_stage` (the recency and frequency thresholds).

    Returns
    -------
    DataFrame
        :func:`customer_activity` columns plus ``relationship`` (categories as
        :data:`RELATIONSHIP_CLASSES`, every customer has one) and
        ``relationship_zh`` (Chinese name).

    Examples
    --------
    >>> import pandas as pd
    >>> customers = pd.DataFrame({"customer_id": ["A", "B", "C"], "marketing_consent": [True, False, True],
    ...                           "signup_ts": pd.to_datetime(["2024-01-01", "2024-01-01", "2024-09-01"])})
    >>> buys = pd.DataFrame({"customer_id": ["B", "B"], "order_ts": pd.to_datetime(["2024-02-01", "2024-03-01"])})
    >>> relationship_class(customers, buys, as_of="2024-06-30")["relationship"].tolist()
    ['target', 'repeat', 'non-customer']
    """
    rules = LifecycleRules() if rules is None else rules
    require_columns(customers.columns, ["customer_id", "signup_ts", "marketing_consent"], table="customers")
    act = customer_activity(customers, purchases, as_of=as_of, window_days=rules.loyal_window_days, verbose=verbose)
    consent = customers["marketing_consent"].astype("boolean").fillna(False).to_numpy(dtype=bool)
    days = act["days_since_last"].to_numpy(dtype=float, na_value=np.nan)
    n = act["purchases"].to_numpy()
    cls = np.select(
        [~act["registered"], (n == 0) & ~consent, n == 0, days > rules.lost_days,
         act["recent_purchases"].to_numpy() >= rules.loyal_purchases, n >= 2],
        ["non-customer", "potential", "target", "lost", "loyal", "repeat"], "first-time")
    act["relationship"] = pd.Categorical(cls, categories=list(RELATIONSHIP_CLASSES))
    act["relationship_zh"] = act["relationship"].map(RELATIONSHIP_CLASSES).astype("string")
    return act


def transition_matrix(before: pd.Series, after: pd.Series) -> pd.DataFrame:
    """How many customers moved from each class to each class (转换矩阵) between two snapshots.

    Parameters
    ----------
    before, after : Series
        The class of each customer at the first and the second date, indexed
        by customer id, categorical with the same categories.

    Returns
    -------
    DataFrame
        Rows: class at the first date; columns: class at the second date; all
        categories on both axes. Each row sums to the number of customers in
        that class at the first date (customers missing from ``after`` would
        break that, so they are an error).

    Examples
    --------
    >>> import pandas as pd
    >>> kinds = pd.CategoricalDtype(["new", "old"])
    >>> before = pd.Series(["new", "new", "old"], index=list("abc"), dtype=kinds)
    >>> after = pd.Series(["old", "new", "old"], index=list("abc"), dtype=kinds)
    >>> transition_matrix(before, after).values.tolist()
    [[1, 1], [0, 1]]
    """
    if not before.index.equals(after.index):
        if set(before.index) != set(after.index):
            raise CrmlabInputError("before and after must hold the same customers (the same index); "
                                   f"{len(set(before.index) ^ set(after.index))} customers are in only one of them.")
        after = after.reindex(before.index)
    cats = list(before.cat.categories) if isinstance(before.dtype, pd.CategoricalDtype) else sorted(before.dropna().unique())
    matrix = pd.crosstab(pd.Categorical(before, categories=cats), pd.Categorical(after, categories=cats),
                         dropna=False)
    matrix = matrix.reindex(index=cats, columns=cats, fill_value=0)
    matrix.index.name, matrix.columns.name = "before", "after"
    return matrix


def relationship_transitions(customers: pd.DataFrame, purchases: pd.DataFrame, *, start, end,
                             rules: LifecycleRules | None = None, verbose: bool = True) -> pd.DataFrame:
    """The transition matrix of relationship classes (客户关系转换) from ``start`` to ``end``.

    Parameters
    ----------
    customers, purchases, rules, verbose
        As for :func:`relationship_class`.
    start, end : str or Timestamp
        The two dates, ``start`` before ``end``.

    Returns
    -------
    DataFrame
        Counts of customers: rows = class at ``start``, columns = class at
        ``end`` (:func:`transition_matrix`; the axes are named by the dates);
        row sums = class counts at ``start``.

    Examples
    --------
    >>> from crmlab.datasets import load_data
    >>> from crmlab.transactions import purchases
    >>> p = purchases(load_data("orders"), load_data("order_lines"), verbose=False)
    >>> m = relationship_transitions(load_data("customers"), p, start="2024-12-31", end="2025-12-31")
    >>> int(m.to_numpy().sum())
    10000
    """
    if as_date(start, name="start") >= as_date(end, name="end"):
        raise CrmlabInputError(f"start ({start}) must be before end ({end}).")
    first = relationship_class(customers, purchases, as_of=start, rules=rules, verbose=verbose)
    second = relationship_class(customers, purchases, as_of=end, rules=rules, verbose=False)
    matrix = transition_matrix(first.set_index("customer_id")["relationship"],
                               second.set_index("customer_id")["relationship"])
    matrix.index.name, matrix.columns.name = str(start), str(end)
    return matrix
