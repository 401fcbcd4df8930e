"""Write the question cells of a chapter's exercise notebooks from its question module.

    python tools/make_exercise_notebook.py ch05      then: python kit.py notebooks exercises/05_*.ipynb

The questions live in one place, ``crmlab/exercises/chNN.py`` (the checks judge
them there); this script turns them into the cells of the instructor's
notebook ``instructor/exercises/NN_..._exercises.ipynb`` so that the text a
student reads is the text the grader uses, then releases it to
``exercises/`` (:func:`crmlab.exercises.release.release_notebook`: solutions
and instructor notes out, outputs cleared).

What is written by hand is kept:

- the notebook's opening cells (the title, the setup cell with
  ``start("chNN", STUDENT_ID)``, a look at the data): everything before the
  cell that starts with ``## Q1``;
- each question's worked solution: the block from ``### BEGIN SOLUTION`` to
  ``### END SOLUTION`` in the cell ``qN-answer``.

Everything else from ``## Q1`` on is rewritten; a text question gets a
marking note for the instructor (its rubric), tagged ``instructor``.
"""
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from crmlab.exercises import chapters, questions  # noqa: E402
from crmlab.exercises.release import BEGIN, END, INSTRUCTOR_TAG, release_notebook  # noqa: E402

ANSWER_FORM = {"number": "a number", "integer": "a whole number", "table": "a table", "choice": "one of the choices",
               "text": "a short text"}


def solution_block(source: str) -> str:
    """The lines of ``source`` from BEGIN SOLUTION to END SOLUTION, markers included ("" if none)."""
    lines = source.splitlines()
    starts = [i for i, line in enumerate(lines) if line.strip() == BEGIN]
    ends = [i for i, line in enumerate(lines) if line.strip() == END]
    return "\n".join(lines[starts[0]:ends[-1] + 1]) if starts and ends else ""


def question_cells(chapter: str, solutions: dict | None = None) -> list:
    """The instructor's cells of every question of ``chapter`` and the progress table at the end.

    ``solutions`` maps a question id to its solution block (kept from the notebook).
    """
    md, code = nbformat.v4.new_markdown_cell, nbformat.v4.new_code_cell
    solutions = solutions or {}
    cells = []
    for q in questions(chapter):
        n = q.id[1:]
        points = f"{q.points} point" + ("s" if q.points != 1 else "")
        credit = "; partial credit: the share of rows that are right" if q.partial else ""
        cells.append(md(f"## Q{n} ({points}{credit})\n\n{q.prompt}\n\n*Answer: {ANSWER_FORM[q.kind]}. {q.answer_hint}*",
                        id=f"{q.id}-text"))
        if q.detail is not None:
            cells.append(code(f'show("{q.id}")', id=f"{q.id}-show"))
        answer = f"answer_{q.id} = None   # your answer"
        if solutions.get(q.id):
            answer += "\n" + solutions[q.id]
        cells.append(code(answer, id=f"{q.id}-answer"))
        cells.append(code(f'check("{q.id}", answer_{q.id});', id=f"{q.id}-check"))
        if q.kind == "text":
            rubric = "\n".join(f"- {point}" for point in q.rubric)
            cells.append(md(f"**Marking (instructor only, {points}).** A good answer covers:\n\n{rubric}",
                            id=f"{q.id}-marking", metadata={"tags": [INSTRUCTOR_TAG]}))
    cells.append(md("## 进度 Progress", id="progress-text"))
    cells.append(code("progress()", id="progress"))
    return cells


def _one(folder: Path, chapter: str) -> Path:
    found = sorted(folder.glob(f"{chapter[2:]}_*_exercises.ipynb"))
    if len(found) != 1:
        raise SystemExit(f"Need exactly one {folder.relative_to(ROOT)}/{chapter[2:]}_..._exercises.ipynb, found "
                         f"{len(found)}: write its opening cells first (title, setup with "
                         f'start("{chapter}", STUDENT_ID), a look at the data), then run this again.')
    return found[0]


def main(chapter: str) -> Path:
    source = _one(ROOT / "instructor" / "exercises", chapter)
    nb = nbformat.read(source, as_version=4)
    first = next((i for i, cell in enumerate(nb.cells) if cell.source.startswith("## Q1")), len(nb.cells))
    solutions = {cell.id[:-len("-answer")]: solution_block(cell.source) for cell in nb.cells[first:]
                 if cell.get("id", "").endswith("-answer")}
    nb.cells = nb.cells[:first] + question_cells(chapter, solutions)
    nbformat.write(nb, source)
    student = ROOT / "exercises" / source.name
    nbformat.write(release_notebook(nb, name=source.name), student)
    return student


if __name__ == "__main__":
    if len(sys.argv) != 2 or sys.argv[1] not in chapters():
        raise SystemExit("usage: python tools/make_exercise_notebook.py CHAPTER   (one of "
                         + ", ".join(chapters()) + ")")
    print(main(sys.argv[1]))
