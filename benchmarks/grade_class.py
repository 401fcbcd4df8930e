"""Benchmark: grading a class's chapter 4 exercise notebooks with crmlab.exercises.grading.

    python benchmarks/grade_class.py [--students 20] [--workers 2]

Writes one submission per student (the chapter 4 exercise notebook with that
student's reference answers typed in, as a student who solved it hands it in),
generates the students' data first (timed apart: an instructor can do it
before the deadline), then times ``grade`` over the folder: each notebook run
in its own process with its limits, answers taken out and judged in the
grader. Prints the time of both steps, the cost per notebook and the time 200
submissions would take at that rate. (The issue's budget: 200 in 2 minutes.)
"""
import argparse
import os
import tempfile
import time
from pathlib import Path

import nbformat

from crmlab.exercises import questions
from crmlab.exercises.core import student_data
from crmlab.exercises.grading import grade

NOTEBOOK = Path(__file__).resolve().parents[1] / "exercises" / "04_differentiate_customers_exercises.ipynb"
TEXT = "Monetary values are skewed, so the mean split marks few customers as high; I would budget with the mean."


def write_submission(folder: Path, student: str, cache: Path) -> None:
    data = student_data(student, cache_dir=cache)
    nb = nbformat.read(NOTEBOOK, as_version=4)
    for q in questions("ch04"):
        value = TEXT if q.kind == "text" else q.reference(data)
        value = round(float(value), 3) if q.kind == "number" else value
        value = int(value) if q.kind == "integer" else value
        for cell in nb.cells:
            cell.source = cell.source.replace(f"answer_{q.id} = None", f"answer_{q.id} = {value!r}")
    for cell in nb.cells:
        cell.source = cell.source.replace('STUDENT_ID = ""', f"STUDENT_ID = {student!r}")
    nbformat.write(nb, folder / f"{student}.ipynb")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=20)
    parser.add_argument("--workers", type=int, default=os.cpu_count())
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as root:
        root = Path(root)
        folder, out, cache = root / "submissions", root / "out", root / "out" / "student_data"
        folder.mkdir()
        students = [f"2025{i:06d}" for i in range(1, args.students + 1)]
        start = time.perf_counter()
        for student in students:
            write_submission(folder, student, cache)
        prepared = time.perf_counter() - start
        start = time.perf_counter()
        book = grade(folder, "ch04", out=out, cache_dir=cache, workers=args.workers)
        graded = time.perf_counter() - start
    full = sum(q.points for q in questions("ch04") if q.kind != "text")
    per = graded / args.students
    print(f"{args.students} students, {args.workers} workers")
    print(f"data generated and submissions written: {prepared:.1f} s ({prepared / args.students:.2f} s per student)")
    print(f"graded: {graded:.1f} s, {per:.2f} s per notebook (wall clock), {per * args.workers:.2f} s of a core each")
    print(f"200 submissions at this rate: {200 * per:.0f} s (budget 120 s)")
    print(f"full marks for every honest submission: {bool((book.groupby('student')['total'].first() == full).all())}")


if __name__ == "__main__":
    main()
