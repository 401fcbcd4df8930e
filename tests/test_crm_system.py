"""The CRM system on SQLite and on PostgreSQL (crmlab.crm_system): it holds exactly the company's records,
refuses what it must, loses nothing, restores a backup row for row, and loses no update under 50 writers.

Every test that takes ``crm_database``, ``empty_database`` or ``sample_crm_database`` runs twice: on an
SQLite file and on a throw-away PostgreSQL server (tests/_postgres.py; skipped, saying why, where the
machine has none).
"""
import threading

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from crmlab import crm_system
from crmlab.crm_system import (ConflictRefused, PermissionRefused, StepClock, WriteRefused, build_database, connect,
                               database_engine, metadata)
from crmlab.datasets import load_data
from crmlab.transactions import purchases
from crmlab.validation import CrmlabInputError

CLOCK = "2026-01-05 09:00"


def snapshot(url, *, typed: bool = False) -> dict[str, list]:
    """Every table of the database, row for row in key order, as the driver gives the values; ``typed``:
    as SQLAlchemy types them (dates and times as Python objects on SQLite too), to compare two databases."""
    with database_engine(url).connect() as conn:
        if typed:
            return {name: conn.execute(sa.select(t).order_by(*t.primary_key.columns)).all()
                    for name, t in metadata.tables.items()}
        quote = conn.dialect.identifier_preparer.quote
        return {name: conn.exec_driver_sql(f"SELECT * FROM {quote(name)} ORDER BY "
                                           + ", ".join(quote(c.name) for c in t.primary_key.columns)).all()
                for name, t in metadata.tables.items()}


def assert_same(before: dict, after: dict):
    for name in metadata.tables:
        assert len(after[name]) == len(before[name]), f"{name}: {len(before[name])} rows before, {len(after[name])} after"
        changed = next((i for i, (b, a) in enumerate(zip(before[name], after[name])) if tuple(b) != tuple(a)), None)
        assert changed is None, f"{name}, row {changed}: {tuple(before[name][changed])} became {tuple(after[name][changed])}"


def table(url, name) -> pd.DataFrame:
    with database_engine(url).connect() as conn:
        t = metadata.tables[name]
        return pd.DataFrame(conn.execute(sa.select(t)).mappings().all(), columns=list(t.c.keys()))


# ---------------------------------------------------------------- the database holds exactly the company's records

@pytest.mark.parametrize("name", crm_system.DATA_TABLE_ORDER)
def test_every_table_holds_the_files_records_counts_and_sums_equal(sample_crm_database, name):
    csv = load_data(name)
    db = table(sample_crm_database, name)
    assert len(db) == len(csv)
    keys = list(metadata.tables[name].primary_key.columns.keys())
    db = db.sort_values(keys).reset_index(drop=True)
    csv = csv.sort_values(keys).reset_index(drop=True)
    for column in csv.columns:
        ours, theirs = db[column], csv[column]
        if pd.api.types.is_float_dtype(theirs):
            assert ours.isna().sum() == theirs.isna().sum(), column
            assert round(ours.sum(), 2) == round(theirs.sum(), 2), column  # sums to the cent
            np.testing.assert_array_equal(ours.to_numpy(dtype=float), theirs.to_numpy(dtype=float))
        elif pd.api.types.is_datetime64_any_dtype(theirs):
            assert (pd.to_datetime(ours) == theirs).where(theirs.notna(), True).all(), column
            assert ours.isna().sum() == theirs.isna().sum(), column
        else:
            assert ours.astype("string").fillna("<NA>").tolist() == theirs.astype("string").fillna("<NA>").tolist(), column


def test_a_students_variant_is_loaded_as_it_is(small_company, tmp_path):
    url = f"sqlite:///{tmp_path / 'variant.sqlite'}"
    counts = build_database(url, data_dir=small_company)
    for name in ("customers", "orders", "order_lines", "interactions", "complaints"):
        assert counts.loc[name, "rows"] == len(load_data(name, data_dir=small_company))
    assert counts.loc["service_requests", "rows"] == len(load_data("complaints", data_dir=small_company))
    lines = load_data("order_lines", data_dir=small_company)
    assert round(table(url, "order_lines")["net_amount"].sum(), 2) == round(lines["net_amount"].sum(), 2)


def test_foreign_keys_hold_and_the_database_enforces_them(crm_database):
    engine = database_engine(crm_database)
    if engine.dialect.name == "sqlite":
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA foreign_key_check").all() == []
    # Every foreign key of every table points at an existing row (both databases, by query).
    with engine.connect() as conn:
        for t in metadata.sorted_tables:
            for fk in t.foreign_keys:
                parent = fk.column.table
                orphans = conn.scalar(sa.select(sa.func.count()).select_from(
                    t.outerjoin(parent, fk.parent == fk.column)).where(fk.parent.is_not(None), fk.column.is_(None)))
                assert orphans == 0, f"{t.name}.{fk.parent.name} -> {parent.name}"
    before = snapshot(crm_database)
    with pytest.raises(sa.exc.IntegrityError):
        with engine.begin() as conn:
            conn.execute(metadata.tables["orders"].insert().values(
                order_id="O99999999", customer_id="C9999999", order_ts=pd.Timestamp(CLOCK).to_pydatetime(),
                channel="web", payment_method="alipay", status="placed"))
    assert_same(before, snapshot(crm_database))


def test_building_over_a_crm_database_is_refused_unless_asked(crm_database):
    with pytest.raises(CrmlabInputError, match="already holds a CRM database.*replace=True"):
        build_database(crm_database)
    manager = connect(crm_database, user="U02", clock=StepClock(CLOCK))
    manager.edit_customer("C0000001", version=1, city="南京")
    build_database(crm_database, replace=True)
    assert connect(crm_database, user="U02").customer("C0000001")["city"] == "合肥"


def test_a_mistyped_url_says_what_a_url_looks_like():
    with pytest.raises(CrmlabInputError, match=r"'crm.sqlite' is not a database URL: write 'sqlite:///crm.sqlite'"):
        build_database("crm.sqlite")


def test_connecting_to_an_empty_database_or_as_an_unknown_user_says_what_to_do(empty_database, crm_database):
    with pytest.raises(CrmlabInputError, match=r"holds no CRM database: build it first with crm_system.build_database"):
        connect(empty_database, user="U02")
    with pytest.raises(CrmlabInputError, match=r"no active user 'U99'\. Users: U01 \(admin\), U02 \(manager\)"):
        connect(crm_database, user="U99")


# ---------------------------------------------------------------- roles: refused, and masked

def test_a_service_agent_sees_masked_personal_fields_and_a_manager_sees_them_in_full(sample_crm_database):
    csv = load_data("customers").set_index("customer_id")
    agent = connect(sample_crm_database, user="U06")
    manager = connect(sample_crm_database, user="U02")
    for customer_id in ("C0000001", "C0000002", "C0004321"):
        seen = agent.customer(customer_id)
        real = csv.loc[customer_id]
        assert seen["phone"] == real["phone"][:3] + "****" + real["phone"][-4:]
        assert seen["id_number"] != real["id_number"] and seen["id_number"].endswith(real["id_number"][-4:])
        assert seen["email"] != real["email"] and seen["email"].split("@")[1] == real["email"].split("@")[1]
        assert seen["name"] == real["name"]  # the agent must greet the customer
        full = manager.customer(customer_id)
        assert (full["phone"], full["id_number"], full["email"]) == (real["phone"], real["id_number"], real["email"])
    found = agent.find_customers(city="合肥", limit=50)
    assert len(found) == 50 and found["phone"].str.contains(r"^\d{3}\*{4}\d{4}$").all()
    assert agent.customer_record("C0000002")["profile"]["phone"].item().count("*") == 4


def test_history_shows_an_agent_old_and_new_phone_numbers_masked(crm_database):
    manager = connect(crm_database, user="U02", clock=StepClock(CLOCK))
    manager.edit_customer("C0000001", version=1, phone="19912345678")
    full = manager.customer_history("C0000001")
    assert full[["old_value", "new_value"]].iloc[0].tolist() == ["19901234567", "19912345678"]
    masked = connect(crm_database, user="U06").customer_history("C0000001")
    assert masked[["old_value", "new_value"]].iloc[0].tolist() == ["199****4567", "199****5678"]


@pytest.mark.parametrize("user, call, permission", [
    ("U06", lambda crm: crm.delete_customer("C0000001", version=1), "customer.delete"),
    ("U06", lambda crm: crm.open_opportunity("C0000001", title="x", amount=1, next_follow_up="2026-02-01"),
     "opportunity.write"),
    ("U03", lambda crm: crm.open_service_request("C0000001", subject="x"), "service.write"),
    ("U03", lambda crm: crm.backup("never.zip"), "system.backup"),
    ("U01", lambda crm: crm.create_customer(name="李明"), "customer.create"),
])
def test_a_user_without_the_permission_is_refused_and_nothing_changes(crm_database, user, call, permission):
    before = snapshot(crm_database)
    crm = connect(crm_database, user=user, clock=StepClock(CLOCK))
    with pytest.raises(PermissionRefused, match=rf"may not .*no '{permission}' permission\. Users who may: U0") as error:
        call(crm)
    assert error.value.rule == permission
    assert_same(before, snapshot(crm_database))


def test_permissions_come_from_the_database_so_an_administrator_can_change_them(crm_database):
    engine = database_engine(crm_database)
    with engine.begin() as conn:
        conn.execute(metadata.tables["role_permissions"].insert().values(role="service", permission="customer.delete"))
    agent = connect(crm_database, user="U06", clock=StepClock(CLOCK))
    orders = (load_data("orders")["customer_id"] == "C0000001").sum()
    with pytest.raises(WriteRefused, match=f"cannot be deleted: {orders} orders"):  # allowed now, refused by the data
        agent.delete_customer("C0000001", version=1)


# ---------------------------------------------------------------- nothing lost: refused or failed writes change nothing

def _open_request() -> str:
    complaints = load_data("complaints")
    return "SR" + complaints.loc[complaints["closed_ts"].isna(), "complaint_id"].iloc[0][1:]


def _refusals():
    return [
        # a rule of the schema, checked by the database after the order row was written (quantity >= 1)
        ("U03", lambda crm: crm.create_order("C0000001", lines=[{"product_id": "P0001", "quantity": 1},
                                                                 {"product_id": "P0002", "quantity": 0}]),
         "ck_order_lines_quantity", "quantity must be at least 1"),
        # a bad value caught by the database: a channel outside the dictionary's levels
        ("U03", lambda crm: crm.create_order("C0000001", lines=[{"product_id": "P0001", "quantity": 1}],
                                             channel="tiktok"), "ck_orders_channel", "orders.channel must be one of"),
        ("U03", lambda crm: crm.create_order("C0000001", lines=[{"product_id": "P9999", "quantity": 1}]),
         "fk_order_lines_product", "no product 'P9999'"),
        ("U03", lambda crm: crm.create_customer(name="李明", birth_year=1850), "ck_customers_birth_year",
         "between 1900 and 2025"),
        ("U02", lambda crm: crm.delete_customer("C0000001", version=1), "fk_customers",
         f"{(load_data('orders')['customer_id'] == 'C0000001').sum()} orders refer to it"),
        ("U03", lambda crm: crm.edit_customer("C0000001", version=1, membership_tier="platinum"),
         "ck_customers_membership_tier", "must be one of the levels"),
        ("U03", lambda crm: crm.edit_customer("C0000001", version=1, shoe_size=42), "fields", "no editable field"),
        ("U03", lambda crm: crm.edit_customer("C0000001", version=1, city_tier="一线"), "type",
         r"customers.city_tier must be a whole number, got '一线'"),
        ("U03", lambda crm: crm.open_opportunity("C0000001", title="x", amount=-5, next_follow_up="2026-02-01"),
         "ck_opportunities_amount", "cannot be negative"),
        ("U06", lambda crm: crm.resolve_service_request("SR000001", version=1, resolution="ok"), "service_status",
         "is 'closed'"),
        ("U06", lambda crm: crm.open_service_request("C0000002", subject="x", order_id="O00000001"),
         "service_requests_order", "another customer's order"),
        ("U06", lambda crm: crm.assign_service_request(_open_request(), version=1, to="U03"), "assign_agent",
         "'U03' is not an active service agent"),
    ]


@pytest.mark.parametrize("user, call, rule, message", _refusals(), ids=[r[2] for r in _refusals()])
def test_a_refused_write_names_the_rule_and_changes_nothing(crm_database, user, call, rule, message):
    before = snapshot(crm_database)
    crm = connect(crm_database, user=user, clock=StepClock(CLOCK))
    with pytest.raises(WriteRefused, match=message) as error:
        call(crm)
    assert error.value.rule == rule
    assert_same(before, snapshot(crm_database))


@pytest.mark.parametrize("step", ["_log", "_next_id"])
def test_a_crash_midway_through_a_write_leaves_the_database_as_it_was(crm_database, monkeypatch, step):
    """The edit's UPDATE (or the order's row) is already sent when the next step fails: all is rolled back."""
    before = snapshot(crm_database)
    crm = connect(crm_database, user="U03", clock=StepClock(CLOCK))
    original = getattr(crm_system.CRM, step)
    calls = []

    def crash(self, *args, **kwargs):
        calls.append(args)
        if len(calls) == 2:
            raise RuntimeError("power cut")
        return original(self, *args, **kwargs)

    monkeypatch.setattr(crm_system.CRM, step, crash)
    with pytest.raises(RuntimeError, match="power cut"):
        if step == "_log":  # create_customer logs once; the crash is in the second write's history
            crm.create_customer(name="李明")
            crm.edit_customer("C0000001", version=1, city="南京")
        else:  # the order's number, then the history row's number
            crm.create_order("C0000001", lines=[{"product_id": "P0001", "quantity": 1}])
    monkeypatch.undo()
    after = snapshot(crm_database)
    if step == "_log":  # the first write was committed on its own; the crashed one left nothing
        assert len(after["customers"]) == len(before["customers"]) + 1
        after["customers"] = [row for row in after["customers"] if row.customer_id != "C0010001"]
        assert {row.record_id for row in after["history"]} == {"C0010001"}
        after["history"] = []
        after["id_counters"] = before["id_counters"]
    assert_same(before, after)


def test_optimistic_locking_refuses_the_second_of_two_edits_of_one_version(crm_database):
    first = connect(crm_database, user="U03", clock=StepClock(CLOCK))
    second = connect(crm_database, user="U04", clock=StepClock(CLOCK))
    seen_by_both = first.customer("C0000001")["version"]
    first.edit_customer("C0000001", version=seen_by_both, city="南京")
    with pytest.raises(ConflictRefused, match=r"changed by someone else after you read it \(you had version 1, it is now version 2\)"):
        second.edit_customer("C0000001", version=seen_by_both, notes="VIP")
    record = second.customer("C0000001")
    assert (record["city"], record["notes"], record["version"]) == ("南京", "", 2)
    # The control: the same two writes without the version check, and the first change is lost.
    engine = database_engine(crm_database)
    customers = metadata.tables["customers"]
    with engine.begin() as conn:
        old = conn.execute(sa.select(customers).where(customers.c.customer_id == "C0000002")).mappings().one()
    for change in ({"city": "南京"}, {"notes": "VIP"}):  # each writes back the whole form it read
        with engine.begin() as conn:
            conn.execute(customers.update().where(customers.c.customer_id == "C0000002")
                         .values(**{**{k: old[k] for k in ("city", "notes")}, **change}))
    with engine.connect() as conn:
        lost = conn.execute(sa.select(customers.c.city, customers.c.notes)
                            .where(customers.c.customer_id == "C0000002")).one()
    assert tuple(lost) == (old["city"], "VIP")


def _append_note(url, user, number, barrier, clock, errors):
    try:
        crm = connect(url, user=user, clock=clock)
        barrier.wait()
        while True:  # what a form does: read, change, save on the version read; on a conflict read again
            record = crm.customer("C0000001")
            try:
                crm.edit_customer("C0000001", version=record["version"], notes=record["notes"] + f"[{number}]")
                return
            except ConflictRefused:
                continue
    except Exception as error:  # noqa: BLE001 - reported by the test
        errors.append(error)


def _writers_lose_no_update(url, writers: int):
    """``writers`` sessions start appending to one customer's notes at the same moment; every one must land."""
    barrier, errors, clock = threading.Barrier(writers), [], StepClock(CLOCK, step="1s")
    users = ["U02", "U03", "U04", "U05"]
    threads = [threading.Thread(target=_append_note, args=(url, users[i % 4], i, barrier, clock, errors))
               for i in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    record = connect(url, user="U02").customer("C0000001")
    assert sorted(int(n) for n in record["notes"].strip("[]").split("][")) == list(range(writers))
    assert record["version"] == 1 + writers
    history = connect(url, user="U02").customer_history("C0000001")
    assert len(history) == writers and history["history_id"].is_unique


def test_fifty_simultaneous_sessions_on_postgresql_lose_no_update(postgres_server):
    url = postgres_server.new_database()
    build_database(url)
    _writers_lose_no_update(url, 50)


def test_writers_on_one_sqlite_file_take_turns_and_lose_no_update(tmp_path):
    url = f"sqlite:///{tmp_path / 'crm.sqlite'}"
    build_database(url)
    _writers_lose_no_update(url, 8)


# ---------------------------------------------------------------- the modules record what they should

def test_an_opportunity_goes_through_the_funnel_to_an_order_and_every_step_is_recorded(crm_database):
    sales = connect(crm_database, user="U04", clock=StepClock(CLOCK, step="1D"))
    opportunity = sales.open_opportunity("C0000100", title="企业团购", amount=12000, next_follow_up="2026-01-06")
    for stage, version in zip(("qualified", "proposal", "negotiation"), (1, 2, 3)):
        assert sales.advance_opportunity("OP000001", version=version, next_follow_up="2026-01-06")["stage"] == stage
    overdue = sales.overdue_follow_ups()
    assert overdue["opportunity_id"].tolist() == ["OP000001"] and overdue["days_overdue"].item() > 0
    with pytest.raises(WriteRefused, match="last open stage; close it"):
        sales.advance_opportunity("OP000001", version=4, next_follow_up="2026-02-01")
    with pytest.raises(WriteRefused, match="needs a reason"):
        sales.close_opportunity("OP000001", version=4, won=True, reason=" ")
    won = sales.close_opportunity("OP000001", version=4, won=True, reason="价格与交期都满足")
    assert won["stage"] == "won" and won["close_reason"] == "价格与交期都满足" and sales.overdue_follow_ups().empty
    order = sales.create_order("C0000100", lines=[{"product_id": "P0010", "quantity": 3, "discount_rate": 0.1}],
                               opportunity_id=opportunity["opportunity_id"])
    product = load_data("products").set_index("product_id").loc["P0010"]
    assert order["net_amount"] == round(3 * product["list_price"] * 0.9, 2)
    assert sales.opportunity("OP000001")["order_id"] == order["order_id"]
    for status in ("shipped", "completed"):
        order = sales.set_order_status(order["order_id"], version=order["version"], status=status)
    with pytest.raises(WriteRefused, match="can become returned, not 'cancelled'"):
        sales.set_order_status(order["order_id"], version=order["version"], status="cancelled")
    history = sales.history(table="opportunities", record_id="OP000001")
    # 7 fields of the new opportunity; 3 stage moves (the follow-up date unchanged); the close sets stage,
    # close time, reason and clears the follow-up; the order is linked.
    assert history.groupby("action", sort=False).size().to_dict() == {"create": 7, "advance": 3, "close": 4, "edit": 1}
    assert (history["user_id"] == "U04").all()
    stats = sales.business_statistics(by="stage")
    assert stats.loc["won", "opportunities"] == 1 and stats.loc["won", "amount"] == 12000


def test_a_service_request_from_a_complaint_is_opened_assigned_resolved_and_closed(crm_database):
    agent = connect(crm_database, user="U06", clock=StepClock(CLOCK, step="1h"))
    open_complaints = load_data("complaints").query("closed_ts.isna()")
    assert sorted(agent.service_statistics().index) == sorted(crm_system.SERVICE_STATUSES)
    assert agent.service_statistics().loc["open", "requests"] == len(open_complaints)
    request_id = "SR" + open_complaints["complaint_id"].iloc[0][1:]
    request = agent.assign_service_request(request_id, version=1, to="U07")
    request = agent.resolve_service_request(request_id, version=request["version"], resolution="退款已到账")
    request = agent.close_service_request(request_id, version=request["version"])
    assert request["status"] == "closed" and request["complaint_id"] == open_complaints["complaint_id"].iloc[0]
    assert agent.service_statistics().loc["open", "requests"] == len(open_complaints) - 1
    assert agent.history(table="service_requests", record_id=request_id)["action"].unique().tolist() == [
        "assign", "resolve", "close"]


def test_a_deleted_customer_is_gone_but_its_fields_stay_in_the_history(crm_database):
    manager = connect(crm_database, user="U02", clock=StepClock(CLOCK))
    new = manager.create_customer(name="李明", phone="19900001111", city="上海")
    manager.delete_customer(new["customer_id"], version=1)
    with pytest.raises(CrmlabInputError, match="no customer 'C0010001'"):
        manager.customer("C0010001")
    deleted = manager.customer_history("C0010001").query("action == 'delete'").set_index("field")["old_value"]
    assert deleted[["name", "phone", "city"]].tolist() == ["李明", "19900001111", "上海"]


def test_the_statistics_equal_the_pandas_results(sample_crm_database):
    crm = connect(sample_crm_database, user="U02")
    bought = purchases(load_data("orders"), load_data("order_lines"), verbose=False)
    by_channel = bought.groupby(bought["channel"].astype(str)).agg(orders=("order_id", "size"), revenue=("revenue", "sum"))
    ours = crm.business_statistics(by="channel")
    assert ours.index.tolist() == by_channel.index.tolist()
    assert ours["orders"].to_dict() == by_channel["orders"].to_dict()
    np.testing.assert_allclose(ours["revenue"], by_channel["revenue"].round(2), atol=0.005)
    months = bought.groupby(bought["order_ts"].dt.strftime("%Y-%m"))["revenue"].sum()
    assert crm.business_statistics(by="month").index.tolist() == months.index.tolist()
    np.testing.assert_allclose(crm.business_statistics(by="month")["revenue"], months.round(2), atol=0.005)
    stores = load_data("stores").set_index("store_id")["region"].astype("string")
    region = load_data("orders").set_index("order_id")["store_id"].map(stores).fillna("online")
    by_region = bought.groupby(bought["order_id"].map(region))["revenue"].sum()
    assert crm.business_statistics(by="region").index.tolist() == by_region.index.tolist()
    np.testing.assert_allclose(crm.business_statistics(by="region")["revenue"], by_region.round(2), atol=0.005)
    tiers = load_data("customers")["membership_tier"].value_counts()
    assert crm.customer_statistics()["customers"].to_dict() == tiers[tiers > 0].to_dict()
    with pytest.raises(CrmlabInputError, match="by='weekday'.*month, channel, region or 'stage'"):
        crm.business_statistics(by="weekday")


# ---------------------------------------------------------------- backup and restore

def test_a_restored_backup_equals_the_original_row_for_row(crm_database, tmp_path):
    admin = connect(crm_database, user="U01")
    sales = connect(crm_database, user="U03", clock=StepClock(CLOCK))
    sales.edit_customer("C0000001", version=1, notes="VIP, 电话 19901234567")  # a change to keep
    original = snapshot(crm_database)
    saved = admin.backup(tmp_path / "backup.zip")
    sales.edit_customer("C0000002", version=1, city="南京")  # changes made after the backup ...
    sales.create_order("C0000003", lines=[{"product_id": "P0003", "quantity": 2}])
    assert len(snapshot(crm_database)["orders"]) == len(original["orders"]) + 1
    admin.restore(saved)  # ... are undone by restoring it
    assert_same(original, snapshot(crm_database))
    sales.create_order("C0000003", lines=[{"product_id": "P0003", "quantity": 1}])  # numbering goes on after restore


def test_a_damaged_backup_restores_nothing(crm_database, tmp_path):
    import zipfile

    admin = connect(crm_database, user="U01")
    saved = admin.backup(tmp_path / "backup.zip")
    connect(crm_database, user="U02", clock=StepClock(CLOCK)).edit_customer("C0000001", version=1, city="南京")
    before = snapshot(crm_database)
    damaged = tmp_path / "damaged.zip"  # one order line short of what the manifest says
    with zipfile.ZipFile(saved) as source, zipfile.ZipFile(damaged, "w") as target:
        for item in source.namelist():
            data = source.read(item)
            target.writestr(item, data.split(b"\n", 1)[1] if item == "order_lines.jsonl" else data)
    lines = len(load_data("order_lines"))
    with pytest.raises(CrmlabInputError, match=f"order_lines holds {lines - 1} rows, the manifest says {lines}; the "
                                               "file is damaged. Nothing was restored"):
        admin.restore(damaged)
    assert_same(before, snapshot(crm_database))


def test_a_backup_restores_into_the_other_kind_of_database(crm_database, request, tmp_path):
    """SQLite to PostgreSQL (a class moving to the school's server) and back."""
    connect(crm_database, user="U03", clock=StepClock(CLOCK)).open_opportunity(
        "C0000001", title="年会礼品", amount=8000, next_follow_up="2026-01-09")
    saved = connect(crm_database, user="U01").backup(tmp_path / "backup.zip")
    if crm_database.startswith("sqlite"):
        target = request.getfixturevalue("postgres_server").new_database()
    else:
        target = f"sqlite:///{tmp_path / 'target.sqlite'}"
    build_database(target)
    connect(target, user="U01").restore(saved)
    assert_same(snapshot(crm_database, typed=True), snapshot(target, typed=True))


def test_the_administrator_manages_users_and_a_deactivated_user_cannot_log_in(crm_database):
    admin = connect(crm_database, user="U01", clock=StepClock(CLOCK))
    admin.add_user("U09", name="冯晓东", role="sales")
    assert "opportunity.write" in connect(crm_database, user="U09").permissions
    admin.set_user("U09", role="service")
    agent = connect(crm_database, user="U09")
    assert agent.role == "service" and agent.customer("C0000001")["phone"].count("*") == 4
    admin.set_user("U09", active=False)
    with pytest.raises(CrmlabInputError, match="no active user 'U09'"):
        connect(crm_database, user="U09")
    with pytest.raises(WriteRefused, match="already a user 'U09'"):
        admin.add_user("U09", name="别人", role="sales")
    with pytest.raises(WriteRefused, match="unknown role 'boss'"):
        admin.set_user("U03", role="boss")
    assert admin.history(table="users", record_id="U09")["field"].tolist() == ["name", "role", "active", "role", "active"]
    with pytest.raises(PermissionRefused, match="no 'user.manage' permission"):
        connect(crm_database, user="U02").add_user("U10", name="x", role="sales")


def test_data_that_break_a_rule_of_the_schema_are_refused_naming_the_table(tmp_path):
    import shutil

    from crmlab.datasets import DATA_DIR

    shutil.copytree(DATA_DIR / "retail", tmp_path / "retail")
    orders = tmp_path / "retail" / "orders.csv"  # an order of a customer who does not exist
    orders.write_text(orders.read_text(encoding="utf-8-sig").replace("O00000001,C0002445", "O00000001,C9999999", 1),
                      encoding="utf-8-sig")
    url = f"sqlite:///{tmp_path / 'crm.sqlite'}"
    with pytest.raises(CrmlabInputError, match="the data's orders table breaks a rule of the CRM schema .*FOREIGN KEY"
                                               ".*nothing was built"):
        build_database(url, data_dir=tmp_path)
    with database_engine(url).connect() as conn:
        assert sa.inspect(conn).get_table_names() == []
