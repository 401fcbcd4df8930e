"""Benchmark: chapter 7's measures on a million customers and a survey of 100 000.

    python benchmarks/measure_relationships.py [--customers 1000000] [--respondents 100000] [--seed 1]

Synthesises, with a seed, a purchase log shaped like the output of
``crmlab.transactions.purchases`` for the sample company at scale (about 3.3
purchases per customer over three years, 2.5 order lines per purchase) and a
SERVQUAL survey with the columns of ``load_data("survey")``, then times each
step of chapter 7: retention (lifetimes, Kaplan–Meier by group, cohort
table, churn by group, churn drivers, win-back list), loyalty (indicators
with price sensitivity, attitude × behaviour matrix, loyalty-type mix) and
satisfaction (c = b / a, SERVQUAL gaps and reliability, IPA, NPS). Prints
the time of each step and the peak memory (resident set size).
"""
import argparse
import platform
import time

import numpy as np
import pandas as pd

from _measure import peak_rss_mb  # benchmarks/_measure.py, beside this script
from crmlab.datasets.schema import LOYALTY_TYPES, SERVQUAL_DIMENSIONS
from crmlab.loyalty import loyalty_indicators, loyalty_matrix, loyalty_type_mix
from crmlab.retention import (churn_by_group, churn_drivers, cohort_retention, customer_lifetimes, kaplan_meier,
                              winback_priority)
from crmlab.satisfaction import (importance_performance, net_promoter_score, satisfaction_index, servqual_gaps,
                                 servqual_reliability)


def synthesise(n_customers: int, n_respondents: int, seed: int):
    rng = np.random.default_rng(seed)
    n_per = 1 + rng.poisson(2.3, n_customers)
    n = int(n_per.sum())
    cust = np.repeat(np.arange(n_customers), n_per)
    start = np.datetime64("2023-01-01T00:00:00", "s")
    first = rng.integers(0, 3 * 365 * 86400, n_customers)
    offset = (rng.exponential(120 * 86400, n)).astype("int64")
    ts = start + np.minimum(first[cust] + offset, 3 * 365 * 86400 - 1).astype("timedelta64[s]")
    ids = np.char.add("C", np.char.zfill(np.arange(n_customers).astype(str), 7))
    revenue = np.round(rng.gamma(2.0, 80.0, n), 2)
    bought = pd.DataFrame({"customer_id": ids[cust], "order_id": np.char.add("O", np.char.zfill(np.arange(n).astype(str), 9)),
                           "order_ts": ts, "revenue": revenue, "margin": np.round(revenue * 0.4, 2)})
    per_order = rng.integers(1, 5, n)
    lines = pd.DataFrame({"order_id": np.repeat(bought["order_id"].to_numpy(), per_order),
                          "quantity": 1, "unit_price": np.repeat(revenue / per_order, per_order) * 1.1})
    lines["net_amount"] = lines["unit_price"] / 1.1 * np.where(rng.random(len(lines)) < 0.2, 0.8, 1.0)
    r = n_respondents
    level = rng.normal(0, 0.5, r)
    survey = {"response_id": np.char.add("R", np.arange(r).astype(str)),
              "customer_id": ids[rng.choice(n_customers, r, replace=False)],
              "survey_date": pd.Timestamp("2025-05-15"),
              "overall_expectation": rng.integers(5, 11, r)}
    survey["overall_perception"] = np.clip(np.round(survey["overall_expectation"] * np.exp(level / 4)), 1, 10).astype(int)
    survey["satisfaction"] = np.clip(np.round(3 + 2 * level), 1, 5).astype(int)
    for d, items in SERVQUAL_DIMENSIONS.items():
        for i in items:
            e = rng.normal(5.7, 0.7, r)
            survey[f"exp_{i:02d}"] = np.clip(np.round(e), 1, 7).astype(int)
            survey[f"per_{i:02d}"] = np.clip(np.round(e - 0.5 + level + rng.normal(0, 0.5, r)), 1, 7).astype(int)
    w = rng.dirichlet(np.ones(5) * 5, r) * 100
    for k, d in enumerate(SERVQUAL_DIMENSIONS):
        survey[f"imp_{d}"] = w[:, k]
    survey["recommend"] = np.clip(np.round(7 + 3 * level + rng.normal(0, 1.2, r)), 0, 10).astype(int)
    survey["attitude_like"] = rng.integers(1, 6, r)
    survey["attitude_prefer"] = rng.integers(1, 6, r)
    survey["switching_cost"] = rng.integers(1, 6, r)
    survey["main_reason"] = np.array(LOYALTY_TYPES)[rng.integers(0, 6, r)]
    return bought, lines, pd.DataFrame(survey)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--respondents", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    t0 = time.perf_counter()
    bought, lines, survey = synthesise(args.customers, args.respondents, args.seed)
    print(f"machine: {platform.machine()}, {platform.python_implementation()} {platform.python_version()}")
    print(f"synthesised {len(bought):,} purchases of {args.customers:,} customers, {len(lines):,} order lines, "
          f"{len(survey):,} survey answers in {time.perf_counter() - t0:.1f} s; peak memory {peak_rss_mb():.0f} MB")
    end = "2026-01-01"

    def step(name, fn):
        t = time.perf_counter()
        out = fn()
        print(f"  {name:<42} {time.perf_counter() - t:6.2f} s")
        return out

    total = time.perf_counter()
    life = step("customer_lifetimes (1M customers)", lambda: customer_lifetimes(bought, as_of=end, verbose=False))
    life["group"] = np.where(life["n_purchases"] >= 3, "frequent", "rare")
    step("kaplan_meier by 2 groups", lambda: kaplan_meier(life, by="group", verbose=False))
    step("cohort_retention (monthly)", lambda: cohort_retention(bought, as_of=end, verbose=False))
    step("churn_by_group", lambda: churn_by_group(life, group="group", verbose=False))
    step("winback_priority", lambda: winback_priority(life, value="margin", uplift=0.2, cost=10, verbose=False))
    ind = step("loyalty_indicators + price sensitivity", lambda: loyalty_indicators(
        bought, as_of=end, order_lines=lines, verbose=False))
    resp = survey.merge(ind[["purchases_window"]], left_on="customer_id", right_index=True, how="left").fillna(
        {"purchases_window": 0})
    step("loyalty_matrix (100k)", lambda: loyalty_matrix(resp, verbose=False))
    step("loyalty_type_mix (100k)", lambda: loyalty_type_mix(survey, honest_share=0.75, verbose=False))
    idx = step("satisfaction_index (100k)", lambda: satisfaction_index(survey, verbose=False))
    step("servqual_gaps (100k x 44 items)", lambda: servqual_gaps(survey, verbose=False))
    step("servqual_reliability (100k)", lambda: servqual_reliability(survey, verbose=False))
    step("importance_performance (100k)", lambda: importance_performance(survey, verbose=False))
    step("net_promoter_score by level (100k)", lambda: net_promoter_score(survey.assign(level=idx["level"]), by="level",
                                                                          verbose=False))
    drivers = resp.join(idx[["c"]]).merge(life[["churned"]], left_on="customer_id", right_index=True)
    step("churn_drivers (100k, 4 drivers)", lambda: churn_drivers(
        drivers, drivers=["c", "switching_cost", "attitude_like", "purchases_window"], verbose=False))
    print(f"analysis time: {time.perf_counter() - total:.1f} s   peak memory: {peak_rss_mb():.0f} MB")


if __name__ == "__main__":
    main()
