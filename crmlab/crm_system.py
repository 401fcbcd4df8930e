"""The sample company as a working CRM system (CRM 系统) on a SQL database.

Chapter 8 describes what a CRM software system does; the course's operation
manual (客户关系管理系统操作手册) lists its modules. This module builds them on a
relational database, through SQLAlchemy, so that students can operate a CRM
system and see what each module records:

- users, roles and permissions (用户与权限): a service agent (客服人员) sees
  masked phone numbers and cannot delete; a manager sees everything;
- customer records (客户信息管理): create, look up, edit, delete, with a
  history of every change and of who made it (:meth:`CRM.customer_history`);
- contact records (联系记录, the ``interactions`` table of the sample data);
- opportunities (业务机会) through the sales funnel (销售漏斗), with follow-up
  alerts (跟进预警) and a reason for every close;
- sales orders (销售订单): create, track, close;
- service requests (服务请求): open, assign, resolve, close, linked to complaints;
- the manual's statistics (统计分析) on customers, business and service;
- backup and restore (系统备份与恢复) of the whole database.

The database is an SQLite file by default (built into Python, nothing to
install) or a PostgreSQL server given by its URL (``pip install
"crmlab[postgresql]"`` for the driver). :func:`build_database` loads the sample
company (or a student's variant) into it; :func:`connect` logs a user in.

Nothing is lost: every write runs in one transaction, so a write that is
refused (permission, a rule of the schema, a bad value) or fails midway
leaves the database exactly as it was, and the error names the rule.
Concurrent edits use optimistic locking (乐观锁): every record that can be
edited carries a ``version``; an edit names the version it was based on and is
refused if someone else saved the record in between, so no update is lost.

Examples
--------
>>> import tempfile, pathlib
>>> url = "sqlite:///" + str(pathlib.Path(tempfile.mkdtemp()) / "crm.sqlite")
>>> build_database(url).loc["orders", "rows"]
np.int64(33264)
>>> agent = connect(url, user="U06")
>>> agent.customer("C0000001")["phone"]
'199****4567'
>>> agent.delete_customer("C0000001", version=1)
Traceback (most recent call last):
...
crmlab.crm_system.PermissionRefused: U06 (service, 客服人员) may not delete customers: the role has no 'customer.delete' permission. Users who may: U02 (销售经理).
"""
from __future__ import annotations

import datetime as dt
import json
import zipfile
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
import sqlalchemy as sa

from crmlab.datasets import load_data
from crmlab.datasets.schema import TABLES as DATA_TABLES
from crmlab.privacy import PII_COLUMNS, ROLES as PRIVACY_ROLES, mask_text, masked_view
from crmlab.validation import CrmlabInputError

__all__ = ["ROLES", "PERMISSIONS", "USERS", "STAGES", "SERVICE_STATUSES", "ORDER_STATUSES", "metadata", "database_engine",
           "WriteRefused", "PermissionRefused", "ConflictRefused", "StepClock", "build_database", "connect",
           "CRM", "schema_table", "render_schema", "row_counts"]

#: The tables loaded from the sample company's files, in an order that respects the foreign keys.
#: Left out: the survey (a research instrument, not a CRM record) and the three silos that chapter 3
#: merges into ``customers`` (what a CRM replaces).
DATA_TABLE_ORDER = ("stores", "products", "campaigns", "customers", "orders", "order_lines", "interactions",
                    "campaign_assignment", "complaints")

#: What a user may do (权限), each a module's action.
PERMISSIONS = {
    "customer.read": "look up customers and their history",
    "customer.create": "create customer records",
    "customer.edit": "edit customer records",
    "customer.delete": "delete customers",
    "contact.create": "record contacts with customers",
    "opportunity.write": "create, advance and close opportunities",
    "order.write": "create, track and close sales orders",
    "service.write": "open, assign, resolve and close service requests",
    "statistics.read": "run the statistics",
    "system.backup": "back up and restore the database",
    "user.manage": "add users and change roles",
}

#: The roles (角色): their Chinese name, permissions, and what they see of each kind of personal field
#: (``full`` 明文 / ``masked`` 脱敏 / ``hidden`` 不可见, as :data:`crmlab.privacy.ROLES`).
ROLES = {
    "admin": {"zh": "系统管理员", "permissions": ("customer.read", "statistics.read", "system.backup", "user.manage"),
              "fields": PRIVACY_ROLES["service"]["fields"]},
    "manager": {"zh": "销售经理", "permissions": tuple(p for p in PERMISSIONS if p != "user.manage"),
                "fields": PRIVACY_ROLES["manager"]["fields"]},
    "sales": {"zh": "销售代表", "permissions": ("customer.read", "customer.create", "customer.edit", "contact.create",
                                           "opportunity.write", "order.write", "statistics.read"),
              "fields": {**PRIVACY_ROLES["manager"]["fields"], "id_number": "masked"}},
    "service": {"zh": "客服人员", "permissions": ("customer.read", "customer.edit", "contact.create", "service.write",
                                             "statistics.read"),
                "fields": PRIVACY_ROLES["service"]["fields"]},
}

#: The staff of the sample company's CRM system: user id → (name, role).
USERS = {
    "U01": ("周立新", "admin"), "U02": ("林海燕", "manager"),
    "U03": ("陈子豪", "sales"), "U04": ("黄晓雯", "sales"), "U05": ("吴建国", "sales"),
    "U06": ("郑美玲", "service"), "U07": ("孙浩然", "service"), "U08": ("马丽娟", "service"),
}

#: The sales funnel (销售漏斗): open stages in order, then the two ways an opportunity closes.
STAGES = ("lead", "qualified", "proposal", "negotiation", "won", "lost")
OPEN_STAGES = STAGES[:4]
#: A service request's life: opened, assigned to an agent, resolved, closed (confirmed with the customer).
SERVICE_STATUSES = ("open", "assigned", "resolved", "closed")
#: A sales order's life in the system; ``completed``, ``returned`` and ``cancelled`` are the data's statuses.
ORDER_STATUSES = ("placed", "shipped", "completed", "returned", "cancelled")

_TYPES = {"str": sa.String, "category": sa.String, "int": sa.Integer, "float": sa.Float, "bool": sa.Boolean,
          "datetime": sa.DateTime, "date": sa.Date}
_KEYS = {"stores": ("store_id",), "products": ("product_id",), "campaigns": ("campaign_id",),
         "customers": ("customer_id",), "orders": ("order_id",), "order_lines": ("order_id", "line_no"),
         "interactions": ("interaction_id",), "campaign_assignment": ("campaign_id", "customer_id"),
         "complaints": ("complaint_id",)}
_FOREIGN = {("orders", "customer_id"): "customers.customer_id", ("orders", "store_id"): "stores.store_id",
            ("order_lines", "order_id"): "orders.order_id", ("order_lines", "product_id"): "products.product_id",
            ("interactions", "customer_id"): "customers.customer_id",
            ("interactions", "campaign_id"): "campaigns.campaign_id",
            ("campaign_assignment", "campaign_id"): "campaigns.campaign_id",
            ("campaign_assignment", "customer_id"): "customers.customer_id",
            ("complaints", "customer_id"): "customers.customer_id", ("complaints", "order_id"): "orders.order_id"}
# Columns a record cannot do without (keys are not null anyway).
_REQUIRED = {"customers": ("name", "signup_ts"), "orders": ("customer_id", "order_ts", "channel", "status"),
             "order_lines": ("product_id", "quantity", "unit_price", "net_amount"),
             "interactions": ("customer_id", "interaction_ts", "channel"),
             "complaints": ("customer_id", "opened_ts"), "products": ("product_name", "list_price")}
# Rules of the schema, by constraint name: what a refused write's message says.
RULES = {
    "ck_order_lines_quantity": "an order line's quantity must be at least 1",
    "ck_order_lines_net_amount": "an order line's amount cannot be negative",
    "ck_products_list_price": "a product's list price must be positive",
    "ck_opportunities_amount": "an opportunity's expected amount cannot be negative",
    "ck_opportunities_closed": "a won or lost opportunity needs a close date and a close reason; an open one has neither",
    "ck_service_requests_assigned": "a service request past 'open' needs an agent assigned",
    "ck_service_requests_resolved": "a resolved or closed service request needs a resolution",
    "ck_customers_birth_year": "a birth year must lie between 1900 and 2025",
}
for (_table, _column) in [(t.name, c.name) for t in DATA_TABLES.values() for c in t.columns if c.levels]:
    RULES[f"ck_{_table}_{_column}"] = f"{_table}.{_column} must be one of the levels in the data dictionary"
RULES.update({"ck_opportunities_stage": f"an opportunity's stage is one of {', '.join(STAGES)}",
              "ck_service_requests_status": f"a service request's status is one of {', '.join(SERVICE_STATUSES)}",
              "ck_orders_status": f"an order's status is one of {', '.join(ORDER_STATUSES)}",
              "ck_users_role": f"a user's role is one of {', '.join(ROLES)}"})

#: The database schema: the sample company's tables (columns as in the data dictionary) and the
#: system's own (users, opportunities, service requests, history).
metadata = sa.MetaData()


def _data_table(name: str) -> sa.Table:
    spec = DATA_TABLES[name]
    columns = []
    for c in spec.columns:
        args = [sa.ForeignKey(_FOREIGN[(name, c.name)])] if (name, c.name) in _FOREIGN else []
        key = c.name in _KEYS[name]
        columns.append(sa.Column(c.name, _TYPES[c.kind](), *args, primary_key=key,
                                 nullable=not (key or c.name in _REQUIRED.get(name, ())), comment=f"{c.zh}: {c.text}"))
    checks = [sa.CheckConstraint(sa.column(c.name).in_(c.levels), name=f"ck_{name}_{c.name}")
              for c in spec.columns if c.levels and not (name == "orders" and c.name == "status")]
    extra = {
        "customers": [sa.Column("owner_id", sa.String, sa.ForeignKey("users.user_id"), comment="负责人: the user who looks after the customer."),
                      sa.Column("notes", sa.Text, nullable=False, server_default="", comment="备注: free notes."),
                      sa.Column("version", sa.Integer, nullable=False, server_default="1",
                                comment="版本: raised by every edit (optimistic locking)."),
                      sa.CheckConstraint("birth_year BETWEEN 1900 AND 2025", name="ck_customers_birth_year")],
        "orders": [sa.Column("version", sa.Integer, nullable=False, server_default="1",
                             comment="版本: raised by every change (optimistic locking)."),
                   sa.CheckConstraint(sa.column("status").in_(ORDER_STATUSES), name="ck_orders_status")],
        "order_lines": [sa.CheckConstraint("quantity >= 1", name="ck_order_lines_quantity"),
                        sa.CheckConstraint("net_amount >= 0", name="ck_order_lines_net_amount")],
        "products": [sa.CheckConstraint("list_price > 0", name="ck_products_list_price")],
    }.get(name, [])
    return sa.Table(name, metadata, *columns, *checks, *extra, comment=f"{spec.zh}: {spec.text}")


sa.Table("roles", metadata,
         sa.Column("role", sa.String, primary_key=True, comment="角色"),
         sa.Column("name_zh", sa.String, nullable=False, comment="角色名称"),
         comment="角色: the roles users can have.")
sa.Table("role_permissions", metadata,
         sa.Column("role", sa.String, sa.ForeignKey("roles.role"), primary_key=True, comment="角色"),
         sa.Column("permission", sa.String, primary_key=True, comment="权限: one of crm_system.PERMISSIONS."),
         sa.CheckConstraint(sa.column("permission").in_(PERMISSIONS), name="ck_role_permissions_permission"),
         comment="角色权限: what each role may do.")
sa.Table("role_field_access", metadata,
         sa.Column("role", sa.String, sa.ForeignKey("roles.role"), primary_key=True, comment="角色"),
         sa.Column("field_kind", sa.String, primary_key=True, comment="字段类别: name, phone, email, id_number, login."),
         sa.Column("level", sa.String, nullable=False, comment="可见程度: full, masked or hidden."),
         sa.CheckConstraint(sa.column("level").in_(("full", "masked", "hidden")), name="ck_role_field_access_level"),
         comment="字段权限: what each role sees of each kind of personal field.")
sa.Table("users", metadata,
         sa.Column("user_id", sa.String, primary_key=True, comment="用户编号, U + 2 digits."),
         sa.Column("name", sa.String, nullable=False, comment="姓名"),
         sa.Column("role", sa.String, sa.ForeignKey("roles.role"), nullable=False, comment="角色"),
         sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true(), comment="在职: users are deactivated, never deleted."),
         comment="用户: the staff who use the system.")
for _name in DATA_TABLE_ORDER:
    _data_table(_name)
sa.Table("opportunities", metadata,
         sa.Column("opportunity_id", sa.String, primary_key=True, comment="业务机会编号, OP + 6 digits."),
         sa.Column("customer_id", sa.String, sa.ForeignKey("customers.customer_id"), nullable=False, comment="客户编号"),
         sa.Column("owner_id", sa.String, sa.ForeignKey("users.user_id"), nullable=False, comment="负责人"),
         sa.Column("title", sa.String, nullable=False, comment="机会名称"),
         sa.Column("amount", sa.Float, nullable=False, comment="预计金额, CNY."),
         sa.Column("stage", sa.String, nullable=False, comment="阶段: " + ", ".join(STAGES) + "."),
         sa.Column("created_ts", sa.DateTime, nullable=False, comment="创建时间"),
         sa.Column("next_follow_up", sa.Date, comment="下次跟进日期: an open opportunity past it is overdue (预警)."),
         sa.Column("closed_ts", sa.DateTime, comment="关闭时间"),
         sa.Column("close_reason", sa.String, comment="关闭原因: why it was won or lost."),
         sa.Column("order_id", sa.String, sa.ForeignKey("orders.order_id"), comment="The order a won opportunity became."),
         sa.Column("version", sa.Integer, nullable=False, server_default="1", comment="版本 (optimistic locking)."),
         sa.CheckConstraint(sa.column("stage").in_(STAGES), name="ck_opportunities_stage"),
         sa.CheckConstraint("amount >= 0", name="ck_opportunities_amount"),
         sa.CheckConstraint("(stage IN ('won', 'lost')) = (closed_ts IS NOT NULL AND close_reason IS NOT NULL)",
                            name="ck_opportunities_closed"),
         sa.Index("ix_opportunities_owner_stage", "owner_id", "stage"),
         comment="业务机会: opportunities through the sales funnel.")
sa.Table("service_requests", metadata,
         sa.Column("request_id", sa.String, primary_key=True, comment="服务请求编号, SR + 6 digits."),
         sa.Column("customer_id", sa.String, sa.ForeignKey("customers.customer_id"), nullable=False, comment="客户编号"),
         sa.Column("complaint_id", sa.String, sa.ForeignKey("complaints.complaint_id"), unique=True,
                   comment="The complaint that opened it, if any."),
         sa.Column("order_id", sa.String, sa.ForeignKey("orders.order_id"), comment="The order concerned, if any."),
         sa.Column("subject", sa.String, nullable=False, comment="主题"),
         sa.Column("opened_ts", sa.DateTime, nullable=False, comment="受理时间"),
         sa.Column("status", sa.String, nullable=False, comment="状态: " + ", ".join(SERVICE_STATUSES) + "."),
         sa.Column("assigned_to", sa.String, sa.ForeignKey("users.user_id"), comment="处理人"),
         sa.Column("resolution", sa.String, comment="处理结果"),
         sa.Column("resolved_ts", sa.DateTime, comment="解决时间"),
         sa.Column("closed_ts", sa.DateTime, comment="关闭时间"),
         sa.Column("version", sa.Integer, nullable=False, server_default="1", comment="版本 (optimistic locking)."),
         sa.CheckConstraint(sa.column("status").in_(SERVICE_STATUSES), name="ck_service_requests_status"),
         sa.CheckConstraint("status = 'open' OR assigned_to IS NOT NULL OR complaint_id IS NOT NULL",
                            name="ck_service_requests_assigned"),
         sa.CheckConstraint("status IN ('open', 'assigned') OR resolution IS NOT NULL", name="ck_service_requests_resolved"),
         sa.Index("ix_service_requests_status", "status"),
         comment="服务请求: service requests, those opened by complaints linked to them.")
sa.Table("history", metadata,
         sa.Column("history_id", sa.Integer, primary_key=True, autoincrement=False, comment="记录编号"),
         sa.Column("changed_ts", sa.DateTime, nullable=False, comment="时间"),
         sa.Column("user_id", sa.String, sa.ForeignKey("users.user_id"), nullable=False, comment="操作人"),
         sa.Column("table_name", sa.String, nullable=False, comment="模块 (table)"),
         sa.Column("record_id", sa.String, nullable=False, comment="记录编号: no foreign key, so that history outlives a deleted record."),
         sa.Column("action", sa.String, nullable=False, comment="操作: create, edit, delete."),
         sa.Column("field", sa.String, comment="字段"),
         sa.Column("old_value", sa.Text, comment="原值"),
         sa.Column("new_value", sa.Text, comment="新值"),
         sa.Index("ix_history_record", "table_name", "record_id"),
         comment="操作历史: every change made in the system, by whom and when.")
sa.Table("id_counters", metadata,
         sa.Column("name", sa.String, primary_key=True, comment="What is numbered."),
         sa.Column("next_value", sa.Integer, nullable=False, comment="The next number to give."),
         comment="编号计数器: the next number of each kind of record (row-locked while a write uses it).")
for _table, _column in [("orders", "customer_id"), ("orders", "order_ts"), ("order_lines", "product_id"),
                        ("interactions", "customer_id"), ("complaints", "customer_id"), ("customers", "phone"),
                        ("customers", "name"), ("campaign_assignment", "customer_id")]:
    sa.Index(f"ix_{_table}_{_column}", metadata.tables[_table].c[_column])

_IDS = {"customers": ("C", 7), "orders": ("O", 8), "interactions": ("I", 8), "opportunities": ("OP", 6),
        "service_requests": ("SR", 6), "history": ("", 0)}


class WriteRefused(CrmlabInputError):
    """A write the system refused (拒绝写入); the database is unchanged and ``rule`` names the rule.

    Examples
    --------
    >>> error = WriteRefused("an order line's quantity must be at least 1", rule="ck_order_lines_quantity")
    >>> error.rule, isinstance(error, ValueError)
    ('ck_order_lines_quantity', True)
    """

    def __init__(self, message: str, *, rule: str):
        super().__init__(message)
        self.rule = rule


class PermissionRefused(WriteRefused, PermissionError):
    """The user's role lacks the permission (权限不足).

    Examples
    --------
    >>> issubclass(PermissionRefused, PermissionError)
    True
    """


class ConflictRefused(WriteRefused):
    """Someone saved the record after you read it (编辑冲突): reload it and make the change again.

    Examples
    --------
    >>> ConflictRefused("reload", rule="version").rule
    'version'
    """


class StepClock:
    """A clock that starts at ``start`` and moves on ``step`` every time it is read.

    The system stamps every record with the time; a notebook passes this clock so that
    it shows the same times on every run.

    Examples
    --------
    >>> clock = StepClock("2026-01-05 09:00", step="1min")
    >>> clock(), clock()
    (datetime.datetime(2026, 1, 5, 9, 0), datetime.datetime(2026, 1, 5, 9, 1))
    """

    def __init__(self, start, *, step="1min"):
        self._next = pd.Timestamp(start)
        self._step = pd.Timedelta(step)

    def __call__(self) -> dt.datetime:
        now, self._next = self._next, self._next + self._step
        return now.to_pydatetime()


def database_engine(url) -> sa.Engine:
    """The SQLAlchemy engine for a CRM database URL: SQLite with foreign keys checked and writers taking
    turns, PostgreSQL through psycopg. An Engine passes through.

    Examples
    --------
    >>> database_engine("sqlite:///:memory:").dialect.name
    'sqlite'
    """
    if isinstance(url, sa.Engine):
        return url
    try:
        url = sa.make_url(str(url))
    except sa.exc.ArgumentError:
        raise CrmlabInputError(f"{url!r} is not a database URL: write 'sqlite:///crm.sqlite' for a file (made if "
                               "absent) or 'postgresql://user:password@host/dbname' for a server.") from None
    if url.get_backend_name() == "postgresql":
        try:
            import psycopg  # noqa: F401
        except ImportError:
            raise CrmlabInputError('a PostgreSQL URL needs the driver psycopg: pip install "crmlab[postgresql]" '
                                   "(python kit.py installs it in the kit's environment).") from None
    if url.get_backend_name() == "sqlite":
        engine = sa.create_engine(url, connect_args={"timeout": 30})

        @sa.event.listens_for(engine, "connect")
        def _connect(dbapi_connection, _record):
            dbapi_connection.isolation_level = None  # SQLAlchemy, not the driver, begins transactions
            dbapi_connection.execute("PRAGMA foreign_keys = ON")  # SQLite checks foreign keys only when asked

        @sa.event.listens_for(engine, "begin")
        def _begin(connection):
            # IMMEDIATE takes the write lock at once, so two writers wait in turn instead of deadlocking.
            connection.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    if url.get_backend_name() == "postgresql" and url.get_driver_name() in ("", "psycopg2"):
        url = url.set(drivername="postgresql+psycopg")  # the driver crmlab[postgresql] installs
    return sa.create_engine(url)


def _insert_frame(conn, table: sa.Table, frame: pd.DataFrame) -> None:
    """Insert a DataFrame's rows as Python values (None for missing), which every database driver takes."""
    columns = []
    for column in frame.columns:
        values = frame[column]
        if isinstance(table.c[column].type, sa.Date):
            values = values.dt.date
        elif isinstance(values.dtype, pd.CategoricalDtype):
            values = values.astype("string")
        columns.append(values.astype(object).where(values.notna(), None).tolist())
    _insert(conn, table, list(frame.columns), columns)


def _insert(conn, table: sa.Table, names: list[str], columns: list[list]) -> int:
    """Insert rows given column by column; returns how many. PostgreSQL takes them through COPY, one
    stream instead of one statement per row (five times faster for the sample company)."""
    rows = list(zip(*columns))
    if rows and conn.dialect.name == "postgresql":
        quote = conn.dialect.identifier_preparer.quote  # "group" is a column name and an SQL word
        with conn.connection.driver_connection.cursor() as cursor, cursor.copy(
                f"COPY {quote(table.name)} ({', '.join(map(quote, names))}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    elif rows:
        conn.execute(table.insert(), [dict(zip(names, row)) for row in rows])
    return len(rows)


def _describe(url) -> str:
    return sa.make_url(str(url)).render_as_string(hide_password=True) if not isinstance(url, sa.Engine) else str(url.url)


def build_database(url, *, data_dir=None, replace: bool = False) -> pd.DataFrame:
    """Build the CRM database from the sample company (建库), or from a student's variant.

    Creates every table of :data:`metadata` with its keys, foreign keys, checks and
    indexes, loads the company's records, and sets up the roles, permissions and
    users (:data:`ROLES`, :data:`USERS`). Each complaint opens a service request
    (closed when the complaint was closed, resolved with its outcome). Everything
    happens in one transaction: a build that fails leaves no half-built database.

    Parameters
    ----------
    url : str or sqlalchemy.Engine
        Where: ``"sqlite:///crm.sqlite"`` (a file, made if absent) or
        ``"postgresql://user:password@host/dbname"`` (a database on a server).
    data_dir : str or Path, optional
        A student's variant (``crmlab data generate``); default the shipped sample company.
    replace : bool, default False
        Rebuild a database that already holds the CRM tables (everything recorded
        in it since is lost). Without it such a database is refused.

    Returns
    -------
    DataFrame
        One row per table: ``zh`` (its Chinese name) and ``rows`` loaded.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> url = "sqlite:///" + str(pathlib.Path(tempfile.mkdtemp()) / "crm.sqlite")
    >>> build_database(url).loc[["customers", "service_requests"], "rows"].tolist()
    [10000, 102]
    """
    engine = database_engine(url)
    present = set(sa.inspect(engine).get_table_names()) & set(metadata.tables)
    if present and not replace:
        raise CrmlabInputError(f"{_describe(url)} already holds a CRM database (tables {', '.join(sorted(present))}). "
                               "Connect to it with crm_system.connect(url, user=...), or pass replace=True to build it "
                               "again from the data (what was recorded in it since is lost).")
    frames = {name: load_data(name, data_dir=data_dir) for name in DATA_TABLE_ORDER}
    with engine.begin() as conn:
        metadata.drop_all(conn)
        metadata.create_all(conn)
        conn.execute(metadata.tables["roles"].insert(), [{"role": r, "name_zh": s["zh"]} for r, s in ROLES.items()])
        conn.execute(metadata.tables["role_permissions"].insert(),
                     [{"role": r, "permission": p} for r, s in ROLES.items() for p in s["permissions"]])
        conn.execute(metadata.tables["role_field_access"].insert(),
                     [{"role": r, "field_kind": k, "level": lvl} for r, s in ROLES.items() for k, lvl in s["fields"].items()])
        conn.execute(metadata.tables["users"].insert(),
                     [{"user_id": u, "name": n, "role": r, "active": True} for u, (n, r) in USERS.items()])
        for name in DATA_TABLE_ORDER:
            try:
                with conn.begin_nested():  # a savepoint, so the refused table can be named
                    _insert_frame(conn, metadata.tables[name], frames[name])
            except (sa.exc.IntegrityError, sa.exc.DataError) as error:
                raise CrmlabInputError(f"the data's {name} table breaks a rule of the CRM schema "
                                       f"({str(error.orig).splitlines()[0]}); nothing was built. Check the table "
                                       "with crmlab.quality or regenerate the data (crmlab data generate).") from None
        complaints = frames["complaints"]
        closed = complaints["closed_ts"].notna()
        requests = pd.DataFrame({
            "request_id": "SR" + complaints["complaint_id"].str[1:],
            "customer_id": complaints["customer_id"], "complaint_id": complaints["complaint_id"],
            "order_id": complaints["order_id"], "subject": "complaint: " + complaints["category"].astype("string"),
            "opened_ts": complaints["opened_ts"], "status": closed.map({True: "closed", False: "open"}),
            "resolution": complaints["outcome"].astype("string").where(closed),
            "resolved_ts": complaints["closed_ts"], "closed_ts": complaints["closed_ts"]})
        _insert_frame(conn, metadata.tables["service_requests"], requests)
        numbered = {**frames, "service_requests": requests, "opportunities": None, "history": None}
        counters = {name: _next_number(numbered[name], _IDS[name][0]) for name in _IDS}
        conn.execute(metadata.tables["id_counters"].insert(), [{"name": n, "next_value": v} for n, v in counters.items()])
    counts = row_counts(engine)
    if engine is not url:
        engine.dispose()  # close its connections: PostgreSQL copies a database only when no one is connected
    return counts


def row_counts(url) -> pd.DataFrame:
    """Rows in each table of the CRM database, with the table's Chinese name.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> url = "sqlite:///" + str(pathlib.Path(tempfile.mkdtemp()) / "crm.sqlite")
    >>> _ = build_database(url)
    >>> row_counts(url).loc["order_lines", "rows"]
    np.int64(48668)
    """
    engine = database_engine(url)
    with engine.connect() as conn:
        rows = {name: conn.scalar(sa.select(sa.func.count()).select_from(table)) for name, table in metadata.tables.items()}
    return pd.DataFrame({"zh": {n: t.comment.split(":")[0] for n, t in metadata.tables.items()},
                         "rows": pd.Series(rows, dtype="int64")}).rename_axis("table")


def connect(url, *, user: str, clock=None) -> "CRM":
    """Log in to the CRM system as one user (登录).

    Parameters
    ----------
    url : str or sqlalchemy.Engine
        A database built by :func:`build_database`.
    user : str
        A user id of the ``users`` table (:data:`USERS`: ``U02`` is the manager,
        ``U03``-``U05`` sales, ``U06``-``U08`` service).
    clock : callable, optional
        Returns the current time; default the computer's clock. A notebook passes
        a :class:`StepClock` so that its outputs are the same on every run.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> url = "sqlite:///" + str(pathlib.Path(tempfile.mkdtemp()) / "crm.sqlite")
    >>> _ = build_database(url)
    >>> connect(url, user="U02")
    CRM(user='U02', role='manager')
    """
    return CRM(database_engine(url), user=user, clock=clock)


class CRM:
    """One user's session in the CRM system (a logged-in user).

    Made by :func:`connect`. Reads return DataFrames (one row per record), with
    personal fields shown as the user's role may see them; writes check the
    role's permission, run in one transaction and record who changed what in
    ``history``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> url = "sqlite:///" + str(pathlib.Path(tempfile.mkdtemp()) / "crm.sqlite")
    >>> _ = build_database(url)
    >>> sales = connect(url, user="U03", clock=StepClock("2026-01-05 09:00"))
    >>> sales.find_customers(name="王艳涵")[["customer_id", "city", "version"]].to_dict("records")
    [{'customer_id': 'C0000001', 'city': '合肥', 'version': 1}]
    >>> sales.edit_customer("C0000001", version=1, city="南京")["version"]
    2
    >>> sales.customer_history("C0000001")[["user_id", "field", "old_value", "new_value"]].to_dict("records")
    [{'user_id': 'U03', 'field': 'city', 'old_value': '合肥', 'new_value': '南京'}]

    An edit based on a version someone else has changed since is refused:

    >>> sales.edit_customer("C0000001", version=1, city="苏州")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    crmlab.crm_system.ConflictRefused: customer C0000001 was changed by someone else after you read it ...

    An opportunity through the funnel, and a follow-up alert once its date has passed:

    >>> sales.open_opportunity("C0000001", title="年会礼品", amount=8000, next_follow_up="2026-01-09")["stage"]
    'lead'
    >>> sales.advance_opportunity("OP000001", version=1, next_follow_up="2026-01-02")["stage"]
    'qualified'
    >>> sales.overdue_follow_ups()[["opportunity_id", "days_overdue"]].to_dict("records")
    [{'opportunity_id': 'OP000001', 'days_overdue': 3}]
    >>> sales.close_opportunity("OP000001", version=2, won=True, reason="报价通过")["stage"]
    'won'
    >>> order = sales.create_order("C0000001", lines=[{"product_id": "P0001", "quantity": 2}],
    ...                            opportunity_id="OP000001")
    >>> order[["order_id", "status", "net_amount"]].tolist()
    ['O00033265', 'placed', 33.8]

    A service agent sees masked phone numbers, works a request through, and may not delete:

    >>> agent = connect(url, user="U06", clock=StepClock("2026-01-06 10:00"))
    >>> agent.customer("C0000001")["phone"]
    '199****4567'
    >>> request = agent.open_service_request("C0000001", subject="发票抬头错误", order_id=order["order_id"])
    >>> request = agent.assign_service_request(request["request_id"], version=1, to="U07")
    >>> request = agent.resolve_service_request(request["request_id"], version=2, resolution="重开发票")
    >>> agent.close_service_request(request["request_id"], version=3)[["request_id", "status"]].tolist()
    ['SR000103', 'closed']
    >>> agent.service_statistics()["requests"].to_dict()
    {'open': 15, 'assigned': 0, 'resolved': 0, 'closed': 88}

    The administrator registers users and sets their roles:

    >>> admin = connect(url, user="U01")
    >>> admin.add_user("U09", name="冯晓东", role="service").loc["U09", "permissions"]
    'contact.create, customer.edit, customer.read, service.write, statistics.read'
    """

    def __init__(self, engine: sa.Engine, *, user: str, clock=None):
        self.engine = engine
        self._clock = clock or (lambda: dt.datetime.now().replace(microsecond=0))
        users = metadata.tables["users"]
        with engine.connect() as conn:
            if not sa.inspect(conn).has_table("users"):
                raise CrmlabInputError(f"{engine.url.render_as_string(hide_password=True)} holds no CRM database: "
                                       "build it first with crm_system.build_database(url).")
            row = conn.execute(sa.select(users).where(users.c.user_id == user)).mappings().first()
            if row is None or not row["active"]:
                known = conn.execute(sa.select(users.c.user_id, users.c.role).where(users.c.active)).all()
                raise CrmlabInputError(f"no active user {user!r}. Users: "
                                       + ", ".join(f"{u} ({r})" for u, r in known) + ".")
            self.user, self.role = row["user_id"], row["role"]
            self.permissions = frozenset(conn.scalars(sa.select(metadata.tables["role_permissions"].c.permission)
                                                      .where(metadata.tables["role_permissions"].c.role == self.role)))
            access = metadata.tables["role_field_access"]
            self.field_access = dict(conn.execute(sa.select(access.c.field_kind, access.c.level)
                                                  .where(access.c.role == self.role)).all())
            self.role_zh = conn.scalar(sa.select(metadata.tables["roles"].c.name_zh)
                                        .where(metadata.tables["roles"].c.role == self.role))

    def __repr__(self):
        return f"CRM(user={self.user!r}, role={self.role!r})"

    # -- the machinery every write goes through -------------------------------------------------
    def _require(self, permission: str, doing: str):
        if permission not in self.permissions:
            users, granted, roles = (metadata.tables[n] for n in ("users", "role_permissions", "roles"))
            query = (sa.select(users.c.user_id, roles.c.name_zh).join(granted, granted.c.role == users.c.role)
                     .join(roles, roles.c.role == users.c.role)
                     .where(granted.c.permission == permission, users.c.active).order_by(users.c.user_id))
            with self.engine.connect() as conn:
                who = ", ".join(f"{u} ({zh})" for u, zh in conn.execute(query).all()[:3])
            raise PermissionRefused(f"{self.user} ({self.role}, {self.role_zh}) may not {doing}: the role has no "
                                    f"{permission!r} permission." + (f" Users who may: {who}." if who else ""),
                                    rule=permission)

    @contextmanager
    def _write(self, permission: str, doing: str):
        """One transaction: committed if the block ends normally, rolled back (nothing changed) if not."""
        self._require(permission, doing)
        try:
            with self.engine.begin() as conn:
                yield conn
        except sa.exc.IntegrityError as error:
            raise _refusal(error, doing) from error

    def _next_id(self, conn, name: str) -> str | int:
        counters = metadata.tables["id_counters"]
        # UPDATE ... RETURNING locks the counter row until commit: two writers never get one number.
        number = conn.execute(counters.update().where(counters.c.name == name)
                              .values(next_value=counters.c.next_value + 1)
                              .returning(counters.c.next_value)).scalar_one() - 1
        prefix, digits = _IDS[name]
        return f"{prefix}{number:0{digits}d}" if digits else number

    def _log(self, conn, table: str, record_id: str, action: str, changes: dict):
        """Write one history row per changed field (``changes``: field -> (old, new))."""
        now = self._clock()
        items = changes.items() or [(None, (None, None))]
        conn.execute(metadata.tables["history"].insert(), [
            {"history_id": self._next_id(conn, "history"), "changed_ts": now, "user_id": self.user,
             "table_name": table, "record_id": record_id, "action": action, "field": field,
             "old_value": _text(old), "new_value": _text(new)} for field, (old, new) in items])

    def _get(self, conn, table: str, record_id: str, *, lock: bool = False) -> dict:
        t = metadata.tables[table]
        key = t.primary_key.columns.values()[0]
        query = sa.select(t).where(key == record_id)
        row = conn.execute(query.with_for_update() if lock else query).mappings().first()
        if row is None:
            raise WriteRefused(f"there is no {table[:-1].replace('_', ' ')} {record_id!r} ({key.name}).", rule="exists")
        return dict(row)

    def _update(self, conn, table: str, record_id: str, version: int, changes: dict, *, action: str = "edit") -> dict:
        """Optimistic locking: the UPDATE applies only if the record still has the version the user saw."""
        t = metadata.tables[table]
        key = t.primary_key.columns.values()[0]
        old = self._get(conn, table, record_id)
        unknown = [f for f in changes if f not in t.c or f in (key.name, "version")]
        if unknown:
            editable = [c.name for c in t.c if c.name not in (key.name, "version")]
            raise WriteRefused(f"{table} has no editable field {', '.join(map(repr, unknown))}. "
                               f"Fields: {', '.join(editable)}.", rule="fields")
        _check_types(t, changes)
        done = conn.execute(t.update().where(key == record_id, t.c.version == version)
                            .values(**changes, version=t.c.version + 1))
        if done.rowcount != 1:
            now = conn.scalar(sa.select(t.c.version).where(key == record_id))
            raise ConflictRefused(f"{table[:-1].replace('_', ' ')} {record_id} was changed by someone else after you "
                                  f"read it (you had version {version}, it is now version {now}). Look it up "
                                  "again and make your change on the current version; nothing was saved.", rule="version")
        self._log(conn, table, record_id, action, {f: (old[f], v) for f, v in changes.items() if old[f] != v})
        return self._get(conn, table, record_id)

    def _frame(self, conn, query) -> pd.DataFrame:
        return _masked(pd.DataFrame(conn.execute(query).mappings().all(), columns=list(query.selected_columns.keys())),
                       self.field_access)

    # -- customers (客户信息管理) ------------------------------------------------------------------
    def find_customers(self, *, name: str | None = None, phone: str | None = None, city: str | None = None,
                       limit: int = 20) -> pd.DataFrame:
        """Look up customers (客户查询) by part of the name, the phone number's last digits, or the city.
        """
        self._require("customer.read", "look up customers")
        t = metadata.tables["customers"]
        query = sa.select(t).order_by(t.c.customer_id).limit(limit)
        if name:
            query = query.where(t.c.name.contains(name, autoescape=True))
        if phone:
            query = query.where(t.c.phone.endswith(str(phone), autoescape=True))
        if city:
            query = query.where(t.c.city == city)
        with self.engine.connect() as conn:
            return self._frame(conn, query)

    def customer(self, customer_id: str) -> pd.Series:
        """One customer's record (客户档案), as the user's role may see it.
        """
        self._require("customer.read", "look up customers")
        t = metadata.tables["customers"]
        with self.engine.connect() as conn:
            frame = self._frame(conn, sa.select(t).where(t.c.customer_id == customer_id))
        if frame.empty:
            raise CrmlabInputError(f"there is no customer {customer_id!r}; find_customers(name=...) looks one up.")
        return pd.Series(frame.iloc[0].to_dict() | {"version": int(frame["version"].iloc[0])}, name=customer_id)

    def create_customer(self, *, name: str, phone: str | None = None, city: str | None = None,
                        **fields) -> pd.Series:
        """Create a customer record (客户录入); the system gives the id and stamps the sign-up time.
        """
        t = metadata.tables["customers"]
        with self._write("customer.create", "create customers") as conn:
            record = {"name": name, "phone": phone, "city": city, "signup_ts": self._clock(), "owner_id": self.user,
                      "signup_channel": "callcentre", "membership_tier": "standard", "marketing_consent": False}
            unknown = [f for f in fields if f not in t.c or f in ("customer_id", "version")]
            if unknown:
                raise WriteRefused(f"customers has no field {', '.join(map(repr, unknown))}.", rule="fields")
            record.update(fields)
            _check_types(t, record)
            record["customer_id"] = self._next_id(conn, "customers")
            conn.execute(t.insert().values(**record))
            self._log(conn, "customers", record["customer_id"], "create",
                      {f: (None, v) for f, v in record.items() if v is not None and f != "customer_id"})
            customer_id = record["customer_id"]
        return self.customer(customer_id)

    def edit_customer(self, customer_id: str, *, version: int, **changes) -> pd.Series:
        """Change fields of a customer record (客户修改), based on the ``version`` you looked at.

        Refused, with nothing saved, if someone changed the record since (:class:`ConflictRefused`).
        """
        with self._write("customer.edit", "edit customers") as conn:
            self._update(conn, "customers", customer_id, version, changes)
        return self.customer(customer_id)

    def delete_customer(self, customer_id: str, *, version: int) -> None:
        """Delete a customer who has no orders, contacts, complaints, opportunities or requests (客户删除).

        The deleted record's fields stay in the history.
        """
        t = metadata.tables["customers"]
        with self._write("customer.delete", "delete customers") as conn:
            old = self._get(conn, "customers", customer_id)
            linked = {name: conn.scalar(sa.select(sa.func.count()).select_from(metadata.tables[name])
                                        .where(metadata.tables[name].c.customer_id == customer_id))
                      for name in ("orders", "interactions", "complaints", "opportunities", "service_requests",
                                   "campaign_assignment")}
            linked = {name: n for name, n in linked.items() if n}
            if linked:
                raise WriteRefused(f"customer {customer_id} cannot be deleted: " + ", ".join(
                    f"{n} {name.replace('_', ' ')}" for name, n in linked.items()) + " refer to it (a customer's "
                    "history is kept). Note the reason in the customer's notes instead.", rule="fk_customers")
            done = conn.execute(t.delete().where(t.c.customer_id == customer_id, t.c.version == version))
            if done.rowcount != 1:
                raise ConflictRefused(f"customer {customer_id} was changed by someone else after you read it (you had "
                                      f"version {version}, it is now {old['version']}); look it up again.", rule="version")
            self._log(conn, "customers", customer_id, "delete",
                      {f: (v, None) for f, v in old.items() if v is not None and f != "customer_id"})

    def customer_history(self, customer_id: str) -> pd.DataFrame:
        """Every change recorded for a customer (操作历史): when, who, what, from what to what.
        """
        self._require("customer.read", "look up customers")
        return self.history(table="customers", record_id=customer_id)

    def history(self, *, table: str | None = None, record_id: str | None = None) -> pd.DataFrame:
        """What the system recorded (操作历史), newest last; personal values masked as the role requires.
        """
        self._require("customer.read", "read the history")
        h = metadata.tables["history"]
        query = sa.select(h).order_by(h.c.history_id)
        if table:
            query = query.where(h.c.table_name == table)
        if record_id:
            query = query.where(h.c.record_id == record_id)
        with self.engine.connect() as conn:
            frame = pd.DataFrame(conn.execute(query).mappings().all(), columns=list(h.c.keys()))
        return _masked_history(frame, self.field_access)

    def customer_record(self, customer_id: str) -> dict[str, pd.DataFrame]:
        """A customer's full record (客户全貌): profile, orders, contacts, complaints, opportunities,
        service requests and the history of changes, one DataFrame each.
        """
        profile = self.customer(customer_id).to_frame().T
        out = {"profile": profile}
        with self.engine.connect() as conn:
            for key, name in [("orders", "orders"), ("contacts", "interactions"), ("complaints", "complaints"),
                              ("opportunities", "opportunities"), ("service_requests", "service_requests")]:
                t = metadata.tables[name]
                query = sa.select(t).where(t.c.customer_id == customer_id).order_by(*t.primary_key.columns)
                out[key] = self._frame(conn, query)
        out["history"] = self.customer_history(customer_id)
        return out

    # -- contacts (联系记录) -----------------------------------------------------------------------
    def log_contact(self, customer_id: str, *, channel: str, purpose: str, initiated_by: str = "company",
                    cost: float = 0.0) -> str:
        """Record a contact with a customer (联系记录); returns its ``interaction_id``.
        """
        t = metadata.tables["interactions"]
        with self._write("contact.create", "record contacts") as conn:
            self._get(conn, "customers", customer_id)
            interaction_id = self._next_id(conn, "interactions")
            record = {"interaction_id": interaction_id, "customer_id": customer_id, "interaction_ts": self._clock(),
                      "channel": channel, "initiated_by": initiated_by, "purpose": purpose, "cost": cost}
            conn.execute(t.insert().values(**record))
            self._log(conn, "interactions", interaction_id, "create",
                      {f: (None, v) for f, v in record.items() if f != "interaction_id"})
        return interaction_id

    # -- opportunities (业务机会) ------------------------------------------------------------------
    def open_opportunity(self, customer_id: str, *, title: str, amount: float, next_follow_up) -> pd.Series:
        """Create an opportunity (创建业务机会) at the ``lead`` stage, owned by the user.
        """
        t = metadata.tables["opportunities"]
        with self._write("opportunity.write", "work on opportunities") as conn:
            self._get(conn, "customers", customer_id)
            opportunity_id = self._next_id(conn, "opportunities")
            record = {"opportunity_id": opportunity_id, "customer_id": customer_id, "owner_id": self.user,
                      "title": title, "amount": _amount(amount, "amount"), "stage": "lead",
                      "created_ts": self._clock(), "next_follow_up": _day(next_follow_up, "next_follow_up")}
            conn.execute(t.insert().values(**record))
            self._log(conn, "opportunities", opportunity_id, "create",
                      {f: (None, v) for f, v in record.items() if f != "opportunity_id"})
        return self.opportunity(opportunity_id)

    def opportunity(self, opportunity_id: str) -> pd.Series:
        """One opportunity (业务机会).
        """
        with self.engine.connect() as conn:
            return pd.Series(self._get(conn, "opportunities", opportunity_id), name=opportunity_id)

    def advance_opportunity(self, opportunity_id: str, *, version: int, next_follow_up, amount=None) -> pd.Series:
        """Move an open opportunity to the funnel's next stage (推进), with its next follow-up date.
        """
        with self._write("opportunity.write", "work on opportunities") as conn:
            stage = self._get(conn, "opportunities", opportunity_id)["stage"]
            if stage not in OPEN_STAGES[:-1]:
                raise WriteRefused(f"opportunity {opportunity_id} is at '{stage}': " + (
                    "it is closed." if stage not in OPEN_STAGES else "the last open stage; close it as won or lost "
                    "with close_opportunity."), rule="funnel")
            changes = {"stage": OPEN_STAGES[OPEN_STAGES.index(stage) + 1],
                       "next_follow_up": _day(next_follow_up, "next_follow_up")}
            if amount is not None:
                changes["amount"] = _amount(amount, "amount")
            self._update(conn, "opportunities", opportunity_id, version, changes, action="advance")
        return self.opportunity(opportunity_id)

    def close_opportunity(self, opportunity_id: str, *, version: int, won: bool, reason: str) -> pd.Series:
        """Close an opportunity as won (赢单) or lost (丢单), with the reason (关闭原因).
        """
        if not str(reason or "").strip():
            raise WriteRefused("closing an opportunity needs a reason (关闭原因): why it was won or lost.",
                               rule="ck_opportunities_closed")
        with self._write("opportunity.write", "work on opportunities") as conn:
            stage = self._get(conn, "opportunities", opportunity_id)["stage"]
            if stage not in OPEN_STAGES:
                raise WriteRefused(f"opportunity {opportunity_id} is already closed ({stage}).", rule="funnel")
            self._update(conn, "opportunities", opportunity_id, version,
                         {"stage": "won" if won else "lost", "closed_ts": self._clock(), "close_reason": reason,
                          "next_follow_up": None}, action="close")
        return self.opportunity(opportunity_id)

    def overdue_follow_ups(self) -> pd.DataFrame:
        """Open opportunities whose follow-up date has passed (跟进预警), most overdue first.
        """
        t = metadata.tables["opportunities"]
        today = self._clock().date()
        query = (sa.select(t.c.opportunity_id, t.c.customer_id, t.c.owner_id, t.c.title, t.c.stage, t.c.amount,
                           t.c.next_follow_up)
                 .where(t.c.stage.in_(OPEN_STAGES), t.c.next_follow_up < today).order_by(t.c.next_follow_up))
        with self.engine.connect() as conn:
            frame = pd.DataFrame(conn.execute(query).mappings().all(), columns=list(query.selected_columns.keys()))
        frame["days_overdue"] = [(today - day).days for day in frame["next_follow_up"]]
        return frame

    # -- sales orders (销售订单) -------------------------------------------------------------------
    def create_order(self, customer_id: str, *, lines, channel: str = "callcentre", store_id: str | None = None,
                     payment_method: str = "bank_card", opportunity_id: str | None = None) -> pd.Series:
        """Create a sales order (创建销售订单) with its lines: each ``{"product_id", "quantity"}``,
        optionally ``discount_rate``; prices from the product catalogue. Status ``placed``.
        """
        orders, order_lines, products = (metadata.tables[n] for n in ("orders", "order_lines", "products"))
        lines = list(lines)
        if not lines:
            raise WriteRefused("an order needs at least one line: lines=[{'product_id': ..., 'quantity': ...}].",
                               rule="order_lines")
        with self._write("order.write", "create orders") as conn:
            self._get(conn, "customers", customer_id)
            order_id = self._next_id(conn, "orders")
            record = {"order_id": order_id, "customer_id": customer_id, "order_ts": self._clock(), "channel": channel,
                      "store_id": store_id, "payment_method": payment_method, "status": "placed"}
            conn.execute(orders.insert().values(**record))
            rows = []
            for number, line in enumerate(lines, start=1):
                product = conn.execute(sa.select(products).where(products.c.product_id == line.get("product_id"))
                                       ).mappings().first()
                if product is None:
                    raise WriteRefused(f"line {number}: there is no product {line.get('product_id')!r} in the "
                                       "catalogue (products).", rule="fk_order_lines_product")
                quantity, discount = line.get("quantity"), line.get("discount_rate", 0.0)
                if not isinstance(quantity, int) or not isinstance(discount, (int, float)) or not 0 <= discount < 1:
                    raise WriteRefused(f"line {number}: quantity must be a whole number of units and discount_rate a "
                                       f"share from 0 to below 1, got {quantity!r} and {discount!r}.", rule="order_lines")
                rows.append({"order_id": order_id, "line_no": number, "product_id": product["product_id"],
                             "quantity": quantity, "unit_price": product["list_price"], "discount_rate": discount,
                             "net_amount": round(quantity * product["list_price"] * (1 - discount), 2),
                             "cost": round(quantity * product["unit_cost"], 2)})
            # The schema checks the lines (quantity >= 1): a refused line undoes the order row above too.
            conn.execute(order_lines.insert(), rows)
            self._log(conn, "orders", order_id, "create",
                      {**{f: (None, v) for f, v in record.items() if f != "order_id"},
                       "lines": (None, json.dumps([{k: r[k] for k in ("product_id", "quantity", "net_amount")}
                                                   for r in rows], ensure_ascii=False))})
            if opportunity_id is not None:
                won = self._get(conn, "opportunities", opportunity_id)
                if won["stage"] != "won" or won["customer_id"] != customer_id:
                    raise WriteRefused(f"opportunity {opportunity_id} is '{won['stage']}' for customer "
                                       f"{won['customer_id']}: an order comes from a won opportunity of the same "
                                       "customer.", rule="order_opportunity")
                self._update(conn, "opportunities", opportunity_id, won["version"], {"order_id": order_id})
        return self.order(order_id)

    def order(self, order_id: str) -> pd.Series:
        """One sales order with its total (``net_amount``, the sum of its lines).
        """
        order_lines = metadata.tables["order_lines"]
        with self.engine.connect() as conn:
            record = self._get(conn, "orders", order_id)
            total = conn.scalar(sa.select(sa.func.sum(order_lines.c.net_amount)).where(order_lines.c.order_id == order_id))
        return pd.Series({**record, "net_amount": round(total or 0.0, 2)}, name=order_id)

    def set_order_status(self, order_id: str, *, version: int, status: str) -> pd.Series:
        """Track an order (订单跟踪): ``placed`` → ``shipped`` → ``completed``; ``cancelled`` before it ships,
        ``returned`` after it is completed.
        """
        allowed = {"placed": ("shipped", "cancelled"), "shipped": ("completed",), "completed": ("returned",)}
        with self._write("order.write", "change orders") as conn:
            now = self._get(conn, "orders", order_id)["status"]
            if status not in allowed.get(now, ()):
                raise WriteRefused(f"order {order_id} is '{now}': it can become "
                                   + (" or ".join(allowed[now]) if now in allowed else "nothing else (closed)")
                                   + f", not {status!r}.", rule="order_status")
            self._update(conn, "orders", order_id, version, {"status": status}, action="status")
        return self.order(order_id)

    # -- service requests (服务请求) ---------------------------------------------------------------
    def open_service_request(self, customer_id: str, *, subject: str, complaint_id: str | None = None,
                             order_id: str | None = None) -> pd.Series:
        """Open a service request (受理服务请求), optionally linked to one of the customer's complaints
        and orders.
        """
        t = metadata.tables["service_requests"]
        with self._write("service.write", "work on service requests") as conn:
            self._get(conn, "customers", customer_id)
            for table, linked in (("complaints", complaint_id), ("orders", order_id)):
                if linked is not None and self._get(conn, table, linked)["customer_id"] != customer_id:
                    raise WriteRefused(f"{linked} is another customer's {table[:-1]}: a request is linked to the "
                                       f"customer's own {table}.", rule=f"service_requests_{table[:-1]}")
            request_id = self._next_id(conn, "service_requests")
            record = {"request_id": request_id, "customer_id": customer_id, "complaint_id": complaint_id,
                      "order_id": order_id, "subject": subject, "opened_ts": self._clock(), "status": "open"}
            conn.execute(t.insert().values(**record))
            self._log(conn, "service_requests", request_id, "create",
                      {f: (None, v) for f, v in record.items() if v is not None and f != "request_id"})
        return self.service_request(request_id)

    def service_request(self, request_id: str) -> pd.Series:
        """One service request (服务请求).
        """
        with self.engine.connect() as conn:
            return pd.Series(self._get(conn, "service_requests", request_id), name=request_id)

    def assign_service_request(self, request_id: str, *, version: int, to: str) -> pd.Series:
        """Assign an open request to a service agent (分派).
        """
        return self._service_step(request_id, version, "open", {"status": "assigned", "assigned_to": to}, "assign")

    def resolve_service_request(self, request_id: str, *, version: int, resolution: str) -> pd.Series:
        """Record how an assigned request was resolved (解决).
        """
        if not str(resolution or "").strip():
            raise WriteRefused("resolving a request needs the resolution (处理结果).", rule="ck_service_requests_resolved")
        return self._service_step(request_id, version, "assigned",
                                  {"status": "resolved", "resolution": resolution, "resolved_ts": self._clock()},
                                  "resolve")

    def close_service_request(self, request_id: str, *, version: int) -> pd.Series:
        """Close a resolved request once the customer confirms (关闭).
        """
        return self._service_step(request_id, version, "resolved", {"status": "closed", "closed_ts": self._clock()},
                                  "close")

    def _service_step(self, request_id, version, needs, changes, action):
        with self._write("service.write", "work on service requests") as conn:
            status = self._get(conn, "service_requests", request_id)["status"]
            if status != needs:
                raise WriteRefused(f"service request {request_id} is '{status}'; to {action} it, it must be '{needs}' "
                                   f"(the order is {' → '.join(SERVICE_STATUSES)}).", rule="service_status")
            if "assigned_to" in changes:
                agent = conn.execute(sa.select(metadata.tables["users"]).where(
                    metadata.tables["users"].c.user_id == changes["assigned_to"])).mappings().first()
                if agent is None or agent["role"] not in ("service", "manager") or not agent["active"]:
                    raise WriteRefused(f"{changes['assigned_to']!r} is not an active service agent or manager.",
                                       rule="assign_agent")
            self._update(conn, "service_requests", request_id, version, changes, action=action)
        return self.service_request(request_id)

    # -- statistics (统计分析) ---------------------------------------------------------------------
    def customer_statistics(self, *, by: str = "membership_tier") -> pd.DataFrame:
        """Customer statistics (客户统计): customers per level of a customer field, and their share.
        """
        self._require("statistics.read", "run statistics")
        t = metadata.tables["customers"]
        allowed = ("membership_tier", "city_tier", "city", "signup_channel", "gender", "owner_id", "marketing_consent")
        if by not in allowed:
            raise CrmlabInputError(f"by={by!r}: customer statistics are by one of {', '.join(allowed)}.")
        query = sa.select(t.c[by], sa.func.count().label("customers")).group_by(t.c[by]).order_by(t.c[by])
        return _with_share(self._query(query).set_index(by), "customers")

    def business_statistics(self, *, by: str = "month") -> pd.DataFrame:
        """Business statistics (业务统计): orders and net revenue of completed orders per month, channel
        or region (store orders; ``online`` for the rest), and the opportunities funnel (``by="stage"``).
        """
        self._require("statistics.read", "run statistics")
        if by == "stage":
            t = metadata.tables["opportunities"]
            query = (sa.select(t.c.stage, sa.func.count().label("opportunities"), sa.func.sum(t.c.amount).label("amount"))
                     .group_by(t.c.stage))
            frame = self._query(query).set_index("stage").reindex(list(STAGES))
            return frame.fillna({"opportunities": 0, "amount": 0.0}).astype({"opportunities": "int64"})
        orders, lines, stores = (metadata.tables[n] for n in ("orders", "order_lines", "stores"))
        keys = {"month": _month(orders.c.order_ts), "channel": orders.c.channel,
                "region": sa.func.coalesce(stores.c.region, "online")}
        if by not in keys:
            raise CrmlabInputError(f"by={by!r}: business statistics are by one of {', '.join(keys)} or 'stage'.")
        key = keys[by].label(by)
        query = (sa.select(key, sa.func.count(sa.distinct(orders.c.order_id)).label("orders"),
                           sa.func.sum(lines.c.net_amount).label("revenue"))
                 .select_from(orders.join(lines, lines.c.order_id == orders.c.order_id)
                              .outerjoin(stores, stores.c.store_id == orders.c.store_id))
                 .where(orders.c.status == "completed").group_by(key).order_by(key))
        frame = self._query(query)
        if by == "month":
            frame["month"] = [f"{m // 100}-{m % 100:02d}" for m in frame["month"]]
        return frame.set_index(by).round({"revenue": 2})

    def service_statistics(self) -> pd.DataFrame:
        """Service statistics (服务统计): requests per status, with the median days from opening to close.
        """
        self._require("statistics.read", "run statistics")
        t = metadata.tables["service_requests"]
        frame = self._query(sa.select(t.c.status, t.c.opened_ts, t.c.closed_ts))
        frame["days_to_close"] = (pd.to_datetime(frame["closed_ts"]) - pd.to_datetime(frame["opened_ts"])).dt.total_seconds() / 86400
        out = frame.groupby("status").agg(requests=("status", "size"), median_days_to_close=("days_to_close", "median"))
        return out.reindex(list(SERVICE_STATUSES)).fillna({"requests": 0}).astype({"requests": "int64"})

    def _query(self, query) -> pd.DataFrame:
        with self.engine.connect() as conn:
            return pd.DataFrame(conn.execute(query).mappings().all(), columns=list(query.selected_columns.keys()))

    # -- users and the system (用户与系统维护) -------------------------------------------------------
    def users(self) -> pd.DataFrame:
        """The users, their roles and the role's permissions.
        """
        users, permissions = metadata.tables["users"], metadata.tables["role_permissions"]
        frame = self._query(sa.select(users)).set_index("user_id")
        granted = self._query(sa.select(permissions)).groupby("role")["permission"].agg(lambda p: ", ".join(sorted(p)))
        return frame.assign(permissions=frame["role"].map(granted))

    def add_user(self, user_id: str, *, name: str, role: str) -> pd.DataFrame:
        """Register a user (用户注册) with a role; returns the users."""
        users = metadata.tables["users"]
        with self._write("user.manage", "manage users") as conn:
            record = {"user_id": user_id, "name": name, "role": _role(conn, role), "active": True}
            if conn.scalar(sa.select(sa.func.count()).select_from(users).where(users.c.user_id == user_id)):
                raise WriteRefused(f"there is already a user {user_id!r}; user ids are never reused.", rule="users_pk")
            conn.execute(users.insert().values(**record))
            self._log(conn, "users", user_id, "create", {f: (None, v) for f, v in record.items() if f != "user_id"})
        return self.users()

    def set_user(self, user_id: str, *, role: str | None = None, active: bool | None = None) -> pd.DataFrame:
        """Change a user's role (权限设置) or deactivate them (``active=False``: users are never deleted, so
        the history keeps who did what); returns the users."""
        users = metadata.tables["users"]
        with self._write("user.manage", "manage users") as conn:
            old = conn.execute(sa.select(users).where(users.c.user_id == user_id)).mappings().first()
            if old is None:
                raise WriteRefused(f"there is no user {user_id!r}.", rule="exists")
            changes = {"role": None if role is None else _role(conn, role), "active": active}
            changes = {f: v for f, v in changes.items() if v is not None and v != old[f]}
            if changes:
                conn.execute(users.update().where(users.c.user_id == user_id).values(**changes))
                self._log(conn, "users", user_id, "edit", {f: (old[f], v) for f, v in changes.items()})
        return self.users()

    def backup(self, path) -> Path:
        """Back up the whole database to one file (系统备份): every table, row for row.

        The file restores into SQLite or PostgreSQL alike (:meth:`restore`).
        """
        self._require("system.backup", "back up the database")
        path = Path(path)
        with self.engine.connect() as conn, zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            counts = {}
            for name, table in metadata.tables.items():
                rows = conn.execute(sa.select(table).order_by(*table.primary_key.columns)).all()
                counts[name] = len(rows)
                archive.writestr(f"{name}.jsonl", "".join(json.dumps(list(row), default=_iso, ensure_ascii=False) + "\n"
                                                          for row in rows))
            archive.writestr("manifest.json", json.dumps({"format": "crmlab-crm-backup-1", "rows": counts,
                                                          "columns": {n: list(t.c.keys()) for n, t in metadata.tables.items()}},
                                                         ensure_ascii=False, indent=1))
        return path

    def restore(self, path) -> pd.DataFrame:
        """Replace the whole database by a backup (系统恢复), in one transaction; returns rows per table.
        """
        path = Path(path)
        with zipfile.ZipFile(path) as archive:
            manifest = json.loads(archive.read("manifest.json"))
            if manifest.get("format") != "crmlab-crm-backup-1" or manifest["columns"] != {
                    n: list(t.c.keys()) for n, t in metadata.tables.items()}:
                raise CrmlabInputError(f"{path} is not a backup of this version's CRM database (its tables or columns "
                                       "differ); restore it with the crmlab version that made it.")
            data = {name: [json.loads(line) for line in archive.read(f"{name}.jsonl").decode("utf-8").splitlines()]
                    for name in metadata.tables}
        with self._write("system.backup", "restore the database") as conn:
            if conn.dialect.name == "postgresql":  # one statement, no per-row foreign-key checks
                quote = conn.dialect.identifier_preparer.quote
                conn.exec_driver_sql("TRUNCATE " + ", ".join(quote(t.name) for t in metadata.sorted_tables))
            for table in reversed(metadata.sorted_tables):
                conn.execute(table.delete())
            for table in metadata.sorted_tables:
                columns = [_parsed(values, c.type) for values, c in zip(zip(*data[table.name]), table.c)]
                rows = _insert(conn, table, list(table.c.keys()), columns)
                if rows != manifest["rows"][table.name]:
                    raise CrmlabInputError(f"{path}: {table.name} holds {rows} rows, the manifest says "
                                           f"{manifest['rows'][table.name]}; the file is damaged. Nothing was restored.")
        return row_counts(self.engine)


def _role(conn, role: str) -> str:
    known = conn.scalars(sa.select(metadata.tables["roles"].c.role)).all()
    if role not in known:
        raise WriteRefused(f"unknown role {role!r}; roles: {', '.join(known)}.", rule="fk_users_role")
    return role


_PYTHON_TYPES = ((sa.Boolean, bool, "True or False"), (sa.Integer, int, "a whole number"),
                 (sa.Float, (int, float), "a number"), (sa.DateTime, dt.datetime, "a date and time (datetime)"),
                 (sa.Date, dt.date, "a date"), (sa.String, str, "text"))


def _check_types(table: sa.Table, values: dict) -> None:
    """Refuse a value of the wrong kind before it is written: SQLite would store it as it came."""
    for field, value in values.items():
        kind = table.c[field].type
        for sql_type, python, said in _PYTHON_TYPES:
            if isinstance(kind, sql_type):
                if value is not None and (not isinstance(value, python)
                                          or (isinstance(value, bool) and sql_type is not sa.Boolean)):
                    raise WriteRefused(f"{table.name}.{field} must be {said}, got {value!r}.", rule="type")
                break


def _refusal(error: sa.exc.IntegrityError, doing: str) -> WriteRefused:
    text = str(error.orig)
    diag = getattr(getattr(error.orig, "diag", None), "constraint_name", None)
    rule = diag or next((name for name in RULES if name in text), None)
    if rule in RULES:
        return WriteRefused(f"refused to {doing}: {RULES[rule]} (rule {rule}). Nothing was saved.", rule=rule)
    if "FOREIGN KEY" in text or "foreign key" in text:
        return WriteRefused(f"refused to {doing}: a record it refers to does not exist ({text.splitlines()[0]}). "
                            "Nothing was saved.", rule=rule or "foreign_key")
    if "NOT NULL" in text or "null value" in text:
        return WriteRefused(f"refused to {doing}: a required field is empty ({text.splitlines()[0]}). Nothing was saved.",
                            rule=rule or "not_null")
    return WriteRefused(f"refused to {doing}: {text.splitlines()[0]}. Nothing was saved.", rule=rule or "integrity")


def _masked(frame: pd.DataFrame, field_access: dict) -> pd.DataFrame:
    """Personal fields as the role may see them: in full, masked (脱敏) or dropped."""
    levels = {c: field_access.get(k, "hidden") for c, k in PII_COLUMNS.items() if c in frame.columns}
    masked = {c: PII_COLUMNS[c] for c, level in levels.items() if level == "masked"}
    out = frame.drop(columns=[c for c, level in levels.items() if level == "hidden"])
    if masked:
        out[list(masked)] = masked_view(frame[list(masked)], columns=masked)
    if "notes" in out.columns and field_access.get("phone") != "full":
        out["notes"] = mask_text(out["notes"])  # a number written in the notes is masked like the phone field
    return out


def _masked_history(frame: pd.DataFrame, field_access: dict) -> pd.DataFrame:
    out = frame.copy()
    for field, kind in PII_COLUMNS.items():
        level = field_access.get(kind, "hidden")
        rows = out["field"] == field
        if level == "full" or not rows.any():
            continue
        values = out.loc[rows, ["old_value", "new_value"]]
        out.loc[rows, ["old_value", "new_value"]] = (
            masked_view(values, columns={"old_value": kind, "new_value": kind}) if level == "masked"
            else values.where(values.isna(), "(hidden)"))
    return out


def _next_number(frame, prefix: str) -> int:
    if frame is None or frame.empty:
        return 1
    return int(frame.iloc[:, 0].str[len(prefix):].astype(int).max()) + 1


def _with_share(frame: pd.DataFrame, column: str) -> pd.DataFrame:
    return frame.assign(share=(frame[column] / frame[column].sum()).round(4))


def _month(column):
    # year * 100 + month: one expression both databases compile (SQLite strftime, PostgreSQL EXTRACT)
    return sa.cast(sa.extract("year", column) * 100 + sa.extract("month", column), sa.Integer)


def _amount(value, name: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise WriteRefused(f"{name} must be a number of yuan, got {value!r}.", rule=name) from None
    if number < 0:
        raise WriteRefused(f"{name} cannot be negative, got {value!r}.", rule=f"ck_opportunities_{name}")
    return number


def _day(value, name: str) -> dt.date:
    try:
        return pd.Timestamp(value).date()
    except (TypeError, ValueError):
        raise WriteRefused(f"{name} must be a date such as '2026-01-15', got {value!r}.", rule=name) from None


def _text(value):
    if value is None:
        return None
    return value.isoformat(sep=" ") if isinstance(value, dt.datetime) else str(value)


def _iso(value):
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    raise TypeError(f"cannot store {type(value).__name__} in a backup")


def _parsed(values, kind) -> list:
    """A column read back from a backup: ISO text to dates and times, the rest as JSON gave it."""
    parse = (dt.datetime.fromisoformat if isinstance(kind, sa.DateTime)
             else dt.date.fromisoformat if isinstance(kind, sa.Date) else None)
    return list(values) if parse is None else [None if v is None else parse(v) for v in values]


def schema_table() -> pd.DataFrame:
    """The CRM database's schema as a table (数据库结构): one row per column, with its type, key,
    foreign key and meaning.

    Examples
    --------
    >>> schema = schema_table()
    >>> schema.query("table == 'orders' and column == 'customer_id'")["references"].item()
    'customers.customer_id'
    """
    rows = []
    for name, table in metadata.tables.items():
        for c in table.c:
            rows.append({"table": name, "column": c.name, "type": str(c.type), "key": "PK" if c.primary_key else "",
                         "null": "" if c.nullable else "NOT NULL",
                         "references": ", ".join(f"{f.column.table.name}.{f.column.name}" for f in c.foreign_keys),
                         "meaning": c.comment or ""})
    return pd.DataFrame(rows)


def render_schema(text: str) -> str:
    """Replace the ``<!-- crm-schema -->`` ... ``<!-- /crm-schema -->`` block of ``text`` with the schema
    (how ``datasets/README.md`` documents the CRM database).

    Examples
    --------
    >>> out = render_schema("<!-- crm-schema -->\\n(out of date)\\n<!-- /crm-schema -->")
    >>> "### `history`" in out and "(out of date)" not in out
    True
    """
    import re

    schema = schema_table()
    parts = []
    for name, table in metadata.tables.items():
        checks = sorted(c.name for c in table.constraints if isinstance(c, sa.CheckConstraint) and c.name in RULES)
        parts.append(f"### `{name}`\n\n{table.comment}")
        lines = ["| column | type | key | null | references | meaning |", "|---|---|---|---|---|---|"]
        for row in schema[schema["table"] == name].itertuples():
            lines.append(f"| `{row.column}` | {row.type} | {row.key} | {row.null} | {row.references} | "
                         f"{row.meaning.replace('|', '/')} |")
        parts.append("\n".join(lines))
        if checks:
            parts.append("Rules: " + "; ".join(f"`{c}`: {RULES[c]}" for c in checks) + ".")
    block = "<!-- crm-schema -->\n" + "\n\n".join(parts) + "\n<!-- /crm-schema -->"
    return re.sub(r"<!-- crm-schema -->.*?<!-- /crm-schema -->", lambda _: block, text, flags=re.S)
