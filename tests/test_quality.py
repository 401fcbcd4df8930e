"""crmlab.quality: the data-quality report by hand on a small silo, and against what the generator planted."""
import pandas as pd
import pytest

from crmlab import identify, quality
from crmlab.datasets import load_data
from crmlab.validation import CrmlabInputError


@pytest.fixture(scope="module")
def silos():
    return {name: load_data(name) for name in identify.SILOS}


def _small_silo():
    return pd.DataFrame({
        "member_id": ["M1", "M2", "M3", "M4"],
        "store_id": ["S01"] * 4,
        "name": ["张伟", "張偉", "李娜", ""],
        "phone": ["19900000001", "199 0000 0001", "12345", pd.NA],
        "id_number": ["11010519491231002X", "110105194912310021", pd.NA, pd.NA],
        "email": ["A@EXAMPLE.CN", "a@example.cn", pd.NA, "bad"],
        "city": ["北京", "北京市", "上海", pd.NA],
        "joined_date": pd.to_datetime(["2024-01-01", "2030-01-01", "1990-05-05", "2022-01-01"]),
    })


def test_hand_computed_report():
    report = quality.quality_report({"store_members": _small_silo()}, as_of="2025-01-01").loc["store_members"]
    expected = {  # filled, valid (of filled), standard (of filled), duplicated (of filled)
        "phone": (3 / 4, 2 / 3, 1 / 3, 2 / 3),          # 12345 is no mobile; only the first is 11 plain digits
        "id_number": (2 / 4, 1 / 2, 2 / 2, 0.0),        # the second fails its check character
        "email": (3 / 4, 2 / 3, 1 / 3, 2 / 3),          # upper case is valid but not the standard form
        "city": (3 / 4, 3 / 3, 2 / 3, float("nan")),    # 北京市 -> 北京
        "name": (3 / 4, 3 / 3, 2 / 3, float("nan")),    # traditional 張偉 is not the standard form
        "record_id": (1.0, 1.0, 1.0, 0.0),
    }
    for field, values in expected.items():
        got = report.loc[field, ["filled", "valid", "standard", "duplicated"]].astype(float).tolist()
        assert got == pytest.approx(list(values), nan_ok=True), field
    # dates: 2030 is after as_of, 1990 before `earliest` (2000); of the 4, one is older than 730 days
    assert report.loc["recorded_at", "valid"] == pytest.approx(2 / 4)
    assert report.loc["recorded_at", "stale"] == pytest.approx(1 / 4)
    assert report.loc["phone", "column"] == "phone" and report.loc["recorded_at", "column"] == "joined_date"


def test_invalid_values_are_listed_cell_by_cell():
    bad = quality.invalid_values({"store_members": _small_silo()}, as_of="2025-01-01")
    assert sorted(zip(bad["record_id"], bad["field"])) == [
        ("M2", "id_number"), ("M2", "recorded_at"), ("M3", "phone"), ("M3", "recorded_at"), ("M4", "email")]


def test_the_invalid_id_numbers_are_exactly_the_mistyped_ones(silos):
    # The generator mistypes the check character of about 3 % of the ID numbers it writes.
    truth = load_data("identity_map")
    true_id = load_data("customers").set_index("customer_id")["id_number"]
    bad = quality.invalid_values(silos)
    assert set(bad["field"]) == {"id_number"}   # every phone, e-mail, name, city and date is possible
    for source in ("store_members", "callcentre_contacts"):
        frame = silos[source]
        who = frame["member_id" if source == "store_members" else "contact_id"].map(
            truth[truth["source"] == source].set_index("record_id")["customer_id"])
        mistyped = frame.loc[frame["id_number"].notna() & (frame["id_number"] != who.map(true_id)).fillna(False)]
        listed = bad.loc[(bad["source"] == source), "value"]
        assert len(mistyped) > 10
        assert sorted(listed) == sorted(mistyped["id_number"])


def test_the_report_on_the_shipped_silos_matches_the_planted_noise(silos):
    report = quality.quality_report(silos)
    # share of phones typed as 11 plain digits: planted 50 % (store), 60 % (web), 30 % (call centre)
    for source, planted in [("store_members", 0.50), ("web_accounts", 0.60), ("callcentre_contacts", 0.30)]:
        assert report.loc[(source, "phone"), "standard"] == pytest.approx(planted, abs=0.04), source
    # completeness: planted ID numbers on 30 % of store cards and 60 % of call-centre records, e-mail on 35 % of cards
    assert report.loc[("store_members", "id_number"), "filled"] == pytest.approx(0.30, abs=0.03)
    assert report.loc[("callcentre_contacts", "id_number"), "filled"] == pytest.approx(0.60, abs=0.03)
    assert report.loc[("store_members", "email"), "filled"] == pytest.approx(0.35, abs=0.03)
    # duplicated phone numbers within a silo come from the planted second cards and accounts
    truth = load_data("identity_map")
    for source in identify.SILOS:
        second = truth.loc[truth["source"] == source, "customer_id"].duplicated(keep=False).mean()
        assert 0.8 * second <= report.loc[(source, "phone"), "duplicated"] <= second, source
    assert (report.xs("record_id", level="field")["duplicated"] == 0).all()


def test_staleness_against_the_single_customer_view(silos):
    view = identify.resolve_customers(silos, verbose=False)
    report = quality.quality_report(silos, view=view)
    stale = report["stale"].dropna()
    assert ((stale >= 0) & (stale <= 1)).all()
    # a city differs from the customer's newest record for some movers, but for few records overall
    assert 0 < report.loc[("store_members", "city"), "stale"] < 0.1
    # names typed by call-centre agents are corrected by the other records more often than the stores' (typos)
    assert report.loc[("callcentre_contacts", "name"), "stale"] > report.loc[("store_members", "name"), "stale"]
    assert pd.isna(quality.quality_report(silos).loc[("store_members", "city"), "stale"])


def test_bad_input_is_named(silos):
    with pytest.raises(CrmlabInputError, match="store_members is missing column\\(s\\) 'email'"):
        quality.quality_report({"store_members": silos["store_members"].drop(columns="email")})
    with pytest.raises(CrmlabInputError, match="did you mean 'create_ts'"):
        quality.quality_report({"web_accounts": silos["web_accounts"].rename(columns={"created_ts": "create_ts"})})
    with pytest.raises(CrmlabInputError, match="callcentre_contacts is empty"):
        quality.quality_report({"callcentre_contacts": silos["callcentre_contacts"].iloc[0:0]})
    with pytest.raises(CrmlabInputError, match="as_of must be a date such as '2026-01-01', got 'soon'"):
        quality.quality_report(silos, as_of="soon")
    with pytest.raises(CrmlabInputError, match="no column map for source 'orders'"):
        quality.quality_report({"orders": load_data("orders")})


def test_unreadable_dates_are_invalid_values_not_a_crash(silos):
    calls = silos["callcentre_contacts"].head(20).copy()
    calls.loc[5, "first_call_date"] = "yesterday"
    report = quality.quality_report({"callcentre_contacts": calls}, as_of="2026-01-01")
    assert report.loc[("callcentre_contacts", "recorded_at"), "valid"] == pytest.approx(19 / 20)
    bad = quality.invalid_values({"callcentre_contacts": calls}, as_of="2026-01-01")
    assert bad.loc[bad["field"] == "recorded_at", "value"].tolist() == ["yesterday"]
