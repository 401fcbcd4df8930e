import numpy as np
import pandas as pd
import pytest

from crmlab.transactions import purchases
from crmlab.validation import CrmlabInputError


def _small():
    orders = pd.DataFrame({
        "order_id": ["O1", "O2", "O3", "O4", "O5"],
        "customer_id": ["A", "A", "B", "B", None],
        "order_ts": pd.to_datetime(["2024-01-05", "2024-01-02", "2024-02-01", "2024-03-01", "2024-03-02"]),
        "channel": ["web", "store", "app", "app", "web"],
        "status": ["completed", "returned", "cancelled", "completed", "completed"],
    })
    lines = pd.DataFrame({
        "order_id": ["O1", "O1", "O2", "O3", "O4", "O5"],
        "net_amount": [100.0, 50.0, 80.0, 30.0, 20.0, 10.0],
        "cost": [60.0, 20.0, 50.0, 10.0, 25.0, 5.0],
    })
    return orders, lines


def test_hand_computed_purchases_exclude_returns(capsys):
    p = purchases(*_small())
    assert p["order_id"].tolist() == ["O1", "O4"]
    assert p["revenue"].tolist() == [150.0, 20.0]
    assert p["margin"].tolist() == [70.0, -5.0]  # a loss-making order stays a purchase
    assert p.attrs["set_aside"] == {"cancelled orders": 1, "returned orders": 1, "orders without a customer_id": 1}
    assert "set aside 1 cancelled orders, 1 returned orders, 1 orders without a customer_id" in capsys.readouterr().out


def test_returns_as_zero_value_purchases(capsys):
    p = purchases(*_small(), returns="zero", verbose=False)
    assert p["order_id"].tolist() == ["O2", "O1", "O4"]  # sorted by customer, then time
    assert p.set_index("order_id").loc["O2", ["revenue", "cost", "margin"]].tolist() == [0.0, 0.0, 0.0]
    assert p["returned"].tolist() == [True, False, False]
    assert capsys.readouterr().out == ""


@pytest.mark.parametrize("change, fragment", [
    (lambda o, l: (o.drop(columns="status"), l), "orders is missing column\\(s\\) 'status'"),
    (lambda o, l: (o.rename(columns={"order_ts": "order_time"}), l), "did you mean 'order_time'"),
    (lambda o, l: (o.assign(order_ts=[20240105, 20240102, 20240201, 20240301, 20240302]), l), "'order_ts' holds numbers"),
    (lambda o, l: (o.assign(order_ts=["2024-01-05", "soon", "2024-02-01", "2024-03-01", "2024-03-02"]), l), "'order_ts' has values that are not dates in row 1"),
    (lambda o, l: (o.assign(status=["completed", "refunded", "cancelled", "completed", "completed"]), l), "row 1, e.g. 'refunded'"),
    (lambda o, l: (o, l.assign(net_amount=[100, -50, 80, 30, 20, 10])), "'net_amount' must be >= 0; it is not in row 1"),
    (lambda o, l: (o, l.assign(cost=["60", "x", 50, 10, 25, 5])), "'cost' has values that are missing or not numbers in row 1"),
    (lambda o, l: (pd.concat([o, o.iloc[[0]]]), l), "order_id is not unique"),
    (lambda o, l: (o.iloc[0:0], l), "orders is empty"),
])
def test_bad_input_names_the_column_and_the_fix(change, fragment):
    with pytest.raises(CrmlabInputError, match=fragment):
        purchases(*change(*_small()))


def test_unknown_return_rule():
    with pytest.raises(CrmlabInputError, match=r"returns=.ignore. is not one of \[.exclude., .zero.\]"):
        purchases(*_small(), returns="ignore")


def test_on_the_shipped_data_every_order_is_accounted_for():
    from crmlab.datasets import load_data

    orders, lines = load_data("orders"), load_data("order_lines")
    p = purchases(orders, lines, verbose=False)
    assert len(p) + sum(p.attrs["set_aside"].values()) == len(orders)
    completed = orders.loc[orders["status"] == "completed", "order_id"]
    assert p["revenue"].sum() == pytest.approx(lines.loc[lines["order_id"].isin(completed), "net_amount"].sum())


def test_dates_written_as_text_are_parsed():
    orders, lines = _small()
    p = purchases(orders.assign(order_ts=orders["order_ts"].dt.strftime("%Y/%m/%d")), lines, verbose=False)
    assert p["order_ts"].tolist() == list(pd.to_datetime(["2024-01-05", "2024-03-01"]))


# ------------------------------------------------------------------ fast paths and their fallbacks

def _random_company(seed=3, n_orders=400, *, ties=True):
    """Orders (sorted by order id) and order lines grouped by order in the orders' order; amounts are
    multiples of 0.25, so every sum is exact whatever the order of adding. With ``ties``, orders on
    whole days (a customer's orders of one day stay in table order), else at distinct seconds."""
    rng = np.random.default_rng(seed)
    seconds = rng.integers(0, 50, n_orders) * 86400 if ties else rng.permutation(50 * 86400)[:n_orders]
    orders = pd.DataFrame({
        "order_id": [f"O{i:05d}" for i in range(n_orders)],
        "customer_id": [f"C{c:03d}" for c in rng.integers(0, 60, n_orders)],
        "order_ts": pd.Timestamp("2024-01-01") + pd.to_timedelta(seconds, unit="s"),
        "channel": rng.choice(["web", "store", "app"], n_orders),
        "status": rng.choice(["completed", "returned", "cancelled"], n_orders, p=[0.8, 0.1, 0.1]),
    }).astype({"order_id": object, "customer_id": object, "channel": object, "status": object})
    orders.loc[rng.choice(n_orders, 5, replace=False), "customer_id"] = None
    per_order = rng.integers(0, 4, n_orders)  # some orders have no lines
    lines = pd.DataFrame({"order_id": np.repeat(orders["order_id"].to_numpy(), per_order)})
    lines["net_amount"] = rng.integers(0, 400, len(lines)) * 0.25
    lines["cost"] = rng.integers(0, 300, len(lines)) * 0.25
    return orders, lines


def _by_hand(orders, lines, returns="exclude"):
    """purchases() the slow, obvious way: a group-by of the lines, a merge and a stable sort."""
    totals = lines.groupby("order_id")[["net_amount", "cost"]].sum()
    o = orders.copy()
    o["returned"] = (o["status"].astype(str) == "returned") & o["customer_id"].notna()
    drop = (o["status"].astype(str) == "cancelled") | o["customer_id"].isna()
    if returns == "exclude":
        drop |= o["returned"]
    o = o[~drop]
    o = o.iloc[np.lexsort((o["order_ts"].to_numpy(), pd.factorize(o["customer_id"].to_numpy(), sort=True)[0]))]
    out = o[["customer_id", "order_id", "order_ts", "channel", "returned"]].reset_index(drop=True)
    found = totals.reindex(out["order_id"]).fillna(0.0).to_numpy()
    out["revenue"] = np.where(out["returned"], 0.0, found[:, 0])
    out["cost"] = np.where(out["returned"], 0.0, found[:, 1])
    out["margin"] = out["revenue"] - out["cost"]
    return out


@pytest.mark.parametrize("returns", ["exclude", "zero"])
def test_lines_grouped_in_the_orders_order_give_the_hand_computed_purchases(returns):
    orders, lines = _random_company()
    pd.testing.assert_frame_equal(purchases(orders, lines, returns=returns, verbose=False),
                                  _by_hand(orders, lines, returns))


@pytest.mark.parametrize("shuffle", ["orders", "lines", "both"])
def test_orders_or_lines_in_any_order_give_the_same_purchases(shuffle):
    orders, lines = _random_company(ties=False)
    rng = np.random.default_rng(8)
    want = purchases(orders, lines, verbose=False)
    if shuffle in ("orders", "both"):  # order ids no longer increase: hashed, and checked for duplicates
        orders = orders.iloc[rng.permutation(len(orders))]
    if shuffle in ("lines", "both"):  # no runs of one order's lines: each line's order is looked up
        lines = lines.iloc[rng.permutation(len(lines))]
    got = purchases(orders, lines, verbose=False)
    pd.testing.assert_frame_equal(got, want)
    assert got.attrs == want.attrs


@pytest.mark.parametrize("text", [object, "str", "string", "category"])
def test_text_held_as_objects_pyarrow_or_categories_gives_the_same_purchases(text):
    orders, lines = _random_company()
    want = purchases(orders, lines, verbose=False)
    cast = {c: text for c in ("order_id", "customer_id", "channel", "status")}
    got = purchases(orders.astype(cast), lines.astype({"order_id": text}), verbose=False)
    for column in ("customer_id", "order_id", "channel"):
        assert got[column].dtype == orders.astype(cast)[column].dtype  # the caller's dtype is kept
    pd.testing.assert_frame_equal(got.astype({c: object for c in ("customer_id", "order_id", "channel")}), want)


@pytest.mark.parametrize("ids", [
    ["C10", "C9", "C100", "C9", "C10"],            # lengths differ: sorted as text, not as numbers
    ["文a", "中b", "中b", "Zz12", "文a"],              # same length in bytes, not in characters
    ["b", "a", "c", "a", "b"],                     # one byte
    [10, "C2", 3, "C2", 10],                       # mixed types: numbers before text, as pandas sorts
])
def test_customers_sorted_as_python_sorts_them(ids):
    orders = pd.DataFrame({"order_id": ["O1", "O2", "O3", "O4", "O5"], "customer_id": pd.Series(ids, dtype=object),
                           "order_ts": pd.to_datetime(["2024-01-05", "2024-01-02", "2024-02-01", "2024-03-01",
                                                       "2024-01-01"]),
                           "channel": "web", "status": "completed"})
    lines = pd.DataFrame({"order_id": ["O1", "O2", "O3", "O4", "O5"], "net_amount": 1.0, "cost": 0.5})
    want = pd.factorize(np.array(ids, dtype=object), sort=True)[1].tolist()
    for dtype in (object, "str"):
        if dtype == "str" and not all(isinstance(i, str) for i in ids):
            continue
        got = purchases(orders.astype({"customer_id": dtype}), lines, verbose=False)
        assert got["customer_id"].drop_duplicates().tolist() == want
        # within a customer, by time
        assert (got.groupby("customer_id", sort=False)["order_ts"].is_monotonic_increasing).all()


def test_times_too_far_apart_for_one_sort_key_are_still_sorted():
    # Nanoseconds from 1700 to 2200 overflow one int64 key of (customer, time): lexsort instead.
    orders = pd.DataFrame({"order_id": ["O1", "O2", "O3", "O4"], "customer_id": ["B", "A", "B", "A"],
                           "order_ts": pd.to_datetime(["2200-01-01", "1700-01-01", "1700-01-02", "2199-01-01"])
                                       .astype("datetime64[ns]"),
                           "channel": "web", "status": "completed"})
    lines = pd.DataFrame({"order_id": ["O1", "O2", "O3", "O4"], "net_amount": 1.0, "cost": 0.5})
    assert purchases(orders, lines, verbose=False)["order_id"].tolist() == ["O2", "O4", "O3", "O1"]


def test_lines_of_unknown_orders_are_ignored_and_orders_without_lines_earn_nothing():
    orders, lines = _small()
    lines = pd.concat([pd.DataFrame({"order_id": ["O9"], "net_amount": [999.0], "cost": [1.0]}),
                       lines[lines["order_id"] != "O4"]], ignore_index=True)
    p = purchases(orders, lines, verbose=False)
    assert p.set_index("order_id")["revenue"].to_dict() == {"O1": 150.0, "O4": 0.0}
    assert purchases(orders, lines.iloc[0:0], verbose=False)["revenue"].tolist() == [0.0, 0.0]


def test_duplicated_order_ids_are_found_after_the_increasing_check_fails():
    orders, lines = _small()
    orders = orders.assign(order_id=["O1", "O2", "O3", "O2", "O5"])
    with pytest.raises(CrmlabInputError, match=r"orders: order_id is not unique in rows 1, 3;"):
        purchases(orders, lines)
