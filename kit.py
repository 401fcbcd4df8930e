"""Set up the crmlab kit and run it: one file, standard library only.

    python kit.py lab         set up what is missing, open JupyterLab on the start page
    python kit.py test        set up what is missing, run every test (unit tests and notebooks)
    python kit.py test --unit the unit tests and docstring examples only (a fast loop)
    python kit.py notebooks   re-execute every notebook in place (after changing crmlab)
    python kit.py book        the notebooks as a searchable website in build/book (not re-executed)

The first run creates a virtual environment in .venv and installs the kit
into it at the versions in constraints.txt (a few minutes); later runs check a
fingerprint of pyproject.toml and constraints.txt and start at once. Works the
same with `python`, `python3` or `py` on Linux, macOS and Windows, with
Python 3.11, 3.12 or 3.13; extra arguments are passed on
(`python kit.py test -k rfm`).
"""
# This file must still parse on an old Python (even 2.7), so that such a Python
# gets the explanation below instead of a SyntaxError: no f-strings, no annotations.
import hashlib
import os
import platform
import shutil
import subprocess
import sys
import textwrap

ROOT = os.path.dirname(os.path.abspath(__file__))
VENV = os.path.join(ROOT, ".venv")
STAMP = os.path.join(VENV, "crmlab-installed.txt")
START_PAGE = "notebooks/00_start_here.ipynb"
# The Python versions the kit is tested on; pyproject.toml, environment.yml and
# the README say the same (tests/test_packaging.py checks it).
OLDEST, NEWEST = (3, 11), (3, 13)
SUPPORTED = "Python %d.%d to %d.%d" % (OLDEST + NEWEST)
# The test command: unit tests, docstring examples, and every notebook's stored outputs
# compared by nbval; `test --unit` leaves out everything that executes a notebook.
PYTEST_OPTIONS = ["--doctest-modules", "--nbval", "--nbval-current-env", "-p", "no:cacheprovider"]
UNIT_OPTIONS = ["--doctest-modules", "-p", "no:cacheprovider", "-m", "not notebooks"]
# The book: the notebooks with their stored outputs as a static website (configuration in book/).
BOOK_DIR = os.path.join("build", "book")
BOOK_DOCTREES = os.path.join("build", "book-doctrees")


def stop(message):
    """End with one readable paragraph instead of a traceback."""
    sys.stderr.write("\n" + textwrap.fill(" ".join(message.split()), 79) + "\n")
    sys.exit(1)


def check_interpreter():
    here = "this is Python %s (%s)" % (platform.python_version(), sys.executable)
    if not OLDEST <= sys.version_info[:2] <= NEWEST:
        stop("crmlab needs %s, and %s. Install Python %d.%d (python.org/downloads, or your system's"
             " package manager), then run this command again with it, for example `python%d.%d kit.py test`"
             " (on Windows: `py -%d.%d kit.py test`)." % ((SUPPORTED, here) + NEWEST * 3))
    try:
        import ensurepip  # noqa: F401  (Debian and Ubuntu ship it in a separate package)
    except ImportError:
        stop("This Python cannot create virtual environments with pip (%s). On Debian or Ubuntu install"
             " the missing package with `sudo apt install python3-venv`, then run this command again." % here)


def venv_python():
    return os.path.join(VENV, "Scripts", "python.exe") if os.name == "nt" else os.path.join(VENV, "bin", "python")


def venv_version():
    """The Python version .venv was made with, or None when there is no usable .venv."""
    try:
        with open(os.path.join(VENV, "pyvenv.cfg")) as cfg:
            for line in cfg:
                key, _, value = line.partition("=")
                if key.strip() in ("version", "version_info"):
                    return value.strip()
    except OSError:
        return None
    return None


def fingerprint():
    # Reinstall when the declared or pinned dependencies or the environment's Python change, and only then.
    digest = hashlib.sha256()
    for name in ("pyproject.toml", "constraints.txt"):
        with open(os.path.join(ROOT, name), "rb") as f:
            digest.update(f.read())
    digest.update(str(venv_version()).encode())
    return digest.hexdigest()


def read_stamp():
    try:
        with open(STAMP) as f:
            return f.read()
    except OSError:
        return None


def pip_install(python, args, what):
    """Run pip; on failure show its last lines and say what to do, without a traceback."""
    command = [python, "-m", "pip", "--disable-pip-version-check", "install"] + args
    result = subprocess.run(command, cwd=ROOT, stderr=subprocess.PIPE, universal_newlines=True)
    if result.returncode == 0:
        return
    tail = [line for line in result.stderr.splitlines() if line.strip()][-6:]
    sys.stderr.write("\n".join(tail) + "\n")
    offline = any(sign in result.stderr for sign in (
        "NewConnectionError", "Failed to establish a new connection", "Temporary failure in name resolution",
        "Name or service not known", "Network is unreachable", "ProxyError", "ConnectTimeout",
        "Read timed out", "getaddrinfo failed", "from versions: none"))
    if offline:
        stop("Installing %s failed because the Python package index could not be reached (pip's last lines"
             " are above). The first run downloads about 300 MB. Connect to the internet (or set a proxy, or a"
             " package index mirror with `pip config set global.index-url <mirror URL>`), then run the same"
             " command again: it picks up where it stopped." % what)
    stop("Installing %s failed (pip's last lines are above: they name the package). Run the same command"
         " again once the cause is fixed; if it keeps failing, delete the .venv folder, try once more, and"
         " report the error with the output of `python --version` (%s is supported)." % (what, SUPPORTED))


def ensure_environment():
    check_interpreter()
    import venv

    python = venv_python()
    made_with = venv_version()
    if made_with is not None and made_with != platform.python_version():
        print("The environment in .venv was made with Python %s; making a new one for Python %s ..."
              % (made_with, platform.python_version()))
    if made_with != platform.python_version() or not os.path.exists(python):
        print("Creating a virtual environment in %s ..." % VENV)
        sys.stdout.flush()
        try:
            venv.EnvBuilder(with_pip=True, clear=True).create(VENV)
        except (OSError, subprocess.CalledProcessError) as error:
            stop("Could not create the virtual environment in %s (%s). Check that the folder is writable and"
                 " the disk is not full, delete .venv, and run the command again." % (VENV, error))
    if read_stamp() == fingerprint():
        return python
    print("Installing crmlab and its dependencies (first run only) ...")
    sys.stdout.flush()
    pip_install(python, ["--upgrade", "pip", "--constraint", "constraints.txt"], "pip")
    # constraints.txt pins the tested versions, so every machine computes the same outputs.
    pip_install(python, ["--editable", ".[test]", "--constraint", "constraints.txt"], "crmlab's dependencies")
    with open(STAMP, "w") as f:
        f.write(fingerprint())
    return python


def run(args):
    python = ensure_environment()
    return subprocess.call([python] + args, cwd=ROOT)


def book_arguments(out_dir, doctree_dir):
    """The arguments, after the Python, of the command that builds the book into out_dir.

    sphinx-build reads the whole repository folder with the configuration in book/ (which keeps to
    book/ and notebooks/), from scratch each time (-E), and fails on any warning (-W), including
    a broken cross-reference (-n); tests/test_book.py builds the book with the same arguments.
    """
    return ["-m", "sphinx", "-b", "html", "-E", "-W", "--keep-going", "-n", "-q",
            "-c", "book", "-d", doctree_dir, ".", out_dir]


def build_book(rest):
    out_dir = os.path.join(ROOT, BOOK_DIR)
    if os.path.isdir(out_dir):
        shutil.rmtree(out_dir)  # no page of a notebook that was renamed or removed stays behind
    code = run(book_arguments(BOOK_DIR, BOOK_DOCTREES) + rest)
    if code == 0:
        print("The book is in %s: open %s in a web browser." % (BOOK_DIR, os.path.join(BOOK_DIR, "index.html")))
    return code


def main(argv):
    command, rest = (argv[0], argv[1:]) if argv else ("help", [])
    if command == "lab":
        # The landing page, so the browser opens on the start page rather than an empty launcher.
        return run(["-m", "jupyterlab", "--LabApp.default_url=/lab/tree/" + START_PAGE] + rest)
    if command == "test":
        if "--unit" in rest:
            return run(["-m", "pytest"] + UNIT_OPTIONS + [a for a in rest if a != "--unit"])
        return run(["-m", "pytest"] + PYTEST_OPTIONS + rest)
    if command == "notebooks":
        return run([os.path.join("tools", "execute_notebooks.py")] + rest)
    if command == "book":
        return build_book(rest)
    print(__doc__)
    return 0 if command in ("help", "-h", "--help") else 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
