"""crmlab — the helper package of the crmlab teaching kit for Customer
Relationship Management (客户关系管理) courses.

Each module is one idea of the course, so that a student can guess where it
lives:

- data: ``crmlab.datasets`` (``load_data``, ``list_tables``, ``load_truth``;
  ``data_folder`` says where they are read from),
  ``crmlab.generator`` (``generate``, ``generate_airline``: the sample
  companies and their planted truth), ``crmlab.transactions`` (purchases
  from orders, one stated rule for returns and cancellations);
- ch3 识别客户: ``fields`` (cleaning names, phones, e-mails, ID numbers),
  ``identify`` (single customer view), ``quality``, ``lifecycle``,
  ``privacy``;
- ch4 区分客户: ``pareto`` (80/20, Gini, ABC), ``rfm``, ``airline`` (LRFMC),
  ``clv`` (CLV formulas, BG/NBD, Pareto/NBD, Gamma-Gamma), ``value``;
- ch5 客户互动: ``touchpoints``, ``interaction_plan``, ``campaigns``,
  ``complaints``; ch6 客户个性化: ``needs``, ``recommend``, ``customisation``;
- ch7 客户关系测评与维护: ``satisfaction``, ``loyalty``, ``retention``;
- ch10 数据挖掘: ``mining`` (churn prediction with a split in time, gains and lift);
- ch11–12 客户关系管理能力与实施: ``capability`` (a scorecard built from the above);
- figures: ``crmlab.theme`` (``use_theme()``: readable figures with Chinese
  labels on any machine; ``projector_mode()``: large, high-contrast figures and widgets for class) and ``crmlab.plots`` (charts and classroom widgets).

Shared by all of them: ``crmlab.validation`` (the input checks and their
messages, the one time-unit table, the purchases of an analysis period). One
vocabulary throughout: a transaction log is described by ``customer_col``,
``time_col`` and ``amount_col``; ``as_of`` is the analysis date, the day after
the last day analysed (exclusive); ``time_unit`` names the unit of a duration.

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
    "projector_mode": "crmlab.theme",
    "read_transactions": "crmlab.exports",
    "read_customers": "crmlab.exports",
    "read_contacts": "crmlab.exports",
}

__all__ = [*_LAZY, "__version__"]


def __getattr__(name):
    # PEP 562: import the module behind a public name on first use only.
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'crmlab' has no attribute {name!r}")


def __dir__():
    return sorted(__all__)
