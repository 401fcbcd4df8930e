"""Set up the crmlab kit and run it: one file, standard library only.

    python kit.py lab         set up what is missing, open JupyterLab on the start page
    python kit.py test        set up what is missing, run every test (unit tests and notebooks)
    python kit.py notebooks   re-execute every notebook in place (after changing crmlab)

The first run creates a virtual environment in .venv and installs the kit
into it at the versions in constraints.txt (a few minutes); later runs check a
fingerprint of pyproject.toml and constraints.txt and start at once. Works the
same with `python`, `python3` or `py` on Linux, macOS and Windows; extra
arguments are passed on (`python kit.py test -k rfm`).
"""
from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
STAMP = VENV / "crmlab-installed.txt"
START_PAGE = "notebooks/00_start_here.ipynb"


def venv_python() -> Path:
    return VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def fingerprint() -> str:
    # Reinstall when the declared or pinned dependencies change, and only then.
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes())
    digest.update((ROOT / "constraints.txt").read_bytes())
    digest.update(sys.version.encode())
    return digest.hexdigest()


def ensure_environment() -> Path:
    if sys.version_info < (3, 11):
        sys.exit(f"crmlab needs Python 3.11 or newer; this is {sys.version.split()[0]}.")
    python = venv_python()
    if not python.exists():
        print(f"Creating a virtual environment in {VENV} ...", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    if STAMP.exists() and STAMP.read_text() == fingerprint():
        return python
    print("Installing crmlab and its dependencies (first run only) ...", flush=True)
    pip = [str(python), "-m", "pip", "--disable-pip-version-check"]
    subprocess.run([*pip, "install", "--upgrade", "pip"], check=True)
    # constraints.txt pins the tested versions, so every machine computes the same outputs.
    subprocess.run([*pip, "install", "--editable", ".[test]", "--constraint", "constraints.txt"], check=True, cwd=ROOT)
    STAMP.write_text(fingerprint())
    return python


def run(args: list[str]) -> int:
    python = ensure_environment()
    return subprocess.call([str(python), *args], cwd=ROOT)


def main(argv: list[str]) -> int:
    command, rest = (argv[0], argv[1:]) if argv else ("help", [])
    if command == "lab":
        # The landing page, so the browser opens on the start page rather than an empty launcher.
        return run(["-m", "jupyterlab", f"--LabApp.default_url=/lab/tree/{START_PAGE}", *rest])
    if command == "test":
        return run(["-m", "pytest", "--nbval", "--nbval-current-env", "-p", "no:cacheprovider", *rest])
    if command == "notebooks":
        notebooks = rest or sorted(str(p.relative_to(ROOT)) for p in (ROOT / "notebooks").glob("*.ipynb"))
        # No timing metadata, so re-running an unchanged notebook leaves the file unchanged.
        return run(["-m", "nbconvert", "--to", "notebook", "--execute", "--inplace",
                    "--ExecutePreprocessor.record_timing=False", *notebooks])
    print(__doc__)
    return 0 if command in {"help", "-h", "--help"} else 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
