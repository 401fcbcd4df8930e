"""The book (``python kit.py book``): the chapter notebooks as a static, searchable website.

The book is built once for this module, into a temporary folder, with the same sphinx-build
arguments as the command (``kit.book_arguments``); the build fails on any Sphinx warning. Then:
every notebook has a page and the start page links to all of them in file-name order; every
internal link and image points to a file (and anchor) of the book; every figure a notebook
stored is an image in its page; widgets show a note and their stored state; Chinese and English terms are in the search
index; nothing is loaded from the internet; nothing of instructor/ or exercises/ is in the book.
"""
import base64
import hashlib
import html
import json
import re
import subprocess
import sys
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
import snowballstemmer

from _scripts import ROOT, load_script

pytestmark = pytest.mark.notebooks

kit = load_script("kit.py")

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
EXTERNAL = re.compile(r"^(?:[a-z][a-z0-9+.-]*:|//)", re.IGNORECASE)  # http:, https:, mailto:, data:, //host
FETCHED = re.compile(r"^(?:https?:)?//", re.IGNORECASE)  # what a browser would fetch from another host


class Page(HTMLParser):
    """What the tests need from one built HTML page."""

    def __init__(self, path: Path):
        super().__init__(convert_charrefs=True)
        self.path = path
        self.ids: set[str] = set()
        self.refs: list[tuple[str, str, str]] = []  # (tag, attribute, value) of every href and src
        self.fetched: list[str] = []  # scripts, stylesheets, icons, images: what the page loads
        self.output_images: list[str] = []  # <img> inside a notebook cell's output
        self.toctree_links: list[str] = []
        self.widget_notes = 0
        self.widget_html: list[str] = []  # the raw HTML of each widget shown as stored
        self.h1: list[str] = []
        self._divs: list[list[str]] = []  # classes of the open <div> elements
        self._in_h1 = False
        self._text: list[str] = []
        self.feed(path.read_text(encoding="utf-8"))
        self.text = "".join(self._text)

    def _inside(self, css_class):
        return any(css_class in classes for classes in self._divs)

    def handle_starttag(self, tag, attrs):
        a = {key: value or "" for key, value in attrs}
        classes = a.get("class", "").split()
        for key in ("id", "name") if tag == "a" else ("id",):
            if a.get(key):
                self.ids.add(a[key])
        for key in ("href", "src"):
            if key in a:
                self.refs.append((tag, key, a[key]))
        if tag == "meta" and a.get("http-equiv", "").lower() == "refresh":
            self.refs.append((tag, "content", a.get("content", "").partition("url=")[2]))
        if "src" in a or (tag == "link" and "href" in a):
            self.fetched.append(a.get("src") or a.get("href"))
        if tag == "img" and self._inside("cell_output") and not self._inside("crmlab-widget"):
            self.output_images.append(a.get("src", ""))
        if tag == "a" and self._inside("toctree-wrapper"):
            self.toctree_links.append(a.get("href", ""))
        if tag == "p" and "crmlab-widget-note" in classes:
            self.widget_notes += 1
        if tag == "div":
            self._divs.append(classes)
        if tag == "h1":
            self._in_h1 = True
            self.h1.append("")

    def handle_endtag(self, tag):
        if tag == "div" and self._divs:
            self._divs.pop()
        if tag == "h1":
            self._in_h1 = False

    def handle_data(self, data):
        self._text.append(data)
        if self._in_h1:
            self.h1[-1] += data


@pytest.fixture(scope="module")
def book(tmp_path_factory) -> Path:
    """The book built from the repository as it is, into a temporary folder (about 6 s)."""
    tmp = tmp_path_factory.mktemp("book")
    out = tmp / "html"
    result = subprocess.run([sys.executable] + kit.book_arguments(str(out), str(tmp / "doctrees")),
                            cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, "sphinx-build failed:\n" + result.stdout + result.stderr
    return out


@pytest.fixture(scope="module")
def pages(book) -> dict[str, Page]:
    """Every built HTML page, by its path in the book ("notebooks/06_personalise.html")."""
    return {path.relative_to(book).as_posix(): Page(path) for path in sorted(book.rglob("*.html"))}


def page_of(notebook: Path) -> str:
    return "notebooks/%s.html" % notebook.stem


def load(notebook: Path) -> dict:
    return json.loads(notebook.read_text(encoding="utf-8"))


def outputs(notebook: Path):
    for cell in load(notebook)["cells"]:
        yield from cell.get("outputs", [])


def first_heading(notebook: Path) -> str:
    for cell in load(notebook)["cells"]:
        for line in "".join(cell["source"]).splitlines() if cell["cell_type"] == "markdown" else []:
            if line.startswith("# "):
                return re.sub(r"[*_`]", "", line[2:]).strip()
    raise AssertionError("%s has no title (a '# ' heading)" % notebook.name)


def resolve(book: Path, page: str, url: str) -> tuple[Path, str]:
    """The file an internal link of ``page`` points to, and its #fragment."""
    parts = urlsplit(url)
    target = (book / page).parent / unquote(parts.path) if parts.path else book / page
    return target.resolve(), unquote(parts.fragment)


def broken_links(book: Path, pages: dict[str, Page]) -> list[str]:
    problems = []
    for name, page in pages.items():
        for tag, attribute, url in page.refs:
            if not url or EXTERNAL.match(url):
                continue
            target, fragment = resolve(book, name, url)
            where = "%s: <%s %s=%r>" % (name, tag, attribute, url)
            if not target.is_file() or book.resolve() not in target.parents:
                problems.append(where + " points to no file of the book")
            elif fragment and target.suffix == ".html":
                ids = pages[target.relative_to(book.resolve()).as_posix()].ids
                if fragment not in ids:
                    problems.append(where + " points to no id %r" % fragment)
    return problems


def search_index(book: Path) -> dict:
    text = (book / "searchindex.js").read_text(encoding="utf-8")
    return json.loads(text[text.index("(") + 1:text.rindex(")")])


def search(index: dict, word: str) -> set[str]:
    """The pages the search box finds for one word, as searchtools.js (Sphinx 9) looks it up:
    the stemmed word as an index term, or, for three or more characters, inside a longer term."""
    stemmed = snowballstemmer.stemmer("english").stemWord(word.lower())
    found = set()
    for terms in (index["terms"], index["titleterms"]):
        for term, docs in terms.items():
            if term == stemmed or (len(stemmed) > 2 and stemmed not in terms and stemmed in term):
                found.update([docs] if isinstance(docs, int) else docs)
    return {index["docnames"][i] for i in found}


def test_every_notebook_has_its_page(pages):
    assert NOTEBOOKS, "no notebooks found"
    for notebook in NOTEBOOKS:
        page = pages.get(page_of(notebook))
        assert page is not None, "no page for %s" % notebook.name
        assert [h.rstrip("¶") for h in page.h1[:1]] == [first_heading(notebook)], "%s: the page's title is not the notebook's" % notebook.name


def test_only_the_book_is_in_the_book(book, pages):
    # The start page, the redirect to it, the search page and one page per notebook: no other
    # document of the repository (instructor/, exercises/, README.md ...) is in the book.
    assert set(pages) == {"index.html", "search.html", "book/index.html"} | {page_of(n) for n in NOTEBOOKS}
    assert set(search_index(book)["docnames"]) == {"book/index"} | {"notebooks/" + n.stem for n in NOTEBOOKS}
    leaked = [p for p in book.rglob("*") if {"instructor", "exercises"} & set(p.relative_to(book).parts)]
    assert not leaked
    assert not [name for name, page in pages.items() if "BEGIN SOLUTION" in page.text]


def test_start_page_lists_every_notebook_in_file_name_order(book, pages):
    start = pages["book/index.html"]
    listed = [resolve(book, "book/index.html", url)[0] for url in start.toctree_links]
    assert listed == [(book / page_of(n)).resolve() for n in NOTEBOOKS]
    assert "python kit.py lab" in start.text and "JupyterLab" in start.text
    # build/book/index.html, what the command says to open, leads to the start page.
    assert [url for tag, _, url in pages["index.html"].refs if tag == "meta"] == ["book/index.html"]


def test_every_internal_link_points_to_a_file_and_anchor_of_the_book(book, pages):
    assert sum(len(page.refs) for page in pages.values()) > 100
    assert broken_links(book, pages) == []


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda n: n.stem)
def test_every_figure_of_a_notebook_is_an_image_in_its_page(book, pages, notebook):
    stored = Counter(hashlib.sha256(base64.b64decode("".join(o["data"]["image/png"]))).hexdigest()
                     for o in outputs(notebook) if "image/png" in o.get("data", {}))
    page = pages[page_of(notebook)]
    shown = Counter()
    for url in page.output_images:
        image = resolve(book, page_of(notebook), url)[0]
        assert image.is_file() and image.stat().st_size > 0, "%s: image %s missing or empty" % (notebook.name, url)
        shown[hashlib.sha256(image.read_bytes()).hexdigest()] += 1
    assert sum(shown.values()) == sum(stored.values()), "%s: %d figures stored, %d images in the page" % (
        notebook.name, sum(stored.values()), sum(shown.values()))
    assert shown == stored, "%s: the page's images are not the notebook's figures" % notebook.name


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda n: n.stem)
def test_a_widget_shows_a_note_to_use_jupyterlab(pages, notebook):
    widgets = sum(WIDGET_VIEW in o.get("data", {}) for o in outputs(notebook))
    page = pages[page_of(notebook)]
    assert page.widget_notes == widgets
    assert "application/vnd.jupyter.widget" not in page.path.read_text(encoding="utf-8")


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda n: n.stem)
def test_a_widget_is_shown_as_the_notebook_stored_it(pages, notebook):
    """Each control as "label: value" and each HTML part (tables) of every widget, as stored."""
    states = load(notebook).get("metadata", {}).get("widgets", {}).get(
        "application/vnd.jupyter.widget-state+json", {}).get("state", {})
    text = pages[page_of(notebook)].path.read_text(encoding="utf-8")
    for model in states.values():
        state = model["state"]
        if model["model_name"].endswith("SliderModel") or model["model_name"] == "DropdownModel":
            assert html.escape(state["description"]) + ": <b>" in text, (notebook.name, state["description"])
        if model["model_name"] == "HTMLModel":
            assert state["value"] in text, (notebook.name, state["value"][:80])
        if model["model_name"] == "ImageModel":
            png = [b["data"] for b in model["buffers"] if b["path"] == ["value"]][0]
            assert png in text, notebook.name


@pytest.mark.parametrize("word, page", [
    ("客户终生价值", "notebooks/04b_customer_lifetime_value"),  # customer lifetime value
    ("二八法则", "notebooks/04_differentiate_customers"),  # the 80/20 rule
    ("满意度", "notebooks/07_measure_satisfaction_loyalty"),  # satisfaction, inside longer runs of Chinese
    ("retention", "notebooks/07_measure_satisfaction_loyalty"),  # English, stemmed (retent)
    ("RFM", "notebooks/04_differentiate_customers"),
])
def test_chinese_and_english_terms_are_searchable(book, word, page):
    assert page in search(search_index(book), word)


def test_nothing_is_loaded_from_the_internet(book, pages):
    fetched = ["%s: %s" % (name, url) for name, page in pages.items() for url in page.fetched if FETCHED.match(url)]
    assert fetched == []
    for name, page in pages.items():
        assert not re.search(r"""@import\s+(url\()?['"]?(https?:)?//|url\(['"]?(https?:)?//""",
                             page.path.read_text(encoding="utf-8")), name
    for css in (book / "_static").rglob("*.css"):
        assert not re.search(r"""url\(['"]?(https?:)?//""", css.read_text(encoding="utf-8")), css.name


def test_the_bundled_chinese_font_is_in_the_book_with_its_licence(book, pages):
    fonts = ROOT / "crmlab" / "fonts"
    assert (book / "_static" / "NotoSansSC-crmlab.otf").read_bytes() == (fonts / "NotoSansSC-crmlab.otf").read_bytes()
    assert (book / "_static" / "OFL.txt").read_bytes() == (fonts / "OFL.txt").read_bytes()
    css = (book / "_static" / "crmlab-book.css").read_text(encoding="utf-8")
    assert re.search(r'@font-face\s*{[^}]*"crmlab Sans SC"[^}]*url\("NotoSansSC-crmlab\.otf"\)', css)
    for name in ["book/index.html"] + [page_of(n) for n in NOTEBOOKS]:
        assert "../_static/crmlab-book.css" in [url.partition("?")[0] for url in pages[name].fetched], name
    # Alabaster's body font: Latin system fonts first, Chinese system fonts, the bundled font last.
    stack = re.search(r"body \{[^}]*font-family: ([^;]*);", (book / "_static" / "alabaster.css").read_text())
    families = [f.strip().strip('"') for f in stack.group(1).split(",")]
    assert families.index("Noto Sans CJK SC") < families.index("crmlab Sans SC") < families.index("sans-serif")
    assert families.index("Arial") < families.index("Noto Sans CJK SC")
