"""Benchmark: grading a class's chapter 4 exercise notebooks with crmlab.exercises.grading.

    python benchmarks/grade_class.py [--students 200] [--workers 2]

A class as it hands in: six in ten students answer everything right, three
in ten make two of the chapter's typical mistakes, one in ten hands in the
notebook blank. Each submission is the released chapter 4 notebook with the
student's id and answers typed in.

Two steps are timed apart, as an instructor meets them:

1. ``prepare``: each student's data and answer key (``crmlab course key
   @roster.txt``, which an instructor can run any time before the deadline;
   ``grade`` does it itself for students it finds unprepared);
2. ``grade``: every notebook run in a sandbox with its limits, its answers
   taken out and judged against the key, hints computed for wrong answers,
   gradebook and feedback written.

Prints the time of both, the cost per notebook and the time 200 submissions
take at that rate (the issue's budget: 200 graded in 2 minutes).
"""
import argparse
import os
import tempfile
import time
from pathlib import Path

import nbformat

from crmlab.exercises import questions
from crmlab.exercises.core import student_data
from crmlab.exercises.grading import grade, prepare

NOTEBOOK = Path(__file__).resolve().parents[1] / "exercises" / "04_differentiate_customers_exercises.ipynb"
TEXT = "Monetary values are skewed, so the mean split marks few customers as high; I would budget with the mean."


def answers_of(index: int, student: str, key: dict, cache: Path) -> dict:
    """The answers student number ``index`` hands in (see the module's docstring)."""
    if index % 10 == 9:
        return {}
    answers = {q.id: TEXT if q.kind == "text" else key[q.id] for q in questions("ch04")}
    if index % 10 >= 6:
        data = student_data(student, cache_dir=cache)
        wrong = [q for q in questions("ch04") if q.mistakes][index % 3::3][:2]
        for q in wrong:
            value = q.mistakes[0].compute(data)
            answers[q.id] = float(value) if q.kind in ("number", "integer") else value
    return answers


def write_submission(folder: Path, student: str, answers: dict) -> None:
    nb = nbformat.read(NOTEBOOK, as_version=4)
    for cell in nb.cells:
        cell.source = cell.source.replace('STUDENT_ID = ""', f"STUDENT_ID = {student!r}")
        for qid, value in answers.items():
            cell.source = cell.source.replace(f"answer_{qid} = None", f"answer_{qid} = {value!r}")
    nbformat.write(nb, folder / f"{student}.ipynb")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=200)
    parser.add_argument("--workers", type=int, default=os.cpu_count())
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as root:
        root = Path(root)
        folder, out = root / "submissions", root / "grading"
        cache = out / "student_data"
        folder.mkdir()
        students = [f"2025{i:06d}" for i in range(1, args.students + 1)]
        start = time.perf_counter()
        keys = prepare(students, "ch04", cache_dir=cache, workers=args.workers)
        prepared = time.perf_counter() - start
        for index, student in enumerate(students):
            write_submission(folder, student, answers_of(index, student, keys[student], cache))
        start = time.perf_counter()
        book = grade(folder, "ch04", out=out, workers=args.workers)
        graded = time.perf_counter() - start
    n, per, ready = args.students, graded / args.students, prepared / args.students
    print(f"{n} students, {args.workers} workers; ch04, {len(questions('ch04'))} questions")
    print(f"prepare (data and answer keys): {prepared:.1f} s, {ready:.2f} s per student; "
          f"200 students: {200 * ready:.0f} s")
    print(f"grade: {graded:.1f} s, {per:.2f} s per notebook (wall clock), {per * args.workers:.2f} s of a core "
          f"each; 200 submissions: {200 * per:.0f} s (budget 120 s)")
    totals = book.groupby("student")["total"].first()
    print(f"totals: {totals.value_counts().sort_index().to_dict()} (points: students)")


if __name__ == "__main__":
    main()
