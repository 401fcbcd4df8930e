"""Command line of the kit: ``crmlab data ...`` and ``crmlab course ...``.

    crmlab data generate [--out FOLDER] [--customers N] [--seed S] [--student-id ID]
                         [--format csv|parquet] [--tables T1,T2,...] [--progress]
    crmlab data generate-airline [--out FOLDER] [--members N] [--seed S] [--student-id ID]
    crmlab data tables
    crmlab course release SOURCE [--out FOLDER]
    crmlab course key STUDENT_ID [STUDENT_ID ...] [--chapter chNN] [--out FOLDER] [--workers N]
    crmlab course grade FOLDER --chapter chNN [--out FOLDER] [--workers N] [--timeout S] [--memory-mb M]
    crmlab course report NOTEBOOK [--out FOLDER]

``crmlab data generate --out datasets`` rewrites the sample company the kit
ships and ``crmlab data generate-airline --out datasets`` the airline case
(both byte-identical to the committed files); ``--student-id`` writes a
student's own variant with its answer key in ``FOLDER/retail_truth`` (or
``FOLDER/airline_truth``).

``crmlab course release`` writes the students' version of the instructor's
exercise notebooks (:func:`crmlab.exercises.release.release`); ``crmlab
course key`` regenerates students' data and answer keys (``@roster.txt``
reads the ids from a file, one per line) into the folder ``grade`` uses, so
that grading finds them ready; ``crmlab course grade`` grades a folder of
submitted exercise notebooks (one per student, named by the student id)
outside the students' kernels and writes the gradebook, the feedback and the
text answers to mark (:func:`crmlab.exercises.grading.grade`); ``crmlab course report`` exports a
group's finished capstone notebook as one HTML report without code, refusing a notebook with an
error or warning output (:func:`crmlab.capstone.export_report`).
"""
from __future__ import annotations

import argparse
import sys

from crmlab.validation import CrmlabInputError


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="crmlab", description="crmlab teaching kit (客户关系管理教学工具包)",
                                     fromfile_prefix_chars="@")
    sub = parser.add_subparsers(dest="group", required=True)
    data = sub.add_parser("data", help="generate or list the sample company's data").add_subparsers(dest="command", required=True)
    gen = data.add_parser("generate", help="write the sample company (样例企业) as CSV files")
    gen.add_argument("--out", default="crmlab_data", help="folder to write (default: crmlab_data)")
    gen.add_argument("--customers", type=int, default=None, help="number of customers (default: 10000)")
    gen.add_argument("--seed", type=int, default=None, help="random seed (default: the kit's)")
    gen.add_argument("--student-id", default=None, help="write this student's own variant")
    gen.add_argument("--format", default="csv", choices=("csv", "parquet"),
                     help="csv (default), or parquet: a folder of files per table, for data larger than memory")
    gen.add_argument("--tables", default=None, help="write only these tables, e.g. customers,orders,order_lines")
    gen.add_argument("--progress", action="store_true", help="show a progress bar")
    air = data.add_parser("generate-airline", help="write the airline loyalty programme (航空公司会员) as CSV files")
    air.add_argument("--out", default="crmlab_data", help="folder to write (default: crmlab_data)")
    air.add_argument("--members", type=int, default=None, help="number of members (default: 10000)")
    air.add_argument("--seed", type=int, default=None, help="random seed (default: the kit's)")
    air.add_argument("--student-id", default=None, help="write this student's own variant")
    data.add_parser("tables", help="list the tables and what they hold")
    course = sub.add_parser("course", help="release, key and grade a class's exercise notebooks").add_subparsers(
        dest="command", required=True)
    release = course.add_parser("release", help="the students' version of the instructor's notebooks (发布)")
    release.add_argument("source", help="the instructor's exercise notebooks, e.g. instructor/exercises")
    release.add_argument("--out", default="release", help="where the students' notebooks go (default: release)")
    key = course.add_parser("key", help="regenerate students' data and answer keys (参考答案)")
    key.add_argument("students", nargs="+", metavar="STUDENT_ID", help="student ids, or @FILE with one per line")
    key.add_argument("--chapter", default=None, help="one chapter, e.g. ch04 (default: every chapter)")
    key.add_argument("--out", default="grading", help="the grading folder (default: grading)")
    key.add_argument("--workers", type=int, default=None, help="students prepared at once (default: the CPU cores)")
    grade = course.add_parser("grade", help="grade every submitted notebook of a folder (批改)")
    grade.add_argument("folder", help="the submitted notebooks, named STUDENTID.ipynb or STUDENTID_....ipynb")
    grade.add_argument("--chapter", required=True, help="the chapter they answer, e.g. ch04")
    grade.add_argument("--out", default="grading", help="where to write the gradebook and feedback (default: grading)")
    grade.add_argument("--workers", type=int, default=None, help="submissions run at once (default: the CPU cores)")
    grade.add_argument("--timeout", type=int, default=300, help="seconds per notebook (default: 300)")
    grade.add_argument("--memory-mb", type=int, default=4096, help="memory limit per notebook (default: 4096)")
    report = course.add_parser("report", help="a finished capstone notebook as an HTML report without code (报告)")
    report.add_argument("notebook", help="the executed notebook, e.g. notebooks/13_capstone_assignment1.ipynb")
    report.add_argument("--out", default="report", help="where the report goes (default: report)")
    return parser


def _chapters(chapter):
    """The chapters asked for (all when None); refuses one that has no exercises."""
    from crmlab.exercises import chapters

    if chapter is None:
        return chapters()
    if chapter not in chapters():
        raise CrmlabInputError(f"--chapter {chapter!r} has no exercises; the chapters are "
                               + ", ".join(chapters()) + ".")
    return [chapter]


def _wide():
    # Wide enough for a table's descriptions and a key's rows on a terminal.
    import pandas as pd

    return pd.option_context("display.max_colwidth", 70, "display.width", 160)


def main(argv=None) -> int:
    """Run ``crmlab`` with the arguments ``argv`` (default: the command line); return the exit code.

    0 when done, 2 when crmlab refuses the input (the message goes to standard error); unknown
    arguments make :mod:`argparse` print the usage and exit.

    Examples
    --------
    ``crmlab data tables`` from Python: the tables the loaders know, then the exit code.

    >>> main(["data", "tables"])  # doctest: +ELLIPSIS, +NORMALIZE_WHITESPACE
    zh ... description
    table ...
    customers 客户 ... One row per registered customer (会员) at the end of the data.
    ...
    0
    """
    args = _parser().parse_args(argv)
    try:
        if args.command == "generate":
            from crmlab.generator.retail import DEFAULT_CUSTOMERS, DEFAULT_SEED, generate

            paths = generate(args.out,
                             n_customers=DEFAULT_CUSTOMERS if args.customers is None else args.customers,
                             seed=DEFAULT_SEED if args.seed is None else args.seed,
                             student_id=args.student_id, file_format=args.format, progress=args.progress,
                             tables=None if args.tables is None else args.tables.split(","))
        elif args.command == "generate-airline":
            from crmlab.generator.airline import DEFAULT_MEMBERS, DEFAULT_SEED, generate_airline

            paths = generate_airline(args.out,
                                     n_members=DEFAULT_MEMBERS if args.members is None else args.members,
                                     seed=DEFAULT_SEED if args.seed is None else args.seed,
                                     student_id=args.student_id)
        elif args.command == "tables":
            from crmlab.datasets import list_tables

            with _wide():
                print(list_tables()[["zh", "n_columns", "truth", "description"]])
        elif args.command == "release":
            from crmlab.exercises.release import release

            for path in release(args.source, args.out):
                print(path)
        elif args.command == "key":
            from crmlab.exercises.grading import write_keys

            chosen = _chapters(args.chapter) if args.chapter else _chapters(None)
            keys = write_keys(args.students, chosen, out=args.out, workers=args.workers)
            if len(args.students) == 1:
                print(keys.drop(columns="student").to_string(index=False, max_colwidth=60))
            print(f"{len(set(args.students))} students: answer keys in {args.out}/keys, data in "
                  f"{args.out}/student_data (where `crmlab course grade --out {args.out}` finds them)")
        elif args.command == "grade":
            from pathlib import Path

            from crmlab.exercises.grading import GRADEBOOK, grade

            _chapters(args.chapter)
            if not Path(args.folder).is_dir():
                raise CrmlabInputError(f"{args.folder} is not a folder: give the folder of submitted notebooks.")
            book = grade(args.folder, args.chapter, out=args.out, workers=args.workers, timeout=args.timeout,
                         memory_mb=args.memory_mb)
            students = book["student"].nunique()
            print(f"{students} submissions graded: {Path(args.out) / GRADEBOOK}, feedback in "
                  f"{Path(args.out) / 'feedback'}, text answers to mark in {Path(args.out) / 'answers_to_mark.csv'}")
        elif args.command == "report":
            from crmlab.capstone import export_report

            print(export_report(args.notebook, args.out))
        if args.command.startswith("generate"):
            for name, path in sorted(paths.items()):
                print(f"{name:22s} {path}")
    except CrmlabInputError as exc:
        print(f"crmlab: error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
