"""Data quality (数据质量): how complete, valid, unique and up to date each field of each source is.

Before records are merged they are checked, field by field and source by
source, on the four questions of the identification process's integration
and update steps (整合、更新):

- completeness (完整性): is the field filled in?
- validity (有效性): is the value possible at all (a mobile number, an e-mail
  address, an ID number with the right check character, a date in range)?
- duplicates (重复): does the same phone, e-mail or ID number appear on more
  than one record of the same source (a second card, a second account)?
- staleness (时效性): is the record old, or has the value been superseded by
  a newer one (an old phone number, the city before a move)?

:func:`quality_report` gives the table; :func:`invalid_values` lists the
cells that failed, so a student can look at them.

Examples
--------
>>> from crmlab.datasets import load_data
>>> from crmlab.identify import SILOS
>>> report = quality_report({name: load_data(name) for name in SILOS})
>>> bool(report.loc[("store_members", "phone"), "filled"] > 0.9)
True
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from crmlab import fields, identify
from crmlab.validation import DATETIME_FORMATS, CrmlabInputError, as_date, require_columns, require_nonempty

__all__ = ["quality_report", "invalid_values", "CHECKS"]

#: What each field kind is checked against (its validity rule), in words.
CHECKS = {
    "record_id": "present and unique within the source",
    "recorded_at": "a date between `earliest` and `as_of`",
    "name": "2-20 Chinese characters or letters (after simplification)",
    "login": "letters, digits, '.', '_' or '-'",
    "phone": "a mainland mobile number: 11 digits starting 13-19, after removing +86, spaces and dashes",
    "email": "name@domain.tld",
    "id_number": "18 characters, a real birth date and the right check character (GB 11643)",
    "city": "Chinese characters only",
}
_DUPLICATE_FIELDS = ("record_id", "phone", "email", "id_number")
_STALE_FIELDS = ("name", "phone", "email", "id_number", "city")
_STD = {"name": "name_std", "phone": "phone_std", "email": "email_std", "id_number": "id_std", "city": "city_std"}


def _dates(values) -> pd.Series:
    """Dates as written, leniently: values in no known layout become NaT (and count as invalid)."""
    if pd.api.types.is_datetime64_any_dtype(values):
        return pd.Series(values).astype("datetime64[s]")
    text = pd.Series(values).astype("string").str.strip()
    out = pd.Series(pd.NaT, index=text.index, dtype="datetime64[s]")
    for fmt in DATETIME_FORMATS:
        todo = out.isna() & text.notna()
        if not todo.any():
            break
        out[todo] = pd.to_datetime(text[todo], format=fmt, errors="coerce").astype("datetime64[s]")
    return out


def _checked(kind: str, raw: pd.Series, *, earliest, as_of):
    """(filled, valid, standard form, standardised value) for one column."""
    if pd.api.types.is_datetime64_any_dtype(raw):
        filled = raw.notna()
    else:
        filled = (raw.astype("string").str.strip().fillna("") != "").astype(bool)
    text = raw.astype("string")
    if kind == "recorded_at":
        when = _dates(raw)
        valid = when.notna() & (when >= earliest) & (when <= as_of)
        return filled, valid, valid, when
    if kind == "record_id":
        std = text.str.strip()
        return filled, filled, filled, std
    if kind == "phone":
        std = fields.normalise_phone(text)
        return filled, std.notna(), text.eq(std).fillna(False), std
    if kind == "email":
        std = fields.normalise_email(text)
        return filled, std.notna(), text.eq(std).fillna(False), std
    if kind == "id_number":
        std = fields.normalise_id_number(text)
        return filled, fields.id_number_valid(text), text.eq(std).fillna(False), std
    if kind == "name":
        std = fields.normalise_name(text)
        valid = std.str.fullmatch(r"[\u4e00-\u9fff·a-z]{2,20}").fillna(False).astype(bool)
        return filled, valid, text.eq(std).fillna(False), std
    if kind == "city":
        std = fields.normalise_city(text)
        valid = std.str.fullmatch(r"[\u4e00-\u9fff]+").fillna(False).astype(bool)
        return filled, valid, text.eq(std).fillna(False), std
    if kind == "login":
        valid = text.str.fullmatch(r"[A-Za-z0-9._\-]+").fillna(False).astype(bool)
        return filled, valid, valid, text.str.lower()
    raise CrmlabInputError(f"no quality check for a field of kind {kind!r}; kinds: {', '.join(CHECKS)}.")


def _as_of(tables, spec, as_of):
    if as_of is not None:
        return as_date(as_of, name="as_of") + pd.Timedelta(days=1) - pd.Timedelta(seconds=1)  # the whole day
    latest = [_dates(frame[spec[name]["recorded_at"]]).max() for name, frame in tables.items()]
    return max(t for t in latest if pd.notna(t)) if any(pd.notna(t) for t in latest) else pd.Timestamp.now().normalize()


def quality_report(tables, *, columns=None, as_of=None, earliest="2000-01-01", stale_after_days: int = 730,
                   view=None) -> pd.DataFrame:
    """The data-quality report (数据质量报告): one row per source and field.

    Parameters
    ----------
    tables : dict of {str: DataFrame}
        The sources by name, e.g. the three silos ``{"store_members": ..., ...}``.
    columns : dict, optional
        Which column holds which field in each source, as
        :data:`crmlab.identify.SILOS` (the default) does for the silos.
    as_of : str or Timestamp, optional
        The date of the check: later dates are invalid, and staleness is
        measured from it (the whole day counts). Default: the newest record
        date in the tables.
    earliest : str, default "2000-01-01"
        Dates before it are invalid (no such system existed).
    stale_after_days : int, default 730
        A record not made or updated for longer than this is *old*.
    view : CustomerView, optional
        A single customer view of the same records
        (:func:`crmlab.identify.resolve_customers`). With it, a value is
        *stale* if it differs from the customer's golden record: an old phone
        number, the city before a move, a typo the other records correct.

    Returns
    -------
    DataFrame
        Index (``source``, ``field``); columns ``column`` (its name in the
        source), ``records``, ``filled`` (completeness: share of records with
        a value), ``valid`` (share of filled values that pass the check of
        :data:`CHECKS`), ``standard`` (share of filled values already in the
        standard form, e.g. a phone as 11 plain digits, a name in simplified
        characters), ``duplicated`` (share of filled values of identifying
        fields that occur on more than one record of the source), ``stale``
        (for the record date: share of records older than
        ``stale_after_days``; for other fields, with ``view``: share of
        filled values that differ from the golden record) and ``check``.
        Shares are 0-1; ``NaN`` where a measure does not apply.

    Raises
    ------
    CrmlabInputError
        A missing or misspelt column, an empty source, an unknown source.

    Examples
    --------
    >>> from crmlab.datasets import load_data
    >>> report = quality_report({"web_accounts": load_data("web_accounts")})
    >>> round(float(report.loc[("web_accounts", "name"), "filled"]), 2)
    0.64
    """
    spec = identify.SILOS if columns is None else columns
    if not isinstance(tables, dict) or not tables:
        raise CrmlabInputError("tables must be a dict of DataFrames by source name, e.g. "
                               "{'store_members': load_data('store_members'), ...}.")
    for name, frame in tables.items():
        if name not in spec:
            raise CrmlabInputError(f"no column map for source {name!r}; known: {', '.join(spec)}. Pass "
                                   "columns={'my_source': {'record_id': ..., 'recorded_at': ..., 'phone': ...}}.")
        require_columns(frame.columns, list(spec[name].values()), table=name)
        require_nonempty(frame, table=name)
    when = _as_of(tables, spec, as_of)
    earliest = pd.Timestamp(earliest)
    golden = _golden_values(view) if view is not None else None
    rows = []
    for name, frame in tables.items():
        for field, col in spec[name].items():
            filled, valid, standard, std = _checked(field, frame[col], earliest=earliest, as_of=when)
            n_filled = int(filled.sum())
            row = {"source": name, "field": field, "column": col, "records": len(frame),
                   "filled": n_filled / len(frame),
                   "valid": valid[filled].mean() if n_filled else np.nan,
                   "standard": standard[filled].mean() if n_filled else np.nan,
                   "duplicated": np.nan, "stale": np.nan, "check": CHECKS[field]}
            if field in _DUPLICATE_FIELDS and n_filled:
                usable = std[filled & valid] if field != "record_id" else std[filled]
                row["duplicated"] = usable.duplicated(keep=False).sum() / n_filled
            if field == "recorded_at" and n_filled:
                row["stale"] = ((when - std[valid]).dt.days > stale_after_days).sum() / n_filled
            elif field in _STALE_FIELDS and golden is not None and n_filled:
                row["stale"] = _stale_share(golden[field], name, frame[spec[name]["record_id"]], std, filled)
            rows.append(row)
    return pd.DataFrame(rows).set_index(["source", "field"])


def _golden_values(view) -> pd.DataFrame:
    """Each record's standardised values next to its customer's golden values."""
    golden = view.golden.set_index("person_id")
    recs = view.records[["source", "record_id", "person_id"]].assign(source=lambda r: r["source"].astype(str))
    return recs.join(golden[list(_STD)], on="person_id").set_index(["source", "record_id"])


def _stale_share(golden: pd.Series, source, record_ids, std, filled):
    """Share of the filled values of one source that differ from their customer's golden value."""
    key = pd.MultiIndex.from_arrays([np.repeat(source, len(record_ids)), record_ids.astype(str).to_numpy()])
    best = golden.reindex(key).to_numpy(dtype=object)
    mine = std.to_numpy(dtype=object)
    usable = filled.to_numpy() & pd.notna(mine) & pd.notna(best)
    return float((mine[usable] != best[usable]).sum() / filled.sum())


def invalid_values(tables, *, columns=None, as_of=None, earliest="2000-01-01") -> pd.DataFrame:
    """Every filled cell that fails its validity check (无效值清单), to look at or to fix at the source.

    Parameters
    ----------
    tables, columns, as_of, earliest
        As for :func:`quality_report`.

    Returns
    -------
    DataFrame
        Columns ``source``, ``record_id``, ``field``, ``column``, ``value``
        (as written) and ``check`` (the rule it fails).

    Examples
    --------
    >>> from crmlab.datasets import load_data
    >>> bad = invalid_values({"callcentre_contacts": load_data("callcentre_contacts")})
    >>> sorted(bad["field"].unique())
    ['id_number']
    """
    spec = identify.SILOS if columns is None else columns
    quality_report(tables, columns=spec, as_of=as_of, earliest=earliest)  # same input checks
    when = _as_of(tables, spec, as_of)
    parts = []
    for name, frame in tables.items():
        for field, col in spec[name].items():
            filled, valid, _, _ = _checked(field, frame[col], earliest=pd.Timestamp(earliest), as_of=when)
            bad = (filled & ~valid).to_numpy()
            if bad.any():
                parts.append(pd.DataFrame({"source": name, "record_id": frame[spec[name]["record_id"]].to_numpy()[bad],
                                           "field": field, "column": col,
                                           "value": frame[col].astype("string").to_numpy()[bad], "check": CHECKS[field]}))
    if not parts:
        return pd.DataFrame(columns=["source", "record_id", "field", "column", "value", "check"])
    return pd.concat(parts, ignore_index=True)
