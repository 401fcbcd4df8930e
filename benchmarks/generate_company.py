"""Benchmark: generate the sample company with a million customers.

    python benchmarks/generate_company.py [--customers 1000000] [--out benchmarks/out/company]

Reports wall time, peak memory (resident set size of this process) and the
size of what was written. Customers are simulated in blocks of 50 000 and
streamed to disk, so peak memory should not grow with the number of
customers. Results on the kit's reference machine are in the README.
"""
import argparse
import platform
import time
from pathlib import Path

from _measure import peak_rss_mb  # benchmarks/_measure.py, beside this script
from crmlab.generator import generate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--out", default=str(Path(__file__).parent / "out" / "company"))
    args = parser.parse_args()
    start = time.perf_counter()
    paths = generate(args.out, n_customers=args.customers)
    seconds = time.perf_counter() - start
    size = sum(p.stat().st_size for p in paths.values())
    rows = {name: sum(1 for _ in open(p, encoding="utf-8-sig")) - 1 for name, p in paths.items() if p.suffix == ".csv"}
    print(f"machine: {platform.machine()}, {platform.python_implementation()} {platform.python_version()}")
    print(f"customers: {args.customers:,}  orders: {rows['orders']:,}  order lines: {rows['order_lines']:,}  "
          f"interactions: {rows['interactions']:,}")
    print(f"time: {seconds:.1f} s   peak memory: {peak_rss_mb():.0f} MB   written: {size / 1e9:.2f} GB")


if __name__ == "__main__":
    main()
