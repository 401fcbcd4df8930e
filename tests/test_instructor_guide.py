"""The instructor guides (教师指南, ``instructor/guide/<notebook stem>.md``) stay true to the chapter notebooks.

Each guide has exactly three level-2 sections — ``## 45-minute class plan``, ``## Live demo script``,
``## 课堂讨论 answers`` — and these tests check, for every notebook in ``notebooks/``:

- there is a guide with the notebook's stem, and every guide (besides ``README.md``) has a notebook;
  the README links every guide;
- the class plan is a table ``Minutes | Part | What happens`` whose Minutes are whole numbers adding up
  to 45;
- the answers section has one ``### Q<n>. <first words>`` heading per numbered item of the notebook's
  课堂讨论 list, numbered 1, 2, ... in order, each heading's words being the start of its question
  (a notebook without a 课堂讨论 list: no ``### Q`` heading and the sentence
  ``No discussion questions in this notebook.``);
- widget labels: an inline code span of the demo script that holds a CJK character (a control label
  such as ``R 最近购买 ≤（天 days）``, not Python code) must occur verbatim inside a quoted string of the
  notebook's code cells or of ``crmlab/plots/*.py``, or be the label of a control the notebook
  displayed; and every control the notebook displayed (the ``description`` labels in the widget state
  stored in its metadata) must be quoted in the demo script, so no control goes unexplained;
- numbers: every number in the demo script and the answers (read by ``_notebooks.numbers``: thousands
  separators, per cent signs and minus signs as a reader takes them) must be one of the numbers of
  the notebook — its Markdown prose and the text of its stored outputs (streams, plain text, Markdown
  and HTML with style sheets removed), compared to 9 significant digits. Exempt: whole numbers from
  −12 to 12 (step counts, question numbers, minutes, small counts) and whole numbers from 1900 to
  2099 (years). An ISO date (2025-12-31) is checked as a whole: it must occur in the notebook's text.
"""
import json
import math
import re

import pytest
from _notebooks import NOTEBOOKS, cells, numbers, outputs, prose
from _scripts import ROOT

GUIDES = ROOT / "instructor" / "guide"
PLOTS = ROOT / "crmlab" / "plots"
SECTIONS = ["45-minute class plan", "Live demo script", "课堂讨论 answers"]
NO_QUESTIONS = "No discussion questions in this notebook."
CJK = re.compile(r"[\u3400-\u9fff\uff00-\uffef]")
DATE = re.compile(r"\b(?:19|20)\d\d-\d\d-\d\d\b")
STRING = re.compile(r"""(?P<q>["'])(?P<s>(?:\\.|(?!(?P=q)).)*)(?P=q)""")

NOTEBOOK_NAMES = sorted(p.stem for p in NOTEBOOKS.glob("*.ipynb"))


def _guide(name: str) -> str:
    path = GUIDES / f"{name}.md"
    if not path.exists():
        pytest.fail(f"no instructor guide for notebooks/{name}.ipynb: write instructor/guide/{name}.md")
    return path.read_text(encoding="utf-8")


def _sections(text: str) -> dict[str, str]:
    """The guide's level-2 sections by heading (``## x``), outside fenced code blocks."""
    out, current, fenced = {}, None, False
    for line in text.splitlines():
        if line.startswith("```"):
            fenced = not fenced
        if not fenced and line.startswith("## "):
            current = line[3:].strip()
            out[current] = ""
        elif current is not None:
            out[current] += line + "\n"
    return out


def _section(name: str, heading: str) -> str:
    sections = _sections(_guide(name))
    assert heading in sections, f"instructor/guide/{name}.md has no section '## {heading}'"
    return sections[heading]


def _discussion_items(name: str) -> list[str]:
    """The numbered items of the notebook's 课堂讨论 list: from the heading that names 课堂讨论 to the
    next heading, the lines starting with ``<n>. ``, each with its continuation lines."""
    items = []
    for cell in cells(name):
        if cell["cell_type"] != "markdown":
            continue
        inside = False
        for line in "".join(cell["source"]).splitlines():
            if line.startswith("#"):
                inside = "课堂讨论" in line
                continue
            if not inside:
                continue
            if re.match(r"\d+\.\s", line):
                items.append(re.sub(r"^\d+\.\s+", "", line))
            elif items and line.strip() and line.startswith(" "):
                items[-1] += " " + line.strip()
    return items


def _plain(text: str) -> str:
    """Words only: Markdown emphasis and code marks removed, white space folded."""
    return re.sub(r"\s+", " ", re.sub(r"[*`_]", "", text)).strip()


def _notebook_text(name: str) -> str:
    """The prose and the text of every stored output of a notebook."""
    from bs4 import BeautifulSoup

    parts = [prose(name)]
    for _, out in outputs(name):
        if "text" in out:
            parts.append("".join(out["text"]))
        data = out.get("data", {})
        for kind in ("text/plain", "text/markdown"):
            if kind in data:
                parts.append("".join(data[kind]))
        if "text/html" in data:
            soup = BeautifulSoup("".join(data["text/html"]), "html.parser")
            for tag in soup.find_all(["style", "script"]):
                tag.decompose()
            parts.append(soup.get_text(" "))
    return "\n".join(parts)


def _code_strings(name: str) -> set[str]:
    """The quoted strings of the notebook's code cells and of crmlab/plots/*.py."""
    sources = ["".join(c["source"]) for c in cells(name) if c["cell_type"] == "code"]
    sources += [p.read_text(encoding="utf-8") for p in sorted(PLOTS.glob("*.py"))]
    return {m.group("s") for source in sources for m in STRING.finditer(source)}


def _descriptions(name: str) -> set[str]:
    """The labels (``description``) of the controls the notebook displayed, from the widget state stored
    in its metadata when it was executed."""
    nb = json.loads((NOTEBOOKS / f"{name}.ipynb").read_text(encoding="utf-8"))
    state = nb.get("metadata", {}).get("widgets", {}).get("application/vnd.jupyter.widget-state+json", {})
    return {model["state"]["description"] for model in state.get("state", {}).values()
            if model.get("state", {}).get("description")}


def _exempt(x: float) -> bool:
    return x == int(x) and (abs(x) <= 12 or 1900 <= x <= 2099)


# ---------------------------------------------------------------- one guide per notebook


def test_every_notebook_has_a_guide():
    missing = [f"instructor/guide/{name}.md" for name in NOTEBOOK_NAMES if not (GUIDES / f"{name}.md").exists()]
    assert not missing, f"chapter notebooks without an instructor guide: {', '.join(missing)}"


def test_every_guide_belongs_to_a_notebook():
    orphans = [p.name for p in sorted(GUIDES.glob("*.md")) if p.name != "README.md" and p.stem not in NOTEBOOK_NAMES]
    assert not orphans, f"guides without a notebook in notebooks/: {', '.join(orphans)}"


def test_readme_links_every_guide():
    readme = GUIDES / "README.md"
    assert readme.exists(), "instructor/guide/README.md is missing"
    links = set(re.findall(r"\]\(([^)]+\.md)\)", readme.read_text(encoding="utf-8")))
    missing = [f"{name}.md" for name in NOTEBOOK_NAMES if f"{name}.md" not in links]
    assert not missing, f"instructor/guide/README.md does not link {', '.join(missing)}"


# ---------------------------------------------------------------- the three sections


@pytest.mark.parametrize("name", NOTEBOOK_NAMES)
def test_sections_in_order(name):
    headings = list(_sections(_guide(name)))
    assert headings == SECTIONS, f"instructor/guide/{name}.md: level-2 sections {headings}, expected {SECTIONS}"


@pytest.mark.parametrize("name", NOTEBOOK_NAMES)
def test_plan_minutes_add_up_to_45(name):
    rows = [[cell.strip() for cell in line.strip().strip("|").split("|")]
            for line in _section(name, SECTIONS[0]).splitlines() if line.strip().startswith("|")]
    assert rows, f"instructor/guide/{name}.md: the class plan has no table"
    assert rows[0] == ["Minutes", "Part", "What happens"], f"{name}: plan table header is {rows[0]}"
    assert len(rows) > 1 and all(re.fullmatch(r":?-+:?", c) for c in rows[1]), f"{name}: no separator row"
    body = rows[2:]
    assert len(body) >= 3, f"{name}: the plan has {len(body)} parts"
    bad = [r[0] for r in body if not re.fullmatch(r"\d+", r[0])]
    assert not bad, f"{name}: Minutes that are not whole numbers: {bad}"
    total = sum(int(r[0]) for r in body)
    assert total == 45, f"instructor/guide/{name}.md: the plan's Minutes add up to {total}, not 45"


@pytest.mark.parametrize("name", NOTEBOOK_NAMES)
def test_one_answer_per_discussion_question(name):
    answers = _section(name, SECTIONS[2])
    questions = _discussion_items(name)
    headings = re.findall(r"^### Q(\d+)\.\s+(.+)$", answers, flags=re.M)
    assert len(headings) == len(questions), (
        f"instructor/guide/{name}.md answers {len(headings)} questions; the notebook's 课堂讨论 list has "
        f"{len(questions)}")
    assert [int(n) for n, _ in headings] == list(range(1, len(questions) + 1)), f"{name}: Q headings out of order"
    for (n, words), question in zip(headings, questions):
        start = _plain(words).rstrip(".…").rstrip()
        assert len(start) >= 3 and _plain(question).startswith(start), (
            f"{name}: '### Q{n}. {words}' does not begin like question {n}: {_plain(question)[:80]!r}")
    if not questions:
        assert NO_QUESTIONS in answers, f"{name}: no 课堂讨论 list, so the answers section must say '{NO_QUESTIONS}'"


# ---------------------------------------------------------------- what the demo and the answers quote


@pytest.mark.parametrize("name", NOTEBOOK_NAMES)
def test_quoted_control_labels_exist(name):
    demo = _section(name, SECTIONS[1])
    labels = [span for span in re.findall(r"`([^`\n]+)`", demo) if CJK.search(span)]
    controls = _descriptions(name)
    known = _code_strings(name)
    unknown = [label for label in labels if label not in controls and not any(label in s for s in known)]
    assert not unknown, f"instructor/guide/{name}.md quotes labels no control defines: {unknown}"
    unquoted = sorted(controls - set(labels) - set(re.findall(r"`([^`\n]+)`", demo)))
    assert not unquoted, f"instructor/guide/{name}.md: the demo script does not quote the controls {unquoted}"


@pytest.mark.parametrize("name", NOTEBOOK_NAMES)
def test_numbers_come_from_the_notebook(name):
    source = _notebook_text(name)
    known = numbers(source)
    text = _section(name, SECTIONS[1]) + _section(name, SECTIONS[2])
    dates = DATE.findall(text)
    assert not [d for d in dates if d not in source], f"{name}: dates not in the notebook: {dates}"
    invented = sorted({x for x in numbers(DATE.sub(" ", text))
                       if not _exempt(x) and not any(math.isclose(x, k, rel_tol=1e-9, abs_tol=1e-12) for k in known)})
    assert not invented, f"instructor/guide/{name}.md quotes numbers the notebook does not show: {invented}"
