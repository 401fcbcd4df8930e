"""The airline case (航空公司客户价值分析): a seeded loyalty-programme generator with planted classes.

``generate_airline`` writes the members of an airline's frequent-flyer
programme (常旅客计划) as the classic case has them — join date, first and
last flight, flights, kilometres, average discount coefficient, points, card
tier, city, age, fares of the two years of the observation window — and, in
a separate folder, the truth it planted: each member's customer class
(重要保持 / 重要发展 / 重要挽留 / 一般 / 低价值) and the dirt in the row (a fare
not recorded, flights without fares, an impossible age). The model is
documented in ``datasets/README.md`` ("Airline"); the planted numbers are in
:data:`PARAMETERS`.

The same seed, size and student id give byte-identical files on any machine,
with the conventions of :mod:`crmlab.generator` (UTF-8 CSV with BOM, a
student variant scales each planted number by a factor in [0.85, 1.15]).

Examples
--------
>>> from crmlab.generator import generate_airline
>>> paths = generate_airline("my_data", student_id="2025012345")  # doctest: +SKIP
"""
from __future__ import annotations

import copy
import json
from pathlib import Path

import numpy as np
import pandas as pd

from crmlab.datasets.schema import AIRLINE_CLASSES, AIRLINE_DIRT, TABLES
from crmlab.generator._shared import CITIES, Writer, make_ids, prepare_run, root_seed

DEFAULT_SEED = 20250331
DEFAULT_MEMBERS = 10_000
OBSERVATION_END = np.datetime64("2025-03-31")
WINDOW_DAYS = 731  # 2023-04-01 .. 2025-03-31, the two years of the observation window
PROGRAMME_START = np.datetime64("2005-01-01")
DAYS_PER_MONTH = 365.25 / 12

# Everything the generator plants, per class: mean membership length L (months), mean days since
# the last flight R, mean flights F in the window, mean km per flight, mean discount coefficient C.
PARAMETERS = {
    "classes": {
        "important_retain": {"share": 0.10, "length_months": 80, "recency_days": 18, "flights": 30,
                             "km_per_flight": 1500, "discount": 0.90},
        "important_develop": {"share": 0.16, "length_months": 30, "recency_days": 30, "flights": 8,
                              "km_per_flight": 1400, "discount": 1.15},
        "important_winback": {"share": 0.14, "length_months": 100, "recency_days": 330, "flights": 14,
                              "km_per_flight": 1500, "discount": 0.82},
        "general": {"share": 0.32, "length_months": 50, "recency_days": 60, "flights": 7,
                    "km_per_flight": 1150, "discount": 0.72},
        "low_value": {"share": 0.28, "length_months": 22, "recency_days": 430, "flights": 3,
                      "km_per_flight": 950, "discount": 0.58},
    },
    # Spread within a class: lognormal sigma of L and of km, gamma shape of R, negative-binomial
    # shape of the extra flights, normal sd of C.
    "spread": {"length": 0.25, "recency_shape": 4.0, "flights_shape": 12.0, "km": 0.15, "discount": 0.07},
    "fare_per_km": 0.75,  # CNY per km of a full economy fare
    "partner_points": 1500,  # mean points from partners (hotels, cards) per member
    "tiers": {"silver": 15_000, "gold": 40_000},  # points at the end of the window
    "dirt": {"missing_fare": 0.006, "zero_fare": 0.008, "impossible_age": 0.002},
}


def generate_airline(out_dir, *, n_members: int = DEFAULT_MEMBERS, seed: int = DEFAULT_SEED,
                     student_id: str | None = None) -> dict[str, Path]:
    """Generate the airline loyalty programme and write it to ``out_dir``.

    Parameters
    ----------
    out_dir : str or Path
        Folder to write. The members go to ``out_dir/airline/``, the planted
        truth to ``out_dir/airline_truth/`` (``airline_member_truth.csv`` and
        ``airline_truth.json``). Existing files of the same names are replaced.
    n_members : int, default 10000
        Number of members (会员数).
    seed : int, default 20250331
        Seed of the random generator (随机种子).
    student_id : str, optional
        A student's own variant (学生个人数据): class shares and profiles each
        scaled by a factor in [0.85, 1.15] drawn from the id.

    Returns
    -------
    dict of str to Path
        The members table, its truth table and ``"airline_truth"`` (the JSON), each with its path.

    Examples
    --------
    >>> import tempfile
    >>> paths = generate_airline(tempfile.mkdtemp(), n_members=300, seed=1)
    >>> sorted(paths)
    ['airline_member_truth', 'airline_members', 'airline_truth']
    """
    out = prepare_run(out_dir, ("airline", "airline_truth"), size=("n_members", n_members), seed=seed,
                      student_id=student_id,
                      example="generate_airline('my_data') or `crmlab data generate-airline --out my_data`")

    root = root_seed(seed, student_id)
    params = _variant_parameters(root, student_id)
    rng = np.random.default_rng(np.random.SeedSequence(root, spawn_key=(11,)))
    members, truth = _simulate(rng, params, int(n_members))
    writer = Writer(out)
    try:
        writer.write("airline_members", members)
        writer.write("airline_member_truth", truth)
    finally:
        writer.close()
    paths = dict(writer.paths)
    summary = {
        "generator": "crmlab.generator.airline.generate_airline",
        "seed": int(seed), "student_id": student_id, "n_members": int(n_members),
        "observation_window": {"start": str(OBSERVATION_END - (WINDOW_DAYS - 1)), "end": str(OBSERVATION_END)},
        "parameters": params,
        "class_counts": {c: int(n) for c, n in truth["planted_class"].value_counts().reindex(AIRLINE_CLASSES, fill_value=0).items()},
        "dirt_counts": {d: int(n) for d, n in truth["dirt"].value_counts().reindex(AIRLINE_DIRT, fill_value=0).items()},
    }
    paths["airline_truth"] = out / "airline_truth" / "airline_truth.json"
    paths["airline_truth"].write_text(json.dumps(summary, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return paths


def _variant_parameters(root: int, student_id: str | None) -> dict:
    params = copy.deepcopy(PARAMETERS)
    if student_id is None:
        return params
    rng = np.random.default_rng(np.random.SeedSequence(root, spawn_key=(10,)))
    for profile in params["classes"].values():
        for key in ("share", "length_months", "recency_days", "flights", "km_per_flight", "discount"):
            profile[key] = round(float(profile[key] * rng.uniform(0.85, 1.15)), 4)
    total = sum(p["share"] for p in params["classes"].values())
    for profile in params["classes"].values():
        profile["share"] = round(profile["share"] / total, 4)
    return params


def _simulate(rng, params, n):
    P = params["classes"]
    spread = params["spread"]
    share = np.array([P[c]["share"] for c in AIRLINE_CLASSES])
    cls = rng.choice(len(AIRLINE_CLASSES), size=n, p=share / share.sum())

    def per_member(key):
        return np.array([P[c][key] for c in AIRLINE_CLASSES], float)[cls]

    end = OBSERVATION_END.astype(np.int64)  # days since 1970
    window_start = end - (WINDOW_DAYS - 1)
    # Membership length, then the first flight soon after joining (before the end of the window).
    max_length = end - PROGRAMME_START.astype(np.int64)
    length = np.clip(per_member("length_months") * DAYS_PER_MONTH * rng.lognormal(0, spread["length"], n),
                     30, max_length).astype(np.int64)
    join = end - length
    first_flight = np.minimum(join + rng.geometric(1 / 20, n) - 1, end - 1)
    # Days since the last flight, at most the time since the first flight and within the window.
    shape = spread["recency_shape"]
    recency = np.round(rng.gamma(shape, per_member("recency_days") / shape))
    recency = np.clip(recency, 1, np.minimum(end - first_flight, WINDOW_DAYS - 1)).astype(np.int64)
    last = end - recency
    active_from = np.maximum(first_flight, window_start)
    # Flights in the window: the last one, the first one if it falls in the window, and the rest between.
    k = spread["flights_shape"]
    extra = rng.negative_binomial(k, k / (k + np.maximum(per_member("flights") - 2, 0.1)))
    flights = 2 + np.minimum(extra, (last - active_from) // 2)
    member = np.repeat(np.arange(n), flights)
    nth = np.arange(len(member)) - np.repeat(np.cumsum(flights) - flights, flights)
    day = active_from[member] + np.floor(rng.random(len(member)) * (last - active_from + 1)[member]).astype(np.int64)
    day = np.where(nth == 0, last[member], day)
    day = np.where((nth == 1) & (first_flight[member] >= window_start), first_flight[member], day)
    # Distances around the member's usual routes; the discount of each ticket around the member's level.
    usual_km = per_member("km_per_flight") * rng.lognormal(0, spread["km"], n)
    km = np.maximum(np.round(usual_km[member] * rng.lognormal(0, 0.3, len(member))), 150)
    level = np.clip(rng.normal(per_member("discount"), spread["discount"]), 0.2, 1.5)
    discount = np.clip(level[member] * rng.lognormal(0, 0.08, len(member)), 0.1, 1.6)
    fare = km * params["fare_per_km"] * discount
    points_rate = np.select([discount >= 1.0, discount >= 0.6], [1.5, 1.0], 0.5)

    flown_km = np.bincount(member, weights=km, minlength=n)
    avg_discount = np.round(np.bincount(member, weights=km * discount, minlength=n) / flown_km, 6)
    first_year = day < window_start + 366
    fare_yr1 = np.round(np.bincount(member, weights=np.where(first_year, fare, 0.0), minlength=n))
    fare_yr2 = np.round(np.bincount(member, weights=np.where(first_year, 0.0, fare), minlength=n))
    points = np.round(np.bincount(member, weights=km * points_rate, minlength=n)
                      + rng.exponential(params["partner_points"], n)).astype(np.int64)
    tiers = params["tiers"]
    tier = np.select([points >= tiers["gold"], points >= tiers["silver"]], ["gold", "silver"], "standard")
    age = np.clip(np.round(rng.normal(36 + 3 * per_member("length_months") / 30, 9)), 18, 80).astype(np.int64)
    gender = np.where(rng.random(n) < 0.74, "M", "F").astype(object)
    gender[rng.random(n) < 0.004] = None
    weights = np.array([c[4] for c in CITIES], float)
    city = np.array([c[0] for c in CITIES], dtype=object)[rng.choice(len(CITIES), size=n, p=weights / weights.sum())]
    city[rng.random(n) < 0.02] = None

    # Dirt (脏数据), at most one kind per member: a fare not recorded, flights paid with points only
    # (both fares 0), an impossible age.
    rates = params["dirt"]
    u = rng.random(n)
    edges = np.cumsum([rates["missing_fare"], rates["zero_fare"], rates["impossible_age"]])
    dirt = np.searchsorted(edges, u, side="right")  # 0 missing, 1 zero, 2 age, 3 clean
    dirt = np.where(dirt == 3, 0, dirt + 1)  # codes of AIRLINE_DIRT: 0 none, 1 missing, 2 zero, 3 age
    missing = dirt == 1
    which = rng.integers(0, 3, n)  # year 1, year 2 or both missing
    fare_yr1 = np.where(missing & (which != 1), np.nan, fare_yr1)
    fare_yr2 = np.where(missing & (which != 0), np.nan, fare_yr2)
    fare_yr1 = np.where(dirt == 2, 0.0, fare_yr1)
    fare_yr2 = np.where(dirt == 2, 0.0, fare_yr2)
    age = np.where(dirt == 3, 100 + rng.integers(1, 21, n), age)

    members = pd.DataFrame({
        "join_date": pd.to_datetime(join.astype("datetime64[D]")),
        "first_flight_date": pd.to_datetime(first_flight.astype("datetime64[D]")),
        "gender": gender, "age": age, "city": city, "tier": tier,
        "observation_end": pd.to_datetime(np.full(n, OBSERVATION_END)),
        "last_flight_date": pd.to_datetime(last.astype("datetime64[D]")),
        "flight_count": flights.astype(np.int64), "flown_km": flown_km.astype(np.int64),
        "avg_discount": avg_discount, "points": points, "fare_yr1": fare_yr1, "fare_yr2": fare_yr2,
        "planted_class": np.array(AIRLINE_CLASSES)[cls], "dirt": np.array(AIRLINE_DIRT)[dirt],
    })
    # Member numbers follow the order of joining.
    members = members.sort_values(["join_date", "first_flight_date"], kind="stable").reset_index(drop=True)
    members.insert(0, "member_id", make_ids("A", np.arange(1, n + 1), 6))
    return members[TABLES["airline_members"].column_names], members[TABLES["airline_member_truth"].column_names]
