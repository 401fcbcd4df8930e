"""Complaints: who complained after a service failure, about which order, why, and how it ended."""
from __future__ import annotations

import numpy as np
import pandas as pd

from crmlab.generator._shared import make_ids
from crmlab.generator.retail._calendar import to_timestamps, to_timestamps_or_nat


def draw_complaints(company, rng, cust, orders, counters):
    """One complaint per customer who complained, about the order of the first service failure."""
    c = cust[cust["complained"]]
    o = orders[orders["k"] >= 0]
    key = pd.DataFrame({"row": c.index, "k": c["failure_order_k"].to_numpy()})
    o = key.merge(o[["row", "k", "order_id", "t"]], on=["row", "k"], how="left")
    n = len(o)
    remaining = company.clock.n_days - o["t"].to_numpy()
    opened = o["t"].to_numpy() + np.minimum(rng.exponential(3, n) + 0.1, remaining * 0.5)
    company_fault = rng.random(n) < 0.75
    cat = np.where(company_fault,
                   np.array(["product_quality", "delivery", "service_attitude", "billing"])[rng.choice(4, n, p=[0.4, 0.3, 0.2, 0.1])],
                   np.array(["misuse", "excessive_expectation"])[rng.integers(0, 2, n)])
    outcome = cust.loc[o["row"], "outcome"].to_numpy()
    severity = np.array(["low", "medium", "high"])[rng.choice(3, n, p=[0.45, 0.4, 0.15])]
    # Satisfied resolutions are the fast ones; unresolved complaints stay open.
    hours = rng.lognormal(np.log(np.select([outcome == "resolved_satisfied", outcome == "resolved_unsatisfied"], [20.0, 70.0], 1.0)), 0.7)
    closed = np.where(outcome == "unresolved", np.nan, np.minimum(opened + hours / 24, company.clock.n_days - 1e-3))
    comp = np.where(outcome == "unresolved", 0,
                    np.round(np.array([0, 20, 50, 100])[rng.choice(4, n, p=[0.45, 0.25, 0.2, 0.1])] *
                             np.where(severity == "high", 2, 1), 2))
    out = pd.DataFrame({
        "row": o["row"].to_numpy(), "customer_id": cust.loc[o["row"], "customer_id"].to_numpy(),
        "order_id": o["order_id"].to_numpy(), "t": opened,
        "opened_ts": to_timestamps(opened),
        "closed_ts": to_timestamps_or_nat(closed),
        "channel": np.array(["phone", "online_chat", "wechat", "store", "email"])[rng.choice(5, n, p=[0.4, 0.25, 0.15, 0.15, 0.05])],
        "category": cat, "cause": np.where(company_fault, "company", "customer"),
        "severity": severity, "outcome": outcome, "compensation": comp.astype(float),
    }).sort_values("t", kind="stable").reset_index(drop=True)
    out.insert(0, "complaint_id", make_ids("Q", counters.take("complaint", len(out)), 6))
    return out
