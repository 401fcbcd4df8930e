"""When customers buy: purchase occasions by buy-till-you-die, and the first service failure
(complaint or silence, the outcome, and whether the customer leaves)."""
from __future__ import annotations

import numpy as np
import pandas as pd

from crmlab.datasets.schema import OUTCOMES
from crmlab.generator.retail._calendar import with_hour


def draw_occasions(company, rng, cust):
    """Purchase occasions by the buy-till-you-die (BG/NBD) process in operational time."""
    clock = company.clock
    buyers = cust.index[~cust["prospect"]].to_numpy()
    first = cust["first"].to_numpy()[buyers]
    op0 = clock.to_op(first)
    horizon = clock.end_op - op0
    lam = cust["purchase_rate"].to_numpy()[buyers]
    n_rep = rng.poisson(lam * horizon)
    # Dropout after the J-th repeat purchase, J ~ Geometric(p): repeats beyond J never happen.
    j = rng.geometric(cust["dropout_prob"].to_numpy()[buyers])
    owner = np.repeat(np.arange(len(buyers)), n_rep)
    u = op0[owner] + rng.random(len(owner)) * horizon[owner]
    order = np.lexsort((u, owner))
    owner, u = owner[order], u[order]
    rank = np.arange(len(owner)) - np.repeat(np.cumsum(n_rep) - n_rep, n_rep)
    keep = rank < j[owner]
    owner, u = owner[keep], u[keep]
    # Time of day is drawn afresh, so a repeat never precedes the first purchase.
    t_rep = np.maximum(with_hour(rng, clock.from_op(u)), first[owner] + 1 / 1440)
    occ = pd.DataFrame({"row": np.concatenate([buyers, buyers[owner]]), "t": np.concatenate([first, t_rep])})
    occ = occ.sort_values(["row", "t"], kind="stable").reset_index(drop=True)
    occ["k"] = occ.groupby("row").cumcount().to_numpy()
    # Customers whose J-th repeat happened are inactive from their last purchase on.
    died = np.zeros(len(cust), bool)
    died[buyers[j <= n_rep]] = True
    last = occ.groupby("row")["t"].max()
    dropout = np.full(len(cust), np.nan)
    dropout[last.index] = last.to_numpy()
    cust["dropout"] = np.where(died, dropout, np.nan)
    occ["campaign"] = False
    return occ


def plant_failures(company, rng, occ, cust):
    """First service failure per customer; complaint, outcome and whether the customer leaves."""
    P = company.params
    n = len(cust)
    first_fail = rng.geometric(P["service_failure_rate"], size=n) - 1  # occasion index
    n_occ = np.bincount(occ["row"], minlength=n)
    unhappy = (first_fail < n_occ) & ~cust["prospect"].to_numpy()
    lam = cust["purchase_rate"].to_numpy()
    weight = np.sqrt(lam / np.median(lam))
    chance = P["complaint_prob"] * weight / max(weight[unhappy].mean(), 1e-12) if unhappy.any() else 0
    complained = unhappy & (rng.random(n) < np.minimum(chance, 1))
    op = np.array([P["outcome_probs"][o] for o in OUTCOMES])
    outcome = np.where(complained, np.array(OUTCOMES)[rng.choice(3, size=n, p=op / op.sum())], "")
    stay_p = np.select([outcome == o for o in OUTCOMES], [P["stay_prob"][o] for o in OUTCOMES],
                       default=P["stay_prob"]["silent"])
    left = unhappy & (rng.random(n) >= stay_p)
    fail_row = occ["k"].to_numpy() == first_fail[occ["row"].to_numpy()]
    fail_t = np.full(n, np.nan)
    fail_t[occ["row"].to_numpy()[fail_row]] = occ["t"].to_numpy()[fail_row]
    cust["failure"] = np.where(unhappy, fail_t, np.nan)
    cust["complained"] = complained
    cust["complaint_chance"] = np.where(unhappy, np.minimum(chance, 1), 0.0)  # for the truth file's estimands
    cust["outcome"] = outcome
    cust["left_after_failure"] = left
    drop_rows = left[occ["row"].to_numpy()] & (occ["k"].to_numpy() > first_fail[occ["row"].to_numpy()])
    occ = occ[~drop_rows].reset_index(drop=True)
    cust["dropout"] = np.where(left, fail_t, cust["dropout"])
    cust["failure_order_k"] = np.where(unhappy, first_fail, -1)
    return occ, cust
