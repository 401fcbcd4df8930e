"""The kit installs as the README says: dependencies in step, CI runs the README's command."""
import re
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _requirement(spec: str):
    name, rest = re.match(r"\s*([A-Za-z0-9_.\-]+)\s*(.*)", spec).groups()
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


def test_ci_runs_exactly_the_readme_test_command():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    commands = re.findall(r"^python kit\.py (\w+)\s*$", readme, flags=re.M)
    assert commands[:2] == ["lab", "test"], "README quick start must show the two commands"
    ci = (ROOT / ".ci" / "run").read_text()
    assert re.search(r"^exec python3 kit\.py test\s*$", ci, flags=re.M)


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


def test_constraints_pin_every_declared_dependency_within_its_range():
    from packaging.specifiers import SpecifierSet

    pins = dict(line.lower().split("==") for line in (ROOT / "constraints.txt").read_text().splitlines()
                if line and not line.startswith("#"))
    declared, _ = _pyproject()
    for name, spec in declared.items():
        assert name in pins, f"{name} is not pinned in constraints.txt"
        assert pins[name] in SpecifierSet(spec), f"{name}=={pins[name]} is outside {spec}"
