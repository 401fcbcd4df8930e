"""Rewrite the column tables of datasets/README.md from the data dictionary
(crmlab/datasets/dictionary/tables.csv and columns.csv, read by crmlab/datasets/schema.py),
and its CRM database section from the schema (crmlab/crm_system.py).

Run after changing the dictionary:  python tools/update_data_dictionary.py
(tests/test_datasets.py fails while the README is out of date).
"""
from pathlib import Path

from crmlab.crm_system import render_schema
from crmlab.datasets.schema import render_dictionary

path = Path(__file__).resolve().parents[1] / "datasets" / "README.md"
path.write_text(render_schema(render_dictionary(path.read_text(encoding="utf-8"))), encoding="utf-8")
print(f"updated {path}")
