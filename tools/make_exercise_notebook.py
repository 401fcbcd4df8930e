"""Write the question cells of a chapter's exercise notebook from its question module.

    python tools/make_exercise_notebook.py ch05      then: python kit.py notebooks exercises/05_*.ipynb

The questions live in one place, ``crmlab/exercises/chNN.py`` (the checks judge
them there); this script turns them into the notebook's cells so that the text
a student reads is the text the grader uses. The notebook's opening cells (the
title, the setup cell with ``start("chNN", STUDENT_ID)``, a look at the data)
are written by hand and kept: everything before the cell that starts with
``## Q1`` stays as it is, everything from there on is rewritten. Outputs are
left empty; ``python kit.py notebooks`` fills them.
"""
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from crmlab.exercises import chapters, questions  # noqa: E402

ANSWER_FORM = {"number": "a number", "integer": "a whole number", "table": "a table", "choice": "one of the choices",
               "text": "a short text"}


def question_cells(chapter: str) -> list:
    """The cells of every question of ``chapter`` and the progress table at the end."""
    md, code = nbformat.v4.new_markdown_cell, nbformat.v4.new_code_cell
    cells = []
    for q in questions(chapter):
        n = q.id[1:]
        points = f"{q.points} point" + ("s" if q.points != 1 else "")
        cells.append(md(f"## Q{n} ({points})\n\n{q.prompt}\n\n*Answer: {ANSWER_FORM[q.kind]}. {q.answer_hint}*",
                        id=f"{q.id}-text"))
        if q.detail is not None:
            cells.append(code(f'show("{q.id}")', id=f"{q.id}-show"))
        cells.append(code(f"answer_{q.id} = None   # your answer", id=f"{q.id}-answer"))
        cells.append(code(f'check("{q.id}", answer_{q.id});', id=f"{q.id}-check"))
    cells.append(md("## 进度 Progress", id="progress-text"))
    cells.append(code("progress()", id="progress"))
    return cells


def main(chapter: str) -> Path:
    found = sorted((ROOT / "exercises").glob(f"{chapter[2:]}_*_exercises.ipynb"))
    if len(found) != 1:
        raise SystemExit(f"Need exactly one exercises/{chapter[2:]}_..._exercises.ipynb, found {len(found)}: write "
                         f'its opening cells first (title, setup with start("{chapter}", STUDENT_ID), a look '
                         "at the data), then run this again.")
    path = found[0]
    nb = nbformat.read(path, as_version=4)
    first = next((i for i, cell in enumerate(nb.cells) if cell.source.startswith("## Q1")), len(nb.cells))
    nb.cells = nb.cells[:first] + question_cells(chapter)
    nbformat.write(nb, path)
    return path


if __name__ == "__main__":
    if len(sys.argv) != 2 or sys.argv[1] not in chapters():
        raise SystemExit("usage: python tools/make_exercise_notebook.py CHAPTER   (one of "
                         + ", ".join(chapters()) + ")")
    print(main(sys.argv[1]))
