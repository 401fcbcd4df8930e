"""The airline case (航空公司客户价值分析): cleaning, LRFMC, k-means and the five customer classes.

The textbook extends RFM for an airline's frequent-flyer programme to
**LRFMC**: membership Length (入会时长, L), Recency (最近乘机距今, R),
Frequency (飞行次数, F), Mileage (飞行里程, M) and the average discount
Coefficient (平均折扣率, C, a proxy for the cabin and fare class). Members
are standardised and clustered with k-means (K均值聚类) into five classes:
重要保持客户 (important to retain), 重要发展客户 (important to develop),
重要挽留客户 (important to win back), 一般客户 (general) and 低价值客户
(low value). The steps, in order:

- :func:`clean_members`: the case's cleaning rules, with rows set aside
  counted by reason;
- :func:`lrfmc`: the five features, time in months;
- :func:`standardise`: z-scores (标准化);
- :func:`choose_k`: within-cluster sum of squares (elbow, 肘部法则) and
  silhouette (轮廓系数) for each k;
- :func:`kmeans`: the clusters and their centres;
- :func:`name_clusters`: a class name for each cluster, by its centre;
- :func:`value_classes`: all of the above in one call;
- :func:`agreement`: how well found classes match known ones (adjusted Rand
  index, share named correctly).

scikit-learn does the clustering; it is imported only when needed.

Examples
--------
>>> from crmlab.datasets import load_data
>>> members = load_data("airline_members")
>>> classes = value_classes(members, verbose=False)
>>> classes["class_zh"].value_counts().index[0]
'一般客户'
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from crmlab.datasets.schema import AIRLINE_CLASSES
from crmlab.validation import (CrmlabInputError, datetime_column, describe_ids, describe_rows, frame_check,
                               report_set_aside, require_columns)

DAYS_PER_MONTH = 365.25 / 12
#: The LRFMC features, unit in the name.
FEATURES = ("L_months", "R_months", "F_flights", "M_km", "C_discount")
#: English and Chinese names of the five classes.
CLASS_NAMES = {
    "important_retain": ("Important to retain", "重要保持客户"),
    "important_develop": ("Important to develop", "重要发展客户"),
    "important_winback": ("Important to win back", "重要挽留客户"),
    "general": ("General", "一般客户"),
    "low_value": ("Low value", "低价值客户"),
}
#: How the textbook describes each class, as the direction of each standardised feature
#: (L, R, F, M, C): +1 high, -1 low, 0 not characteristic. :func:`name_clusters` matches centres to these.
PROFILES = pd.DataFrame(
    [[0, -1, 1, 1, 1],      # 重要保持: flew recently, often and far, at good fares
     [-1, -1, -1, -1, 1],   # 重要发展: new members at good fares, flew recently, not yet often
     [1, 1, 0.5, 0.5, 0],   # 重要挽留: long-standing members who flew a fair amount, but not lately
     [0, 0, -0.5, -0.5, -0.5],  # 一般: average members, somewhat below on flights, distance and fares
     [-1, 1, -1, -1, -1]],  # 低价值: new, not lately, seldom, short, cheap
    index=pd.Index(AIRLINE_CLASSES, name="class"), columns=list(FEATURES))

_DATES = ("join_date", "observation_end", "last_flight_date")
_COLUMNS = ["member_id", "join_date", "observation_end", "last_flight_date", "flight_count", "flown_km",
            "avg_discount", "age", "fare_yr1", "fare_yr2"]


def clean_members(members: pd.DataFrame, *, max_age: int = 100, verbose: bool = True) -> pd.DataFrame:
    """Apply the case's cleaning rules (数据清洗); rows set aside are counted by reason.

    Each rule in turn, a row counted under the first rule it breaks:

    1. **fare missing** (票价缺失): ``fare_yr1`` or ``fare_yr2`` empty — the
       member's value cannot be judged;
    2. **flights without fares** (票价为零): both fares 0 although the member
       flew (award tickets paid with points, or records lost);
    3. **no distance or no discount**: ``flown_km`` or ``avg_discount`` 0;
    4. **impossible age** (年龄异常): ``age`` above ``max_age`` or below 0.

    Parameters
    ----------
    members : DataFrame
        As ``load_data("airline_members")``.
    max_age : int, default 100
        Oldest believable age.
    verbose : bool, default True
        Print one line with the rows set aside (also in ``attrs["set_aside"]``).

    Returns
    -------
    DataFrame
        The rows kept, same columns, original index.

    Examples
    --------
    >>> from crmlab.datasets import load_data
    >>> clean = clean_members(load_data("airline_members"))   # doctest: +ELLIPSIS
    clean_members: set aside ... rows with a fare missing, ... rows with flights without fares, ... rows with an impossible age
    """
    frame = _checked(members, _COLUMNS, table="airline_members")
    if isinstance(max_age, bool) or not isinstance(max_age, (int, np.integer)) or max_age < 1:
        raise CrmlabInputError(f"max_age must be a positive whole number, got {max_age!r}; e.g. max_age=100.")
    fares = frame[["fare_yr1", "fare_yr2"]]
    rules = {
        "rows with a fare missing": fares.isna().any(axis=1),
        "rows with flights without fares": (fares == 0).all(axis=1),
        "rows without distance or discount": (frame["flown_km"] <= 0) | (frame["avg_discount"] <= 0),
        "rows with an impossible age": (frame["age"] > max_age) | (frame["age"] < 0),
    }
    drop = pd.Series(False, index=frame.index)
    counts = {}
    for reason, mask in rules.items():
        mask = mask.fillna(False).astype(bool) & ~drop
        counts[reason] = int(mask.sum())
        drop |= mask
    if drop.all():
        raise CrmlabInputError("clean_members: every row breaks a cleaning rule; nothing is left to analyse. "
                               f"Counts by rule: {counts}.")
    kept = members.loc[~drop.to_numpy()].copy()
    return report_set_aside(kept, counts, what="clean_members", verbose=verbose)


def lrfmc(members: pd.DataFrame) -> pd.DataFrame:
    """The five LRFMC features of each member (LRFMC模型).

    - ``L_months``: membership length, from ``join_date`` to ``observation_end``;
    - ``R_months``: recency, from ``last_flight_date`` to ``observation_end``;
    - ``F_flights``: ``flight_count`` in the observation window;
    - ``M_km``: ``flown_km`` in the window;
    - ``C_discount``: ``avg_discount``, the average discount coefficient.

    Months are days / 30.4375 (the mean month).

    Parameters
    ----------
    members : DataFrame
        Cleaned members (:func:`clean_members`), with the columns above.

    Returns
    -------
    DataFrame
        Indexed by ``member_id``, columns :data:`FEATURES`.

    Examples
    --------
    >>> import pandas as pd
    >>> m = pd.DataFrame({"member_id": ["A1"], "join_date": pd.to_datetime(["2023-03-31"]),
    ...                   "observation_end": pd.to_datetime(["2025-03-31"]),
    ...                   "last_flight_date": pd.to_datetime(["2025-01-30"]),
    ...                   "flight_count": [10], "flown_km": [12000], "avg_discount": [0.8]})
    >>> lrfmc(m).round(2).to_dict("records")
    [{'L_months': 24.02, 'R_months': 1.97, 'F_flights': 10.0, 'M_km': 12000.0, 'C_discount': 0.8}]
    """
    frame = _checked(members, ["member_id", "join_date", "observation_end", "last_flight_date", "flight_count",
                               "flown_km", "avg_discount"], table="airline_members")
    for column, name in (("join_date", "joining"), ("last_flight_date", "the last flight")):
        after = frame[column] > frame["observation_end"]
        if after.any():
            raise CrmlabInputError(f"airline_members: '{column}' is after 'observation_end' in "
                                   f"{describe_rows(frame.index[after])}; the date of {name} must fall before the "
                                   "end of the observation window. Correct or remove those rows.")
    values = frame[["flight_count", "flown_km", "avg_discount"]]
    if values.isna().any(axis=None) or (values < 0).any(axis=None):
        bad = values.isna().any(axis=1) | (values < 0).any(axis=1)
        raise CrmlabInputError(f"airline_members: flight_count, flown_km and avg_discount must be numbers >= 0; not in "
                               f"{describe_rows(frame.index[bad])}. Run clean_members() first.")
    out = pd.DataFrame({
        "L_months": (frame["observation_end"] - frame["join_date"]).dt.days / DAYS_PER_MONTH,
        "R_months": (frame["observation_end"] - frame["last_flight_date"]).dt.days / DAYS_PER_MONTH,
        "F_flights": frame["flight_count"].astype(float),
        "M_km": frame["flown_km"].astype(float),
        "C_discount": frame["avg_discount"].astype(float),
    })
    out.index = pd.Index(frame["member_id"], name="member_id")
    return out


def standardise(features: pd.DataFrame) -> pd.DataFrame:
    """Z-scores (标准化): each column minus its mean, divided by its standard deviation.

    The standard deviation is the population one (``ddof=0``, as
    scikit-learn's ``StandardScaler``), so that the five features weigh the
    same in the k-means distance whatever their units.

    Parameters
    ----------
    features : DataFrame
        Numeric columns, e.g. the result of :func:`lrfmc`.

    Returns
    -------
    DataFrame
        Same index; columns prefixed ``z_``; ``attrs["mean"]`` and
        ``attrs["std"]`` keep the scaling.

    Examples
    --------
    >>> import pandas as pd
    >>> standardise(pd.DataFrame({"F_flights": [2.0, 4.0, 6.0]}))["z_F_flights"].round(4).tolist()
    [-1.2247, 0.0, 1.2247]
    """
    frame = _checked(features, list(map(str, features.columns)), table="features")
    numbers = frame.apply(pd.to_numeric, errors="coerce")
    bad = numbers.isna().any(axis=1)
    if bad.any():
        raise CrmlabInputError(f"features: missing or non-numeric values {describe_ids(frame.index, bad, noun='member')}.")
    mean, std = numbers.mean(), numbers.std(ddof=0)
    flat = std[std == 0]
    if len(flat):
        raise CrmlabInputError(f"features: column(s) {list(flat.index)} have the same value for every row; "
                               "they cannot be standardised. Leave them out.")
    out = ((numbers - mean) / std).add_prefix("z_")
    out.attrs["mean"], out.attrs["std"] = mean.to_dict(), std.to_dict()
    return out


def choose_k(z: pd.DataFrame, *, k_values=range(2, 11), seed: int = 0, n_init: int = 10,
             silhouette_sample: int | None = 5000) -> pd.DataFrame:
    """How many clusters? The elbow (肘部法则) and the silhouette (轮廓系数) for each k.

    Parameters
    ----------
    z : DataFrame
        Standardised features (:func:`standardise`).
    k_values : iterable of int, default 2..10
        Numbers of clusters to try.
    seed : int, default 0
        Seed of k-means and of the silhouette sample.
    n_init : int, default 10
        K-means runs from different starts per k; the best is kept.
    silhouette_sample : int or None, default 5000
        Members drawn at random (with ``seed``, without replacement) to
        compute the silhouette, which costs time quadratic in the number of
        members; None, or a number at least the number of members, uses all.
        **The silhouette is then an estimate from that sample** (the inertia
        always uses every member); the size used is in
        ``attrs["silhouette_sample"]`` — state it with the table.

    Returns
    -------
    DataFrame
        Indexed by ``k``: ``inertia`` (within-cluster sum of squares,
        簇内误差平方和 — look for the elbow where it stops falling fast),
        ``inertia_drop`` (the fall from k - 1) and ``silhouette`` (-1 ... 1,
        higher = clusters better separated; mean over the sample).
        ``attrs["silhouette_sample"]``: members the silhouette was computed
        on; ``attrs["members"]``: members clustered.

    Examples
    --------
    >>> from crmlab.datasets import load_data
    >>> z = standardise(lrfmc(clean_members(load_data("airline_members"), verbose=False)))
    >>> table = choose_k(z, k_values=[4, 5, 6])
    >>> table.columns.tolist(), table.attrs
    (['inertia', 'inertia_drop', 'silhouette'], {'members': 9844, 'silhouette_sample': 5000})
    """
    from sklearn.metrics import silhouette_score
    from threadpoolctl import threadpool_limits

    ks = [int(k) for k in k_values]
    if not ks or any(k < 2 for k in ks):
        raise CrmlabInputError(f"k_values must be whole numbers >= 2, got {list(k_values)!r}; e.g. range(2, 11).")
    sample = None if silhouette_sample is None or silhouette_sample >= len(z) else silhouette_sample
    rows = []
    for k in ks:  # a handful of model fits, not a loop over data rows
        labels, centres = kmeans(z, k=k, seed=seed, n_init=n_init)
        with threadpool_limits(limits=1):
            silhouette = silhouette_score(z.to_numpy(), labels.to_numpy(), sample_size=sample, random_state=seed)
        rows.append((k, centres.attrs["inertia"], float(silhouette)))
    out = pd.DataFrame(rows, columns=["k", "inertia", "silhouette"]).set_index("k").sort_index()
    out.insert(1, "inertia_drop", -out["inertia"].diff())
    out.attrs.update(members=len(z), silhouette_sample=len(z) if sample is None else sample)
    return out


def kmeans(z: pd.DataFrame, *, k: int = 5, seed: int = 0, n_init: int = 10) -> tuple[pd.Series, pd.DataFrame]:
    """K-means clustering (K均值聚类) of standardised features.

    Parameters
    ----------
    z : DataFrame
        Standardised features (:func:`standardise`), one row per member.
    k : int, default 5
        Number of clusters.
    seed : int, default 0
        Seed of the starting centres (k-means++), so the result is reproducible.
    n_init : int, default 10
        Runs from different starts; the one with the smallest inertia is kept.

    Returns
    -------
    labels : Series
        ``cluster`` of each member (same index as ``z``), numbered 0, 1, ...
        from the largest cluster to the smallest.
    centres : DataFrame
        Indexed by ``cluster``: the centre of each cluster (columns of ``z``),
        ``members`` and ``share``; ``attrs["inertia"]`` is the within-cluster
        sum of squares.

    Examples
    --------
    >>> import pandas as pd
    >>> z = pd.DataFrame({"x": [0.0, 0.1, 0.2, 5.0, 5.1]})
    >>> labels, centres = kmeans(z, k=2)
    >>> labels.tolist(), centres["members"].tolist()
    ([0, 0, 0, 1, 1], [3, 2])
    """
    from sklearn.cluster import KMeans
    from threadpoolctl import threadpool_limits

    frame = _checked(z, list(map(str, z.columns)), table="standardised features")
    x = frame.apply(pd.to_numeric, errors="coerce")
    if x.isna().any(axis=None):
        raise CrmlabInputError(f"standardised features: missing or non-numeric values "
                               f"{describe_ids(frame.index, x.isna().any(axis=1), noun='member')}.")
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 1 <= k <= len(x):
        raise CrmlabInputError(f"k must be a whole number from 1 to the number of rows ({len(x)}), got {k!r}.")
    # One thread: as fast for a few thousand members, the same result on any number of cores, and no
    # busy-waiting OpenMP threads when the machine is shared.
    with threadpool_limits(limits=1):
        model = KMeans(n_clusters=int(k), n_init=n_init, random_state=seed).fit(x.to_numpy())
    sizes = np.bincount(model.labels_, minlength=k)
    # Number clusters by size (largest first), ties by their centre, so the numbering is reproducible.
    order = np.lexsort((*model.cluster_centers_.T[::-1], -sizes))
    relabel = np.empty(k, dtype=np.int64)
    relabel[order] = np.arange(k)
    labels = pd.Series(relabel[model.labels_], index=x.index, name="cluster")
    centres = pd.DataFrame(model.cluster_centers_[order], columns=x.columns,
                           index=pd.Index(np.arange(k), name="cluster"))
    centres["members"] = sizes[order]
    centres["share"] = centres["members"] / len(x)
    centres.attrs["inertia"] = float(model.inertia_)
    return labels, centres


def name_clusters(centres: pd.DataFrame, *, profiles: pd.DataFrame = PROFILES) -> pd.DataFrame:
    """Give each cluster the class whose textbook profile its centre matches best (客户类别命名).

    The match is the cosine similarity (余弦相似度) between a centre's
    standardised L, R, F, M, C and each profile of :data:`PROFILES`. With as
    many clusters as profiles, each class is used once (the assignment with
    the largest total similarity); otherwise each cluster takes its most
    similar class. Read the centres too: naming is a judgement, and this is
    a proposal to check.

    Parameters
    ----------
    centres : DataFrame
        From :func:`kmeans` on the standardised LRFMC features (columns
        ``z_L_months`` ... ``z_C_discount``).
    profiles : DataFrame, default PROFILES
        One row per class, columns :data:`FEATURES`.

    Returns
    -------
    DataFrame
        ``centres`` with ``class`` (key of :data:`CLASS_NAMES`), ``class_en``,
        ``class_zh`` and ``similarity``.

    Examples
    --------
    >>> import pandas as pd
    >>> centres = pd.DataFrame([[0.9, -0.8, 2.8, 2.7, 0.5], [-0.8, 1.3, -0.7, -0.7, -1.0],
    ...                         [-0.6, -0.8, -0.1, -0.1, 1.8], [1.7, 0.5, 0.5, 0.6, 0.2],
    ...                         [-0.1, -0.5, -0.3, -0.3, -0.4]],
    ...                        columns=["z_" + f for f in FEATURES])
    >>> name_clusters(centres)["class_zh"].tolist()
    ['重要保持客户', '低价值客户', '重要发展客户', '重要挽留客户', '一般客户']
    """
    from scipy.optimize import linear_sum_assignment

    columns = ["z_" + f for f in FEATURES]
    require_columns(centres.columns, columns, table="centres")
    require_columns(profiles.columns, list(FEATURES), table="profiles")
    unknown = [c for c in profiles.index if c not in CLASS_NAMES]
    if unknown:
        raise CrmlabInputError(f"profiles: unknown class(es) {unknown}; use {list(CLASS_NAMES)}.")
    c = centres[columns].to_numpy(float)
    p = profiles[list(FEATURES)].to_numpy(float)
    similarity = (c / np.linalg.norm(c, axis=1, keepdims=True)) @ (p / np.linalg.norm(p, axis=1, keepdims=True)).T
    if len(c) == len(p):
        _, pick = linear_sum_assignment(-similarity)
    else:
        pick = similarity.argmax(axis=1)
    out = centres.copy()
    keys = profiles.index.to_numpy()[pick]
    out["class"] = pd.Categorical(keys, categories=list(CLASS_NAMES))
    out["class_en"] = [CLASS_NAMES[key][0] for key in keys]
    out["class_zh"] = [CLASS_NAMES[key][1] for key in keys]
    out["similarity"] = similarity[np.arange(len(c)), pick]
    return out


def value_classes(members: pd.DataFrame, *, k: int = 5, seed: int = 0, max_age: int = 100,
                  verbose: bool = True) -> pd.DataFrame:
    """The whole case in one call: clean, LRFMC, standardise, k-means, name the classes.

    Parameters
    ----------
    members : DataFrame
        As ``load_data("airline_members")``.
    k, seed
        As in :func:`kmeans`.
    max_age, verbose
        As in :func:`clean_members`.

    Returns
    -------
    DataFrame
        One row per member kept, indexed by ``member_id``: the LRFMC
        features, ``cluster``, ``class``, ``class_en``, ``class_zh``;
        ``attrs["set_aside"]`` from the cleaning.

    Examples
    --------
    >>> from crmlab.datasets import load_data
    >>> out = value_classes(load_data("airline_members"), verbose=False)
    >>> out.columns.tolist()[-4:]
    ['cluster', 'class', 'class_en', 'class_zh']
    """
    clean = clean_members(members, max_age=max_age, verbose=verbose)
    features = lrfmc(clean)
    labels, centres = kmeans(standardise(features), k=k, seed=seed)
    named = name_clusters(centres)
    out = features.assign(cluster=labels)
    for column in ("class", "class_en", "class_zh"):
        out[column] = named[column].to_numpy()[labels.to_numpy()]
    out["class"] = pd.Categorical(out["class"], categories=list(CLASS_NAMES))
    out.attrs["set_aside"] = clean.attrs.get("set_aside", {})
    return out


def agreement(known, found) -> pd.Series:
    """How well found classes agree with known ones (e.g. the planted classes of the generator).

    Parameters
    ----------
    known, found : Series
        Class of each member, aligned on the index (members in only one of
        them are left out and counted in ``not_matched``).

    Returns
    -------
    Series
        ``members`` compared, ``not_matched``, ``adjusted_rand`` (调整兰德指数:
        1 = the same partition, about 0 = no better than chance; it ignores
        the names) and ``same_name`` (share of members whose found class has
        the known name; meaningful when both use the same names).

    Examples
    --------
    >>> import pandas as pd
    >>> known = pd.Series(["a", "a", "b", "b"])
    >>> float(agreement(known, pd.Series(["x", "x", "y", "y"]))["adjusted_rand"])
    1.0
    """
    from sklearn.metrics import adjusted_rand_score

    for name, s in (("known", known), ("found", found)):
        if not isinstance(s, pd.Series):
            raise CrmlabInputError(f"agreement: {name} must be a pandas Series of classes, got {type(s).__name__}.")
    both = known.index.intersection(found.index)
    if len(both) == 0:
        raise CrmlabInputError("agreement: known and found share no member (index); align them on member_id.")
    k = known.loc[both].astype(str)
    f = found.loc[both].astype(str)
    return pd.Series({
        "members": len(both),
        "not_matched": len(known.index.union(found.index)) - len(both),
        "adjusted_rand": round(float(adjusted_rand_score(k, f)), 6),
        "same_name": round(float((k.to_numpy() == f.to_numpy()).mean()), 6),
    })


def _checked(frame, columns, *, table):
    """``frame`` with ``columns`` present and typed: dates parsed (text too), numbers numeric, ids unique."""
    frame_check(frame, table)
    require_columns(frame.columns, columns, table=table)
    dates = {c: datetime_column(frame[c], column=c, table=table) for c in columns if c in _DATES}
    for column in columns:
        values = frame[column]
        if column not in _DATES and column != "member_id" and (
                not pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values)):
            raise CrmlabInputError(f"{table}: column '{column}' must hold numbers, it has type {values.dtype}; "
                                   "convert it with pd.to_numeric(...) or load the table with load_data().")
    if "member_id" in columns and frame["member_id"].duplicated().any():
        dup = frame["member_id"].duplicated(keep=False)
        raise CrmlabInputError(f"{table}: member_id is not unique in {describe_rows(frame.index[dup])}; "
                               "remove the duplicated members first (df.drop_duplicates('member_id')).")
    return frame.assign(**dates) if dates else frame
