"""Releasing exercise notebooks to students (发布练习): the instructor's notebooks without solutions.

An instructor's exercise notebook (``instructor/exercises/`` in the kit) is
the student's notebook plus two kinds of material for the instructor only:

- in a code cell, the lines from ``### BEGIN SOLUTION`` to ``### END
  SOLUTION`` (the worked solution, run when the instructor runs the notebook);
  the lines around them, e.g. ``answer_q1 = None   # your answer``, are what
  the student gets;
- a cell tagged ``instructor`` (a marking note, a rubric): left out whole.

Releasing removes both and clears every output, so that what a student gets
holds no solution code and no value computed by it.

Examples
--------
>>> import nbformat
>>> cell = nbformat.v4.new_code_cell(
...     "answer_q1 = None   # your answer\\n### BEGIN SOLUTION\\nanswer_q1 = 6 * 7\\n### END SOLUTION")
>>> note = nbformat.v4.new_markdown_cell("Marking: ...", metadata={"tags": ["instructor"]})
>>> released = release_notebook(nbformat.v4.new_notebook(cells=[cell, note]))
>>> [c.source for c in released.cells]
['answer_q1 = None   # your answer']
"""
from __future__ import annotations

import copy
from pathlib import Path

from crmlab.validation import CrmlabInputError

BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
INSTRUCTOR_TAG = "instructor"


def _without_solution(source: str, where: str) -> str:
    kept, inside = [], False
    for number, line in enumerate(source.splitlines(), start=1):
        marker = line.strip()
        if marker == BEGIN:
            if inside:
                raise CrmlabInputError(f"{where}, line {number}: a second {BEGIN!r} before {END!r}; close the "
                                       "first solution block with its own END line.")
            inside = True
        elif marker == END:
            if not inside:
                raise CrmlabInputError(f"{where}, line {number}: {END!r} without a {BEGIN!r} above it; add "
                                       "the BEGIN line where the solution starts.")
            inside = False
        elif not inside:
            kept.append(line)
    if inside:
        raise CrmlabInputError(f"{where}: {BEGIN!r} is never closed; add a line {END!r} where the solution ends.")
    return "\n".join(kept).strip("\n")


def release_notebook(nb, *, name: str = "the notebook"):
    """The student's version of an instructor's notebook (a copy; ``nb`` is not changed).

    Parameters
    ----------
    nb : nbformat.NotebookNode
        The instructor's notebook.
    name : str
        How error messages name it (its file name).

    Returns
    -------
    nbformat.NotebookNode
        Without solution blocks and ``instructor`` cells, outputs and execution counts cleared.

    Raises
    ------
    CrmlabInputError
        When a solution block is not closed, or a marker is left in a markdown cell; the message
        names the cell and the line.

    Examples
    --------
    >>> import nbformat
    >>> cell = nbformat.v4.new_code_cell("x = 1\\n### BEGIN SOLUTION\\nx = 2")
    >>> release_notebook(nbformat.v4.new_notebook(cells=[cell]), name="ch04.ipynb")
    Traceback (most recent call last):
    ...
    crmlab.validation.CrmlabInputError: ch04.ipynb, cell 1: '### BEGIN SOLUTION' is never closed; add a line '### END SOLUTION' where the solution ends.
    """
    released = copy.deepcopy(nb)
    cells = []
    for number, cell in enumerate(released.cells, start=1):
        tags = cell.get("metadata", {}).get("tags", [])
        if INSTRUCTOR_TAG in tags:
            continue
        where = f"{name}, cell {number}"
        if cell.cell_type == "code":
            cell.source = _without_solution(cell.source, where)
            cell.outputs, cell.execution_count = [], None
        elif BEGIN in cell.source or END in cell.source:
            raise CrmlabInputError(f"{where}: solution markers work in code cells only; tag a markdown cell "
                                   f"{INSTRUCTOR_TAG!r} to leave it out of the students' version.")
        cell.get("metadata", {}).pop("execution", None)
        cells.append(cell)
    released.cells = cells
    return released


def release(source, out) -> list:
    """Write the students' version of every exercise notebook in ``source`` to ``out``.

    Parameters
    ----------
    source : str or Path
        A folder of instructor notebooks (``*.ipynb``), e.g. ``instructor/exercises``.
    out : str or Path
        Where the students' notebooks go (same file names); created if needed.

    Returns
    -------
    list of Path
        The notebooks written.

    Examples
    --------
    >>> import pathlib, tempfile, nbformat
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> (folder / "instructor").mkdir()
    >>> cell = nbformat.v4.new_code_cell("answer_q1 = None\\n### BEGIN SOLUTION\\nanswer_q1 = 42\\n### END SOLUTION")
    >>> nbformat.write(nbformat.v4.new_notebook(cells=[cell]), folder / "instructor" / "04_x.ipynb")
    >>> [p.name for p in release(folder / "instructor", folder / "students")]
    ['04_x.ipynb']
    >>> nbformat.read(folder / "students" / "04_x.ipynb", as_version=4).cells[0].source
    'answer_q1 = None'
    """
    import nbformat

    source, out = Path(source), Path(out)
    paths = sorted(source.glob("*.ipynb"))
    if not paths:
        raise CrmlabInputError(f"No notebooks (*.ipynb) in {source}: give the folder of the instructor's "
                               "exercise notebooks, e.g. instructor/exercises.")
    if out.resolve() == source.resolve():
        raise CrmlabInputError(f"--out {out} is the instructor's folder: the release would overwrite the "
                               "solutions. Give another folder.")
    released = [(path, release_notebook(nbformat.read(path, as_version=4), name=path.name)) for path in paths]
    out.mkdir(parents=True, exist_ok=True)
    for path, nb in released:
        nbformat.write(nb, out / path.name)
    return [out / path.name for path, _ in released]
