"""Re-execute notebooks in place, so that an unchanged notebook stays byte-identical.

    python kit.py notebooks                       every notebook in notebooks/
    python kit.py notebooks notebooks/04*.ipynb   some of them

Runs each notebook top to bottom in a fresh kernel (no timing metadata), joins
printed text that the kernel happened to send in several pieces, and renames
the widget models: Jupyter gives every widget a random id on each run, which
would make every re-execution a diff of every notebook with a widget. The new
ids are derived from the notebook's name and the order in which the widgets
appear, so the same content gives the same bytes.
"""
import hashlib
import json
import re
import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
REFERENCE = re.compile(r"IPY_MODEL_([0-9a-f]{32})")


def stable_widget_ids(nb: nbformat.NotebookNode, name: str) -> nbformat.NotebookNode:
    """The notebook with every widget model id replaced by one derived from ``name`` and
    the widget's place: shown widgets in cell order, each followed by the models it uses."""
    state = nb.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    queue = [out["data"][WIDGET_VIEW]["model_id"] for cell in nb.cells for out in cell.get("outputs", [])
             if WIDGET_VIEW in out.get("data", {})]
    order = []
    while queue:  # breadth first through the IPY_MODEL_ references; a few dozen models, not data rows
        model = queue.pop(0)
        if model not in order:
            order.append(model)
            queue += REFERENCE.findall(json.dumps(state.get(model, {}), sort_keys=True))
    # Models no shown widget uses: ordered by their content, ids left out (stored state is keyed
    # by the random ids, so its own order says nothing).
    rest = sorted(set(state) - set(order), key=lambda m: REFERENCE.sub("", json.dumps(state[m], sort_keys=True)))
    ids = order + rest
    if not ids:
        return nb
    new = {old: hashlib.sha256(f"{name}/widget {i}".encode()).hexdigest()[:32] for i, old in enumerate(ids)}
    text = re.sub("|".join(map(re.escape, ids)), lambda m: new[m.group()], nbformat.writes(nb))
    return nbformat.reads(text, as_version=4)


def merge_adjacent_streams(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Join consecutive printed outputs of a cell: where the kernel cut a stream into messages
    depends on timing, so the same prints would otherwise be stored in a different number of pieces."""
    for cell in nb.cells:
        merged = []
        for out in cell.get("outputs", []):
            last = merged[-1] if merged else None
            if (out["output_type"] == "stream" and last is not None and last["output_type"] == "stream"
                    and last["name"] == out["name"]):
                last["text"] += out["text"]
            else:
                merged.append(out)
        if "outputs" in cell:
            cell.outputs = merged
    return nb


def execute(path: Path) -> None:
    """Run the notebook at ``path`` in a fresh kernel (working folder: its own) and save it."""
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=1200, record_timing=False,
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    nbformat.write(stable_widget_ids(merge_adjacent_streams(nb), path.stem), path)


def main(argv: list[str]) -> int:
    paths = [Path(a) for a in argv] or sorted((ROOT / "notebooks").glob("*.ipynb"))
    for path in paths:
        print(f"executing {path} ...", flush=True)
        execute(path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
