"""Tests of the shipped CDNOW data and its loader (crmlab.datasets.cdnow).

The counts asserted here were found by reading the files and, where a paper
or the data's own summary file gives a figure, checked against it.
"""
from __future__ import annotations

import hashlib
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pandas.testing as tm
import pytest

from crmlab.datasets.cdnow import CDNOW_COLUMNS, DEFAULT_DATA_DIR, load_cdnow
from crmlab.validation import CrmlabInputError

DATA_DIR = Path(__file__).resolve().parents[1] / "datasets" / "cdnow"
CAL_END = pd.Timestamp("1997-09-30")  # end of week 39 of 1997: calibration period (校准期)


@pytest.fixture(scope="module")
def sample() -> pd.DataFrame:
    return load_cdnow("sample")


@pytest.fixture(scope="module")
def full() -> pd.DataFrame:
    return load_cdnow("full")


def test_default_data_dir_is_the_shipped_folder():
    assert DEFAULT_DATA_DIR == DATA_DIR
    assert load_cdnow().equals(load_cdnow("sample", data_dir=DATA_DIR))


@pytest.mark.parametrize("kind", ["sample", "full"])
def test_columns_dtypes_and_order(kind, request):
    tx = request.getfixturevalue(kind)
    assert tuple(tx.columns) == CDNOW_COLUMNS == ("customer_id", "date", "quantity", "amount")
    assert tx.dtypes.astype(str).to_dict() == {
        "customer_id": "int64",
        "date": "datetime64[ns]",
        "quantity": "int64",
        "amount": "float64",
    }
    assert isinstance(tx.index, pd.RangeIndex) and tx.index[0] == 0
    assert not tx.isna().any().any()
    key = tx[["customer_id", "date"]]
    assert key.equals(key.sort_values(["customer_id", "date"], ignore_index=True))


def test_full_panel_counts(full):
    assert len(full) == 69_659
    assert full["customer_id"].nunique() == 23_570
    # ids run 1..23 570 without gaps
    assert np.array_equal(np.unique(full["customer_id"]), np.arange(1, 23_571))
    assert full["date"].min() == pd.Timestamp("1997-01-01")
    assert full["date"].max() == pd.Timestamp("1998-06-30")
    # a cohort: every customer's first purchase is in the first quarter of 1997
    first = full.groupby("customer_id")["date"].min()
    assert first.max() <= pd.Timestamp("1997-03-31")


def test_sample_counts(sample):
    """6 919 rows = every purchase line of the 2 357 sample customers, first
    purchases included (BTYD's cdnowElog has the same 6 919 entries). 223 rows
    repeat a customer-day already seen, so the papers' transaction count
    (same-day purchases merged) is 6 696: 2 357 first purchases and 4 339
    repeat transactions over the 78 weeks."""
    assert len(sample) == 6_919
    assert sample["customer_id"].nunique() == 2_357
    assert sample.duplicated(["customer_id", "date"]).sum() == 223
    assert len(sample.drop_duplicates(["customer_id", "date"])) == 6_696
    assert sample["date"].min() == pd.Timestamp("1997-01-01")
    assert sample["date"].max() == pd.Timestamp("1998-06-30")


def test_sample_is_the_full_history_of_a_subset_of_the_panel(sample, full):
    assert set(sample["customer_id"]) <= set(full["customer_id"])
    theirs = full[full["customer_id"].isin(sample["customer_id"])]
    order = list(CDNOW_COLUMNS)
    tm.assert_frame_equal(
        sample.sort_values(order, ignore_index=True),
        theirs.sort_values(order, ignore_index=True),
    )


@pytest.mark.parametrize("kind, zero_rows, same_day_rows", [("full", 80, 2_068), ("sample", 8, 223)])
def test_amounts_quantities_and_oddities(kind, zero_rows, same_day_rows, request):
    tx = request.getfixturevalue(kind)
    assert (tx["amount"] >= 0).all()
    assert (tx["quantity"] >= 1).all()
    zero = tx[tx["amount"] == 0]
    # free orders: one CD each, never on a day with another row of the customer
    assert len(zero) == zero_rows
    assert (zero["quantity"] == 1).all()
    assert not zero.duplicated(["customer_id", "date"], keep=False).any()
    assert tx.duplicated(["customer_id", "date"]).sum() == same_day_rows


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_sha256_of_shipped_files_matches_readme():
    readme = (DATA_DIR / "README.md").read_text(encoding="utf-8")
    listed = dict(re.findall(r"^\| `([^`/]+)` \|.*`([0-9a-f]{64})` \|\s*$", readme, re.M))
    shipped = sorted(p.name for p in DATA_DIR.iterdir() if p.suffix in {".txt", ".csv"})
    assert sorted(listed) == shipped == [
        "CDNOW_master.txt",
        "CDNOW_sample.txt",
        "cdnow_customers_summary.csv",
        "cdnow_customers_summary_with_transactions.csv",
    ]
    for name, digest in listed.items():
        assert _sha256(DATA_DIR / name) == digest, name


def _calibration_days(sample: pd.DataFrame) -> pd.DataFrame:
    """One row per customer-day (同日多笔合并为一次交易) up to the calibration end."""
    days = sample.groupby(["customer_id", "date"], as_index=False)["amount"].sum()
    return days[days["date"] <= CAL_END]


def test_published_calibration_figures(sample):
    """Fader, Hardie & Lee (2005): of the 2 357 sample customers, 1 411 make no
    repeat purchase in the 39-week calibration period. That period is weeks
    1-39 of 1997 for everyone (ends 1997-09-30; each customer's first purchase
    is in it), not 39 weeks from each customer's own first purchase (that
    reading gives 1 355 and 2 824). The 2 457 repeat transactions are the sum
    of x in Hardie's summary file."""
    days = _calibration_days(sample)
    repeats = days.groupby("customer_id").size() - 1  # first purchase is not a repeat
    assert len(repeats) == 2_357
    assert (repeats == 0).sum() == 1_411
    assert repeats.sum() == 2_457


def test_summary_files_agree_with_the_transactions(sample):
    """Recompute Hardie's per-customer summary (x, t_x, T, zbar) from the
    transactions and compare, customer by customer."""
    summary = pd.read_csv(DATA_DIR / "cdnow_customers_summary_with_transactions.csv")
    short = pd.read_csv(DATA_DIR / "cdnow_customers_summary.csv")
    assert len(summary) == len(short) == 2_357
    np.testing.assert_array_equal(
        short[["ID", "frequency", "recency", "T"]].to_numpy(),
        summary[["ID", "x", "t_x", "T"]].to_numpy(),
    )

    # The summaries are keyed by the sample's own id (2nd field of the file):
    # the customer's rank by first purchase date, then customer_id.
    raw = pd.read_csv(DATA_DIR / "CDNOW_sample.txt", sep=r"\s+", header=None)
    assert raw.groupby(0)[1].nunique().eq(1).all()  # one sample id per customer
    sample_id = raw.groupby(0)[1].first().rename_axis("customer_id")
    first = sample.groupby("customer_id")["date"].min()
    by_first = first.reset_index().sort_values(["date", "customer_id"])["customer_id"]
    rank = pd.Series(np.arange(1, len(by_first) + 1), index=by_first.to_numpy())
    np.testing.assert_array_equal(rank.sort_index().to_numpy(), sample_id.to_numpy())
    np.testing.assert_array_equal(rank.sort_index().index, sample_id.index)

    days = _calibration_days(sample)
    days = days.assign(first=days.groupby("customer_id")["date"].transform("min"))
    repeat = days[days["date"] > days["first"]]
    weeks = pd.Timedelta(weeks=1)
    ours = pd.DataFrame(
        {
            "x": days.groupby("customer_id").size() - 1,
            "t_x": (days.groupby("customer_id")["date"].max() - first) / weeks,
            "T": (CAL_END - first) / weeks,
            "zbar": repeat.groupby("customer_id")["amount"].mean(),
        }
    ).fillna({"zbar": 0.0})
    ours.index = ours.index.map(sample_id)
    ours = ours.sort_index()
    theirs = summary.set_index("ID")
    np.testing.assert_array_equal(ours.index, theirs.index)
    np.testing.assert_array_equal(ours["x"], theirs["x"])
    for col in ["t_x", "T", "zbar"]:  # the file rounds to 2 decimals
        np.testing.assert_allclose(ours[col], theirs[col], rtol=0, atol=0.005 + 1e-9, err_msg=col)


# --- bad input gives a clear error --------------------------------------------------


def test_missing_data_dir_names_the_path_and_the_fix(tmp_path):
    folder = tmp_path / "no_such_folder"
    with pytest.raises(FileNotFoundError) as err:
        load_cdnow("sample", data_dir=folder)
    message = str(err.value)
    assert str(folder / "CDNOW_sample.txt") in message
    assert "does not exist" in message and "data_dir" in message


def test_folder_without_the_file_names_the_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="has no CDNOW_master.txt"):
        load_cdnow("full", data_dir=tmp_path)


def test_unknown_kind():
    with pytest.raises(CrmlabInputError, match="'sample'.*'full'"):
        load_cdnow("master")


def test_truncated_file_is_refused(tmp_path):
    lines = (DATA_DIR / "CDNOW_master.txt").read_bytes().splitlines(keepends=True)
    (tmp_path / "CDNOW_master.txt").write_bytes(b"".join(lines[:1000]))
    with pytest.raises(CrmlabInputError, match=r"999 transactions.*69,659"):
        load_cdnow("full", data_dir=tmp_path)


def test_sample_file_passed_as_full_is_recognised(tmp_path):
    shutil.copy(DATA_DIR / "CDNOW_sample.txt", tmp_path / "CDNOW_master.txt")
    with pytest.raises(CrmlabInputError, match="5 fields.*has 4.*sample"):
        load_cdnow("full", data_dir=tmp_path)


def test_bad_value_names_the_file_line(tmp_path):
    lines = (DATA_DIR / "CDNOW_master.txt").read_bytes().splitlines(keepends=True)
    assert lines[2] == b" 00002 19970112  1   12.00\r\n"  # file line 3
    lines[2] = b" 00002 19971312  1   12.00\r\n"  # month 13
    (tmp_path / "CDNOW_master.txt").write_bytes(b"".join(lines))
    with pytest.raises(CrmlabInputError, match=r"date is not a yyyymmdd date on row 3\b"):
        load_cdnow("full", data_dir=tmp_path)
    lines[2] = b" 00002 19970112  1   -12.00\r\n"
    (tmp_path / "CDNOW_master.txt").write_bytes(b"".join(lines))
    with pytest.raises(CrmlabInputError, match=r"dollar value .* on row 3\b"):
        load_cdnow("full", data_dir=tmp_path)


def test_master_without_header_line_reads_the_same(tmp_path, full):
    """Hardie's own copy of the master file has no header line; lifetimes' has."""
    lines = (DATA_DIR / "CDNOW_master.txt").read_bytes().splitlines(keepends=True)
    assert lines[0].split() == [b"customer_id", b"date", b"number_of_cds", b"dollar_value"]
    (tmp_path / "CDNOW_master.txt").write_bytes(b"".join(lines[1:]))
    tm.assert_frame_equal(load_cdnow("full", data_dir=tmp_path), full)
