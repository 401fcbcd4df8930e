"""Sphinx configuration of the book: the chapter notebooks, with their stored outputs, as a website.

``python kit.py book`` builds it into build/book/ with the repository as the source folder and
this folder as the configuration folder, so the notebooks stay where they are; every notebook
in notebooks/ is a chapter (book/index.md lists them by a glob). Nothing is executed and
nothing is fetched from the internet, neither at build time nor when reading.
"""
import os
import sys

BOOK = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(BOOK)
sys.path.insert(0, BOOK)  # the local extension crmlab_book.py

project = "crmlab"
author = "the crmlab authors"
copyright = "the crmlab authors"
language = "en"

extensions = ["myst_nb", "crmlab_book"]
root_doc = "book/index"
include_patterns = ["book/**", "notebooks/*.ipynb"]
exclude_patterns = ["book/_static/**", "book/_templates/**"]
templates_path = ["_templates"]

# The stored outputs are the product; the notebook tests (nbval) guarantee they are current.
nb_execution_mode = "off"
nb_merge_streams = True
# No widget manager from a CDN: crmlab_book.py shows a note in place of each widget.
nb_ipywidgets_js = {}
# $...$ and $$...$$ as in JupyterLab, written as MathML by crmlab_book.py (no MathJax from a CDN).
myst_enable_extensions = ["dollarmath"]
html_math_renderer = "mathml"


def _repository_documents():
    """The repository's other documents (README.md, datasets/README.md, exercises/*.ipynb ...).

    A notebook's link to one of them shows as its text: they are not part of the book. A link to
    a document that does not exist at all still fails the build.
    """
    found = []
    for folder, subfolders, files in os.walk(ROOT):
        subfolders[:] = [d for d in subfolders if not d.startswith(".") and d not in ("build", "__pycache__")]
        for name in files:
            if name.endswith((".md", ".ipynb")):
                path = os.path.relpath(os.path.join(folder, name), ROOT).replace(os.sep, "/")
                if not path.startswith(("book/", "notebooks/")):
                    found.append(("myst", path.rsplit(".", 1)[0]))
    return sorted(found)


nitpick_ignore = _repository_documents()

html_theme = "alabaster"
html_title = "crmlab — 客户关系管理"
html_short_title = "crmlab"
# Alabaster's fonts, for readers without a Chinese system font too: the system's Latin font
# first, then the usual Chinese system fonts, then the kit's own subset font (crmlab/fonts,
# SIL OFL, copied next to the licence into _static; @font-face in _static/crmlab-book.css).
CJK = '"Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei", "crmlab Sans SC"'
SANS = 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, ' + CJK + ", sans-serif"
MONO = '"SFMono-Regular", Consolas, Menlo, "DejaVu Sans Mono", ' + CJK + ", monospace"
html_theme_options = {
    "description": "客户关系管理 Customer Relationship Management: the chapter notebooks",
    "font_family": SANS,
    "head_font_family": SANS,
    "caption_font_family": SANS,
    "code_font_family": MONO,
    "font_size": "16px",
    "page_width": "1160px",
    "sidebar_width": "240px",
    "show_relbars": True,
}
html_static_path = ["_static", "../crmlab/fonts/NotoSansSC-crmlab.otf", "../crmlab/fonts/OFL.txt"]
html_css_files = ["crmlab-book.css"]
# build/book/index.html: a redirect to the root document book/index.html.
html_additional_pages = {"index": "redirect.html"}
html_copy_source = False
html_show_sourcelink = False
html_use_index = False
html_domain_indices = False

# Search: "en", not "zh". Sphinx's Chinese splitter needs jieba, which the kit does not install;
# without it, it indexes no Chinese at all (its fallback cut_for_search yields nothing, only Latin
# words are kept). The English splitter indexes every run of letters, so a Chinese term between
# spaces or punctuation (客户终生价值, 二八法则) is one index word, English words are stemmed as
# usual, and the search page's partial matching finds a query of three or more characters inside
# a longer run of Chinese. tests/test_book.py checks both.
html_search_language = "en"
