"""Orders and their lines: spend, channel, payment, cancellations and returns; products chosen
by value, with the discounts of the promotion windows and of the coupon."""
from __future__ import annotations

import numpy as np
import pandas as pd

from crmlab.datasets.schema import CATEGORIES, CHANNELS
from crmlab.generator._shared import make_ids, pick
from crmlab.generator.retail._calendar import START, to_timestamps

PROMO_WINDOWS = [("06-01", "06-18"), ("10-31", "11-11"), ("12-12", "12-12")]


def draw_orders(company, rng, occ, cust, counters):
    """The orders of the purchase occasions (with cancelled extras and returns) and their lines."""
    P = company.params
    n_occ = len(occ)
    row = occ["row"].to_numpy()
    c = cust.iloc[row]
    # Spend per occasion: Gamma-Gamma; the campaign's orders carry their drawn spend.
    spend = rng.gamma(c["gg_p"].to_numpy(), 1 / c["nu"].to_numpy())
    spend = np.where(occ["campaign"].to_numpy(), occ["spend"].fillna(0).to_numpy(), spend)
    pref = c[[f"pref_{ch}" for ch in CHANNELS]].to_numpy()
    channel = np.array(CHANNELS)[pick(rng, pref)]
    channel = np.where(occ["campaign"].to_numpy(), "app", channel)
    store_id = np.where(channel == "store", c["home_store"].to_numpy(), "")
    pay = _payments(rng, channel)
    t = occ["t"].to_numpy()
    # Cancelled orders: placed and cancelled shortly before some purchases; extra records.
    cancel = rng.random(n_occ) < P["cancel_rate"]
    ct = t[cancel] - rng.uniform(0.05, 3, cancel.sum()) / 24
    all_t = np.concatenate([t, ct])
    rows = np.concatenate([row, row[cancel]])
    chan = np.concatenate([channel, channel[cancel]])
    value = np.concatenate([spend, spend[cancel] * rng.uniform(0.6, 1.4, cancel.sum())])
    status = np.concatenate([np.full(n_occ, "completed", dtype=object), np.full(cancel.sum(), "cancelled", dtype=object)])
    occ_ref = np.concatenate([np.arange(n_occ), np.full(cancel.sum(), -1)])
    orders = pd.DataFrame({
        "row": rows, "t": np.maximum(all_t, 0), "channel": chan,
        "store_id": np.concatenate([store_id, store_id[cancel]]),
        "payment_method": np.concatenate([pay, pay[cancel]]),
        "status": status, "value": value, "occ": occ_ref,
        "campaign": np.concatenate([occ["campaign"].to_numpy(), np.zeros(cancel.sum(), bool)]),
    }).sort_values(["t", "row"], kind="stable").reset_index(drop=True)
    orders["order_id"] = make_ids("O", counters.take("order", len(orders)), 8)
    orders["customer_id"] = cust["customer_id"].to_numpy()[orders["row"].to_numpy()]
    orders["order_ts"] = to_timestamps(orders["t"].to_numpy())
    lines = _lines(company, rng, orders, cust)
    # Returns: by the category of the order's first line; the campaign's draws are kept.
    first_cat = lines.groupby("order_pos", sort=True)["category"].first().reindex(orders.index).to_numpy()
    rr = np.array([P["return_rate"][cat] for cat in CATEGORIES])
    cat_i = pd.Categorical(first_cat, categories=CATEGORIES).codes
    ret = rng.random(len(orders)) < rr[cat_i]
    camp_ret = occ["returned"].fillna(False).to_numpy().astype(bool)
    ret = np.where(orders["campaign"].to_numpy(), camp_ret[np.maximum(orders["occ"].to_numpy(), 0)], ret)
    orders.loc[(orders["status"] == "completed").to_numpy() & ret, "status"] = "returned"
    # Order k of each customer, for linking the service failure.
    orders["k"] = np.where(orders["occ"] >= 0, occ["k"].to_numpy()[np.maximum(orders["occ"], 0)], -2)
    return orders, lines


def _payments(rng, channel):
    store = channel == "store"
    pay = np.where(store, np.array(["alipay", "wechat_pay", "bank_card", "cash"])[
        rng.choice(4, len(channel), p=[0.35, 0.4, 0.15, 0.1])],
        np.array(["alipay", "wechat_pay", "bank_card", "cash_on_delivery"])[
        rng.choice(4, len(channel), p=[0.45, 0.4, 0.1, 0.05])])
    return pay


def _lines(company, rng, orders, cust):
    n = len(orders)
    # Small orders have few lines, so that each line can be a real product.
    k = np.minimum(1 + np.minimum(rng.poisson(0.7, n), 5), np.maximum(orders["value"].to_numpy() // 50, 1)).astype(int)
    pos = np.repeat(np.arange(n), k)
    line_no = np.arange(len(pos)) - np.repeat(np.cumsum(k) - k, k) + 1
    w = rng.gamma(2.0, size=len(pos))
    w /= np.bincount(pos, weights=w)[pos]
    v = np.round(orders["value"].to_numpy()[pos] * w, 2)
    v = np.maximum(v, 1.0)
    cat_pref = cust[[f"cat_{c}" for c in CATEGORIES]].to_numpy()[orders["row"].to_numpy()[pos]]
    cat = pick(rng, cat_pref)
    days = orders["t"].to_numpy()[pos]
    disc = rng.uniform(0, 0.1, len(pos))
    disc += np.where(_in_windows(days, PROMO_WINDOWS), company.params["promo_discount"], 0)
    disc += np.where(orders["campaign"].to_numpy()[pos], company.params["campaign"]["coupon_discount"], 0)
    target = v / (1 - disc)
    top_price = {c: t["list_price"].max() for c, t in company.by_cat.items()}
    # Mostly one unit; more when even the dearest product is below the target value.
    qty = np.maximum(np.where(rng.random(len(pos)) < 0.8, 1, 2),
                     np.ceil(target / np.array([top_price[c] for c in CATEGORIES])[cat])).astype(int)
    product = np.empty(len(pos), dtype=object)
    price = np.empty(len(pos))
    ucost = np.empty(len(pos))
    for ci, c in enumerate(CATEGORIES):  # six categories, vectorised within each
        m = cat == ci
        cat_table = company.by_cat[c]
        prices = cat_table["list_price"].to_numpy()
        # The product whose price is nearest (in ratio) to the target unit value.
        unit = target[m] / qty[m]
        hi = np.clip(np.searchsorted(prices, unit), 0, len(prices) - 1)
        lo = np.maximum(hi - 1, 0)
        j = np.where(np.abs(np.log(prices[lo] / unit)) < np.abs(np.log(prices[hi] / unit)), lo, hi)
        product[m] = cat_table["product_id"].to_numpy()[j]
        price[m] = prices[j]
        ucost[m] = cat_table["unit_cost"].to_numpy()[j]
    # The amount paid is list value less the discount, so it matches the drawn amount up to
    # the spacing of the price list (a few per cent either way).
    discount = np.round(disc, 4)
    net = np.round(qty * price * (1 - discount), 2)
    return pd.DataFrame({
        "order_pos": pos, "order_id": orders["order_id"].to_numpy()[pos], "line_no": line_no,
        "product_id": product, "category": np.array(CATEGORIES)[cat], "quantity": qty,
        "unit_price": price, "discount_rate": discount, "net_amount": net,
        "cost": np.round(qty * ucost, 2),
    })


def _in_windows(days, windows):
    """True where a calendar day (days since START) falls inside any MM-DD window of any year."""
    dates = START + np.floor(days).astype("timedelta64[D]")
    md = np.char.add(np.char.zfill((dates.astype("datetime64[M]").astype(int) % 12 + 1).astype(str), 2),
                     np.char.add("-", np.char.zfill(((dates - dates.astype("datetime64[M]")).astype(int) + 1).astype(str), 2)))
    out = np.zeros(len(dates), bool)
    for lo, hi in windows:
        out |= (md >= lo) & (md <= hi)
    return out
