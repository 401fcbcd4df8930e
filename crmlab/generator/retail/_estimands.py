"""What a correct analysis of the generated tables estimates (the estimands of ``truth.json``).

The planted parameters are the generator's inputs; what students measure is often a different
quantity. A complainer who *stays* still has to buy again before the data end to be seen
staying; a SERVQUAL gap is read from answers rounded and clipped to a 1-7 scale. For each
quantity the notebooks compare with the truth, this module computes its expected value given
the customers that were drawn (their segments, failures, survey answers' latent levels and
experiment groups), from the model's formulas and without drawing random numbers, so the
tables stay the same. Each block returns sums and counts; :func:`combine` makes the means.
"""
from __future__ import annotations

import numpy as np
from scipy.stats import norm

from crmlab.datasets.schema import OUTCOMES, SERVQUAL_DIMENSIONS

#: Standard deviation of a latent expectation answer and of a perception answer (see _survey.py).
EXPECTATION_SD = float(np.hypot(0.35, 0.5))
PERCEPTION_SD = float(np.sqrt(0.35**2 + 0.5**2 + 0.4**2 + 0.35**2 + 0.5**2))
EXPECTATION_MEAN = 5.7


def expected_likert(mean, sd):
    """E[clip(round(X), 1, 7)] for X ~ Normal(mean, sd): 1 plus the chance of passing each of the
    six half-point thresholds 1.5 ... 6.5."""
    thresholds = np.arange(1.5, 7.0)
    return 1 + norm.sf((thresholds - np.asarray(mean, float)[..., None]) / sd).sum(axis=-1)


def servqual_parts(gap: dict, level_shift: np.ndarray) -> dict:
    """Sum over the respondents of the expected gap (perception - expectation) of each dimension,
    and their number: the answers' latent means are known, their noise is integrated out."""
    base = expected_likert(EXPECTATION_MEAN, EXPECTATION_SD)
    return {f"servqual_gap.{d}": (float((expected_likert(EXPECTATION_MEAN + gap[d] + level_shift, PERCEPTION_SD)
                                         - base).sum()), len(level_shift))
            for d in SERVQUAL_DIMENSIONS}


def complaint_parts(company, cust, complaints, experiment) -> dict:
    """Expected share of complaining unhappy customers, and expected share of each group
    (complaint outcome, or silent) who buy again after the complaint (silent: after the failure).

    Buying again needs staying (the planted stay probability) and a later purchase occasion before
    the end: the next occasion exists with chance (1 - p) after a repeat purchase (1 after the first,
    buy till you die) times the chance of a Poisson event in the operational time left. A treated
    customer of the coupon experiment may also buy because of the coupon, inside its window.
    """
    P, clock = company.params, company.clock
    unhappy = ~np.isnan(cust["failure"].to_numpy())
    parts = {"complaint_share": (float(cust["complaint_chance"].to_numpy()[unhappy].sum()), int(unhappy.sum()))}
    start = cust["failure"].to_numpy().copy()
    start[complaints["row"].to_numpy()] = complaints["t"].to_numpy()  # a complainer counts from the complaint
    left_op = np.maximum(clock.end_op - clock.to_op(np.nan_to_num(start)), 0)
    k = cust["failure_order_k"].to_numpy()
    next_occasion = np.where(k >= 1, 1 - cust["dropout_prob"].to_numpy(), 1.0) * -np.expm1(
        -cust["purchase_rate"].to_numpy() * left_op)
    outcome = cust["outcome"].to_numpy()
    group = np.where(outcome == "", "silent", outcome)
    stay = np.array([P["stay_prob"][g] for g in group]) if len(group) else np.zeros(0)
    coupon = np.zeros(len(cust))
    s, e = clock.day_of(P["campaign"]["start"]), clock.day_of(P["campaign"]["end"]) + 1
    treated = experiment["row"].to_numpy()[experiment["treatment"].to_numpy()]
    uplift = np.array([P["campaign"]["uplift"][seg] for seg in cust["segment"].to_numpy()[treated]])
    coupon[treated] = uplift * np.clip((e - start[treated]) / (e - s), 0, 1)
    bought_again = 1 - (1 - stay * next_occasion) * (1 - np.nan_to_num(coupon))
    for g in (*OUTCOMES, "silent"):
        members = unhappy & (group == g)
        parts[f"bought_again.{g}"] = (float(bought_again[members].sum()), int(members.sum()))
    return parts


def spend_parts(cust, segments) -> dict:
    """Sum over each segment's buyers of their expected spend per purchase (p / nu), and their number:
    what the Gamma-Gamma model's population mean spend estimates for that segment's customers (the
    parameter's formula p * gamma / (q - 1) is its expectation over infinitely many customers)."""
    buyer = ~cust["prospect"].to_numpy()
    segment, spend = cust["segment"].to_numpy(), cust["mean_spend"].to_numpy()
    return {f"segment_mean_spend.{s}": (float(spend[buyer & (segment == s)].sum()), int((buyer & (segment == s)).sum()))
            for s in segments}


def combine(blocks: list[dict]) -> dict:
    """Means over all blocks, nested by the dotted names (``"a.b"`` -> ``{"a": {"b": ...}}``);
    a group with no members gets None."""
    totals = {}
    for parts in blocks:
        for name, (total, n) in parts.items():
            t, m = totals.get(name, (0.0, 0))
            totals[name] = (t + total, m + n)
    out = {}
    for name, (total, n) in totals.items():
        *outer, inner = name.split(".")
        node = out
        for key in outer:
            node = node.setdefault(key, {})
        node[inner] = round(total / n, 6) if n else None
    return out
