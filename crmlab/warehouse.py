"""The sample company's data warehouse (数据仓库): a star schema and OLAP queries on it.

Chapter 9 separates operational CRM (操作型CRM: the system that records orders
and contacts, :mod:`crmlab.crm_system`) from analytical CRM (分析型CRM), which
reads a data warehouse built for questions such as "revenue by month and
region". This module builds that warehouse inside the CRM database itself and
queries it:

- :func:`build_star_schema`: the star schema (星型模式) — two fact tables
  (事实表: ``fact_order_line``, ``fact_contact``) in the middle, each row one
  event with its measures (度量), and the dimension tables (维度表:
  ``dim_date``, ``dim_customer``, ``dim_product``, ``dim_store``,
  ``dim_channel``) around them, each row one member of a dimension with its
  attributes. It is the ETL step (抽取-转换-加载): SQL statements that the
  database runs, in one transaction; :func:`star_schema_sql` shows them;
- :func:`olap`: online analytical processing (联机分析处理, OLAP) — one GROUP BY
  query on the star, by any levels (层级) of the dimensions, with slice (切片:
  one value of a level) and dice (切块: several values) in ``where``;
  :func:`olap_sql` shows the query;
- :func:`roll_up` (上卷) and :func:`drill_down` (下钻) move along the
  :data:`HIERARCHIES` of a dimension; :func:`pivot` (旋转/透视) turns a result
  into a cross table with totals.

Counts and amounts follow the kit's one rule for sales
(:func:`crmlab.transactions.purchases`): only completed orders are sales;
returned and cancelled orders are not in ``fact_order_line``.

Examples
--------
>>> import tempfile, pathlib
>>> from crmlab.crm_system import build_database
>>> url = "sqlite:///" + str(pathlib.Path(tempfile.mkdtemp()) / "crm.sqlite")
>>> _ = build_database(url)
>>> build_star_schema(url).loc[["fact_order_line", "fact_contact"], "rows"].tolist()
[43599, 20594]
>>> olap(url, by=["year"])
   year     revenue  orders  customers
0  2023  1293314.34    5035       2202
1  2024  2842967.60   10079       4032
2  2025  4034769.46   14683       5668
"""
from __future__ import annotations

from contextlib import contextmanager

import pandas as pd
import sqlalchemy as sa

from crmlab.crm_system import database_engine, metadata as crm_metadata
from crmlab.datasets.schema import TABLES
from crmlab.rfm import SEGMENTS, rfm_from_orders, rfm_scores, rfm_segments
from crmlab.touchpoints import CHANNEL_ZH
from crmlab.validation import CrmlabInputError, as_date, require_option

__all__ = ["STAR", "FACTS", "LEVELS", "MEASURES", "HIERARCHIES", "NO_PURCHASE", "build_star_schema", "star_schema_sql",
           "olap", "olap_query", "olap_frame", "olap_sql", "roll_up", "drill_down", "pivot"]

#: The segment of a customer without any purchase (RFM describes buyers only).
NO_PURCHASE = ("no_purchase", "未购买")
_ORDER_CHANNEL_ZH = {"store": "门店", "web": "网站", "app": "App", "callcentre": "呼叫中心"}

#: The star schema's tables: dimensions first, then the facts that refer to them.
STAR = sa.MetaData()
sa.Table("dim_date", STAR,
         sa.Column("date_key", sa.Integer, primary_key=True, autoincrement=False, comment="日期键: yyyymmdd."),
         sa.Column("date", sa.Date, nullable=False, unique=True, comment="日期"),
         sa.Column("year", sa.Integer, nullable=False, comment="年"),
         sa.Column("quarter", sa.String, nullable=False, comment="季度: 'YYYY-Qn'."),
         sa.Column("month", sa.String, nullable=False, comment="月: 'YYYY-MM'."),
         sa.Column("weekday", sa.Integer, nullable=False, comment="星期: 1 = Monday ... 7 = Sunday."),
         comment="日期维度: one row per calendar day from the first to the last day of the data.")
sa.Table("dim_customer", STAR,
         sa.Column("customer_id", sa.String, primary_key=True, comment="客户编号"),
         *(sa.Column(name, kind, comment=zh) for name, kind, zh in (
             ("city", sa.String, "城市"), ("city_tier", sa.Integer, "城市等级"), ("membership_tier", sa.String, "会员等级"),
             ("signup_channel", sa.String, "注册渠道"), ("gender", sa.String, "性别"), ("birth_year", sa.Integer, "出生年份"))),
         sa.Column("segment", sa.String, nullable=False,
                   comment="RFM客户细分: the customer's RFM segment (crmlab.rfm) the day after the last order."),
         sa.Column("segment_zh", sa.String, nullable=False, comment="客户细分 (中文)"),
         comment="客户维度: one row per customer, with the RFM segment computed by the analysis.")
sa.Table("dim_product", STAR,
         sa.Column("product_id", sa.String, primary_key=True, comment="商品编号"),
         sa.Column("product_name", sa.String, nullable=False, comment="商品名称"),
         sa.Column("category", sa.String, nullable=False, comment="品类"),
         sa.Column("category_zh", sa.String, comment="品类 (中文)"),
         sa.Column("subcategory", sa.String, comment="子品类"),
         comment="商品维度: one row per product.")
sa.Table("dim_store", STAR,
         sa.Column("store_key", sa.String, primary_key=True, comment="门店键: the store id, or 'online'."),
         sa.Column("store_name", sa.String, nullable=False, comment="门店名称"),
         sa.Column("city", sa.String, nullable=False, comment="城市"),
         sa.Column("city_tier", sa.Integer, comment="城市等级"),
         sa.Column("region", sa.String, nullable=False, comment="区域"),
         comment="门店维度: one row per store, and 'online' for every order placed without a store.")
sa.Table("dim_channel", STAR,
         sa.Column("channel", sa.String, primary_key=True, comment="渠道"),
         sa.Column("channel_zh", sa.String, nullable=False, comment="渠道 (中文)"),
         comment="渠道维度: the sales channels of orders and the contact channels of interactions.")
sa.Table("fact_order_line", STAR,
         sa.Column("order_id", sa.String, primary_key=True, comment="订单编号"),
         sa.Column("line_no", sa.Integer, primary_key=True, autoincrement=False, comment="行号"),
         sa.Column("date_key", sa.Integer, sa.ForeignKey("dim_date.date_key"), nullable=False, comment="日期键"),
         sa.Column("customer_id", sa.String, sa.ForeignKey("dim_customer.customer_id"), nullable=False, comment="客户编号"),
         sa.Column("product_id", sa.String, sa.ForeignKey("dim_product.product_id"), nullable=False, comment="商品编号"),
         sa.Column("store_key", sa.String, sa.ForeignKey("dim_store.store_key"), nullable=False, comment="门店键"),
         sa.Column("channel", sa.String, sa.ForeignKey("dim_channel.channel"), nullable=False, comment="渠道"),
         sa.Column("quantity", sa.Integer, nullable=False, comment="数量"),
         sa.Column("revenue", sa.Float, nullable=False, comment="销售额: the line's net amount, CNY."),
         sa.Column("cost", sa.Float, comment="成本, CNY."),
         sa.Column("margin", sa.Float, comment="毛利: revenue - cost, CNY."),
         comment="订单明细事实: one row per line of a completed order.")
sa.Table("fact_contact", STAR,
         sa.Column("interaction_id", sa.String, primary_key=True, comment="联系编号"),
         sa.Column("date_key", sa.Integer, sa.ForeignKey("dim_date.date_key"), nullable=False, comment="日期键"),
         sa.Column("customer_id", sa.String, sa.ForeignKey("dim_customer.customer_id"), nullable=False, comment="客户编号"),
         sa.Column("channel", sa.String, sa.ForeignKey("dim_channel.channel"), nullable=False, comment="渠道"),
         sa.Column("purpose", sa.String, comment="联系目的"),
         sa.Column("initiated_by", sa.String, comment="发起方: company or customer."),
         sa.Column("campaign_id", sa.String, comment="营销活动编号"),
         sa.Column("cost", sa.Float, comment="成本, CNY."),
         sa.Column("responded", sa.Boolean, comment="是否响应: recorded for contacts the company started."),
         comment="联系事实: one row per contact with a customer (联系记录).")
# The staging area (暂存区) of the ETL: the RFM segments computed in pandas, joined into dim_customer.
_STAGE = sa.Table("stage_rfm_segment", sa.MetaData(),
                  sa.Column("customer_id", sa.String, primary_key=True),
                  sa.Column("segment", sa.String, nullable=False),
                  sa.Column("segment_zh", sa.String, nullable=False))

#: The OLAP facts: the name :func:`olap` takes → the fact table.
FACTS = {"order_lines": "fact_order_line", "contacts": "fact_contact"}

#: The levels :func:`olap` groups and filters by: level → (table, column, Chinese name).
#: ``city`` and ``region`` are the store's (where it was sold); ``city_tier`` is the customer's.
LEVELS = {
    "year": ("dim_date", "year", "年"), "quarter": ("dim_date", "quarter", "季度"),
    "month": ("dim_date", "month", "月"), "date": ("dim_date", "date", "日"),
    "weekday": ("dim_date", "weekday", "星期"),
    "region": ("dim_store", "region", "区域"), "city": ("dim_store", "city", "城市"),
    "store": ("dim_store", "store_name", "门店"),
    "channel": ("dim_channel", "channel", "渠道"),
    "segment": ("dim_customer", "segment", "客户细分"), "membership_tier": ("dim_customer", "membership_tier", "会员等级"),
    "city_tier": ("dim_customer", "city_tier", "城市等级"),
    "category": ("dim_product", "category", "品类"), "subcategory": ("dim_product", "subcategory", "子品类"),
    "product": ("dim_product", "product_name", "商品"),
    "purpose": ("fact_contact", "purpose", "联系目的"), "initiated_by": ("fact_contact", "initiated_by", "发起方"),
    "campaign": ("fact_contact", "campaign_id", "营销活动"),
}

#: The hierarchies (层次) of the dimensions, coarsest level first.
HIERARCHIES = {"time": ("year", "quarter", "month", "date"), "geography": ("region", "city", "store"),
               "product": ("category", "subcategory", "product")}


def _sum(column):
    return lambda f: sa.func.sum(f.c[column])


def _company(f, condition):
    # response rates count the contacts the company started, as crmlab.touchpoints does
    return sa.func.count(sa.case(((f.c.initiated_by == "company") & condition, 1)))


#: The measures of each fact: name → (Chinese name, SQL aggregate of the fact table ``f``).
MEASURES = {
    "order_lines": {
        "revenue": ("销售额", _sum("revenue")), "cost": ("成本", _sum("cost")), "margin": ("毛利", _sum("margin")),
        "quantity": ("数量", _sum("quantity")), "lines": ("订单行数", lambda f: sa.func.count()),
        "orders": ("订单数", lambda f: sa.func.count(sa.distinct(f.c.order_id))),
        "customers": ("客户数", lambda f: sa.func.count(sa.distinct(f.c.customer_id))),
    },
    "contacts": {
        "contacts": ("联系次数", lambda f: sa.func.count()), "cost": ("成本", _sum("cost")),
        "responses": ("响应次数", lambda f: _company(f, f.c.responded)),
        "response_rate": ("响应率", lambda f: sa.cast(_company(f, f.c.responded) * 1.0
                                                   / sa.func.nullif(_company(f, f.c.responded.is_not(None)), 0), sa.Float)),
        "customers": ("客户数", lambda f: sa.func.count(sa.distinct(f.c.customer_id))),
    },
}
_AMOUNTS = ("revenue", "cost", "margin")
# Measures whose total over a pivot's rows is not the sum of the cells (a customer or an order can be in several).
_NOT_ADDITIVE = ("orders", "customers", "response_rate")
_CRM_TABLES = ("stores", "products", "customers", "orders", "order_lines", "interactions")


@contextmanager
def _engine(url):
    """The engine for ``url``; one made here is disposed of afterwards (a caller's Engine is left open)."""
    engine = database_engine(url)
    try:
        yield engine
    finally:
        if engine is not url:
            engine.dispose()


def _require_tables(conn, names, fix: str) -> None:
    inspector = sa.inspect(conn)
    missing = [n for n in names if not inspector.has_table(n)]
    if missing:
        raise CrmlabInputError(f"{conn.engine.url.render_as_string(hide_password=True)} has no table "
                               f"{', '.join(missing)}: {fix}")


def _date_key(ts):
    # yyyymmdd as an integer: EXTRACT compiles for both databases (SQLite strftime, PostgreSQL EXTRACT)
    return sa.cast(sa.extract("year", ts) * 10000 + sa.extract("month", ts) * 100 + sa.extract("day", ts), sa.Integer)


def _data_levels(table: str, column: str) -> tuple:
    return next(c.levels for c in TABLES[table].columns if c.name == column)


def _statements():
    """The ETL as (comment, statement, rows) in the order it runs; ``rows`` names data made in pandas."""
    t, s = crm_metadata.tables, STAR.tables
    orders, lines, stores, products, customers, interactions = (
        t[n] for n in ("orders", "order_lines", "stores", "products", "customers", "interactions"))
    channels = {**{c: _ORDER_CHANNEL_ZH[c] for c in _data_levels("orders", "channel")},
                **{c: CHANNEL_ZH[c] for c in _data_levels("interactions", "channel")}}
    online = sa.literal_column("'online'", sa.String)
    out = [(None if i else "drop the tables of an earlier build, facts before the dimensions they refer to",
            sa.schema.DropTable(table, if_exists=True), None)
           for i, table in enumerate([_STAGE, *reversed(STAR.sorted_tables)])]
    out += [(None, sa.schema.CreateTable(table), None) for table in [*STAR.sorted_tables, _STAGE]]
    out += [
        ("dim_date: a calendar made in pandas, one row per day", s["dim_date"].insert(), "calendar"),
        ("dim_channel", s["dim_channel"].insert().values([{"channel": c, "channel_zh": zh} for c, zh in channels.items()]),
         None),
        ("dim_store: the stores, and 'online' for orders without one", s["dim_store"].insert().from_select(
            ["store_key", "store_name", "city", "city_tier", "region"],
            sa.union_all(sa.select(stores.c.store_id, stores.c.store_name, stores.c.city, stores.c.city_tier,
                                   stores.c.region),
                         sa.select(online, online, online, sa.cast(sa.null(), sa.Integer).label("city_tier"),
                                   online))), None),
        ("dim_product", s["dim_product"].insert().from_select(
            ["product_id", "product_name", "category", "category_zh", "subcategory"],
            sa.select(products.c.product_id, products.c.product_name, products.c.category, products.c.category_zh,
                      products.c.subcategory)), None),
        ("staging: each buyer's RFM segment, computed in pandas by crmlab.rfm", _STAGE.insert(), "segments"),
        ("dim_customer: the customers with their segment", s["dim_customer"].insert().from_select(
            [c.name for c in s["dim_customer"].c],
            sa.select(customers.c.customer_id, customers.c.city, customers.c.city_tier, customers.c.membership_tier,
                      customers.c.signup_channel, customers.c.gender, customers.c.birth_year,
                      sa.func.coalesce(_STAGE.c.segment, NO_PURCHASE[0]).label("segment"),
                      sa.func.coalesce(_STAGE.c.segment_zh, NO_PURCHASE[1]).label("segment_zh"))
            .select_from(customers.outerjoin(_STAGE, _STAGE.c.customer_id == customers.c.customer_id))), None),
        ("fact_order_line: the lines of completed orders (returned and cancelled ones are no sales)",
         s["fact_order_line"].insert().from_select(
             [c.name for c in s["fact_order_line"].c],
             sa.select(lines.c.order_id, lines.c.line_no, _date_key(orders.c.order_ts).label("date_key"),
                       orders.c.customer_id, lines.c.product_id,
                       sa.func.coalesce(orders.c.store_id, online).label("store_key"), orders.c.channel, lines.c.quantity,
                       lines.c.net_amount.label("revenue"), lines.c.cost,
                       (lines.c.net_amount - lines.c.cost).label("margin"))
             .select_from(orders.join(lines, lines.c.order_id == orders.c.order_id))
             .where(orders.c.status == "completed")), None),
        ("fact_contact: every contact", s["fact_contact"].insert().from_select(
            [c.name for c in s["fact_contact"].c],
            sa.select(interactions.c.interaction_id, _date_key(interactions.c.interaction_ts).label("date_key"),
                      interactions.c.customer_id, interactions.c.channel, interactions.c.purpose, interactions.c.initiated_by,
                      interactions.c.campaign_id, interactions.c.cost, interactions.c.responded)), None),
        ("the staging table has done its work", sa.schema.DropTable(_STAGE), None),
    ]
    return out


def _frame(conn, query) -> pd.DataFrame:
    return pd.DataFrame(conn.execute(query).all(), columns=list(query.selected_columns.keys()))


def _calendar(conn) -> list[dict]:
    """One row of dim_date per day from the first to the last order or contact (days without sales included)."""
    t = crm_metadata.tables
    bounds = pd.concat([_frame(conn, sa.select(sa.func.min(ts).label("first"), sa.func.max(ts).label("last")))
                        for ts in (t["orders"].c.order_ts, t["interactions"].c.interaction_ts)])
    if bounds.isna().all(axis=None):
        return []
    days = pd.date_range(pd.Timestamp(bounds["first"].min()).normalize(), pd.Timestamp(bounds["last"].max()).normalize())
    return pd.DataFrame({"date_key": days.year * 10000 + days.month * 100 + days.day, "date": days.date,
                         "year": days.year, "quarter": days.strftime("%Y-Q") + days.quarter.astype(str),
                         "month": days.strftime("%Y-%m"), "weekday": days.day_of_week + 1}).to_dict("records")


def _segments(conn) -> list[dict]:
    """Each buyer's RFM segment as chapter 4 computes it, the analysis date the day after the last order."""
    orders, lines = crm_metadata.tables["orders"], crm_metadata.tables["order_lines"]
    completed = orders.c.status == "completed"  # the purchases; returned and cancelled orders would be set aside
    bought = _frame(conn, sa.select(orders.c.order_id, orders.c.customer_id, orders.c.order_ts, orders.c.channel,
                                    orders.c.status).where(completed))
    if bought.empty:
        return []
    amounts = _frame(conn, sa.select(lines.c.order_id, lines.c.net_amount, lines.c.cost).join_from(lines, orders)
                     .where(completed))
    as_of = pd.Timestamp(conn.scalar(sa.select(sa.func.max(orders.c.order_ts)))).normalize() + pd.Timedelta(days=1)
    segments = rfm_segments(rfm_scores(rfm_from_orders(bought, amounts, as_of=as_of, verbose=False)))
    return pd.DataFrame({"customer_id": segments.index, "segment": segments["segment"].astype(str),
                         "segment_zh": segments["segment_zh"]}).to_dict("records")


def build_star_schema(url) -> pd.DataFrame:
    """Build the star schema (星型模式) of the data warehouse in the CRM database.

    Creates the dimension tables (维度表) ``dim_date``, ``dim_customer``,
    ``dim_product``, ``dim_store``, ``dim_channel`` and the fact tables (事实表)
    ``fact_order_line`` (one row per line of a completed order: ``quantity``,
    ``revenue`` = the line's net amount, ``cost``, ``margin``) and
    ``fact_contact`` (one row per contact: ``cost``, ``responded``), with
    foreign keys from the facts to the dimensions (:data:`STAR`). Star tables
    of an earlier build are dropped first, so building again gives the same
    warehouse from the CRM's current records. Everything runs in one
    transaction.

    The facts and most dimensions are copied by ``INSERT ... SELECT``
    statements that the database runs itself (:func:`star_schema_sql`). Two
    come from Python: ``dim_date`` is a calendar (one row per day from the
    first to the last order or contact, days without sales included), and the
    ``segment`` of ``dim_customer`` is each customer's RFM segment
    (:func:`crmlab.rfm.rfm_segments` on quintile scores, chapter 4) as of the
    day after the last order; customers without a purchase get
    ``no_purchase`` (未购买). A warehouse integrates results of analyses like
    this one with the operational records, so that OLAP can slice sales by them.

    Parameters
    ----------
    url : str or sqlalchemy.Engine
        A CRM database built by :func:`crmlab.crm_system.build_database`.

    Returns
    -------
    DataFrame
        One row per star table, indexed by ``table``: ``zh`` (its Chinese name) and ``rows``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from crmlab.crm_system import build_database
    >>> url = "sqlite:///" + str(pathlib.Path(tempfile.mkdtemp()) / "crm.sqlite")
    >>> _ = build_database(url)
    >>> build_star_schema(url)
                         zh   rows
    table                         
    dim_date           日期维度   1096
    dim_customer       客户维度  10000
    dim_product        商品维度    180
    dim_store          门店维度     26
    dim_channel        渠道维度     10
    fact_order_line  订单明细事实  43599
    fact_contact       联系事实  20594
    """
    with _engine(url) as engine, engine.begin() as conn:
        _require_tables(conn, _CRM_TABLES, "it holds no CRM database. Build it first with "
                                           "crm_system.build_database(url), then the star schema on it.")
        data = {"calendar": _calendar(conn), "segments": _segments(conn)}
        for _, statement, rows in _statements():
            if rows is None:
                conn.execute(statement)
            elif data[rows]:
                conn.execute(statement, data[rows])
        counts = {name: conn.scalar(sa.select(sa.func.count()).select_from(table)) for name, table in STAR.tables.items()}
    return pd.DataFrame({"zh": {n: t.comment.split(":")[0] for n, t in STAR.tables.items()},
                         "rows": pd.Series(counts, dtype="int64")}).rename_axis("table")


def _compiled(statement, dialect, *, literal: bool = True) -> str:
    kwargs = {"compile_kwargs": {"literal_binds": True}} if literal else {}
    return str(statement.compile(dialect=dialect, **kwargs)).strip() + ";"


def star_schema_sql(url) -> str:
    """The SQL statements :func:`build_star_schema` runs, in the dialect of the database at ``url``.

    The two tables filled from Python (the calendar and the staging table of
    RFM segments, 暂存区) show their ``INSERT`` with placeholders for the rows.
    Only the URL's database kind matters: nothing is read.

    Examples
    --------
    >>> sql = star_schema_sql("sqlite://")
    >>> sql.count("CREATE TABLE"), sql.count("INSERT INTO")
    (8, 8)
    >>> [line for line in sql.splitlines() if line.startswith("WHERE")]
    ["WHERE orders.status = 'completed';"]
    """
    with _engine(url) as engine:
        dialect = engine.dialect
    # DDL has no values to render; the rows made in pandas stay placeholders
    return "\n\n".join((f"-- {comment}\n" if comment else "")
                       + _compiled(statement, dialect, literal=rows is None and not isinstance(statement, sa.schema.DDLElement))
                       for comment, statement, rows in _statements())


def _as_list(value) -> list:
    return [value] if isinstance(value, str) else list(value)


def _fact_levels(fact: str) -> list:
    table = STAR.tables[FACTS[fact]]
    dimensions = {fk.column.table.name for fk in table.foreign_keys}
    return [level for level, (name, _, _) in LEVELS.items() if name == table.name or name in dimensions]


def _check_level(level, fact: str, *, name: str) -> None:
    others = [f for f in FACTS if f != fact and level in _fact_levels(f)]
    fix = (f"'{level}' is a level of fact={others[0]!r}." if others else
           "Hierarchies: " + "; ".join(" > ".join(levels) for levels in HIERARCHIES.values()) + ".")
    require_option(level, _fact_levels(fact), name=name, fix=fix)


def _value(level: str, value):
    # a date given as text or a Timestamp compares with the DATE column as a date
    if level == "date":
        return as_date(value, name="where['date']").date()
    return value.item() if hasattr(value, "item") else value  # numpy scalars to what every driver takes


def olap_query(*, by, measures=("revenue", "orders", "customers"), where=None,
               fact: str = "order_lines") -> sa.Select:
    """The query :func:`olap` runs, as a SQLAlchemy ``Select`` on the tables of :data:`STAR`.

    Any database holding tables of those names and columns answers it: the
    CRM database after :func:`build_star_schema`, or DuckDB and Spark over
    files (:mod:`crmlab.engines`). Arguments as in :func:`olap`;
    :func:`olap_frame` turns its rows into :func:`olap`'s table.

    Examples
    --------
    >>> query = olap_query(by=["region"], measures=["revenue"])
    >>> [column.name for column in query.selected_columns]
    ['region', 'revenue']
    """
    require_option(fact, FACTS, name="fact")
    by, measures, where = _as_list(by), _as_list(measures), dict(where or {})
    for level in by:
        _check_level(level, fact, name="by level")
    for level in where:
        _check_level(level, fact, name="where level")
    for measure in measures:
        require_option(measure, MEASURES[fact], name="measure", fix=f"(the measures of fact={fact!r})")
    repeated = {x for x in by if by.count(x) > 1} | {x for x in measures if measures.count(x) > 1}
    if repeated:
        raise CrmlabInputError(f"{', '.join(sorted(repeated))} named twice in by or measures; name each once.")
    fact_table = STAR.tables[FACTS[fact]]
    source = fact_table
    needed = {LEVELS[level][0] for level in [*by, *where]}
    for fk in sorted(fact_table.foreign_keys, key=lambda fk: fk.parent.name):
        if fk.column.table.name in needed:  # join only the dimensions the query uses
            source = source.join(fk.column.table, fk.parent == fk.column)

    def column(level):
        table, name, _ = LEVELS[level]
        return STAR.tables[table].c[name]

    keys = [column(level).label(level) for level in by]
    conditions = [column(level).in_([_value(level, v) for v in value]) if isinstance(value, (list, tuple, set))
                  else column(level) == _value(level, value) for level, value in where.items()]
    aggregates = [MEASURES[fact][m][1](fact_table).label(m) for m in measures]
    return (sa.select(*keys, *aggregates).select_from(source).where(*conditions)
            .group_by(*(column(level) for level in by)).order_by(*keys))


def _segment_rank(values: pd.Series) -> pd.Series:
    # segments sort best first, as in crmlab.rfm.SEGMENTS, not alphabetically
    order = [key for key, *_ in SEGMENTS] + [NO_PURCHASE[0]]
    return values.map({key: rank for rank, key in enumerate(order)}) if values.name == "segment" else values


def olap(url, *, by, measures=("revenue", "orders", "customers"), where=None, fact: str = "order_lines") -> pd.DataFrame:
    """An OLAP query (联机分析处理) on the star schema: measures by levels of the dimensions.

    One ``SELECT ... GROUP BY`` that joins the fact table to the dimensions it
    needs (:func:`olap_sql` shows it). Grouping by a coarser level of a
    hierarchy is a roll-up (上卷), by a finer one a drill-down (下钻)
    (:func:`roll_up`, :func:`drill_down`).

    Parameters
    ----------
    url : str or sqlalchemy.Engine
        A CRM database with the star schema (:func:`build_star_schema`).
    by : list of str
        Levels (层级) to group by, from :data:`LEVELS`: ``year``, ``quarter``
        (``'2025-Q1'``), ``month`` (``'2025-01'``), ``date``, ``weekday``
        (1 = Monday); ``region``, ``city``, ``store`` (the store's, ``online``
        for orders without one); ``channel``; ``segment`` (RFM),
        ``membership_tier``, ``city_tier`` (the customer's); ``category``,
        ``subcategory``, ``product``; for contacts also ``purpose``,
        ``initiated_by``, ``campaign``. An empty list gives the grand total.
    measures : list of str
        For ``fact="order_lines"`` (订单明细): ``revenue``, ``cost``, ``margin``
        (CNY), ``quantity``, ``lines``, ``orders`` and ``customers`` (each
        counted once per group). For ``fact="contacts"`` (联系记录):
        ``contacts``, ``cost``, ``responses``, ``response_rate`` (responses per
        company-started contact with a recorded response) and ``customers``.
    where : dict, optional
        level → one value (a slice, 切片) or a list of values (a dice, 切块);
        the level need not be in ``by``.
    fact : {"order_lines", "contacts"}, default "order_lines"
        The fact table: the lines of completed orders, or the contacts.

    Returns
    -------
    DataFrame
        The ``by`` columns, then the measures, sorted by ``by`` (segments best
        first); amounts rounded to the cent, ``response_rate`` to 4 decimals.

    Raises
    ------
    CrmlabInputError
        An unknown fact, level or measure (the message lists the valid ones),
        or a database without the star schema.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from crmlab.crm_system import build_database
    >>> url = "sqlite:///" + str(pathlib.Path(tempfile.mkdtemp()) / "crm.sqlite")
    >>> _ = build_database(url)
    >>> _ = build_star_schema(url)
    >>> olap(url, by=["region"], measures=["revenue", "orders"], where={"year": 2025})
        region     revenue  orders
    0  central   180644.72     690
    1     east   386448.18    1512
    2    north   219374.53     757
    3   online  2841987.24   10311
    4    south   244759.16     808
    5     west   161555.63     605

    Contacts by channel, the company's only (a slice on ``initiated_by``):

    >>> olap(url, by=["channel"], measures=["contacts", "response_rate"], where={"initiated_by": "company"},
    ...      fact="contacts")
        channel  contacts  response_rate
    0  app_push      5241         0.0616
    1     email      4452         0.0222
    2       sms      6126         0.0800
    """
    query = olap_query(by=by, measures=measures, where=where, fact=fact)
    by, measures = _as_list(by), _as_list(measures)
    with _engine(url) as engine, engine.connect() as conn:
        _require_tables(conn, [t.name for t in STAR.sorted_tables],
                        "build the star schema first with warehouse.build_star_schema(url), on a database built by "
                        "crm_system.build_database(url).")
        rows = conn.execute(query).all()
    return olap_frame(rows, by=by, measures=measures)


def olap_frame(rows, *, by, measures) -> pd.DataFrame:
    """:func:`olap`'s table from the rows of :func:`olap_query`: dates as dates, amounts to the cent
    (half a cent away from zero), sorted by ``by`` (segments best first).

    Examples
    --------
    >>> olap_frame([("2025-01-02", 10.004, 3), ("2025-01-01", 0.1 + 0.2 + 26.205 - 0.3, 1)], by=["date"],
    ...            measures=["cost", "orders"])
            date   cost  orders
    0 2025-01-01  26.21       1
    1 2025-01-02  10.00       3
    """
    by, measures = _as_list(by), _as_list(measures)
    frame = pd.DataFrame(list(rows), columns=by + measures)
    if "date" in frame:
        frame["date"] = pd.to_datetime(frame["date"])
    for amount in set(_AMOUNTS) & set(frame.columns):
        # Half a cent rounds away from zero, whatever order the database added in: contact costs have
        # tenths of a cent, and a sum that is exactly x.xx5 comes out a hair above or below it.
        frame[amount] = (frame[amount].astype(float) * (1 + 1e-11)).round(2)
    frame = frame.round({"response_rate": 4})
    return frame.sort_values(by, key=_segment_rank, kind="stable", ignore_index=True) if by else frame


def olap_sql(url, *, by, measures=("revenue", "orders", "customers"), where=None, fact: str = "order_lines") -> str:
    """The SQL of the query :func:`olap` runs with the same arguments, in the dialect of the database at ``url``.

    Only the URL's database kind matters: nothing is read.

    Examples
    --------
    >>> print(olap_sql("sqlite://", by=["year"], measures=["revenue"], where={"channel": ["app", "web"]}))
    SELECT dim_date.year AS year, sum(fact_order_line.revenue) AS revenue 
    FROM fact_order_line JOIN dim_channel ON fact_order_line.channel = dim_channel.channel JOIN dim_date ON fact_order_line.date_key = dim_date.date_key 
    WHERE dim_channel.channel IN ('app', 'web') GROUP BY dim_date.year ORDER BY year;
    """
    query = olap_query(by=by, measures=measures, where=where, fact=fact)
    with _engine(url) as engine:
        return _compiled(query, engine.dialect)


def _hierarchy(by, level: str, *, doing: str) -> tuple:
    by = _as_list(by)
    if level not in by:
        raise CrmlabInputError(f"cannot {doing} {level!r}: it is not in by={by}.")
    for levels in HIERARCHIES.values():
        if level in levels:
            return by, levels
    raise CrmlabInputError(f"cannot {doing} {level!r}: it is in no hierarchy. Hierarchies: "
                           + "; ".join(" > ".join(levels) for levels in HIERARCHIES.values()) + ".")


def roll_up(by, level: str) -> list:
    """Roll up (上卷) ``level`` of ``by`` one step: the ``by`` of :func:`olap` for the coarser view.

    ``level`` becomes its parent in :data:`HIERARCHIES` (month → quarter),
    and finer levels of the same hierarchy leave ``by``; rolling up the top
    level (``year``, ``region``, ``category``) drops the dimension: totals over
    all of it. The inverse of :func:`drill_down`.

    Examples
    --------
    >>> roll_up(["month", "channel"], "month")
    ['quarter', 'channel']
    >>> roll_up(["year", "quarter"], "quarter")
    ['year']
    >>> roll_up(["region", "channel"], "region")
    ['channel']
    """
    by, levels = _hierarchy(by, level, doing="roll up")
    position = levels.index(level)
    parent = levels[position - 1] if position else None
    kept = [parent if x == level else x for x in by if x not in levels[position + 1:]]
    return list(dict.fromkeys(x for x in kept if x is not None))


def drill_down(by, level: str) -> list:
    """Drill down (下钻) from ``level`` of ``by`` one step: the ``by`` of :func:`olap` for the finer view.

    The next finer level of :data:`HIERARCHIES` is added right after
    ``level``, which stays, so that the result shows the detail within each
    member (the quarters of each year). The inverse of :func:`roll_up`.

    Examples
    --------
    >>> drill_down(["year"], "year")
    ['year', 'quarter']
    >>> drill_down(["region", "channel"], "region")
    ['region', 'city', 'channel']
    """
    by, levels = _hierarchy(by, level, doing="drill down")
    position = levels.index(level)
    if position == len(levels) - 1:
        raise CrmlabInputError(f"cannot drill down {level!r}: it is the finest level of "
                               f"{' > '.join(levels)}.")
    child = levels[position + 1]
    if child in by:
        raise CrmlabInputError(f"cannot drill down {level!r}: {child!r} is in by already; drill down {child!r}.")
    return by[:by.index(level) + 1] + [child] + by[by.index(level) + 1:]


def pivot(frame: pd.DataFrame, *, rows, columns, values: str, totals: bool = True) -> pd.DataFrame:
    """Pivot (旋转, 透视表) an :func:`olap` result: ``rows`` down, ``columns`` across, with totals.

    Parameters
    ----------
    frame : DataFrame
        A result of :func:`olap`.
    rows, columns : str or list of str
        Its level columns to put down the side and across the top.
    values : str
        The measure in the cells; cells without data are 0.
    totals : bool, default True
        Add a ``total`` row and column (sums). Refused for ``orders``,
        ``customers`` and ``response_rate``: one order or customer can fall in
        several cells, so their total is not the sum of the cells; ask
        :func:`olap` with fewer levels for it, or pass ``totals=False``.

    Examples
    --------
    >>> import pandas as pd
    >>> sales = pd.DataFrame({"year": [2024, 2024, 2025], "channel": ["app", "web", "app"],
    ...                       "revenue": [10.0, 5.5, 12.25]})
    >>> pivot(sales, rows="year", columns="channel", values="revenue")
    channel    app  web  total
    year                      
    2024     10.00  5.5  15.50
    2025     12.25  0.0  12.25
    total    22.25  5.5  27.75
    """
    if totals and values in _NOT_ADDITIVE:
        raise CrmlabInputError(f"no totals for {values!r}: one order or customer can fall in several cells, so the "
                               "total is not the sum of the cells. Ask olap(...) with fewer levels for the totals, "
                               "or pass totals=False.")
    table = frame.pivot_table(index=rows, columns=columns, values=values, aggfunc="sum", fill_value=0,
                              margins=totals, margins_name="total", observed=True)
    return table.round(2) if values in _AMOUNTS else table
