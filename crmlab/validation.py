"""Errors crmlab raises on bad input, and the checks that raise them.

Every message names what is wrong (the column, the offending rows) and how to
fix it, because the reader is usually a student looking at a notebook cell.
"""
from __future__ import annotations

import difflib


class CrmlabInputError(ValueError):
    """Input data or arguments that crmlab cannot use as given (输入数据有误).

    A :class:`ValueError`, so ``except ValueError`` catches it too; its message
    names what is wrong and how to fix it.

    Examples
    --------
    >>> issubclass(CrmlabInputError, ValueError)
    True
    >>> try:
    ...     as_date("soon", name="as_of")
    ... except CrmlabInputError as error:
    ...     print(error)
    as_of must be a date such as '2026-01-01', got 'soon'.
    """


#: Length of each time unit the kit reports in, in days (one table for every module;
#: a month is the average calendar month, 365.25 / 12 days).
TIME_UNITS = {"hours": 1 / 24, "days": 1.0, "weeks": 7.0, "months": 365.25 / 12}


def require_option(value, options, *, name: str, fix: str = ""):
    """Return ``value`` if it is one of ``options``, else raise naming them, the nearest one and ``fix``
    (what the options mean).

    Examples
    --------
    >>> require_option("weeks", ["days", "weeks"], name="time_unit")
    'weeks'
    >>> require_option("week", ["days", "weeks"], name="time_unit")
    Traceback (most recent call last):
    ...
    crmlab.validation.CrmlabInputError: time_unit='week' is not one of ['days', 'weeks']. Did you mean 'weeks'?
    """
    options = list(options)
    if value in options:
        return value
    near = difflib.get_close_matches(str(value), [str(o) for o in options], n=1)
    hint = f" Did you mean {near[0]!r}?" if near else ""
    raise CrmlabInputError(f"{name}={value!r} is not one of {options}.{hint} {fix}".rstrip())


def require_columns(columns, required, *, table: str = "table") -> None:
    """Raise :class:`CrmlabInputError` if any of ``required`` is not in ``columns``.

    The message lists each missing column with the closest existing name, so
    a misspelt or differently named column is easy to fix.

    Examples
    --------
    >>> require_columns(["customer_id", "order_ts"], ["customer_id", "order_ts"])  # all there: nothing happens
    >>> require_columns(["customer_id", "order_date"], ["customer_id", "order_ts"], table="purchases")
    ... # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    crmlab.validation.CrmlabInputError: purchases is missing column(s) 'order_ts' (did you mean 'order_date'?). ...
    """
    present = [str(c) for c in columns]
    missing = [c for c in required if c not in present]
    if not missing:
        return
    hints = []
    for name in missing:
        close = difflib.get_close_matches(name, present, n=1, cutoff=0.6)
        hints.append(f"'{name}'" + (f" (did you mean '{close[0]}'?)" if close else ""))
    raise CrmlabInputError(
        f"{table} is missing column(s) {', '.join(hints)}. "
        f"Columns present: {present}. Rename your columns to these names, "
        "e.g. df.rename(columns={'old name': 'new name'})."
    )


def describe_rows(index, limit: int = 5) -> str:
    """Short text naming offending rows, e.g. ``rows 3, 17, 42 (and 9 more)``.

    Examples
    --------
    >>> describe_rows([7])
    'row 7'
    >>> describe_rows(range(1, 9))
    'rows 1, 2, 3, 4, 5 (and 3 more)'
    """
    rows = list(index)
    shown = ", ".join(str(r) for r in rows[:limit])
    more = f" (and {len(rows) - limit} more)" if len(rows) > limit else ""
    return f"row{'s' if len(rows) != 1 else ''} {shown}{more}"



def describe_ids(index, where, *, noun: str = "customer") -> str:
    """Where in a table with one row per customer a problem is, named as a reader finds it.

    A table indexed by ids (a summary, an RFM table) names the ids, e.g.
    ``for customer 10244`` — calling an id a "row" sends the reader to the
    10 244th row. A table with a plain row number (an unnamed
    ``RangeIndex``) names the rows, ``in rows 1, 2``, as
    :func:`describe_rows`.

    Parameters
    ----------
    index : Index
        The whole table's index.
    where : array of bool
        The offending rows.
    noun : str, default "customer"
        What one row is (``"member"`` for the airline).

    Examples
    --------
    >>> import pandas as pd
    >>> describe_ids(pd.Index([4, 10244, 18], name="customer_id"), [False, True, False])
    'for customer 10244'
    >>> describe_ids(pd.Index(list("abcdefg")), [True] * 7, noun="member")
    'for members a, b, c, d, e (and 2 more)'
    >>> describe_ids(pd.RangeIndex(3), [False, True, True])
    'in rows 1, 2'
    """
    import numpy as np
    import pandas as pd

    chosen = index[np.asarray(where, dtype=bool)]
    rows = describe_rows(chosen)
    if isinstance(index, pd.RangeIndex) and index.name is None:
        return f"in {rows}"
    return "for " + noun + ("s" if len(chosen) != 1 else "") + rows[rows.index(" "):]

def describe_where(index, where) -> str:
    """Where offending rows of a column are, named so a reader finds them in the table or the file.

    - a table read by :mod:`crmlab.exports` (index named ``line``): the lines of the file;
    - a plain row number (an unnamed ``RangeIndex`` from 0): the rows, as :func:`describe_rows`;
    - any other index (ids, dates ...): the positions, counted from 0, and the index labels, since
      calling a label a row number sends the reader to the wrong row. A text index often means that
      ``pd.read_csv`` took the first column as the index because lines have more fields than the
      header (an unquoted separator inside a value, e.g. ``¥1,234.50``); the message says so.

    Examples
    --------
    >>> import pandas as pd
    >>> describe_where(pd.RangeIndex(4), [False, True, True, False])
    'rows 1, 2'
    >>> describe_where(pd.Index([7, 9], name="line"), [False, True])
    'line 9 of the file'
    >>> describe_where(pd.Index(["C001", "C002"]), [True, True])  # doctest: +ELLIPSIS
    "rows 0, 1 (counted from 0; index labels 'C001', 'C002'; ...)"
    """
    import numpy as np
    import pandas as pd

    mask = np.asarray(where, dtype=bool)
    if index.name == "line":
        rows = describe_rows(index[mask])
        return "line" + rows[3:] + " of the file"
    if isinstance(index, pd.RangeIndex) and index.start == 0 and index.step == 1:
        return describe_rows(index[mask])
    labels = ", ".join(shown(v) for v in index[mask][:5])
    hint = ""
    if pd.api.types.is_object_dtype(index) or pd.api.types.is_string_dtype(index):
        hint = ("; if pd.read_csv made the first column the index, some lines have more fields than the header "
                "(e.g. an unquoted ¥1,234.50): read the file with crmlab.exports.read_transactions")
    return f"{describe_rows(np.flatnonzero(mask))} (counted from 0; index labels {labels}{hint})"


# Date layouts met in practice: the kit's own, then what Excel writes on a
# Chinese Windows machine after a student opens and re-saves a file.
DATETIME_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d", "%Y/%m/%d %H:%M:%S",
                    "%Y/%m/%d %H:%M", "%Y/%m/%d")


#: A real time-zone offset after a time of day (``10:00:00+08:00``, ``10:00Z``); ``05-01-2024`` is none.
ZONE_OFFSET = r"\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?\s*(?:Z|[+-]\d{2}:?\d{2})$"


def parse_datetimes(values, *, column: str, table: str = "table"):
    """Parse a column of date/time text into ``datetime64``, accepting the layouts in
    :data:`DATETIME_FORMATS` (mixed within one column too); blanks become ``NaT``.

    Raises :class:`CrmlabInputError` naming the column, the rows and the fix when
    some values are in no known layout or carry a time-zone offset.

    Examples
    --------
    >>> parse_datetimes(["2024-06-18", "2024/6/18 9:05", ""], column="order_ts")
    0   2024-06-18 00:00:00
    1   2024-06-18 09:05:00
    2                   NaT
    dtype: datetime64[s]
    >>> parse_datetimes(["2024-06-18", "18.06.2024"], column="order_ts", table="orders")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    crmlab.validation.CrmlabInputError: orders: column 'order_ts' has values that are not dates in row 1, e.g. '18.06.2024'. ...
    """
    import pandas as pd

    text = pd.Series(values, copy=False).astype("string").str.strip()
    blank = text.isna() | (text == "")
    out = pd.Series(pd.NaT, index=text.index, dtype="datetime64[s]")
    todo = ~blank
    for fmt in DATETIME_FORMATS:
        if not todo.any():
            break
        parsed = pd.to_datetime(text[todo], format=fmt, errors="coerce")
        ok = parsed.notna()
        out.loc[ok[ok].index] = parsed[ok].astype("datetime64[s]")
        todo.loc[ok[ok].index] = False
    if todo.any():
        bad = text[todo]
        import numpy as np

        zoned = bad.str.contains(ZONE_OFFSET, regex=True).to_numpy(dtype=bool)
        where = todo.to_numpy(dtype=bool).copy()
        if zoned.any():
            where[np.flatnonzero(where)[~zoned]] = False
            bad, fix = bad[zoned], "remove the time-zone offsets (convert all times to China time first)"
        else:
            fix = ("write dates as YYYY-MM-DD or YYYY-MM-DD HH:MM:SS (a file exported with dates such as "
                   "05-01-2024 or 2024年1月5日: read it with crmlab.exports.read_transactions)")
        raise CrmlabInputError(
            f"{table}: column '{column}' has values that are not dates in "
            f"{describe_where(text.index, where)}, e.g. {shown(bad.iloc[0])}. Fix: {fix}.")
    return out


def read_csv_text(path, **kwargs):
    """Read a CSV as text columns, in UTF-8 (with or without BOM) or, failing that,
    GBK/GB18030 as saved by Excel on Chinese Windows. Returns (frame, encoding).

    Examples
    --------
    A file as Excel saves it on Chinese Windows (GBK); every value stays text as written:

    >>> import pathlib, tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = pathlib.Path(folder) / "members.csv"
    ...     _ = path.write_bytes("member_id,city,store\\nM0000001,上海,007\\n".encode("gbk"))
    ...     frame, encoding = read_csv_text(path)
    >>> encoding
    'gb18030'
    >>> frame.iloc[0].tolist()
    ['M0000001', '上海', '007']
    """
    import pandas as pd

    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return pd.read_csv(path, dtype=str, keep_default_na=False, encoding=encoding, **kwargs), encoding
        except UnicodeDecodeError:
            continue
    raise CrmlabInputError(
        f"{path}: the file is neither UTF-8 nor GBK text. Save it again as 'CSV UTF-8' "
        "(Excel: File > Save As > CSV UTF-8).")


def report_set_aside(frame, counts: dict, *, what: str, verbose: bool = True):
    """Record (and by default print) the rows an analysis set aside, by reason.

    Nothing is dropped silently: the counts go to ``frame.attrs["set_aside"]``
    and, with ``verbose=True``, one line such as ``purchases: set aside 1 512
    cancelled orders, 1 978 returned orders`` is printed for the notebook reader.
    Returns ``frame``.

    Examples
    --------
    >>> import pandas as pd
    >>> kept = pd.DataFrame({"order_id": ["O1", "O2"]})
    >>> kept = report_set_aside(kept, {"cancelled orders": 1512, "returned orders": 0}, what="purchases")
    purchases: set aside 1 512 cancelled orders
    >>> kept.attrs["set_aside"]
    {'cancelled orders': 1512}
    """
    counts = {reason: int(n) for reason, n in counts.items() if n}
    frame.attrs["set_aside"] = counts
    if verbose and counts:
        listed = ", ".join(f"{n:,} {reason}".replace(",", " ") for reason, n in counts.items())
        print(f"{what}: set aside {listed}")
    return frame


def require_nonempty(frame, *, table: str = "table") -> None:
    """Raise :class:`CrmlabInputError` if ``frame`` has no rows.

    Examples
    --------
    >>> import pandas as pd
    >>> require_nonempty(pd.DataFrame({"order_id": ["O1"]}), table="orders")  # one row: fine
    >>> require_nonempty(pd.DataFrame({"order_id": []}), table="orders")
    Traceback (most recent call last):
    ...
    crmlab.validation.CrmlabInputError: orders is empty (0 rows); there is nothing to analyse. Check the filter or the file you loaded.
    """
    if len(frame) == 0:
        raise CrmlabInputError(f"{table} is empty (0 rows); there is nothing to analyse. "
                               "Check the filter or the file you loaded.")


def as_date(value, *, name: str):
    """One date argument (an analysis or calibration date) as a naive ``Timestamp`` at midnight.

    Refuses what is not a date, a time-zone-aware value and a time of day (which would silently
    cut a day in two), naming the argument and the fix.

    Examples
    --------
    >>> as_date("2026-01-01", name="as_of")
    Timestamp('2026-01-01 00:00:00')
    >>> as_date("2026-01-01 18:00", name="as_of")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    crmlab.validation.CrmlabInputError: as_of must be a calendar date without a time of day, got '2026-01-01 18:00'; ...
    """
    import pandas as pd

    try:
        stamp = pd.Timestamp(value)
    except (TypeError, ValueError):
        stamp = pd.NaT
    if pd.isna(stamp):
        raise CrmlabInputError(f"{name} must be a date such as '2026-01-01', got {value!r}.")
    if stamp.tzinfo is not None:
        raise CrmlabInputError(f"{name}={value!r} carries a time zone; give a plain date such as '2026-01-01' "
                               "(the kit's times are China time without an offset).")
    if stamp != stamp.normalize():
        raise CrmlabInputError(f"{name} must be a calendar date without a time of day, got {value!r}; use e.g. "
                               f"'{(stamp.normalize() + pd.Timedelta(days=1)).date()}' to include the whole day.")
    return stamp


def datetime_column(values, *, column: str, table: str = "table", allow_missing: bool = False):
    """A date/time column as naive ``datetime64``: text is parsed (:func:`parse_datetimes`),
    time zones and numbers are refused, missing values refused unless ``allow_missing``.

    Examples
    --------
    >>> import pandas as pd
    >>> datetime_column(pd.Series(["2025-01-05", "2025/1/6 10:30"]), column="order_ts").tolist()
    [Timestamp('2025-01-05 00:00:00'), Timestamp('2025-01-06 10:30:00')]
    >>> datetime_column(pd.Series([20240618, 20240619]), column="order_ts", table="orders")
    ... # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    crmlab.validation.CrmlabInputError: orders: column 'order_ts' holds numbers (int64), not dates; convert it with pd.to_datetime(...) ...
    """
    import pandas as pd

    if isinstance(values.dtype, pd.DatetimeTZDtype):
        raise CrmlabInputError(
            f"{table}: column '{column}' carries a time zone ({values.dtype.tz}). Convert it to China time "
            f"without an offset first: df['{column}'] = df['{column}'].dt.tz_convert('Asia/Shanghai').dt.tz_localize(None).")
    if not pd.api.types.is_datetime64_dtype(values):
        if pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
            raise CrmlabInputError(f"{table}: column '{column}' holds numbers ({values.dtype}), not dates; convert it "
                                   f"with pd.to_datetime(df['{column}'], format=...) (e.g. format='%Y%m%d' for 20240618).")
        values = parse_datetimes(values, column=column, table=table)
    missing = values.isna()
    if missing.any() and not allow_missing:
        raise CrmlabInputError(f"{table}: column '{column}' is empty in {describe_where(values.index, missing)}; "
                               "fill or remove those rows.")
    return values


def number_column(values, *, column: str, table: str = "table",
                  fix: str = "Fill or remove the missing ones.") -> "pd.Series":
    """A column as float: True/False, dates, text that is no number and missing values are refused,
    naming the rows and ``fix``.

    Examples
    --------
    >>> import pandas as pd
    >>> number_column(pd.Series(["12.5", 3]), column="margin").tolist()
    [12.5, 3.0]
    >>> number_column(pd.Series([1.0, None]), column="margin", table="values")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    crmlab.validation.CrmlabInputError: values: column 'margin' has values that are missing or not numbers in row 1, ...
    """
    import numpy as np
    import pandas as pd

    if pd.api.types.is_bool_dtype(values) or pd.api.types.is_datetime64_any_dtype(values):
        raise CrmlabInputError(f"{table}: column '{column}' must hold numbers, it has type {values.dtype}.")
    # A numpy number column is already what to_numeric returns, less its copy (slow for ten million rows).
    plain = isinstance(values, pd.Series) and values.dtype.kind in "iuf" and isinstance(values.dtype, np.dtype)
    numbers = values if plain else pd.to_numeric(values, errors="coerce")
    bad = numbers.isna()
    if bad.any():
        raise CrmlabInputError(
            f"{table}: column '{column}' has values that are missing or not numbers in "
            f"{describe_where(values.index, bad)}, e.g. {shown(values[bad].iloc[0])}. {fix}")
    return numbers.astype(float)


def amount_column(values, *, column: str, table: str = "table", allow_zero: bool = True):
    """A money column as float: missing, non-numeric and negative (or, with ``allow_zero=False``,
    zero) values are refused, naming the rows. Refunds are not negative purchases.

    Examples
    --------
    >>> import pandas as pd
    >>> amount_column(pd.Series(["12.5", "3"]), column="revenue").tolist()
    [12.5, 3.0]
    >>> amount_column(pd.Series([12.5, -3.0]), column="revenue", table="purchases")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    crmlab.validation.CrmlabInputError: purchases: column 'revenue' must be >= 0; it is not in row 1, e.g. -3.0. ...
    """
    numbers = number_column(values, column=column, table=table,
                            fix="Write amounts as plain numbers (no currency signs or thousands separators) "
                                "and fill or remove the missing ones.")
    low = numbers < 0 if allow_zero else numbers <= 0
    if low.any():
        need = ">= 0" if allow_zero else "> 0"
        raise CrmlabInputError(
            f"{table}: column '{column}' must be {need}; it is not in {describe_where(values.index, low)}, "
            f"e.g. {shown(float(numbers[low].iloc[0]))}. Returns and refunds are not negative purchases: build the "
            "transaction log with crmlab.transactions.purchases(), which handles them by a stated rule.")
    return numbers


def require_labels(values, allowed, *, column: str, table: str = "table", fix: str = "") -> None:
    """Raise :class:`CrmlabInputError` if ``values`` holds missing labels or labels outside ``allowed``,
    naming the rows, an example and ``fix`` (how to rename them).

    Examples
    --------
    >>> require_labels(["treatment", "control"], ["treatment", "control"], column="group")  # all known: fine
    >>> require_labels(["treatment", "Control"], ["treatment", "control"], column="group", table="assignment",
    ...                fix="Write the labels in lower case.")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    crmlab.validation.CrmlabInputError: assignment: column 'group' has unknown or missing labels in row 1, e.g. 'Control'. ...
    """
    label_codes(values, allowed, column=column, table=table, fix=fix)


def label_codes(values, allowed, *, column: str, table: str = "table", fix: str = ""):
    """The position in ``allowed`` of each value's label, as :func:`require_labels` checks them.

    Each distinct value is converted to text and looked up once, so a column of millions of
    rows (or a categorical one) costs little more than its few labels.

    Examples
    --------
    >>> label_codes(["returned", "completed", "returned"], ("completed", "returned", "cancelled"),
    ...             column="status").tolist()
    [1, 0, 1]
    """
    import numpy as np
    import pandas as pd

    allowed = list(allowed)
    codes, uniques = pd.factorize(pd.Series(values, copy=False))
    text = pd.Series(uniques, copy=False).astype("string")
    position = np.full(len(text) + 1, -1)  # the last entry: a missing value (code -1)
    for i, label in enumerate(allowed):  # a few labels, not rows
        position[:-1][(text == label).to_numpy(dtype=bool, na_value=False)] = i
    out = position[codes]
    bad = out < 0
    if bad.any():
        text = pd.Series(values, copy=False).astype("string")  # the values as the message shows them
        raise CrmlabInputError(
            f"{table}: column '{column}' has unknown or missing labels in {describe_rows(text.index[bad])}, "
            f"e.g. {text[bad].iloc[0]!r}. Allowed: {allowed}. {fix}".rstrip())
    return out


#: Id columns carried from a survey into per-respondent results, when present.
ID_COLUMNS = ("response_id", "customer_id")


def shown(value) -> str:
    """A cell value as a student reads it in a message: text quoted, numbers plain (11, not np.int64(11)).

    Examples
    --------
    >>> import numpy as np
    >>> print(shown("11"), shown(np.int64(11)), shown(np.float64("nan")), shown(None))
    '11' 11 a missing value a missing value
    """
    import pandas as pd

    if isinstance(value, str):
        return repr(value)
    try:
        missing = value is None or bool(pd.isna(value))
    except (TypeError, ValueError):  # a list or an array: not one missing value
        missing = False
    return "a missing value" if missing else str(value)


def frame_check(data, table: str, *, fix: str = "Load it with crmlab.load_data(...) or pd.read_csv(...).") -> None:
    """Raise unless ``data`` is a non-empty DataFrame; ``fix`` says where such a table comes from.

    Examples
    --------
    >>> import pandas as pd
    >>> frame_check(pd.DataFrame({"recommend": [9, 10]}), "survey")  # a DataFrame with rows: fine
    >>> frame_check([9, 10], "survey")
    Traceback (most recent call last):
    ...
    crmlab.validation.CrmlabInputError: survey must be a pandas DataFrame, not list. Load it with crmlab.load_data(...) or pd.read_csv(...).
    """
    import pandas as pd

    if not isinstance(data, pd.DataFrame):
        raise CrmlabInputError(f"{table} must be a pandas DataFrame, not {type(data).__name__}. {fix}")
    require_nonempty(data, table=table)


def scale_pair(scale, name: str = "scale") -> tuple[float, float]:
    """``scale`` as ``(low, high)`` floats with low < high.

    Examples
    --------
    >>> scale_pair([1, 7])
    (1.0, 7.0)
    >>> scale_pair((7, 1))
    Traceback (most recent call last):
    ...
    crmlab.validation.CrmlabInputError: scale=(7, 1): the lowest answer must be below the highest.
    """
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

    Examples
    --------
    >>> import pandas as pd
    >>> survey = pd.DataFrame({"q1": [5, 7, None], "q2": [1, 2, 3]})
    >>> values, missing = answers(survey, ["q1", "q2"], scale=(1, 7))
    >>> values["q1"].tolist(), missing.tolist()
    ([5.0, 7.0, nan], [False, False, True])
    >>> answers(pd.DataFrame({"q1": [5, 9]}), ["q1"], scale=(1, 7))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    crmlab.validation.CrmlabInputError: survey: column 'q1' has answers outside the scale 1–7 in row 1, e.g. 9. Fix: ...
    """
    import pandas as pd

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
    """The id columns of ``frame`` present (:data:`ID_COLUMNS`), for the selected rows.

    Examples
    --------
    >>> import pandas as pd
    >>> survey = pd.DataFrame({"customer_id": ["C1", "C2"], "recommend": [9, 3]})
    >>> id_columns(survey, survey["recommend"] < 7)
      customer_id
    1          C2
    """
    import pandas as pd

    return frame.loc[rows, [c for c in ID_COLUMNS if c in frame.columns]].copy()


def compare(op, left, right):
    """``op(left, right)`` value by value (``operator.eq``, ``operator.gt`` ...) as a numpy bool array:
    False where a value is missing or the two cannot be compared (ids of mixed types, categoricals
    with other categories).

    ``left`` and ``right`` are arrays (numpy or pandas, not Series, which would align on their
    index). Pandas arrays are compared as they are held: text held by pyarrow needs no millions of
    Python strings, which ``Series.to_numpy()`` would make.

    Examples
    --------
    >>> import operator
    >>> import pandas as pd
    >>> ids = pd.array(["C1", "C2", None], dtype="string")
    >>> compare(operator.eq, ids, pd.array(["C1", "C3", None], dtype="string")).tolist()
    [True, False, False]
    >>> compare(operator.gt, pd.array(["b", 2], dtype=object), pd.array(["a", "a"], dtype=object)).tolist()
    [False, False]
    """
    import numpy as np

    try:
        out = op(left, right)
    except TypeError:
        return np.zeros(len(left), dtype=bool)
    return out if isinstance(out, np.ndarray) else out.to_numpy(dtype=bool, na_value=False)


def runs(values):
    """Where each run of equal neighbouring values starts, e.g. the lines of one order in order lines
    grouped by order; a missing value starts a run of its own.

    Examples
    --------
    >>> import pandas as pd
    >>> runs(pd.array(["O1", "O1", "O2", None, None, "O1"])).tolist()
    [0, 2, 3, 4, 5]
    """
    import operator

    import numpy as np

    starts = np.ones(len(values), dtype=bool)
    starts[1:] = ~compare(operator.eq, values[1:], values[:-1])
    return np.flatnonzero(starts)


def in_window(times, customers, *, end, start=None, late: str | None = None):
    """Which purchases count: those with a customer and a time in [``start``, ``end``).

    The one rule for "the purchases of an analysis period": ``end`` is exclusive, the
    day after the last day analysed (``as_of`` everywhere in the kit), ``start`` the
    optional first day. Returns a boolean array of the rows kept and the counts of the
    rows set aside, by reason (``late`` names the purchases on or after ``end``), for
    :func:`report_set_aside`.

    Examples
    --------
    >>> import pandas as pd
    >>> times = pd.Series(pd.to_datetime(["2025-12-30", "2026-01-02", None, "2025-06-01"]))
    >>> customers = pd.Series(["a", "a", "b", None])
    >>> keep, counts = in_window(times, customers, end=pd.Timestamp("2026-01-01"))
    >>> keep.tolist()
    [True, False, False, False]
    >>> _ = report_set_aside(pd.DataFrame(), counts, what="purchases")
    purchases: set aside 1 purchases without a customer id, 1 purchases without a time, 1 purchases on or after as_of 2026-01-01
    """
    import numpy as np

    no_customer = customers.isna().to_numpy()
    no_time = times.isna().to_numpy() & ~no_customer
    after = (times >= end).to_numpy() & ~no_customer  # a missing time compares False
    before = np.zeros(len(times), bool) if start is None else (times < start).to_numpy() & ~no_customer
    counts = {"purchases without a customer id": no_customer.sum(), "purchases without a time": no_time.sum(),
              late or f"purchases on or after as_of {end:%Y-%m-%d}": after.sum()}
    if start is not None:
        counts[f"purchases before start {start:%Y-%m-%d}"] = before.sum()
    return ~(no_customer | no_time | after | before), counts


def purchases_before(purchases, as_of):
    """The rows of a purchase log (``customer_id``, ``order_ts``) before ``as_of``, checked,
    and the counts of the rows set aside (:func:`in_window`).

    Examples
    --------
    >>> import pandas as pd
    >>> log = pd.DataFrame({"customer_id": ["a", "a", "b"],
    ...                     "order_ts": pd.to_datetime(["2025-12-30", "2026-01-02", "2025-11-15"])})
    >>> before, counts = purchases_before(log, pd.Timestamp("2026-01-01"))
    >>> before["order_ts"].dt.strftime("%Y-%m-%d").tolist(), int(counts["purchases on or after as_of 2026-01-01"])
    (['2025-12-30', '2025-11-15'], 1)
    >>> purchases_before(log.astype({"order_ts": str}), pd.Timestamp("2026-01-01"))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    crmlab.validation.CrmlabInputError: purchases: column 'order_ts' is not a date/time column. ...
    """
    import pandas as pd

    frame_check(purchases, "purchases")
    require_columns(purchases.columns, ["customer_id", "order_ts"], table="purchases")
    if not pd.api.types.is_datetime64_any_dtype(purchases["order_ts"]):
        raise CrmlabInputError("purchases: column 'order_ts' is not a date/time column. Make the table with "
                               "crmlab.transactions.purchases(orders, order_lines), or convert it with pd.to_datetime.")
    keep, counts = in_window(purchases["order_ts"], purchases["customer_id"], end=as_of)
    return purchases[keep], counts


def boolean(values: pd.Series, column: str, table: str) -> pd.Series:
    """A True/False (or 0/1) column as bool with NA kept; anything else is an error.

    Examples
    --------
    >>> import pandas as pd
    >>> boolean(pd.Series([1, 0, None]), "responded", "interactions").tolist()
    [True, False, <NA>]
    >>> boolean(pd.Series(["yes", "no"]), "responded", "interactions")
    Traceback (most recent call last):
    ...
    crmlab.validation.CrmlabInputError: interactions: column 'responded' must be True/False (or 1/0); it is not in rows 0, 1, e.g. 'yes'.
    """
    import pandas as pd

    if pd.api.types.is_bool_dtype(values):
        return values.astype("boolean")
    bad = values.notna() & ~values.isin([0, 1])
    if bad.any():
        raise CrmlabInputError(f"{table}: column '{column}' must be True/False (or 1/0); it is not in "
                               f"{describe_rows(values.index[bad])}, e.g. {shown(values[bad].iloc[0])}.")
    return values.astype("Float64").astype("boolean")


def aligned(frame: pd.DataFrame, values, name: str) -> pd.Series:
    """A column name of ``frame`` or a Series aligned to its index, as floats.

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"spend": ["10", "20.5"]}, index=["a", "b"])
    >>> aligned(frame, "spend", "weight").tolist()
    [10.0, 20.5]
    >>> aligned(frame, pd.Series({"b": 2, "a": 1}), "weight").tolist()  # matched by index, not by position
    [1.0, 2.0]
    >>> aligned(frame, [1, 2], "weight")
    Traceback (most recent call last):
    ...
    crmlab.validation.CrmlabInputError: weight must be a column name, a Series indexed like the frame, or a number.
    """
    import pandas as pd

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


def values_per_customer(data, *, value_col: str | None = None, customer_col: str | None = None, table: str = "table",
                        allow_negative: bool = True):
    """One value per customer (客户价值) as a float Series indexed by customer, checked: the input of
    the Pareto table, the Lorenz curve and the Gini coefficient.

    Parameters
    ----------
    data : Series or DataFrame
        A Series indexed by customer, or a DataFrame with ``value_col`` (and ``customer_col``, else
        its index names the customers).
    value_col, customer_col : str, optional
        Columns of a DataFrame.
    table : str, default "table"
        The name messages use for ``data`` (the calling function's).
    allow_negative : bool, default True
        False where a negative value has no meaning (a share of a total that only grows).

    Returns
    -------
    Series
        Floats named after the value column; the values must add up to more than 0 and each customer
        may appear once.

    Examples
    --------
    >>> import pandas as pd
    >>> margin = pd.DataFrame({"customer_id": ["a", "b"], "margin": [30, 10]})
    >>> values_per_customer(margin, value_col="margin", customer_col="customer_id").to_dict()
    {'a': 30.0, 'b': 10.0}
    >>> values_per_customer(pd.Series([5.0, -1.0], index=pd.Index(["a", "b"], name="customer_id")),
    ...                     table="lorenz_curve", allow_negative=False)
    Traceback (most recent call last):
    ...
    crmlab.validation.CrmlabInputError: lorenz_curve: the Lorenz curve and the Gini coefficient need values >= 0; column 'value' is negative for customer b, e.g. -1.0. Decide how to treat loss-making customers, e.g. values.clip(lower=0) (count them as worth 0), or measure revenue.
    """
    import pandas as pd

    if isinstance(data, pd.DataFrame):
        if value_col is None:
            raise CrmlabInputError(f"{table}: pass the name of the value column, e.g. value_col='margin'.")
        require_columns(data.columns, [value_col] + ([customer_col] if customer_col else []), table=table)
        series = data.set_index(customer_col)[value_col] if customer_col else data[value_col]
    elif isinstance(data, pd.Series):
        series = data
    else:
        raise CrmlabInputError(f"{table}: expected a pandas Series of values per customer (or a DataFrame "
                               f"with value_col=...), got {type(data).__name__}.")
    require_nonempty(series, table=table)
    name = series.name if series.name is not None else "value"
    numbers = number_column(series, column=name, table=table,
                            fix="Fill them (e.g. .fillna(0) for customers without purchases) or remove those customers.")
    if series.index.has_duplicates:
        repeated = series.index[series.index.duplicated()].unique()  # each repeated customer named once
        raise CrmlabInputError(
            f"{table}: some customers appear more than once ({describe_ids(repeated, [True] * len(repeated))}). "
            "Sum the value per customer first, e.g. df.groupby('customer_id')['margin'].sum().")
    if not allow_negative and (numbers < 0).any():
        neg = (numbers < 0).to_numpy()
        raise CrmlabInputError(
            f"{table}: the Lorenz curve and the Gini coefficient need values >= 0; column '{name}' is negative "
            f"{describe_ids(series.index, neg)}, e.g. {shown(float(numbers[neg].iloc[0]))}. Decide how to treat "
            "loss-making customers, e.g. values.clip(lower=0) (count them as worth 0), or measure revenue.")
    total = numbers.sum()
    if not total > 0:
        raise CrmlabInputError(f"{table}: the values add up to {shown(float(total))}; shares of a total need a "
                               "positive total.")
    return numbers.rename(name)
