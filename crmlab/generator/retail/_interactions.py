"""The interactions table: messages the company sends (promotion waves, the coupon) and contacts
customers start (enquiries, service, feedback, complaints), each with its cost."""
from __future__ import annotations

import numpy as np
import pandas as pd

from crmlab.generator._shared import make_ids
from crmlab.generator.retail._calendar import START, to_timestamps, with_hour
from crmlab.generator.retail._campaign import EXPERIMENT_ID

CONTACT_COST = {"sms": 0.05, "email": 0.01, "app_push": 0.005, "phone": 6.0, "online_chat": 2.5,
                "wechat": 1.5, "store": 8.0}


def draw_interactions(company, rng, cust, occ, orders, complaints, assignment, counters):
    """Contacts: the waves' messages, the experiment's coupon, enquiries around purchases, complaints."""
    P = company.params
    cc = P["contacts"]
    frames = []
    row_all = occ["row"].to_numpy()
    t_all = occ["t"].to_numpy()
    consent = cust["marketing_consent"].to_numpy()
    channel_for = np.select([cust["pref_app"] >= cust[["pref_web", "pref_store"]].max(axis=1),
                             cust["pref_web"] >= cust["pref_store"]], ["app_push", "email"], "sms")
    seg_mult = np.array([1.0, 1.1, 0.9, 1.3])[cust["seg_i"].to_numpy()]
    wave_ids = company.campaigns["campaign_id"].to_numpy()
    for w, start in zip(wave_ids[:-1], company.campaigns["start_date"].to_numpy()[:-1]):
        s = float((start.astype("datetime64[D]") - START).astype(int))
        active = np.zeros(len(cust), bool)
        active[row_all[(t_all < s) & (t_all >= s - 365)]] = True
        target = np.flatnonzero(active & consent & (rng.random(len(cust)) < cc["share_targeted"]))
        k = rng.integers(1, cc["max_messages"] + 1, len(target))
        who = np.repeat(target, k)
        j = np.arange(len(who)) - np.repeat(np.cumsum(k) - k, k)
        ch = channel_for[who]
        base = np.array([cc["base_response"][x] for x in ("sms", "email", "app_push")])
        p = base[np.select([ch == "sms", ch == "email"], [0, 1], 2)] * seg_mult[who] * cc["fatigue_decay"] ** j
        frames.append(pd.DataFrame({
            "row": who, "t": with_hour(rng, s + 3.0 * j), "channel": ch, "initiated_by": "company",
            "purpose": "promotion", "campaign_id": w, "responded": rng.random(len(who)) < p}))
    treated = assignment[assignment["group"] == "treatment"]
    s = company.clock.day_of(P["campaign"]["start"])
    frames.append(pd.DataFrame({
        "row": treated["row"].to_numpy(), "t": with_hour(rng, np.full(len(treated), float(s))),
        "channel": "sms", "initiated_by": "company", "purpose": "promotion",
        "campaign_id": EXPERIMENT_ID, "responded": treated["responded"].to_numpy()}))
    # Customer-initiated contacts around purchases.
    real = orders[orders["status"] != "cancelled"]
    for purpose, prob, lo, hi in (("enquiry", 0.08, -2.0, -0.02), ("service", 0.05, 1.0, 7.0), ("feedback", 0.02, 3.0, 14.0)):
        chosen = real[rng.random(len(real)) < prob]
        frames.append(pd.DataFrame({
            "row": chosen["row"].to_numpy(), "t": chosen["t"].to_numpy() + rng.uniform(lo, hi, len(chosen)),
            "channel": np.array(["phone", "online_chat", "wechat", "store"])[rng.choice(4, len(chosen), p=[0.35, 0.35, 0.2, 0.1])],
            "initiated_by": "customer", "purpose": purpose, "campaign_id": "", "responded": None}))
    frames.append(pd.DataFrame({
        "row": complaints["row"].to_numpy(), "t": complaints["t"].to_numpy(), "channel": complaints["channel"].to_numpy(),
        "initiated_by": "customer", "purpose": "complaint", "campaign_id": "", "responded": None}))
    out = pd.concat(frames, ignore_index=True)
    out = out[(out["t"] >= 0) & (out["t"] < company.clock.n_days)]
    # Customers without a store in their city cannot walk in.
    no_store = cust["home_store"].to_numpy()[out["row"].to_numpy()] == ""
    out.loc[no_store & (out["channel"] == "store").to_numpy(), "channel"] = "phone"
    out = out.sort_values(["t", "row"], kind="stable").reset_index(drop=True)
    out["cost"] = out["channel"].map(CONTACT_COST)
    out.loc[out["campaign_id"] == EXPERIMENT_ID, "cost"] = company.campaigns["cost_per_contact"].iat[-1]
    out["interaction_id"] = make_ids("I", counters.take("interaction", len(out)), 8)
    out["customer_id"] = cust["customer_id"].to_numpy()[out["row"].to_numpy()]
    out["interaction_ts"] = to_timestamps(out["t"].to_numpy())
    out["responded"] = out["responded"].astype("boolean")
    return out
