"""The generator: determinism, the shipped files, variants, streaming, bad arguments."""
import filecmp
import json
from pathlib import Path

import numpy as np
import pytest

import crmlab.generator.retail as retail
from crmlab.datasets import DATA_DIR, load_data, load_truth
from crmlab.datasets.schema import TABLES
from crmlab.generator import generate
from crmlab.validation import CrmlabInputError


def _files(root: Path):
    return sorted(p.relative_to(root) for p in root.rglob("*") if p.is_file())


def _same_tree(a: Path, b: Path):
    assert _files(a) == _files(b)
    different = [str(f) for f in _files(a) if not filecmp.cmp(a / f, b / f, shallow=False)]
    assert not different, f"files differ: {different}"


def test_same_seed_and_size_give_byte_identical_files(tmp_path, small_company):
    generate(tmp_path, n_customers=1500, seed=7)
    _same_tree(tmp_path, small_company)


def test_shipped_csvs_are_exactly_the_default_generation(tmp_path):
    generate(tmp_path)
    for folder in ("retail", "retail_truth"):
        _same_tree(tmp_path / folder, DATA_DIR / folder)


def test_a_different_seed_gives_different_data(tmp_path, small_company):
    generate(tmp_path, n_customers=1500, seed=8)
    assert (tmp_path / "retail" / "orders.csv").read_bytes() != (small_company / "retail" / "orders.csv").read_bytes()


def test_student_variants_differ_from_each_other_and_reproduce_exactly(tmp_path):
    a1, a2, b = tmp_path / "a1", tmp_path / "a2", tmp_path / "b"
    generate(a1, n_customers=800, student_id="2025001")
    generate(a2, n_customers=800, student_id="2025001")
    generate(b, n_customers=800, student_id="2025002")
    _same_tree(a1, a2)
    for table in ("customers", "orders", "survey"):
        assert (a1 / "retail" / f"{table}.csv").read_bytes() != (b / "retail" / f"{table}.csv").read_bytes()
    pa, pb = (load_truth(data_dir=d)["parameters"] for d in (a1, b))
    assert pa["campaign"]["uplift"] != pb["campaign"]["uplift"]
    assert pa != retail.PARAMETERS  # a variant's planted numbers are its own
    for params in (pa, pb):  # ...but stay within the documented +-15 %
        for seg, values in params["segments"].items():
            nominal = retail.PARAMETERS["segments"][seg]
            assert 0.84 <= values["r"] / nominal["r"] <= 1.16
        assert sum(v["share"] for v in params["segments"].values()) == pytest.approx(1, abs=1e-3)
    assert load_truth(data_dir=a1)["student_id"] == "2025001"


def test_blocks_stream_with_unique_keys_and_intact_links(tmp_path, monkeypatch):
    # A small block size makes 1 000 customers take four blocks, as a million take twenty.
    monkeypatch.setattr(retail, "BLOCK", 300)
    generate(tmp_path, n_customers=1000, seed=3)
    customers = load_data("customers", data_dir=tmp_path)
    orders = load_data("orders", data_dir=tmp_path)
    lines = load_data("order_lines", data_dir=tmp_path)
    identity = load_data("identity_map", data_dir=tmp_path)
    assert customers["customer_id"].is_unique and len(customers) == 1000
    assert orders["order_id"].is_unique
    assert lines.duplicated(["order_id", "line_no"]).sum() == 0
    assert set(orders["customer_id"]) <= set(customers["customer_id"])
    assert set(lines["order_id"]) == set(orders["order_id"])
    assert identity["record_id"].is_unique
    # Every silo record appears once in the identity map, and only those.
    for source in ("store_members", "web_accounts", "callcentre_contacts"):
        silo = load_data(source, data_dir=tmp_path)
        key = TABLES[source].columns[0].name
        assert set(silo[key]) == set(identity.loc[identity["source"] == source, "record_id"])


@pytest.mark.parametrize("kwargs, fragment", [
    ({"n_customers": -5}, "n_customers must be a positive whole number"),
    ({"n_customers": 0}, "n_customers must be a positive whole number"),
    ({"n_customers": 2.5}, "n_customers must be a positive whole number"),
    ({"n_customers": "100"}, "n_customers must be a positive whole number"),
    ({"seed": -1}, "seed must be a non-negative whole number"),
    ({"student_id": "  "}, "student_id is empty"),
])
def test_bad_arguments_are_rejected_with_the_fix(tmp_path, kwargs, fragment):
    with pytest.raises(CrmlabInputError, match=fragment):
        generate(tmp_path, **{"n_customers": 50, **kwargs})


def test_an_unwritable_output_path_is_rejected(tmp_path):
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    with pytest.raises(CrmlabInputError, match="cannot write to .*Choose a folder you can write to"):
        generate(blocker / "sub", n_customers=50)


def test_cli_regenerates_a_variant_and_reports_errors(tmp_path, capsys):
    from crmlab.cli import main

    assert main(["data", "generate", "--out", str(tmp_path / "v"), "--customers", "300", "--student-id", "s1"]) == 0
    direct = tmp_path / "d"
    generate(direct, n_customers=300, student_id="s1")
    _same_tree(tmp_path / "v", direct)
    assert main(["data", "generate", "--out", str(tmp_path / "x"), "--customers", "-3"]) == 2
    assert "positive whole number" in capsys.readouterr().err


def test_truth_file_records_the_run_and_the_experiment(small_company):
    truth = json.loads((small_company / "retail_truth" / "truth.json").read_text(encoding="utf-8"))
    assert truth["seed"] == 7 and truth["n_customers"] == 1500 and truth["student_id"] is None
    assert truth["parameters"] == retail.PARAMETERS
    n_eligible = len(load_data("campaign_assignment", data_dir=small_company))
    assert truth["experiment"]["n_eligible"] == n_eligible
    assert 0 < truth["experiment"]["true_uplift_response"] < 0.2


def test_planted_rates_are_drawn_from_the_planted_distributions():
    # The shipped truth: within a segment, lambda ~ Gamma(r, alpha), mean r / alpha.
    truth = load_data("customer_truth")
    params = load_truth()["parameters"]["segments"]
    for seg, group in truth.groupby("segment", observed=True):
        expected = params[seg]["r"] / params[seg]["alpha"]
        se = np.sqrt(params[seg]["r"]) / params[seg]["alpha"] / np.sqrt(len(group))
        assert abs(group["purchase_rate"].mean() - expected) < 4 * se, seg
    shares = truth["segment"].value_counts(normalize=True)
    for seg, p in params.items():
        assert abs(shares[seg] - p["share"]) < 0.02


def test_no_purchase_after_a_customer_left_except_the_campaign_win_back():
    truth = load_data("customer_truth").set_index("customer_id")
    orders = load_data("orders")
    bought = orders[orders["status"] != "cancelled"]
    last = bought.groupby("customer_id")["order_ts"].max()
    gone = truth["dropout_ts"].dropna()
    later = last.reindex(gone.index) > gone
    # Only the coupon experiment brings lapsed customers back.
    treated = load_data("campaign_assignment").query("group == 'treatment'")["customer_id"]
    assert set(later[later].index) <= set(treated)
    never = truth["first_purchase_ts"].isna()
    assert not set(never[never].index) & set(bought["customer_id"])
