"""The three identification silos (store members, web accounts, call-centre contacts): each records
the customers who used its channel, with its own noise (duplicates, old phones and cities, typed
variants of names and numbers); the identity map says which record is which customer."""
from __future__ import annotations

import numpy as np
import pandas as pd

from crmlab.datasets.schema import CHANNELS, TABLES
from crmlab.generator._shared import make_ids
from crmlab.generator.retail._calendar import to_timestamps
from crmlab.generator.retail._people import format_phones, join_text, phone_numbers, render_name


def draw_silos(company, rng, cust, orders, interactions, counters):
    """The three silos' records of the customers, as each system keeps them, and who is who."""
    n = len(cust)
    row_chan = orders[orders["status"] != "cancelled"]
    has = {ch: np.isin(np.arange(n), row_chan.loc[row_chan["channel"] == ch, "row"]) for ch in CHANNELS}
    phone_contact = np.isin(np.arange(n), interactions.loc[interactions["channel"] == "phone", "row"])
    signup = cust["signup_channel"].to_numpy()
    home = cust["home_store"].to_numpy() != ""
    moved = rng.random(n) < 0.08
    old_city = company.cities["city"].to_numpy()[rng.integers(0, len(company.cities), n)]
    changed_phone = rng.random(n) < 0.05
    old_phone = phone_numbers(cust["idx"].to_numpy() + 5_000_000)
    spec = {
        "store_members": dict(present=home & ((signup == "store") | has["store"]), p=0.95, dup=0.04, trad=0.03, typo=0.04,
                              styles=[0.5, 0.2, 0.15, 0.05, 0.05, 0.05], phone_missing=0.03, email=0.35, idn=0.3),
        "web_accounts": dict(present=np.isin(signup, ["web", "app"]) | has["web"] | has["app"], p=0.95, dup=0.03, trad=0.02,
                             typo=0.02, styles=[0.6, 0.1, 0.1, 0.1, 0.1, 0.0], phone_missing=0.12, email=1.0, idn=0.0),
        "callcentre_contacts": dict(present=(signup == "callcentre") | phone_contact | (rng.random(n) < 0.05), p=0.9, dup=0.05,
                                    trad=0.10, typo=0.10, styles=[0.3, 0.25, 0.15, 0.15, 0.1, 0.05], phone_missing=0.0,
                                    email=0.15, idn=0.6),
    }
    out, ident = {}, []
    for src, sp in spec.items():
        base = np.flatnonzero(sp["present"] & (rng.random(n) < sp["p"]))
        dup = base[rng.random(len(base)) < sp["dup"]]
        r = np.concatenate([base, dup])
        m = len(r)
        if m == 0:  # a tiny generation may leave a silo empty
            out[src] = pd.DataFrame({col: pd.Series(dtype=str) for col in TABLES[src].column_names})
            continue
        c = cust.iloc[r]
        name = render_name(c["sur"].to_numpy(), c["g1"].to_numpy(), c["g2"].to_numpy(),
                                   traditional=rng.random(m) < sp["trad"], typo=rng.random(m) < sp["typo"])
        phone_src = np.where(changed_phone[r] & (rng.random(m) < 0.6), old_phone[r], c["phone"].to_numpy())
        phone = format_phones(phone_src, rng, sp["styles"])
        phone = np.where(rng.random(m) < sp["phone_missing"], "", phone)
        email = c["email"].to_numpy().astype(str)
        email = np.where(rng.random(m) < 0.25, np.char.upper(email), email)
        email = np.where(rng.random(m) < sp["email"], email, "")
        idn = c["id_number"].to_numpy().astype(str)
        typo_id = rng.random(m) < 0.03
        idn = np.where(typo_id, np.char.add(idn.astype("U17"), rng.integers(0, 10, m).astype(str)), idn)
        idn = np.where(rng.random(m) < sp["idn"], idn, "")
        city = np.where(moved[r] & (rng.random(m) < 0.7), old_city[r], c["city"].to_numpy())
        city = np.where(rng.random(m) < 0.05, "", city)
        # The record was created at sign-up, or later when the customer first used that channel.
        when = np.minimum(c["signup"].to_numpy() + np.where(signup[r] == {"store_members": "store", "web_accounts": "web",
                          "callcentre_contacts": "callcentre"}[src], 0, rng.exponential(60, m)), company.clock.n_days - 0.01)
        when = np.where(np.arange(m) >= len(base), np.minimum(when + rng.exponential(200, m), company.clock.n_days - 0.01), when)
        order = np.argsort(when, kind="stable")
        r, when, name, phone, email, idn, city = (x[order] for x in (r, when, name, phone, email, idn, city))
        ts = to_timestamps(when)
        if src == "store_members":
            ids = make_ids("M", counters.take(src, m), 7)
            frame = pd.DataFrame({"member_id": ids, "store_id": cust["home_store"].to_numpy()[r], "name": name,
                                  "phone": phone, "id_number": idn, "email": email, "city": city,
                                  "joined_date": pd.to_datetime(ts.astype("datetime64[D]"))})
        elif src == "web_accounts":
            ids = make_ids("W", counters.take(src, m), 7)
            real_name = np.where(rng.random(m) < 0.35, "", name)
            frame = pd.DataFrame({"account_id": ids, "username": cust["handle"].to_numpy()[r], "real_name": real_name,
                                  "email": np.where(email == "", cust["email"].to_numpy()[r], email), "phone": phone,
                                  "city": city, "created_ts": ts})
        else:
            ids = make_ids("K", counters.take(src, m), 7)
            d = pd.DatetimeIndex(ts)
            # The call-centre system writes dates as YYYY/M/D.
            slash = join_text(d.year.astype(str), "/", d.month.astype(str), "/", d.day.astype(str))
            frame = pd.DataFrame({"contact_id": ids, "caller_name": name, "phone": phone, "id_number": idn, "city": city,
                                  "first_call_date": slash})
        out[src] = frame[TABLES[src].column_names]
        ident.append(pd.DataFrame({"source": src, "record_id": ids, "customer_id": cust["customer_id"].to_numpy()[r]}))
    return out, pd.concat(ident, ignore_index=True)
