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
