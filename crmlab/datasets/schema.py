"""The data dictionary (数据字典) of the sample company, read from ``dictionary/tables.csv`` and
``dictionary/columns.csv`` beside this module.

One source serves three purposes: the generator writes exactly these columns
in this order, the loaders type and check files against them, and
``datasets/README.md`` shows them to readers (a test keeps the three in step).
"""
from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Column:
    """One column of the data dictionary: its name, kind, unit, Chinese name, meaning and allowed levels.

    ``kind`` is one of ``str``, ``int``, ``float``, ``bool``, ``datetime``, ``date``,
    ``category``; ``levels`` lists the values a category column may hold, in a meaningful order.

    Examples
    --------
    >>> tier = Column("city_tier", "int", "tier", "城市等级", "1 = first-tier city ... 4 = fourth tier.")
    >>> tier.name, tier.kind, tier.levels
    ('city_tier', 'int', ())
    >>> TABLES["orders"].columns[-1].levels      # the order status, a category
    ('completed', 'returned', 'cancelled')
    """

    name: str
    kind: str  # str, int, float, bool, datetime, date, category
    unit: str
    zh: str
    text: str
    levels: tuple = ()  # allowed values of a category column, in a meaningful order


@dataclass(frozen=True)
class Table:
    """One table of the data dictionary: name, Chinese name, meaning, its columns (:class:`Column`) in
    file order, whether it is planted truth, and the data folder it is written to.

    Examples
    --------
    >>> visits = Table("visits", "到店记录", "One row per store visit.", (
    ...     Column("visit_id", "str", "", "到店编号", "Key, V + 6 digits."),
    ...     Column("channel", "category", "", "渠道", "Where the customer came in.", ("store", "web"))))
    >>> visits.column_names, visits.folder, visits.truth
    (['visit_id', 'channel'], 'retail', False)
    >>> len(TABLES["stores"].columns)
    6
    """

    name: str
    zh: str
    text: str
    columns: tuple
    truth: bool = False  # planted truth, kept apart from what students analyse
    folder: str = field(default="retail")

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]


def _read_dictionary(folder: Path) -> dict[str, Table]:
    """The tables of ``folder/tables.csv`` with their columns from ``folder/columns.csv``, in file order
    (levels of a category column are written ``a|b|c``)."""
    with open(folder / "columns.csv", encoding="utf-8", newline="") as f:
        columns = list(csv.DictReader(f))
    with open(folder / "tables.csv", encoding="utf-8", newline="") as f:
        return {t["table"]: Table(t["table"], t["zh"], t["text"],
                                  tuple(Column(c["column"], c["kind"], c["unit"], c["zh"], c["text"],
                                               tuple(c["levels"].split("|")) if c["levels"] else ())
                                        for c in columns if c["table"] == t["table"]),
                                  truth=t["truth"] == "true", folder=t["folder"])
                for t in csv.DictReader(f)}


#: Every table of the sample data by name; the text lives in ``dictionary/*.csv`` beside this module.
TABLES = _read_dictionary(Path(__file__).with_name("dictionary"))


def _levels(table: str, column: str) -> tuple:
    return next(c.levels for c in TABLES[table].columns if c.name == column)


# The levels the generators draw from, named once here and taken from the dictionary.
CHANNELS = _levels("orders", "channel")
CATEGORIES = _levels("products", "category")
SEGMENTS = _levels("customer_truth", "segment")
SAT_LEVELS = _levels("customer_truth", "satisfaction_level")
LOYALTY_TYPES = _levels("customer_truth", "loyalty_type")
OUTCOMES = _levels("complaints", "outcome")
SOURCES = _levels("identity_map", "source")
# The airline case (航空公司客户价值分析): the five customer classes of the textbook.
AIRLINE_CLASSES = _levels("airline_member_truth", "planted_class")
AIRLINE_DIRT = _levels("airline_member_truth", "dirt")
SERVQUAL_DIMENSIONS = {  # SERVQUAL items 1-22 by dimension (Parasuraman et al. 1988)
    "tangibles": range(1, 5),
    "reliability": range(5, 10),
    "responsiveness": range(10, 14),
    "assurance": range(14, 18),
    "empathy": range(18, 23),
}


def markdown_table(table: Table) -> str:
    """The dictionary of one table as a Markdown table (how ``datasets/README.md`` shows it).

    Examples
    --------
    >>> visits = Table("visits", "到店记录", "One row per store visit.", (
    ...     Column("visit_id", "str", "", "到店编号", "Key, V + 6 digits."),
    ...     Column("channel", "category", "", "渠道", "Where the customer came in.", ("store", "web"))))
    >>> print(markdown_table(visits))
    | column | 中文 | type | unit | meaning |
    |---|---|---|---|---|
    | `visit_id` | 到店编号 | str |  | Key, V + 6 digits. |
    | `channel` | 渠道 | category: store, web |  | Where the customer came in. |
    """
    lines = ["| column | 中文 | type | unit | meaning |", "|---|---|---|---|---|"]
    for c in table.columns:
        kind = c.kind + (": " + ", ".join(c.levels) if c.levels else "")
        lines.append(f"| `{c.name}` | {c.zh} | {kind} | {c.unit} | {c.text} |")
    return "\n".join(lines)


def render_dictionary(text: str) -> str:
    """Replace every ``<!-- columns: NAME -->`` ... ``<!-- /columns -->`` block in ``text``
    with the current dictionary of table NAME.

    Examples
    --------
    >>> text = "# Stores\\n<!-- columns: stores -->\\n(out of date)\\n<!-- /columns -->\\nMore text."
    >>> print(render_dictionary(text))
    # Stores
    <!-- columns: stores -->
    | column | 中文 | type | unit | meaning |
    |---|---|---|---|---|
    | `store_id` | 门店编号 | str |  | Key, S + 2 digits. |
    | `store_name` | 门店名称 | str |  | Store name (Chinese). |
    | `city` | 城市 | str |  | City of the store. |
    | `city_tier` | 城市等级 | int | tier | 1 = first-tier city ... 4 = fourth tier. |
    | `region` | 区域 | category: north, east, south, central, west |  | Sales region. |
    | `opened_date` | 开业日期 | date |  | Opening date. |
    <!-- /columns -->
    More text.
    """
    import re

    def block(match):
        return f"<!-- columns: {match.group(1)} -->\n{markdown_table(TABLES[match.group(1)])}\n<!-- /columns -->"

    return re.sub(r"<!-- columns: (\w+) -->.*?<!-- /columns -->", block, text, flags=re.S)
