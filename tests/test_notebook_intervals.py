"""Intervals only where there is sampling uncertainty: a scan of every table the notebooks print.

An interval is read as a pair of columns ``X_low`` / ``X_high`` (estimate ``X`` or ``X_mean``) or ``ci_low`` /
``ci_high`` (estimate: the column just before ``ci_low``), and also ``or_low`` / ``or_high`` for
``odds_ratio``. A row fails when its interval is printed for
- a ratio that is 1 by definition: the reference level of a ratio column;
- a share that is 100 % by definition: the all / overall / total row of a share column;
- a number with no spread at all: the interval has width zero.
"""
import math
import re

import pytest
from _notebooks import NOTEBOOKS, output_tables

NAMES = sorted(p.stem for p in NOTEBOOKS.glob("*.ipynb"))
TOTAL_ROWS = re.compile(r"^(all|overall|total)\b|全部|总体|合计", re.I)
RATIO = re.compile(r"ratio|relative", re.I)


def _number(text):
    try:
        return float(str(text).replace(",", "").replace("%", "").replace("−", "-"))
    except ValueError:
        return math.nan


def _intervals(table):
    """(estimate column, low column, high column) of every interval in the table."""
    columns = list(table.columns)
    found = []
    for i, low in enumerate(columns):
        if not low.endswith("_low") or low[:-4] + "_high" not in columns:
            continue
        base = low[:-4]
        estimate = {"ci": columns[i - 1] if i else None, "or": "odds_ratio"}.get(base, base)
        estimate = estimate if estimate in columns else base + "_mean"  # c_low / c_high go with c_mean
        if estimate in columns:
            found.append((estimate, low, base + "_high"))
    return found


def _problems(name):
    out = []
    for cell, table in output_tables(name):
        label = table.iloc[:, 0].astype(str)
        for estimate, low, high in _intervals(table):
            for row in range(len(table)):
                x, lo, hi = (_number(table.iloc[row][c]) for c in (estimate, low, high))
                if math.isnan(lo) and math.isnan(hi):
                    continue  # no interval printed: right for a fixed quantity
                where = f"{name} cell {cell} row {label.iloc[row]!r} column {estimate!r}"
                if RATIO.search(estimate) and x == 1:
                    out.append(f"{where}: a reference ratio of 1 with an interval {lo}-{hi}")
                elif TOTAL_ROWS.search(label.iloc[row]) and "share" in estimate and x in (1, 100):
                    out.append(f"{where}: a 100 % total with an interval {lo}-{hi}")
                elif lo == hi:
                    out.append(f"{where}: an interval of width zero ({lo}-{hi})")
    return out


@pytest.mark.parametrize("name", NAMES)
def test_no_interval_on_a_quantity_without_sampling_uncertainty(name):
    assert _problems(name) == []


def test_the_scan_finds_each_kind_of_fixed_quantity(monkeypatch):
    """The scan itself, on printed tables made for the purpose: each fault is found, a proper
    estimate and an empty interval are not."""
    import pandas as pd

    tables = [(1, pd.DataFrame({"level": ["a", "b"], "ratio": ["1.000", "1.200"], "ratio_low": ["0.85", "1.01"],
                                 "ratio_high": ["1.18", "1.41"]})),
              (2, pd.DataFrame({"level": ["x", "overall"], "share": ["0.400", "1.000"], "share_low": ["0.35", "0.996"],
                                 "share_high": ["0.45", "1.000"]})),
              (3, pd.DataFrame({"level": ["satisfied"], "c_mean": ["1.000"], "c_low": ["1.000"], "c_high": ["1.000"]})),
              (4, pd.DataFrame({"level": ["ref", "b"], "rate": ["0.5", "0.6"], "ci_low": ["0.4", "0.5"],
                                 "ci_high": ["0.6", "0.7"], "ratio": ["1.000", "1.2"], "ratio_low": ["NaN", "1.0"],
                                 "ratio_high": ["", "1.4"]}))]
    monkeypatch.setattr(__import__(__name__), "output_tables", lambda name: tables)
    found = _problems("made-up")
    assert [p.split(":")[0] for p in found] == [
        "made-up cell 1 row 'a' column 'ratio'", "made-up cell 2 row 'overall' column 'share'",
        "made-up cell 3 row 'satisfied' column 'c_mean'"], found
