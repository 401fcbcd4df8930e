"""What the exercise notebook shows (显示): start, show, check, progress.

The judging is in :mod:`crmlab.exercises.core`; this module keeps the state
of the notebook session (the chapter, the student's data, the answer file)
and prints.

Examples
--------
>>> session = start("ch04", "")   # doctest: +ELLIPSIS
Chapter ch04: ... questions, on the shared sample data ...
"""
from __future__ import annotations

import os

import pandas as pd

from crmlab.exercises.core import AnswerStore, judge, student_data

GRADING_VARIABLE = "CRMLAB_GRADING"   # set by the grader while it runs a submission

_SESSION: dict = {}


def _questions(chapter):
    from crmlab.exercises import questions
    return {q.id: q for q in questions(chapter)}


def start(chapter: str, student_id: str | None = None, *, answers_file="crmlab_answers.json") -> dict:
    """Start a chapter's exercises on a student's data (generated on first use, then cached).

    >>> start("ch04", None)["data"].is_shared   # doctest: +ELLIPSIS
    Chapter ch04: ...
    True
    """
    data = student_data(student_id)
    _SESSION.clear()
    _SESSION.update(chapter=chapter, data=data, questions=_questions(chapter), store=AnswerStore(answers_file))
    whose = ("on the shared sample data (self-study; set STUDENT_ID for your own data)" if data.is_shared
             else f"on the data of student {data.student_id}")
    print(f"Chapter {chapter}: {len(_SESSION['questions'])} questions, {whose}.")
    return _SESSION


def _session():
    if not _SESSION:
        raise RuntimeError("Run the first cell (start(...)) first.")
    return _SESSION


def show(question_id: str) -> None:
    """Print a question, with what it names in the student's data (a customer, a campaign ...).

    >>> _ = start("ch04", None)   # doctest: +ELLIPSIS
    Chapter ...
    >>> show("q4")   # doctest: +ELLIPSIS
    q4: What is the recency, in days, of the customer ...
       The customer: C...
    """
    s = _session()
    q = s["questions"][question_id]
    print(f"{q.id}: {q.prompt}")
    if q.detail is not None:
        print(f"   {q.detail(s['data'])}")


def check(question_id: str, answer) -> str:
    """Check an answer on this student's data and print the feedback; returns the status.

    >>> _ = start("ch04", None)   # doctest: +ELLIPSIS
    Chapter ...
    >>> check("q1", None)   # doctest: +ELLIPSIS
    q1 — Not yet: no answer given. ...
    'not yet'
    """
    s = _session()
    q = s["questions"][question_id]
    if os.environ.get(GRADING_VARIABLE):
        # The grader judges the answers itself, outside this kernel: nothing to compute here.
        print(f"{question_id} — handed in.")
        return "handed in"
    try:
        result = judge(q, answer, s["data"])
    except Exception as error:   # noqa: BLE001 - feedback, never a crash in the student's notebook
        print(f"{question_id} — Not yet: this answer could not be checked ({type(error).__name__}).")
        return "not yet"
    s["store"].record(s["chapter"], question_id, result, answer)
    print(f"{question_id} — {result.message}")
    if result.status == "to be marked" and q.rubric:
        print("A good answer covers:")
        for point in q.rubric:
            print(f"  - {point}")
    return result.status


def progress() -> pd.DataFrame:
    """Per question: done / not yet / to be marked (from the answers checked so far).

    >>> _ = start("ch04", None, answers_file=__import__("tempfile").mktemp())   # doctest: +ELLIPSIS
    Chapter ...
    >>> progress()["status"].unique().tolist()
    ['not yet']
    """
    s = _session()
    names = {"correct": "done", "to be marked": "to be marked"}
    rows = [(q.id, q.kind, q.points, names.get(s["store"].status(s["chapter"], q.id), "not yet"))
            for q in s["questions"].values()]
    return pd.DataFrame(rows, columns=["question", "kind", "points", "status"]).set_index("question")
