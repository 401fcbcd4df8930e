"""The kit installs as the README says: dependencies in step, CI runs the README's command."""
import glob
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from _scripts import load_script

ROOT = Path(__file__).resolve().parents[1]
kit = load_script("kit.py")


def _requirement(spec: str):
    name, rest = re.match(r"\s*([A-Za-z0-9_.\-]+)(?:\[[\w,\s]*\])?\s*(.*)", spec).groups()  # extras dropped
    return name.lower().replace("_", "-"), rest.replace(" ", "")


def _pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    deps = project["dependencies"] + [d for extra in project["optional-dependencies"].values() for d in extra]
    return dict(map(_requirement, deps)), project["requires-python"]


def _environment():
    text = (ROOT / "environment.yml").read_text().split("\ndependencies:\n", 1)[1]
    # conda packages, and the pip section's packages (all but the kit itself)
    listed = re.findall(r"^(?:  |      )- ([^\s#-][^#\n]*?)\s*(?:#.*)?$", text, flags=re.M)
    return dict(_requirement(d) for d in listed if d not in ("pip", "pip:"))


def test_environment_yml_and_pyproject_declare_the_same_dependencies():
    declared, python = _pyproject()
    env = _environment()
    assert env.pop("python") == python
    assert env == declared


def test_ci_runs_exactly_the_readme_test_command_with_the_oldest_and_newest_python():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    commands = re.findall(r"^python kit\.py (\w+)\s*$", readme, flags=re.M)
    assert commands[:2] == ["lab", "test"], "README quick start must show the two commands"
    ci = (ROOT / ".ci" / "run").read_text()
    commands = [line.strip() for line in ci.splitlines() if "kit.py" in line and not line.lstrip().startswith(("#", "echo"))]
    assert commands == ['"$python" kit.py test']
    assert re.search(r'^for python in "\$oldest" "\$newest"; do$', ci, flags=re.M)
    assert "oldest=/usr/bin/python3" in ci and "rm -rf .venv" in ci
    assert "3.%d.*/bin/python3.%d" % (kit.NEWEST[1], kit.NEWEST[1]) in ci, "CI must test the newest supported Python"


def test_the_supported_pythons_are_stated_alike_everywhere():
    oldest, newest = (".".join(map(str, v)) for v in (kit.OLDEST, kit.NEWEST))
    after = f"3.{kit.NEWEST[1] + 1}"
    declared, python = _pyproject()
    assert python == f">={oldest},<{after}"
    assert f"- python>={oldest},<{after}\n" in (ROOT / "environment.yml").read_text()
    assert f"Python {oldest} to {newest}" in (ROOT / "README.md").read_text(encoding="utf-8")


def test_import_crmlab_is_light():
    code = "import sys, crmlab; print(sorted(m for m in ('pandas', 'numpy', 'matplotlib', 'scipy', 'seaborn') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_kit_script_lists_its_commands_and_rejects_unknown_ones():
    run = lambda *a: subprocess.run([sys.executable, str(ROOT / "kit.py"), *a], capture_output=True, text=True)
    helped = run("help")
    assert helped.returncode == 0 and "python kit.py test" in helped.stdout
    assert run("tset").returncode == 2


def test_public_names_resolve_lazily():
    import crmlab

    assert callable(crmlab.load_data) and callable(crmlab.generate) and callable(crmlab.use_theme)


def _pins():
    from packaging.requirements import Requirement

    lines = (ROOT / "constraints.txt").read_text().splitlines()
    return [Requirement(line) for line in lines if line.strip() and not line.startswith("#")]


def test_constraints_pin_every_declared_dependency_within_its_range():
    from packaging.specifiers import SpecifierSet

    pins = {_requirement(str(pin))[0]: pin for pin in _pins()}
    declared, _ = _pyproject()
    for name, spec in declared.items():
        assert name in pins, f"{name} is not pinned in constraints.txt"
        version = str(pins[name].specifier).removeprefix("==")
        assert version in SpecifierSet(spec), f"{name}=={version} is outside {spec}"


def test_every_installed_package_is_pinned_at_its_version():
    """A dependency that only some Python pulls in (joblib needs cloudpickle on 3.13) must be
    pinned too, or that Python gets whatever release is newest on the day."""
    from importlib.metadata import distributions

    pinned = {_requirement(str(pin))[0]: str(pin.specifier).removeprefix("==") for pin in _pins()}
    installed = {_requirement(d.metadata["Name"])[0]: d.version for d in distributions()}
    unpinned = set(installed) - set(pinned) - {"crmlab", "setuptools", "wheel"}  # the last two: from the Python itself
    assert not unpinned, f"installed but not pinned in constraints.txt: {sorted(unpinned)}"
    # pip included: kit.py installs pip itself within the constraints
    assert {n: v for n, v in installed.items() if n in pinned and pinned[n] != v} == {}


def test_every_pin_installs_on_every_supported_python():
    """A pin whose release needs a newer Python than 3.11.0 would stop the install there
    (soupsieve 4.1.3 needs 3.11.5; Debian 12's python3 is 3.11.2)."""
    from importlib.metadata import PackageNotFoundError, metadata

    from packaging.specifiers import SpecifierSet

    supported = [f"3.{minor}.0" for minor in range(kit.OLDEST[1], kit.NEWEST[1] + 1)]
    for pin in _pins():
        assert len(pin.specifier) == 1 and str(pin.specifier).startswith("=="), f"{pin} is not an exact pin"
        try:
            requires = metadata(pin.name).get("Requires-Python", "")
        except PackageNotFoundError:  # not needed on this platform (e.g. a Windows-only dependency)
            continue
        excluded = [v for v in supported if v not in SpecifierSet(requires)]
        assert not excluded, (f"{pin} requires Python {requires}, so it does not install on Python "
                              f"{', '.join(excluded)}: pin a release that does")


def test_an_unsupported_python_gets_one_paragraph_saying_what_to_install(monkeypatch, capsys):
    monkeypatch.setattr(sys, "version_info", (3, 10, 12, "final", 0))
    with pytest.raises(SystemExit) as stopped:
        kit.check_interpreter()
    assert stopped.value.code == 1
    message = " ".join(capsys.readouterr().err.split())
    assert "crmlab needs Python 3.11 to 3.13" in message and "python3.13 kit.py test" in message
    assert "Traceback" not in message


def test_a_python_without_venv_support_is_told_the_package_to_install(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "ensurepip", None)  # as on Debian without python3-venv
    with pytest.raises(SystemExit):
        kit.check_interpreter()
    assert "sudo apt install python3-venv" in capsys.readouterr().err


def _old_pythons():
    found = sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/[23].*/bin/python[23]")))
    return [p for p in found if re.search(r"versions/(2\.|3\.([0-9]|10)\.)", p)]


@pytest.mark.parametrize("old_python", _old_pythons() or [pytest.param(None, marks=pytest.mark.skip(
    reason="no Python older than 3.11 on this machine (pyenv versions): kit.py's message for one is checked "
           "with a simulated version only"))])
def test_kit_py_on_a_real_old_python_explains_instead_of_failing(old_python):
    result = subprocess.run([old_python, str(ROOT / "kit.py"), "test"], capture_output=True, text=True)
    assert result.returncode == 1, result.stderr
    message = " ".join(result.stderr.split())
    assert "crmlab needs Python 3.11 to 3.13" in message and "Traceback" not in message


def test_a_failed_install_without_network_explains_what_to_do(capsys):
    # A package index on a closed local port stands for no network (nothing leaves the machine).
    with pytest.raises(SystemExit) as stopped:
        kit.pip_install(sys.executable, ["--index-url", "http://127.0.0.1:9/simple", "--retries", "0",
                                         "--timeout", "2", "--no-cache-dir", "crmlab-no-such-package"],
                        "crmlab's dependencies")
    assert stopped.value.code == 1
    message = " ".join(capsys.readouterr().err.split())
    assert "could not be reached" in message and "run the same command again" in message
    assert "Traceback" not in message


def test_a_venv_made_with_another_python_is_recognised_and_reinstalled(tmp_path, monkeypatch):
    monkeypatch.setattr(kit, "VENV", str(tmp_path))
    assert kit.venv_version() is None
    cfg = tmp_path / "pyvenv.cfg"
    cfg.write_text("home = /usr/bin\ninclude-system-site-packages = false\nversion = 3.11.2\n")
    assert kit.venv_version() == "3.11.2"
    before = kit.fingerprint()
    cfg.write_text("home = /usr/local/bin\ninclude-system-site-packages = false\nversion = 3.13.0\n")
    assert kit.fingerprint() != before  # the environment's Python, not the launching one, decides


def test_the_fast_loop_leaves_out_notebooks_but_runs_docstring_examples():
    assert "--doctest-modules" in kit.UNIT_OPTIONS and "--nbval" not in kit.UNIT_OPTIONS
    assert "--doctest-modules" in kit.PYTEST_OPTIONS and "--nbval" in kit.PYTEST_OPTIONS
    assert kit.UNIT_OPTIONS[kit.UNIT_OPTIONS.index("-m") + 1] == "not notebooks"
