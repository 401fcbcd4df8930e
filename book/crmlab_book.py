"""The book's local Sphinx extension: what the stored notebooks need to read well offline.

- A widget output (ipywidgets) is shown as the notebook stored it, at the controls' starting
  positions (each control as "label: value", the widget's tables and images as they were),
  under a note that it moves only in JupyterLab: myst-nb's default would load the widget
  manager from a CDN and then show nothing without a kernel. The widget state that myst-nb
  embeds in each page is left out.
- Math (``$...$``, ``$$...$$``) is written as MathML, which browsers render natively,
  instead of MathJax, which would be loaded from a CDN.
"""
import html
import json
import re

from docutils import nodes
from docutils.utils.math import MathError
from docutils.utils.math.latex2mathml import tex2mathml
from sphinx.util import logging

logger = logging.getLogger(__name__)

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
WIDGET_NOTE = ("Interactive widget (交互控件), shown at its starting position: run this notebook in "
               "JupyterLab (python kit.py lab) to move it.")


def _widget_states(path):
    """The widget models the notebook at ``path`` stored, by model id."""
    with open(path, encoding="utf-8") as f:
        metadata = json.load(f).get("metadata", {})
    return metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})


def static_widget(model_id, states):
    """HTML for a stored widget as it stood: boxes in order, controls as "label: value", HTML as it is,
    images inline. Models of other kinds (layouts, styles) draw nothing."""
    model = states.get(model_id)
    if model is None:
        return ""
    name, state = model["model_name"], model["state"]
    if name in ("VBoxModel", "HBoxModel", "BoxModel"):
        return "".join(static_widget(child.replace("IPY_MODEL_", ""), states) for child in state.get("children", []))
    if name in ("HTMLModel", "HTMLMathModel"):
        return '<div class="crmlab-widget-html">%s</div>' % state.get("value", "")
    if name == "ImageModel":
        data = [b["data"] for b in model.get("buffers", []) if b.get("path") == ["value"]]
        return '<img class="crmlab-widget-image" alt="chart" src="data:image/png;base64,%s"/>' % data[0] if data else ""
    if "value" in state or "index" in state:
        value = state.get("value")
        if "_options_labels" in state and state.get("index") is not None:
            value = state["_options_labels"][state["index"]]
        shown = ("%.*f" % (2 if "Float" in name else 0, value)) if isinstance(value, float) else value
        return '<p class="crmlab-widget-control">%s: <b>%s</b></p>' % (
            html.escape(str(state.get("description", ""))), html.escape(str(shown)))
    return ""


def replace_widgets(app, doctree):
    """Show each widget output as stored, under a note; drop the page's widget state script."""
    states = None
    for raw in list(doctree.findall(nodes.raw)):
        text = raw.astext()
        if 'type="%s"' % WIDGET_VIEW not in text:
            continue
        if states is None:
            states = _widget_states(app.env.doc2path(app.env.docname))
        found = re.search(r'"model_id"\s*:\s*"([^"]+)"', text)
        shown = static_widget(found.group(1), states) if found else ""
        note = nodes.paragraph("", WIDGET_NOTE, classes=["crmlab-widget-note"])
        widget = nodes.raw("", '<div class="crmlab-widget">%s</div>' % shown, format="html")
        raw.replace_self([note, widget])
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
