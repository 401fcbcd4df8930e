"""Input checks shared by the measurement modules (satisfaction, loyalty, retention).

Each raises :class:`~crmlab.validation.CrmlabInputError` with the column, the
rows and the fix, as the rest of the kit does.
"""
from __future__ import annotations

import pandas as pd

from crmlab.validation import CrmlabInputError, describe_rows, require_columns, require_nonempty

#: Id columns carried from a survey into per-respondent results, when present.
ID_COLUMNS = ("response_id", "customer_id")


def shown(value) -> str:
    """A cell value as a student reads it in a message: text quoted, numbers plain (11, not np.int64(11))."""
    return repr(value) if isinstance(value, str) else str(value)


def frame_check(data, table: str) -> None:
    """Raise unless ``data`` is a non-empty DataFrame."""
    if not isinstance(data, pd.DataFrame):
        raise CrmlabInputError(f"{table} must be a pandas DataFrame, not {type(data).__name__}. "
                               "Load it with crmlab.load_data(...) or pd.read_csv(...).")
    require_nonempty(data, table=table)


def scale_pair(scale, name: str = "scale") -> tuple[float, float]:
    """``scale`` as ``(low, high)`` floats with low < high."""
    try:
        lo, hi = (float(v) for v in scale)
    except (TypeError, ValueError):
        raise CrmlabInputError(f"{name}={scale!r} must be a pair (lowest, highest answer), e.g. (1, 7).") from None
    if not lo < hi:
        raise CrmlabInputError(f"{name}={scale!r}: the lowest answer must be below the highest.")
    return lo, hi


def answers(frame: pd.DataFrame, columns, *, scale, table: str = "survey"):
    """The answers in ``columns`` as floats, checked against ``scale``.

    Returns the values and a boolean Series marking rows with a missing answer.
    """
    columns = list(columns)
    require_columns(frame.columns, columns, table=table)
    lo, hi = scale_pair(scale)
    raw = frame[columns]
    values = raw.apply(pd.to_numeric, errors="coerce").astype("float64")
    for col in columns:
        if pd.api.types.is_bool_dtype(raw[col]):
            raise CrmlabInputError(f"{table}: column '{col}' holds True/False, not survey answers on a {lo:g}–{hi:g} scale.")
        not_number = values[col].isna() & raw[col].notna()
        if not_number.any():
            raise CrmlabInputError(
                f"{table}: column '{col}' has answers that are not numbers in {describe_rows(frame.index[not_number])}, "
                f"e.g. {shown(raw[col][not_number].iloc[0])}. Fix: write the answers as numbers "
                "(or leave the cell empty for no answer).")
        outside = (values[col] < lo) | (values[col] > hi)
        if outside.any():
            raise CrmlabInputError(
                f"{table}: column '{col}' has answers outside the scale {lo:g}–{hi:g} in "
                f"{describe_rows(frame.index[outside])}, e.g. {shown(raw[col][outside].iloc[0])}. Fix: correct these "
                f"answers or leave them empty (the row is then set aside); if the question used another scale, "
                f"pass scale=(lowest, highest).")
    return values, values.isna().any(axis=1)


def id_columns(frame: pd.DataFrame, rows) -> pd.DataFrame:
    """The id columns of ``frame`` present (:data:`ID_COLUMNS`), for the selected rows."""
    return frame.loc[rows, [c for c in ID_COLUMNS if c in frame.columns]].copy()


def purchase_times(purchases: pd.DataFrame, as_of: pd.Timestamp):
    """Purchases before ``as_of`` (later ones set aside), checked; returns the kept rows."""
    frame_check(purchases, "purchases")
    require_columns(purchases.columns, ["customer_id", "order_ts"], table="purchases")
    if not pd.api.types.is_datetime64_any_dtype(purchases["order_ts"]):
        raise CrmlabInputError("purchases: column 'order_ts' is not a date/time column. Make the table with "
                               "crmlab.transactions.purchases(orders, order_lines), or convert it with pd.to_datetime.")
    no_time = purchases["order_ts"].isna()
    no_customer = purchases["customer_id"].isna()
    late = purchases["order_ts"] >= as_of
    kept = purchases[~(no_time | no_customer | late)]
    counts = {"purchases without a time": no_time.sum(), "purchases without a customer_id": no_customer.sum(),
              f"purchases on or after as_of {as_of:%Y-%m-%d}": (late & ~no_time & ~no_customer).sum()}
    return kept, counts


def boolean(values: pd.Series, column: str, table: str) -> pd.Series:
    """A True/False (or 0/1) column as bool with NA kept; anything else is an error."""
    if pd.api.types.is_bool_dtype(values):
        return values.astype("boolean")
    bad = values.notna() & ~values.isin([0, 1])
    if bad.any():
        raise CrmlabInputError(f"{table}: column '{column}' must be True/False (or 1/0); it is not in "
                               f"{describe_rows(values.index[bad])}, e.g. {shown(values[bad].iloc[0])}.")
    return values.astype("Float64").astype("boolean")


def aligned(frame: pd.DataFrame, values, name: str) -> pd.Series:
    """A column name of ``frame`` or a Series aligned to its index, as floats."""
    if isinstance(values, str):
        require_columns(frame.columns, [values], table="frame")
        raw = frame[values]
    elif isinstance(values, pd.Series):
        raw = values.reindex(frame.index)
    elif isinstance(values, (int, float)):
        raw = pd.Series(float(values), index=frame.index)
    else:
        raise CrmlabInputError(f"{name} must be a column name, a Series indexed like the frame, or a number.")
    num = pd.to_numeric(raw, errors="coerce").astype("float64")
    bad = num.isna() & raw.notna()
    if bad.any():
        raise CrmlabInputError(f"{name}: values that are not numbers in {describe_rows(frame.index[bad])}, "
                               f"e.g. {shown(raw[bad].iloc[0])}.")
    return num
