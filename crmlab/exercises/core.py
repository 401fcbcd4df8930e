"""The exercise core (练习核心): a student's data, question definitions, judging.

Pure and display-free, so that an instructor's grader can call the same
functions outside the student's kernel:

- :func:`student_data` finds (or, on first use, generates and caches) the
  data of one student, or the shared sample data when there is no id;
- :class:`Question` and :class:`Mistake` define a question as plain data and
  pure functions of an :class:`ExerciseData` (``reference(data)``, each
  typical mistake as an alternative computation ``compute(data)``);
- :func:`judge` compares an answer with the reference recomputed from the
  data and, when it is not yet right, looks for the mistake it matches.

The answer key of the generator (``retail_truth/``) is never kept in the
cache, and no expected value is written to a file or returned in a hint.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np

CACHE_VARIABLE = "CRMLAB_CACHE_DIR"
KINDS = ("number", "integer", "table", "choice", "text")


def cache_folder() -> Path:
    """The folder where students' data variants are cached (缓存目录).

    ``CRMLAB_CACHE_DIR`` when set, else ``~/.cache/crmlab`` (or
    ``$XDG_CACHE_HOME/crmlab``).

    Examples
    --------
    >>> cache_folder().name != ""
    True
    """
    given = os.environ.get(CACHE_VARIABLE)
    if given:
        return Path(given)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "crmlab"


class ExerciseData:
    """The tables of one student's data (or the shared sample data), loaded once.

    Parameters
    ----------
    data_dir : str or Path or None
        A folder with ``retail/`` inside; None: the shared sample data.
    student_id : str or None
        Whose data it is (None: shared sample data).

    Examples
    --------
    >>> data = ExerciseData(None)
    >>> data.table("orders").columns[0]
    'order_id'
    >>> data.is_shared
    True
    """

    def __init__(self, data_dir, student_id: str | None = None):
        self.data_dir = None if data_dir is None else Path(data_dir)
        self.student_id = student_id
        self._tables: dict[str, Any] = {}
        self._memo: dict[Any, Any] = {}

    @property
    def is_shared(self) -> bool:
        """True for the shared sample data.

        >>> ExerciseData(None).is_shared
        True
        """
        return self.student_id is None

    def table(self, name: str):
        """A table of this data, loaded on first use (a copy is not made: do not modify it).

        >>> ExerciseData(None).table("customers").shape[0] > 0
        True
        """
        if name not in self._tables:
            from crmlab.datasets import load_data
            from crmlab.datasets import DATA_DIR
            self._tables[name] = load_data(name, data_dir=self.data_dir or DATA_DIR)
        return self._tables[name]

    def memo(self, key, compute: Callable[[], Any]):
        """Compute a value once per data set and keep it (e.g. an RFM table).

        >>> ExerciseData(None).memo("x", lambda: 41 + 1)
        42
        """
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]

    def shared(self) -> "ExerciseData":
        """The shared sample data (the same object on every call).

        >>> ExerciseData(None).shared().is_shared
        True
        """
        if self.is_shared:
            return self
        return self.memo("__shared__", lambda: ExerciseData(None))


def _student_key(student_id: str) -> str:
    return hashlib.sha256(student_id.encode("utf-8")).hexdigest()[:16]


def student_data(student_id: str | None = None, *, cache_dir=None) -> ExerciseData:
    """A student's data (学生个人数据): generated on first use, then read from the cache.

    Parameters
    ----------
    student_id : str or None
        The student's id; None or "" gives the shared sample data (self-study).
    cache_dir : str or Path, optional
        Where to cache; default :func:`cache_folder`.

    Returns
    -------
    ExerciseData
        Only the tables (``retail/``) are kept in the cache; the generator's
        answer key (``retail_truth/``) is deleted right after generation.

    Examples
    --------
    >>> student_data(None).is_shared
    True
    """
    if student_id is None or str(student_id).strip() == "":
        return ExerciseData(None)
    student_id = str(student_id).strip()
    root = Path(cache_dir) if cache_dir is not None else cache_folder()
    folder = root / "students" / _student_key(student_id)
    if not (folder / "retail" / "orders.csv").exists():
        from crmlab.generator import generate
        try:
            root.mkdir(parents=True, exist_ok=True)
            work = Path(tempfile.mkdtemp(prefix="generating-", dir=root))
        except OSError as error:
            raise OSError(f"Cannot write your data to the cache folder {root} ({error.strerror}). Set "
                          f"{CACHE_VARIABLE} to a folder you can write to, e.g. run "
                          f"os.environ[{CACHE_VARIABLE!r}] = 'crmlab_cache' (after import os) before "
                          "start(...).") from None
        try:
            generate(work, student_id=student_id)
            folder.mkdir(parents=True, exist_ok=True)
            if (folder / "retail").exists():          # a half-written earlier attempt
                shutil.rmtree(folder / "retail")
            shutil.move(str(work / "retail"), str(folder / "retail"))
        finally:
            shutil.rmtree(work, ignore_errors=True)   # with retail_truth/, the answer key
    return ExerciseData(folder, student_id)


def bought(data: ExerciseData, *, returns_removed: bool = True):
    """The purchases of ``data`` (crmlab.transactions.purchases), computed once per data set.

    ``returns_removed=False`` is the typical mistake: every order counted as a
    completed purchase, returns and cancellations included.

    >>> len(bought(ExerciseData(None))) < len(bought(ExerciseData(None), returns_removed=False))
    True
    """
    def compute():
        from crmlab.transactions import purchases
        orders = data.table("orders")
        if not returns_removed:
            orders = orders.assign(status="completed")
        return purchases(orders, data.table("order_lines"), verbose=False)
    return data.memo(("bought", returns_removed), compute)


# Hints that several chapters give, in one wording.
SHARED_HINT = ("your answer fits the shared sample data, not your own variant: set STUDENT_ID in the first cell "
               "and run the notebook from the top.")
RETURNS_HINT = ("returned and cancelled orders are not purchases: start from crmlab.transactions.purchases(orders, "
                "order_lines), which sets them aside.")
PERCENT_HINT = "give the share as a fraction between 0 and 1 (e.g. 0.25), not as a percent (25)."


@dataclass(frozen=True)
class Mistake:
    """A typical mistake: an alternative computation and the hint it deserves.

    ``compute(data)`` gives the wrong value the mistake leads to; ``tolerance``
    (optional) overrides the question's, e.g. for an answer given in percent.

    Examples
    --------
    >>> m = Mistake("percent", lambda data: 50.0, "Give a fraction (0.5), not a percent (50).")
    >>> m.compute(None)
    50.0
    """

    name: str
    compute: Callable[[ExerciseData], Any]
    hint: str
    tolerance: float | None = None


@dataclass(frozen=True)
class Question:
    """One exercise question as plain data and pure functions (the grader calls them too).

    Examples
    --------
    >>> q = Question("demo", "number", 1, "What is 6 x 7?", lambda data: 42.0, tolerance=0.01)
    >>> judge(q, 42, None).status
    'correct'
    """

    id: str
    kind: str
    points: int
    prompt: str
    reference: Callable[[ExerciseData], Any] | None
    tolerance: float = 0.0
    mistakes: tuple = ()
    choices: dict = field(default_factory=dict)   # choice kind: accepted label -> canonical key
    rubric: tuple = ()                            # text kind: points a good answer covers
    answer_hint: str = ""                         # what form the answer takes
    min_words: int = 15                           # text kind: a shorter answer is "not yet"
    detail: Callable[[ExerciseData], str] | None = None   # what show() adds, e.g. the customer a question names
    partial: bool = False                         # table kind: credit for the share of its rows that are right


@dataclass(frozen=True)
class Result:
    """The outcome of :func:`judge`: ``status`` is "correct", "not yet" or "to be marked".

    >>> Result("not yet", "Give a number.").status
    'not yet'
    """

    status: str
    message: str
    mistake: str | None = None
    credit: float = 0.0          # the share of the question's points earned: 1 when correct, a share of rows


def _blank(answer) -> bool:
    if answer is None or answer is Ellipsis:
        return True
    if isinstance(answer, str) and answer.strip() == "":
        return True
    return False


def _as_number(answer):
    if isinstance(answer, (bool, np.bool_)):
        return None
    if isinstance(answer, str):
        text = answer.strip().replace(",", "").replace(" ", "")
        try:
            return float(text[:-1]) / 100 if text.endswith("%") else float(text)
        except ValueError:
            return None
    try:
        value = float(answer)
    except (TypeError, ValueError):
        return None
    return value if np.isfinite(value) else None


def _table_values(answer):
    """A table answer as a Series of floats (NaN where a row holds no number) with string labels,
    or None if it is not a table: a Series, a dict, or a DataFrame with one column."""
    import pandas as pd
    if isinstance(answer, pd.DataFrame):
        if answer.shape[1] != 1:
            return None
        answer = answer.iloc[:, 0]
    if isinstance(answer, dict):
        answer = pd.Series(answer, dtype=object)
    if not isinstance(answer, pd.Series) or answer.empty or answer.index.has_duplicates:
        return None
    values = pd.to_numeric(answer, errors="coerce").astype(float).to_numpy()
    return pd.Series(np.where(np.isfinite(values), values, np.nan), index=[str(label) for label in answer.index])


def _as_table(answer):
    """A table answer as a Series of numbers with string labels, or None (not a table, or a row
    without a number)."""
    values = _table_values(answer)
    return None if values is None or values.isna().any() else values


def _close(a, b, tolerance) -> bool:
    if isinstance(b, str) or isinstance(a, str):
        return a == b
    if hasattr(a, "index") or hasattr(b, "index"):       # tables: the same rows, every value close
        a, b = _as_table(a), _as_table(b)
        return (a is not None and b is not None and set(a.index) == set(b.index)
                and bool((abs(a - b.reindex(a.index)) <= tolerance + 1e-9).all()))
    return abs(float(a) - float(b)) <= tolerance + 1e-9


def _table_rows(given, target) -> str | None:
    """What is wrong with a table's rows (names of rows only, never a value), or None."""
    missing = [label for label in target.index if label not in given.index]
    extra = [label for label in given.index if label not in target.index]
    if not missing and not extra:
        return None
    said = []
    if missing:
        said.append("rows missing: " + ", ".join(missing[:5]) + (" ..." if len(missing) > 5 else ""))
    if extra:
        said.append("rows that do not belong: " + ", ".join(extra[:5]) + (" ..." if len(extra) > 5 else ""))
    return "; ".join(said) + "."


def normalise_choice(question: Question, answer):
    """The canonical key of a choice answer, or None if it is not one of the choices.

    >>> q = Question("c", "choice", 1, "?", None, choices={"a": "a", "甲": "a"})
    >>> normalise_choice(q, " 甲 ")
    'a'
    """
    if not isinstance(answer, str):
        return None
    text = answer.strip().lower()
    return {k.lower(): v for k, v in question.choices.items()}.get(text)


def as_plain(question: Question, value):
    """A question's reference value as plain, JSON-ready data, as an answer key keeps it.

    A number gives a float, a whole number an int, a choice its key, a table a dict of
    label -> float; :func:`judge` accepts each back as its ``reference``.

    >>> t = Question("t", "table", 1, "?", None)
    >>> import pandas as pd
    >>> as_plain(t, pd.Series({"A": 1, "B": 0.5}))
    {'A': 1.0, 'B': 0.5}
    >>> as_plain(Question("n", "integer", 1, "?", None), 12.0)
    12
    """
    if question.kind == "table":
        return {str(label): float(v) for label, v in _table_values(value).items()}
    if question.kind == "integer":
        return int(round(float(value)))
    if question.kind == "number":
        return float(value)
    return str(value)


def judge(question: Question, answer, data: ExerciseData, *, reference=None) -> Result:
    """Judge an answer against the reference recomputed from ``data``.

    Never puts the expected value, nor a mistake's value, in the message. A grader that has
    computed the reference already (the student's answer key) passes it as ``reference``; the
    typical mistakes are still computed from ``data``, and only for an answer that is not right.

    Examples
    --------
    >>> q = Question("demo", "number", 1, "?", lambda data: 0.5, tolerance=0.005,
    ...              mistakes=(Mistake("percent", lambda data: 50.0, "A fraction, please.", 0.5),))
    >>> judge(q, 50, None).message
    'Not yet: A fraction, please.'
    >>> judge(q, None, None).status
    'not yet'

    A table is judged row by row; a wrong set of rows is named, values never are:

    >>> import pandas as pd
    >>> t = Question("gaps", "table", 2, "?", lambda data: pd.Series({"a": 0.5, "b": -0.25}), tolerance=0.005)
    >>> judge(t, {"a": 0.5, "b": -0.25}, None).status
    'correct'
    >>> judge(t, pd.Series({"a": 0.5}), None).message
    'Not yet: the table has the wrong rows: rows missing: b.'
    >>> judge(t, {"a": 0.5, "b": 0.75}, None).credit     # not a partial-credit question
    0.0
    >>> from dataclasses import replace
    >>> judge(replace(t, partial=True), {"a": 0.5, "b": 0.75}, None).credit   # one row of two right
    0.5
    >>> judge(t, {"a": 0.5, "b": float("nan")}, None).message   # doctest: +ELLIPSIS
    'Not yet: the table has no number in the rows b (NaN): ...'
    """
    if _blank(answer):
        return Result("not yet", "Not yet: no answer given. " + question.answer_hint)
    if question.kind == "text":
        if not isinstance(answer, str):
            return Result("not yet", "Not yet: write your answer as text in quotes. " + question.answer_hint)
        if len(answer.split()) < question.min_words and len(answer.strip()) < question.min_words * 4:
            return Result("not yet", f"Not yet: write at least a few sentences (about {question.min_words} words or more).")
        return Result("to be marked", "Saved for your instructor.")
    if question.kind == "choice":
        given = normalise_choice(question, answer)
        if given is None:
            return Result("not yet", "Not yet: that is not one of the choices. " + question.answer_hint)
    elif question.kind == "table":
        values = _table_values(answer)
        if values is not None and values.isna().any():
            empty = list(values.index[values.isna()])
            return Result("not yet", "Not yet: the table has no number in the rows " + ", ".join(empty[:5])
                          + (" ..." if len(empty) > 5 else "") + " (NaN): check how these rows are computed, "
                          "or whether they belong in the table. " + question.answer_hint)
        given = _as_table(answer)
        if given is None:
            return Result("not yet", "Not yet: give a table of numbers (a Series, a dict, or a DataFrame with "
                                     "one column, one row per label). " + question.answer_hint)
    else:
        given = _as_number(answer)
        if given is None:
            return Result("not yet", "Not yet: give a number. " + question.answer_hint)
    target = question.reference(data) if reference is None else reference
    if _close(given, target, question.tolerance):
        return Result("correct", "Correct.", credit=1.0)
    credit = _rows_right(given, _as_table(target), question.tolerance) if question.partial else 0.0
    if question.kind == "table":
        rows = _table_rows(given, _as_table(target))
        if rows is not None:
            return Result("not yet", "Not yet: the table has the wrong rows: " + rows, credit=credit)
    for mistake in question.mistakes:
        try:
            wrong = mistake.compute(data)
        except Exception:   # noqa: BLE001 - a mistake that cannot be computed here is not the one
            continue
        tolerance = question.tolerance if mistake.tolerance is None else mistake.tolerance
        if wrong is None or _close(wrong, target, question.tolerance):
            continue        # indistinguishable from the right answer on this data
        if _close(given, wrong, tolerance):
            return Result("not yet", "Not yet: " + mistake.hint, mistake.name, credit=credit)
    return Result("not yet", "Not yet: check your steps again. " + question.answer_hint, credit=credit)


def _rows_right(given, target, tolerance) -> float:
    """The share of the reference table's rows that the answer has, with a close value."""
    right = (abs(given.reindex(target.index) - target) <= tolerance + 1e-9).sum()
    return round(float(right) / len(target), 4)


class AnswerStore:
    """Answers saved in a JSON file of the student's working folder (``crmlab_answers.json``).

    Keeps the status of each question, and the text of interpretation
    answers for the instructor; never an expected value.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> store = AnswerStore(pathlib.Path(tempfile.mkdtemp()) / "answers.json")
    >>> store.record("ch04", "q1", Result("correct", "Correct."), 0.5)
    >>> store.record("ch04", "q2", Result("not yet", "Not yet."), 0.1)
    >>> store.status("ch04", "q2")
    'not yet'
    >>> store.status("ch04", "q1")
    'correct'
    """

    def __init__(self, path="crmlab_answers.json"):
        self.path = Path(path).absolute()   # the working folder of the notebook when it started

    def _read(self) -> dict:
        try:
            return json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}

    def record(self, chapter: str, question_id: str, result: Result, answer) -> None:
        """Save the status (and a text answer) of one question.

        >>> import tempfile, pathlib
        >>> AnswerStore(pathlib.Path(tempfile.mkdtemp()) / "a.json").record("c", "q", Result("not yet", ""), None)
        """
        if result.status == "not yet" and not self.path.exists():
            return      # nothing to keep yet: no file in the working folder
        saved = self._read()
        entry = {"status": result.status}
        if result.status == "to be marked":
            entry["text"] = answer
        saved.setdefault(chapter, {})[question_id] = entry
        self.path.write_text(json.dumps(saved, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")

    def status(self, chapter: str, question_id: str) -> str | None:
        """The last saved status of a question, or None.

        >>> import tempfile, pathlib
        >>> AnswerStore(pathlib.Path(tempfile.mkdtemp()) / "a.json").status("c", "q") is None
        True
        """
        return self._read().get(chapter, {}).get(question_id, {}).get("status")
