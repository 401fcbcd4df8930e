"""The book's local Sphinx extension: what the stored notebooks need to read well offline.

- A widget output (ipywidgets) becomes a short note: widgets only work with a running
  kernel, and myst-nb's default would load the widget manager from a CDN and then show
  nothing without one. The widget state that myst-nb embeds in each page is left out too.
- Math (``$...$``, ``$$...$$``) is written as MathML, which browsers render natively,
  instead of MathJax, which would be loaded from a CDN.
"""
from docutils import nodes
from docutils.utils.math import MathError
from docutils.utils.math.latex2mathml import tex2mathml
from sphinx.util import logging

logger = logging.getLogger(__name__)

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_NOTE = ("Interactive widget (交互控件): run this notebook in JupyterLab "
               "(python kit.py lab) to use it.")


def replace_widgets(app, doctree):
    """Turn each widget output into a note; drop the page's widget state (unused without a kernel)."""
    for raw in list(doctree.findall(nodes.raw)):
        if 'type="%s"' % WIDGET_VIEW in raw.astext():
            note = nodes.paragraph("", WIDGET_NOTE, classes=["crmlab-widget-note"])
            raw.replace_self(note)
    # myst-nb keeps the notebook's widget state as a per-page script (key "ipywidgets_state").
    js_files = getattr(app.env, "nb_metadata", {}).get(app.env.docname, {}).get("js_files", {})
    js_files.pop("ipywidgets_state", None)


def _mathml(translator, node, block):
    tex = node.astext()
    try:
        return tex2mathml(tex, as_block=block)
    except MathError as error:  # a warning fails the build (-W); the TeX is shown as it is
        logger.warning("math not convertible to MathML (%s): %s", error, tex, location=node)
        return '<code class="math-tex">%s</code>' % translator.encode(tex)


def visit_math(translator, node):
    translator.body.append(_mathml(translator, node, block=False))
    raise nodes.SkipNode


def visit_displaymath(translator, node):
    translator.body.append(translator.starttag(node, "div", CLASS="math"))
    translator.body.append(_mathml(translator, node, block=True))
    translator.body.append("</div>\n")
    raise nodes.SkipNode


def setup(app):
    app.connect("doctree-read", replace_widgets)
    app.add_html_math_renderer("mathml", (visit_math, None), (visit_displaymath, None))
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
