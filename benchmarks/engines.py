"""Benchmark: the chapter analyses on 10 or 100 million order lines with pandas, DuckDB and Spark.

    python benchmarks/engines.py [--customers 2070000] [--engines pandas,duckdb,spark]

Writes the sample company as Parquet with the kit's generator
(``crmlab.generator.company_folder``: written once, then found again; about
4.84 order lines per customer, so 2 070 000 customers make about 10 million
order lines and 20 700 000, as in the 100-million-line lab of notebook 08_09,
about 100 million), then runs,
on each engine in a process of its own: RFM from orders and lines (returns and
cancellations set aside; the engines keep the purchases for the next steps,
pandas makes them again), the CLV summary (calibration to 2025-06-30, holdout
to 2025-12-31), monthly cohorts, and one OLAP query (revenue, orders and
customers by month and channel; DuckDB and Spark, the pandas path has no
star schema). Prints each step's time and each process's peak memory
(resident set size; for Spark, the Python driver plus its Java process),
then checks that the engines' tables are the same: ids, counts, dates,
amounts to the cent.
"""
import argparse
import os
import pickle
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from _measure import peak_rss_mb  # benchmarks/_measure.py, beside this script

HERE = Path(__file__).resolve().parent
AS_OF, CALIBRATION_END, OBSERVATION_END = "2026-01-01", "2025-06-30", "2025-12-31"
TABLES = ("customers", "products", "stores", "orders", "order_lines")


def company(customers: int) -> Path:
    """The sample company's order tables for ``customers`` customers, as Parquet (written once, then reused)."""
    from crmlab.generator import company_folder

    return company_folder(n_customers=customers, tables=list(TABLES), progress=True)


def pandas_tables(folder: Path):
    """Orders and order lines as crmlab.load_data types them, read from the Parquet files: the columns
    ``purchases`` uses (the others would only add memory)."""
    import duckdb

    from crmlab.datasets.schema import TABLES as DICTIONARY

    needed = {"orders": ["order_id", "customer_id", "order_ts", "channel", "status"],
              "order_lines": ["order_id", "net_amount", "cost"]}
    out = []
    for name, columns in needed.items():
        frame = duckdb.sql(f"SELECT {', '.join(columns)} FROM read_parquet('{folder}/retail/{name}/**/*.parquet')").df()
        for column in DICTIONARY[name].columns:
            if column.name not in columns:
                continue
            if column.kind == "category":
                frame[column.name] = pd.Categorical(frame[column.name], categories=list(column.levels))
            elif column.kind == "str":
                frame[column.name] = frame[column.name].astype("string")
            elif column.kind == "datetime":
                frame[column.name] = frame[column.name].astype("datetime64[s]")
        out.append(frame)
    return out


def jvm_peak_mb() -> float:
    """Peak resident memory of this process's Java children (Spark's JVM), from /proc (Linux)."""
    peak = 0.0
    for stat in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(line.split(":", 1) for line in stat.read_text().splitlines() if ":" in line)
        except OSError:
            continue
        if int(fields.get("PPid", "0")) == os.getpid() and "VmHWM" in fields:
            peak += float(fields["VmHWM"].split()[0]) / 1024
    return peak


def child(engine_name: str, folder: Path, out: Path) -> None:
    """Run the analyses on one engine, print the times, and keep the tables for the comparison."""
    from crmlab.clv import summary
    from crmlab.retention import cohort_retention
    from crmlab.rfm import rfm_from_orders
    from crmlab.transactions import purchases

    times, results = {}, {}

    def timed(name, work):
        t = time.perf_counter()
        results[name] = work()
        times[name] = time.perf_counter() - t

    if engine_name == "pandas":
        timed("read", lambda: pandas_tables(folder))
        orders, lines = results.pop("read")
        timed("rfm", lambda: rfm_from_orders(orders, lines, as_of=AS_OF, verbose=False))
        timed("purchases", lambda: purchases(orders, lines, verbose=False))  # again, for the next two
        bought = results.pop("purchases")
        timed("clv_summary", lambda: summary(bought, calibration_end=CALIBRATION_END, observation_end=OBSERVATION_END,
                                             verbose=False))
        timed("cohorts", lambda: cohort_retention(bought, as_of=AS_OF, verbose=False))
    else:
        from crmlab.engines import DuckDBEngine, SparkEngine, local_spark_session

        if engine_name == "duckdb":
            timed("start", lambda: DuckDBEngine(folder, memory_limit="4GB",  # as the notebook: a laptop's share
                                                temp_directory=Path(tempfile.gettempdir()) / "crmlab-duckdb"))
        else:
            timed("start", lambda: SparkEngine(folder, spark=local_spark_session(memory="8g")))
        engine = results.pop("start")
        timed("rfm", lambda: engine.rfm_table(as_of=AS_OF, verbose=False))
        timed("clv_summary", lambda: engine.clv_summary(calibration_end=CALIBRATION_END,
                                                        observation_end=OBSERVATION_END, verbose=False))
        timed("cohorts", lambda: engine.cohort_retention(as_of=AS_OF, verbose=False))
        timed("olap", lambda: engine.olap(by=["month", "channel"]))
    memory = peak_rss_mb() + (jvm_peak_mb() if engine_name == "spark" else 0.0)
    with open(out, "wb") as file:
        pickle.dump({"times": times, "memory": memory, "results": results}, file)


def same(a: pd.DataFrame, b: pd.DataFrame) -> bool:
    """Equal ids, counts and dates; amounts to the cent; means (monetary_value) to a billionth."""
    if not (a.index.equals(b.index) and list(a.columns) == list(b.columns)):
        return False
    for column in a.columns:
        x, y = a[column], b[column]
        if column in ("monetary", "revenue"):
            x, y = x.round(2), y.round(2)
        if column == "monetary_value":
            if not np.allclose(x.fillna(-1), y.fillna(-1), rtol=1e-12, atol=1e-9):
                return False
        elif not x.equals(y):
            return False
    return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=2_070_000)
    parser.add_argument("--engines", default="pandas,duckdb,spark")
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args.child, args.data, args.out)

    folder = company(args.customers)
    import duckdb

    n_lines = duckdb.sql(f"SELECT count(*) FROM read_parquet('{folder}/retail/order_lines/**/*.parquet')").fetchall()[0][0]
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, {platform.python_implementation()} "
          f"{platform.python_version()}, pandas {pd.__version__}, duckdb {duckdb.__version__}")
    print(f"data: {folder} ({n_lines:,} order lines)".replace(",", " "))
    runs = {}
    for name in args.engines.split(","):
        out = Path(tempfile.mkdtemp()) / "result.pkl"
        started = time.perf_counter()
        done = subprocess.run([sys.executable, __file__, "--child", name, "--data", str(folder), "--out", str(out)])
        wall = time.perf_counter() - started
        if done.returncode != 0 or not out.exists():
            print(f"{name}: failed (exit code {done.returncode}) after {wall:.0f} s")
            continue
        runs[name] = pickle.loads(out.read_bytes())
        steps = "  ".join(f"{step} {sec:.1f} s" for step, sec in runs[name]["times"].items())
        print(f"{name}: {sum(runs[name]['times'].values()):.1f} s ({steps})  peak memory {runs[name]['memory']:,.0f} MB"
              .replace(",", " "))
    names = list(runs)
    for other in names[1:]:
        shared = set(runs[names[0]]["results"]) & set(runs[other]["results"])
        verdict = {table: same(runs[other]["results"][table], runs[names[0]]["results"][table]) for table in sorted(shared)}
        print(f"{other} = {names[0]}: " + ", ".join(f"{t} {'same' if ok else 'DIFFERENT'}" for t, ok in verdict.items()))
    if "duckdb" in runs and "spark" in runs:
        ok = same(runs["spark"]["results"]["olap"], runs["duckdb"]["results"]["olap"])
        print(f"spark = duckdb: olap {'same' if ok else 'DIFFERENT'}")


if __name__ == "__main__":
    main()
