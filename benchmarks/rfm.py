"""Benchmark: RFM for 10 million order lines.

    python benchmarks/rfm.py [--lines 10000000] [--seed 1]

Synthesises, with a seed, orders and order lines shaped like the sample
company's (string ids C.../O..., 1 million customers, about 4 million orders,
5 % cancelled and 6 % returned), then times the whole RFM path of chapter 4:
``purchases`` (returns and cancellations set aside), ``rfm_table``,
``rfm_scores`` (quintiles), ``rfm_segments`` (11 segments) and
``rfm_classes`` (8 classes). Prints the time of each step and the peak
memory (resident set size) before and after the analysis.
"""
import argparse
import platform
import time

import numpy as np
import pandas as pd

from _measure import peak_rss_mb  # benchmarks/_measure.py, beside this script
from crmlab.rfm import rfm_classes, rfm_scores, rfm_segments, rfm_table
from crmlab.transactions import purchases


def synthesise(n_lines: int, seed: int):
    """Orders and order lines with about 2.5 lines per order and 4 orders per customer."""
    rng = np.random.default_rng(seed)
    per_order = rng.integers(1, 5, size=int(n_lines / 2.5) + 10)
    per_order = per_order[: np.searchsorted(np.cumsum(per_order), n_lines) + 1]
    per_order[-1] -= per_order.sum() - n_lines
    n_orders = len(per_order)
    n_customers = max(n_orders // 4, 1)
    start = np.datetime64("2023-01-01T00:00:00", "s")
    orders = pd.DataFrame({
        "order_id": pd.Series(np.char.add("O", np.char.zfill(np.arange(1, n_orders + 1).astype(str), 9))),
        "customer_id": pd.Series(np.char.add("C", np.char.zfill(rng.integers(1, n_customers + 1, n_orders).astype(str), 7))),
        "order_ts": start + rng.integers(0, 3 * 365 * 86400, n_orders).astype("timedelta64[s]"),
        "channel": pd.Categorical.from_codes(rng.integers(0, 4, n_orders), ["store", "web", "app", "callcentre"]),
        "status": pd.Categorical.from_codes(rng.choice(3, n_orders, p=[0.89, 0.06, 0.05]),
                                            ["completed", "returned", "cancelled"]),
    })
    net = np.round(rng.gamma(2.0, 60.0, n_lines), 2)
    lines = pd.DataFrame({"order_id": orders["order_id"].repeat(per_order).reset_index(drop=True),
                          "net_amount": net, "cost": np.round(net * rng.uniform(0.4, 0.8, n_lines), 2)})
    return orders, lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=10_000_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    t0 = time.perf_counter()
    orders, lines = synthesise(args.lines, args.seed)
    made = time.perf_counter() - t0
    rss_data = peak_rss_mb()

    steps = {}
    t = time.perf_counter()
    bought = purchases(orders, lines)
    steps["purchases"] = time.perf_counter() - t
    t = time.perf_counter()
    rfm = rfm_table(bought, as_of="2026-01-01")
    steps["rfm_table"] = time.perf_counter() - t
    t = time.perf_counter()
    scored = rfm_scores(rfm)
    steps["rfm_scores"] = time.perf_counter() - t
    t = time.perf_counter()
    segments = rfm_segments(scored)
    steps["rfm_segments"] = time.perf_counter() - t
    t = time.perf_counter()
    rfm_classes(rfm)
    steps["rfm_classes"] = time.perf_counter() - t

    print(f"machine: {platform.machine()}, {platform.python_implementation()} {platform.python_version()}, "
          f"pandas {pd.__version__}, numpy {np.__version__}")
    print(f"order lines: {len(lines):,}  orders: {len(orders):,}  purchases: {len(bought):,}  customers: {len(rfm):,}  "
          f"(synthesised in {made:.1f} s)")
    print("  ".join(f"{name}: {sec:.2f} s" for name, sec in steps.items()))
    print(f"time, order lines to segments: {sum(steps.values()):.1f} s   "
          f"peak memory: {rss_data:.0f} MB with the data loaded, {peak_rss_mb():.0f} MB at the end")
    print(f"largest segment: {segments['segment'].value_counts().index[0]}")


if __name__ == "__main__":
    main()
