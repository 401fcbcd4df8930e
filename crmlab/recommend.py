"""Co-purchase, association rules and next best offer (关联规则与下一个最佳推荐).

Which products are bought together (购物篮分析, market basket analysis), and
what to offer each customer next:

- :func:`association_rules`: rules "who buys A also buys B" between single
  items, with **support** (支持度: share of baskets with A and B),
  **confidence** (置信度: share of baskets with A that also hold B) and
  **lift** (提升度: confidence / share of baskets with B; above 1 means A makes
  B likelier than it is anyway);
- :class:`CoPurchaseRecommender`: scores each item for a customer by the
  confidence of the rules from what the customer already bought (item-to-item
  collaborative filtering, 协同过滤);
- :class:`PopularityRecommender`: the baseline — everyone gets the
  best-sellers;
- :func:`evaluate_recommenders`: both fitted on the purchases before a date
  and scored on what the customers bought after it (held-out orders):
  hit rate@k, precision@k and recall@k, with intervals and the paired
  difference to the baseline (exact McNemar test on the same customers).

A *basket* is an order (``basket_col="order_id"``: bought together) or all
purchases of a customer (``basket_col="customer_id"``: bought by the same
customer). An *item* is any column (``item_col``): ``product_id``,
``subcategory``, ``category``. Everything is computed on a sparse basket x
item matrix — no Python loop over baskets. The lines come from
:func:`crmlab.needs.purchase_lines` (real purchases only).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from crmlab._intervals import wilson_interval, z_value
from crmlab.validation import (CrmlabInputError, as_date, datetime_column, report_set_aside, require_columns,
                               require_nonempty, require_option)

#: Customers scored at once: keeps the dense customer x item score matrix small.
CHUNK = 20_000


def _pairs(lines: pd.DataFrame, *, basket_col: str, item_col: str, table: str = "lines", sort_baskets: bool = False):
    """Distinct (basket, item) pairs as integer codes, with the basket and item labels.

    Returns ``(basket_codes, item_codes, baskets, items, set_aside)``; items are sorted, baskets
    too with ``sort_baskets``. Rows lacking a basket or an item are set aside and counted.
    """
    require_columns(lines.columns, [basket_col, item_col], table=table)
    require_nonempty(lines, table=table)
    gap = (lines[basket_col].isna() | lines[item_col].isna()).to_numpy()
    if gap.all():
        raise CrmlabInputError(f"{table}: no row has both a '{basket_col}' and an '{item_col}'.")
    b_codes, baskets = pd.factorize(lines[basket_col].astype("string").to_numpy()[~gap], sort=sort_baskets)
    i_codes, items = pd.factorize(lines[item_col].astype("string").to_numpy()[~gap], sort=True)
    width = len(items)
    both = pd.unique(b_codes.astype(np.int64) * width + i_codes)  # each item once per basket (hash, no sort)
    return (both // width, both % width, pd.Index(baskets, dtype="string"), pd.Index(items, dtype="string"),
            {f"lines without '{basket_col}' or '{item_col}'": int(gap.sum())})


def _matrix(rows, columns, n_rows: int, n_columns: int):
    from scipy import sparse

    data = np.ones(len(rows), dtype=np.float64)
    return sparse.csr_matrix((data, (rows, columns)), shape=(n_rows, n_columns))


def association_rules(lines: pd.DataFrame, *, basket_col: str = "order_id", item_col: str = "category",
                      min_support: float = 0.0, min_confidence: float = 0.0, min_lift: float = 0.0,
                      min_count: int = 1, verbose: bool = True) -> pd.DataFrame:
    """Association rules A -> B between single items (关联规则), with support, confidence and lift.

    With ``N`` baskets, ``n(A)`` baskets holding A and ``n(A, B)`` holding both:

    - support (支持度) = n(A, B) / N;
    - confidence (置信度) = n(A, B) / n(A), the chance of B given A;
    - lift (提升度) = confidence / (n(B) / N): 1 = no link, > 1 bought together
      more often than chance, < 1 less often;
    - leverage = support - (n(A) / N) * (n(B) / N), the same link in baskets.

    Parameters
    ----------
    lines : DataFrame
        One row per item in a basket (duplicates count once per basket),
        e.g. :func:`crmlab.needs.purchase_lines`.
    basket_col : str, default "order_id"
        The basket column (``"customer_id"``: all purchases of a customer).
    item_col : str, default "category"
        The item column, e.g. ``"product_id"``, ``"subcategory"``.
    min_support, min_confidence, min_lift : float, default 0
        Keep rules at or above these.
    min_count : int, default 1
        Keep rules seen in at least this many baskets (a lift from 2 baskets is noise).
    verbose : bool, default True
        Print what was set aside (kept in ``attrs["set_aside"]``).

    Returns
    -------
    DataFrame
        One row per rule, by lift then support (highest first):
        ``antecedent``, ``consequent``, ``baskets`` (n(A, B)),
        ``support``, ``antecedent_support``, ``consequent_support``,
        ``confidence``, ``lift``, ``leverage``; ``attrs["baskets"]`` = N.

    Examples
    --------
    Four baskets: {milk, bread}, {milk, bread}, {milk}, {eggs}.

    >>> lines = pd.DataFrame({"order_id": [1, 1, 2, 2, 3, 4],
    ...                       "category": ["milk", "bread", "milk", "bread", "milk", "eggs"]})
    >>> r = association_rules(lines).set_index(["antecedent", "consequent"])
    >>> r.loc[("bread", "milk"), ["support", "confidence", "lift"]].tolist()   # 2/4, 2/2, 1 / (3/4)
    [0.5, 1.0, 1.3333333333333333]
    >>> r.loc[("milk", "bread"), ["confidence", "lift"]].round(4).tolist()      # 2/3, (2/3) / (2/4)
    [0.6667, 1.3333]
    """
    for name, value in (("min_support", min_support), ("min_confidence", min_confidence)):
        if not 0 <= float(value) <= 1:
            raise CrmlabInputError(f"{name} must be a share between 0 and 1, got {value!r}.")
    if float(min_lift) < 0:
        raise CrmlabInputError(f"min_lift must be >= 0, got {min_lift!r}.")
    if not isinstance(min_count, (int, np.integer)) or min_count < 1:
        raise CrmlabInputError(f"min_count must be a whole number of baskets >= 1, got {min_count!r}.")
    b_codes, i_codes, baskets, items, set_aside = _pairs(lines, basket_col=basket_col, item_col=item_col)
    m = _matrix(b_codes, i_codes, len(baskets), len(items))
    together = (m.T @ m).tocoo()  # item x item: baskets holding both
    n_item = np.asarray(m.sum(axis=0)).ravel()
    n = float(len(baskets))
    off = together.row != together.col
    a, b, count = together.row[off], together.col[off], together.data[off]
    out = pd.DataFrame({
        "antecedent": items.to_numpy()[a], "consequent": items.to_numpy()[b], "baskets": count.astype(int),
        "support": count / n, "antecedent_support": n_item[a] / n, "consequent_support": n_item[b] / n,
    })
    out["confidence"] = out["support"] / out["antecedent_support"]
    out["lift"] = out["confidence"] / out["consequent_support"]
    out["leverage"] = out["support"] - out["antecedent_support"] * out["consequent_support"]
    keep = ((out["support"] >= min_support) & (out["confidence"] >= min_confidence) & (out["lift"] >= min_lift)
            & (out["baskets"] >= min_count))
    out = out[keep].sort_values(["lift", "support", "antecedent", "consequent"],
                                ascending=[False, False, True, True], kind="stable").reset_index(drop=True)
    out.attrs["baskets"] = int(n)
    return report_set_aside(out, set_aside, what="association_rules", verbose=verbose)


class _Recommender:
    """Shared parts: the item vocabulary, popularity order and top-k selection."""

    def __init__(self, *, item_col: str = "product_id", customer_col: str = "customer_id", verbose: bool = True):
        self.item_col = item_col
        self.customer_col = customer_col
        self.verbose = verbose

    def _fit_items(self, lines: pd.DataFrame):
        c_codes, i_codes, _, items, counts = _pairs(lines, basket_col=self.customer_col, item_col=self.item_col)
        self.set_aside_ = report_set_aside(pd.DataFrame(), counts, what=f"{type(self).__name__}.fit",
                                           verbose=self.verbose).attrs["set_aside"]
        self.items_ = items
        self.popularity_ = np.bincount(i_codes, minlength=len(items)).astype(float)  # customers per item
        return c_codes, i_codes

    def _check_fitted(self):
        if not hasattr(self, "items_"):
            raise CrmlabInputError(f"{type(self).__name__} is not fitted yet; call .fit(lines) first.")

    def _history(self, history: pd.DataFrame):
        c_codes, i_codes, customers, items, _ = _pairs(history, basket_col=self.customer_col, item_col=self.item_col,
                                                       table="history", sort_baskets=True)
        cols = self.items_.get_indexer(items)[i_codes]
        known = cols >= 0  # items the model never saw cannot be scored from
        bought = _matrix(c_codes[known], cols[known], len(customers), len(self.items_))
        return customers.rename(self.customer_col), bought

    def _scores(self, bought):  # customers x items, dense, for one chunk
        raise NotImplementedError

    def recommend(self, history: pd.DataFrame, *, k: int = 5, exclude_bought: bool = True) -> pd.DataFrame:
        """The top ``k`` items for each customer in ``history``.

        Parameters
        ----------
        history : DataFrame
            What the customers bought so far: the customer column and the
            item column; one row per line (duplicates are fine).
        k : int, default 5
            Items per customer.
        exclude_bought : bool, default True
            Leave out items the customer already bought (a *next* offer);
            False allows repeat purchases.

        Returns
        -------
        DataFrame
            The customer column, ``rank`` (1 = best), the item column and ``score``,
            ``k`` rows per customer (fewer if fewer items are left).

        Examples
        --------
        >>> train = pd.DataFrame({"customer_id": ["a", "a", "b", "c", "c"], "product_id": ["x", "y", "x", "z", "y"]})
        >>> PopularityRecommender().fit(train).recommend(train, k=1)[["customer_id", "rank", "product_id"]]
          customer_id  rank product_id
        0           a     1          z
        1           b     1          y
        2           c     1          x
        """
        self._check_fitted()
        if not isinstance(k, (int, np.integer)) or k < 1:
            raise CrmlabInputError(f"k must be a whole number >= 1, got {k!r}.")
        customers, bought = self._history(history)
        k = min(k, len(self.items_))
        # Ties (e.g. a customer whose items have no rules) go to the more popular item.
        tie = self.popularity_ / (self.popularity_.max() + 1) * 1e-6
        frames = []
        for start in range(0, len(customers), CHUNK):  # chunks of customers, not single rows
            part = bought[start:start + CHUNK]
            score = self._scores(part) + tie
            if exclude_bought:
                score[part.toarray() > 0] = -np.inf
            top = np.argpartition(-score, k - 1, axis=1)[:, :k]
            top_score = np.take_along_axis(score, top, axis=1)
            order = np.argsort(-top_score, axis=1, kind="stable")
            top, top_score = np.take_along_axis(top, order, axis=1), np.take_along_axis(top_score, order, axis=1)
            frames.append(pd.DataFrame({
                self.customer_col: np.repeat(customers.to_numpy()[start:start + CHUNK], k),
                "rank": np.tile(np.arange(1, k + 1), part.shape[0]),
                self.item_col: self.items_.to_numpy()[top.ravel()],
                "score": top_score.ravel()}))
        out = pd.concat(frames, ignore_index=True)
        return out[np.isfinite(out["score"])].reset_index(drop=True)


class PopularityRecommender(_Recommender):
    """The baseline (热门推荐): offer every customer the items most customers bought.

    Parameters
    ----------
    item_col : str, default "product_id"
        The item column.
    customer_col : str, default "customer_id"
        The customer column.
    verbose : bool, default True
        Print what ``fit`` set aside (lines without a customer or item; kept in ``set_aside_``).

    Examples
    --------
    >>> train = pd.DataFrame({"customer_id": ["a", "b", "b", "c"], "product_id": ["x", "x", "y", "z"]})
    >>> PopularityRecommender().fit(train).recommend(train[train["customer_id"] == "c"], k=2)["product_id"].tolist()
    ['x', 'y']
    """

    def fit(self, lines: pd.DataFrame) -> "PopularityRecommender":
        """Count the customers who bought each item in ``lines`` (columns customer and item)."""
        self._fit_items(lines)
        return self

    def _scores(self, bought):
        return np.tile(self.popularity_ / self.popularity_.sum(), (bought.shape[0], 1))


class CoPurchaseRecommender(_Recommender):
    """Next best offer from co-purchase (基于关联规则的推荐): item-to-item collaborative filtering.

    Fitting counts, over the customers' baskets, how often each pair of
    items is bought by the same customer. A customer's score for item B is
    the sum, over the items A the customer bought, of the confidence of
    A -> B (``score="confidence"``) or of its lift (``score="lift"``).

    Parameters
    ----------
    item_col : str, default "product_id"
        The item column.
    customer_col : str, default "customer_id"
        The customer column (also the basket: items bought by the same customer).
    score : {"confidence", "lift"}, default "confidence"
        Confidence favours items that are popular among A's buyers; lift
        favours items specific to them (and is noisier for rare items).
    verbose : bool, default True
        Print what ``fit`` set aside (kept in ``set_aside_``).

    Examples
    --------
    >>> train = pd.DataFrame({"customer_id": ["a", "a", "b", "b", "c", "d"],
    ...                       "product_id": ["tea", "cups", "tea", "cups", "milk", "milk"]})
    >>> model = CoPurchaseRecommender().fit(train)
    >>> model.recommend(pd.DataFrame({"customer_id": ["e"], "product_id": ["tea"]}), k=1)["product_id"].tolist()
    ['cups']
    """

    def __init__(self, *, item_col: str = "product_id", customer_col: str = "customer_id",
                 score: str = "confidence", verbose: bool = True):
        super().__init__(item_col=item_col, customer_col=customer_col, verbose=verbose)
        require_option(score, ("confidence", "lift"), name="score")
        self.score = score

    def fit(self, lines: pd.DataFrame) -> "CoPurchaseRecommender":
        """Learn the item-to-item rules from ``lines`` (columns customer and item)."""
        c_codes, i_codes = self._fit_items(lines)
        m = _matrix(c_codes, i_codes, int(c_codes.max()) + 1, len(self.items_))
        together = (m.T @ m).toarray()
        np.fill_diagonal(together, 0.0)
        with np.errstate(invalid="ignore", divide="ignore"):
            confidence = np.nan_to_num(together / self.popularity_[:, None])
            if self.score == "lift":
                confidence = confidence / (self.popularity_[None, :] / m.shape[0])
        self.weights_ = np.nan_to_num(confidence)
        return self

    def _scores(self, bought):
        return np.asarray(bought @ self.weights_)


def _hits(recommendations: pd.DataFrame, held_out: pd.DataFrame, *, customer_col: str, item_col: str) -> pd.DataFrame:
    """Per customer of ``held_out``: recommended items that were bought, and items bought."""
    truth = held_out[[customer_col, item_col]].astype("string").drop_duplicates()
    recs = recommendations[[customer_col, item_col]].astype("string")
    hit = recs.merge(truth, on=[customer_col, item_col], how="inner").groupby(customer_col).size()
    per = truth.groupby(customer_col).size().rename("bought").to_frame()
    per["hits"] = hit.reindex(per.index, fill_value=0).astype(int)
    per["offered"] = recs.groupby(customer_col).size().reindex(per.index, fill_value=0)
    return per


def _mcnemar(gained: int, lost: int) -> float:
    """Exact two-sided McNemar p-value from the discordant pairs: customers only the model hit
    (``gained``) and customers only the baseline hit (``lost``); 1 when there are none."""
    from scipy.stats import binomtest

    n = gained + lost
    return float(binomtest(int(gained), int(n), 0.5).pvalue) if n else 1.0


def evaluate_recommenders(lines: pd.DataFrame, *, split, end=None, k: int = 5, item_col: str = "product_id",
                          customer_col: str = "customer_id", time_col: str = "order_ts", exclude_bought: bool = True,
                          models: dict | None = None, confidence: float = 0.95, verbose: bool = True) -> pd.DataFrame:
    """Next-best-offer models against the popularity baseline on held-out orders (推荐效果评估).

    The models are fitted on the lines before ``split``. The test customers
    are those who bought before ``split`` and bought at least one (new, with
    ``exclude_bought``) item from ``split`` up to ``end``; each gets ``k``
    offers from what they bought before ``split``. Every model is scored on
    the same test customers, so the comparison with the baseline is paired.
    Measures per model:

    - hit rate@k (命中率): share of test customers who bought at least one offered item;
    - precision@k (精确率): offered items bought / ``k``;
    - recall@k (召回率): offered items bought / items bought in the test period;
    - the difference in hit rate to the baseline (the first model), with a
      paired interval and the exact McNemar test (麦克尼马尔检验) on the
      customers that exactly one of the two models hit.

    Parameters
    ----------
    lines : DataFrame
        Columns ``customer_col``, ``time_col`` and ``item_col``: e.g.
        :func:`crmlab.needs.purchase_lines`.
    split : date
        First day of the held-out period.
    end : date, optional
        End of the held-out period (exclusive); default all lines after ``split``.
    k : int, default 5
    item_col : str, default "product_id"
    customer_col : str, default "customer_id"
        The customer column; the default models are built with it too.
    time_col : str, default "order_ts"
        The purchase time.
    exclude_bought : bool, default True
        Offer only items new to the customer, and count only new items as
        bought in the test period.
    models : dict, optional
        Name -> unfitted model with ``fit`` and ``recommend``, using the same
        customer and item columns. Default: ``{"popularity":
        PopularityRecommender(...), "co-purchase": CoPurchaseRecommender(...)}``;
        the first is the baseline.
    confidence : float, default 0.95
        Level of the Wilson interval of each hit rate and of the paired interval of the difference.
    verbose : bool, default True
        Print what was set aside (kept in ``attrs["set_aside"]``).

    Returns
    -------
    DataFrame
        One row per model: ``customers`` (the test customers, the same for
        every model), ``hit_rate`` with its Wilson interval ``hit_low`` /
        ``hit_high``, ``precision``, ``recall``; and, against the baseline,
        ``gained`` (customers only this model hit), ``lost`` (customers only
        the baseline hit), ``vs_baseline`` (hit rate minus the baseline's),
        its paired normal interval ``vs_low`` / ``vs_high`` and ``vs_p_value``
        (exact McNemar test). The baseline's own row leaves these empty (NaN):
        it is the reference, not an estimate.

    Examples
    --------
    >>> from crmlab.datasets import load_data
    >>> from crmlab.needs import purchase_lines
    >>> lines = purchase_lines(load_data("orders"), load_data("order_lines"), load_data("products"), verbose=False)
    >>> result = evaluate_recommenders(lines, split="2025-07-01", k=5, verbose=False)
    >>> result["hit_rate"].round(2).to_dict()
    {'popularity': 0.2, 'co-purchase': 0.33}
    >>> bool(result.loc["co-purchase", "vs_p_value"] < 0.001), bool(pd.isna(result.loc["popularity", "vs_p_value"]))
    (True, True)
    """
    z = z_value(confidence)
    require_columns(lines.columns, [customer_col, time_col, item_col], table="lines")
    require_nonempty(lines, table="lines")
    cut = as_date(split, name="split")
    stop = None if end is None else as_date(end, name="end")
    if stop is not None and stop <= cut:
        raise CrmlabInputError(f"end ({stop.date()}) must be after split ({cut.date()}).")
    ts = datetime_column(lines[time_col], column=time_col, table="lines")
    held = ts >= cut
    if stop is not None:
        held &= ts < stop
    train = lines[ts < cut]
    test = lines[held]
    if train.empty or test.empty:
        raise CrmlabInputError(f"split={cut.date()} leaves no lines before it or none after it; choose a date "
                               f"between {ts.min().date()} and {ts.max().date()}.")
    if models is None:
        models = {"popularity": PopularityRecommender(item_col=item_col, customer_col=customer_col, verbose=False),
                  "co-purchase": CoPurchaseRecommender(item_col=item_col, customer_col=customer_col, verbose=False)}
    if not isinstance(models, dict) or not models:
        raise CrmlabInputError("models must be a dict of name -> recommender, e.g. "
                               "{'popularity': PopularityRecommender(), 'co-purchase': CoPurchaseRecommender()}.")
    test = test[test[customer_col].isin(train[customer_col].dropna().unique())]
    set_aside = {"held-out lines of customers with no purchase before the split": int(held.sum()) - len(test)}
    if exclude_bought:
        seen = train[[customer_col, item_col]].astype("string").drop_duplicates().assign(_seen=True)
        flagged = (test[[customer_col, item_col]].astype("string")
                   .merge(seen, on=[customer_col, item_col], how="left"))
        repeat = flagged["_seen"].fillna(False).to_numpy(dtype=bool)
        set_aside["held-out lines of items the customer had bought before"] = int(repeat.sum())
        test = test[~repeat]
    if test.empty:
        raise CrmlabInputError("no test customer is left: nobody who bought before the split bought a new item after it.")
    history = train[train[customer_col].isin(test[customer_col].unique())]
    hits = {}
    for name, model in models.items():  # a handful of models
        recs = model.fit(train).recommend(history, k=k, exclude_bought=exclude_bought)
        hits[name] = _hits(recs, test, customer_col=customer_col, item_col=item_col)
    base_name, base = next(iter(hits.items()))
    base_hit = (base["hits"] > 0).astype(float)
    rows = []
    for name, per in hits.items():
        hit = (per["hits"] > 0).astype(float)
        low, high = wilson_interval(hit.sum(), len(hit), confidence=confidence)
        row = {"model": name, "customers": len(per), "hit_rate": hit.mean(), "hit_low": float(low),
               "hit_high": float(high), "precision": (per["hits"] / k).mean(),
               "recall": (per["hits"] / per["bought"]).mean()}
        if name != base_name:  # the baseline is the reference: no difference to estimate
            diff = hit - base_hit.reindex(per.index)
            se = diff.std(ddof=1) / np.sqrt(len(diff)) if len(diff) > 1 else np.nan
            gained, lost = int((diff > 0).sum()), int((diff < 0).sum())
            row.update({"gained": gained, "lost": lost, "vs_baseline": diff.mean(), "vs_low": diff.mean() - z * se,
                        "vs_high": diff.mean() + z * se, "vs_p_value": _mcnemar(gained, lost)})
        rows.append(row)
    columns = ["customers", "hit_rate", "hit_low", "hit_high", "precision", "recall", "gained", "lost",
               "vs_baseline", "vs_low", "vs_high", "vs_p_value"]
    out = pd.DataFrame(rows).set_index("model").reindex(columns=columns)
    out[["gained", "lost"]] = out[["gained", "lost"]].astype("Int64")
    out.attrs["k"] = k
    return report_set_aside(out, set_aside, what="evaluate_recommenders", verbose=verbose)
