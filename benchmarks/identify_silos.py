"""Benchmark: resolve the three record silos of a million-customer company into one customer view.

    python benchmarks/identify_silos.py [--customers 1000000] [--out FOLDER]

Generates the company into ``--out`` (default: ``crmlab_1m`` in the system's
temporary folder, e.g. /tmp/crmlab_1m) first unless it is already there
(about 3 minutes and 1 GB for a million customers; keep it outside the repository),
then times each step of ``crmlab.identify.resolve_customers`` (the silos are
compared by blocking, never all pairs) and checks the result against the
planted identity map. Reports wall time, peak memory (resident set size of
this process) and precision / recall / F1. Results on the kit's reference
machine are in the README.
"""
import argparse
import platform
import tempfile
import time
from pathlib import Path

from _measure import peak_rss_mb  # benchmarks/_measure.py, beside this script
from crmlab import identify
from crmlab.datasets import load_data
from crmlab.generator import generate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--out", default=str(Path(tempfile.gettempdir()) / "crmlab_1m"),
                        help="folder of the generated company (reused if present)")
    args = parser.parse_args()
    out = Path(args.out)
    if not (out / "retail_truth" / "identity_map.csv").exists():
        start = time.perf_counter()
        generate(out, n_customers=args.customers)
        print(f"generated {args.customers:,} customers into {out} in {time.perf_counter() - start:.0f} s")

    start_load = time.perf_counter()
    silos = {name: load_data(name, data_dir=out) for name in identify.SILOS}
    truth = load_data("identity_map", data_dir=out)
    loaded = time.perf_counter()

    start = time.perf_counter()
    view = identify.resolve_customers(silos)
    seconds = time.perf_counter() - start
    quality = identify.evaluate_matches(view, truth)

    n = len(view.records)
    print(f"machine: {platform.machine()}, {platform.python_implementation()} {platform.python_version()}")
    print(f"records: {n:,} in {len(silos)} silos (loaded in {loaded - start_load:.0f} s)  "
          f"candidate pairs: {len(view.pairs):,} of {n * (n - 1) // 2:,} possible  customers found: {len(view.golden):,} "
          f"(true: {int(quality['customers_true']):,})")
    print(f"precision {quality['precision']:.4f}  recall {quality['recall']:.4f}  F1 {quality['f1']:.4f}")
    print(f"time: {seconds:.1f} s   peak memory: {peak_rss_mb():.0f} MB")


if __name__ == "__main__":
    main()
