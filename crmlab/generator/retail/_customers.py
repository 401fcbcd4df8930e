"""The customers of a block: identity, segment and planted rates, satisfaction, loyalty, channels;
after the orders their membership tier; and the truth planted in each (the answer key)."""
from __future__ import annotations

import numpy as np
import pandas as pd

from crmlab.datasets.schema import CATEGORIES, CHANNELS, LOYALTY_TYPES, SAT_LEVELS
from crmlab.generator._shared import make_ids, pick
from crmlab.generator.retail._calendar import to_timestamps, to_timestamps_or_nat, with_hour
from crmlab.generator.retail._people import (draw_names, emails, id_numbers, phone_numbers, pinyin_handle,
                                             render_name)


def draw_customers(company, rng, offset, n):
    """Customers ``offset`` .. ``offset + n - 1``: who they are and the behaviour planted in each."""
    P, cities, clock = company.params, company.cities, company.clock
    idx = np.arange(offset, offset + n)
    seg_names = list(P["segments"])
    shares = np.array([P["segments"][s]["share"] for s in seg_names])
    seg = rng.choice(len(seg_names), size=n, p=shares / shares.sum())
    sp = {k: np.array([P["segments"][s][k] for s in seg_names])[seg] for k in ("r", "alpha", "a", "b", "p", "q", "gamma")}
    sat_share = np.array([P["satisfaction"]["share"][s] for s in SAT_LEVELS])
    sat = rng.choice(3, size=n, p=sat_share / sat_share.sum())
    mult = np.array([P["satisfaction"]["dropout_multiplier"][s] for s in SAT_LEVELS])[sat]
    lam = rng.gamma(sp["r"], 1 / sp["alpha"])
    drop = np.minimum(rng.beta(sp["a"], sp["b"]) * mult, 0.95)
    nu = rng.gamma(sp["q"], 1 / sp["gamma"])
    # Loyalty type: bargain hunters are mostly price-loyal.
    mix = np.array([P["loyalty_mix"][t] for t in LOYALTY_TYPES])
    price_i = LOYALTY_TYPES.index("price")
    probs = np.tile(mix / mix.sum(), (n, 1))
    bargain = seg == seg_names.index("bargain")
    probs[bargain] *= 0.4
    probs[bargain, price_i] += 0.6
    loyalty = pick(rng, probs)
    attitude = rng.random(n) < np.array([0.2, 0.5, 0.8])[sat]

    city = rng.choice(len(cities), size=n, p=(cities["weight"] / cities["weight"].sum()).to_numpy())
    # Sign-up follows demand (promotions bring members) with growth over time.
    w = clock.rate * np.linspace(0.7, 1.3, clock.n_days)
    signup_day = rng.choice(clock.n_days, size=n, p=w / w.sum())
    signup = with_hour(rng, signup_day.astype(float))
    has_store_city = cities["n_stores"].to_numpy()[city] > 0
    chan_p = np.array([0.35, 0.25, 0.33, 0.07])
    chan_probs = np.tile(chan_p, (n, 1))
    chan_probs[~has_store_city, 0] = 0
    signup_channel = pick(rng, chan_probs)
    # Channel preference for orders leans on the sign-up channel.
    pref = rng.gamma(np.array([2.0, 2.0, 2.0, 0.15]), size=(n, 4))
    pref[np.arange(n), signup_channel] += rng.gamma(4.0, size=n)
    pref[~has_store_city, 0] = 0
    cat_pref = rng.gamma(0.6, size=(n, len(CATEGORIES)))

    store_city = company.stores["city"].to_numpy()
    home_store = np.full(n, "", dtype=object)
    for ci in np.unique(city[has_store_city]):  # at most 21 cities
        ids = company.stores["store_id"].to_numpy()[store_city == cities["city"].iat[ci]]
        members = city == ci
        home_store[members] = ids[rng.integers(0, len(ids), members.sum())]

    sur, g1, g2 = draw_names(rng, n)
    male = rng.random(n) < 0.48
    birth_year = np.clip(np.round(rng.normal(1988, 10, n)), 1950, 2006).astype(int)
    handle = pinyin_handle(sur, g1, g2, idx, rng)
    prospect = rng.random(n) < P["prospect_share"]
    delay = np.where(rng.random(n) < 0.7, rng.uniform(5, 60, n) / 1440, rng.exponential(10, n))
    first = signup + delay
    prospect |= first >= clock.n_days
    return pd.DataFrame({
        "idx": idx, "customer_id": make_ids("C", idx + 1, 7),
        "sur": sur, "g1": g1, "g2": g2,
        "name": render_name(sur, g1, g2),
        "gender": np.where(male, "M", "F"), "birth_year": birth_year,
        "id_number": id_numbers(cities["code"].to_numpy()[city], birth_year, male, rng),
        "phone": phone_numbers(idx),
        "handle": handle,
        "email": emails(handle, rng),
        "city_i": city, "city": cities["city"].to_numpy()[city],
        "city_tier": cities["city_tier"].to_numpy()[city],
        "signup": signup, "signup_channel": np.array(CHANNELS)[signup_channel],
        "marketing_consent": rng.random(n) < 0.62,
        "segment": np.array(seg_names)[seg], "seg_i": seg,
        "sat_i": sat, "satisfaction_level": np.array(SAT_LEVELS)[sat],
        "loyalty_type": np.array(LOYALTY_TYPES)[loyalty], "attitude_high": attitude,
        "purchase_rate": lam, "dropout_prob": drop, "nu": nu, "gg_p": sp["p"],
        "mean_spend": sp["p"] / nu,
        "prospect": prospect, "first": np.where(prospect, np.nan, first),
        "home_store": home_store,
        **{f"pref_{c}": pref[:, k] for k, c in enumerate(CHANNELS)},
        **{f"cat_{c}": cat_pref[:, k] for k, c in enumerate(CATEGORIES)},
    })


def add_membership(company, cust, orders, lines):
    """The columns known only after the orders: membership tier by the last year's spend, sign-up time."""
    end = company.clock.n_days
    recent = orders[(orders["status"] == "completed") & (orders["t"] >= end - 365)]
    net = lines.groupby("order_pos")["net_amount"].sum().reindex(recent.index).to_numpy()
    spend = pd.Series(net).groupby(recent["row"].to_numpy()).sum().reindex(np.arange(len(cust)), fill_value=0).to_numpy()
    cust["membership_tier"] = np.select([spend >= 10000, spend >= 4000, spend >= 1500], ["diamond", "gold", "silver"], "standard")
    cust["signup_ts"] = to_timestamps(cust["signup"].to_numpy())
    return cust


def customer_truth(cust):
    """The planted truth per customer (the answer key)."""
    def ts(col):
        return to_timestamps_or_nat(cust[col].to_numpy())
    return pd.DataFrame({
        "customer_id": cust["customer_id"], "segment": cust["segment"],
        "purchase_rate": cust["purchase_rate"].round(6), "dropout_prob": cust["dropout_prob"].round(6),
        "mean_spend": cust["mean_spend"].round(2), "satisfaction_level": cust["satisfaction_level"],
        "loyalty_type": cust["loyalty_type"], "attitude_high": cust["attitude_high"],
        "first_purchase_ts": ts("first"), "failure_ts": ts("failure"), "complained": cust["complained"],
        "left_after_failure": cust["left_after_failure"], "dropout_ts": ts("dropout"),
    })
