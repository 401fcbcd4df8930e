"""The shipped data: dictionary in step with the files, loaders, and what the course teaches."""
import re

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from crmlab.datasets import DATA_DIR, data_folder, list_tables, load_data, load_truth, read_table
from crmlab.crm_system import render_schema
from crmlab.datasets.schema import SERVQUAL_DIMENSIONS, TABLES, render_dictionary
from crmlab.validation import CrmlabInputError

README = DATA_DIR / "README.md"


# ------------------------------------------------------------------ dictionary

def _documented_columns():
    """Columns per table as a reader sees them in datasets/README.md."""
    text = README.read_text(encoding="utf-8")
    blocks = re.findall(r"<!-- columns: (\w+) -->(.*?)<!-- /columns -->", text, flags=re.S)
    return {name: re.findall(r"^\| `(\w+)` \|", body, flags=re.M) for name, body in blocks}


def test_every_table_and_column_is_documented_and_every_documented_column_exists():
    documented = _documented_columns()
    assert set(documented) == set(TABLES)
    for name, table in TABLES.items():
        header = (DATA_DIR / table.folder / f"{name}.csv").read_text(encoding="utf-8-sig").split("\n", 1)[0]
        assert header.split(",") == documented[name], name


def test_the_dictionary_in_the_readme_is_up_to_date_with_the_schema():
    text = README.read_text(encoding="utf-8")
    assert render_dictionary(text) == text, "run: python tools/update_data_dictionary.py"
    assert render_schema(text) == text, "the CRM database's schema changed; run: python tools/update_data_dictionary.py"
    for table in TABLES.values():  # every column carries a Chinese name and an explanation
        for col in table.columns:
            assert re.search(r"[\u4e00-\u9fff]", col.zh) and col.text, (table.name, col.name)



def test_the_survey_items_in_the_dictionary_follow_the_servqual_dimensions():
    """The 22 expectation and perception items are written out in dictionary/columns.csv; each must name
    the dimension SERVQUAL_DIMENSIONS gives it, in English and Chinese."""
    zh = {"tangibles": "有形性", "reliability": "可靠性", "responsiveness": "响应性", "assurance": "保证性",
          "empathy": "移情性"}
    columns = {c.name: c for c in TABLES["survey"].columns}
    for dimension, items in SERVQUAL_DIMENSIONS.items():
        for i in items:
            for prefix in ("exp", "per"):
                col = columns[f"{prefix}_{i:02d}"]
                assert f"item {i} ({dimension})" in col.text and zh[dimension] in col.zh, col
        assert zh[dimension] in columns[f"imp_{dimension}"].zh
    assert sum(name.startswith(("exp_", "per_")) for name in columns) == 44

def test_shipped_csvs_open_in_excel_on_chinese_windows():
    # Excel detects UTF-8 only from the byte-order mark.
    for table in TABLES.values():
        assert (DATA_DIR / table.folder / f"{table.name}.csv").read_bytes()[:3] == b"\xef\xbb\xbf"


def test_shipped_data_is_small_enough_for_git():
    size = sum(p.stat().st_size for p in DATA_DIR.rglob("*") if p.is_file())
    assert size < 16e6


# ------------------------------------------------------------------ loaders

def test_loaders_return_documented_typed_columns():
    for name, table in TABLES.items():
        frame = load_data(name)
        assert list(frame.columns) == table.column_names
        for col in table.columns:
            dtype = frame[col.name].dtype
            expected = {"datetime": "M", "date": "M", "int": "i", "float": "f", "bool": "b"}.get(col.kind)
            if col.kind == "category":
                assert list(dtype.categories) == list(col.levels), (name, col.name)
            elif col.kind == "bool" and frame[col.name].isna().any():
                assert str(dtype) == "boolean"
            elif expected:
                assert dtype.kind == expected, (name, col.name, dtype)
    assert load_data("interactions")["responded"].isna().any()  # customer-initiated contacts


def test_list_tables_names_every_table_in_chinese():
    tables = list_tables()
    assert set(TABLES) <= set(tables.index) and {"cdnow_sample", "cdnow_full"} <= set(tables.index)
    assert tables["zh"].str.contains(r"[\u4e00-\u9fff]").all()


def test_unknown_table_suggests_the_right_name():
    with pytest.raises(CrmlabInputError, match="unknown table 'ordres'. Did you mean 'orders'"):
        load_data("ordres")


def test_missing_folder_says_how_to_make_it(tmp_path):
    with pytest.raises(FileNotFoundError, match="crmlab data generate --out FOLDER"):
        load_data("orders", data_dir=tmp_path)


def test_data_are_found_in_data_dir_then_the_environment_then_the_shipped_copy(tmp_path, monkeypatch):
    variant = tmp_path / "variant"
    (variant / "retail").mkdir(parents=True)
    (variant / "retail" / "orders.csv").write_bytes((DATA_DIR / "retail" / "orders.csv").read_bytes()[:3000]
                                                   .rsplit(b"\n", 1)[0] + b"\n")
    shipped = len(load_data("orders"))
    monkeypatch.setenv("CRMLAB_DATA_DIR", str(variant))
    assert data_folder() == variant
    assert 0 < len(load_data("orders")) < shipped                      # the environment's folder
    assert len(load_data("orders", data_dir=DATA_DIR)) == shipped       # data_dir wins
    assert load_data("cdnow_sample")["customer_id"].nunique() == 2357   # real data: always the shipped copy
    with pytest.raises(FileNotFoundError, match="CRMLAB_DATA_DIR"):
        load_data("customers")                                          # the variant has no such file
    monkeypatch.delenv("CRMLAB_DATA_DIR")
    assert data_folder() == DATA_DIR and len(load_data("orders")) == shipped


def _write(tmp_path, frame, encoding="utf-8-sig"):
    path = tmp_path / "orders.csv"
    frame.to_csv(path, index=False, encoding=encoding)
    return path


def _orders_text():
    return pd.read_csv(DATA_DIR / "retail" / "orders.csv", dtype=str, keep_default_na=False,
                       encoding="utf-8-sig", nrows=50)


def test_a_csv_whose_columns_do_not_match_the_dictionary_is_rejected(tmp_path):
    path = _write(tmp_path, _orders_text().rename(columns={"order_ts": "order_time"}))
    with pytest.raises(CrmlabInputError, match=r"missing \['order_ts'\], unexpected \['order_time'\]"):
        read_table(path, "orders")


def test_unparseable_dates_name_the_column_and_rows(tmp_path):
    frame = _orders_text()
    frame.loc[[3, 7], "order_ts"] = ["yesterday", "2024-13-45"]
    with pytest.raises(CrmlabInputError, match=r"column 'order_ts' .* rows 3, 7.*'yesterday'"):
        read_table(_write(tmp_path, frame), "orders")


def test_timezone_mixed_dates_are_rejected_with_the_fix(tmp_path):
    frame = _orders_text()
    frame.loc[2, "order_ts"] = "2024-06-18 10:00:00+08:00"
    with pytest.raises(CrmlabInputError, match="time-zone"):
        read_table(_write(tmp_path, frame), "orders")


def test_unknown_category_values_are_named(tmp_path):
    frame = _orders_text()
    frame.loc[5, "status"] = "refunded"
    with pytest.raises(CrmlabInputError, match=r"'status' has values outside .* row 5, e.g. 'refunded'"):
        read_table(_write(tmp_path, frame), "orders")


def test_gbk_csv_with_excel_dates_from_chinese_excel_is_read(tmp_path):
    # What a student gets after opening the file in Excel on Chinese Windows and saving it:
    # GBK text and dates like 2023/1/1 12:22.
    lines = pd.read_csv(DATA_DIR / "retail" / "callcentre_contacts.csv", dtype=str, keep_default_na=False,
                        encoding="utf-8-sig", nrows=30)
    path = tmp_path / "callcentre_contacts.csv"
    lines.to_csv(path, index=False, encoding="gbk")
    assert read_table(path, "callcentre_contacts")["caller_name"].tolist() == lines["caller_name"].tolist()
    frame = _orders_text()
    stamps = pd.to_datetime(frame["order_ts"])
    frame["order_ts"] = [f"{t.year}/{t.month}/{t.day} {t.hour}:{t.minute:02d}" for t in stamps]
    got = read_table(_write(tmp_path, frame, encoding="gbk"), "orders")["order_ts"]
    assert (got == stamps.dt.floor("min")).all()


# ------------------------------------------------------------------ what the course teaches

@pytest.fixture(scope="module")
def retail():
    names = ["customers", "orders", "order_lines", "complaints", "campaign_assignment", "customer_truth"]
    return {n: load_data(n) for n in names}


def test_a_minority_of_customers_brings_most_of_the_margin(retail):
    lines = retail["order_lines"].merge(retail["orders"][["order_id", "customer_id", "status"]], on="order_id")
    done = lines[lines["status"] == "completed"]
    margin = (done["net_amount"] - done["cost"]).groupby(done["customer_id"]).sum()
    margin = margin.reindex(retail["customers"]["customer_id"], fill_value=0).sort_values(ascending=False)
    top20 = margin.iloc[: len(margin) // 5].sum() / margin.sum()
    print(f"top-20% share of margin: {top20:.1%}")
    assert 0.65 < top20 < 0.88  # README: about three quarters


def test_returns_and_cancellations_are_present(retail):
    share = retail["orders"]["status"].value_counts(normalize=True)
    assert 0.03 < share["returned"] < 0.10 and 0.03 < share["cancelled"] < 0.08


def test_618_and_double_11_peaks_and_the_spring_festival_dip(retail):
    orders = retail["orders"]
    daily = orders[orders["status"] != "cancelled"].groupby(orders["order_ts"].dt.normalize()).size()
    typical = daily.groupby(daily.index.year).median()  # the membership grows year by year
    for year in (2023, 2024, 2025):
        assert daily[pd.Timestamp(f"{year}-06-18")] > 2.5 * typical[year]
        assert daily[pd.Timestamp(f"{year}-11-11")] > 4 * typical[year]
    for festival in ("2023-01-22", "2024-02-10", "2025-01-29"):
        week = daily.reindex(pd.date_range(festival, periods=7), fill_value=0)
        assert week.mean() < 0.6 * typical[int(festival[:4])]


def test_about_one_complaint_per_27_unhappy_customers(retail):
    unhappy = retail["customer_truth"]["failure_ts"].notna().sum()
    ratio = unhappy / len(retail["complaints"])
    assert 20 < ratio < 34, ratio


def _repurchased_after_complaint(retail, before="2025-07-01"):
    complaints = retail["complaints"]
    complaints = complaints[complaints["opened_ts"] < pd.Timestamp(before)]
    orders = retail["orders"]
    bought = orders[orders["status"] != "cancelled"][["customer_id", "order_ts"]]
    pairs = complaints.merge(bought, on="customer_id")
    again = pairs[pairs["order_ts"] > pairs["opened_ts"]]["complaint_id"].unique()
    return complaints.assign(retained=complaints["complaint_id"].isin(again)).groupby("outcome", observed=True)["retained"].mean()


def test_resolved_to_satisfaction_retained_70_to_90_percent_and_well_above_unresolved(retail):
    rate = _repurchased_after_complaint(retail)
    print(rate)
    assert 0.70 <= rate["resolved_satisfied"] <= 0.90
    assert rate["resolved_satisfied"] - rate["unresolved"] > 0.3


def test_campaign_uplift_is_close_to_the_planted_one(retail):
    groups = retail["campaign_assignment"].groupby("group", observed=True)["responded"]
    p, n = groups.mean(), groups.size()
    uplift = p["treatment"] - p["control"]
    se = np.sqrt((p * (1 - p) / n).sum())
    true = load_truth()["experiment"]["true_uplift_response"]
    z = stats.norm.ppf(0.975)
    assert uplift - z * se <= true <= uplift + z * se
    assert abs(uplift - true) < 0.03
