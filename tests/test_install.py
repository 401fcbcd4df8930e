"""crmlab installed as a wheel, away from the repository, finds its data and runs the start page.

Self-study readers `pip install` the kit rather than clone it. The test builds
the wheel, installs it alone into a folder outside the repository, and runs a
Python that sees only that folder and the dependencies' site-packages (``-S``:
no ``.pth`` files, so not the editable crmlab of this checkout).
"""
import json
import os
import shutil
import subprocess
import sys
import sysconfig

import nbformat
import pytest
from _scripts import ROOT

from crmlab.datasets import list_tables

LOAD_EVERY_TABLE = """
import crmlab, json, sys
from crmlab.datasets import DATA_DIR, list_tables, load_data
assert crmlab.__file__.startswith(sys.argv[1]), crmlab.__file__
assert str(DATA_DIR).startswith(sys.argv[1]), DATA_DIR
print(json.dumps({name: len(load_data(name)) for name in list_tables().index}))
"""


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """The folder holding crmlab installed from its freshly built wheel, and the environment to run it."""
    tmp = tmp_path_factory.mktemp("wheel")
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                            "--wheel-dir", str(tmp / "dist"), str(ROOT)], capture_output=True, text=True)
    assert build.returncode == 0, build.stdout + build.stderr
    (wheel,) = (tmp / "dist").glob("crmlab-*.whl")
    site = tmp / "site"
    install = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--target", str(site), str(wheel)],
                             capture_output=True, text=True)
    assert install.returncode == 0, install.stdout + install.stderr
    env = {k: v for k, v in os.environ.items() if k not in ("CRMLAB_DATA_DIR", "PYTHONPATH")}
    env["PYTHONPATH"] = os.pathsep.join([str(site), sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]])
    return site, env


def test_the_installed_wheel_loads_every_table_from_the_data_inside_it(installed, tmp_path):
    site, env = installed
    result = subprocess.run([sys.executable, "-S", "-c", LOAD_EVERY_TABLE, str(site)], cwd=tmp_path, env=env,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert set(rows) == set(list_tables().index) and min(rows.values()) > 0


@pytest.mark.notebooks
def test_the_installed_wheel_runs_the_start_page(installed, tmp_path, monkeypatch):
    from nbclient import NotebookClient

    site, env = installed
    # A kernel that runs the same way: -S, only the wheel's crmlab and the dependencies.
    spec = tmp_path / "kernels" / "crmlab-wheel"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-S", "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "crmlab wheel", "language": "python", "env": {"PYTHONPATH": env["PYTHONPATH"]}}))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path))
    monkeypatch.delenv("CRMLAB_DATA_DIR", raising=False)
    notebook = shutil.copy(ROOT / "notebooks" / "00_start_here.ipynb", tmp_path / "00_start_here.ipynb")
    nb = nbformat.read(notebook, as_version=4)
    nb.cells.insert(0, nbformat.v4.new_code_cell("import crmlab; print(crmlab.__file__)"))
    NotebookClient(nb, kernel_name="crmlab-wheel", timeout=600,
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    # it ran to the end (a failing cell raises), and with the wheel's crmlab
    assert nb.cells[0].outputs[0]["text"].startswith(str(site))
