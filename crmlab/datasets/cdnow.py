"""CDNOW: the transaction panel of an online CD retailer (CDNOW 交易记录).

The data of Fader & Hardie (2001) and Fader, Hardie & Lee (2005): every
purchase, from January 1997 to the end of June 1998, of the 23 570 customers
who made their first purchase at CDNOW in the first quarter of 1997 (the
"full" panel), and the 1/10 sample of 2 357 of them used in the papers.
The files, their source, licence note and checksums are described in
``datasets/cdnow/README.md``.

This module only loads and types the transactions. Summaries such as
recency, frequency and monetary value (RFM) or customer lifetime value (CLV)
are computed in the chapters that teach them.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from crmlab.datasets import DATA_DIR
from crmlab.validation import CrmlabInputError, describe_rows

__all__ = ["load_cdnow", "CDNOW_COLUMNS", "DEFAULT_DATA_DIR"]

#: Where the shipped files live: ``cdnow/`` of the data shipped with crmlab (:data:`crmlab.datasets.DATA_DIR`).
#: CDNOW is real data, not generated, so a student's variant folder never replaces it.
DEFAULT_DATA_DIR = DATA_DIR / "cdnow"

#: Columns of the frame returned by :func:`load_cdnow`, in order.
CDNOW_COLUMNS = ("customer_id", "date", "quantity", "amount")

# kind -> (file name, fields per line, transactions, customers)
_FILES = {
    "full": ("CDNOW_master.txt", 4, 69_659, 23_570),
    "sample": ("CDNOW_sample.txt", 5, 6_919, 2_357),
}
_FIELDS = {
    4: "customer id, date (yyyymmdd), number of CDs, dollar value",
    5: "customer id, sample id, date (yyyymmdd), number of CDs, dollar value",
}
_FIRST_DAY = pd.Timestamp("1997-01-01")
_LAST_DAY = pd.Timestamp("1998-06-30")
_RESTORE = (
    "Restore the shipped file with `git checkout -- datasets/cdnow/` and "
    "compare its sha256 with datasets/cdnow/README.md."
)


def load_cdnow(kind: str = "sample", data_dir=None) -> pd.DataFrame:
    """Load the CDNOW transactions (CDNOW 交易记录) as a typed DataFrame.

    One row is one line of the original file: one order (订单) of one
    customer on one day. A customer can have several rows on the same day;
    they are kept as they are (the BG/NBD and Pareto/NBD papers count all
    purchases of a customer on one day as one transaction, 交易).

    Parameters
    ----------
    kind : {"sample", "full"}, default "sample"
        ``"sample"``: the 1/10 sample (样本) of 2 357 customers and 6 919
        rows used by Fader, Hardie & Lee (2005). ``"full"``: the whole
        first-quarter-1997 cohort (全量面板), 23 570 customers and 69 659
        rows.
    data_dir : str or pathlib.Path, optional
        Folder holding ``CDNOW_sample.txt`` and ``CDNOW_master.txt``.
        Defaults to the copy shipped with crmlab (:data:`DEFAULT_DATA_DIR`).

    Returns
    -------
    pandas.DataFrame
        Transactions sorted by ``customer_id`` then ``date`` (same-day rows
        keep their order in the file), with a fresh ``RangeIndex`` and the
        columns

        ==============  ==============  ==========================================
        column          dtype           meaning
        ==============  ==============  ==========================================
        ``customer_id`` int64           customer id (客户编号) of the full panel,
                                        1 to 23 570; the sample keeps these ids
        ``date``        datetime64[ns]  purchase date (购买日期), 1997-01-01 to
                                        1998-06-30
        ``quantity``    int64           number of CDs bought (购买数量, 张)
        ``amount``      float64         value of the order (消费金额), US dollars;
                                        a few rows are 0.00
        ==============  ==============  ==========================================

    Raises
    ------
    FileNotFoundError
        If the data folder or the file for ``kind`` does not exist.
    CrmlabInputError
        If ``kind`` is not ``"sample"`` or ``"full"``, or the file is not the
        CDNOW file as shipped (wrong number of fields, unreadable values,
        wrong number of rows or customers, dates outside the panel).

    Examples
    --------
    >>> from crmlab.datasets.cdnow import load_cdnow
    >>> tx = load_cdnow("sample")
    >>> tx.shape
    (6919, 4)
    >>> tx["customer_id"].nunique()
    2357
    >>> tx.head(3)
       customer_id       date  quantity  amount
    0            4 1997-01-01         2   29.33
    1            4 1997-01-18         2   29.73
    2            4 1997-08-02         1   14.96
    >>> full = load_cdnow("full")
    >>> len(full), full["customer_id"].nunique()
    (69659, 23570)
    """
    if kind not in _FILES:
        raise CrmlabInputError(
            f"kind must be 'sample' (2 357 customers) or 'full' (23 570 customers), "
            f"not {kind!r}. Example: load_cdnow('sample')."
        )
    file_name, n_fields, n_rows, n_customers = _FILES[kind]
    folder = DEFAULT_DATA_DIR if data_dir is None else Path(data_dir)
    path = folder / file_name
    if not path.is_file():
        raise FileNotFoundError(_missing_message(folder, path, data_dir is None))

    header = _has_header(path)
    first_line = header + 1  # line number in the file of the first data row
    raw = _read_fields(path, n_fields, header, first_line)
    if n_fields == 5:
        raw = raw.drop(columns=1)  # the sample's own 1..2357 numbering
    raw.columns = list(CDNOW_COLUMNS)

    tx = pd.DataFrame(
        {
            "customer_id": _integers(raw["customer_id"], path, first_line, "customer id"),
            "date": _dates(raw["date"], path, first_line),
            "quantity": _integers(raw["quantity"], path, first_line, "number of CDs"),
            "amount": _amounts(raw["amount"], path, first_line),
        }
    )
    _check_shape(tx, path, kind, n_rows, n_customers)
    return tx.sort_values(["customer_id", "date"], kind="stable", ignore_index=True)


def _missing_message(folder: Path, path: Path, default: bool) -> str:
    if default:
        fix = (
            "The CDNOW files ship with crmlab (datasets/cdnow in the repository, inside "
            "the package when installed); this installation lacks them. Reinstall crmlab "
            "(`python kit.py lab` in the repository, or pip install of its wheel), or pass "
            "the folder holding the files: load_cdnow(data_dir='path/to/cdnow')."
        )
    elif not folder.is_dir():
        fix = (
            f"The folder {folder} does not exist. Pass data_dir= the folder that "
            "holds CDNOW_sample.txt and CDNOW_master.txt, or leave it out to use "
            "the copy shipped with crmlab."
        )
    else:
        fix = (
            f"The folder {folder} exists but has no {path.name}. Copy the file "
            "from datasets/cdnow in the crmlab repository, or leave data_dir out "
            "to use the shipped copy."
        )
    return f"CDNOW data file not found: {path}. {fix}"


def _has_header(path: Path) -> int:
    """1 if the first line is a header (the lifetimes copy of the master file has one)."""
    with path.open("rb") as handle:
        first = handle.readline().split()
    return int(bool(first) and not first[0].isdigit())


def _read_fields(path: Path, n_fields: int, header: int, first_line: int) -> pd.DataFrame:
    """Read the whitespace-separated file as text, one column per field."""
    try:
        raw = pd.read_csv(path, sep=r"\s+", header=None, dtype=str, skiprows=header)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as err:
        raise CrmlabInputError(
            f"{path} cannot be read as the CDNOW file ({str(err).strip()}). Each line should hold "
            f"{n_fields} fields separated by spaces: {_FIELDS[n_fields]}. {_RESTORE}"
        ) from None
    if raw.shape[1] != n_fields:
        other = {4: "full (CDNOW_master.txt)", 5: "sample (CDNOW_sample.txt)"}
        hint = f" It looks like the {other[raw.shape[1]]} file." if raw.shape[1] in other else ""
        raise CrmlabInputError(
            f"{path} has {raw.shape[1]} fields per line; the CDNOW file for this kind "
            f"has {n_fields}: {_FIELDS[n_fields]}.{hint} {_RESTORE}"
        )
    blank = raw.isna().any(axis=1)
    if blank.any():
        raise _bad_lines(path, raw.index[blank], first_line, f"fewer than {n_fields} fields")
    return raw


def _bad_lines(path: Path, index, first_line: int, what: str) -> CrmlabInputError:
    lines = index + first_line
    return CrmlabInputError(
        f"{path}: {what} on {describe_rows(lines)} (numbered as lines of the file, "
        f"from 1). {_RESTORE}"
    )


def _integers(text: pd.Series, path: Path, first_line: int, what: str) -> pd.Series:
    ok = text.str.fullmatch(r"\d+")
    if not ok.all():
        raise _bad_lines(path, text.index[~ok], first_line, f"{what} is not a whole number")
    return text.astype("int64")


def _dates(text: pd.Series, path: Path, first_line: int) -> pd.Series:
    dates = pd.to_datetime(text, format="%Y%m%d", errors="coerce")
    bad = dates.isna()
    if bad.any():
        raise _bad_lines(path, text.index[bad], first_line, "date is not a yyyymmdd date")
    return dates.astype("datetime64[ns]")


def _amounts(text: pd.Series, path: Path, first_line: int) -> pd.Series:
    amounts = pd.to_numeric(text, errors="coerce").astype("float64")
    bad = ~((amounts >= 0) & (amounts < float("inf")))  # NaN fails both
    if bad.any():
        raise _bad_lines(path, text.index[bad], first_line, "dollar value is not a number >= 0")
    return amounts


def _check_shape(tx: pd.DataFrame, path: Path, kind: str, n_rows: int, n_customers: int) -> None:
    found = (len(tx), tx["customer_id"].nunique())
    if found != (n_rows, n_customers):
        raise CrmlabInputError(
            f"{path} has {found[0]:,} transactions of {found[1]:,} customers; the CDNOW "
            f"{kind} file has {n_rows:,} of {n_customers:,}. The file is truncated or "
            f"changed. {_RESTORE}"
        )
    first, last = tx["date"].min(), tx["date"].max()
    if first < _FIRST_DAY or last > _LAST_DAY:
        raise CrmlabInputError(
            f"{path} has dates from {first:%Y-%m-%d} to {last:%Y-%m-%d}; the CDNOW panel "
            f"runs from {_FIRST_DAY:%Y-%m-%d} to {_LAST_DAY:%Y-%m-%d}. {_RESTORE}"
        )
