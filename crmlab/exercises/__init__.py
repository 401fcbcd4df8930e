"""Exercises with immediate feedback on each student's own data (练习).

In an exercise notebook::

    from crmlab.exercises import start, check, show, progress
    start("ch04", STUDENT_ID)   # "" = the shared sample data
    check("q1", answer_q1)

The questions of each chapter (:mod:`crmlab.exercises.ch03`,
:mod:`crmlab.exercises.ch04`, ...) are plain data and pure functions judged by
:mod:`crmlab.exercises.core`, apart from the display
(:mod:`crmlab.exercises.display`).

Examples
--------
>>> from crmlab.exercises import questions
>>> [q.kind for q in questions("ch04")][:2]
['number', 'number']
"""
from crmlab.exercises.display import check, progress, show, start

__all__ = ["chapters", "check", "progress", "questions", "show", "start"]


def chapters() -> list:
    """The chapters that have exercises: one module ``crmlab/exercises/chNN.py`` each.

    Each has its notebook in ``exercises/`` named like the chapter's notebook
    (``NN_..._exercises.ipynb``).

    >>> "ch04" in chapters()
    True
    """
    import pkgutil
    import re
    return sorted(m.name for m in pkgutil.iter_modules(__path__) if re.fullmatch(r"ch\d\d", m.name))


def questions(chapter: str) -> tuple:
    """The questions of a chapter, e.g. ``questions("ch04")``.

    >>> questions("ch04")[0].id
    'q1'
    >>> questions("ch4")   # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: No exercises for chapter 'ch4': the chapters are 'ch0...
    """
    known = chapters()
    if chapter not in known:
        raise ValueError(f"No exercises for chapter {chapter!r}: the chapters are "
                         + ", ".join(repr(c) for c in known) + ".")
    from importlib import import_module
    return import_module(f"crmlab.exercises.{chapter}").QUESTIONS
