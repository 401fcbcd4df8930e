"""The committed notebooks as a reader meets them, for the tests that check what their prose and
their outputs say: the Markdown text, the numbers in it, and the tables the cells printed."""
import json
import re

import pandas as pd
from _scripts import ROOT

NOTEBOOKS = ROOT / "notebooks"


def cells(name: str) -> list[dict]:
    """The cells of ``notebooks/<name>.ipynb``."""
    return json.loads((NOTEBOOKS / f"{name}.ipynb").read_text(encoding="utf-8"))["cells"]


def prose(name: str) -> str:
    """All Markdown cells of the notebook, white space folded to single spaces (a sentence split
    over two source lines reads as one)."""
    text = "\n\n".join("".join(c["source"]) for c in cells(name) if c["cell_type"] == "markdown")
    return re.sub(r"\s+", " ", text)


def sentence(name: str, fragment: str) -> str:
    """The one sentence of the notebook's prose that contains ``fragment`` (an AssertionError
    names the fragment when it is missing or ambiguous, so a reworded notebook fails clearly)."""
    found = [s for s in re.split(r"(?<=[.!?。])\s+", prose(name)) if fragment in s]
    assert len(found) == 1, f"{name}: {len(found)} sentences contain {fragment!r}"
    return found[0]


def numbers(text: str) -> list[float]:
    """The numbers written in ``text``, as a reader takes them: thousands separated by a comma or
    a space read as one number (``1,234`` and ``10 000`` -> 1234 and 10000), a percent sign read
    (``12 %`` / ``12%`` -> 0.12), a minus sign or Unicode minus kept."""
    out = []
    for m in re.finditer(r"([−-]?)(\d{1,3}(?:[, \u202f]\d{3})+(?!\d)|\d+(?:\.\d+)?)(\s?%)?", text):
        value = float(re.sub(r"[, \u202f]", "", m.group(2))) * (-1 if m.group(1) else 1)
        out.append(value / 100 if m.group(3) else value)
    return out


def outputs(name: str) -> list[tuple[int, dict]]:
    """Every output of every code cell, with the cell's index."""
    return [(i, out) for i, c in enumerate(cells(name)) if c["cell_type"] == "code" for out in c.get("outputs", [])]


def output_tables(name: str) -> list[tuple[int, pd.DataFrame]]:
    """The HTML tables the notebook's cells displayed (DataFrames and Stylers), read back as
    DataFrames of text with the header rows joined into column names and the index kept as
    ordinary columns; with the cell's index."""
    from bs4 import BeautifulSoup

    tables = []
    for i, out in outputs(name):
        html = "".join(out.get("data", {}).get("text/html", []))
        for table in BeautifulSoup(html, "html.parser").find_all("table"):
            head = [[th.get_text(" ", strip=True) for th in tr.find_all(["th", "td"])]
                    for tr in (table.find("thead") or table).find_all("tr")] if table.find("thead") else []
            body = [[cell.get_text(" ", strip=True) for cell in tr.find_all(["th", "td"])]
                    for tr in (table.find("tbody") or table).find_all("tr")]
            width = max((len(r) for r in head + body), default=0)
            names = [" ".join(part for part in col if part).strip() or f"col{k}"
                     for k, col in enumerate(zip(*[[""] * (width - len(r)) + r for r in head]))] if head else \
                [f"col{k}" for k in range(width)]
            rows = [[""] * (width - len(r)) + r for r in body]
            tables.append((i, pd.DataFrame(rows, columns=names if len(names) == width else None)))
    return tables
