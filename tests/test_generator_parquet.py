"""The generator writes any size as Parquet: the CSV's rows, block by block, only the tables asked for."""
import json

import duckdb
import pandas as pd
import pytest

from crmlab.cli import main
from crmlab.datasets import load_data
from crmlab.datasets.schema import TABLES
from crmlab.generator import generate
from crmlab.validation import CrmlabInputError

RETAIL = [name for name, table in TABLES.items() if table.folder in ("retail", "retail_truth")]
ORDERS_ONLY = ["customers", "orders", "order_lines", "products", "stores"]


def read_parquet(folder, name) -> pd.DataFrame:
    """A Parquet table typed as the loaders type the CSV (category columns as categories, times in seconds)."""
    table = TABLES[name]
    frame = duckdb.sql(f"SELECT * FROM read_parquet('{folder / table.folder / name}/*.parquet')").df()
    for col in table.columns:
        if col.kind == "category":
            frame[col.name] = pd.Categorical(frame[col.name], categories=list(col.levels))
        elif col.kind == "str":
            frame[col.name] = frame[col.name].astype("string")
        elif col.kind in ("datetime", "date"):
            frame[col.name] = frame[col.name].astype("datetime64[s]")
    return frame


def read_csv(folder, name) -> pd.DataFrame:
    if TABLES[name].folder == "retail":
        return load_data(name, data_dir=folder)
    return load_data(name, data_dir=folder) if name in ("customer_truth", "identity_map") else None


@pytest.fixture(scope="module")
def both(tmp_path_factory):
    """A student's variant of 120 000 customers (three blocks) written as CSV, as Parquet, and as Parquet
    with the order tables only."""
    out = {kind: tmp_path_factory.mktemp(kind) for kind in ("csv", "parquet", "orders_only")}
    generate(out["csv"], n_customers=120_000, student_id="2025012345")
    generate(out["parquet"], n_customers=120_000, student_id="2025012345", file_format="parquet")
    generate(out["orders_only"], n_customers=120_000, student_id="2025012345", file_format="parquet",
             tables=ORDERS_ONLY)
    return out


@pytest.mark.parametrize("name", RETAIL)
def test_parquet_holds_the_csv_rows_value_for_value(both, name):
    expected = read_csv(both["csv"], name)
    got = read_parquet(both["parquet"], name)
    pd.testing.assert_frame_equal(got, expected, check_dtype=False)
    assert {c: str(got[c].dtype) for c in got.select_dtypes("number")} == \
           {c: str(expected[c].dtype) for c in expected.select_dtypes("number")}


def test_one_parquet_file_per_block_of_customers(both):
    parts = sorted(p.name for p in (both["parquet"] / "retail" / "order_lines").iterdir())
    assert parts == ["part-00000.parquet", "part-00001.parquet", "part-00002.parquet"]  # 50 000 + 50 000 + 20 000
    assert [p.name for p in (both["parquet"] / "retail" / "stores").iterdir()] == ["part-00000.parquet"]
    # each block's customers are in their own file: the streaming writer released the earlier ones
    second = duckdb.sql(f"SELECT min(customer_id), max(customer_id) FROM "
                        f"'{both['parquet'] / 'retail' / 'customers' / 'part-00001.parquet'}'").fetchall()
    assert second == [("C0050001", "C0100000")]


@pytest.mark.parametrize("name", ORDERS_ONLY)
def test_asking_for_the_order_tables_only_writes_the_same_rows(both, name):
    pd.testing.assert_frame_equal(read_parquet(both["orders_only"], name), read_parquet(both["parquet"], name))


def test_only_the_tables_asked_for_are_written_and_the_truth_says_which(both):
    written = sorted(p.name for p in (both["orders_only"] / "retail").iterdir())
    assert written == sorted(ORDERS_ONLY)
    truth = json.loads((both["orders_only"] / "retail_truth" / "truth.json").read_text(encoding="utf-8"))
    full = json.loads((both["parquet"] / "retail_truth" / "truth.json").read_text(encoding="utf-8"))
    assert truth["tables"] == ORDERS_ONLY
    assert truth["parameters"] == full["parameters"] and truth["experiment"] == full["experiment"]
    assert truth["estimands"]["segment_mean_spend"] == full["estimands"]["segment_mean_spend"]


def test_a_second_run_replaces_every_part(tmp_path):
    generate(tmp_path, n_customers=60_000, file_format="parquet", tables=["orders"])
    generate(tmp_path, n_customers=2_000, file_format="parquet", tables=["orders"])
    assert [p.name for p in (tmp_path / "retail" / "orders").iterdir()] == ["part-00000.parquet"]


def test_progress_bar_only_when_asked(tmp_path, capsys):
    generate(tmp_path / "quiet", n_customers=500, file_format="parquet", tables=["orders"])
    assert capsys.readouterr() == ("", "")
    generate(tmp_path / "bar", n_customers=500, file_format="parquet", tables=["orders"], progress=True)
    assert "500/500" in capsys.readouterr().err


@pytest.mark.parametrize("options, message", [
    ({"file_format": "xlsx"}, r"file_format='xlsx' .*'csv', 'parquet'"),
    ({"tables": ["orders", "order_line"]}, r"table='order_line' is not one of .* Did you mean 'order_lines'\?"),
])
def test_bad_options_name_the_allowed_values(tmp_path, options, message):
    with pytest.raises(CrmlabInputError, match=message):
        generate(tmp_path, n_customers=50, **options)


def test_cli_writes_parquet_tables(tmp_path):
    assert main(["data", "generate", "--out", str(tmp_path), "--customers", "300", "--format", "parquet",
                 "--tables", "orders,order_lines"]) == 0
    assert sorted(p.name for p in (tmp_path / "retail").iterdir()) == ["order_lines", "orders"]
