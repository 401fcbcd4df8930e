"""Command line of the kit: ``crmlab data ...``.

    crmlab data generate [--out FOLDER] [--customers N] [--seed S] [--student-id ID]
    crmlab data tables

``crmlab data generate --out datasets`` rewrites the data the kit ships
(byte-identical to the committed files); ``--student-id`` writes a student's
own variant with its answer key in ``FOLDER/retail_truth``.
"""
from __future__ import annotations

import argparse
import sys

from crmlab.validation import CrmlabInputError


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="crmlab", description="crmlab teaching kit (客户关系管理教学工具包)")
    sub = parser.add_subparsers(dest="group", required=True)
    data = sub.add_parser("data", help="generate or list the sample company's data").add_subparsers(dest="command", required=True)
    gen = data.add_parser("generate", help="write the sample company (样例企业) as CSV files")
    gen.add_argument("--out", default="crmlab_data", help="folder to write (default: crmlab_data)")
    gen.add_argument("--customers", type=int, default=None, help="number of customers (default: 10000)")
    gen.add_argument("--seed", type=int, default=None, help="random seed (default: the kit's)")
    gen.add_argument("--student-id", default=None, help="write this student's own variant")
    data.add_parser("tables", help="list the tables and what they hold")
    return parser


def main(argv=None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "generate":
            from crmlab.generator import DEFAULT_CUSTOMERS, DEFAULT_SEED, generate

            paths = generate(args.out,
                             n_customers=DEFAULT_CUSTOMERS if args.customers is None else args.customers,
                             seed=DEFAULT_SEED if args.seed is None else args.seed,
                             student_id=args.student_id)
            for name, path in sorted(paths.items()):
                print(f"{name:22s} {path}")
        elif args.command == "tables":
            import pandas as pd

            from crmlab.datasets import list_tables

            with pd.option_context("display.max_colwidth", 70, "display.width", 160):
                print(list_tables()[["zh", "n_columns", "truth", "description"]])
    except CrmlabInputError as exc:
        print(f"crmlab: error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
