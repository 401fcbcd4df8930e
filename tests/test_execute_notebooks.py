"""`python kit.py notebooks` (tools/execute_notebooks.py): re-running an unchanged notebook
changes no byte, so a maintainer's diff shows only what really changed."""
import copy
import shutil
import uuid

import nbformat
import pytest
from _scripts import ROOT, load_script

tool = load_script("tools/execute_notebooks.py")
# A notebook with widgets and figures that runs in seconds.
NOTEBOOK = "06_personalise.ipynb"


def _widget_notebook(ids):
    """A notebook showing a slider (ids[0]) whose layout and style are ids[1] and ids[2],
    plus one model (ids[3]) no shown widget uses; stored state keyed by the ids, as Jupyter does."""
    state = {
        ids[0]: {"model_name": "IntSliderModel", "state": {"layout": f"IPY_MODEL_{ids[1]}",
                                                           "style": f"IPY_MODEL_{ids[2]}", "value": 3}},
        ids[1]: {"model_name": "LayoutModel", "state": {"width": None}},
        ids[2]: {"model_name": "SliderStyleModel", "state": {"handle_color": None}},
        ids[3]: {"model_name": "OutputModel", "state": {"outputs": []}},
    }
    cell = nbformat.v4.new_code_cell("interact(f, x=3)", id="slider", outputs=[nbformat.v4.new_output(
        "display_data", data={tool.WIDGET_VIEW: {"model_id": ids[0], "version_major": 2, "version_minor": 0},
                              "text/plain": "IntSlider(value=3)"})])
    nb = nbformat.v4.new_notebook(cells=[cell])
    nb.metadata["widgets"] = {tool.WIDGET_STATE: {"state": state, "version_major": 2, "version_minor": 0}}
    return nb


def test_widget_ids_depend_on_the_notebook_and_the_widgets_not_on_the_run():
    runs = [[uuid.uuid4().hex for _ in range(4)] for _ in range(3)]
    texts = [nbformat.writes(tool.stable_widget_ids(_widget_notebook(ids), "05_demo")) for ids in runs]
    assert texts[0] == texts[1] == texts[2]
    assert not any(old in texts[0] for ids in runs for old in ids)
    stable = tool.stable_widget_ids(_widget_notebook(runs[0]), "05_demo")
    slider = stable.cells[0].outputs[0].data[tool.WIDGET_VIEW]["model_id"]
    state = stable.metadata.widgets[tool.WIDGET_STATE]["state"]
    # references between models follow the renaming
    assert state[slider]["state"]["layout"].removeprefix("IPY_MODEL_") in state
    assert state[slider]["state"]["style"].removeprefix("IPY_MODEL_") in state
    other = nbformat.writes(tool.stable_widget_ids(_widget_notebook(runs[0]), "06_other"))
    assert slider not in other  # two notebooks never share ids (JupyterLab keys widgets by id)


def test_a_notebook_without_widgets_is_left_as_it_is():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 + 1")])
    assert tool.stable_widget_ids(copy.deepcopy(nb), "x") == nb


def test_printed_text_sent_in_pieces_is_stored_as_one_output():
    out = nbformat.v4.new_output
    cell = nbformat.v4.new_code_cell("...", id="prints", outputs=[
        out("stream", name="stdout", text="--- sales\n"), out("stream", name="stdout", text="--- marketing\n"),
        out("stream", name="stderr", text="warning\n"), out("display_data", data={"text/plain": "figure"}),
        out("stream", name="stdout", text="after the figure\n")])
    nb = tool.merge_adjacent_streams(nbformat.v4.new_notebook(cells=[cell]))
    assert [(o["output_type"], o.get("text")) for o in nb.cells[0].outputs] == [
        ("stream", "--- sales\n--- marketing\n"), ("stream", "warning\n"), ("display_data", None),
        ("stream", "after the figure\n")]  # order kept: only neighbours are joined


@pytest.mark.notebooks
def test_re_executing_a_notebook_twice_gives_the_same_bytes(tmp_path):
    files = []
    for run in ("first", "second"):
        (tmp_path / run).mkdir()
        path = shutil.copy(ROOT / "notebooks" / NOTEBOOK, tmp_path / run / NOTEBOOK)
        tool.execute(tmp_path / run / NOTEBOOK)
        files.append(open(path, "rb").read())
    assert files[0] == files[1]
    assert tool.WIDGET_VIEW.encode() in files[0]  # the check covered widgets
