"""Benchmark: reading a 1-million-line CSV export with crmlab.exports.read_transactions.

    python benchmarks/read_export.py [--lines 1000000] [--seed 1] [--repeat 3]

Writes, with a seed, a transaction log shaped like a shop's export (``order_id``,
``customer_id``, ``order_date``, ``amount``: string ids O.../C..., 200 000
customers, times over three years, amounts with two decimals) to a temporary
folder, then times a plain ``pd.read_csv`` of the file (pandas infers the
types, nothing is checked) and ``read_transactions`` (encoding, separator and
header detected, every line accounted for, ids, dates and amounts parsed and
checked). Prints the best of ``--repeat`` runs of each (taking turns), their ratio (the
issue's budget: at most 1.5) and the peak memory.
"""
import argparse
import platform
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from _measure import peak_rss_mb  # benchmarks/_measure.py, beside this script
from crmlab.exports import read_transactions


def write_export(path: Path, n_lines: int, seed: int) -> None:
    """A clean export of ``n_lines`` purchases (plus the header line), in UTF-8."""
    rng = np.random.default_rng(seed)
    start = np.datetime64("2023-01-01T00:00:00", "s")
    stamps = start + rng.integers(0, 3 * 365 * 86400, n_lines).astype("timedelta64[s]")
    pd.DataFrame({
        "order_id": np.char.add("O", np.char.zfill(np.arange(1, n_lines + 1).astype(str), 8)),
        "customer_id": np.char.add("C", np.char.zfill(rng.integers(1, 200_001, n_lines).astype(str), 7)),
        "order_date": pd.Series(stamps).dt.strftime("%Y-%m-%d %H:%M:%S"),
        "amount": np.round(rng.gamma(2.0, 60.0, n_lines), 2),
    }).to_csv(path, index=False)


def best_of(repeat: int, *reads):
    """Best time of each read over ``repeat`` rounds, the reads taking turns (a slow spell of the machine
    then slows both); and the result of each."""
    times = [[] for _ in reads]
    results = [None] * len(reads)
    for _ in range(repeat):
        for i, read in enumerate(reads):
            t = time.perf_counter()
            results[i] = read()
            times[i].append(time.perf_counter() - t)
    return [min(t) for t in times], results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "export.csv"
        write_export(path, args.lines, args.seed)
        size = path.stat().st_size / 1e6
        (plain, reader), (frame, log) = best_of(args.repeat, lambda: pd.read_csv(path),
                                                lambda: read_transactions(path, verbose=False))
    assert len(log) == len(frame) == args.lines, (len(log), len(frame))
    print(f"machine: {platform.machine()}, {platform.python_implementation()} {platform.python_version()}, "
          f"pandas {pd.__version__}, numpy {np.__version__}")
    print(f"file: {args.lines:,} lines + header, {size:.0f} MB; best of {args.repeat} runs")
    print(f"pd.read_csv: {plain:.2f} s   read_transactions: {reader:.2f} s   ratio: {reader / plain:.2f} "
          f"(budget 1.5)   peak memory: {peak_rss_mb():.0f} MB")


if __name__ == "__main__":
    main()
