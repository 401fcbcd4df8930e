"""Tests of crmlab.warehouse: the star schema and OLAP queries give the numbers the pandas chapters
compute from the data files (load_data + purchases, the kit's one rule for sales), on SQLite and
PostgreSQL alike."""
import pandas as pd
import pytest

from crmlab.datasets import load_data
from crmlab.rfm import SEGMENTS, rfm_from_orders, rfm_scores, rfm_segments
from crmlab.transactions import purchases
from crmlab.validation import CrmlabInputError
from crmlab.warehouse import build_star_schema, drill_down, olap, olap_sql, pivot, roll_up, star_schema_sql

ANALYSIS_DATE = "2026-01-01"  # chapter 4's: the day after the sample company's last order


@pytest.fixture(scope="module")
def star(sample_crm_database):
    """The shared CRM database of each backend, with the star schema built once."""
    counts = build_star_schema(sample_crm_database)
    return sample_crm_database, counts


@pytest.fixture(scope="module")
def truth():
    """Sales per order line, computed in pandas the way the chapters do."""
    orders, lines = load_data("orders"), load_data("order_lines")
    bought = purchases(orders, lines, verbose=False)
    segments = rfm_segments(rfm_scores(rfm_from_orders(orders, lines, as_of=ANALYSIS_DATE, verbose=False)))
    stores, products = load_data("stores"), load_data("products")
    sold = (lines[lines["order_id"].isin(bought["order_id"])]
            .merge(orders[["order_id", "order_ts", "store_id"]], on="order_id")
            .merge(bought[["order_id", "customer_id", "channel"]], on="order_id")
            .merge(products[["product_id", "category"]], on="product_id"))
    sold["region"] = sold["store_id"].map(stores.set_index("store_id")["region"].astype(str)).fillna("online")
    sold["segment"] = sold["customer_id"].map(segments["segment"].astype(str))
    sold["month"] = sold["order_ts"].dt.strftime("%Y-%m")
    sold["year"] = sold["order_ts"].dt.year
    sold["channel"] = sold["channel"].astype(str)
    sold["category"] = sold["category"].astype(str)
    return {"bought": bought, "sold": sold, "interactions": load_data("interactions")}


def _expected(sold: pd.DataFrame, by: list) -> pd.DataFrame:
    groups = sold.groupby(by)
    return pd.DataFrame({"revenue": groups["net_amount"].sum().round(2), "orders": groups["order_id"].nunique(),
                         "customers": groups["customer_id"].nunique()})


def _assert_same(got: pd.DataFrame, expected: pd.DataFrame, by: list) -> None:
    got = got.set_index(by)
    assert got.index.tolist() == expected.index.tolist()
    assert got["orders"].tolist() == expected["orders"].tolist()
    assert got["customers"].tolist() == expected["customers"].tolist()
    assert got["revenue"].tolist() == expected["revenue"].tolist()  # equal to the cent


def test_star_tables_hold_what_the_data_say(star, truth):
    _, counts = star
    assert counts["rows"].to_dict() == {
        "dim_date": (pd.Timestamp("2025-12-31") - pd.Timestamp("2023-01-01")).days + 1,
        "dim_customer": 10000, "dim_product": 180, "dim_store": len(load_data("stores")) + 1, "dim_channel": 10,
        "fact_order_line": len(truth["sold"]), "fact_contact": len(truth["interactions"])}
    assert counts.loc["fact_order_line", "zh"] == "订单明细事实"


def test_rebuilding_gives_the_same_star(star):
    url, counts = star
    pd.testing.assert_frame_equal(build_star_schema(url), counts)


@pytest.mark.parametrize("by", [["month"], ["region"], ["channel"], ["category"], ["year", "channel"]])
def test_olap_equals_pandas(star, truth, by):
    _assert_same(olap(star[0], by=by), _expected(truth["sold"], by), by)


def test_revenue_by_month_is_the_purchases_revenue(star, truth):
    bought = truth["bought"]
    revenue = bought.groupby(bought["order_ts"].dt.strftime("%Y-%m"))["revenue"].sum().round(2)
    assert olap(star[0], by="month", measures="revenue")["revenue"].tolist() == revenue.tolist()


def test_segments_are_chapter_4s(star, truth):
    got = olap(star[0], by=["segment"])
    expected = _expected(truth["sold"], ["segment"])
    order = [key for key, *_ in SEGMENTS if key in expected.index]
    _assert_same(got, expected.loc[order], ["segment"])  # best segment first, as crmlab.rfm orders them


def test_grand_total_and_all_order_measures(star, truth):
    sold = truth["sold"]
    got = olap(star[0], by=[], measures=["revenue", "cost", "margin", "quantity", "lines", "orders", "customers"])
    assert got.iloc[0].to_dict() == {
        "revenue": round(sold["net_amount"].sum(), 2), "cost": round(sold["cost"].sum(), 2),
        "margin": round((sold["net_amount"] - sold["cost"]).sum(), 2), "quantity": sold["quantity"].sum(),
        "lines": len(sold), "orders": sold["order_id"].nunique(), "customers": sold["customer_id"].nunique()}


def test_slice_and_dice_equal_filtering_in_pandas(star, truth):
    sold = truth["sold"]
    sliced = olap(star[0], by=["region"], where={"year": 2025})
    _assert_same(sliced, _expected(sold[sold["year"] == 2025], ["region"]), ["region"])
    diced = olap(star[0], by=["month", "channel"], where={"channel": ["app", "store"], "category": ["food", "beauty"],
                                                          "date": ["2025-03-08", "2025-11-11"]})
    keep = (sold["channel"].isin(["app", "store"]) & sold["category"].isin(["food", "beauty"])
            & sold["order_ts"].dt.strftime("%Y-%m-%d").isin(["2025-03-08", "2025-11-11"]))
    assert keep.any()
    _assert_same(diced, _expected(sold[keep], ["month", "channel"]), ["month", "channel"])


def test_rolling_months_up_to_years_keeps_the_totals(star):
    url = star[0]
    months = olap(url, by=["month"], measures=["revenue", "orders", "quantity"])
    years = olap(url, by=roll_up(roll_up(["month"], "month"), "quarter"), measures=["revenue", "orders", "quantity"])
    summed = months.groupby(months["month"].str[:4].astype(int))[["revenue", "orders", "quantity"]].sum()
    assert years["year"].tolist() == summed.index.tolist()
    assert years["orders"].tolist() == summed["orders"].tolist()  # an order has one date: orders add up over time
    assert years["quantity"].tolist() == summed["quantity"].tolist()
    assert (years["revenue"] - summed["revenue"].to_numpy()).abs().max() < 0.01


def test_drilling_down_splits_each_member(star):
    url = star[0]
    by = drill_down(["year"], "year")
    quarters = olap(url, by=by, measures=["revenue", "orders"])
    assert by == ["year", "quarter"] and quarters["quarter"].str[:4].astype(int).tolist() == quarters["year"].tolist()
    years = olap(url, by=["year"], measures=["revenue", "orders"])
    assert quarters.groupby("year")["orders"].sum().tolist() == years["orders"].tolist()


def cents(amounts) -> float:
    """The exact decimal sum rounded to the cent, half a cent away from zero: what olap promises
    (contact costs have tenths of a cent, so some sums end in exactly half a cent)."""
    from decimal import ROUND_HALF_UP, Decimal

    exact = sum((Decimal(repr(float(x))) for x in amounts.dropna()), Decimal(0))
    return float(exact.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def test_contacts_fact_equals_the_interactions(star, truth):
    log = truth["interactions"]
    for by in ("channel", "purpose"):
        got = olap(star[0], by=[by], measures=["contacts", "cost", "responses", "response_rate", "customers"],
                   fact="contacts").set_index(by)
        recorded = (log["initiated_by"] == "company") & log["responded"].notna()
        responded = recorded & log["responded"].fillna(False).astype(bool)
        groups = log.assign(recorded=recorded, responded=responded).groupby(log[by].astype(str))
        expected = pd.DataFrame({"contacts": groups.size(), "cost": groups["cost"].agg(cents),
                                 "responses": groups["responded"].sum(), "trials": groups["recorded"].sum(),
                                 "customers": groups["customer_id"].nunique()})
        assert got.index.tolist() == expected.index.tolist()
        for measure in ("contacts", "responses", "customers", "cost"):
            assert got[measure].tolist() == expected[measure].tolist(), measure
        rate = (expected["responses"] / expected["trials"].where(expected["trials"] > 0)).round(4)
        pd.testing.assert_series_equal(got["response_rate"], rate, check_names=False)


def test_sql_is_the_databases_own(star):
    url = star[0]
    sql = olap_sql(url, by=["month"], where={"region": "east"})
    assert "GROUP BY dim_date.month" in sql and "dim_store.region = 'east'" in sql
    extract = "STRFTIME" if url.startswith("sqlite") else "EXTRACT"
    assert extract in star_schema_sql(url)


def test_roll_up_and_drill_down_are_inverses():
    assert drill_down(["region", "channel"], "region") == ["region", "city", "channel"]
    assert roll_up(["region", "city", "channel"], "city") == ["region", "channel"]
    assert roll_up(["month"], "month") == ["quarter"]
    assert roll_up(["year", "month"], "year") == []
    with pytest.raises(CrmlabInputError, match="finest level"):
        drill_down(["product"], "product")
    with pytest.raises(CrmlabInputError, match="not in by"):
        roll_up(["year"], "month")
    with pytest.raises(CrmlabInputError, match="no hierarchy"):
        drill_down(["channel"], "channel")


def test_pivot_adds_totals_only_where_they_add_up():
    frame = pd.DataFrame({"year": [2024, 2024, 2025], "channel": ["app", "web", "app"],
                          "revenue": [1.1, 2.2, 3.3], "customers": [5, 6, 7]})
    table = pivot(frame, rows="year", columns="channel", values="revenue")
    assert table.loc["total", "total"] == 6.6 and table.loc[2025, "web"] == 0
    with pytest.raises(CrmlabInputError, match="totals=False"):
        pivot(frame, rows="year", columns="channel", values="customers")
    assert pivot(frame, rows="year", columns="channel", values="customers", totals=False).loc[2025, "app"] == 7


@pytest.mark.parametrize("kwargs, message", [
    ({"by": ["yaer"]}, r"by level='yaer' is not one of .*Did you mean 'year'\?"),
    ({"by": ["year"], "measures": ["revenu"]}, r"measure='revenu' is not one of .*Did you mean 'revenue'\?"),
    ({"by": ["year"], "fact": "contact"}, r"fact='contact' is not one of .*Did you mean 'contacts'\?"),
    ({"by": ["year"], "where": {"regoin": "east"}}, r"where level='regoin' .*Did you mean 'region'\?"),
    ({"by": ["region"], "measures": ["contacts"], "fact": "contacts"}, r"'region' is a level of fact='order_lines'"),
    ({"by": ["year", "year"]}, "named twice"),
])
def test_bad_input_is_named(kwargs, message):
    with pytest.raises(CrmlabInputError, match=message):
        olap_sql("sqlite://", **kwargs)


def test_a_database_without_the_crm_is_refused(empty_database):
    with pytest.raises(CrmlabInputError, match=r"crm_system\.build_database\(url\)"):
        build_star_schema(empty_database)
    with pytest.raises(CrmlabInputError, match=r"warehouse\.build_star_schema\(url\)"):
        olap(empty_database, by=["year"])
