"""Benchmark: crmlab's CLV models against the `lifetimes` package on CDNOW, side by side.

    pip install lifetimes        # for this comparison only; not a dependency of crmlab
    python benchmarks/clv_vs_lifetimes.py [--repeats 7]

Fits BG/NBD, Pareto/NBD and Gamma-Gamma to the CDNOW sample (2 357 customers,
39-week calibration ending 1997-09-30, time in weeks) with both libraries in
one run, on the same summary, and prints the estimates, the log-likelihood
(crmlab's formula, at each library's estimates),
the largest difference between their predictions and the fitting time (best
of ``--repeats`` runs, after one warm-up; the two libraries alternate, so a
busy machine slows both alike). `lifetimes` (0.11.3, 2020) is
unmaintained; if it does not import, the script says so and times crmlab alone.
"""
import argparse
import platform
import time
import warnings

import numpy as np

from _measure import peak_rss_mb  # benchmarks/_measure.py, beside this script
from crmlab import clv
from crmlab.datasets.cdnow import load_cdnow


def best_times(fits, repeats):
    """Best wall time of each fit over ``repeats`` rounds; the fits alternate within a round,
    so that a busy machine slows both alike. Returns the fitted models and the times."""
    models = [fit() for fit in fits]  # warm-up: imports, first calls
    times = [[] for _ in fits]
    for _ in range(repeats):
        for i, fit in enumerate(fits):
            start = time.perf_counter()
            models[i] = fit()
            times[i].append(time.perf_counter() - start)
    return models, [min(t) for t in times]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    s = clv.summary(load_cdnow("sample"), time_col="date", amount_col="amount", calibration_end="1997-09-30",
                    verbose=False)
    # x, t_x, T: lifetimes names them frequency, recency, T and takes them in that order
    x, tx, T = s["repeat_purchases"], s["span_weeks"], s["T_weeks"]
    rep = s[s["repeat_purchases"] > 0]
    print(f"machine: {platform.machine()}, {platform.python_implementation()} {platform.python_version()}; "
          f"CDNOW sample: {len(s)} customers, {len(rep)} with repeat purchases")
    try:
        import lifetimes
        from lifetimes import BetaGeoFitter, GammaGammaFitter, ParetoNBDFitter
    except Exception as err:  # an unmaintained package may fail with today's numpy/pandas/scipy
        print(f"lifetimes could not be imported ({type(err).__name__}: {err}); timing crmlab alone.")
        lifetimes = None
    else:
        print(f"lifetimes {lifetimes.__version__}")

    ours = {
        "BG/NBD": lambda: clv.BGNBD().fit(s),
        "Pareto/NBD": lambda: clv.ParetoNBD().fit(s),
        "Gamma-Gamma": lambda: clv.GammaGamma().fit(s, verbose=False),
    }
    theirs = {} if lifetimes is None else {
        "BG/NBD": lambda: BetaGeoFitter().fit(x, tx, T),
        "Pareto/NBD": lambda: ParetoNBDFitter().fit(x, tx, T),
        "Gamma-Gamma": lambda: GammaGammaFitter().fit(rep["repeat_purchases"], rep["monetary_value"]),
    }
    print(f"\n{'model':12s} {'library':10s} {'time (s)':>9s}  {'log-lik':>10s}  estimates")
    for name, fit in ours.items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # lifetimes' deprecation warnings with current pandas
            fits = [fit] + ([theirs[name]] if name in theirs else [])
            models, seconds = best_times(fits, args.repeats)
        model = models[0]
        est = ", ".join(f"{k} {v:.4f}" for k, v in model.params_.items())
        print(f"{name:12s} {'crmlab':10s} {seconds[0]:9.3f}  {model.log_likelihood_:10.2f}  {est}")
        if name not in theirs:
            continue
        other = models[1]
        params = other.params_
        # lifetimes rescales time internally, so its own likelihood is not on the same scale:
        # evaluate crmlab's log-likelihood at lifetimes' estimates instead.
        data = (rep["repeat_purchases"], rep["monetary_value"], np.log(rep["monetary_value"])) \
            if name == "Gamma-Gamma" else (x, tx, T)
        ll = model._loglik(params.to_numpy(), *(np.asarray(d, float) for d in data)).sum()
        if name == "BG/NBD":
            diff = np.max(np.abs(model.expected_purchases(39.0).to_numpy()
                                 - other.conditional_expected_number_of_purchases_up_to_time(39.0, x, tx, T)))
        elif name == "Pareto/NBD":
            diff = np.max(np.abs(model.probability_alive().to_numpy() - other.conditional_probability_alive(x, tx, T)))
        else:
            diff = np.max(np.abs(model.expected_spend(rep).to_numpy() - other.conditional_expected_average_profit(
                rep["repeat_purchases"], rep["monetary_value"]).to_numpy()))
        est = ", ".join(f"{k} {v:.4f}" for k, v in params.items())
        print(f"{'':12s} {'lifetimes':10s} {seconds[1]:9.3f}  {ll:10.2f}  {est}")
        what = {"BG/NBD": "39-week forecast", "Pareto/NBD": "P(alive)", "Gamma-Gamma": "expected spend"}[name]
        print(f"{'':12s} speed-up {seconds[1] / seconds[0]:5.1f}x; largest difference in {what}: {diff:.2e}")
    print(f"\npeak memory: {peak_rss_mb():.0f} MB")


if __name__ == "__main__":
    main()
