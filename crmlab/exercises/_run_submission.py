"""Run one submitted notebook and write its answers as plain data (used by :mod:`crmlab.exercises.grading`).

    python -m crmlab.exercises._run_submission NOTEBOOK ANSWERS_JSON QUESTION_IDS CELL_TIMEOUT

Runs in its own process, started by the grader with a memory limit, a time
limit and ``CRMLAB_CACHE_DIR`` pointing to a fresh copy of the student's data.
The student's code runs in a Jupyter kernel started from here; whatever it
does there (redefine ``check``, patch the test runner, subclass ``float``),
the last cell only writes the values of ``answer_q1`` ... as JSON, with
numbers read through the base types so that a subclass cannot dress up its
value. The grader judges these values in its own process.
"""
import json
import sys

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import DeadKernelError

# Runs in the student's kernel after their cells: each answer as JSON-ready plain data.
EXTRACT = '''
def __crmlab_plain(x, depth=0):
    import math
    if x is None or isinstance(x, bool):
        return None
    if isinstance(x, str):
        return str.__str__(x)
    if isinstance(x, int):
        return int.__int__(x)
    if isinstance(x, float):
        value = float.__float__(x)
        return value if math.isfinite(value) else None
    try:
        import numpy
        if isinstance(x, numpy.generic) and not isinstance(x, numpy.bool_):
            return __crmlab_plain(x.item(), depth)
    except ImportError:
        pass
    if depth == 0:
        try:
            import pandas
            if isinstance(x, pandas.DataFrame) and x.shape[1] == 1:
                x = x.iloc[:, 0]
            if isinstance(x, pandas.Series):
                x = dict(zip(map(str, x.index.tolist()), x.tolist()))
        except ImportError:
            pass
        if isinstance(x, dict) and len(x) <= 1000:
            return {str.__str__(str(k)): __crmlab_plain(v, 1) for k, v in dict.items(x)}
    return None


with open(__CRMLAB_ANSWERS, "w", encoding="utf-8") as __crmlab_file:
    __crmlab_file.write(__import__("json").dumps(
        {__q: __crmlab_plain(globals().get("answer_" + __q)) for __q in __CRMLAB_QUESTIONS}))
'''


def main(notebook: str, answers: str, question_ids: str, cell_timeout: str) -> int:
    nb = nbformat.read(notebook, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    setup = f"__CRMLAB_ANSWERS = {answers!r}\n__CRMLAB_QUESTIONS = {question_ids.split(',')!r}\n"
    nb.cells.append(nbformat.v4.new_code_cell(setup + EXTRACT))
    notes = []
    # A cell that kills the kernel (os._exit, a crash of native code) is left out and the notebook run
    # again from the top, so that the answers of the other cells still count; a few times at most.
    for _ in range(3):
        running = []
        client = NotebookClient(nb, timeout=int(cell_timeout), allow_errors=True, interrupt_on_timeout=True,
                                record_timing=False, on_cell_execute=lambda cell, cell_index: running.append(cell_index))
        try:
            client.execute()
            break
        except DeadKernelError:
            dead = running[-1] if running else None
            if dead is None or dead == len(nb.cells) - 1:
                notes.append("the kernel died; no answers could be taken out")
                break
            notes.append(f"cell {dead + 1} stopped the kernel; the notebook was run again without it")
            nb.cells[dead].source = "# left out by the grader: this cell stopped the kernel"
            for cell in nb.cells:
                if cell.cell_type == "code":
                    cell.outputs, cell.execution_count = [], None
    said = {"KeyboardInterrupt": f"ran longer than the time limit ({cell_timeout} s) and was stopped",
            "MemoryError": "ran out of memory (the grader's limit)"}
    for i, cell in enumerate(nb.cells[:-1]):
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                name = out.get("ename", "an error")
                notes.append(f"cell {i + 1} " + said.get(name, f"stopped with {name}"))
    print(json.dumps(notes))
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:5]))
