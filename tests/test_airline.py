"""The airline case: the generator (shipped files, determinism, variants, CLI, planted model) and
crmlab.airline (cleaning against the planted dirt, LRFMC by hand, k-means recovering the planted classes)."""
import filecmp
import json

import numpy as np
import pandas as pd
import pytest

import crmlab.generator.airline as generator
from crmlab import airline
from crmlab.datasets import DATA_DIR, load_data
from crmlab.datasets.schema import AIRLINE_CLASSES, TABLES
from crmlab.generator import generate_airline
from crmlab.validation import CrmlabInputError

FOLDERS = ("airline", "airline_truth")


def _files(root):
    return sorted(p.relative_to(root) for folder in FOLDERS for p in (root / folder).rglob("*") if p.is_file())


def _same_tree(a, b):
    assert _files(a) == _files(b)
    different = [str(f) for f in _files(a) if not filecmp.cmp(a / f, b / f, shallow=False)]
    assert not different, f"files differ: {different}"


@pytest.fixture(scope="module")
def shipped():
    members = load_data("airline_members")
    truth = load_data("airline_member_truth")
    return members, truth


@pytest.fixture(scope="module")
def classes(shipped):
    return airline.value_classes(shipped[0], verbose=False)


# ------------------------------------------------------------------ the generator

def test_shipped_airline_files_are_exactly_the_default_generation(tmp_path):
    generate_airline(tmp_path)
    _same_tree(tmp_path, DATA_DIR)


def test_same_seed_same_bytes_other_seed_other_data(tmp_path):
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    generate_airline(a, n_members=400, seed=5)
    generate_airline(b, n_members=400, seed=5)
    generate_airline(c, n_members=400, seed=6)
    _same_tree(a, b)
    assert (a / "airline" / "airline_members.csv").read_bytes() != (c / "airline" / "airline_members.csv").read_bytes()


def test_student_variants_differ_reproduce_and_stay_within_15_percent(tmp_path):
    a1, a2, b = tmp_path / "a1", tmp_path / "a2", tmp_path / "b"
    for folder, sid in ((a1, "2025001"), (a2, "2025001"), (b, "2025002")):
        generate_airline(folder, n_members=500, student_id=sid)
    _same_tree(a1, a2)
    assert (a1 / "airline" / "airline_members.csv").read_bytes() != (b / "airline" / "airline_members.csv").read_bytes()
    pa, pb = (json.loads((d / "airline_truth" / "airline_truth.json").read_text(encoding="utf-8")) for d in (a1, b))
    assert pa["parameters"] != pb["parameters"] and pa["student_id"] == "2025001"
    for params in (pa["parameters"], pb["parameters"]):
        assert sum(c["share"] for c in params["classes"].values()) == pytest.approx(1, abs=1e-3)
        for name, profile in params["classes"].items():
            nominal = generator.PARAMETERS["classes"][name]
            for key in ("flights", "recency_days", "discount"):
                assert 0.84 <= profile[key] / nominal[key] <= 1.16


def test_every_table_loads_with_the_documented_columns(shipped):
    members, truth = shipped
    assert list(members.columns) == TABLES["airline_members"].column_names
    assert members["member_id"].is_unique and len(members) == generator.DEFAULT_MEMBERS
    assert truth["member_id"].tolist() == members["member_id"].tolist()
    assert list(truth["planted_class"].cat.categories) == list(AIRLINE_CLASSES)


def test_flights_are_consistent_with_the_window(shipped):
    m = shipped[0]
    end = pd.Timestamp(str(generator.OBSERVATION_END))
    start = end - pd.Timedelta(days=generator.WINDOW_DAYS - 1)
    assert (m["observation_end"] == end).all()
    assert m["last_flight_date"].between(start, end - pd.Timedelta(days=1)).all()
    assert (m["first_flight_date"] >= m["join_date"]).all()
    assert (m["last_flight_date"] >= m["first_flight_date"]).all()
    assert (m["flight_count"] >= 2).all() and (m["flown_km"] >= 2 * 150).all()
    # No fare in the second year of the window for a member whose last flight was in the first.
    first_year_only = m["last_flight_date"] < start + pd.Timedelta(days=366)
    assert (m.loc[first_year_only, "fare_yr2"].fillna(0) == 0).all()
    # The tier follows the points.
    tiers = generator.PARAMETERS["tiers"]
    expected = np.select([m["points"] >= tiers["gold"], m["points"] >= tiers["silver"]], ["gold", "silver"], "standard")
    assert (m["tier"].astype(str).to_numpy() == expected).all()


def test_planted_profiles_show_in_the_data(shipped):
    members, truth = shipped
    by_class = members.groupby(truth["planted_class"].to_numpy())
    flights = by_class["flight_count"].mean()
    discount = by_class["avg_discount"].mean()
    for name, p in generator.PARAMETERS["classes"].items():
        # Flights: 2 + negative binomial around the planted mean, rarely cut by a short membership.
        assert flights[name] == pytest.approx(p["flights"], rel=0.1), name
        assert discount[name] == pytest.approx(p["discount"], abs=0.03), name
    shares = truth["planted_class"].value_counts(normalize=True)
    for name, p in generator.PARAMETERS["classes"].items():
        assert abs(shares[name] - p["share"]) < 0.015


def test_planted_dirt_is_where_the_truth_says(shipped):
    members, truth = shipped
    dirt = truth["dirt"].astype(str).to_numpy()
    fares = members[["fare_yr1", "fare_yr2"]]
    assert (fares.isna().any(axis=1).to_numpy() == (dirt == "missing_fare")).all()
    assert ((members["age"] > 100).to_numpy() == (dirt == "impossible_age")).all()
    assert ((fares == 0).all(axis=1).to_numpy() == (dirt == "zero_fare")).all()
    summary = json.loads((DATA_DIR / "airline_truth" / "airline_truth.json").read_text(encoding="utf-8"))
    assert summary["dirt_counts"] == truth["dirt"].value_counts().reindex(summary["dirt_counts"]).to_dict()


@pytest.mark.parametrize("kwargs, fragment", [
    ({"n_members": 0}, "n_members must be a positive whole number"),
    ({"n_members": 2.5}, "n_members must be a positive whole number"),
    ({"seed": -1}, "seed must be a non-negative whole number"),
    ({"student_id": " "}, "student_id is empty"),
])
def test_bad_generator_arguments(tmp_path, kwargs, fragment):
    with pytest.raises(CrmlabInputError, match=fragment):
        generate_airline(tmp_path, **{"n_members": 50, **kwargs})


def test_unwritable_folder_is_rejected(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(CrmlabInputError, match="cannot write to"):
        generate_airline(blocker / "sub", n_members=50)


def test_cli_writes_the_same_files_and_reports_errors(tmp_path, capsys):
    from crmlab.cli import main

    assert main(["data", "generate-airline", "--out", str(tmp_path / "cli"), "--members", "300",
                 "--student-id", "s9"]) == 0
    assert "airline_members" in capsys.readouterr().out
    generate_airline(tmp_path / "direct", n_members=300, student_id="s9")
    _same_tree(tmp_path / "cli", tmp_path / "direct")
    assert main(["data", "generate-airline", "--out", str(tmp_path / "x"), "--members", "-1"]) == 2
    assert "positive whole number" in capsys.readouterr().err


# ------------------------------------------------------------------ the analysis, by hand

def _members(**changes):
    frame = pd.DataFrame({
        "member_id": ["A1", "A2", "A3", "A4", "A5"],
        "join_date": pd.to_datetime(["2023-03-31", "2020-01-01", "2024-01-01", "2019-05-05", "2021-06-30"]),
        "observation_end": pd.to_datetime(["2025-03-31"] * 5),
        "last_flight_date": pd.to_datetime(["2025-01-30", "2025-03-30", "2024-03-01", "2024-12-01", "2025-02-01"]),
        "flight_count": [10, 40, 2, 8, 5], "flown_km": [12000, 60000, 1800, 9000, 5000],
        "avg_discount": [0.8, 0.95, 0.5, 1.1, 0.7], "age": [35, 52, 28, 130, 41],
        "fare_yr1": [4000.0, 20000.0, 700.0, 3000.0, np.nan], "fare_yr2": [3000.0, 22000.0, 0.0, 4000.0, 1500.0],
    })
    return frame.assign(**changes)


def test_cleaning_rules_by_hand(capsys):
    m = _members(fare_yr1=[4000.0, 20000.0, 0.0, 3000.0, np.nan], fare_yr2=[3000.0, 22000.0, 0.0, 4000.0, 1500.0])
    clean = airline.clean_members(m)
    assert clean["member_id"].tolist() == ["A1", "A2"]
    assert clean.attrs["set_aside"] == {"rows with a fare missing": 1, "rows with flights without fares": 1,
                                        "rows with an impossible age": 1}
    assert "set aside 1 rows with a fare missing, 1 rows with flights without fares, 1 rows with an impossible age" \
        in capsys.readouterr().out
    # A fare of 0 in one year only is no dirt: the member did not fly that year.
    assert "A3" in airline.clean_members(_members(), verbose=False)["member_id"].tolist()
    assert airline.clean_members(_members(), max_age=200, verbose=False)["member_id"].tolist() == ["A1", "A2", "A3", "A4"]


def test_cleaning_the_shipped_members_removes_exactly_the_planted_dirt(shipped):
    members, truth = shipped
    clean = airline.clean_members(members, verbose=False)
    removed = set(members["member_id"]) - set(clean["member_id"])
    assert removed == set(truth.loc[truth["dirt"] != "none", "member_id"])
    counts = truth["dirt"].value_counts()
    assert clean.attrs["set_aside"] == {"rows with a fare missing": counts["missing_fare"],
                                        "rows with flights without fares": counts["zero_fare"],
                                        "rows with an impossible age": counts["impossible_age"]}


def test_lrfmc_by_hand():
    f = airline.lrfmc(_members())
    assert list(f.columns) == list(airline.FEATURES) and f.index.tolist() == ["A1", "A2", "A3", "A4", "A5"]
    assert f.loc["A1", "L_months"] == pytest.approx(731 / 30.4375)  # 2023-03-31 .. 2025-03-31
    assert f.loc["A1", "R_months"] == pytest.approx(60 / 30.4375)
    assert f.loc["A2", ["F_flights", "M_km", "C_discount"]].tolist() == [40, 60000, 0.95]
    text = _members(join_date=["2023-03-31", "2020-01-01", "2024-01-01", "2019-05-05", "2021-06-30"])
    assert airline.lrfmc(text).equals(f)  # dates given as text are parsed


def test_standardise_by_hand():
    z = airline.standardise(pd.DataFrame({"F_flights": [2.0, 4.0, 6.0], "C_discount": [0.5, 0.5, 1.1]}))
    assert z["z_F_flights"].tolist() == pytest.approx([-np.sqrt(1.5), 0, np.sqrt(1.5)])  # population sd
    assert z["z_C_discount"].tolist() == pytest.approx([-1 / np.sqrt(2), -1 / np.sqrt(2), np.sqrt(2)])
    assert z.attrs["mean"]["F_flights"] == 4.0 and z.attrs["std"]["F_flights"] == pytest.approx(np.sqrt(8 / 3))


def test_kmeans_numbers_clusters_by_size():
    z = pd.DataFrame({"x": [10.0, 10.1, 0.0, 0.1, 0.2, 0.3]}, index=list("abcdef"))
    labels, centres = airline.kmeans(z, k=2)
    assert labels.to_dict() == {"a": 1, "b": 1, "c": 0, "d": 0, "e": 0, "f": 0}
    assert centres["members"].tolist() == [4, 2]
    assert centres["x"].tolist() == pytest.approx([0.15, 10.05])
    assert centres.attrs["inertia"] == pytest.approx(0.05 + 0.005)


def test_naming_follows_the_textbook_profiles():
    # each profile itself, shuffled, must get its own name back
    centres = airline.PROFILES.iloc[[3, 0, 4, 1, 2]].add_prefix("z_").reset_index(drop=True)
    named = airline.name_clusters(centres)
    assert named["class"].tolist() == ["general", "important_retain", "low_value", "important_develop",
                                       "important_winback"]
    assert named["class_zh"].tolist() == ["一般客户", "重要保持客户", "低价值客户", "重要发展客户", "重要挽留客户"]
    assert named["similarity"].tolist() == pytest.approx([1.0] * 5)
    # with more clusters than classes, each cluster takes the closest class
    six = pd.concat([centres, centres.iloc[[1]] * 2], ignore_index=True)
    assert airline.name_clusters(six)["class"].tolist()[-1] == "important_retain"


def test_agreement_by_hand():
    known = pd.Series(["a", "a", "b", "b"], index=[1, 2, 3, 4])
    assert airline.agreement(known, pd.Series(["x", "x", "y", "y"], index=[1, 2, 3, 4]))["adjusted_rand"] == 1.0
    same = airline.agreement(known, pd.Series(["a", "b", "b", "b", "c"], index=[1, 2, 3, 4, 5]))
    assert same["members"] == 4 and same["not_matched"] == 1 and same["same_name"] == 0.75


# ------------------------------------------------------------------ recovering the planted classes

def test_kmeans_recovers_the_planted_classes(shipped, classes):
    truth = shipped[1].set_index("member_id")["planted_class"]
    result = airline.agreement(truth, classes["class"])
    print(result)
    assert result["members"] == (shipped[1]["dirt"] == "none").sum()
    assert result["adjusted_rand"] > 0.8  # measured 0.876
    assert result["same_name"] > 0.9  # measured 0.947
    # every planted class is found, and is the largest share of the members given its name
    table = pd.crosstab(classes["class"], truth.reindex(classes.index))
    assert all(table.loc[c].idxmax() == c for c in AIRLINE_CLASSES)


def test_the_choice_of_k_points_to_five(shipped):
    z = airline.standardise(airline.lrfmc(airline.clean_members(shipped[0], verbose=False)))
    table = airline.choose_k(z, k_values=range(2, 9))
    print(table)
    assert table["silhouette"].idxmax() == 5  # measured 0.491 at 5, 0.486 at 6, 0.430 at 2
    assert table.loc[5, "inertia_drop"] > 2.5 * table.loc[6, "inertia_drop"]  # the elbow: 5 286 vs 1 643
    assert table["inertia"].is_monotonic_decreasing


def test_a_student_variant_is_recovered_too(tmp_path):
    generate_airline(tmp_path, n_members=4000, student_id="2025012345")
    members = load_data("airline_members", data_dir=tmp_path)
    truth = load_data("airline_member_truth", data_dir=tmp_path).set_index("member_id")["planted_class"]
    result = airline.agreement(truth, airline.value_classes(members, verbose=False)["class"])
    assert result["adjusted_rand"] > 0.75 and result["same_name"] > 0.85


# ------------------------------------------------------------------ bad input

@pytest.mark.parametrize("call, fragment", [
    (lambda: airline.clean_members(_members().drop(columns="fare_yr2")), r"missing column\(s\) 'fare_yr2'"),
    (lambda: airline.clean_members(_members().rename(columns={"avg_discount": "avg_disc"})), "did you mean 'avg_disc'"),
    (lambda: airline.clean_members(_members(flight_count=["10", "x", "2", "8", "5"])), "'flight_count' must hold numbers"),
    (lambda: airline.clean_members(_members(member_id=["A1", "A1", "A3", "A4", "A5"])), "member_id is not unique in rows 0, 1"),
    (lambda: airline.clean_members(_members().iloc[0:0]), "is empty"),
    (lambda: airline.clean_members(_members(age=[130] * 5)), "every row breaks a cleaning rule"),
    (lambda: airline.clean_members(_members(), max_age=0), "max_age must be a positive whole number"),
    (lambda: airline.lrfmc(_members(join_date=["2023-03-31", "someday", "2024-01-01", "2019-05-05", "2021-06-30"])),
     "'join_date' has values that are not dates in row 1"),
    (lambda: airline.lrfmc(_members(last_flight_date=pd.to_datetime(["2025-01-30"] * 4 + ["2025-06-01"]))),
     "'last_flight_date' is after 'observation_end' in row 4"),
    (lambda: airline.lrfmc(_members(observation_end=pd.to_datetime(["2025-03-31"] * 5).tz_localize("Asia/Shanghai"))),
     "carries a time zone"),
    (lambda: airline.lrfmc(_members(flown_km=[1.0, np.nan, 1.0, 1.0, 1.0])), "must be numbers >= 0.*row 1"),
    (lambda: airline.standardise(pd.DataFrame({"a": [1.0, 1.0], "b": [1.0, 2.0]})), r"\['a'\] have the same value"),
    (lambda: airline.standardise(pd.DataFrame({"a": [1.0, None]})), "missing or non-numeric values in row 1"),
    (lambda: airline.standardise(pd.DataFrame({"a": [1.0, None]}, index=pd.Index(["A1", "A2"], name="member_id"))),
     "missing or non-numeric values for member A2"),
    (lambda: airline.kmeans(pd.DataFrame({"z": [0.1, None, 2.0]}, index=pd.Index(["A1", "A2", "A3"], name="member_id"))),
     "missing or non-numeric values for member A2"),
    (lambda: airline.kmeans(pd.DataFrame({"a": [1.0, 2.0]}), k=3), "k must be a whole number from 1 to the number of rows"),
    (lambda: airline.choose_k(pd.DataFrame({"a": [1.0, 2.0, 3.0]}), k_values=[1, 2]), "k_values must be whole numbers >= 2"),
    (lambda: airline.name_clusters(pd.DataFrame({"z_L_months": [1.0]})), r"missing column\(s\) 'z_R_months'"),
    (lambda: airline.name_clusters(airline.PROFILES.add_prefix("z_"), profiles=airline.PROFILES.rename(index={"general": "gold"})),
     r"unknown class\(es\) \['gold'\]"),
    (lambda: airline.agreement([1, 2], pd.Series([1, 2])), "known must be a pandas Series"),
    (lambda: airline.agreement(pd.Series([1], index=["a"]), pd.Series([1], index=["b"])), "share no member"),
])
def test_bad_input_is_rejected_with_the_fix(call, fragment):
    with pytest.raises(CrmlabInputError, match=fragment):
        call()


def test_choose_k_records_the_silhouette_sample():
    z = airline.standardise(pd.DataFrame({"x": [0.0, 0.1, 0.2, 5.0, 5.1, 5.3, 9.0, 9.2]}))
    assert airline.choose_k(z, k_values=[2, 3], silhouette_sample=5).attrs == {"members": 8, "silhouette_sample": 5}
    full = airline.choose_k(z, k_values=[2, 3], silhouette_sample=None)
    assert full.attrs == {"members": 8, "silhouette_sample": 8}
    assert airline.choose_k(z, k_values=[2, 3], silhouette_sample=50)["silhouette"].equals(full["silhouette"])
