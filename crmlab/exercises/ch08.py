"""Chapters 8–9 exercises (客户关系管理系统与数据仓库): SQL on the CRM system's database and its star schema.

The questions follow the chapter notebook (``notebooks/08_09_crm_system_and_warehouse.ipynb``):
the student builds their own company as a CRM database
(:func:`crmlab.crm_system.build_database`, an SQLite file in a temporary
folder), adds the data warehouse's star schema to it
(:func:`crmlab.warehouse.build_star_schema`) and answers each question with an
SQL query (``pd.read_sql``), handing in its result: a number or a table of one
column, one row per label. The checks do not run the student's SQL: each
reference is computed independently, in pandas, from the student's own tables
(:func:`crmlab.exercises.core.bought`: the kit's rule that only completed
orders are purchases), and each typical mistake of SQL — returned and
cancelled orders counted, the last day lost to ``BETWEEN``, lines counted
instead of orders, list value instead of the amount paid, monthly customer
counts added up into quarters, a follow-up list without its first condition —
is the same computation with that mistake, so that a wrong result gets the
hint that fits. Each question is a :class:`crmlab.exercises.core.Question`.

Examples
--------
>>> [q.id for q in QUESTIONS]
['q1', 'q2', 'q3', 'q4', 'q5', 'q6', 'q7', 'q8']
>>> [q.kind for q in QUESTIONS][:3]
['table', 'table', 'table']
"""
from __future__ import annotations

import pandas as pd

from crmlab.exercises.core import SHARED_HINT as SHARED
from crmlab.exercises.core import ExerciseData, Mistake, Question, bought

CHAPTER = "ch08"
END = "2026-01-01"          # the day after the last day of the data: the age of what is still open
YEAR = 2025                 # q2, q3, q6: the last full year of the data
PREVIOUS = 2024             # q7: bought in the year before, not in YEAR
TOP = 5                     # q4: the top customers
ONLINE = "online"           # q2: the region of an order placed without a store (as the star schema's dim_store)

# The kit's hint for returns (core.RETURNS_HINT) speaks of pandas; in SQL it is a WHERE clause.
RETURNS = ("returned and cancelled orders are not purchases: keep the orders with status = 'completed' "
           "(WHERE o.status = 'completed'), the rule of crmlab.transactions.purchases.")


# ------------------------------------------------------------------ the purchases, once per data set

def _purchases(data: ExerciseData, *, returns_removed: bool = True) -> pd.DataFrame:
    """One row per purchase (order) with its revenue, channel and the region of its store (``online`` if none)."""
    def compute():
        frame = bought(data, returns_removed=returns_removed)
        orders = data.table("orders")[["order_id", "store_id"]]
        regions = data.table("stores").set_index("store_id")["region"].astype(str)
        frame = frame.merge(orders, on="order_id", how="left")
        region = frame["store_id"].map(regions)
        return frame.assign(region=region.where(frame["store_id"].notna(), ONLINE).astype(str),
                            channel=frame["channel"].astype(str))
    return data.memo(("ch08_purchases", returns_removed), compute)


def _in_year(frame: pd.DataFrame, year: int = YEAR, *, between: bool = False) -> pd.DataFrame:
    ts = frame["order_ts"]
    if between:     # the mistake: BETWEEN 'YYYY-01-01' AND 'YYYY-12-31' on a timestamp ends at 00:00 of 31 December
        return frame[(ts >= pd.Timestamp(f"{year}-01-01")) & (ts <= pd.Timestamp(f"{year}-12-31"))]
    return frame[ts.dt.year == year]


def _lines(data: ExerciseData, *, returns_removed: bool = True) -> pd.DataFrame:
    """The lines of the purchases, with the order's time, channel and region."""
    def compute():
        head = _purchases(data, returns_removed=returns_removed)[["order_id", "order_ts", "channel", "region"]]
        return data.table("order_lines").merge(head, on="order_id", how="inner")
    return data.memo(("ch08_lines", returns_removed), compute)


def _labelled(series: pd.Series) -> pd.Series:
    return series.astype(float).set_axis([str(label) for label in series.index]).rename(None).rename_axis(None)


# ------------------------------------------------------------------ q1: customers per membership tier

def _tiers(data, how="customers") -> pd.Series:
    customers = data.table("customers")
    tier = customers.set_index("customer_id")["membership_tier"].astype(str)
    if how == "customers":
        counts = tier.value_counts()
    else:
        orders = data.table("orders")
        joined = orders.assign(tier=orders["customer_id"].map(tier))
        if how == "orders":          # the mistake: COUNT(*) after joining the orders
            counts = joined["tier"].value_counts()
        else:                        # "buyers": COUNT(DISTINCT) after an inner join, customers without orders lost
            counts = joined.drop_duplicates("customer_id")["tier"].value_counts()
        counts = counts.reindex(tier.unique(), fill_value=0)
    return _labelled(counts.sort_index())


# ------------------------------------------------------------------ q2: revenue by region

def _region_revenue(data, returns_removed=True, between=False, list_value=False) -> pd.Series:
    if list_value:      # the mistake: quantity x unit_price, the value at list price, not what was paid
        lines = _in_year(_lines(data, returns_removed=returns_removed), between=between)
        revenue = (lines["quantity"] * lines["unit_price"]).groupby(lines["region"]).sum()
    else:
        orders = _in_year(_purchases(data, returns_removed=returns_removed), between=between)
        revenue = orders.groupby("region")["revenue"].sum()
    return _labelled(revenue.sort_index().round(2))


# ------------------------------------------------------------------ q3: average order value by channel

def _order_value(data, returns_removed=True, per_line=False) -> pd.Series:
    if per_line:        # the mistake: AVG(net_amount) over lines, i.e. revenue / lines, not / orders
        lines = _in_year(_lines(data, returns_removed=returns_removed))
        value = lines.groupby("channel")["net_amount"].mean()
    else:
        orders = _in_year(_purchases(data, returns_removed=returns_removed))
        value = orders.groupby("channel")["revenue"].sum() / orders.groupby("channel")["order_id"].nunique()
    return _labelled(value.sort_index())


# ------------------------------------------------------------------ q4: the top customers

def _top_revenue(data, returns_removed=True, by="customer_id") -> float:
    orders = _purchases(data, returns_removed=returns_removed)
    per = orders.groupby(by)["revenue"].sum()
    return float(per.nlargest(TOP).sum())


# ------------------------------------------------------------------ q5: service requests still open

def _open_age(data, everything=False, per=1.0) -> float:
    """Mean age in days on END of the service requests still open (one per complaint not yet closed)."""
    complaints = data.table("complaints")
    requests = complaints if everything else complaints[complaints["closed_ts"].isna()]
    days = (pd.Timestamp(END) - requests["opened_ts"]) / pd.Timedelta(days=1)
    return float(days.mean()) / per


# ------------------------------------------------------------------ q6: the roll-up month -> quarter

def _quarter_customers(data, returns_removed=True, summed_months=False) -> pd.Series:
    orders = _in_year(_purchases(data, returns_removed=returns_removed))
    quarter = orders["order_ts"].dt.year.astype(str) + "-Q" + orders["order_ts"].dt.quarter.astype(str)
    if summed_months:   # the mistake: the monthly counts of customers added up (a customer counted in each month)
        month = orders["order_ts"].dt.month
        monthly = orders.groupby([quarter, month])["customer_id"].nunique()
        counts = monthly.groupby(level=0).sum()
    else:
        counts = orders.groupby(quarter)["customer_id"].nunique()
    return _labelled(counts.sort_index())


# ------------------------------------------------------------------ q7: whom to follow up

def _lapsed(data, returns_removed=True, how="customers") -> float:
    orders = _purchases(data, returns_removed=returns_removed)
    before = _in_year(orders, PREVIOUS)
    now = set(_in_year(orders, YEAR)["customer_id"])
    if how == "never":      # the mistake: every customer without a purchase in YEAR (the first condition left out)
        return float((~data.table("customers")["customer_id"].isin(now)).sum())
    lapsed = before[~before["customer_id"].isin(now)]
    if how == "orders":     # the mistake: COUNT(*) of their orders, not of the customers
        return float(len(lapsed))
    return float(lapsed["customer_id"].nunique())


# ------------------------------------------------------------------ the questions

SQL_FORM = ("Hand in the result of your query with the labels as its index, e.g. `sql(\"SELECT label, "
            "COUNT(*) AS n FROM ... GROUP BY label\", index=\"label\")`.")
ONE_VALUE = "Hand in the single value of your query's result, e.g. `float(result.iloc[0, 0])`."

QUESTIONS = (
    Question("q1", "table", 1,
             "Customer statistics (客户统计), the first report of a CRM system (客户关系管理系统): how many customers "
             "does each membership tier (会员等级, `customers.membership_tier`) have? Write one SQL query with "
             "GROUP BY on your CRM database.",
             _tiers, tolerance=0.0,
             mistakes=(Mistake("orders_counted", lambda d: _tiers(d, how="orders"),
                               "that counts orders, not customers: the table customers alone has one row per "
                               "customer; a JOIN with orders repeats a customer once per order."),
                       Mistake("buyers_only", lambda d: _tiers(d, how="buyers"),
                               "an inner JOIN with orders loses the customers who never ordered: count the rows of "
                               "customers, with no join."),
                       Mistake("shared", lambda d: _tiers(d.shared()), SHARED)),
             partial=True, answer_hint="One row per tier, e.g. {'diamond': 12, 'gold': 34, ...}. "
                                       + SQL_FORM),
    Question("q2", "table", 2,
             f"Revenue by region (区域销售额): the revenue (销售额, the sum of `order_lines.net_amount`) of the "
             f"completed orders placed in {YEAR}, by the region of the store (`stores.region`). Orders placed "
             f"without a store (web, app, call centre: `orders.store_id` empty) count as the region '{ONLINE}': "
             "join orders to order_lines, and LEFT JOIN stores (an inner join would drop them), with "
             f"COALESCE(s.region, '{ONLINE}'). Select the year with `strftime('%Y', o.order_ts) = '{YEAR}'` "
             "(SQLite).",
             _region_revenue, tolerance=0.5,
             mistakes=(Mistake("returns", lambda d: _region_revenue(d, returns_removed=False), RETURNS),
                       Mistake("between", lambda d: _region_revenue(d, between=True),
                               f"the orders of 31 December are missing: order_ts is a timestamp, and BETWEEN "
                               f"'{YEAR}-01-01' AND '{YEAR}-12-31' stops at midnight at the start of that day. Use "
                               f"strftime('%Y', o.order_ts) = '{YEAR}', or order_ts < '{YEAR + 1}-01-01'."),
                       Mistake("list_value", lambda d: _region_revenue(d, list_value=True),
                               "quantity × unit_price is the value at list price; revenue is what customers paid, "
                               "the sum of net_amount (after discounts)."),
                       Mistake("shared", lambda d: _region_revenue(d.shared()), SHARED)),
             partial=True, answer_hint="One row per region, the revenue in yuan to 2 decimals. " + SQL_FORM),
    Question("q3", "table", 2,
             f"Average order value (客单价) by channel (`orders.channel`), for the completed orders of {YEAR}: the "
             "revenue divided by the number of orders (not of order lines: an order has one or more lines; count "
             "COUNT(DISTINCT o.order_id)).",
             _order_value, tolerance=0.01,
             mistakes=(Mistake("lines", lambda d: _order_value(d, per_line=True),
                               "that is the mean amount of an order line (AVG(net_amount), or SUM / COUNT(*) after "
                               "the join): divide the revenue by COUNT(DISTINCT o.order_id)."),
                       Mistake("returns", lambda d: _order_value(d, returns_removed=False), RETURNS),
                       Mistake("shared", lambda d: _order_value(d.shared()), SHARED)),
             partial=True, answer_hint="One row per channel, the value in yuan to 2 decimals. " + SQL_FORM),
    Question("q4", "number", 1,
             f"Key customers (重点客户): rank the customers by their revenue of completed orders over the whole data "
             f"(GROUP BY customer, ORDER BY revenue DESC, LIMIT {TOP}). What is the revenue of the top {TOP} "
             "customers together, in yuan? (A query on a query: the sum over the subquery of the top rows.)",
             _top_revenue, tolerance=0.5,
             mistakes=(Mistake("returns", lambda d: _top_revenue(d, returns_removed=False), RETURNS),
                       Mistake("top_orders", lambda d: _top_revenue(d, by="order_id"),
                               f"that is the {TOP} largest orders; group by customer_id first, so that a customer's "
                               "orders add up, then take the top customers."),
                       Mistake("shared", lambda d: _top_revenue(d.shared()), SHARED)),
             answer_hint="An amount in yuan, to 2 decimals (e.g. 12345.67). " + ONE_VALUE),
    Question("q5", "number", 1,
             "Service (服务管理): each complaint opened a service request (服务请求, table `service_requests`). "
             "Take those still open, neither resolved nor closed (`status` not 'resolved' or 'closed'). How old "
             f"are they on {END}, the day after the last day of the data, on average, in days? Use "
             f"`julianday('{END}') - julianday(opened_ts)` (SQLite: days with their fraction).",
             _open_age, tolerance=0.05,
             mistakes=(Mistake("all_requests", lambda d: _open_age(d, everything=True),
                               "that is the mean over every request; keep the ones still open (WHERE status NOT IN "
                               "('resolved', 'closed'))."),
                       Mistake("weeks", lambda d: _open_age(d, per=7.0), "give the age in days, not weeks.",
                               tolerance=0.06),
                       Mistake("shared", lambda d: _open_age(d.shared()), SHARED, tolerance=0.06)),
             answer_hint="A number of days, to 2 decimals (e.g. 123.45). " + ONE_VALUE),
    Question("q6", "table", 2,
             f"The data warehouse (数据仓库): build the star schema (星型模式) into your database "
             "(`crmlab.warehouse.build_star_schema`: the fact table `fact_order_line`, one row per line of a "
             "completed order, and the dimension `dim_date` with `year`, `quarter` ('2025-Q1'), `month`). A monthly "
             "report shows how many different customers bought each month. Roll it up (上卷) from month to quarter: "
             f"how many different customers bought in each quarter of {YEAR}? Join the fact to `dim_date` on "
             "`date_key` and count each customer once per quarter.",
             _quarter_customers, tolerance=0.0,
             mistakes=(Mistake("summed_months", lambda d: _quarter_customers(d, summed_months=True),
                               "customers do not add up across months: a customer who bought in two months of a "
                               "quarter is one customer of that quarter. Count COUNT(DISTINCT customer_id) grouped by "
                               "quarter, not the sum of the monthly counts."),
                       Mistake("returns", lambda d: _quarter_customers(d, returns_removed=False),
                               "returned and cancelled orders are not purchases: the fact table fact_order_line holds "
                               "the completed orders only; the operational table orders holds them all."),
                       Mistake("shared", lambda d: _quarter_customers(d.shared()), SHARED)),
             partial=True, answer_hint=f"One row per quarter, e.g. {{'{YEAR}-Q1': 1234, ...}}. " + SQL_FORM),
    Question("q7", "integer", 2,
             f"Decide whom the call centre follows up (跟进): the customers who bought in {PREVIOUS} (a completed "
             f"order) but not in {YEAR}. In SQL this is an anti-join (反连接): the {PREVIOUS} buyers WHERE NOT EXISTS "
             f"a completed order of theirs in {YEAR} (or a LEFT JOIN ... IS NULL). How many customers are on the "
             "list, each once?",
             _lapsed, tolerance=0.0,
             mistakes=(Mistake("returns", lambda d: _lapsed(d, returns_removed=False), RETURNS),
                       Mistake("never", lambda d: _lapsed(d, how="never"),
                               f"that counts every customer without a purchase in {YEAR}, including those who never "
                               f"bought: the list is of the customers who bought in {PREVIOUS}."),
                       Mistake("orders_counted", lambda d: _lapsed(d, how="orders"),
                               f"that counts their {PREVIOUS} orders: count each customer once "
                               "(COUNT(DISTINCT customer_id))."),
                       Mistake("shared", lambda d: _lapsed(d.shared()), SHARED)),
             answer_hint="A whole number of customers. " + ONE_VALUE),
    Question("q8", "text", 3,
             "Interpret: the operations manager wants one system for everything. Using your queries, say which "
             "questions belong to the operational CRM system (操作型CRM: the tables it records into) and which to "
             "the data warehouse (分析型CRM: the star schema), why the warehouse holds only completed orders and "
             "what q6 shows about adding up counts in a report; and what your numbers (q2, q5, q7) tell the "
             "manager to do. Answer in a few sentences.",
             None,
             rubric=("operational CRM records and serves the day's work one record at a time (a customer's open "
                     "service request, the follow-up list of q7, an order's status); the warehouse answers analytical "
                     "questions over all of history by dimensions (revenue by region and quarter, q2, q6) without "
                     "loading the system that records",
                     "the warehouse applies the business rules once in its ETL (抽取-转换-加载): only completed orders "
                     "are sales, orders without a store become 'online'; in the operational tables every query has to "
                     "remember them (q2's LEFT JOIN and status filter) and different analysts get different numbers",
                     "measures differ in how they roll up: revenue adds up from month to quarter, distinct customers "
                     "do not (q6: the sum of monthly buyers overstates the quarter's); a report must count them at "
                     "its own level",
                     "reads the numbers: where the revenue is made (the share online against the stores), how long "
                     "open requests have waited (q5: a service backlog to clear, with an owner and a deadline), how "
                     "many lapsed customers the follow-up must reach (q7) and that a list is not yet a result: measure "
                     "the follow-up (a control group)",
                     "notes a limit: the built database is a snapshot; timestamps as text in SQLite (the BETWEEN "
                     "trap), portability of date functions to another database"),
             answer_hint="Write your answer as text in quotes."),
)
