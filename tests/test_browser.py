"""Every chapter notebook as a person sees it: run in JupyterLab in headless Chromium.

The notebook tests (nbval) compare what the kernel returns; they cannot see a widget stuck at
"Loading widget...", a control that moves nothing, or Chinese drawn as empty boxes. Here each
notebook is opened in a real JupyterLab page, run top to bottom, and checked as rendered:

- every widget output renders as a widget, and no page text says an error or warning;
- moving each control (a slider one step, a drop-down to its next option, a letter typed in a text
  field, each button clicked in turn) changes what the widget shows;
- no character on the page is drawn as the empty box of a missing glyph (豆腐块, tofu).

Screenshots of each notebook and of each widget before and after its move are written to
build/screenshots/ (CI keeps them). Skipped, with the reason, where there is no Chromium.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import urllib.request

import pytest
from _browser import CHROMIUM_ARGS, SCREENSHOTS, Lab, browser_path
from _scripts import ROOT

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
CHROMIUM, WHY_NOT = browser_path()

# CI sets CRMLAB_REQUIRE_BROWSER=1 (.ci/run installs Chromium), so that there a missing browser fails
# instead of skipping.
REQUIRED = os.environ.get("CRMLAB_REQUIRE_BROWSER") == "1"
pytestmark = [pytest.mark.notebooks,
              pytest.mark.skipif(CHROMIUM is None and not REQUIRED, reason=f"browser tests skipped: {WHY_NOT}")]

# Text that JupyterLab or ipywidgets writes when something went wrong (a widget whose model never
# arrived, a front-end error) or that Python writes on stderr (warnings, tracebacks).
TROUBLE = re.compile(r"Loading widget|Error displaying widget|Open Browser Console|Traceback|Error:|Warning:")
KERNEL_IDLE = "() => document.querySelector('#jp-main-statusbar')?.textContent.includes('Idle')"
ALL_RUN = """() => {
  const prompts = [...document.querySelectorAll('.jp-Notebook .jp-InputArea-prompt')].map(e => e.textContent);
  return prompts.length > 0 && !prompts.some(p => p.includes('*'))
      && document.querySelector('#jp-main-statusbar').textContent.includes('Idle');
}"""
# For each cell whose output holds a control: its index and its controls (a slider or a drop-down).
CONTROLS = """() => [...document.querySelectorAll('.jp-Notebook .jp-Cell')].map((cell, index) => ({index,
  sliders: cell.querySelectorAll('.jp-OutputArea .widget-slider').length,
  dropdowns: cell.querySelectorAll('.jp-OutputArea .widget-dropdown').length,
  texts: cell.querySelectorAll('.jp-OutputArea .widget-text').length,
  buttons: cell.querySelectorAll('.jp-OutputArea .widget-button').length,
  other: cell.querySelectorAll('.jp-OutputArea .widget-toggle-buttons, .jp-OutputArea .widget-radio, '
                               + '.jp-OutputArea .widget-checkbox').length,
})).filter(c => c.sliders + c.dropdowns + c.texts + c.buttons + c.other > 0)"""
# What a cell's widgets show, apart from the controls themselves: outputs, HTML and images.
SHOWN = """(index) => {
  const cell = document.querySelectorAll('.jp-Notebook .jp-Cell')[index];
  return [...cell.querySelectorAll('.widget-output, .widget-html-content, .widget-output img')]
    .map(e => e.tagName === 'IMG' ? e.src : e.innerHTML).join('\\n');
}"""
# Characters on the page whose drawing equals that of a character no font has (U+E000, private
# use): such a character is drawn as the missing-glyph box. Checked in the font stack of the
# element that holds the character.
TOFU = """(root) => {
  const byFont = new Map();
  const walker = document.createTreeWalker(document.querySelector(root), NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const chars = [...node.textContent].filter(ch => ch.codePointAt(0) > 127 && ch.trim());
    if (!chars.length) continue;
    const family = getComputedStyle(node.parentElement).fontFamily;
    if (!byFont.has(family)) byFont.set(family, new Set());
    chars.forEach(ch => byFont.get(family).add(ch));
  }
  const canvas = document.createElement('canvas'); canvas.width = 40; canvas.height = 40;
  const ctx = canvas.getContext('2d', {willReadFrequently: true});
  const draw = (ch, family) => { ctx.clearRect(0, 0, 40, 40); ctx.font = '28px ' + family; ctx.fillText(ch, 4, 30);
    return ctx.getImageData(0, 0, 40, 40).data.join(',') + '|' + ctx.measureText(ch).width; };
  const boxes = [];
  for (const [family, chars] of byFont) {
    const missing = draw('\\uE000', family);
    for (const ch of chars) if (ch !== '\\uE000' && draw(ch, family) === missing) boxes.push(ch);
  }
  return {boxes: [...new Set(boxes)], checked: [...byFont.values()].reduce((n, s) => n + s.size, 0)};
}"""


@pytest.fixture(scope="module")
def lab():
    server = Lab()
    yield server
    server.close()


@pytest.fixture(scope="module")
def browser():
    if CHROMIUM is None:
        pytest.fail(f"CRMLAB_REQUIRE_BROWSER=1 but {WHY_NOT}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def _digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def open_notebook(browser, lab, relative: str):
    """A page with ``relative`` open in JupyterLab and its kernel idle."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(lab.url(f"lab/tree/{relative}") + "&reset")  # reset: not the notebooks of the last page too
    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60_000)
    page.wait_for_function(KERNEL_IDLE, timeout=120_000)
    return page


def run_all(page):
    """Run every cell, as Run > Run All Cells does, and wait until the kernel is done."""
    page.wait_for_function("() => window.jupyterapp?.shell.currentWidget?.sessionContext?.session?.kernel", timeout=60_000)
    # The command's promise settles when the last cell has run.
    assert page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')"), "Run All failed"
    page.wait_for_function(ALL_RUN, timeout=900_000, polling=500)
    counts = page.evaluate("() => window.jupyterapp.shell.currentWidget.content.model.sharedModel.cells"
                           ".filter(c => c.cell_type === 'code' && c.source.trim()).map(c => c.execution_count)")
    assert counts == list(range(1, len(counts) + 1)), f"not every cell ran in order in a fresh kernel: {counts}"


def shut_down_kernels(lab):
    for session in json.load(urllib.request.urlopen(lab.url("api/sessions"))):
        request = urllib.request.Request(lab.url(f"api/sessions/{session['id']}"), method="DELETE")
        urllib.request.urlopen(request).read()


def move(page, index: int, kind: str, k: int) -> str:
    """Move the ``k``-th control of ``kind`` in cell ``index`` by one step (a text field: one letter typed
    at its end; a button: clicked); return its label."""
    cell = page.locator(".jp-Notebook .jp-Cell").nth(index)
    control = cell.locator(f".jp-OutputArea .widget-{kind}").nth(k)
    if kind == "button":
        label = control.inner_text()
        control.click()
        return label
    label = control.locator(".widget-label").inner_text()
    if kind == "text":
        field = control.locator("input")
        field.press("End")
        field.type("x")
    elif kind == "slider":
        handle = control.locator(".noUi-handle")
        at_max = handle.get_attribute("aria-valuenow") == handle.get_attribute("aria-valuemax")
        handle.focus()
        handle.press("ArrowLeft" if at_max else "ArrowRight")
    else:
        select = control.locator("select")
        options = select.locator("option").all_inner_texts()
        current = select.evaluate("s => s.selectedIndex")
        select.select_option(index=(current + 1) % len(options))
    return label


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_in_the_browser(path, lab, browser):
    before = _digest(path)
    shots = SCREENSHOTS / path.stem
    shots.mkdir(parents=True, exist_ok=True)
    page = open_notebook(browser, lab, path.relative_to(ROOT).as_posix())
    try:
        run_all(page)
        page.screenshot(path=shots / "run-all.png")

        widget_outputs = page.locator('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.widget-view+json"]')
        rendered = widget_outputs.locator(":scope > .jupyter-widgets")
        assert rendered.count() == widget_outputs.count(), (
            f"{rendered.count()} of {widget_outputs.count()} widget outputs rendered as widgets")
        stderr = page.locator('.jp-Notebook .jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')
        assert stderr.count() == 0, f"error or warning output on the page: {stderr.all_inner_texts()[:3]}"
        trouble = TROUBLE.findall(page.locator(".jp-Notebook").inner_text())
        assert not trouble, f"the page says {sorted(set(trouble))}"
        dialogs = page.locator(".jp-Dialog")  # e.g. "Kernel Restarting", "Error", a kernel chooser
        assert dialogs.count() == 0, f"a dialog is open: {dialogs.all_inner_texts()}"

        controls = page.evaluate(CONTROLS)
        assert all(c["other"] == 0 for c in controls), f"controls of a kind this test cannot move yet: {controls}"
        for cell in controls:
            index = cell["index"]
            page.locator(".jp-Notebook .jp-Cell").nth(index).locator(".jp-Cell-outputArea").screenshot(
                path=shots / f"cell{index:02d}-0.png")
            step = 0
            # buttons last, in order: a form's steps (assign, resolve, close) each change what it shows
            for kind, count in (("slider", cell["sliders"]), ("dropdown", cell["dropdowns"]), ("text", cell["texts"]),
                                ("button", cell["buttons"])):
                for k in range(count):
                    shown = page.evaluate(SHOWN, index)
                    label = move(page, index, kind, k)
                    try:
                        page.wait_for_function(f"(before) => ({SHOWN})({index}) !== before", arg=shown, timeout=15_000)
                    except Exception:
                        pytest.fail(f"cell {index}: moving the {kind} {label!r} did not change what the widget shows")
                    step += 1
                    page.wait_for_function(KERNEL_IDLE, timeout=60_000)
                    page.locator(".jp-Notebook .jp-Cell").nth(index).locator(".jp-Cell-outputArea").screenshot(
                        path=shots / f"cell{index:02d}-{step}.png")
        assert not TROUBLE.findall(page.locator(".jp-Notebook").inner_text()), "moving the controls showed an error"

        tofu = page.evaluate(TOFU, ".jp-Notebook")
        assert tofu["checked"] > 0
        assert not tofu["boxes"], (f"drawn as empty boxes (no font has them here): {''.join(tofu['boxes'])}; "
                                   "install a Chinese font (Debian/Ubuntu: sudo apt install fonts-noto-cjk)")
    finally:
        page.close()
        shut_down_kernels(lab)
    assert _digest(path) == before, f"{path.name} was changed on disk by the browser run"


def test_projector_mode_enlarges_the_widgets_on_the_page(lab, browser):
    """One call, crmlab.projector_mode(), makes the page's widgets and outputs larger; clearing its output
    puts them back."""
    import nbformat

    folder = ROOT / "build" / "browser"
    folder.mkdir(parents=True, exist_ok=True)
    notebook = folder / "projector.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("from crmlab.plots.clv import clv_formula_widget\nclv_formula_widget()"),
        nbformat.v4.new_code_cell("import crmlab\ncrmlab.projector_mode()")],
        metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}}), notebook)
    size = ("() => parseFloat(getComputedStyle(document.querySelector('.jp-Notebook .widget-label')).fontSize)")
    page = open_notebook(browser, lab, notebook.relative_to(ROOT).as_posix())
    try:
        run_all(page)
        page.wait_for_selector(".jp-Notebook .widget-label")
        projected = page.evaluate(size)
        page.screenshot(path=SCREENSHOTS / "projector-mode.png")
        page.evaluate("""() => { const panel = window.jupyterapp.shell.currentWidget;
                                 panel.content.activeCellIndex = 1;
                                 return window.jupyterapp.commands.execute('notebook:clear-cell-output'); }""")
        page.wait_for_function(f"() => ({size})() < {projected}", timeout=10_000)
        assert projected >= 1.4 * page.evaluate(size)
    finally:
        page.close()
        shut_down_kernels(lab)


def test_the_book_draws_every_character(browser, tmp_path):
    """The book's pages, opened from disk as a reader does: no character drawn as an empty box."""
    import subprocess
    import sys

    from _scripts import load_script

    out = tmp_path / "html"
    kit = load_script("kit.py")
    subprocess.run([sys.executable] + kit.book_arguments(str(out), str(tmp_path / "doctrees")), cwd=ROOT, check=True,
                   capture_output=True)
    page = browser.new_page()
    try:
        for path in NOTEBOOKS:
            page.goto((out / "notebooks" / f"{path.stem}.html").as_uri())
            page.evaluate("() => document.fonts.ready")
            tofu = page.evaluate(TOFU, "body")
            assert tofu["checked"] > 0 and not tofu["boxes"], f"{path.stem}: {''.join(tofu['boxes'])}"
        page.screenshot(path=SCREENSHOTS / "book-page.png", full_page=False)
    finally:
        page.close()


def test_tofu_check_sees_a_character_no_font_has(browser):
    """The control for the empty-box check: a private-use character, which no font draws, is reported."""
    page = browser.new_page()
    try:
        page.set_content('<div class="jp-Notebook"><p>客户 \uE001 ≤</p><code>价值 \uE002</code></div>')
        assert sorted(page.evaluate(TOFU, ".jp-Notebook")["boxes"]) == ["\ue001", "\ue002"]
    finally:
        page.close()
