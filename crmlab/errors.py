"""Errors crmlab raises on bad input, and the checks that raise them.

Every message names what is wrong (the column, the offending rows) and how to
fix it, because the reader is usually a student looking at a notebook cell.
"""
from __future__ import annotations

import difflib


class CrmlabInputError(ValueError):
    """Input data or arguments that crmlab cannot use as given (输入数据有误)."""


def require_columns(columns, required, *, table: str = "table") -> None:
    """Raise :class:`CrmlabInputError` if any of ``required`` is not in ``columns``.

    The message lists each missing column with the closest existing name, so
    a misspelt or differently named column is easy to fix.
    """
    present = [str(c) for c in columns]
    missing = [c for c in required if c not in present]
    if not missing:
        return
    hints = []
    for name in missing:
        close = difflib.get_close_matches(name, present, n=1, cutoff=0.6)
        hints.append(f"'{name}'" + (f" (did you mean '{close[0]}'?)" if close else ""))
    raise CrmlabInputError(
        f"{table} is missing column(s) {', '.join(hints)}. "
        f"Columns present: {present}. Rename your columns to these names, "
        "e.g. df.rename(columns={'old name': 'new name'})."
    )


def describe_rows(index, limit: int = 5) -> str:
    """Short text naming offending rows, e.g. ``rows 3, 17, 42 (and 9 more)``."""
    rows = list(index)
    shown = ", ".join(str(r) for r in rows[:limit])
    more = f" (and {len(rows) - limit} more)" if len(rows) > limit else ""
    return f"row{'s' if len(rows) != 1 else ''} {shown}{more}"
