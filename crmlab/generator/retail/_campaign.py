"""The campaigns: nine promotion waves and the randomised coupon experiment (with both potential outcomes)."""
from __future__ import annotations

import numpy as np
import pandas as pd

from crmlab.datasets.schema import TABLES
from crmlab.generator.retail._calendar import with_hour

WAVES = [("年货节", "2023-01-02"), ("618大促", "2023-06-01"), ("双11大促", "2023-10-31"),
         ("年货节", "2024-01-20"), ("618大促", "2024-06-01"), ("双11大促", "2024-10-31"),
         ("年货节", "2025-01-09"), ("618大促", "2025-06-01"), ("双11大促", "2025-10-31")]
EXPERIMENT_ID = "X2509"


def campaigns_table(campaign):
    """The campaigns table: the promotion waves, then the coupon experiment planted by ``campaign``."""
    rows = []
    for k, (name, start) in enumerate(WAVES, 1):
        s = np.datetime64(start)
        rows.append((f"W{k:02d}", f"{start[:4]}年{name}", s, s + 17, "sms/email/app_push",
                     "满减与折扣 (promotion prices)", 0.05, False))
    rows.append((EXPERIMENT_ID, "2025秋季回馈券实验", np.datetime64(campaign["start"]), np.datetime64(campaign["end"]),
                 "sms", f"{int(campaign['coupon_discount'] * 100)}% 优惠券 (coupon)", 0.5, True))
    out = pd.DataFrame(rows, columns=TABLES["campaigns"].column_names)
    for c in ("start_date", "end_date"):
        out[c] = pd.to_datetime(out[c])
    return out


def run_experiment(company, rng, occ, cust):
    """The randomised coupon campaign: assignment and both potential outcomes."""
    cp = company.params["campaign"]
    s, e = _experiment_days(company)
    t, row = occ["t"].to_numpy(), occ["row"].to_numpy()
    recent = np.zeros(len(cust), bool)
    recent[row[(t < s) & (t >= s - 365)]] = True
    eligible = np.flatnonzero(recent & cust["marketing_consent"].to_numpy())
    treat = rng.random(len(eligible)) < 0.5
    natural = np.zeros(len(cust), bool)
    natural[row[(t >= s) & (t < e)]] = True
    uplift = np.array([cp["uplift"][seg] for seg in cust["segment"].to_numpy()[eligible]])
    extra = rng.random(len(eligible)) < uplift  # would buy because of the coupon
    extra_t = with_hour(rng, rng.uniform(s, e, len(eligible)))
    spend = rng.gamma(cust["gg_p"].to_numpy()[eligible], 1 / cust["nu"].to_numpy()[eligible])
    returned = rng.random(len(eligible)) < 0.06
    truth = pd.DataFrame({
        "row": eligible, "treatment": treat,
        "effect_response": extra & ~natural[eligible],
        "effect_revenue": np.where(extra & ~returned, np.round(spend, 2), 0.0),
    })
    new = pd.DataFrame({"row": eligible, "t": extra_t, "k": -1, "campaign": True,
                        "spend": spend, "returned": returned})[extra & treat]
    occ = pd.concat([occ, new], ignore_index=True).sort_values(["row", "t"], kind="stable")
    return occ.reset_index(drop=True), truth


def assignment_table(company, exp_truth, orders, lines, customer_ids):
    """Who was assigned to which group, whether they bought in the window and their net revenue."""
    s, e = _experiment_days(company)
    in_window = orders[(orders["t"] >= s) & (orders["t"] < e) & (orders["status"] != "cancelled")]
    line_sum = lines.groupby("order_pos")["net_amount"].sum()
    rev = in_window.assign(net=line_sum.reindex(in_window.index).to_numpy())
    rev["net"] = np.where(rev["status"] == "completed", rev["net"], 0.0)
    per_row = rev.groupby("row")["net"].sum()
    rows = exp_truth["row"].to_numpy()
    return pd.DataFrame({
        "campaign_id": EXPERIMENT_ID, "row": rows,
        "customer_id": customer_ids[rows],
        "group": np.where(exp_truth["treatment"], "treatment", "control"),
        "responded": np.isin(rows, in_window["row"].to_numpy()),
        "revenue": np.round(per_row.reindex(rows, fill_value=0.0).to_numpy(), 2),
    })


def _experiment_days(company):
    """First day of the experiment and the day after its last, in days since START."""
    cp = company.params["campaign"]
    return company.clock.day_of(cp["start"]), company.clock.day_of(cp["end"]) + 1
