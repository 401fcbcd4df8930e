"""DuckDB and Spark give the pandas path's DataFrames: same ids, integer counts, amounts to the cent.

Each analysis runs on each engine over the shipped data and over a student's variant, and is compared
with the pandas functions on the same files (the reference): columns, dtypes, order, index, values,
the rows set aside and the lines printed about them. The Spark half needs Java; without it those tests
skip saying so (CRMLAB_REQUIRE_SPARK=1, set by .ci/run, makes them fail instead).
"""
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from crmlab.clv import summary
from crmlab.crm_system import build_database
from crmlab.datasets import data_folder, load_data
from crmlab.datasets.schema import TABLES
from crmlab.engines import DuckDBEngine, EngineUnavailable, SparkEngine, java_available, local_spark_session
from crmlab.generator import generate
from crmlab.retention import cohort_retention
from crmlab.rfm import rfm_from_orders
from crmlab.transactions import purchases
from crmlab.validation import CrmlabInputError
from crmlab.warehouse import build_star_schema, olap

AMOUNTS = ["revenue", "cost", "margin", "monetary"]  # totals of whole cents
MEANS = ["monetary_value"]  # a mean of such totals: x.xx5 is possible, so compared to a billionth, not rounded


@pytest.fixture(scope="module")
def spark_session():
    """One local Spark session for the module (starting Java takes seconds); skips, saying why, without Java."""
    import os

    try:
        session = local_spark_session(cores=2)
    except EngineUnavailable as error:
        if os.environ.get("CRMLAB_REQUIRE_SPARK"):
            pytest.fail(f"CRMLAB_REQUIRE_SPARK is set but {error}")
        pytest.skip(f"Spark tests skipped: {error}")
    yield session
    session.stop()


@pytest.fixture(scope="module")
def variant(tmp_path_factory):
    """A student's own company: other planted parameters, another size."""
    out = tmp_path_factory.mktemp("variant")
    generate(out, n_customers=2500, student_id="2025012345")
    return out


@pytest.fixture(scope="module")
def variant_as_parquet(variant, tmp_path_factory):
    """The variant's tables as folders of Parquet files, each in two files (as large data come)."""
    import duckdb

    out = tmp_path_factory.mktemp("parquet")
    for name in TABLES:
        source = variant / TABLES[name].folder / f"{name}.csv"
        if TABLES[name].truth or not source.exists():
            continue
        folder = out / TABLES[name].folder / name
        folder.mkdir(parents=True)
        frame = load_data(name, data_dir=variant)
        half = len(frame) // 2
        for part, rows in enumerate((frame.iloc[:half], frame.iloc[half:])):
            rows = rows.astype({c: "object" for c in rows.select_dtypes("category")})  # Parquet text, as the generator
            duckdb.from_df(rows).write_parquet(str(folder / f"part-{part}.parquet"))
    return out


@pytest.fixture(scope="module", params=["shipped", "variant", "variant as Parquet"])
def company(request):
    """(data folder the engine reads, orders, order_lines) of the shipped data or of a variant (as CSV, or as
    Parquet): the pandas path reads the same data from CSV."""
    csv = data_folder() if request.param == "shipped" else request.getfixturevalue("variant")
    folder = request.getfixturevalue("variant_as_parquet") if request.param.endswith("Parquet") else csv
    return folder, load_data("orders", data_dir=csv), load_data("order_lines", data_dir=csv)


@pytest.fixture(scope="module", params=["duckdb", "spark"])
def engine(request, company):
    folder = company[0]
    if request.param == "duckdb":
        return DuckDBEngine(folder)
    return SparkEngine(folder, spark=request.getfixturevalue("spark_session"))


def assert_same(got: pd.DataFrame, expected: pd.DataFrame) -> None:
    """Equal frames, amounts compared to the cent (the engines add exact decimals, pandas floats)."""
    amounts, means = [c for c in AMOUNTS if c in expected], [c for c in MEANS if c in expected]
    pd.testing.assert_frame_equal(got.drop(columns=amounts + means), expected.drop(columns=amounts + means))
    for column in amounts:
        pd.testing.assert_series_equal(got[column].round(2), expected[column].round(2))
    for column in means:
        pd.testing.assert_series_equal(got[column], expected[column], rtol=1e-12, atol=1e-9)
    assert got.attrs == expected.attrs


def run(capsys, analysis):
    """The result of an analysis and the lines it printed."""
    result = analysis()
    return result, capsys.readouterr().out


def test_purchases_agree(engine, company, capsys):
    _, orders, lines = company
    for returns in ("exclude", "zero"):
        got, said = run(capsys, lambda: engine.purchases(returns=returns))
        expected, expected_said = run(capsys, lambda: purchases(orders, lines, returns=returns))
        assert_same(got, expected)
        assert said == expected_said and "cancelled orders" in said
        # the engines' amounts are whole cents, exactly
        assert (got["revenue"] * 100).round().div(100).eq(got["revenue"]).all()


@pytest.mark.parametrize("options", [
    {"as_of": "2026-01-01"},
    {"as_of": "2025-07-01", "start": "2024-07-01", "time_unit": "weeks"},
    {"as_of": "2025-10-01", "value": "margin", "returns": "zero", "time_unit": "months"},
])
def test_rfm_agrees(engine, company, capsys, options):
    _, orders, lines = company
    got, said = run(capsys, lambda: engine.rfm_table(**options))
    expected, expected_said = run(capsys, lambda: rfm_from_orders(orders, lines, **options))
    assert_same(got, expected)
    assert said == expected_said


@pytest.mark.parametrize("options", [
    {"calibration_end": "2025-06-30", "observation_end": "2025-12-31"},
    {"calibration_end": "2024-12-31", "time_unit": "days", "returns": "zero"},
])
def test_clv_summary_agrees(engine, company, capsys, options):
    _, orders, lines = company
    returns = options.pop("returns", "exclude")
    got, said = run(capsys, lambda: engine.clv_summary(returns=returns, **options))
    expected, expected_said = run(capsys, lambda: summary(purchases(orders, lines, returns=returns), **options))
    assert_same(got, expected)
    assert said == expected_said
    assert got.attrs["merged_same_day"] > 0  # the same-day rule was exercised


@pytest.mark.parametrize("options", [{"as_of": "2026-01-01"}, {"as_of": "2025-11-15", "period": "Q", "max_periods": 4}])
def test_cohort_retention_agrees(engine, company, capsys, options):
    _, orders, lines = company
    got, said = run(capsys, lambda: engine.cohort_retention(**options))
    expected, expected_said = run(capsys, lambda: cohort_retention(purchases(orders, lines), **options))
    pd.testing.assert_frame_equal(got, expected)
    assert got.attrs == expected.attrs and said == expected_said


@pytest.fixture(scope="module")
def star(company, request, tmp_path_factory):
    """The CRM database with its star schema, built from the same data: warehouse.olap's answers."""
    url = f"sqlite:///{tmp_path_factory.mktemp('star') / 'crm.sqlite'}"
    shipped = company[0] == data_folder()
    build_database(url, data_dir=None if shipped else request.getfixturevalue("variant"))
    build_star_schema(url)
    return url


@pytest.mark.parametrize("query", [
    {"by": ["year"]},
    {"by": ["month", "channel"], "measures": ["revenue", "cost", "margin", "quantity", "lines", "orders", "customers"]},
    {"by": ["region", "city", "store"], "where": {"year": [2024, 2025]}},
    {"by": ["segment", "city_tier"]},
    {"by": ["category", "subcategory"], "where": {"channel": "web"}},
    {"by": ["quarter", "weekday", "membership_tier"]},
    {"by": ["date"], "where": {"month": "2025-11"}},
    {"by": ["channel", "purpose"], "measures": ["contacts", "cost", "responses", "response_rate", "customers"],
     "fact": "contacts"},
])
def test_olap_agrees_with_the_warehouse(engine, star, query):
    pd.testing.assert_frame_equal(engine.olap(**query), olap(star, **query), check_dtype=False)


# -- bad input ------------------------------------------------------------------------------------

@pytest.fixture
def damaged(tmp_path):
    """A copy of the shipped orders and lines to damage, and a function writing them back."""
    source = data_folder() / "retail"
    (tmp_path / "retail").mkdir()
    tables = {name: pd.read_csv(source / f"{name}.csv", encoding="utf-8-sig", dtype=str, keep_default_na=False)
              for name in ("orders", "order_lines")}

    def write(**changed):
        for name, frame in {**tables, **changed}.items():
            frame.to_csv(tmp_path / "retail" / f"{name}.csv", index=False)
        return tmp_path

    return tables, write


@pytest.fixture(params=["duckdb", "spark"])
def make_engine(request):
    if request.param == "duckdb":
        return DuckDBEngine
    session = request.getfixturevalue("spark_session")
    return lambda folder: SparkEngine(folder, spark=session)


def test_misspelt_column_is_named(damaged, make_engine):
    tables, write = damaged
    folder = write(orders=tables["orders"].rename(columns={"order_ts": "order_time"}))
    with pytest.raises(CrmlabInputError, match=r"orders .* missing column\(s\) 'order_ts' \(did you mean 'order_time'\?\)"):
        make_engine(folder).rfm_table(as_of="2026-01-01")


@pytest.mark.parametrize("change, message", [
    (lambda t: {"order_lines": t["order_lines"].assign(net_amount=t["order_lines"]["net_amount"].mask(
        t["order_lines"].index % 1000 == 5, "-3.50"))},
     r"order_lines: column 'net_amount' is negative in 49 rows; a return is an order with status 'returned'"),
    (lambda t: {"orders": t["orders"].assign(status=t["orders"]["status"].replace("returned", "refunded"))},
     r"orders: column 'status' is not one of \['completed', 'returned', 'cancelled'\] \(e.g. 'refunded'\) in 1 955 rows"),
    (lambda t: {"orders": pd.concat([t["orders"], t["orders"].head(3)])},
     r"orders: order_id is not unique \(3 repeated rows\)"),
    (lambda t: {"orders": t["orders"].head(0)}, r"orders .* is empty"),
])
def test_bad_input_is_refused_with_what_to_fix(damaged, make_engine, change, message):
    tables, write = damaged
    folder = write(**change(tables))
    with pytest.raises(CrmlabInputError, match=message):
        make_engine(folder).purchases()


def test_unreadable_value_names_the_engine_and_the_fix(damaged):
    tables, write = damaged
    lines = tables["order_lines"].copy()
    lines.loc[7, "net_amount"] = "12,50"  # a decimal comma from a European spreadsheet
    with pytest.raises(CrmlabInputError, match=r"DuckDB could not read the data: .*Line: 9.*\"12,50\".*write the data again"):
        DuckDBEngine(write(order_lines=lines)).purchases()


def test_a_missing_table_says_how_to_make_it(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"no table 'orders' .* `crmlab data generate --out FOLDER`"):
        DuckDBEngine(tmp_path).purchases()


def test_sets_aside_orders_without_a_customer_and_says_so(damaged, capsys):
    tables, write = damaged
    orders = tables["orders"].copy()
    orders.loc[orders.index[:4], "customer_id"] = ""
    folder = write(orders=orders)
    got = DuckDBEngine(folder).purchases()
    expected = purchases(load_data("orders", data_dir=folder), load_data("order_lines", data_dir=folder))
    assert got.attrs["set_aside"]["orders without a customer_id"] == 4
    assert_same(got, expected)


def test_spark_without_java_says_how_to_install_it(monkeypatch):
    pytest.importorskip("pyspark")
    monkeypatch.setattr(shutil, "which", lambda name: None)
    monkeypatch.delenv("JAVA_HOME", raising=False)
    assert not java_available()
    with pytest.raises(EngineUnavailable, match=r"no Java runtime .* apt install default-jre-headless"):
        local_spark_session()


def test_duckdb_spills_to_disk_within_a_memory_limit(variant):
    # a limit far below what the variant's hash tables want at once: DuckDB must work within it, not fail
    spill = Path(tempfile.mkdtemp())
    engine = DuckDBEngine(variant, memory_limit="20MB", threads=1, temp_directory=spill)
    got = engine.rfm_table(as_of="2026-01-01", verbose=False)
    expected = rfm_from_orders(load_data("orders", data_dir=variant), load_data("order_lines", data_dir=variant),
                               as_of="2026-01-01", verbose=False)
    assert np.array_equal(got.index, expected.index) and got["frequency"].equals(expected["frequency"])
    shutil.rmtree(spill)
