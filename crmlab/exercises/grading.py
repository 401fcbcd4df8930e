"""Grading a class's submitted exercise notebooks (批改作业), outside the students' kernels.

Before any notebook runs, each student's answer key (:func:`answer_key`) is
computed from the grader's own copy of that student's data, or read from
where an earlier run or ``crmlab course key`` (:func:`write_keys`) left it,
and held in memory. Each submission then runs in its own process (a child of
a :class:`Sandbox`), with a time and a memory limit, on a fresh copy of its
student's data; what it leaves in ``answer_q1`` ... is taken out as plain
data (numbers, strings, small tables) and judged here, in the grader's
process, against the key with :func:`crmlab.exercises.core.judge` — the same
function the student's checks call. Nothing the notebook printed or defined
(a redefined ``check``, a faked comparison) takes part.

A submission is named by its student: ``2025012345.ipynb`` or
``2025012345_anything.ipynb`` (the id is the file name up to the first ``_``
or ``.``).

Examples
--------
>>> student_of("2025012345_ch04.ipynb")
'2025012345'
"""
from __future__ import annotations

import functools
import hashlib
import json
import os
import re
import select
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
from crmlab.exercises.core import as_plain, judge, student_data
from crmlab.exercises.display import GRADING_VARIABLE
from crmlab.validation import CrmlabInputError

RETRIES = 3      # runs of one notebook at most, each without the cell that stopped the one before
GRADEBOOK = "gradebook.csv"
TO_MARK = "answers_to_mark.csv"     # the text answers; the instructor fills its "points" column
FEEDBACK = "feedback"
NOTES = "notes.csv"
# The package computes every reference (the checks need it), so a student can call it: the grader
# cannot stop that, but it says so to the instructor, as a marker would notice copied code.
ANSWER_CODE = re.compile(r"crmlab\.exercises\.ch\d\d|\bQUESTIONS\b|\.reference\(|\bjudge\(|\banswer_key\(|"
                         r"\bstudent_data\(|\bas_plain\(|import_module\(|\bquestions\(")      # what went wrong while the notebooks ran, for the instructor


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


class Sandbox:
    """A clean process that runs submitted notebooks for the grader, one at a time.

    It imports pandas, matplotlib, IPython and crmlab once and forks a child
    per notebook (:mod:`crmlab.exercises._sandbox`): the child runs in its own
    session with a memory limit and is killed, with all it started, when it
    runs out of time. One sandbox per worker; a sandbox that a submission
    kills is started again for the next one.

    Examples
    --------
    >>> with Sandbox(memory_mb=4096) as sandbox:
    ...     sandbox.memory_mb
    4096
    """

    def __init__(self, *, memory_mb: int = 4096):
        self.memory_mb = memory_mb
        self._process = None
        self._home = None

    def _start(self):
        if not hasattr(os, "fork"):
            raise CrmlabInputError("Grading runs each notebook in a forked, limited process, which Windows does not "
                                   "offer: grade on Linux or macOS (on Windows, in WSL).")
        self.close()
        self._home = tempfile.mkdtemp(prefix="crmlab-sandbox-")
        env = {k: v for k, v in os.environ.items() if not k.startswith("CRMLAB_")}
        # One thread per native library: forking is safe, and the workers share the cores.
        env.update({GRADING_VARIABLE: "1", "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1",
                    "MKL_NUM_THREADS": "1", "MPLBACKEND": "Agg", "IPYTHONDIR": self._home})
        self._process = subprocess.Popen(
            [sys.executable, "-m", "crmlab.exercises._sandbox", str(self.memory_mb)], env=env, cwd=self._home,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
            start_new_session=True)

    def run(self, request: dict, *, wait: float) -> list:
        """Send one notebook's request; return the notes of its run (what went wrong)."""
        if self._process is None or self._process.poll() is not None:
            self._start()
        try:
            self._process.stdin.write(json.dumps(request) + "\n")
            self._process.stdin.flush()
            ready, _, _ = select.select([self._process.stdout], [], [], wait)
            notes = json.loads(self._process.stdout.readline()) if ready else None
        except (OSError, ValueError):
            notes = None
        if not isinstance(notes, list):
            self.close()
            return ["the run stopped early (the grader's runner was stopped)"]
        return [str(note)[:300] for note in notes[:50]]

    def close(self):
        """Stop the sandbox process, with anything still running in it."""
        if self._process is not None:
            try:
                os.killpg(self._process.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            self._process.wait()
            for stream in (self._process.stdin, self._process.stdout):
                try:
                    stream.close()
                except OSError:
                    pass
            self._process = None
        if self._home is not None:
            shutil.rmtree(self._home, ignore_errors=True)
            self._home = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def run_submission(path, chapter: str, *, cache_dir, timeout: int = 300, memory_mb: int = 4096,
                   sandbox: Sandbox | None = None) -> Submission:
    """Run one submitted notebook in its own process and take out its answers as plain data.

    Parameters
    ----------
    path : str or Path
        The notebook, named by its student (see :func:`student_of`).
    chapter : str
        The chapter whose questions it answers, e.g. "ch04".
    cache_dir : str or Path
        The grader's cache of students' data; the submission works on a fresh copy.
    timeout : int
        Seconds a cell may run (it is then stopped; the notebook goes on); the whole notebook
        may take 60 s more than that.
    memory_mb : int
        Address-space limit of the submission's process.
    sandbox : Sandbox, optional
        The process to run it in (the grader keeps one per worker); default: a new one for this call.

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
    import nbformat

    path = Path(path)
    submission = Submission(student_of(path.name))
    ids = [q.id for q in questions(chapter)]
    try:
        nb = nbformat.read(path, as_version=4)
    except Exception as error:     # noqa: BLE001 - any unreadable file is a note, never a stop
        submission.notes.append(f"not a readable notebook ({type(error).__name__}): no answers")
        return submission
    used = sorted({name for cell in nb.cells if cell.cell_type == "code" for name in ANSWER_CODE.findall(cell.source)})
    if used:
        submission.notes.append("the notebook calls the exercises' own answer code (" + ", ".join(used)
                                + "): look at how it computes its answers")
    own = student_data(submission.student, cache_dir=cache_dir)
    with tempfile.TemporaryDirectory(prefix="crmlab-grading-") as work:
        work = Path(work)
        shutil.copytree(own.data_dir, work / "cache" / "students" / own.data_dir.name)
        nbformat.write(nb, work / "submission.ipynb")
        answers = work / "answers.json"
        request = {"notebook": str(work / "submission.ipynb"), "answers": str(answers), "questions": ids,
                   "timeout": timeout, "workdir": str(work)}
        wait = sandbox_wait(timeout)
        if sandbox is None:
            with Sandbox(memory_mb=memory_mb) as own_sandbox:
                submission.notes += own_sandbox.run(request, wait=wait)
        else:
            submission.notes += sandbox.run(request, wait=wait)
        try:
            raw = json.loads(answers.read_text(encoding="utf-8"))["answers"]
        except (OSError, ValueError, TypeError, KeyError):
            raw = {}
            if not submission.notes:
                submission.notes.append("no answers could be taken out of the notebook")
    if not isinstance(raw, dict):
        raw = {}
    submission.answers = {qid: _plain(raw.get(qid)) for qid in ids}
    return submission


def sandbox_wait(timeout: int) -> float:
    """How long the grader waits for one notebook: every run the sandbox may try, and start-up.

    >>> sandbox_wait(300)
    1140
    """
    return RETRIES * (timeout + 60) + 60


def answer_key(student_id: str, chapter: str, *, cache_dir) -> dict:
    """A student's answer key (参考答案): the reference of every question but the text ones, as plain data.

    Computed from the student's own data (generated on first use) and kept beside it in
    ``cache_dir/keys``, so that grading the class again does not compute it again.

    Examples
    --------
    >>> import tempfile
    >>> key = answer_key("2025012345", "ch04", cache_dir=tempfile.mkdtemp())
    >>> sorted(key)[:3], type(key["q3"]).__name__
    (['q1', 'q2', 'q3'], 'int')
    """
    data = student_data(student_id, cache_dir=cache_dir)
    path = _key_path(data, chapter, cache_dir)
    try:
        stored = json.loads(path.read_text(encoding="utf-8"))
        if stored["code"] == _code_version():      # computed by this crmlab: still the key
            return stored["answers"]
    except (OSError, ValueError, TypeError, KeyError):
        pass
    key = {q.id: as_plain(q, q.reference(data)) for q in questions(chapter) if q.kind != "text"}
    _write_key(path, key)
    return key


def _key_path(data, chapter: str, cache_dir) -> Path:
    return Path(cache_dir) / "keys" / data.data_dir.name / f"{chapter}.json"


def _write_key(path: Path, key: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"code": _code_version(), "answers": key}, sort_keys=True, ensure_ascii=False),
                    encoding="utf-8")


@functools.cache
def _code_version() -> str:
    """A digest of crmlab's code: a key stored by other code (a fixed question, a new release) is stale."""
    digest = hashlib.sha256()
    package = Path(__file__).resolve().parents[1]
    for path in sorted(package.rglob("*.py")):
        digest.update(path.relative_to(package).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def judge_submission(submission: Submission, chapter: str, *, cache_dir, key: dict | None = None) -> pd.DataFrame:
    """One row per question: status, points, max_points and the feedback message (no expected value).

    Points are the question's points when it is right, a share of them for a table question that
    gives partial credit (the share of its rows that are right: status "partly right"), else 0.
    ``key`` is the student's answer key (:func:`answer_key`, its default); the data in
    ``cache_dir`` serves the hints of answers that are not right.

    >>> import tempfile
    >>> rows = judge_submission(Submission("S1", {"q1": None}), "ch04", cache_dir=tempfile.mkdtemp())
    >>> rows.loc[0, "question"], rows.loc[0, "status"], int(rows["points"].sum())
    ('q1', 'not yet', 0)
    >>> rows.loc[0, "feedback"]
    'Not yet: no answer given. A fraction between 0 and 1, to 3 decimals (e.g. 0.123).'
    """
    key = answer_key(submission.student, chapter, cache_dir=cache_dir) if key is None else key
    data = student_data(submission.student, cache_dir=cache_dir)
    rows = []
    for q in questions(chapter):
        result = judge(q, submission.answers.get(q.id), data, reference=key.get(q.id))
        partly = result.status == "not yet" and result.credit > 0     # a table with some rows right
        rows.append({"student": submission.student, "question": q.id,
                     "status": "partly right" if partly else result.status,
                     "points": round(q.points * result.credit, 2), "max_points": q.points,
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


def _fingerprint(student: str, chapter: str, cache_dir) -> str:
    """A digest of the grader's copy of a student's data and answer key."""
    data = student_data(student, cache_dir=cache_dir)
    digest = hashlib.sha256()
    for path in sorted(data.data_dir.rglob("*")) + [_key_path(data, chapter, cache_dir)]:
        if path.is_file():
            digest.update(str(path.relative_to(cache_dir)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def prepare(students, chapter: str, *, cache_dir, workers: int | None = None) -> dict:
    """Generate each student's data and answer key in ``cache_dir``, in parallel; return the keys.

    An instructor can run this before the deadline (``crmlab course key``), so that grading
    finds everything computed. The work is shared among ``workers`` fresh processes
    (default: the CPU cores) that run only the grader's code.

    >>> import tempfile
    >>> keys = prepare(["S1"], "ch04", cache_dir=tempfile.mkdtemp())
    >>> list(keys), "q1" in keys["S1"]
    (['S1'], True)
    """
    students = sorted(set(students))
    workers = min(workers or os.cpu_count() or 1, len(students))
    if workers > 1:
        runs = [subprocess.Popen([sys.executable, "-m", "crmlab.exercises.grading", chapter, str(cache_dir),
                                  *students[i::workers]], stdout=subprocess.DEVNULL)
                for i in range(workers)]
        for process in runs:
            process.wait()
    return {student: answer_key(student, chapter, cache_dir=cache_dir) for student in students}


def write_keys(students, chapters, *, out, workers: int | None = None) -> pd.DataFrame:
    """Regenerate students' data and answer keys into the grading folder ``out``.

    The data and keys go to ``out/student_data`` (where :func:`grade` with the same ``out``
    finds them ready), and each student's key, readable, to ``out/keys/STUDENT.csv``.

    Parameters
    ----------
    students : list of str
        Student ids.
    chapters : list of str
        Chapters whose keys to write, e.g. ``["ch04"]``.
    out : str or Path
        The grading folder.
    workers : int, optional
        Students prepared at once (default: the CPU cores).

    Returns
    -------
    DataFrame
        One row per student, chapter, question and (for a table) row: ``student``, ``chapter``,
        ``question``, ``kind``, ``points``, ``label`` (a table's row, else empty) and ``answer``
        (a text question's rubric, to mark by hand).

    Examples
    --------
    >>> import tempfile
    >>> keys = write_keys(["2025012345"], ["ch04"], out=tempfile.mkdtemp())
    >>> keys.columns.tolist()
    ['student', 'chapter', 'question', 'kind', 'points', 'label', 'answer']
    >>> bool(keys.loc[keys["kind"] == "text", "answer"].str.startswith("to be marked").all())
    True
    """
    out = Path(out)
    students = [str(s).strip() for s in students]
    bad = [s for s in students if not s or "/" in s or "\\" in s or s.startswith(".")]
    if bad:
        raise CrmlabInputError(f"Student ids {bad!r} cannot name a file: give ids without slashes, e.g. 2025012345.")
    rows = []
    for chapter in chapters:
        keys = prepare(students, chapter, cache_dir=out / "student_data", workers=workers)
        for student in students:
            for q in questions(chapter):
                given = keys[student].get(q.id)
                cells = (given.items() if isinstance(given, dict) else
                         [("", "to be marked: " + "; ".join(q.rubric) if q.kind == "text" else given)])
                rows += [(student, chapter, q.id, q.kind, q.points, label, answer) for label, answer in cells]
    table = pd.DataFrame(rows, columns=["student", "chapter", "question", "kind", "points", "label", "answer"])
    (out / "keys").mkdir(parents=True, exist_ok=True)
    for student, own in table.groupby("student", sort=False):
        own.drop(columns="student").to_csv(out / "keys" / f"{student}.csv", index=False, encoding="utf-8-sig")
    return table


def grade(folder, chapter: str, *, out, cache_dir=None, workers: int | None = None, timeout: int = 300,
          memory_mb: int = 4096) -> pd.DataFrame:
    """Grade every submitted notebook in ``folder`` and write the gradebook, feedback and text answers.

    Each student's data and answer key are made ready first (in parallel, or found in
    ``cache_dir``) and the keys held in memory; then every notebook runs in a :class:`Sandbox`
    (one per worker) and its plain answers are judged here against the key. A grader's copy of
    data or key that changed while the notebooks ran is set back before judging, and said.

    Writes to ``out``: ``gradebook.csv`` (one row per student and question: status, points,
    max_points, the student's total), ``feedback/STUDENT.md`` (per question: correct or the hint,
    never an expected value; and what went wrong while running), ``notes.csv`` (everything that
    went wrong, one row per student and note, for the instructor to look at) and
    ``answers_to_mark.csv`` (the text answers, with an empty ``points`` column: marks the
    instructor enters there are merged into the gradebook on the next run).

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
    ['answers_to_mark.csv', 'feedback', 'gradebook.csv', 'notes.csv', 'student_data']
    """
    import queue

    folder, out = Path(folder), Path(out)
    cache_dir = Path(cache_dir) if cache_dir is not None else out / "student_data"
    paths = sorted(folder.glob("*.ipynb"))
    owners = pd.Series([p.name for p in paths], index=[student_of(p.name) for p in paths], dtype=object)
    twice = owners[owners.index.duplicated(keep=False)]
    if len(twice):
        raise CrmlabInputError(f"Several notebooks of one student in {folder}: " + ", ".join(twice)
                               + ". Keep one notebook per student (the file name up to the first '_' or '.' "
                               "is the student id) and grade again.")
    marks = _manual_marks(out)
    workers = max(1, min(workers or os.cpu_count() or 1, len(paths) or 1))
    keys = prepare([student_of(p.name) for p in paths], chapter, cache_dir=cache_dir, workers=workers)
    before = {student: _fingerprint(student, chapter, cache_dir) for student in keys}
    sandboxes = queue.Queue()
    for _ in range(workers):
        sandboxes.put(Sandbox(memory_mb=memory_mb))

    def run(path):
        sandbox = sandboxes.get()
        try:
            submission = run_submission(path, chapter, cache_dir=cache_dir, timeout=timeout, memory_mb=memory_mb,
                                        sandbox=sandbox)
        finally:
            sandboxes.put(sandbox)
        # Judged while the next notebooks run; the marks come from the key held here, the hints from data
        # that is checked below and judged again if a submission changed it.
        return submission, judge_submission(submission, chapter, cache_dir=cache_dir, key=keys[submission.student])

    try:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            done = list(pool.map(run, paths))
    finally:
        while not sandboxes.empty():
            sandboxes.get().close()
    grader_notes, changed = [], set()
    for student, key in keys.items():
        if _fingerprint(student, chapter, cache_dir) != before[student]:
            changed.add(student)
            # A submission changed the grader's own copy: judge on the real data and key again.
            data = student_data(student, cache_dir=cache_dir)
            shutil.rmtree(data.data_dir)
            _write_key(_key_path(data, chapter, cache_dir), key)
            student_data(student, cache_dir=cache_dir)
            grader_notes.append((student, "the grader's copy of this student's data or answer key was changed "
                                          "while the submissions ran; it was set back before judging"))
    done = [(s, judge_submission(s, chapter, cache_dir=cache_dir, key=keys[s.student]) if s.student in changed
             else rows) for s, rows in done]
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
    notes = [(s.student, note) for s, _ in done for note in s.notes] + grader_notes
    pd.DataFrame(notes, columns=["student", "note"]).to_csv(out / NOTES, index=False)
    for submission, rows in done:
        lines = [f"# {chapter} — {submission.student}", ""]
        lines += [f"- {r.question} ({r.points:g}/{r.max_points} points): {r.feedback}" for r in rows.itertuples()]
        if submission.notes:
            lines += ["", "While your notebook ran:"] + [f"- {note}" for note in submission.notes]
        (out / FEEDBACK / f"{submission.student}.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return book.drop(columns="feedback")


if __name__ == "__main__":     # one of prepare()'s worker processes: CHAPTER CACHE_DIR STUDENT ...
    for _student in sys.argv[3:]:
        answer_key(_student, sys.argv[1], cache_dir=sys.argv[2])
