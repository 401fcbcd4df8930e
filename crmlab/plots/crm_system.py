"""Forms of the CRM system (CRM 系统界面) for the chapter 8-9 notebook, as ipywidgets.

The forms only call the sessions of :mod:`crmlab.crm_system`: what a user may
see or do is decided there, and a form shows it — masked fields, a refusal and
its rule. Each form draws HTML tables, so a move of a control shows at once.

- :func:`customer_form`: a customer's record as one user sees it (客户档案),
  with what each module recorded about the customer;
- :func:`opportunity_form`: an opportunity in the sales funnel (销售漏斗),
  its history and its follow-up alert;
- :func:`service_request_form`: a service request worked through its steps
  (受理 → 分派 → 解决 → 关闭) with buttons; a refused step shows its message.
"""
from __future__ import annotations

from html import escape

import pandas as pd

from crmlab.crm_system import OPEN_STAGES, STAGES, WriteRefused, connect
from crmlab.plots._html import Markup, colours, table

__all__ = ["customer_form", "opportunity_form", "service_request_form"]

_STYLE = {"description_width": "initial"}
_RECORD_FIELDS = ("customer_id", "name", "gender", "phone", "email", "id_number", "city", "membership_tier",
                  "owner_id", "notes", "version")


def _rows(frame: pd.DataFrame, columns) -> list:
    shown = [c for c in columns if c in frame.columns]
    return shown, frame[shown].astype(object).where(frame[shown].notna(), "").to_numpy().tolist()


def _history(history: pd.DataFrame, caption: str) -> str:
    if history.empty:
        return f"<p>{escape(caption)}: nothing recorded yet (暂无记录).</p>"
    header, rows = _rows(history, ["changed_ts", "user_id", "action", "field", "old_value", "new_value"])
    return table(header, rows, caption=caption)


def customer_form(url, *, customer_ids, users=("U02", "U03", "U06"), clock=None):
    """A customer's record as a chosen user sees it (客户档案与权限).

    Parameters
    ----------
    url : str or sqlalchemy.Engine
        A CRM database (:func:`crmlab.crm_system.build_database`).
    customer_ids : list of str
        The customers the drop-down offers.
    users : sequence of str, default ("U02", "U03", "U06")
        The users to look as: by default the manager, a sales rep and a service agent.
    clock : callable, optional
        Passed to :func:`crmlab.crm_system.connect`.

    Returns
    -------
    ipywidgets.VBox
        The user drop-down, the customer drop-down and the record (``HTML``): the
        fields the user's role may see, the counts of what each module holds on the
        customer, and the history of changes.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from crmlab.crm_system import build_database
    >>> url = "sqlite:///" + str(pathlib.Path(tempfile.mkdtemp()) / "crm.sqlite")
    >>> _ = build_database(url)
    >>> form = customer_form(url, customer_ids=["C0000001", "C0000002"])
    >>> user, customer, record = form.children
    >>> "19901234567" in record.value
    True
    >>> user.value = "U06"          # a service agent sees the phone number masked
    >>> "199****4567" in record.value and "19901234567" not in record.value
    True
    """
    import ipywidgets as widgets

    sessions = {u: connect(url, user=u, clock=clock) for u in users}
    user = widgets.Dropdown(options=[(f"{u} ({s.role}, {s.role_zh})", u) for u, s in sessions.items()],
                            description="登录用户 user", style=_STYLE)
    customer = widgets.Dropdown(options=list(customer_ids), description="客户 customer", style=_STYLE)
    record = widgets.HTML()

    def show(*_):
        crm = sessions[user.value]
        full = crm.customer_record(customer.value)
        header, rows = _rows(full["profile"], _RECORD_FIELDS)
        held = [[module, len(full[key])] for module, key in (
            ("订单 orders", "orders"), ("联系记录 contacts", "contacts"), ("投诉 complaints", "complaints"),
            ("业务机会 opportunities", "opportunities"), ("服务请求 service requests", "service_requests"))]
        permissions = ", ".join(sorted(crm.permissions))
        record.value = (table(header, rows, caption=f"{customer.value} as {crm.user} ({crm.role}) sees it")
                        + f"<p>Permissions of the role (权限): {escape(permissions)}</p>"
                        + table(["module 模块", "records 记录数"], held, caption="What each module holds")
                        + _history(full["history"], "History of changes (操作历史)"))

    user.observe(show, "value")
    customer.observe(show, "value")
    show()
    return widgets.VBox([user, customer, record])


def _funnel(stage: str) -> Markup:
    """The funnel's stages in a row, those the opportunity has reached in colour."""
    palette = dict(zip(STAGES, colours(len(STAGES))))
    reached = set(OPEN_STAGES[:OPEN_STAGES.index(stage) + 1]) if stage in OPEN_STAGES else set(OPEN_STAGES) | {stage}
    return Markup("".join(
        f"<span style='display:inline-block;padding:0.2em 0.6em;margin-right:0.2em;"
        + (f"background:{palette[s]};color:white'>" if s in reached else "background:#eee;color:#555'>") + f"{s}</span>"
        for s in STAGES))


def opportunity_form(crm, *, opportunity_ids):
    """An opportunity in the sales funnel (业务机会): its stage, record, history and follow-up alert.

    Parameters
    ----------
    crm : crmlab.crm_system.CRM
        A logged-in session.
    opportunity_ids : list of str
        The opportunities the drop-down offers.

    Returns
    -------
    ipywidgets.VBox
        The drop-down and the opportunity (``HTML``).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from crmlab.crm_system import StepClock, build_database, connect
    >>> url = "sqlite:///" + str(pathlib.Path(tempfile.mkdtemp()) / "crm.sqlite")
    >>> _ = build_database(url)
    >>> sales = connect(url, user="U03", clock=StepClock("2026-01-20 09:00"))
    >>> _ = sales.open_opportunity("C0000001", title="年会礼品", amount=8000, next_follow_up="2026-01-09")
    >>> form = opportunity_form(sales, opportunity_ids=["OP000001"])
    >>> "overdue by 11 days" in form.children[1].value
    True
    """
    import ipywidgets as widgets

    choice = widgets.Dropdown(options=list(opportunity_ids), description="业务机会 opportunity", style=_STYLE)
    out = widgets.HTML()

    def show(*_):
        record = crm.opportunity(choice.value)
        overdue = crm.overdue_follow_ups().set_index("opportunity_id")["days_overdue"]
        alert = (f"<p style='color:#b00'><b>跟进预警: follow-up overdue by {overdue[choice.value]} days</b></p>"
                 if choice.value in overdue.index else "")
        fields = ["opportunity_id", "customer_id", "owner_id", "title", "amount", "stage", "next_follow_up",
                  "close_reason", "order_id", "version"]
        out.value = (f"<p>{_funnel(record['stage'])}</p>" + alert
                     + table(fields, [[("" if pd.isna(record[f]) else record[f]) for f in fields]])
                     + _history(crm.history(table="opportunities", record_id=choice.value), "History (操作历史)"))

    choice.observe(show, "value")
    show()
    return widgets.VBox([choice, out])


def service_request_form(crm, request_id: str, *, agents=("U06", "U07", "U08")):
    """Work a service request through its steps with buttons (服务请求处理).

    Parameters
    ----------
    crm : crmlab.crm_system.CRM
        A logged-in session (a service agent or a manager may work requests).
    request_id : str
        The request.
    agents : sequence of str
        Whom the request can be assigned to.

    Returns
    -------
    ipywidgets.VBox
        The agent drop-down, the resolution text, the three step buttons and the
        request with the system's last answer (``HTML``).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from crmlab.crm_system import StepClock, build_database, connect
    >>> url = "sqlite:///" + str(pathlib.Path(tempfile.mkdtemp()) / "crm.sqlite")
    >>> _ = build_database(url)
    >>> agent = connect(url, user="U06", clock=StepClock("2026-01-06 10:00"))
    >>> request = agent.open_service_request("C0000001", subject="发票抬头错误")
    >>> form = service_request_form(agent, request["request_id"])
    >>> to, resolution, buttons, out = form.children
    >>> buttons.children[1].click()           # resolve before it is assigned: refused
    >>> "refused" in out.value and "service_status" in out.value
    True
    >>> buttons.children[0].click()           # assign to the agent chosen
    >>> "assigned" in out.value and "U06" in out.value
    True
    """
    import ipywidgets as widgets

    to = widgets.Dropdown(options=list(agents), description="分派给 assign to", style=_STYLE)
    resolution = widgets.Text(value="已处理 handled", description="处理结果 resolution", style=_STYLE)
    names = [("分派 assign", "assign"), ("解决 resolve", "resolve"), ("关闭 close", "close")]
    buttons = [widgets.Button(description=label) for label, _ in names]
    out = widgets.HTML()
    said = {"message": ""}

    def show(*_):
        record = crm.service_request(request_id)
        fields = ["request_id", "customer_id", "complaint_id", "subject", "status", "assigned_to", "resolution",
                  "opened_ts", "resolved_ts", "closed_ts", "version"]
        # the choices are echoed, so that a change of either shows before a button is pressed
        out.value = (f"<p>Assign to <b>{escape(to.value)}</b>; resolution to record: "
                     f"<b>{escape(resolution.value)}</b></p>"
                     + table(fields, [[("" if pd.isna(record[f]) else record[f]) for f in fields]])
                     + (f"<p>{escape(said['message'])}</p>" if said["message"] else "")
                     + _history(crm.history(table="service_requests", record_id=request_id), "History (操作历史)"))

    def step(action):
        def run(_button):
            version = int(crm.service_request(request_id)["version"])
            try:
                if action == "assign":
                    crm.assign_service_request(request_id, version=version, to=to.value)
                elif action == "resolve":
                    crm.resolve_service_request(request_id, version=version, resolution=resolution.value)
                elif action == "close":
                    crm.close_service_request(request_id, version=version)
                said["message"] = f"{action}: saved (已保存)."
            except WriteRefused as error:
                said["message"] = f"{action}: refused (拒绝) — {error} [rule {error.rule}]"
            show()
        return run

    for button, (_, action) in zip(buttons, names):
        button.on_click(step(action))
    to.observe(show, "value")
    resolution.observe(show, "value")
    show()
    return widgets.VBox([to, resolution, widgets.HBox(buttons), out])
