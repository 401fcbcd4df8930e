"""How crmlab's modules depend on each other: only through public names.

A module may import a private *module* (``crmlab._intervals``), but never a
name that another module keeps private (``from crmlab.generator import _ids``):
such a name can change without notice, and two modules sharing it means the
helper belongs in a shared module under a public name.
"""
import ast
from pathlib import Path

import crmlab

PACKAGE = Path(crmlab.__file__).resolve().parent


def _private_names_imported(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module != "__future__":
            for alias in node.names:
                if alias.name.startswith("_") and not _is_module(f"{node.module}.{alias.name}"):
                    yield f"{path.relative_to(PACKAGE.parent)}:{node.lineno}: from {node.module} import {alias.name}"
        elif isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__"):
            # module._name, where the module is a crmlab module imported by name (not self._x)
            if isinstance(node.value, ast.Name) and node.value.id in _crmlab_modules_imported(tree):
                yield f"{path.relative_to(PACKAGE.parent)}:{node.lineno}: {node.value.id}.{node.attr}"


def _is_module(dotted: str) -> bool:
    path = PACKAGE.parent.joinpath(*dotted.split("."))
    return path.with_suffix(".py").exists() or (path / "__init__.py").exists()


def _crmlab_modules_imported(tree):
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("crmlab"):
            names |= {alias.asname or alias.name for alias in node.names}
        elif isinstance(node, ast.Import):
            names |= {alias.asname or alias.name for alias in node.names if alias.name.startswith("crmlab")}
    return names


def test_no_module_uses_another_modules_private_names():
    found = [hit for path in sorted(PACKAGE.rglob("*.py")) for hit in _private_names_imported(path)]
    assert not found, "private names used across modules (give them a public name in a shared module):\n" + "\n".join(found)


def test_the_scan_sees_a_private_import(tmp_path, monkeypatch):
    package = tmp_path / "crmlab"
    package.mkdir()
    monkeypatch.setattr("test_layering.PACKAGE", package)
    (package / "_people.py").write_text("def join(a): return a\n")
    bad = package / "demo.py"
    bad.write_text("from crmlab.generator import _ids\nfrom crmlab import _people\nx = _people._join(1) + _people.join(2)\n")
    hits = list(_private_names_imported(bad))
    assert len(hits) == 2 and "import _ids" in hits[0] and "_people._join" in hits[1]


def _public_functions_and_classes():
    import importlib
    import inspect
    import pkgutil

    for info in pkgutil.walk_packages(crmlab.__path__, "crmlab."):
        if any(part.startswith("_") for part in info.name.split(".")[1:]):
            continue  # private modules: their names serve the package, not the student
        module = importlib.import_module(info.name)
        names = getattr(module, "__all__", None) or [n for n in vars(module) if not n.startswith("_")]
        for name in names:
            obj = getattr(module, name, None)
            if (inspect.isfunction(obj) or inspect.isclass(obj)) and obj.__module__ == module.__name__:
                yield f"{info.name}.{name}", obj


def test_every_public_function_and_class_has_an_example_that_the_test_command_runs():
    lacking = [name for name, obj in _public_functions_and_classes() if ">>>" not in (obj.__doc__ or "")]
    assert not lacking, "public names without an Examples section (run with --doctest-modules):\n" + "\n".join(lacking)
