"""crmlab — the helper package of the crmlab teaching kit for Customer
Relationship Management (客户关系管理) courses.

Each module is one idea of the course, so that a student can guess where it
lives:

- ``crmlab.datasets``  load the sample company, the airline case and CDNOW
  (``load_data``, ``list_tables``), typed and checked against the data dictionary;
- ``crmlab.generator`` the seeded generator of the sample company and its
  planted truth (``generate``);
- ``crmlab.theme``     one call, ``use_theme()``, for readable figures with
  Chinese labels that render on any machine.

``import crmlab`` is light: the heavy libraries load only when a function
that needs them is first used.
"""
from importlib import import_module

__version__ = "0.1.0"

_LAZY = {
    "load_data": "crmlab.datasets",
    "load_truth": "crmlab.datasets",
    "list_tables": "crmlab.datasets",
    "generate": "crmlab.generator",
    "use_theme": "crmlab.theme",
}

__all__ = [*_LAZY, "__version__"]


def __getattr__(name):
    # PEP 562: import the module behind a public name on first use only.
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'crmlab' has no attribute {name!r}")


def __dir__():
    return sorted(__all__)
