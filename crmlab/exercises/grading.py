"""Grading a class's submitted exercise notebooks (批改作业), outside the students' kernels.

Each submission runs in its own process, with a time and a memory limit, on a
fresh copy of its student's data; what it leaves in ``answer_q1`` ... is
taken out as plain data (numbers, strings, small tables) and judged here, in
the grader's process, against the reference recomputed from the grader's own
copy of that student's data with :func:`crmlab.exercises.core.judge` — the
same function the student's checks call. Nothing the notebook printed or
defined (a redefined ``check``, a faked comparison) takes part.

A submission is named by its student: ``2025012345.ipynb`` or
``2025012345_anything.ipynb`` (the id is the file name up to the first ``_``
or ``.``).

Examples
--------
>>> student_of("2025012345_ch04.ipynb")
'2025012345'
"""
from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from crmlab.exercises import questions
from crmlab.exercises.core import judge, student_data
from crmlab.exercises.display import GRADING_VARIABLE

GRADEBOOK = "gradebook.csv"
TO_MARK = "answers_to_mark.csv"     # the text answers; the instructor fills its "points" column
FEEDBACK = "feedback"


def student_of(filename: str) -> str:
    """The student id a submission's file name gives (up to the first ``_`` or ``.``).

    >>> student_of("S001.ipynb")
    'S001'
    """
    return re.match(r"[^_.]+", Path(filename).name).group(0)


@dataclass
class Submission:
    """What one notebook submitted: its plain answers and what happened while it ran.

    >>> Submission("2025012345", {"q1": 0.5}).answers["q1"]
    0.5
    """

    student: str
    answers: dict = field(default_factory=dict)
    notes: list = field(default_factory=list)


def _plain(value):
    """An extracted answer, kept only if it is plain data of the kinds an answer takes."""
    if isinstance(value, bool):
        return None
    if value is None or isinstance(value, (int, float, str)):
        return value
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        table = {k: v for k, v in value.items() if isinstance(v, (int, float)) and not isinstance(v, bool)}
        return table if len(table) == len(value) else None
    return None


def _limit_memory(megabytes: int):
    def limit():
        import resource
        size = megabytes * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (size, size))
    return limit


def run_submission(path, chapter: str, *, cache_dir, timeout: int = 300, memory_mb: int = 4096) -> Submission:
    """Run one submitted notebook in its own process and take out its answers as plain data.

    Parameters
    ----------
    path : str or Path
        The notebook, named by its student (see :func:`student_of`).
    chapter : str
        The chapter whose questions it answers, e.g. "ch04".
    cache_dir : str or Path
        The grader's cache of students' data; the submission works on a copy.
    timeout : int
        Seconds for the whole notebook (a cell running longer is interrupted).
    memory_mb : int
        Address-space limit of the submission's processes.

    Returns
    -------
    Submission
        ``answers`` maps question ids to plain values (None when absent or not plain data);
        ``notes`` says what went wrong while running (a cell's error, a time-out, a crash).

    Examples
    --------
    A file that is not a notebook gives no answers, and says so:

    >>> import pathlib, tempfile
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "S1.ipynb").write_text("not a notebook")
    >>> run_submission(folder / "S1.ipynb", "ch04", cache_dir=folder / "cache").notes
    ['not a readable notebook (NotJSONError): no answers']
    """
    path = Path(path)
    submission = Submission(student_of(path.name))
    ids = [q.id for q in questions(chapter)]
    try:
        import nbformat
        nb = nbformat.read(path, as_version=4)
    except Exception as error:     # noqa: BLE001 - any unreadable file is a note, never a stop
        submission.notes.append(f"not a readable notebook ({type(error).__name__}): no answers")
        return submission
    with tempfile.TemporaryDirectory(prefix="crmlab-grading-") as work:
        work = Path(work)
        own = student_data(submission.student, cache_dir=cache_dir)
        shutil.copytree(own.data_dir, work / "cache" / "students" / own.data_dir.name)
        nbformat.write(nb, work / "submission.ipynb")
        env = {**os.environ, "CRMLAB_CACHE_DIR": str(work / "cache"), GRADING_VARIABLE: "1", "OPENBLAS_NUM_THREADS": "1",
               "OMP_NUM_THREADS": "1", "MPLBACKEND": "Agg"}
        answers = work / "answers.json"
        process = subprocess.Popen(
            [sys.executable, "-m", "crmlab.exercises._run_submission", str(work / "submission.ipynb"),
             str(answers), ",".join(ids), str(timeout)],
            cwd=work, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
            start_new_session=True, preexec_fn=_limit_memory(memory_mb))
        try:
            out, _ = process.communicate(timeout=timeout + 60)
            notes = json.loads(out.strip().splitlines()[-1]) if out.strip() else ["the run stopped early"]
        except subprocess.TimeoutExpired:
            notes = [f"stopped after {timeout + 60} s"]
        except ValueError:
            notes = ["the run stopped early"]
        finally:
            try:
                os.killpg(process.pid, signal.SIGKILL)     # the kernel too, whatever it still does
            except ProcessLookupError:
                pass
            process.wait()
        submission.notes += [str(n) for n in notes]
        try:
            raw = json.loads(answers.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            raw = {}
            submission.notes.append("no answers could be taken out of the notebook")
    if not isinstance(raw, dict):
        raw = {}
    submission.answers = {qid: _plain(raw.get(qid)) for qid in ids}
    return submission


def judge_submission(submission: Submission, chapter: str, *, cache_dir) -> pd.DataFrame:
    """One row per question: status, points, max_points and the feedback message (no expected value).

    >>> import tempfile
    >>> rows = judge_submission(Submission("S1", {"q1": None}), "ch04", cache_dir=tempfile.mkdtemp())
    >>> rows.loc[0, "question"], rows.loc[0, "status"], int(rows["points"].sum())
    ('q1', 'not yet', 0)
    >>> rows.loc[0, "feedback"]
    'Not yet: no answer given. A fraction between 0 and 1, to 3 decimals (e.g. 0.123).'
    """
    data = student_data(submission.student, cache_dir=cache_dir)
    rows = []
    for q in questions(chapter):
        result = judge(q, submission.answers.get(q.id), data)
        rows.append({"student": submission.student, "question": q.id, "status": result.status,
                     "points": q.points if result.status == "correct" else 0, "max_points": q.points,
                     "feedback": result.message})
    return pd.DataFrame(rows)


def _manual_marks(out: Path) -> dict:
    """Points the instructor gave to text answers in an earlier run's answers_to_mark.csv."""
    path = out / TO_MARK
    if not path.exists():
        return {}
    marked = pd.read_csv(path, dtype={"student": str, "question": str})
    marked = marked.dropna(subset=["points"])
    return {(s, q): float(p) for s, q, p in zip(marked["student"], marked["question"], marked["points"])}


def grade(folder, chapter: str, *, out, cache_dir=None, workers: int | None = None, timeout: int = 300,
          memory_mb: int = 4096) -> pd.DataFrame:
    """Grade every submitted notebook in ``folder`` and write the gradebook, feedback and text answers.

    Writes to ``out``: ``gradebook.csv`` (one row per student and question: status, points,
    max_points, the student's total), ``feedback/STUDENT.md`` (per question: correct or the hint,
    never an expected value; and what went wrong while running), and ``answers_to_mark.csv`` (the
    text answers, with an empty ``points`` column: marks the instructor enters there are merged
    into the gradebook on the next run).

    Returns
    -------
    DataFrame
        The gradebook.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "S1_ch04.ipynb").write_text("not a notebook")
    >>> book = grade(folder, "ch04", out=folder / "out")
    >>> book.columns.tolist()
    ['student', 'question', 'status', 'points', 'max_points', 'total']
    >>> sorted(p.name for p in (folder / "out").iterdir())
    ['answers_to_mark.csv', 'feedback', 'gradebook.csv', 'student_data']
    """
    folder, out = Path(folder), Path(out)
    cache_dir = Path(cache_dir) if cache_dir is not None else out / "student_data"
    paths = sorted(folder.glob("*.ipynb"))
    marks = _manual_marks(out)
    workers = workers or os.cpu_count() or 1

    def one(path):
        submission = run_submission(path, chapter, cache_dir=cache_dir, timeout=timeout, memory_mb=memory_mb)
        return submission, judge_submission(submission, chapter, cache_dir=cache_dir)

    # Each student's data is generated once, before the runs that copy it.
    for student in sorted({student_of(p.name) for p in paths}):
        student_data(student, cache_dir=cache_dir)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        done = list(pool.map(one, paths))
    book = pd.concat([rows for _, rows in done], ignore_index=True) if done else pd.DataFrame(
        columns=["student", "question", "status", "points", "max_points", "feedback"])
    texts = [q.id for q in questions(chapter) if q.kind == "text"]
    if marks:   # the instructor's marks of text answers, at most the question's points
        given = pd.Series(marks).reindex(pd.MultiIndex.from_frame(book[["student", "question"]]))
        given = pd.Series(given.to_numpy(dtype=float), index=book.index).clip(upper=book["max_points"])
        marked = book["question"].isin(texts) & given.notna()
        book["points"] = book["points"].where(~marked, given)
        book.loc[marked, "status"] = "marked"
    book["total"] = book.groupby("student")["points"].transform("sum")
    out.mkdir(parents=True, exist_ok=True)
    (out / FEEDBACK).mkdir(exist_ok=True)
    book.drop(columns="feedback").to_csv(out / GRADEBOOK, index=False)
    to_mark = [{"student": s.student, "question": qid, "answer": s.answers.get(qid) or "",
                "points": marks.get((s.student, qid), "")} for s, _ in done for qid in texts]
    pd.DataFrame(to_mark, columns=["student", "question", "answer", "points"]).to_csv(out / TO_MARK, index=False)
    for submission, rows in done:
        lines = [f"# {chapter} — {submission.student}", ""]
        lines += [f"- {r.question} ({r.points:g}/{r.max_points} points): {r.feedback}" for r in rows.itertuples()]
        if submission.notes:
            lines += ["", "While your notebook ran:"] + [f"- {note}" for note in submission.notes]
        (out / FEEDBACK / f"{submission.student}.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return book.drop(columns="feedback")
