"""The customer survey: SERVQUAL expectations and perceptions, importance points, overall
satisfaction, intentions, attitude and the stated reason for staying."""
from __future__ import annotations

import numpy as np
import pandas as pd

from crmlab.datasets.schema import LOYALTY_TYPES, SERVQUAL_DIMENSIONS, TABLES
from crmlab.generator._shared import make_ids
from crmlab.generator.retail._calendar import START


def draw_survey(company, rng, cust, counters):
    """SERVQUAL and satisfaction answers of a sample of active customers, May-June 2025; with each
    respondent's latent shift of all perceptions (for the truth file's expected gaps)."""
    P = company.params["survey"]
    lo, hi = company.clock.day_of("2025-05-01"), company.clock.day_of("2025-07-01")
    eligible = (cust["first"].to_numpy() < lo) & (rng.random(len(cust)) < P["rate"])
    eligible &= ~(cust["dropout"].to_numpy() < lo)  # only customers still buying answer
    s = cust[eligible].reset_index(drop=True)
    n = len(s)
    day = rng.integers(lo, hi, n).astype(float)
    sat = s["sat_i"].to_numpy()
    unhappy = s["failure"].to_numpy() < day
    level_shift = np.array([-1.1, 0.0, 0.8])[sat] - 0.7 * unhappy
    person = rng.normal(0, 0.4, n)
    cols = {}
    for d, items in SERVQUAL_DIMENSIONS.items():
        e_dim = rng.normal(0, 0.35, n)
        p_dim = rng.normal(0, 0.35, n)
        for i in items:
            e = 5.7 + e_dim + rng.normal(0, 0.5, n)
            cols[f"exp_{i:02d}"] = e
            cols[f"per_{i:02d}"] = e + P["gap"][d] + level_shift + person + p_dim + rng.normal(0, 0.5, n)
    likert = {k: np.clip(np.round(v), 1, 7).astype(int) for k, v in cols.items()}
    imp = np.array([P["importance"][d] for d in SERVQUAL_DIMENSIONS], float)
    w = rng.dirichlet(imp / 3, n) * 100
    w_int = np.floor(w).astype(int)
    w_int[:, 1] += 100 - w_int.sum(axis=1)  # points add up to exactly 100
    a = np.clip(np.round(rng.normal(7.2, 1.0, n)), 3, 10)
    c = np.array([0.78, 1.0, 1.18])[sat] * np.exp(rng.normal(0, 0.08, n) - 0.08 * unhappy)
    b = np.clip(np.round(a * c), 1, 10)
    ratio = b / a
    satisfaction = np.clip(np.round(3 + 3.5 * (ratio - 1) * 2 + rng.normal(0, 0.5, n)), 1, 5)
    recommend = np.clip(np.round(rng.normal(np.array([4.5, 7.6, 9.2])[sat] - 1.0 * unhappy, 1.2)), 0, 10)
    att = s["attitude_high"].to_numpy()
    loyal_t = pd.Categorical(s["loyalty_type"], categories=LOYALTY_TYPES).codes
    honest = rng.random(n) < P["honest_reason"]
    reason = np.where(honest, loyal_t, rng.integers(0, len(LOYALTY_TYPES), n))
    switching = np.clip(np.round(rng.normal(np.where(np.isin(loyal_t, [0, 1]), 4.0, 2.4), 0.8)), 1, 5)
    out = pd.DataFrame({
        "customer_id": s["customer_id"].to_numpy(),
        "survey_date": pd.to_datetime(START + day.astype(int).astype("timedelta64[D]")),
        "overall_expectation": a.astype(int), "overall_perception": b.astype(int),
        "satisfaction": satisfaction.astype(int),
        **{f"exp_{i:02d}": likert[f"exp_{i:02d}"] for i in range(1, 23)},
        **{f"per_{i:02d}": likert[f"per_{i:02d}"] for i in range(1, 23)},
        **{f"imp_{d}": w_int[:, k] for k, d in enumerate(SERVQUAL_DIMENSIONS)},
        "recommend": recommend.astype(int),
        "repurchase_intention": np.clip(np.round(rng.normal(np.array([2.4, 3.8, 4.5])[sat], 0.7)), 1, 5).astype(int),
        "attitude_like": np.clip(np.round(rng.normal(np.where(att, 4.2, 2.5), 0.7)), 1, 5).astype(int),
        "attitude_prefer": np.clip(np.round(rng.normal(np.where(att, 4.0, 2.3), 0.8)), 1, 5).astype(int),
        "switching_cost": switching.astype(int),
        "main_reason": np.array(LOYALTY_TYPES)[reason],
    })
    out = out.sort_values("survey_date", kind="stable")
    out["response_id"] = make_ids("R", counters.take("survey", n), 6)
    return out[TABLES["survey"].column_names], level_shift
