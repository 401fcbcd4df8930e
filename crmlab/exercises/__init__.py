"""Exercises with immediate feedback on each student's own data (练习).

In an exercise notebook::

    from crmlab.exercises import start, check, show, progress
    start("ch04", STUDENT_ID)   # "" = the shared sample data
    check("q1", answer_q1)

The question definitions (:mod:`crmlab.exercises.core`,
:mod:`crmlab.exercises.ch04`) are plain data and pure functions, apart from
the display (:mod:`crmlab.exercises.display`).

Examples
--------
>>> from crmlab.exercises import questions
>>> len(questions("ch04"))
8
"""
from crmlab.exercises.display import check, progress, show, start

__all__ = ["check", "progress", "questions", "show", "start"]


def questions(chapter: str) -> tuple:
    """The questions of a chapter, e.g. ``questions("ch04")``.

    >>> questions("ch04")[0].id
    'q1'
    """
    from importlib import import_module
    return import_module(f"crmlab.exercises.{chapter}").QUESTIONS
