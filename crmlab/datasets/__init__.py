"""Load the kit's data (加载数据): the sample company, its planted truth and CDNOW.

Every loader returns a typed DataFrame whose columns are those of the data
dictionary (``datasets/README.md``): dates parsed, categories with their
levels, whole numbers as integers, missing text as ``<NA>``. A file whose
columns or values do not match the dictionary is rejected with a message that
names the column, the rows and the fix.

Examples
--------
>>> from crmlab.datasets import load_data
>>> orders = load_data("orders")
>>> orders["status"].cat.categories.tolist()
['completed', 'returned', 'cancelled']
>>> load_data("cdnow_sample")["customer_id"].nunique()
2357
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd

from crmlab.datasets.schema import TABLES, Table
from crmlab.validation import CrmlabInputError, describe_rows, parse_datetimes, read_csv_text

#: The environment variable that points the loaders at another data folder (e.g. a student's variant).
DATA_DIR_VARIABLE = "CRMLAB_DATA_DIR"


def _shipped() -> Path:
    # A wheel installs the data as crmlab_data/ beside the package; a checkout has them in datasets/.
    beside = Path(__file__).resolve().parents[2]
    return beside / "crmlab_data" if (beside / "crmlab_data").is_dir() else beside / "datasets"


#: The data shipped with crmlab: ``crmlab_data/`` beside the installed package, or ``datasets/`` of the
#: kit's repository.
DATA_DIR = _shipped()


def data_folder(data_dir=None) -> Path:
    """The folder the loaders read (数据目录), first found of:

    1. ``data_dir``, when given;
    2. the folder named by the environment variable ``CRMLAB_DATA_DIR``
       (e.g. a student's own variant, written by ``crmlab data generate``);
    3. the data shipped with crmlab (:data:`DATA_DIR`): installed with the
       package, or ``datasets/`` of the kit's repository.

    Examples
    --------
    >>> data_folder("my_data").name
    'my_data'
    >>> (data_folder() / "retail" / "orders.csv").exists()
    True
    """
    if data_dir is not None:
        return Path(data_dir)
    from_environment = os.environ.get(DATA_DIR_VARIABLE)
    return Path(from_environment) if from_environment else DATA_DIR
CDNOW = {"cdnow_sample": "sample", "cdnow_full": "full"}


def list_tables() -> pd.DataFrame:
    """The tables :func:`load_data` knows, with Chinese names and descriptions.

    Examples
    --------
    >>> list_tables().loc["orders", "zh"]
    '订单'
    """
    rows = [(t.name, t.zh, t.folder, len(t.columns), t.truth, t.text) for t in TABLES.values()]
    rows += [(name, f"CDNOW 交易记录（{kind}）", "cdnow", 4, False, "Real CD-retailer transactions, 1997-1998 (Fader & Hardie).")
             for name, kind in CDNOW.items()]
    return pd.DataFrame(rows, columns=["table", "zh", "folder", "n_columns", "truth", "description"]).set_index("table")


def load_data(name: str, *, data_dir=None) -> pd.DataFrame:
    """Load one table, typed and checked against the data dictionary.

    Parameters
    ----------
    name : str
        A table of the sample company (``"customers"``, ``"orders"``,
        ``"order_lines"``, ...; see :func:`list_tables`), a truth table
        (``"customer_truth"``, ``"identity_map"``), or ``"cdnow_sample"`` /
        ``"cdnow_full"``.
    data_dir : str or Path, optional
        Folder written by :func:`crmlab.generator.generate` (for example a
        student's own variant). Default: :func:`data_folder` (the folder in
        ``CRMLAB_DATA_DIR``, else the data shipped with the kit); CDNOW, real
        data, comes from the shipped copy unless ``data_dir`` is given.

    Returns
    -------
    pandas.DataFrame
        Columns exactly as documented in ``datasets/README.md``.

    Raises
    ------
    CrmlabInputError
        Unknown table, or a file whose columns or values do not match the
        dictionary.
    FileNotFoundError
        The file is not there; the message says how to make it.

    Examples
    --------
    >>> customers = load_data("customers")
    >>> customers.dtypes["signup_ts"]
    dtype('<M8[s]')
    """
    if name in CDNOW:
        from crmlab.datasets.cdnow import load_cdnow

        # Real data, not generated: from the shipped copy unless data_dir is given.
        return load_cdnow(CDNOW[name], data_dir=None if data_dir is None else Path(data_dir) / "cdnow")
    table = _table(name)
    return read_table(data_folder(data_dir) / table.folder / f"{name}.csv", name)


def load_truth(*, data_dir=None) -> dict:
    """The planted parameters of the sample company (``retail_truth/truth.json``).

    For tests, instructors and answer keys: what each analysis should recover.

    Examples
    --------
    >>> load_truth()["parameters"]["complaint_prob"] == 1 / 27
    True
    """
    path = data_folder(data_dir) / "retail_truth" / "truth.json"
    if not path.exists():
        raise FileNotFoundError(_missing(path))
    return json.loads(path.read_text(encoding="utf-8"))


def read_table(path, name: str) -> pd.DataFrame:
    """Read a CSV file as table ``name`` of the data dictionary: check its columns, type its values.

    Files re-saved by Excel on Chinese Windows (GBK, dates like 2024/6/18 9:05) are read as well.

    Examples
    --------
    >>> stores = read_table(DATA_DIR / "retail" / "stores.csv", "stores")
    >>> len(stores), stores.dtypes["opened_date"]
    (25, dtype('<M8[s]'))
    >>> stores.loc[0, ["store_id", "region"]].tolist()
    ['S01', 'north']
    >>> read_table(DATA_DIR / "retail" / "stores.csv", "products")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    crmlab.validation.CrmlabInputError: ...stores.csv does not match the data dictionary for 'products': missing [...
    """
    table = _table(name)
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(_missing(path))
    raw, _ = read_csv_text(path)
    _check_columns(raw.columns, table, path)
    return pd.DataFrame({c.name: _typed(raw[c.name], c, name) for c in table.columns})


def _table(name) -> Table:
    if name not in TABLES:
        import difflib

        known = [*TABLES, *CDNOW]
        close = difflib.get_close_matches(str(name), known, n=1)
        hint = f" Did you mean '{close[0]}'?" if close else ""
        raise CrmlabInputError(f"unknown table {name!r}.{hint} Known tables: {', '.join(known)}.")
    return TABLES[name]


def _missing(path: Path) -> str:
    return (f"{path} does not exist. The loaders read data_dir= when given, else the folder in the "
            f"environment variable {DATA_DIR_VARIABLE}, else the data shipped with crmlab ({DATA_DIR}). "
            "For another folder, write it first with `crmlab data generate --out FOLDER` "
            "(or crmlab.generator.generate) and pass data_dir=FOLDER.")


def _check_columns(columns, table: Table, path: Path) -> None:
    expected = table.column_names
    got = [str(c) for c in columns]
    if got == expected:
        return
    missing = [c for c in expected if c not in got]
    extra = [c for c in got if c not in expected]
    if not missing and not extra:
        raise CrmlabInputError(f"{path}: columns are in a different order than the data dictionary; "
                               f"expected {expected}.")
    raise CrmlabInputError(
        f"{path} does not match the data dictionary for '{table.name}': "
        f"missing {missing or 'nothing'}, unexpected {extra or 'nothing'}. "
        "Rename the columns to the documented names (datasets/README.md) or regenerate the file "
        "with `crmlab data generate`.")


def _typed(text: pd.Series, col, table: str) -> pd.Series:
    blank = text.str.strip() == ""

    def fail(mask, what):
        raise CrmlabInputError(
            f"{table}: column '{col.name}' {what} in {describe_rows(text.index[mask])}, "
            f"e.g. {text[mask].iloc[0]!r}. Fix these cells or regenerate the file with `crmlab data generate`.")

    if col.kind == "str":
        return text.astype("string").mask(blank)
    if col.kind in ("datetime", "date"):
        return parse_datetimes(text, column=col.name, table=table)
    if col.kind == "bool":
        mapped = text.str.strip().str.lower().map({"true": True, "false": False, "1": True, "0": False})
        if (mapped.isna() & ~blank).any():
            fail(mapped.isna() & ~blank, "has values that are not True/False")
        return mapped.astype("boolean") if blank.any() else mapped.astype(bool)
    if col.kind == "category":
        values = text.mask(blank)
        unknown = values.notna() & ~values.isin(col.levels)
        if unknown.any():
            fail(unknown, f"has values outside {list(col.levels)}")
        return pd.Series(pd.Categorical(values, categories=list(col.levels)), index=text.index)
    numbers = pd.to_numeric(text.mask(blank), errors="coerce")
    if (numbers.isna() & ~blank).any():
        fail(numbers.isna() & ~blank, "has values that are not numbers")
    if col.kind == "int":
        if blank.any():
            fail(blank, "is empty")
        if (numbers % 1 != 0).any():
            fail(numbers % 1 != 0, "has values that are not whole numbers")
        return numbers.astype("int64")
    return numbers.astype("float64")
