"""Identify customers (识别客户): one customer view (统一客户视图) from the record silos.

The same person is recorded by the store loyalty system, the web shop and the
call centre, each time a little differently. This module turns the three silos
(信息孤岛) into golden records (黄金记录), one per person, in the steps of the
identification process (客户识别过程) that a student can run one at a time:

1. :func:`stack_records` — put the silos into one table with the common
   fields of :data:`SILOS` (定义信息: the fields that identify a person);
2. :func:`standardise_records` — clean each field into a standard form
   (清洗: simplified characters, 11-digit mobiles, lower-case e-mails, checked
   ID numbers); the ``normalise_*`` functions of :mod:`crmlab.fields` do one
   field each;
3. :func:`candidate_pairs` — *blocking* (分块): only records that share a
   phone, an e-mail, an ID number, or a name (or its sound) in the same city
   are compared, never all pairs;
4. :func:`score_pairs` — explainable match scores (匹配得分): each field adds
   or removes points by the Fellegi–Sunter rules of :func:`default_rules`;
5. :func:`cluster_records` — records linked by a score at or above the
   threshold form one customer (聚类);
6. :func:`golden_records` — one row per customer with the best value of each
   field (合并, survivorship rules).

:func:`resolve_customers` runs all six and returns a :class:`CustomerView`;
:func:`audit_trail` shows which records formed a customer and why;
:func:`evaluate_matches`, :func:`mismatches` and :func:`threshold_curve`
check the result against a known identity map (the generator's
``identity_map``).

The scores
----------
A score is a sum of *points* (证据分): for each field the two records agree or
disagree on, ``log2(m / u)`` where ``m`` is how often the two records of one
person show that (e.g. the same phone: 0.90, since people change numbers) and
``u`` how often two different people do. A rare name shared by two records is
strong evidence, a common one weak: for names and cities ``u`` is the share of
records carrying the value. The score starts at ``-log2(number of records)``,
about the odds that two records picked at random belong to the same person
(each record has about one partner among all the others), so a score above 0
means "more likely the same person than not" (Fellegi & Sunter, 1969, *A
theory for record linkage*).

Examples
--------
>>> from crmlab.datasets import load_data
>>> silos = {name: load_data(name) for name in SILOS}
>>> view = resolve_customers(silos, verbose=False)
>>> len(view.records), len(view.golden) < len(view.records)
(15883, True)
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from crmlab.fields import (id_number_valid, login_sound, name_pinyin, normalise_city, normalise_email,
                           normalise_id_number, normalise_name, normalise_phone)
from crmlab.validation import (CrmlabInputError, datetime_column, describe_rows, report_set_aside, require_columns,
                               require_nonempty)

__all__ = [
    "SILOS", "BLOCKING_KEYS", "CustomerView",
    "stack_records", "standardise_records", "candidate_pairs", "default_rules", "score_pairs",
    "explain_pairs", "cluster_records", "golden_records", "resolve_customers", "audit_trail",
    "evaluate_matches", "same_person", "mismatches", "threshold_curve",
]

#: Where each silo keeps the fields that identify a person: ``{silo: {field: column}}``.
#: Fields: ``record_id`` (the silo's key), ``recorded_at`` (when the record was made),
#: ``name``, ``login`` (a login name, often the pinyin of the name), ``phone``,
#: ``email``, ``id_number`` (resident ID, 身份证号), ``city``. A silo without a
#: field simply leaves it out.
SILOS = {
    "store_members": {"record_id": "member_id", "recorded_at": "joined_date", "name": "name", "phone": "phone",
                      "email": "email", "id_number": "id_number", "city": "city"},
    "web_accounts": {"record_id": "account_id", "recorded_at": "created_ts", "name": "real_name", "login": "username",
                     "phone": "phone", "email": "email", "city": "city"},
    "callcentre_contacts": {"record_id": "contact_id", "recorded_at": "first_call_date", "name": "caller_name",
                            "phone": "phone", "id_number": "id_number", "city": "city"},
}
FIELDS = ("name", "login", "phone", "email", "id_number", "city")

#: Blocking keys (分块键), strongest first: records are compared only if they
#: agree on all columns of at least one key.
BLOCKING_KEYS = {
    "phone": ("phone_std",),
    "id_number": ("id_body",),
    "email": ("email_std",),
    "name sound+city": ("name_pinyin", "city_std"),  # also every pair with the same name and city
}

_LEVELS = ("same", "same sound", "login matches", "different", "mistyped", "missing")
_L = {level: np.int8(k) for k, level in enumerate(_LEVELS)}
_FIELDS_SCORED = ("id_number", "phone", "email", "name", "city")


# ---------------------------------------------------------------- the steps

def stack_records(silos, *, columns=None) -> pd.DataFrame:
    """Put the silos into one table with common columns (整合), one row per source record.

    Parameters
    ----------
    silos : dict of {str: DataFrame}
        The silo tables by name, e.g. ``{"store_members": load_data("store_members"), ...}``.
    columns : dict, optional
        Where each silo keeps its fields, as :data:`SILOS` (the default) does
        for the sample company; give it for silos of your own.

    Returns
    -------
    DataFrame
        Columns ``source``, ``record_id``, ``recorded_at`` (datetime) and the
        fields ``name``, ``login``, ``phone``, ``email``, ``id_number``,
        ``city`` as written in the silo (``<NA>`` where a silo lacks the field).

    Raises
    ------
    CrmlabInputError
        An unknown silo, a missing or misspelt column, an empty silo, a
        duplicated record id or dates that cannot be read.

    Examples
    --------
    >>> from crmlab.datasets import load_data
    >>> records = stack_records({"callcentre_contacts": load_data("callcentre_contacts")})
    >>> records.columns.tolist()
    ['source', 'record_id', 'recorded_at', 'name', 'login', 'phone', 'email', 'id_number', 'city']
    """
    spec = SILOS if columns is None else columns
    if not isinstance(silos, dict) or not silos:
        raise CrmlabInputError("silos must be a dict of DataFrames by silo name, e.g. "
                               "{'store_members': load_data('store_members'), ...}.")
    parts = []
    for source, frame in silos.items():
        if source not in spec:
            import difflib

            close = difflib.get_close_matches(str(source), list(spec), n=1)
            hint = f" Did you mean '{close[0]}'?" if close else ""
            raise CrmlabInputError(f"unknown silo {source!r}.{hint} Known silos: {', '.join(spec)}; for a silo of "
                                   "your own pass columns={'my_silo': {'record_id': ..., 'name': ..., ...}}.")
        cols = spec[source]
        require_columns(frame.columns, list(cols.values()), table=source)
        require_nonempty(frame, table=source)
        ids = frame[cols["record_id"]].astype("string")
        if ids.isna().any() or ids.duplicated().any():
            bad = ids.isna() | ids.duplicated(keep=False)
            raise CrmlabInputError(f"{source}: column '{cols['record_id']}' must identify each record once; it is empty "
                                   f"or repeated in {describe_rows(frame.index[bad.to_numpy()])}. Remove the repeated "
                                   f"rows (e.g. {source}.drop_duplicates('{cols['record_id']}')).")
        when = datetime_column(frame[cols["recorded_at"]], column=cols["recorded_at"], table=source, allow_missing=True)
        part = pd.DataFrame({"source": source, "record_id": ids.to_numpy(),
                             "recorded_at": pd.to_datetime(when).to_numpy().astype("datetime64[s]")})
        for field in FIELDS:
            part[field] = (frame[cols[field]].astype("string").to_numpy() if field in cols
                           else pd.array([pd.NA] * len(frame), dtype="string"))
        parts.append(part)
    records = pd.concat(parts, ignore_index=True)
    records["source"] = pd.Categorical(records["source"], categories=list(silos))
    for field in FIELDS:
        records[field] = records[field].astype("string")
    return records


def standardise_records(records: pd.DataFrame) -> pd.DataFrame:
    """Add the standard form of each field (标准化), the columns that matching uses.

    Parameters
    ----------
    records : DataFrame
        As :func:`stack_records` returns.

    Returns
    -------
    DataFrame
        ``records`` with ``name_std`` (simplified characters), ``name_pinyin``
        (the sound of the name, or the letters of the login name when the
        record has no name), ``phone_std`` (11 digits), ``email_std`` (lower
        case), ``id_std`` (18 characters), ``id_valid`` (check character and
        birth date right), ``id_body`` (the 17 digits before the check
        character, which survive a mistyped check) and ``city_std``. A value
        that cannot be read (a phone that is no mobile number, a malformed
        ID) becomes ``<NA>``: :func:`resolve_customers` counts them.

    Examples
    --------
    >>> from crmlab.datasets import load_data
    >>> std = standardise_records(stack_records({"store_members": load_data("store_members")}))
    >>> std.loc[3, ["phone", "phone_std", "email", "email_std"]].tolist()
    ['+86 199 0298 2526', '19902982526', 'XULEI7467037@EXAMPLE.COM', 'xulei7467037@example.com']
    """
    require_columns(records.columns, ["source", "record_id", "recorded_at", *FIELDS], table="records")
    out = records.copy()
    out["name_std"] = normalise_name(records["name"])
    out["name_pinyin"] = name_pinyin(records["name"]).fillna(login_sound(records["login"]))
    out["phone_std"] = normalise_phone(records["phone"])
    out["email_std"] = normalise_email(records["email"])
    out["id_std"] = normalise_id_number(records["id_number"])
    out["id_valid"] = id_number_valid(records["id_number"]).to_numpy()
    out["id_body"] = out["id_std"].str[:17]
    out["city_std"] = normalise_city(records["city"])
    return out


def _key_codes(records: pd.DataFrame, columns) -> np.ndarray:
    """Integer code per record of the combined key; -1 where any part is missing."""
    codes = np.zeros(len(records), dtype=np.int64)
    for col in columns:
        c, uniques = pd.factorize(records[col])
        codes = np.where((codes < 0) | (c < 0), -1, codes * (len(uniques) + 1) + c)
        codes = np.where(codes < 0, -1, pd.factorize(codes)[0])  # keep codes small
    return codes


def _pairs_within_blocks(codes: np.ndarray, max_block_size: int):
    """All pairs (i < j) of records sharing a code, and the blocks that were too large."""
    has = np.flatnonzero(codes >= 0)
    order = has[np.argsort(codes[has], kind="stable")]
    sorted_codes = codes[order]
    starts = np.flatnonzero(np.r_[True, sorted_codes[1:] != sorted_codes[:-1]]) if len(order) else np.array([], int)
    sizes = np.diff(np.r_[starts, len(order)])
    too_big = sizes > max_block_size
    keep = (sizes > 1) & ~too_big
    # element k of a block of size s pairs with the s - k - 1 elements after it
    block_of = np.repeat(np.arange(len(starts)), sizes)
    pos = np.arange(len(order))
    offset = pos - starts[block_of]
    count = np.where(keep[block_of], sizes[block_of] - offset - 1, 0)
    left_pos = np.repeat(pos, count)
    first = np.cumsum(count) - count
    right_pos = np.repeat(pos + 1, count) + (np.arange(count.sum()) - np.repeat(first, count))
    a, b = order[left_pos], order[right_pos]
    return np.minimum(a, b), np.maximum(a, b), int(too_big.sum()), int((sizes[too_big] * (sizes[too_big] - 1) // 2).sum())


def candidate_pairs(records: pd.DataFrame, *, keys=None, max_block_size: int = 50,
                    verbose: bool = True) -> pd.DataFrame:
    """The pairs of records worth comparing, found by blocking (分块), never all pairs.

    Two records become a candidate pair if they agree on every column of at
    least one blocking key (:data:`BLOCKING_KEYS`): the same phone, ID number
    (first 17 digits) or e-mail, or the same name sound (pinyin) in the same
    city, which covers the same name in the same city too.

    Parameters
    ----------
    records : DataFrame
        As :func:`standardise_records` returns.
    keys : dict of {str: tuple of str}, optional
        Blocking keys by name; default :data:`BLOCKING_KEYS`.
    max_block_size : int, default 50
        A block with more records than this (say, every 王伟 in 北京 of a
        large company) is not compared: a name that common says too little
        to link two records on its own, and records that share more (a phone,
        an e-mail) meet in another block. Such blocks are counted and reported.
    verbose : bool, default True
        Print what was set aside (also in ``result.attrs["set_aside"]``).

    Returns
    -------
    DataFrame
        Columns ``left``, ``right`` (row positions in ``records``, left < right)
        and ``blocked_on`` (the first key that paired them).

    Examples
    --------
    >>> import pandas as pd
    >>> recs = standardise_records(pd.DataFrame({
    ...     "source": "demo", "record_id": ["a", "b", "c"], "recorded_at": pd.Timestamp("2024-01-01"),
    ...     "name": ["张伟", "張偉", "李娜"], "login": pd.NA, "phone": ["199 0000 0001", "+8619900000001", pd.NA],
    ...     "email": pd.NA, "id_number": pd.NA, "city": ["北京", "北京", "北京"]}))
    >>> candidate_pairs(recs)[["left", "right", "blocked_on"]].values.tolist()
    [[0, 1, 'phone']]
    """
    keys = BLOCKING_KEYS if keys is None else keys
    require_columns(records.columns, sorted({c for cols in keys.values() for c in cols}), table="records")
    n = len(records)
    found, skipped = [], {}
    for k, (name, cols) in enumerate(keys.items()):
        a, b, n_big, pairs_big = _pairs_within_blocks(_key_codes(records, cols), max_block_size)
        found.append(pd.DataFrame({"code": a.astype(np.int64) * n + b, "key": k}))
        if n_big:
            not_compared = f"{pairs_big:,}".replace(",", " ")
            skipped[f"{name} blocks over {max_block_size} records ({not_compared} pairs not compared)"] = n_big
    allp = pd.concat(found, ignore_index=True).drop_duplicates("code", keep="first").sort_values("code")
    pairs = pd.DataFrame({
        "left": (allp["code"].to_numpy() // n).astype(np.int64) if n else np.array([], np.int64),
        "right": (allp["code"].to_numpy() % n).astype(np.int64) if n else np.array([], np.int64),
        "blocked_on": pd.Categorical.from_codes(allp["key"].to_numpy(), categories=list(keys)),
    })
    return report_set_aside(pairs, skipped, what="candidate_pairs", verbose=verbose)


def default_rules() -> pd.DataFrame:
    """The matching rules (匹配规则): for each field and outcome, ``m``, ``u`` and the points they give.

    ``m`` = how often the two records of *one* person show this outcome;
    ``u`` = how often the records of two *different* people do (``NaN``: the
    share of records that carry the value, so a rare name counts more than a
    common one). Points = ``log2(m / u)``. Change ``m`` or ``u`` in a copy and
    pass it as ``rules=`` to :func:`score_pairs` or :func:`resolve_customers`.

    Returns
    -------
    DataFrame
        Index (``field``, ``level``); columns ``m``, ``u``, ``points`` (``NaN``
        where they depend on the value), ``zh`` and ``why`` (the reasoning).

    Examples
    --------
    >>> rules = default_rules()
    >>> round(float(rules.loc[("phone", "same"), "points"]), 1)
    26.4
    """
    rows = [
        ("id_number", "same", 0.97, 1e-8, "身份证号相同", "ID numbers are unique; two people share one only by a typing error"),
        ("id_number", "different", 0.003, 1.0, "身份证号不同", "two correct (check-digit valid) numbers differ: almost surely two people"),
        ("phone", "same", 0.90, 1e-8, "手机号相同", "a mobile number belongs to one person; 10% of pairs of one person differ (new number)"),
        ("phone", "different", 0.10, 1.0, "手机号不同", "people change numbers, so a different number is weak evidence"),
        ("email", "same", 0.95, 1e-6, "邮箱相同", "an address is personal, though a family may share one"),
        ("email", "different", 0.05, 1.0, "邮箱不同", "people seldom use two addresses with one company"),
        ("name", "same", 0.85, np.nan, "姓名相同", "the rarer the name, the stronger the evidence"),
        ("name", "same sound", 0.10, np.nan, "姓名同音", "a homophone typo (同音字): weaker than the same characters"),
        ("name", "login matches", 0.70, np.nan, "登录名拼音相同", "a record without a name whose login name spells the other's name in pinyin"),
        ("name", "different", 0.05, 1.0, "姓名不同", "two names that do not even sound alike"),
        ("city", "same", 0.85, np.nan, "城市相同", "a small city is stronger evidence than a big one"),
        ("city", "different", 0.10, 1.0, "城市不同", "people move, so an old city is weak evidence"),
    ]
    rules = pd.DataFrame(rows, columns=["field", "level", "m", "u", "zh", "why"]).set_index(["field", "level"])
    rules.insert(2, "points", np.log2(rules["m"] / rules["u"]))
    return rules


def _check_rules(rules: pd.DataFrame) -> pd.DataFrame:
    need = default_rules()
    require_columns(rules.columns, ["m", "u"], table="rules")
    missing = need.index.difference(rules.index)
    if len(missing):
        raise CrmlabInputError(f"rules lack the rows {list(missing)}; start from default_rules() and change m or u there.")
    m, u = rules["m"].astype(float), rules["u"].astype(float)
    bad = ~((m > 0) & (m <= 1)) | ((u <= 0) | (u > 1))
    if bad.any():
        raise CrmlabInputError(f"rules: m must be in (0, 1] and u in (0, 1] (or NaN for 'share of records'); "
                               f"not so in rows {list(rules.index[bad])}.")
    return rules


def _compare(records, left, right, column):
    codes = pd.factorize(records[column])[0]
    ca, cb = codes[left], codes[right]
    both = (ca >= 0) & (cb >= 0)
    return both, both & (ca == cb), codes


def _share(codes, rows):
    """Share of records that carry the value of each row (term frequency)."""
    counts = np.bincount(codes[codes >= 0], minlength=codes.max() + 1 if len(codes) else 0)
    return counts[codes[rows]] / len(codes)


def score_pairs(records: pd.DataFrame, pairs: pd.DataFrame, *, rules=None) -> pd.DataFrame:
    """Score each candidate pair: the outcome and points of each field, and the total (匹配得分).

    Parameters
    ----------
    records : DataFrame
        As :func:`standardise_records` returns.
    pairs : DataFrame
        Columns ``left``, ``right`` (row positions), as :func:`candidate_pairs` returns.
    rules : DataFrame, optional
        As :func:`default_rules` returns (the default).

    Returns
    -------
    DataFrame
        ``pairs`` with, for each field (``id_number``, ``phone``, ``email``,
        ``name``, ``city``), the outcome (``same``, ``same sound`` for names,
        ``different``, ``mistyped`` for an ID whose check fails, ``missing``)
        and its points (``<field>_points``); ``start`` (``-log2`` of the
        number of records) and ``score``, their sum. A pair with score >= 0
        is more likely one person than two.

    Examples
    --------
    >>> import pandas as pd
    >>> recs = standardise_records(pd.DataFrame({
    ...     "source": "demo", "record_id": ["a", "b"], "recorded_at": pd.Timestamp("2024-01-01"),
    ...     "name": ["张伟", "張偉"], "login": pd.NA, "phone": ["199 0000 0001", "+8619900000001"],
    ...     "email": pd.NA, "id_number": pd.NA, "city": ["北京", "上海"]}))
    >>> s = score_pairs(recs, candidate_pairs(recs))
    >>> s[["phone", "name", "city"]].values.tolist()
    [['same', 'same', 'different']]
    """
    rules = _check_rules(default_rules() if rules is None else rules)
    require_columns(pairs.columns, ["left", "right"], table="pairs")
    require_columns(records.columns, ["id_body", "id_valid", "phone_std", "email_std", "name_std", "name_pinyin",
                                      "city_std"], table="records")
    left, right = pairs["left"].to_numpy(), pairs["right"].to_numpy()

    def outcome(field, cases):
        """Level and points per pair: the first case whose condition holds, else 'missing' (0 points)."""
        conditions = [condition for condition, _, _ in cases]
        points = []
        for _, level, codes in cases:
            if (field, level) not in rules.index:   # e.g. a mistyped ID number: no evidence either way
                points.append(0.0)
                continue
            u = rules.loc[(field, level), "u"]     # NaN: the share of records carrying the value
            u = _share(codes, left) if np.isnan(u) else u
            with np.errstate(divide="ignore"):
                points.append(np.log2(rules.loc[(field, level), "m"] / u))
        return (np.select(conditions, [_L[level] for _, level, _ in cases], _L["missing"]),
                np.select(conditions, points, 0.0))

    levels = {}
    both, same, _ = _compare(records, left, right, "id_body")
    valid = records["id_valid"].to_numpy(dtype=bool)
    checked = valid[left] & valid[right]
    levels["id_number"] = outcome("id_number", [(same, "same", None), (both & checked, "different", None),
                                                (both, "mistyped", None)])
    for field in ("phone", "email"):
        both, same, _ = _compare(records, left, right, f"{field}_std")
        levels[field] = outcome(field, [(same, "same", None), (both, "different", None)])
    both_name, same_name, name_codes = _compare(records, left, right, "name_std")
    _, same_py, py_codes = _compare(records, left, right, "name_pinyin")
    # Without a written name on one side the pinyin comes from the login name: if it spells the
    # other's name that is evidence, if not it is none (many logins are no names at all).
    levels["name"] = outcome("name", [(same_name, "same", name_codes), (same_py & ~both_name, "login matches", py_codes),
                                      (same_py, "same sound", py_codes), (both_name, "different", None)])
    both, same, city_codes = _compare(records, left, right, "city_std")
    levels["city"] = outcome("city", [(same, "same", city_codes), (both, "different", None)])

    out = pairs.copy()
    out["start"] = -np.log2(max(len(records), 2))
    for field, (level, pts) in levels.items():
        out[field] = pd.Categorical.from_codes(level, categories=list(_LEVELS))
        out[f"{field}_points"] = np.round(pts, 2)
    out["score"] = out["start"] + sum(out[f"{f}_points"] for f in levels)
    return out


def explain_pairs(scored: pd.DataFrame) -> pd.Series:
    """Why each pair got its score, in words, e.g. ``start -14.0; phone same +26.4; city different -3.3 = 9.10``.

    Parameters
    ----------
    scored : DataFrame
        As :func:`score_pairs` returns (or rows of it).

    Returns
    -------
    Series of str, on the index of ``scored``.

    Examples
    --------
    >>> import pandas as pd
    >>> explain_pairs(pd.DataFrame({"start": [-14.0], "id_number": ["missing"], "phone": ["same"], "email": ["missing"],
    ...     "name": ["same"], "city": ["different"], "id_number_points": [0.0], "phone_points": [26.42],
    ...     "email_points": [0.0], "name_points": [9.5], "city_points": [-3.32], "score": [18.6]})).iloc[0]
    'start -14.0; phone same +26.4; name same +9.5; city different -3.3 = 18.60'
    """
    text = "start " + scored["start"].map("{:+.1f}".format)
    for field in _FIELDS_SCORED:
        shown = scored[field].astype(str) != "missing"
        part = ("; " + field + " " + scored[field].astype(str) + " " + scored[f"{field}_points"].map("{:+.1f}".format))
        text = text + part.where(shown, "")
    return text + " = " + scored["score"].map("{:.2f}".format)


def cluster_records(n_records: int, scored: pd.DataFrame, *, threshold: float = 0.0) -> np.ndarray:
    """Group records into customers (聚类): records linked by a pair scored >= ``threshold``, directly or in a chain.

    Parameters
    ----------
    n_records : int
        Number of records.
    scored : DataFrame
        Columns ``left``, ``right``, ``score`` (:func:`score_pairs`).
    threshold : float, default 0.0
        Lower it to merge more (higher recall, lower precision), raise it to
        merge less.

    Returns
    -------
    ndarray of int
        A customer number per record, 0, 1, 2, ... in the order of each customer's first record.

    Examples
    --------
    >>> import pandas as pd
    >>> cluster_records(4, pd.DataFrame({"left": [0, 1], "right": [1, 2], "score": [5.0, -3.0]})).tolist()
    [0, 0, 1, 2]
    """
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    keep = scored["score"].to_numpy() >= threshold
    a, b = scored["left"].to_numpy()[keep], scored["right"].to_numpy()[keep]
    graph = coo_matrix((np.ones(len(a), dtype=np.int8), (a, b)), shape=(n_records, n_records))
    _, labels = connected_components(graph, directed=False)
    return pd.factorize(labels)[0]


def _survivor(person: np.ndarray, values: pd.Series, when: np.ndarray, first=None) -> np.ndarray:
    """Per customer (integer codes 0..k-1), the value most records agree on; ties go to the newest record (更新).

    ``first``: a boolean per record that wins before the vote (a valid ID number).
    Customers without any value get ``None``.
    """
    codes, uniques = pd.factorize(values)
    has = codes >= 0
    p, c, w = person[has], codes[has], when[has]
    pair = pd.factorize(p.astype(np.int64) * (len(uniques) + 1) + c)[0]
    votes = np.bincount(pair)[pair]
    keys = [w, votes] + ([first[has]] if first is not None else []) + [p]
    order = np.lexsort(keys)  # last key sorts first: by customer, then preference, votes, recency
    last = np.r_[p[order][1:] != p[order][:-1], True]  # the best row of each customer comes last
    out = np.full(int(person.max()) + 1 if len(person) else 0, None, dtype=object)
    out[p[order][last]] = np.asarray(uniques, dtype=object)[c[order][last]]
    return out


def golden_records(records: pd.DataFrame) -> pd.DataFrame:
    """One golden record (黄金记录) per customer, with the best value of each field.

    Survivorship rules (取值规则): for the name, phone, e-mail and ID number the
    value most of the customer's records agree on (a valid ID number before an
    invalid one), ties to the newest record; for the city the newest record's
    (people move, and the newest record is the most up to date).

    Parameters
    ----------
    records : DataFrame
        Standardised records with a ``person_id`` column (:func:`resolve_customers` adds it).

    Returns
    -------
    DataFrame
        Columns ``person_id``, ``name``, ``phone``, ``email``, ``id_number``,
        ``city``, ``n_records``, ``sources`` (the silos it appears in, joined
        by ``+``), ``first_seen``, ``last_seen`` and ``id_conflict`` (True if
        its records carry two different valid ID numbers: a merge to check by hand).

    Examples
    --------
    >>> from crmlab.datasets import load_data
    >>> view = resolve_customers({"store_members": load_data("store_members")}, verbose=False)
    >>> int(view.golden["n_records"].sum()) == len(view.records)
    True
    """
    require_columns(records.columns, ["person_id", "source", "recorded_at", "name_std", "phone_std", "email_std",
                                      "id_std", "id_valid", "city_std"], table="records")
    person, ids = pd.factorize(records["person_id"], sort=True)
    when = records["recorded_at"].to_numpy().astype("datetime64[s]").astype(np.int64)
    golden = pd.DataFrame({"person_id": pd.array(ids, dtype="string")})
    golden["name"] = _survivor(person, records["name_std"], when)
    golden["phone"] = _survivor(person, records["phone_std"], when)
    golden["email"] = _survivor(person, records["email_std"], when)
    golden["id_number"] = _survivor(person, records["id_std"], when, first=records["id_valid"].to_numpy(dtype=bool))
    golden["city"] = _survivor(person, records["city_std"], np.zeros_like(when), first=when)  # newest wins
    golden["n_records"] = np.bincount(person, minlength=len(ids))
    # the silos a customer appears in, as a bit mask -> "store_members+web_accounts"
    source, names = pd.factorize(records["source"].astype(str), sort=True)
    mask = np.zeros(len(ids), dtype=np.int64)
    np.bitwise_or.at(mask, person, 1 << source.astype(np.int64))
    labels = {m: "+".join(n for k, n in enumerate(names) if m >> k & 1) for m in np.unique(mask)}
    golden["sources"] = pd.Series(mask).map(labels)
    seen = pd.Series(records["recorded_at"].to_numpy()).groupby(person)
    golden["first_seen"] = seen.min().to_numpy()
    golden["last_seen"] = seen.max().to_numpy()
    valid = records["id_valid"].to_numpy(dtype=bool)
    n_ids = pd.Series(records["id_std"].to_numpy()[valid]).groupby(person[valid]).nunique()
    golden["id_conflict"] = (n_ids > 1).reindex(range(len(ids)), fill_value=False).to_numpy()
    for col in ("name", "phone", "email", "id_number", "city", "sources"):
        golden[col] = golden[col].astype("string")
    return golden


@dataclass
class CustomerView:
    """The single customer view (统一客户视图) that :func:`resolve_customers` returns.

    Attributes
    ----------
    records : DataFrame
        Every source record (:func:`standardise_records` columns) with the
        ``person_id`` of the customer it was assigned to.
    pairs : DataFrame
        Every candidate pair compared, scored (:func:`score_pairs`), with
        ``merged`` (score >= threshold).
    golden : DataFrame
        One golden record per customer (:func:`golden_records`).
    threshold : float
        The score at or above which two records were linked.

    Examples
    --------
    The first 300 records of each silo:

    >>> from crmlab.datasets import load_data
    >>> view = resolve_customers({name: load_data(name).head(300) for name in SILOS}, verbose=False)
    >>> view
    CustomerView(900 records -> 653 customers, 298 pairs compared, threshold 0)
    >>> int(view.pairs["merged"].sum()), view.records["person_id"].nunique() == len(view.golden)
    (286, True)
    """

    records: pd.DataFrame
    pairs: pd.DataFrame
    golden: pd.DataFrame
    threshold: float

    def __repr__(self):
        return (f"CustomerView({len(self.records)} records -> {len(self.golden)} customers, "
                f"{len(self.pairs)} pairs compared, threshold {self.threshold:g})")


def _person_ids(labels: np.ndarray) -> np.ndarray:
    width = max(7, len(str(int(labels.max()) + 1))) if len(labels) else 7
    return np.char.add("G", np.char.zfill((labels + 1).astype(str), width))


def resolve_customers(silos, *, threshold: float = 0.0, rules=None, columns=None, max_block_size: int = 50,
                      verbose: bool = True) -> CustomerView:
    """Merge the silos into one record per customer (客户识别与合并), with an audit trail.

    Runs :func:`stack_records`, :func:`standardise_records`,
    :func:`candidate_pairs`, :func:`score_pairs`, :func:`cluster_records` and
    :func:`golden_records` in turn.

    Parameters
    ----------
    silos : dict of {str: DataFrame}
        The silo tables by name (see :data:`SILOS`).
    threshold : float, default 0.0
        Link two records when their score is at least this.
    rules : DataFrame, optional
        Matching rules, default :func:`default_rules`.
    columns : dict, optional
        Field-to-column map for silos of your own (default :data:`SILOS`).
    max_block_size : int, default 50
        See :func:`candidate_pairs`.
    verbose : bool, default True
        Print one line of what was set aside: records with nothing to match on
        (no name, login, phone, e-mail or ID; each stays a customer of its
        own), values that could not be read, and blocks too large to compare
        (also in ``view.golden.attrs["set_aside"]``).

    Returns
    -------
    CustomerView

    Examples
    --------
    >>> from crmlab.datasets import load_data
    >>> view = resolve_customers({name: load_data(name) for name in SILOS}, verbose=False)
    >>> view.golden.columns.tolist()[:6]
    ['person_id', 'name', 'phone', 'email', 'id_number', 'city']
    """
    records = standardise_records(stack_records(silos, columns=columns))
    pairs = candidate_pairs(records, max_block_size=max_block_size, verbose=False)
    scored = score_pairs(records, pairs, rules=rules)
    scored["merged"] = scored["score"] >= threshold
    records["person_id"] = _person_ids(cluster_records(len(records), scored, threshold=threshold))
    golden = golden_records(records)
    nothing = records[["name_pinyin", "phone_std", "email_std", "id_body"]].isna().all(axis=1)
    set_aside = {
        "records with nothing to match on (kept as customers of their own)": nothing.sum(),
        "phone values that are not mobile numbers (ignored)": (records["phone"].notna() & records["phone_std"].isna()).sum(),
        "e-mail values that are not addresses (ignored)": (records["email"].notna() & records["email_std"].isna()).sum(),
        "malformed ID numbers (ignored)": (records["id_number"].notna() & records["id_std"].isna()).sum(),
    }
    set_aside.update(pairs.attrs.get("set_aside", {}))
    report_set_aside(golden, set_aside, what="resolve_customers", verbose=verbose)
    return CustomerView(records=records, pairs=scored, golden=golden, threshold=threshold)


# ---------------------------------------------------------------- audit and evaluation

_SHOW = ["source", "record_id", "name", "phone", "email", "id_number", "city"]


def audit_trail(view: CustomerView, person_id: str) -> pd.DataFrame:
    """Which source records formed one customer, and why (合并审计记录).

    Parameters
    ----------
    view : CustomerView
    person_id : str
        A customer of ``view.golden``.

    Returns
    -------
    DataFrame
        One row per pair of the customer's records that was compared: both
        records (``source``, ``record_id``, ``name``, ``phone``, ``email``,
        ``id_number``, ``city`` with ``_1``/``_2``), ``score``, ``merged``
        and ``why`` (:func:`explain_pairs`), strongest link first. The
        customer's records themselves: ``view.records[view.records["person_id"] == person_id]``.

    Examples
    --------
    >>> from crmlab.datasets import load_data
    >>> view = resolve_customers({name: load_data(name) for name in SILOS}, verbose=False)
    >>> trail = audit_trail(view, "G0001176")
    >>> len(trail), bool(trail["merged"].all())
    (15, True)
    """
    rows = np.flatnonzero(view.records["person_id"].to_numpy() == person_id)
    if len(rows) == 0:
        raise CrmlabInputError(f"no customer {person_id!r} in this view; pick one of view.golden['person_id'], "
                               f"e.g. {view.golden['person_id'].iloc[0]!r}.")
    inside = view.pairs["left"].isin(rows) & view.pairs["right"].isin(rows)
    links = view.pairs[inside]
    return _side_by_side(view.records, links).sort_values("score", ascending=False, kind="stable").reset_index(drop=True)


def _side_by_side(records, pairs, extra=()):
    shown = records[_SHOW]
    one = shown.iloc[pairs["left"].to_numpy()].add_suffix("_1").reset_index(drop=True)
    two = shown.iloc[pairs["right"].to_numpy()].add_suffix("_2").reset_index(drop=True)
    cols = [c for c in ("score", "merged", *extra) if c in pairs.columns]
    tail = pairs[cols].reset_index(drop=True)
    why = explain_pairs(pairs).to_numpy()
    tail["why"] = pd.Series(why, dtype="string").where(pairs["score"].notna().to_numpy())  # never compared: no why
    return pd.concat([one, two, tail], axis=1)


def _truth_labels(records: pd.DataFrame, identity_map: pd.DataFrame) -> np.ndarray:
    require_columns(identity_map.columns, ["source", "record_id", "customer_id"], table="identity_map")
    key = identity_map.assign(source=identity_map["source"].astype(str), record_id=identity_map["record_id"].astype(str))
    if key.duplicated(["source", "record_id"]).any():
        dup = key.duplicated(["source", "record_id"], keep=False)
        raise CrmlabInputError(f"identity_map: (source, record_id) repeated in {describe_rows(identity_map.index[dup])}.")
    truth = records[["source", "record_id"]].astype(str).merge(key, on=["source", "record_id"], how="left")["customer_id"]
    if truth.isna().any():
        raise CrmlabInputError(f"identity_map does not cover {int(truth.isna().sum())} records, e.g. "
                               f"{records.loc[truth.isna().to_numpy(), 'record_id'].iloc[0]!r}; evaluate against "
                               "the identity map of the same data (load_data('identity_map', data_dir=...)).")
    return pd.factorize(truth)[0]


def _pair_counts(labels: np.ndarray) -> int:
    sizes = np.bincount(labels).astype(np.int64)
    return int((sizes * (sizes - 1) // 2).sum())


def _metrics(found: np.ndarray, truth: np.ndarray) -> dict:
    joint = pd.factorize(found.astype(np.int64) * (truth.max() + 1) + truth)[0]
    correct, n_found, n_true = _pair_counts(joint), _pair_counts(found), _pair_counts(truth)
    precision = correct / n_found if n_found else 1.0
    recall = correct / n_true if n_true else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "pairs_found": n_found, "pairs_true": n_true,
            "pairs_correct": correct, "customers_found": int(found.max()) + 1, "customers_true": int(truth.max()) + 1}


def evaluate_matches(view: CustomerView, identity_map: pd.DataFrame) -> pd.Series:
    """Precision, recall and F1 of the merge against a known identity map (匹配效果评估).

    Counted over pairs of records: a pair put into one customer is *found*;
    it is *correct* if the identity map says the two records are the same
    person. Precision = correct / found (how many merges were right), recall
    = correct / true pairs (how many of the true duplicates were found).

    Parameters
    ----------
    view : CustomerView
    identity_map : DataFrame
        Columns ``source``, ``record_id``, ``customer_id`` (``load_data("identity_map")``).

    Returns
    -------
    Series
        ``precision``, ``recall``, ``f1``, ``pairs_found``, ``pairs_true``,
        ``pairs_correct``, ``customers_found``, ``customers_true``,
        ``customers_exact`` (customers whose records are exactly one true person's).

    Examples
    --------
    >>> from crmlab.datasets import load_data
    >>> view = resolve_customers({name: load_data(name) for name in SILOS}, verbose=False)
    >>> evaluate_matches(view, load_data("identity_map"))[["precision", "recall"]].round(3).tolist()
    [0.989, 0.972]
    """
    truth = _truth_labels(view.records, identity_map)
    found = pd.factorize(view.records["person_id"])[0]
    out = _metrics(found, truth)
    both = pd.DataFrame({"found": found, "truth": truth})
    per_found = both.groupby("found")["truth"].agg(["nunique", "first", "size"])
    true_size = np.bincount(truth)
    out["customers_exact"] = int(((per_found["nunique"] == 1) & (true_size[per_found["first"]] == per_found["size"])).sum())
    return pd.Series(out, name="match quality")


def same_person(view: CustomerView, identity_map: pd.DataFrame) -> pd.Series:
    """For each compared pair of ``view.pairs``, whether the identity map says it is one person (真实匹配).

    Returns
    -------
    Series of bool on the index of ``view.pairs``.

    Examples
    --------
    >>> from crmlab.datasets import load_data
    >>> view = resolve_customers({name: load_data(name) for name in SILOS}, verbose=False)
    >>> bool(same_person(view, load_data("identity_map"))[view.pairs["score"] > 20].all())
    True
    """
    truth = _truth_labels(view.records, identity_map)
    return pd.Series(truth[view.pairs["left"].to_numpy()] == truth[view.pairs["right"].to_numpy()],
                     index=view.pairs.index, name="same_person")


def mismatches(view: CustomerView, identity_map: pd.DataFrame) -> pd.DataFrame:
    """Every pair of records the merge got wrong, side by side, so a student can look at them (错配清单).

    Parameters
    ----------
    view : CustomerView
    identity_map : DataFrame
        Columns ``source``, ``record_id``, ``customer_id``.

    Returns
    -------
    DataFrame
        One row per wrong pair: ``kind`` (``false merge`` 错误合并: two people
        made one; ``missed`` 漏配: one person left as two), ``reason``
        (``linked`` — the pair itself scored at or above the threshold;
        ``chained`` — joined through other records; ``below threshold`` —
        compared but scored too low; ``never compared`` — no blocking key in
        common), ``agreed`` and ``disagreed`` (the fields that did, e.g.
        ``name+city``), ``score``, both records (``_1``, ``_2``) and ``why``.

    Examples
    --------
    >>> from crmlab.datasets import load_data
    >>> view = resolve_customers({name: load_data(name) for name in SILOS}, verbose=False)
    >>> mismatches(view, load_data("identity_map"))["kind"].value_counts().to_dict()
    {'missed': 212, 'false merge': 82}
    """
    records = view.records
    truth = _truth_labels(records, identity_map)
    found = pd.factorize(records["person_id"])[0]
    n = len(records)

    def pairs_within(labels):
        a, b, _, _ = _pairs_within_blocks(labels.astype(np.int64), max_block_size=n + 1)
        return a.astype(np.int64) * n + b

    same_found, same_true = pairs_within(found), pairs_within(truth)
    false_merges, missed = np.setdiff1d(same_found, same_true), np.setdiff1d(same_true, same_found)
    wrong = pd.DataFrame({"code": np.r_[false_merges, missed],
                          "kind": np.repeat(["false merge", "missed"], [len(false_merges), len(missed)])})
    pairs = view.pairs.assign(code=view.pairs["left"].to_numpy().astype(np.int64) * n + view.pairs["right"].to_numpy())
    wrong = wrong.merge(pairs, on="code", how="left")
    wrong["left"], wrong["right"] = wrong["code"] // n, wrong["code"] % n
    merge, compared = wrong["kind"] == "false merge", wrong["score"].notna()
    wrong["reason"] = np.select([merge & compared & (wrong["score"] >= view.threshold), merge, compared],
                                ["linked", "chained", "below threshold"], "never compared")
    wrong["agreed"], wrong["disagreed"] = _evidence(wrong, ("same", "same sound", "login matches")), \
        _evidence(wrong, ("different",))
    out = _side_by_side(records, wrong, extra=("kind", "reason", "agreed", "disagreed"))
    front = ["kind", "reason", "agreed", "disagreed", "score"]
    out = out[front + [c for c in out.columns if c not in front]]
    return out.sort_values(["kind", "reason", "score"], kind="stable").reset_index(drop=True)


def _evidence(scored: pd.DataFrame, levels) -> pd.Series:
    """The fields whose outcome is one of ``levels``, joined by '+', e.g. 'name+city' ('' if none or not compared)."""
    text = pd.Series("", index=scored.index)
    for field in _FIELDS_SCORED:
        hit = scored[field].isin(levels).to_numpy()
        text = text.where(~hit, text + np.where(text == "", "", "+") + field)
    return text


def threshold_curve(view: CustomerView, identity_map: pd.DataFrame, thresholds=None) -> pd.DataFrame:
    """Precision, recall and F1 at each match threshold: the trade-off of merging more or less (分数线与准确率).

    Parameters
    ----------
    view : CustomerView
        Its scored pairs are re-clustered at each threshold.
    identity_map : DataFrame
        Columns ``source``, ``record_id``, ``customer_id``.
    thresholds : array-like, optional
        Default -20 to 20 in steps of 1.

    Returns
    -------
    DataFrame
        Columns ``threshold``, ``precision``, ``recall``, ``f1``, ``customers_found``, ``customers_true``.

    Examples
    --------
    >>> from crmlab.datasets import load_data
    >>> view = resolve_customers({name: load_data(name) for name in SILOS}, verbose=False)
    >>> threshold_curve(view, load_data("identity_map"), thresholds=[-5, 5])["recall"].round(3).tolist()
    [0.99, 0.914]
    """
    thresholds = np.arange(-20, 21, 1.0) if thresholds is None else np.asarray(thresholds, dtype=float)
    truth = _truth_labels(view.records, identity_map)
    rows = []
    for t in thresholds:
        m = _metrics(cluster_records(len(view.records), view.pairs, threshold=t), truth)
        rows.append({"threshold": t, **{k: m[k] for k in ("precision", "recall", "f1", "customers_found",
                                                           "customers_true")}})
    return pd.DataFrame(rows)
