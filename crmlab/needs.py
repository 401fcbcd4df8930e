"""Customer needs from behaviour (客户需求分析): what, when, where, how many, what price, how to pay, how often.

Personalisation starts from the customer's needs. The textbook describes
them along **what / when / where / why / how many / what price / how to
pay / how often** — the eight features of needs (客户需求的特征: 需求内容、需求时间、需求地点、
需求原因、需求批量、需求价格、支付方式、需求频率).
All but *why* can be read from what customers do; *why* has to be asked
(the survey's ``main_reason``) and can be joined in.

- :func:`price_bands`: each product's price band within its category (价位);
- :func:`purchase_lines`: the order lines of real purchases with the order's
  time, channel, store and payment and the product's category and price
  band — the purchases come from :func:`crmlab.transactions.purchases`;
- :func:`needs_profile`: one row per customer along the dimensions above;
- :func:`needs_summary`: the typical needs of each segment (e.g. an
  ``rfm_class`` of chapter 4), the input of the customisation table
  (:mod:`crmlab.customisation`);
- :func:`needs_differences`: whether the segments differ in each need, with
  a test and an effect size per dimension.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from crmlab.validation import (CrmlabInputError, amount_column, as_date, datetime_column, describe_rows,
                               report_set_aside, require_columns, require_nonempty)

#: Price bands within a category: key, Chinese.
PRICE_BANDS = (("low", "低价位"), ("mid", "中价位"), ("high", "高价位"))
#: Parts of the day by the hour the order was placed.
DAYPARTS = (("night", "深夜", 0, 6), ("morning", "上午", 6, 12), ("afternoon", "下午", 12, 18),
            ("evening", "晚上", 18, 24))
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
#: Seasons by month (Northern hemisphere, as in China).
SEASONS = (("winter", "冬季", (12, 1, 2)), ("spring", "春季", (3, 4, 5)), ("summer", "夏季", (6, 7, 8)),
           ("autumn", "秋季", (9, 10, 11)))
#: The shopping festivals (购物节), as month-day ranges: 618, Double 11 (双11), Double 12 (双12).
PROMOTION_DAYS = (("06-01", "06-18"), ("11-01", "11-11"), ("12-12", "12-12"))
#: The needs dimensions of :func:`needs_profile` that name a choice (the others are numbers).
CHOICE_COLUMNS = ("top_category", "top_daypart", "top_weekday", "top_season", "top_channel", "top_store",
                  "top_price_band", "top_payment")


def price_bands(products: pd.DataFrame) -> pd.Series:
    """Price band (价位) of each product within its category: the cheapest third, middle third, dearest third.

    Products are ranked by list price within their category; equal prices are
    ranked in catalogue order (their order in ``products``). With ``n``
    products in a category, product ``r`` (0 = cheapest) falls in band
    ``floor(3 r / n)``, so the bands differ in size by at most one.

    Parameters
    ----------
    products : DataFrame
        Columns ``product_id``, ``category``, ``list_price`` (> 0), as ``load_data("products")``.

    Returns
    -------
    Series
        Indexed by ``product_id``: ``"low"``, ``"mid"`` or ``"high"``
        (categorical, in that order).

    Examples
    --------
    >>> p = pd.DataFrame({"product_id": ["a", "b", "c", "d", "e", "f"], "category": ["food"] * 3 + ["home"] * 3,
    ...                   "list_price": [10.0, 20.0, 30.0, 300.0, 100.0, 200.0]})
    >>> price_bands(p).tolist()
    ['low', 'mid', 'high', 'high', 'low', 'mid']
    """
    require_columns(products.columns, ["product_id", "category", "list_price"], table="products")
    require_nonempty(products, table="products")
    price = amount_column(products["list_price"], column="list_price", table="products", allow_zero=False)
    dup = products["product_id"].duplicated(keep=False)
    if dup.any():
        raise CrmlabInputError(f"products: product_id is not unique in {describe_rows(products.index[dup])}.")
    category = products["category"].astype("string")
    rank = price.groupby(category, sort=False).rank(method="first").to_numpy() - 1  # 0 = cheapest
    size = category.map(category.value_counts()).to_numpy()
    codes = np.floor(3 * rank / size).astype(int)
    return pd.Series(pd.Categorical.from_codes(codes, [b[0] for b in PRICE_BANDS]), index=products["product_id"].to_numpy(),
                     name="price_band").rename_axis("product_id")


def purchase_lines(orders: pd.DataFrame, order_lines: pd.DataFrame, products: pd.DataFrame, *, returns: str = "exclude",
                   verbose: bool = True) -> pd.DataFrame:
    """The order lines of real purchases, with the order's context and the product's category and price band.

    Purchases follow the kit's one rule (:func:`crmlab.transactions.purchases`):
    cancelled orders are never purchases; returned ones are set aside
    (``returns="exclude"``) or kept with amount 0 (``returns="zero"``).

    Parameters
    ----------
    orders : DataFrame
        As ``load_data("orders")`` (needs ``store_id`` and ``payment_method`` too).
    order_lines : DataFrame
        As ``load_data("order_lines")``: ``order_id``, ``product_id``,
        ``quantity``, ``unit_price``, ``discount_rate``, ``net_amount``, ``cost``.
    products : DataFrame
        As ``load_data("products")``.
    returns : {"exclude", "zero"}, default "exclude"
    verbose : bool, default True
        Print what was set aside (kept in ``attrs["set_aside"]``).

    Returns
    -------
    DataFrame
        One row per line: ``customer_id``, ``order_id``, ``order_ts``,
        ``channel``, ``store_id``, ``payment_method``, ``returned``,
        ``product_id``, ``category``, ``subcategory``, ``price_band``,
        ``quantity``, ``unit_price``, ``discount_rate``, ``net_amount``
        (0 for a returned order kept with ``returns="zero"``).

    Examples
    --------
    >>> from crmlab.datasets import load_data
    >>> lines = purchase_lines(load_data("orders"), load_data("order_lines"), load_data("products"))
    ... # doctest: +ELLIPSIS
    purchase_lines: set aside 1 512 cancelled orders, 1 955 returned orders
    >>> lines["price_band"].value_counts().index.tolist()
    ['mid', 'low', 'high']
    """
    from crmlab.transactions import purchases

    require_columns(orders.columns, ["order_id", "store_id", "payment_method"], table="orders")
    require_columns(order_lines.columns, ["order_id", "product_id", "quantity", "unit_price", "discount_rate",
                                          "net_amount"], table="order_lines")
    require_columns(products.columns, ["product_id", "category", "subcategory", "list_price"], table="products")
    bought = purchases(orders, order_lines, returns=returns, verbose=False)
    set_aside = dict(bought.attrs.get("set_aside", {}))
    context = orders[["order_id", "store_id", "payment_method"]]
    lines = bought.drop(columns=["revenue", "cost", "margin"]).merge(context, on="order_id", how="left")
    items = order_lines[["order_id", "product_id", "quantity", "unit_price", "discount_rate", "net_amount"]]
    lines = lines.merge(items, on="order_id", how="inner")
    quantity = pd.to_numeric(lines["quantity"], errors="coerce")
    bad = quantity.isna() | (quantity <= 0)
    if bad.any():
        raise CrmlabInputError(f"order_lines: column 'quantity' must be a whole number > 0; it is not in "
                               f"{describe_rows(lines.index[bad])} of the purchase lines.")
    lines["net_amount"] = np.where(lines["returned"], 0.0, amount_column(lines["net_amount"], column="net_amount",
                                                                          table="order_lines"))
    catalogue = products[["product_id", "category", "subcategory"]].assign(
        price_band=price_bands(products).to_numpy())
    lines = lines.merge(catalogue, on="product_id", how="left")
    unknown = lines["category"].isna()
    set_aside["lines with a product_id not in products"] = int(unknown.sum())
    lines = lines[~unknown]
    columns = ["customer_id", "order_id", "order_ts", "channel", "store_id", "payment_method", "returned",
               "product_id", "category", "subcategory", "price_band", "quantity", "unit_price", "discount_rate",
               "net_amount"]
    out = lines[columns].reset_index(drop=True)
    return report_set_aside(out, set_aside, what="purchase_lines", verbose=verbose)


def _mode(keys: np.ndarray, values, n_keys: int, latest=None):
    """Most frequent value per integer key 0..n_keys-1, and the share of the key's known values it holds.

    Ties go to the value seen last (the largest ``latest``, e.g. the purchase time in seconds) when
    ``latest`` is given, then to the first value in sort order; missing values are ignored (a key
    with none gets ``<NA>``). Counting runs on integer codes, without a loop over keys.
    """
    codes, labels = pd.factorize(pd.Series(values).astype("string"), sort=True)
    known = codes >= 0
    width = max(len(labels), 1)
    pairs, inverse, counts = np.unique(keys[known].astype(np.int64) * width + codes[known], return_inverse=True,
                                       return_counts=True)
    key, value = pairs // width, pairs % width
    last = np.zeros(len(pairs), dtype=np.int64)
    if latest is not None:
        last = np.full(len(pairs), np.iinfo(np.int64).min)
        np.maximum.at(last, inverse.ravel(), np.asarray(latest, dtype=np.int64)[known])
    order = np.lexsort((value, -last, -counts, key))
    key, value, counts = key[order], value[order], counts[order]
    first = np.r_[True, key[1:] != key[:-1]] if len(key) else np.zeros(0, bool)
    top = pd.array([pd.NA] * n_keys, dtype="string")
    top[key[first]] = np.asarray(labels, dtype=object)[value[first]]
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.full(n_keys, np.nan)
        share[key[first]] = counts[first] / np.bincount(keys[known], minlength=n_keys)[key[first]]
    return top, share


def _per_key(keys: np.ndarray, values, n_keys: int, how: str = "mean") -> np.ndarray:
    """Sum or mean of ``values`` per integer key (NaN for a key without rows)."""
    total = np.bincount(keys, weights=np.asarray(values, dtype=float), minlength=n_keys)
    if how == "sum":
        return total
    with np.errstate(invalid="ignore", divide="ignore"):
        return total / np.bincount(keys, minlength=n_keys)


def _in_days(stamps: pd.Series, windows) -> np.ndarray:
    month_day = (stamps.dt.month * 100 + stamps.dt.day).to_numpy()
    as_number = [(int(lo.replace("-", "")), int(hi.replace("-", ""))) for lo, hi in windows]
    return np.logical_or.reduce([(month_day >= lo) & (month_day <= hi) for lo, hi in as_number])


def needs_profile(lines: pd.DataFrame, *, end=None, reasons=None, verbose: bool = True) -> pd.DataFrame:
    """One needs profile per customer (客户需求画像) from what the customer bought and how.

    Parameters
    ----------
    lines : DataFrame
        The result of :func:`purchase_lines` (or any table with its columns).
    end : date, optional
        End of the observation (for ``purchases_last_12m``); default the day
        after the last purchase. Lines at or after it are set aside.
    reasons : Series, optional
        The *why*: a reason per customer, indexed by ``customer_id`` (e.g.
        ``survey.set_index("customer_id")["main_reason"]``); customers
        without one get ``<NA>``.
    verbose : bool, default True
        Print what was set aside (kept in ``attrs["set_aside"]``).

    Returns
    -------
    DataFrame
        Indexed by ``customer_id``:

        - what (需求内容): ``top_category`` and its ``top_category_share`` of the
          lines, ``categories`` (distinct categories bought);
        - when (需求时间): ``top_daypart`` (night/morning/afternoon/evening),
          ``top_weekday``, ``weekend_share``, ``top_season``, ``festival_share``
          (share of purchases on 618, Double 11 and Double 12 days);
        - where (需求地点): ``top_channel``, ``top_store`` (empty if never in a store);
        - how many (需求批量): ``items_per_purchase``, ``lines_per_purchase``;
        - what price (需求价格; the price paid, not the highest price the
          customer would accept): ``top_price_band``, ``mean_unit_price``,
          ``mean_discount``, ``spend_per_purchase``;
        - how to pay (支付方式): ``top_payment``;
        - how often (需求频率): ``purchases``, ``days_between`` (mean days
          between purchases; empty with one purchase), ``purchases_last_12m``
          (in the 365 days before ``end``);
        - why (需求原因): ``why``, only when ``reasons`` is given.

        Ties between equally frequent choices (common: a customer with two
        purchases, one in the afternoon and one in the evening) go to the
        tied choice the customer made most recently, then to the first in
        sort order; a customer with one purchase has no tie.

    Examples
    --------
    >>> lines = pd.DataFrame({"customer_id": ["a", "a", "a"], "order_id": ["o1", "o1", "o2"],
    ...     "order_ts": pd.to_datetime(["2025-06-18 20:15", "2025-06-18 20:15", "2025-07-18 21:00"]),
    ...     "channel": ["app", "app", "web"], "store_id": [None, None, None], "payment_method": "alipay",
    ...     "product_id": ["p1", "p2", "p1"], "category": ["beauty", "food", "beauty"], "price_band": "mid",
    ...     "quantity": [1, 2, 1], "unit_price": [100.0, 10.0, 100.0], "discount_rate": [0.2, 0.2, 0.0],
    ...     "net_amount": [80.0, 16.0, 100.0]})
    >>> p = needs_profile(lines, end="2026-01-01")
    >>> p.loc["a", ["top_category", "top_daypart", "top_channel"]].tolist()  # app and web tie: the later wins
    ['beauty', 'evening', 'web']
    >>> p.loc["a", ["festival_share", "items_per_purchase", "days_between"]].astype(float).round(1).tolist()
    [0.5, 2.0, 30.0]
    """
    need = ["customer_id", "order_id", "order_ts", "channel", "store_id", "payment_method", "category",
            "price_band", "quantity", "unit_price", "discount_rate", "net_amount"]
    require_columns(lines.columns, need, table="lines")
    require_nonempty(lines, table="lines")
    ts = datetime_column(lines["order_ts"], column="order_ts", table="lines")
    stop = ts.max().normalize() + pd.Timedelta(days=1) if end is None else as_date(end, name="end")
    set_aside = {"lines without a customer_id": int(lines["customer_id"].isna().sum())}
    late = ts >= stop
    set_aside["lines at or after the end"] = int(late.sum())
    keep = ~(lines["customer_id"].isna() | late)
    data = lines.loc[keep, need].assign(order_ts=ts[keep])
    if data.empty:
        raise CrmlabInputError(f"needs_profile: no line is left after setting aside {set_aside}.")
    for column in ("quantity", "unit_price", "discount_rate"):
        data[column] = amount_column(data[column], column=column, table="lines")
    data["net_amount"] = amount_column(data["net_amount"], column="net_amount", table="lines")
    who, customers = pd.factorize(data["customer_id"].astype("string"), sort=True)
    n = len(customers)
    order_code, _ = pd.factorize(data["order_id"].astype("string"))
    _, first_line = np.unique(order_code, return_index=True)
    orders = data.iloc[first_line]  # one row per order: its time, channel, store and payment
    o_who = who[first_line]
    if (who != o_who[order_code]).any():
        raise CrmlabInputError("lines: an order_id belongs to more than one customer; check the join of orders and lines.")
    stamps = orders["order_ts"]
    starts = [lo for _, _, lo, _ in DAYPARTS[1:]]
    daypart = np.array([d[0] for d in DAYPARTS])[np.searchsorted(starts, stamps.dt.hour.to_numpy(), side="right")]
    season_of_month = np.empty(13, dtype=object)
    for name, _, months in SEASONS:
        season_of_month[list(months)] = name
    weekday = stamps.dt.day_of_week.to_numpy()

    out = pd.DataFrame(index=pd.Index(np.asarray(customers, dtype=object), name="customer_id"))
    # what
    seconds = stamps.to_numpy().astype("datetime64[s]").astype(np.int64)  # per order: the tie-breaker
    line_seconds = data["order_ts"].to_numpy().astype("datetime64[s]").astype(np.int64)
    out["top_category"], out["top_category_share"] = _mode(who, data["category"], n, line_seconds)
    cat_code, cats = pd.factorize(data["category"].astype("string"))
    width = max(len(cats), 1)
    distinct = np.unique(who[cat_code >= 0].astype(np.int64) * width + cat_code[cat_code >= 0])
    out["categories"] = np.bincount(distinct // width, minlength=n)
    # when
    out["top_daypart"] = _mode(o_who, daypart, n, seconds)[0]
    top_day = _mode(o_who, weekday, n, seconds)[0]  # codes "0"-"6" sort as Monday ... Sunday
    out["top_weekday"] = pd.Series(top_day).map({str(i): day for i, day in enumerate(WEEKDAYS)}).astype("string").to_numpy()
    out["weekend_share"] = _per_key(o_who, weekday >= 5, n)
    out["top_season"] = _mode(o_who, season_of_month[stamps.dt.month.to_numpy()], n, seconds)[0]
    out["festival_share"] = _per_key(o_who, _in_days(stamps, PROMOTION_DAYS), n)
    # where
    out["top_channel"] = _mode(o_who, orders["channel"], n, seconds)[0]
    out["top_store"] = _mode(o_who, orders["store_id"].astype("string").replace("", pd.NA), n, seconds)[0]
    # how many
    purchases = np.bincount(o_who, minlength=n)
    out["items_per_purchase"] = _per_key(who, data["quantity"], n, "sum") / purchases
    out["lines_per_purchase"] = np.bincount(who, minlength=n) / purchases
    # what price
    out["top_price_band"] = _mode(who, data["price_band"], n, line_seconds)[0]
    out["mean_unit_price"] = _per_key(who, data["unit_price"], n)
    out["mean_discount"] = _per_key(who, data["discount_rate"], n)
    out["spend_per_purchase"] = _per_key(who, data["net_amount"], n, "sum") / purchases
    # how to pay
    out["top_payment"] = _mode(o_who, orders["payment_method"], n, seconds)[0]
    # how often
    first, last = np.full(n, np.iinfo(np.int64).max), np.full(n, np.iinfo(np.int64).min)
    np.minimum.at(first, o_who, seconds)
    np.maximum.at(last, o_who, seconds)
    out["purchases"] = purchases
    with np.errstate(invalid="ignore", divide="ignore"):
        out["days_between"] = np.where(purchases > 1, (last - first) / 86400 / (purchases - 1), np.nan)
    out["purchases_last_12m"] = np.bincount(o_who, weights=(stamps >= stop - pd.Timedelta(days=365)).to_numpy(),
                                            minlength=n).astype(int)
    if reasons is not None:
        if not isinstance(reasons, pd.Series):
            raise CrmlabInputError("reasons must be a Series indexed by customer_id, e.g. "
                                   "survey.set_index('customer_id')['main_reason'].")
        if reasons.index.duplicated().any():
            raise CrmlabInputError("reasons: a customer_id appears more than once; keep one reason per customer, "
                                   "e.g. the latest answer.")
        out["why"] = reasons.astype("string").reindex(out.index)
    return report_set_aside(out, set_aside, what="needs_profile", verbose=verbose)


def _number_columns(data: pd.DataFrame, by: str) -> list[str]:
    """The needs dimensions of a profile that are numbers (not the segment, not a choice, not a flag)."""
    return [c for c in data.columns if c != by and c not in CHOICE_COLUMNS
            and pd.api.types.is_numeric_dtype(data[c]) and not pd.api.types.is_bool_dtype(data[c])]


def needs_summary(profile: pd.DataFrame, *, by: str, verbose: bool = True) -> pd.DataFrame:
    """The typical needs of each segment (细分群体的需求特征).

    Parameters
    ----------
    profile : DataFrame
        The result of :func:`needs_profile` with a segment column ``by``
        joined in (e.g. ``profile.join(classes["rfm_class"])``).
    by : str
        The segment column; customers without a segment are left out and counted.
    verbose : bool, default True
        Print how many were left out (kept in ``attrs["set_aside"]``).

    Returns
    -------
    DataFrame
        One row per segment: ``customers``; for each choice dimension
        (``top_category``, ``top_channel``, ..., ``why``) the most common
        answer (ties go to the first in sort order), its share among the
        segment's customers with an answer (``..._share_of_segment``) and the
        number of those customers (``..._answers``: for ``why`` only the
        surveyed ones); and the mean of each number
        (``items_per_purchase``, ``mean_discount``, ``days_between``, ...)
        over the customers who have it.

    Examples
    --------
    >>> prof = pd.DataFrame({"top_category": ["food", "food", "beauty"], "purchases": [2, 4, 1],
    ...                      "segment": ["A", "A", "B"]})
    >>> needs_summary(prof, by="segment")[["customers", "top_category", "top_category_share_of_segment", "purchases"]]
    ... # doctest: +NORMALIZE_WHITESPACE
             customers top_category  top_category_share_of_segment  purchases
    segment
    A                2         food                            1.0        3.0
    B                1       beauty                            1.0        1.0
    """
    require_columns(profile.columns, [by], table="profile")
    require_nonempty(profile, table="profile")
    missing = profile[by].isna()
    data = profile[~missing]
    if data.empty:
        raise CrmlabInputError(f"profile: no customer has a value in '{by}'; join the segments in first.")
    group = data[by]
    order = (list(group.cat.categories) if isinstance(group.dtype, pd.CategoricalDtype) else sorted(group.unique()))
    order = [g for g in order if (group == g).any()]
    keys = pd.Index(order).get_indexer(group)
    out = pd.DataFrame({"customers": np.bincount(keys, minlength=len(order))}, index=pd.Index(order))
    for column in [c for c in CHOICE_COLUMNS if c in data.columns] + (["why"] if "why" in data.columns else []):
        out[column], out[f"{column}_share_of_segment"] = _mode(keys, data[column], len(order))
        answered = data[column].notna().to_numpy()
        out[f"{column}_answers"] = np.bincount(keys[answered], minlength=len(order))
    numbers = _number_columns(data, by)
    for column in numbers:
        values = data[column].astype(float)
        known = values.notna().to_numpy()
        with np.errstate(invalid="ignore", divide="ignore"):
            out[column] = (np.bincount(keys[known], weights=values[known], minlength=len(order))
                           / np.bincount(keys[known], minlength=len(order)))
    out.index.name = by
    return report_set_aside(out, {f"customers without a '{by}'": int(missing.sum())}, what="needs_summary",
                            verbose=verbose)


def needs_differences(profile: pd.DataFrame, *, by: str, verbose: bool = True) -> pd.DataFrame:
    """Do the segments differ in each need? One test per needs dimension (细分群体需求差异的检验).

    The unit is the customer (one row of the profile), so the observations are
    independent. For a choice (``top_category``, ``top_channel``, ``why``, ...):
    the chi-square test of independence (卡方检验) of segment x answer over the
    customers with an answer, with Cramér's V (0 = the segments answer alike,
    1 = the segment fixes the answer). For a number (``spend_per_purchase``,
    ``days_between``, ...): the Kruskal–Wallis test (rank-based, robust to
    the long tails of spend) over the customers with a value, with
    epsilon squared (the share of the rank variance between segments, 0 to 1).
    With thousands of customers even a tiny difference is significant: read
    the effect size. Compare effect sizes within a kind only (V and epsilon
    squared are on different scales).

    Parameters
    ----------
    profile, by, verbose
        As for :func:`needs_summary`.

    Returns
    -------
    DataFrame
        Indexed by ``dimension`` (the profile's column), choices first, each
        kind by effect size (largest first): ``kind`` ("choice" / "number"),
        ``test``, ``customers`` (tested), ``segments``, ``statistic``,
        ``dof`` (chi-square degrees of freedom or segments - 1),
        ``p_value``, ``effect`` ("Cramér's V" / "epsilon²"), ``effect_size``,
        ``small_expected`` (chi-square only: share of cells expected to hold
        fewer than 5 customers; above 0.2 the p-value is approximate).

    Examples
    --------
    Segment A buys in the evening, B in the morning; their spend overlaps.

    >>> prof = pd.DataFrame({"segment": ["A"] * 6 + ["B"] * 6,
    ...                      "top_daypart": ["evening"] * 6 + ["morning"] * 6,
    ...                      "spend_per_purchase": [10.0, 30, 50, 70, 90, 110, 20, 40, 60, 80, 100, 120]})
    >>> t = needs_differences(prof, by="segment")
    >>> t[["kind", "customers", "effect_size"]].round(2)
    ... # doctest: +NORMALIZE_WHITESPACE
                          kind  customers  effect_size
    dimension
    top_daypart         choice         12         1.00
    spend_per_purchase  number         12         0.02
    >>> bool(t.loc["top_daypart", "p_value"] < 0.01), bool(t.loc["spend_per_purchase", "p_value"] > 0.5)
    (True, True)
    """
    from scipy.stats import chi2_contingency, kruskal

    require_columns(profile.columns, [by], table="profile")
    require_nonempty(profile, table="profile")
    missing = profile[by].isna()
    data = profile[~missing]
    if data[by].nunique() < 2:
        raise CrmlabInputError(f"profile: column '{by}' has fewer than 2 segments with customers; "
                               "a difference needs at least two groups.")
    group = data[by].astype("string")
    rows = []
    for column in [c for c in (*CHOICE_COLUMNS, "why") if c in data.columns]:  # a dozen dimensions
        table = pd.crosstab(group, data[column].astype("string"))  # rows without an answer drop out
        if table.shape[0] < 2 or table.shape[1] < 2:
            continue  # one segment or one answer: nothing to test
        chi2, p_value, dof, expected = chi2_contingency(table.to_numpy(), correction=False)
        n = int(table.to_numpy().sum())
        rows.append({"dimension": column, "kind": "choice", "test": "chi-square", "customers": n,
                     "segments": table.shape[0], "statistic": chi2, "dof": int(dof), "p_value": p_value,
                     "effect": "Cramér's V", "effect_size": np.sqrt(chi2 / (n * (min(table.shape) - 1))),
                     "small_expected": float((expected < 5).mean())})
    for column in _number_columns(data, by):
        values = data[column].astype(float)
        known = values.notna()
        groups = [g.to_numpy() for _, g in values[known].groupby(group[known])]  # one array per segment
        groups = [g for g in groups if len(g)]
        n = int(known.sum())
        if len(groups) < 2 or values[known].nunique() < 2:
            continue
        h, p_value = kruskal(*groups)
        rows.append({"dimension": column, "kind": "number", "test": "Kruskal-Wallis", "customers": n,
                     "segments": len(groups), "statistic": h, "dof": len(groups) - 1, "p_value": p_value,
                     "effect": "epsilon²", "effect_size": h / (n - 1), "small_expected": np.nan})
    out = pd.DataFrame(rows).set_index("dimension")
    out = out.assign(_kind=(out["kind"] == "number")).sort_values(["_kind", "effect_size"], ascending=[True, False],
                                                                    kind="stable").drop(columns="_kind")
    return report_set_aside(out, {f"customers without a '{by}'": int(missing.sum())}, what="needs_differences",
                            verbose=verbose)
