"""The same analyses where the data live (大数据): DuckDB on one machine, Spark on a cluster.

pandas holds a table in memory; a company's hundreds of millions of order
lines do not fit. The engines here compute the chapter analyses by SQL where
the files are, and return the very DataFrames the pandas functions return:

- :class:`DuckDBEngine`: DuckDB, an analytical database inside the Python
  process (嵌入式分析数据库). It reads CSV and Parquet files in place, uses
  every core, and spills to disk when a step needs more memory than it may
  use, so 100 million order lines run on a laptop.
- :class:`SparkEngine`: Apache Spark (分布式计算), the same SQL on a cluster's
  machines (local mode on one machine for learning; it needs Java).

Both read a data folder written by :func:`crmlab.generator.generate` — CSV
files (``retail/orders.csv``) or folders of Parquet files
(``retail/orders/*.parquet``) — and offer:

==========================  =====================================================================
engine method               gives the same DataFrame as
==========================  =====================================================================
``purchases``               :func:`crmlab.transactions.purchases`
``rfm_table``               :func:`crmlab.rfm.rfm_from_orders`
``clv_summary``             :func:`crmlab.clv.summary` of the purchases
``cohort_retention``        :func:`crmlab.retention.cohort_retention` of the purchases
``olap``                    :func:`crmlab.warehouse.olap` on the star schema (facts read in place)
``sql``                     any query of your own on the tables
==========================  =====================================================================

The SQL adds the engine's parts up (per order, per customer, per cohort),
with amounts summed as exact decimals, and the kit's concept modules turn the
totals into the documented tables (:func:`crmlab.rfm.rfm_from_totals`,
:func:`crmlab.clv.summaries.summary_from_totals`,
:func:`crmlab.retention.cohort_retention_from_counts`,
:func:`crmlab.warehouse.olap_frame`), so the rules — returns, cancellations,
same-day purchases, incomplete periods — are the kit's own on every engine.

Examples
--------
>>> engine = DuckDBEngine()                      # the sample company shipped with the kit
>>> rfm = engine.rfm_table(as_of="2026-01-01")  # doctest: +ELLIPSIS
purchases: set aside 1 512 cancelled orders, 1 955 returned orders
>>> rfm[["recency_days", "frequency", "monetary"]].head(2)
             recency_days  frequency  monetary
customer_id                                   
C0000001              199          4    464.76
C0000002               21          6    518.17
"""
from __future__ import annotations

import shutil
import warnings
from contextlib import contextmanager
from pathlib import Path

import pandas as pd

from crmlab.clv.summaries import calibration_window, summary_from_totals
from crmlab.datasets import data_folder
from crmlab.datasets.schema import TABLES
from crmlab.retention import cohort_retention_from_counts
from crmlab.rfm import rfm_from_totals, rfm_scores, rfm_segments
from crmlab.transactions import RETURN_RULES
from crmlab.validation import (CrmlabInputError, as_date, report_set_aside, require_columns, require_option)
from crmlab.warehouse import NO_PURCHASE, olap_frame, olap_query

__all__ = ["DuckDBEngine", "SparkEngine", "EngineUnavailable"]

# The kinds of the data dictionary as each engine's SQL types.
_TYPES = {"str": "VARCHAR", "category": "VARCHAR", "int": "BIGINT", "float": "DOUBLE", "bool": "BOOLEAN",
          "datetime": "TIMESTAMP", "date": "DATE"}
_SPARK_TYPES = {"VARCHAR": "STRING"}
# Amounts are added up as exact decimals (cents), so every engine gives the same total to the cent
# whatever order it adds the lines in; the sums come back as the nearest float.
_MONEY = "DECIMAL(18, 2)"
_STATUS = TABLES["orders"].columns[-1].levels  # completed, returned, cancelled
# the warehouse's date key, yyyymmdd as an integer, of a timestamp or a date
_DATE_KEY = "CAST(year({0}) * 10000 + month({0}) * 100 + day({0}) AS INT)"


class EngineUnavailable(RuntimeError):
    """The engine's software is not installed (a Python package, or Java for Spark); the message says how to get it.

    Examples
    --------
    It is a ``RuntimeError``: the analysis cannot run on this machine as it is.

    >>> try:
    ...     raise EngineUnavailable('Spark is not installed: pip install "crmlab[spark]" (pyspark).')
    ... except RuntimeError as error:
    ...     print(error)
    Spark is not installed: pip install "crmlab[spark]" (pyspark).
    """


def _by_customer(totals: pd.DataFrame) -> pd.DataFrame:
    # indexed by customer id as the pandas functions index it: text as pandas infers it (not "string" with pd.NA)
    ids = totals.pop("customer_id")
    if not pd.api.types.is_string_dtype(ids) or ids.dtype == "string":
        ids = ids.to_numpy(dtype=object)  # an engine that hands text back as Python objects (Spark)
    return totals.set_axis(pd.Index(ids, name="customer_id"))


def _literal(ts: pd.Timestamp) -> str:
    return f"TIMESTAMP '{ts:%Y-%m-%d %H:%M:%S}'"


def _day(ts: pd.Timestamp) -> str:
    return f"DATE '{ts:%Y-%m-%d}'"


class _Engine:
    """What DuckDB and Spark share: the SQL of each analysis and the checks of the input.

    A subclass says how to read a file as a table (``_read``), run a query into pandas
    (``_frame``), keep a result as a table (``_keep``) and register a pandas table (``_put``).
    """

    name = "engine"
    weekday = "isodow({})"  # 1 = Monday ... 7 = Sunday, as dim_date

    def __init__(self, data_dir=None):
        self.data_dir = data_folder(data_dir)
        self._tables = {}
        self._purchases = {}

    # -- tables ------------------------------------------------------------------------------

    def _path(self, name: str) -> Path:
        folder = self.data_dir / TABLES[name].folder
        for path in (folder / name, folder / f"{name}.csv"):
            if path.exists():
                return path
        raise FileNotFoundError(
            f"{folder} has no table '{name}' (neither {name}.csv nor a folder {name}/ of Parquet files). "
            "Write a data folder with `crmlab data generate --out FOLDER` (add `--format parquet` for large data) "
            "and give it as data_dir=FOLDER.")

    def table(self, name: str) -> str:
        """Make table ``name`` of the data dictionary readable by SQL; return its name.

        The file is read where it is, typed as the data dictionary says; its
        columns are checked first (a missing or misspelt one is named).
        """
        require_option(name, TABLES, name="table")
        if name not in self._tables:
            path = self._path(name)
            columns = TABLES[name].columns
            found = self._columns(path)
            require_columns(found, [c.name for c in columns], table=f"{name} ({path})")
            self._read(name, path, {c.name: _TYPES[c.kind] for c in columns})
            self._tables[name] = path
        return name

    def sql(self, query: str) -> pd.DataFrame:
        """Run a query of your own on the tables (orders, order_lines, customers, ...) and return a DataFrame.

        Examples
        --------
        >>> DuckDBEngine().sql("SELECT status, count(*) AS orders FROM orders GROUP BY status ORDER BY status")
              status  orders
        0  cancelled    1512
        1  completed   29797
        2   returned    1955
        """
        for name in TABLES:
            if not TABLES[name].truth and name in query:
                try:
                    self.table(name)
                except FileNotFoundError:
                    pass  # a name that is only mentioned; the engine reports a table really missing
        return self._frame(query)

    # -- checks ------------------------------------------------------------------------------

    def _check_orders(self) -> None:
        """The checks :func:`crmlab.transactions.purchases` makes, as one pass of SQL over each table."""
        if "checked" in self._purchases:
            return
        orders, lines = self.table("orders"), self.table("order_lines")
        levels = ", ".join(f"'{s}'" for s in _STATUS)
        o = self._frame(f"""
            SELECT count(*) AS n_rows,
                   sum(CASE WHEN order_ts IS NULL THEN 1 ELSE 0 END) AS no_time,
                   sum(CASE WHEN status IS NULL OR status NOT IN ({levels}) THEN 1 ELSE 0 END) AS bad_status,
                   min(CASE WHEN status NOT IN ({levels}) THEN status END) AS bad_example,
                   count(*) - count(DISTINCT order_id) AS duplicated
            FROM {orders}""").iloc[0]
        if o["n_rows"] == 0:
            raise CrmlabInputError(f"orders ({self._tables['orders']}) is empty: there is nothing to analyse.")
        problems = [(o["no_time"], "orders", "order_ts", "is empty", "fill in when each order was placed"),
                    (o["bad_status"], "orders", "status", f"is not one of {list(_STATUS)} (e.g. {o['bad_example']!r})",
                     "use the data dictionary's labels")]
        if o["duplicated"]:
            raise CrmlabInputError(f"orders: order_id is not unique ({int(o['duplicated']):,} repeated rows); "
                                   "remove the duplicated orders first (SELECT DISTINCT).".replace(",", " "))
        for column in ("net_amount", "cost"):
            bad = self._frame(f"""SELECT sum(CASE WHEN {column} IS NULL THEN 1 ELSE 0 END) AS missing,
                                         sum(CASE WHEN {column} < 0 THEN 1 ELSE 0 END) AS negative
                                  FROM {lines}""").iloc[0]
            problems += [(bad["missing"], "order_lines", column, "is empty", "fill in the amounts"),
                         (bad["negative"], "order_lines", column, "is negative",
                          "a return is an order with status 'returned', not a negative line")]
        for count, table, column, what, fix in problems:
            if count:
                rows = f"{int(count):,}".replace(",", " ")
                raise CrmlabInputError(f"{table}: column '{column}' {what} in {rows} rows; {fix}.")
        self._purchases["checked"] = True

    # -- purchases -----------------------------------------------------------------------------

    def _purchases_table(self, returns: str, verbose: bool) -> str:
        """The purchases under one rule for returns, kept as a table, and the rows set aside reported."""
        require_option(returns, RETURN_RULES, name="returns")
        self._check_orders()
        if returns not in self._purchases:
            orders, lines = self.table("orders"), self.table("order_lines")
            counts = self._frame(f"""
                SELECT sum(CASE WHEN status = 'cancelled' THEN 1 ELSE 0 END) AS cancelled,
                       sum(CASE WHEN status = 'returned' AND customer_id IS NOT NULL THEN 1 ELSE 0 END) AS returned,
                       sum(CASE WHEN status <> 'cancelled' AND customer_id IS NULL THEN 1 ELSE 0 END) AS no_customer
                FROM {orders}""").iloc[0]
            zero = f"CAST(0 AS {_MONEY})"
            keep = "o.status <> 'cancelled' AND o.customer_id IS NOT NULL" + (
                " AND o.status <> 'returned'" if returns == "exclude" else "")
            name = f"purchases_{returns}"
            self._keep(name, f"""
                SELECT o.customer_id, o.order_id, o.order_ts, o.channel, o.status = 'returned' AS returned,
                       CASE WHEN o.status = 'returned' THEN {zero} ELSE coalesce(l.revenue, {zero}) END AS revenue,
                       CASE WHEN o.status = 'returned' THEN {zero} ELSE coalesce(l.cost, {zero}) END AS cost
                FROM {orders} o LEFT JOIN (
                    SELECT order_id, sum(CAST(net_amount AS {_MONEY})) AS revenue, sum(CAST(cost AS {_MONEY})) AS cost
                    FROM {lines} GROUP BY order_id) l ON l.order_id = o.order_id
                WHERE {keep}""")
            self._purchases[returns] = (name, {
                "cancelled orders": counts["cancelled"],
                "returned orders": counts["returned"] if returns == "exclude" else 0,
                "orders without a customer_id": counts["no_customer"]})
        name, counts = self._purchases[returns]
        report_set_aside(pd.DataFrame(), counts, what="purchases", verbose=verbose)
        return name

    def purchases(self, *, returns: str = "exclude", verbose: bool = True) -> pd.DataFrame:
        """One row per purchase, as :func:`crmlab.transactions.purchases` gives it.

        All purchases come back into memory: for large data use the methods
        that add them up where they are (:meth:`rfm_table`, ...), or
        :meth:`sql` on the table this method's SQL keeps,
        ``purchases_exclude`` (or ``purchases_zero``).

        Examples
        --------
        >>> p = DuckDBEngine().purchases(verbose=False)
        >>> p.columns.tolist(), len(p)
        (['customer_id', 'order_id', 'order_ts', 'channel', 'returned', 'revenue', 'cost', 'margin'], 29797)
        """
        name = self._purchases_table(returns, verbose)
        frame = self._frame(f"""
            SELECT customer_id, order_id, order_ts, channel, returned, CAST(revenue AS DOUBLE) AS revenue,
                   CAST(cost AS DOUBLE) AS cost, CAST(revenue - cost AS DOUBLE) AS margin
            FROM {name} ORDER BY customer_id, order_ts, order_id""")
        levels = TABLES["orders"].columns[3].levels
        frame = frame.astype({"customer_id": "string", "order_id": "string", "order_ts": "datetime64[s]",
                              "returned": bool})
        frame["channel"] = pd.Categorical(frame["channel"], categories=list(levels))
        frame.attrs["set_aside"] = {k: int(v) for k, v in self._purchases[returns][1].items() if v}
        return frame

    # -- RFM -----------------------------------------------------------------------------------

    def rfm_table(self, *, as_of, returns: str = "exclude", value: str = "revenue", time_unit: str = "days",
                  start=None, verbose: bool = True) -> pd.DataFrame:
        """RFM of every customer (RFM分析), as :func:`crmlab.rfm.rfm_from_orders` with the same arguments.

        Examples
        --------
        >>> rfm = DuckDBEngine().rfm_table(as_of="2026-01-01", verbose=False)
        >>> len(rfm), int(rfm["frequency"].sum())
        (8690, 29797)
        """
        require_option(value, ("revenue", "margin"), name="value")  # 实付金额 or 毛利
        end = as_date(as_of, name="as_of")
        first = None if start is None else as_date(start, name="start")
        if first is not None and first >= end:
            raise CrmlabInputError(f"start ({first.date()}) must be before as_of ({end.date()}).")
        p = self._purchases_table(returns, verbose)
        # RFM needs amounts >= 0: a loss-making purchase counts with margin 0, as rfm_from_orders
        amount = "revenue" if value == "revenue" else f"CASE WHEN revenue < cost THEN CAST(0 AS {_MONEY}) ELSE revenue - cost END"
        window = f"order_ts < {_literal(end)}" + ("" if first is None else f" AND order_ts >= {_literal(first)}")
        totals = self._frame(f"""
            SELECT customer_id, min(order_ts) AS first_purchase, max(order_ts) AS last_purchase,
                   count(*) AS frequency, CAST(sum({amount}) AS DOUBLE) AS monetary
            FROM {p} WHERE {window} GROUP BY customer_id ORDER BY customer_id""")
        counts = self._frame(f"""
            SELECT sum(CASE WHEN order_ts >= {_literal(end)} THEN 1 ELSE 0 END) AS late,
                   sum(CASE WHEN order_ts < {_literal(first or end)} THEN 1 ELSE 0 END) AS early,
                   sum(CASE WHEN revenue < cost THEN 1 ELSE 0 END) AS loss
            FROM {p}""").iloc[0]
        if totals.empty:
            raise CrmlabInputError(f"rfm_table: no purchase falls before as_of {end.date()}; choose a later as_of.")
        totals = _by_customer(totals.astype({"first_purchase": "datetime64[s]", "last_purchase": "datetime64[s]",
                                             "frequency": "int64"}))
        out = rfm_from_totals(totals, as_of=end, start=first, time_unit=time_unit, amount_col=value)
        window_counts = {f"purchases on or after as_of {end:%Y-%m-%d}": counts["late"]}
        if first is not None:
            window_counts[f"purchases before start {first:%Y-%m-%d}"] = counts["early"]
        report_set_aside(out, window_counts, what="rfm_table", verbose=verbose)
        out.attrs["rfm"]["returns"] = f"purchases(returns={returns!r})"
        if value == "margin":
            out.attrs["rfm"]["monetary"] = "total margin in the window, loss-making purchases counted as 0"
            out.attrs["rfm"]["loss_making_purchases"] = int(counts["loss"])
            if verbose and counts["loss"]:
                print(f"rfm_from_orders: {int(counts['loss']):,} loss-making purchases kept with margin 0".replace(",", " "))
        all_counts = {**self._purchases[returns][1], **window_counts}
        out.attrs["set_aside"] = {k: int(v) for k, v in all_counts.items() if v}
        return out

    # -- CLV summary ---------------------------------------------------------------------------

    def clv_summary(self, *, calibration_end, observation_end=None, returns: str = "exclude",
                    time_unit: str = "weeks", verbose: bool = True) -> pd.DataFrame:
        """Repeat purchases, span, age and mean repeat spend per customer, as :func:`crmlab.clv.summary`.

        The same as ``summary(purchases(orders, order_lines, returns=returns), calibration_end=...)``:
        one customer's purchases of one calendar day are one transaction.

        Examples
        --------
        >>> s = DuckDBEngine().clv_summary(calibration_end="2025-06-30", observation_end="2025-12-31", verbose=False)
        >>> s.columns.tolist()[:4], s.attrs["merged_same_day"]
        (['first_purchase', 'repeat_purchases', 'span_weeks', 'T_weeks'], 253)
        """
        cal_end, obs_end, last_day = calibration_window(calibration_end, observation_end)
        end = last_day + pd.Timedelta(days=1)
        p = self._purchases_table(returns, verbose)
        cal = _day(cal_end)
        totals = self._frame(f"""
            WITH daily AS (
                SELECT customer_id, CAST(order_ts AS DATE) AS day, sum(revenue) AS amount
                FROM {p} WHERE order_ts < {_literal(end)} GROUP BY customer_id, CAST(order_ts AS DATE)),
            firsts AS (SELECT customer_id, min(day) AS first_day FROM daily GROUP BY customer_id)
            SELECT d.customer_id, f.first_day AS first_purchase,
                   max(CASE WHEN d.day <= {cal} THEN d.day END) AS last_purchase,
                   sum(CASE WHEN d.day <= {cal} THEN 1 ELSE 0 END) AS transactions,
                   CAST(sum(CASE WHEN d.day <= {cal} AND d.day > f.first_day THEN d.amount ELSE 0 END) AS DOUBLE)
                       AS repeat_amount,
                   sum(CASE WHEN d.day > {cal} THEN 1 ELSE 0 END) AS purchases_holdout,
                   count(*) AS days
            FROM daily d JOIN firsts f ON d.customer_id = f.customer_id
            GROUP BY d.customer_id, f.first_day""")
        counts = self._frame(f"""SELECT sum(CASE WHEN order_ts >= {_literal(end)} THEN 1 ELSE 0 END) AS late,
                                        sum(CASE WHEN order_ts < {_literal(end)} THEN 1 ELSE 0 END) AS kept
                                 FROM {p}""").iloc[0]
        totals = _by_customer(totals.astype({"first_purchase": "datetime64[s]", "last_purchase": "datetime64[s]"}))
        newcomer = totals["first_purchase"] > cal_end
        if newcomer.all():
            raise CrmlabInputError(f"transactions: no customer bought on or before calibration_end="
                                   f"{cal_end:%Y-%m-%d}; choose a later calibration_end.")
        out = summary_from_totals(totals[~newcomer], calibration_end=cal_end, observation_end=obs_end,
                                  time_unit=time_unit)
        out.attrs["merged_same_day"] = int(counts["kept"]) - int(totals["days"].sum())
        return report_set_aside(out, {
            f"transactions after {last_day:%Y-%m-%d}": counts["late"],
            f"customers whose first purchase is after {cal_end:%Y-%m-%d}": int(newcomer.sum()),
        }, what="summary", verbose=verbose)

    # -- cohorts -------------------------------------------------------------------------------

    def cohort_retention(self, *, as_of, period: str = "M", max_periods: int | None = None,
                         returns: str = "exclude", verbose: bool = True) -> pd.DataFrame:
        """The cohort retention table (同期群留存表), as :func:`crmlab.retention.cohort_retention` of the purchases.

        Examples
        --------
        >>> table = DuckDBEngine().cohort_retention(as_of="2026-01-01", period="Q", verbose=False)
        >>> table.iloc[:2, :4]
                customers    0         1         2
        cohort                                    
        2023Q1        436  1.0  0.394495  0.309633
        2023Q2        549  1.0  0.413479  0.362477
        """
        end = as_date(as_of, name="as_of")
        require_option(period, ("M", "Q"), name="period", fix="'M': months, 'Q': quarters.")
        p = self._purchases_table(returns, verbose)
        # pandas period ordinals: months (or quarters) since January 1970
        ordinal = ("(year(order_ts) - 1970) * 12 + month(order_ts) - 1" if period == "M"
                   else "(year(order_ts) - 1970) * 4 + quarter(order_ts) - 1")
        counts_ck = self._frame(f"""
            WITH act AS (SELECT DISTINCT customer_id, {ordinal} AS p FROM {p} WHERE order_ts < {_literal(end)}),
            c AS (SELECT customer_id, min(p) AS cohort FROM act GROUP BY customer_id)
            SELECT c.cohort, act.p - c.cohort AS k, count(*) AS customers
            FROM act JOIN c ON act.customer_id = c.customer_id GROUP BY c.cohort, act.p - c.cohort""")
        late = self._frame(f"SELECT count(*) AS n FROM {p} WHERE order_ts >= {_literal(end)}").iloc[0]["n"]
        table = cohort_retention_from_counts(counts_ck.astype("int64"), as_of=end, period=period,
                                             max_periods=max_periods)
        counts = {f"purchases on or after as_of {end:%Y-%m-%d}": late, **table.attrs.pop("set_aside")}
        return report_set_aside(table, counts, what="cohort_retention", verbose=verbose)

    # -- the star schema ---------------------------------------------------------------------------

    def _star(self, needs_segment: bool, needs_contacts: bool) -> None:
        """The star schema of :mod:`crmlab.warehouse` as views over the files: nothing is copied."""
        if "fact_order_line" not in self._tables:
            o, l, p, s = (self.table(n) for n in ("orders", "order_lines", "products", "stores"))
            self._view("fact_order_line", f"""
                SELECT l.order_id, l.line_no, {_DATE_KEY.format('o.order_ts')} AS date_key, o.customer_id,
                       l.product_id, coalesce(o.store_id, 'online') AS store_key, o.channel, l.quantity,
                       l.net_amount AS revenue, l.cost, l.net_amount - l.cost AS margin
                FROM {o} o JOIN {l} l ON l.order_id = o.order_id WHERE o.status = 'completed'""")
            self._dim_date(f"SELECT DISTINCT CAST(order_ts AS DATE) AS d FROM {o}")
            self._view("dim_store", f"""
                SELECT store_id AS store_key, store_name, city, city_tier, region FROM {s}
                UNION ALL SELECT 'online', 'online', 'online', NULL, 'online'""")
            self._view("dim_product", f"SELECT product_id, product_name, category, category_zh, subcategory FROM {p}")
            self._view("dim_channel", f"SELECT DISTINCT channel FROM {o}")
            self._tables["fact_order_line"] = None
        if needs_contacts and "fact_contact" not in self._tables:
            o, i = self.table("orders"), self.table("interactions")
            self._view("fact_contact", f"""
                SELECT interaction_id, {_DATE_KEY.format('interaction_ts')} AS date_key, customer_id, channel, purpose,
                       initiated_by, campaign_id, cost, responded FROM {i}""")
            self._view("dim_channel", f"SELECT DISTINCT channel FROM {o} UNION SELECT DISTINCT channel FROM {i}")
            self._dim_date(f"SELECT DISTINCT CAST(order_ts AS DATE) AS d FROM {o} "
                           f"UNION SELECT DISTINCT CAST(interaction_ts AS DATE) FROM {i}")
            self._tables["fact_contact"] = None
        if needs_segment and "dim_customer" not in self._tables:
            c = self.table("customers")
            # each buyer's RFM segment as of the day after the last order, as warehouse.build_star_schema
            last = self._frame(f"SELECT max(order_ts) AS last FROM {self.table('orders')}").iloc[0]["last"]
            rfm = self.rfm_table(as_of=pd.Timestamp(last).normalize() + pd.Timedelta(days=1), verbose=False)
            segments = rfm_segments(rfm_scores(rfm))
            self._put("stage_rfm_segment", pd.DataFrame({"customer_id": segments.index.astype(str),
                                                         "segment": segments["segment"].astype(str)}))
            self._view("dim_customer", f"""
                SELECT c.customer_id, c.city, c.city_tier, c.membership_tier, c.signup_channel, c.gender, c.birth_year,
                       coalesce(s.segment, '{NO_PURCHASE[0]}') AS segment
                FROM {c} c LEFT JOIN stage_rfm_segment s ON s.customer_id = c.customer_id""")
            self._tables["dim_customer"] = None
        elif "dim_customer" not in self._tables:
            self._view("dim_customer", f"SELECT customer_id, city_tier, membership_tier FROM {self.table('customers')}")

    def _dim_date(self, days: str) -> None:
        # one row per day with a fact (the warehouse's calendar also has the days without; a join never meets them)
        self._view("dim_date", f"""
            SELECT {_DATE_KEY.format('d')} AS date_key, d AS date, year(d) AS year,
                   concat(CAST(year(d) AS STRING), '-Q', CAST(quarter(d) AS STRING)) AS quarter,
                   concat(CAST(year(d) AS STRING), '-', lpad(CAST(month(d) AS STRING), 2, '0')) AS month,
                   {self.weekday.format('d')} AS weekday
            FROM ({days}) days""")

    def olap(self, *, by, measures=("revenue", "orders", "customers"), where=None,
             fact: str = "order_lines") -> pd.DataFrame:
        """An OLAP query (联机分析处理) on the star schema, as :func:`crmlab.warehouse.olap`.

        The star's tables are views over the files, so the query runs on the
        order lines where they are. Arguments and result as
        :func:`crmlab.warehouse.olap`; grouping by ``segment`` first computes
        every buyer's RFM segment (:meth:`rfm_table`).

        Examples
        --------
        >>> DuckDBEngine().olap(by=["year"])
           year     revenue  orders  customers
        0  2023  1293314.34    5035       2202
        1  2024  2842967.60   10079       4032
        2  2025  4034769.46   14683       5668
        """
        query = olap_query(by=by, measures=measures, where=where, fact=fact)
        levels = [*([by] if isinstance(by, str) else by), *(where or {})]
        self._star(needs_segment="segment" in levels, needs_contacts=fact == "contacts")
        rows = self._frame(self._compile(query))
        return olap_frame(rows.itertuples(index=False, name=None), by=by, measures=measures)

    @staticmethod
    def _compile(query) -> str:
        from sqlalchemy.dialects.postgresql.base import PGDialect, PGTypeCompiler

        class TypeCompiler(PGTypeCompiler):
            # DuckDB and Spark read FLOAT as 4 bytes and NUMERIC without decimals: say what the warehouse means
            def visit_FLOAT(self, type_, **kw):
                return "DOUBLE"

            def visit_NUMERIC(self, type_, **kw):
                return "DECIMAL(38, 10)"

        class Dialect(PGDialect):
            type_compiler_cls = TypeCompiler

        return str(query.compile(dialect=Dialect(), compile_kwargs={"literal_binds": True}))

    # -- what each engine does its own way -----------------------------------------------------

    def _view(self, name: str, query: str) -> None:
        self._keep(name, query, materialise=False)


class DuckDBEngine(_Engine):
    """The chapter analyses in DuckDB (嵌入式分析数据库), on files of any size on one machine.

    Parameters
    ----------
    data_dir : str or Path, optional
        A folder written by :func:`crmlab.generator.generate` (CSV, or Parquet
        with ``file_format="parquet"``); default: the data the loaders read
        (:func:`crmlab.datasets.data_folder`).
    memory_limit : str, optional
        How much memory DuckDB may use, e.g. ``"4GB"`` (DuckDB's default: 80 %
        of the machine's); beyond it, it spills to ``temp_directory``.
    threads : int, optional
        Cores to use (default: all).
    temp_directory : str or Path, optional
        Where DuckDB spills (default: ``.tmp`` beside its files in DuckDB's
        choice, or the system's temporary folder).
    progress : bool, default False
        Show DuckDB's progress bar for queries that take more than two seconds.

    Examples
    --------
    >>> engine = DuckDBEngine(memory_limit="2GB", threads=2)
    >>> engine.sql("SELECT count(*) AS lines FROM order_lines")
       lines
    0  48668
    """

    name = "DuckDB"

    def __init__(self, data_dir=None, *, memory_limit: str | None = None, threads: int | None = None,
                 temp_directory=None, progress: bool = False):
        try:
            import duckdb
        except ImportError as error:  # pragma: no cover - duckdb is a dependency of crmlab
            raise EngineUnavailable("DuckDB is not installed: pip install duckdb") from error
        super().__init__(data_dir)
        self.connection = duckdb.connect()
        settings = {"memory_limit": memory_limit, "threads": threads,
                    "temp_directory": None if temp_directory is None else str(temp_directory)}
        for key, setting in settings.items():
            if setting is not None:
                self.connection.execute(f"SET {key} = '{setting}'")
        self.connection.execute(f"SET enable_progress_bar = {str(bool(progress)).lower()}")
        # the rows a query returns keep their order of insertion where SQL leaves it open
        self.connection.execute("SET preserve_insertion_order = true")

    def _columns(self, path: Path) -> list:
        return [row[0] for row in self.connection.execute(f"DESCRIBE SELECT * FROM {self._scan(path)}").fetchall()]

    @staticmethod
    def _scan(path: Path, types: dict | None = None) -> str:
        where = str(path).replace("'", "''")
        if path.is_dir():
            return f"read_parquet('{where}/**/*.parquet')"
        typed = "" if types is None else ", types = {" + ", ".join(f"'{k}': '{v}'" for k, v in types.items()) + "}"
        return f"read_csv('{where}', header = true{typed}, timestampformat = '%Y-%m-%d %H:%M:%S')"

    def _read(self, name: str, path: Path, types: dict) -> None:
        columns = ", ".join(f"CAST({c} AS {t}) AS {c}" for c, t in types.items())
        self.connection.execute(f"CREATE OR REPLACE VIEW {name} AS SELECT {columns} FROM {self._scan(path, types)}")

    def _frame(self, query: str) -> pd.DataFrame:
        import duckdb

        try:
            return self.connection.execute(query).df()
        except (duckdb.ConversionException, duckdb.InvalidInputException) as error:
            said = "; ".join(str(error).split("\n\n")[0].splitlines())  # DuckDB's first lines name the row
            raise CrmlabInputError(f"DuckDB could not read the data: {said}. Fix those rows, or write the data again "
                                   "with `crmlab data generate`.") from error

    def _keep(self, name: str, query: str, materialise: bool = True) -> None:
        kind = "TABLE" if materialise else "VIEW"
        self.connection.execute(f"CREATE OR REPLACE TEMP {kind} {name} AS {query}")

    def _put(self, name: str, frame: pd.DataFrame) -> None:
        self.connection.register(name, frame)


class SparkEngine(_Engine):
    """The chapter analyses in Apache Spark (分布式计算): the same SQL, on a cluster or on this machine.

    Parameters
    ----------
    data_dir : str or Path, optional
        As :class:`DuckDBEngine`; on a cluster, a folder every machine reads
        (HDFS, S3, a shared disk).
    spark : pyspark.sql.SparkSession, optional
        A session of your own, e.g. for a cluster::

            SparkSession.builder.master("spark://head-node:7077").getOrCreate()

        Default: a local session on this machine's cores (``local[*]``),
        with the time zone UTC so that times read as written.

    Raises
    ------
    EngineUnavailable
        pyspark is not installed (``pip install "crmlab[spark]"``), or no Java
        runtime is found (Spark runs on Java 17 or newer).

    Examples
    --------
    >>> engine = SparkEngine()                         # doctest: +SKIP
    >>> engine.olap(by=["year"], measures=["orders"])  # doctest: +SKIP
       year  orders
    0  2023    5035
    1  2024   10079
    2  2025   14683
    """

    name = "Spark"
    weekday = "(weekday({}) + 1)"  # Spark's weekday is 0 = Monday

    def __init__(self, data_dir=None, *, spark=None):
        super().__init__(data_dir)
        self.spark = spark if spark is not None else local_spark_session()
        self._frames = {}

    def _columns(self, path: Path) -> list:
        return self._reader(path, None).columns

    def _reader(self, path: Path, schema: str | None):
        read = self.spark.read
        if path.is_dir():
            return read.option("recursiveFileLookup", "true").parquet(str(path))
        options = {"header": "true", "timestampFormat": "yyyy-MM-dd HH:mm:ss", "mode": "FAILFAST"}
        return read.options(**options).csv(str(path), schema=schema)

    def _read(self, name: str, path: Path, types: dict) -> None:
        spark_types = {c: _SPARK_TYPES.get(t, t) for c, t in types.items()}
        schema = None if path.is_dir() else ", ".join(f"`{c}` {t}" for c, t in spark_types.items())
        frame = self._reader(path, schema)
        frame = frame.selectExpr(*(f"CAST(`{c}` AS {t}) AS `{c}`" for c, t in spark_types.items()))
        frame.createOrReplaceTempView(name)

    def _frame(self, query: str) -> pd.DataFrame:
        from pyspark.errors import PySparkException

        with _quiet_pandas_warning():
            try:
                return self.spark.sql(query).toPandas()
            except PySparkException as error:
                if "MALFORMED" in str(error) or "CAST" in str(error):
                    raise CrmlabInputError(f"Spark could not read the data: {error}. Fix the rows it names, or write "
                                           "the data again with `crmlab data generate`.") from error
                raise

    def _keep(self, name: str, query: str, materialise: bool = True) -> None:
        frame = self.spark.sql(query)
        if materialise:
            frame = frame.cache()
        frame.createOrReplaceTempView(name)

    def _put(self, name: str, frame: pd.DataFrame) -> None:
        with _quiet_pandas_warning():
            self.spark.createDataFrame(frame).createOrReplaceTempView(name)


@contextmanager
def _quiet_pandas_warning():
    # pyspark warns on every conversion that it predates pandas 3 (and uses keywords pandas 3 deprecates);
    # the tests check the results, so the reader need not see the warnings
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", module=r"pyspark\.")
        yield


def local_spark_session(*, cores: int | str = "*", memory: str = "2g"):
    """A Spark session on this machine (local mode): for learning, tests, and data one machine can hold.

    Parameters
    ----------
    cores : int or "*", default "*"
        Cores to use (``"*"``: all).
    memory : str, default "2g"
        Memory of Spark's driver (its one Java process in local mode).

    Raises
    ------
    EngineUnavailable
        pyspark or Java is missing; the message says how to install them.

    Examples
    --------
    >>> spark = local_spark_session(cores=2)  # doctest: +SKIP
    >>> spark.range(3).count()                # doctest: +SKIP
    3
    """
    try:
        from pyspark.sql import SparkSession
    except ImportError as error:
        raise EngineUnavailable('Spark is not installed: pip install "crmlab[spark]" (pyspark).') from error
    if not java_available():
        raise EngineUnavailable(
            "Spark runs on Java, and no Java runtime was found (neither `java` on PATH nor JAVA_HOME). "
            "Install one: on Debian/Ubuntu `sudo apt install default-jre-headless`, with conda "
            "`conda install -c conda-forge openjdk`, on Windows/macOS a JDK 17 or newer from adoptium.net.")
    with _quiet_pandas_warning():
        spark = (SparkSession.builder.master(f"local[{cores}]").appName("crmlab")
                 .config("spark.driver.memory", memory)
                 .config("spark.driver.maxResultSize", memory)  # results come to pandas whole: a table per customer
                 .config("spark.sql.session.timeZone", "UTC")  # times read as written, on any machine
                 .config("spark.sql.shuffle.partitions", "8")  # Spark's 200 suit a cluster, not one machine
                 .config("spark.sql.execution.arrow.pyspark.enabled", "true")
                 .config("spark.ui.enabled", "false").config("spark.ui.showConsoleProgress", "false")
                 .getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def java_available() -> bool:
    """Whether a Java runtime is there for Spark: ``java`` on PATH or ``JAVA_HOME`` set to one.

    Examples
    --------
    >>> isinstance(java_available(), bool)
    True
    """
    import os

    home = os.environ.get("JAVA_HOME")
    return bool(shutil.which("java")) or bool(home and (Path(home) / "bin" / "java").exists())
