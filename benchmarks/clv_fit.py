"""Benchmark: fit BG/NBD and Gamma-Gamma to a million customers.

    python benchmarks/clv_fit.py [--customers 1000000] [--seed 2024] [--continuous] [--busy] [--repeat 3]

Simulates the summaries (repeat purchases x, span t_x, age T, mean repeat
spend) of a cohort from the BG/NBD and Gamma-Gamma models with known
parameters (CDNOW-like: acquired over 12 weeks, observed for 39 weeks, times
rounded to whole days and expressed in weeks, as crmlab.clv.summary makes
them), then times crmlab's maximum-likelihood fits, standard errors
included, and reports peak memory (resident set size of this process). The
estimates are printed beside the truth as a check.

With ``--continuous`` the times are not rounded (first purchases at any
moment, spans of any length), as in a summary made elsewhere: nearly every
customer is then distinct, and the fit cannot merge alike customers.

With ``--busy`` another process keeps one core busy (as a browser or a second
kernel does on a student's laptop), and the fits are timed twice: with one
BLAS thread, as crmlab runs its optimisers, and with BLAS free to use every
core, as they ran before.
"""
import argparse
import contextlib
import multiprocessing
import platform
import time
from unittest import mock

import numpy as np
import pandas as pd

from _measure import peak_rss_mb  # benchmarks/_measure.py, beside this script
from crmlab import clv

TRUTH = {"r": 0.25, "alpha": 4.0, "a": 0.8, "b": 2.5, "p": 6.0, "q": 3.7, "gamma": 15.0}


def simulate(n: int, seed: int, continuous: bool = False) -> pd.DataFrame:
    """Summaries of n customers drawn from the BG/NBD and Gamma-Gamma models, times in whole days
    or (``continuous``) exact."""
    rng = np.random.default_rng(seed)
    lam = rng.gamma(TRUTH["r"], 1 / TRUTH["alpha"], n)   # purchase rate per week
    drop = rng.beta(TRUTH["a"], TRUTH["b"], n)           # dropout chance after each repeat purchase
    # First purchase in the first 12 weeks: on a whole day, or at any moment.
    T_days = 39 * 7 - (rng.uniform(0, 12 * 7, n) if continuous else rng.integers(0, 12 * 7, n))
    possible = rng.poisson(lam * T_days / 7)             # repeat purchases had the customer stayed
    last = rng.geometric(drop)                           # the customer drops out after this repeat purchase
    x = np.minimum(possible, last)
    # Time of the x-th of `possible` uniform purchase times: Beta(x, possible - x + 1) of T.
    t_x = rng.beta(np.maximum(x, 1), possible - x + 1) * T_days
    t_x = np.where(x > 0, t_x if continuous else np.round(t_x), 0)  # whole days unless continuous
    nu = rng.gamma(TRUTH["q"], 1 / TRUTH["gamma"], n)
    k = np.maximum(x, 1)
    mean_spend = rng.gamma(TRUTH["p"] * k, 1 / nu) / k   # mean of x Gamma(p, nu) amounts
    return pd.DataFrame({"repeat_purchases": x, "span_weeks": t_x / 7, "T_weeks": T_days / 7,
                         "monetary_value": np.where(x > 0, mean_spend, np.nan)})


def spin() -> None:
    """Keep one core busy until killed."""
    while True:
        pass


def fit_both(summary: pd.DataFrame) -> dict:
    """Time the BG/NBD and Gamma-Gamma fits; the models and their times."""
    fitted = {}
    for name, model, kwargs in (("BG/NBD", clv.BGNBD(), {}), ("Gamma-Gamma", clv.GammaGamma(), {"verbose": False})):
        start = time.perf_counter()
        model.fit(summary, **kwargs)
        fitted[name] = (model, time.perf_counter() - start)
    return fitted


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--continuous", action="store_true", help="times not rounded to whole days")
    parser.add_argument("--busy", action="store_true", help="keep one core busy; compare one and all BLAS threads")
    parser.add_argument("--repeat", type=int, default=3, help="fits per setting; the median time is shown")
    args = parser.parse_args()
    summary = simulate(args.customers, args.seed, args.continuous)
    print(f"machine: {platform.machine()}, {platform.python_implementation()} {platform.python_version()}")
    print(f"customers: {len(summary):,}  with repeat purchases: {(summary['repeat_purchases'] > 0).sum():,}  "
          f"times: {'continuous' if args.continuous else 'whole days'}  "
          f"memory after simulating: {peak_rss_mb():.0f} MB")
    arms = {"one BLAS thread (crmlab)": contextlib.nullcontext()}
    if args.busy:
        # Let BLAS use every core inside the optimisers, as before crmlab limited it.
        arms["all BLAS threads"] = mock.patch("crmlab._threads.one_blas_thread", contextlib.nullcontext)
        busy = multiprocessing.Process(target=spin, daemon=True)
        busy.start()
        print("one core kept busy by another process")
    fit_both(simulate(1000, args.seed, args.continuous))  # warm-up: imports and first calls are not the fit's time
    for arm, setting in arms.items():
        with setting:
            runs = [fit_both(summary) for _ in range(args.repeat)]
        print(f"-- {arm} (median of {args.repeat} runs)")
        for name in runs[0]:
            model, seconds = runs[0][name][0], float(np.median([run[name][1] for run in runs]))
            est = ", ".join(f"{k} {v:.3f} ± {model.standard_errors_[k]:.3f} (true {TRUTH[k]})"
                            for k, v in model.params_.items())
            print(f"{name:12s} {seconds:6.2f} s   {est}")
        print(f"total: {sum(np.median([run[n][1] for run in runs]) for n in runs[0]):.2f} s")
    if args.busy:
        busy.kill()
    print(f"peak memory: {peak_rss_mb():.0f} MB")


if __name__ == "__main__":
    main()
