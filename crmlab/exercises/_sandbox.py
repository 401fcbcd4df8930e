"""The process that runs submitted notebooks for the grader (used by :mod:`crmlab.exercises.grading`).

    python -m crmlab.exercises._sandbox MEMORY_MB

Started by the grader, one per worker, with a clean environment. It imports
once what every exercise notebook imports (pandas, matplotlib, IPython,
crmlab) and then, for each request it reads from standard input (one JSON
line: the notebook, the answers file to write, the question ids, the
seconds a cell may take, the working folder), forks a child that runs the
notebook's code cells with IPython in its own session, with a memory limit
and ``CRMLAB_CACHE_DIR`` pointing to the fresh copy of the student's data in
the working folder. Forking from a process that has already imported
everything costs milliseconds, where a new Jupyter kernel costs seconds.

The child writes the values of ``answer_q1`` ... as plain JSON (numbers read
through the base types, so that a subclass of ``float`` cannot dress up its
value); the grader judges them in its own process. A child that takes too
long or dies is killed with everything it started, and run again without the
cell it was running (three times at most), so that the other answers still
count. The reply is one JSON line: what went wrong while the notebook ran.

No answer key and no student's data is ever loaded in this process, so a
child cannot find one in the memory it inherits.
"""
import json
import math
import os
import resource
import signal
import sys
import time

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot  # noqa: E402,F401 - imported once here, so that children do not pay for it
import nbformat  # noqa: E402
import numpy  # noqa: E402
import pandas  # noqa: E402
import pandas.plotting  # noqa: E402,F401
from IPython.core.interactiveshell import InteractiveShell  # noqa: E402
from traitlets.config import Config  # noqa: E402

import crmlab  # noqa: E402
import crmlab.datasets  # noqa: E402,F401
import crmlab.exercises  # noqa: E402,F401
from crmlab.exercises.grading import RETRIES  # noqa: E402
SAID = {"CellTimeUp": "ran longer than the time limit ({timeout} s) and was stopped",
        "MemoryError": "ran out of memory (the grader's limit)"}


class CellTimeUp(Exception):
    """Raised in a cell that runs longer than the time limit."""


def _time_up(signum, frame):
    raise CellTimeUp()


# The builtins the extraction uses, bound before any student code runs: a notebook that patches
# builtins.isinstance or json.dumps changes its own namespace, not these.
_isinstance, _str, _dict, _zip, _open, _dumps, _isfinite = (
    isinstance, str, dict, zip, open, json.dumps, math.isfinite)


def plain(x, depth=0):
    """An answer as JSON-ready plain data (None if it is not a number, a string or a small table)."""
    if x is None or _isinstance(x, (bool, numpy.bool_)):
        return None
    if _isinstance(x, str):
        return str.__str__(x)
    if _isinstance(x, int):
        return int.__int__(x)
    if _isinstance(x, float):
        value = float.__float__(x)
        return value if _isfinite(value) else None
    if _isinstance(x, numpy.generic):
        return plain(x.item(), depth)
    if depth == 0:
        if _isinstance(x, pandas.DataFrame) and x.shape[1] == 1:
            x = x.iloc[:, 0]
        if _isinstance(x, pandas.Series):
            x = _dict(_zip([_str(label) for label in x.index.tolist()], x.tolist()))
        if _isinstance(x, dict) and dict.__len__(x) <= 1000:
            return {str.__str__(_str(k)): plain(v, 1) for k, v in dict.items(x)}
    return None


def _plain_or_none(x):
    try:
        return plain(x)
    except Exception:   # noqa: BLE001 - an answer that cannot be read is no answer, the others still count
        return None


def _child(shell, sources, request, progress_path):
    """Run the cells in this (forked) process and write the answers; never returns."""
    try:
        os.setsid()                      # one process group: the sandbox kills all the child starts
        size = request["memory_mb"] * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (size, size))
        null = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(null, fd)
        os.chdir(request["workdir"])
        os.environ["CRMLAB_CACHE_DIR"] = os.path.join(request["workdir"], "cache")
        progress = os.open(progress_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        errors = []
        signal.signal(signal.SIGALRM, _time_up)
        for index, source in sources:
            os.write(progress, f"{index}\n".encode())
            signal.setitimer(signal.ITIMER_REAL, request["timeout"])
            try:
                result = shell.run_cell(source, store_history=False, silent=True)
            except BaseException as error:   # noqa: BLE001 - raised outside the cell's code (a time-up
                result = None                # between statements, a broken shell): the next cell runs
                errors.append((index, type(error).__name__))
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
            error = getattr(result, "error_in_exec", None) or getattr(result, "error_before_exec", None)
            if error is not None:
                errors.append((index, type(error).__name__))
        answers = {q: _plain_or_none(dict.get(shell.user_ns, "answer_" + q)) for q in request["questions"]}
        with _open(request["answers"], "w", encoding="utf-8") as file:
            file.write(_dumps({"answers": answers, "errors": errors}))
    finally:
        os._exit(0)


def _kill(pid):
    for kill in (os.killpg, os.kill):
        try:
            kill(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


def run(shell, request) -> list:
    """Run one notebook (in forked children); return the notes for its feedback."""
    notes = []
    try:
        nb = nbformat.read(request["notebook"], as_version=4)
    except Exception as error:   # noqa: BLE001 - the grader read it already; say so and go on
        return [f"not a readable notebook ({type(error).__name__}): no answers"]
    sources = [(i, cell.source) for i, cell in enumerate(nb.cells) if cell.cell_type == "code"]
    progress_path = os.path.join(request["workdir"], "progress")
    limit = request["timeout"] + 60
    for attempt in range(RETRIES):
        pid = os.fork()
        if pid == 0:
            _child(shell, sources, request, progress_path)
        deadline = time.monotonic() + limit
        while True:
            # Looked at, not reaped: the pid stays the child's until the kill below, never another's.
            ended = os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
            if ended is not None or time.monotonic() > deadline:
                break
            time.sleep(0.005)
        timed_out = ended is None
        _kill(pid)                       # and whatever it started that is still running
        os.waitpid(pid, 0)
        if os.path.exists(request["answers"]):
            break
        try:
            with open(progress_path, encoding="utf-8") as file:
                running = int(file.read().split()[-1])
        except (OSError, ValueError, IndexError):
            running = None
        if running is None or attempt == RETRIES - 1:
            notes.append("the notebook stopped before its answers could be taken out")
            break
        why = f"ran longer than {limit} s" if timed_out else "stopped the process running the notebook"
        notes.append(f"cell {running + 1} {why}; the notebook was run again without it")
        sources = [(i, s) for i, s in sources if i != running]
    try:
        with open(request["answers"], encoding="utf-8") as file:
            errors = json.load(file).get("errors", [])
        for index, name in errors:
            said = SAID.get(str(name), "stopped with {name}").format(timeout=request["timeout"], name=name)
            notes.append(f"cell {int(index) + 1} {said}")
    except (OSError, ValueError, TypeError, AttributeError):
        pass
    return notes


def main(memory_mb: str) -> int:
    config = Config()
    config.HistoryManager.enabled = False     # no history database, no saving thread: safe to fork
    shell = InteractiveShell.instance(config=config)
    crmlab.use_theme()                        # registers the bundled Chinese font once, for every child
    out = sys.stdout
    sys.stdout = sys.stderr                   # only replies go to the grader
    for line in sys.stdin:
        request = json.loads(line)
        request["memory_mb"] = int(memory_mb)
        out.write(json.dumps(run(shell, request)) + "\n")
        out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
