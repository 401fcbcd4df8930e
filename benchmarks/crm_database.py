"""Benchmark: building the CRM database from the default data, on SQLite and on PostgreSQL.

    python benchmarks/crm_database.py [--repeats 3]

Times ``crm_system.build_database`` (read and check the sample company's CSV
files, create the schema, load 133 000 rows, set up users and service
requests, in one transaction), a full backup and its restore, and
``warehouse.build_star_schema`` (dimensions and facts by SQL), each the median
of ``--repeats`` runs. PostgreSQL is a throw-away server of the machine's own
(started as the tests start it, tests/_postgres.py); without one, only SQLite
is measured. Target (issue 20): the build takes seconds.
"""
import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "benchmarks"), str(ROOT / "tests")]

from _measure import peak_rss_mb  # noqa: E402
from _postgres import PostgresServer, server_programs  # noqa: E402

from crmlab import crm_system, warehouse  # noqa: E402


def measure(url: str, repeats: int, folder: Path) -> dict:
    times = {"build": [], "backup": [], "restore": [], "star schema": []}
    for _ in range(repeats):
        start = time.perf_counter()
        crm_system.build_database(url, replace=True)
        times["build"].append(time.perf_counter() - start)
        admin = crm_system.connect(url, user="U01")
        start = time.perf_counter()
        saved = admin.backup(folder / "backup.zip")
        times["backup"].append(time.perf_counter() - start)
        start = time.perf_counter()
        admin.restore(saved)
        times["restore"].append(time.perf_counter() - start)
        start = time.perf_counter()
        warehouse.build_star_schema(url)
        times["star schema"].append(time.perf_counter() - start)
        admin.engine.dispose()
    return {step: statistics.median(values) for step, values in times.items()}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="crm-bench-"))
    results = {"SQLite": measure(f"sqlite:///{folder / 'crm.sqlite'}", args.repeats, folder)}
    programs, reason = server_programs()
    if programs is None:
        print(f"PostgreSQL not measured: {reason}")
    else:
        server = PostgresServer(programs)
        try:
            results["PostgreSQL"] = measure(server.new_database(), args.repeats, folder)
        finally:
            server.stop()
    for database, steps in results.items():
        print(f"{database:10s} " + ", ".join(f"{step} {seconds:.2f} s" for step, seconds in steps.items()))
    print(f"peak memory of this process: {peak_rss_mb():.0f} MB")


if __name__ == "__main__":
    main()
