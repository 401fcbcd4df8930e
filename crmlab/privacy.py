"""Customer-data security and privacy (客户信息安全与隐私): masking, consent and access by role.

The last step of the identification process (信息安全) asks two questions:
is customer information leaking, and are we invading customers' privacy?
This module gives three tools a notebook can demonstrate:

- masking (脱敏) of mobile numbers, resident ID numbers, e-mails, names and
  login names: :func:`mask_phone`, :func:`mask_id_number`, :func:`mask_email`,
  :func:`mask_name`, :func:`mask_login`, and :func:`mask_text` for numbers
  and addresses hidden in free text; :func:`masked_view` masks a whole table;
- consent (营销许可): :func:`with_consent` keeps only the customers who agreed
  to marketing contacts, and counts the others;
- access by role (分级管理): :data:`ROLES` says which fields each role sees in
  full, masked or not at all; :func:`view_for_role` gives a role its view and
  :func:`access_table` shows the whole policy.

Examples
--------
>>> mask_phone(["+86 199 0298 2526"]).tolist()
['199****2526']
>>> mask_id_number(["990101199301096723"]).tolist()
['990***********6723']
>>> mask_email(["WangLi@example.cn"]).tolist()
['w***@example.cn']
"""
from __future__ import annotations

import difflib

import pandas as pd

from crmlab.fields import normalise_email, normalise_id_number, normalise_phone
from crmlab.validation import CrmlabInputError, report_set_aside, require_columns

__all__ = ["PII_COLUMNS", "ROLES", "mask_phone", "mask_id_number", "mask_email", "mask_name", "mask_login",
           "mask_text", "masked_view", "with_consent", "view_for_role", "access_table"]

#: Columns that hold personal identifiers (个人身份信息), by name, and their kind.
PII_COLUMNS = {
    "phone": "phone", "id_number": "id_number", "email": "email",
    "name": "name", "real_name": "name", "caller_name": "name", "username": "login",
}

#: Access by role (分级管理): what each role sees of each kind of personal field:
#: ``full`` (明文), ``masked`` (脱敏) or ``hidden`` (不可见, the column is dropped).
#: Other columns (city, dates, purchases) every role sees. ``consent_only``: the
#: role sees only customers who agreed to marketing contacts.
ROLES = {
    "manager": {"zh": "客户数据管理员", "consent_only": False,
                "fields": {"name": "full", "phone": "full", "email": "full", "id_number": "full", "login": "full"}},
    "service": {"zh": "客服人员", "consent_only": False,
                "fields": {"name": "full", "phone": "masked", "email": "masked", "id_number": "masked",
                           "login": "masked"}},
    "marketing": {"zh": "营销人员", "consent_only": True,
                  "fields": {"name": "masked", "phone": "masked", "email": "masked", "id_number": "hidden",
                             "login": "hidden"}},
    "analyst": {"zh": "数据分析员", "consent_only": False,
                "fields": {"name": "hidden", "phone": "hidden", "email": "hidden", "id_number": "hidden",
                           "login": "hidden"}},
}
_LEVELS = ("full", "masked", "hidden")


def _strings(values) -> pd.Series:
    return pd.Series(values, copy=False).astype("string")


def mask_phone(values, *, keep_start: int = 3, keep_end: int = 4) -> pd.Series:
    """Mask mobile numbers (手机号脱敏): ``+86 199 0298 2526`` → ``199****2526``.

    The number is first brought to its 11 digits (any format, full-width
    digits too), so the mask is the same however it was typed. A value that
    is not a mobile number is masked completely (``***``).

    Parameters
    ----------
    values : array-like of str
    keep_start, keep_end : int, default 3 and 4
        Digits shown at the start and the end; together at most 7 of the 11.

    Returns
    -------
    Series of str (``<NA>`` stays ``<NA>``)

    Examples
    --------
    >>> mask_phone(["199-0298-2526", "１９９０２９８２５２６", "12345"]).tolist()
    ['199****2526', '199****2526', '***']
    """
    if keep_start + keep_end > 7:
        raise CrmlabInputError("mask_phone: show at most 7 of the 11 digits (keep_start + keep_end <= 7).")
    raw = _strings(values)
    std = normalise_phone(raw)
    masked = std.str[:keep_start] + "*" * (11 - keep_start - keep_end) + (std.str[-keep_end:] if keep_end else "")
    return masked.where(std.notna(), "***").where(raw.notna())


def mask_id_number(values, *, keep_start: int = 3, keep_end: int = 4) -> pd.Series:
    """Mask resident ID numbers (身份证号脱敏): ``990101199301096723`` → ``990***********6723``.

    The birth date (digits 7-14) is always hidden. A value that is not an ID
    number is masked completely.

    Parameters
    ----------
    values : array-like of str
    keep_start, keep_end : int, default 3 and 4
        Characters shown at the start (at most 6, the region) and the end (at most 4).

    Examples
    --------
    >>> mask_id_number(["11010519491231002x"], keep_start=6).tolist()
    ['110105********002X']
    """
    if keep_start > 6 or keep_end > 4:
        raise CrmlabInputError("mask_id_number: show at most the 6 region digits and the last 4 characters.")
    raw = _strings(values)
    std = normalise_id_number(raw)
    masked = std.str[:keep_start] + "*" * (18 - keep_start - keep_end) + (std.str[-keep_end:] if keep_end else "")
    return masked.where(std.notna(), "***").where(raw.notna())


def mask_email(values) -> pd.Series:
    """Mask e-mail addresses (邮箱脱敏): ``WangLi@example.cn`` → ``w***@example.cn``.

    Only the first character of the mailbox name is shown; the domain stays
    (it says which provider, not who). A value that is not an address is
    masked completely.

    Examples
    --------
    >>> mask_email(["XULEI37@EXAMPLE.COM"]).tolist()
    ['x***@example.com']
    """
    raw = _strings(values)
    std = normalise_email(raw)
    masked = std.str[0] + "***@" + std.str.split("@").str[-1]
    return masked.where(std.notna(), "***").where(raw.notna())


def mask_name(values) -> pd.Series:
    """Mask names (姓名脱敏): the first character stays, e.g. ``王丽娟`` → ``王**``.

    Examples
    --------
    >>> mask_name(["王丽娟", "李娜"]).tolist()
    ['王**', '李*']
    """
    raw = _strings(values).str.strip()
    return (raw.str[0] + raw.str[1:].str.replace(r".", "*", regex=True)).where(raw.notna())


def mask_login(values) -> pd.Series:
    """Mask login names (用户名脱敏): the first two characters stay, e.g. ``zhangwei88`` → ``zh***``.

    A login is often the mailbox name of the customer's e-mail, so it is
    masked like one.

    Examples
    --------
    >>> mask_login(["zhangwei88"]).tolist()
    ['zh***']
    """
    raw = _strings(values).str.strip()
    return (raw.str[:2] + "***").where(raw.notna())


_IN_TEXT = {
    # an e-mail address anywhere in the text
    "email": r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}",
    # 17 digits and a digit or X, digits possibly separated by spaces
    "id_number": r"(?<!\d)(?:\d[ ]?){17}[\dXx](?!\d)",
    # a mobile number, optionally +86/0086, digits possibly separated by spaces or dashes
    "phone": r"(?<!\d)(?:(?:\+|00)?86[ \-]?)?1[3-9](?:[ \-]?\d){9}(?!\d)",
}


def mask_text(values) -> pd.Series:
    """Mask every e-mail address, ID number and mobile number found inside free text (文本脱敏).

    For notes, comments and any column that was not meant to hold personal
    data but might (a clerk typing a number into a remarks field).

    Examples
    --------
    >>> mask_text(["call 199-0298-2526 or write to Li@example.cn"]).tolist()
    ['call *** or write to ***']
    """
    text = _strings(values).str.normalize("NFKC")
    for pattern in _IN_TEXT.values():
        text = text.str.replace(pattern, "***", regex=True)
    return text


_MASKERS = {"phone": mask_phone, "id_number": mask_id_number, "email": mask_email, "name": mask_name,
            "login": mask_login}


def masked_view(frame: pd.DataFrame, *, columns=None) -> pd.DataFrame:
    """A copy of a table with every personal identifier masked (脱敏视图).

    Columns named in ``columns`` (default :data:`PII_COLUMNS`) are masked by
    their kind; every other text column goes through :func:`mask_text`, so a
    number hidden in another column does not leak either. Numbers, dates and
    categories are kept as they are.

    Parameters
    ----------
    frame : DataFrame
    columns : dict of {str: str}, optional
        Column name → kind (``phone``, ``id_number``, ``email``, ``name``, ``login``).

    Returns
    -------
    DataFrame, same shape and index.

    Examples
    --------
    >>> from crmlab.datasets import load_data
    >>> masked_view(load_data("customers"))[["name", "phone", "email"]].iloc[0].tolist()
    ['王**', '199****4567', 'w***@example.cn']
    """
    columns = PII_COLUMNS if columns is None else columns
    unknown = {kind for kind in columns.values() if kind not in _MASKERS}
    if unknown:
        raise CrmlabInputError(f"columns: unknown kinds {sorted(unknown)}; use {sorted(_MASKERS)}.")
    out = frame.copy()
    for col in out.columns:
        if col in columns:
            out[col] = _MASKERS[columns[col]](out[col])
        elif pd.api.types.is_string_dtype(out[col]) or pd.api.types.is_object_dtype(out[col]):
            out[col] = mask_text(out[col])
    return out


def with_consent(frame: pd.DataFrame, *, customers: pd.DataFrame | None = None, verbose: bool = True) -> pd.DataFrame:
    """Only the customers who agreed to marketing contacts (营销许可): the view a campaign may use.

    Parameters
    ----------
    frame : DataFrame
        With a ``marketing_consent`` column, or a ``customer_id`` column to
        look the consent up in ``customers``.
    customers : DataFrame, optional
        Columns ``customer_id``, ``marketing_consent``.
    verbose : bool, default True
        Print how many rows were set aside (also in ``attrs["set_aside"]``):
        customers without consent, and customers whose consent is unknown
        (unknown is treated as no: consent must be given, not assumed).

    Returns
    -------
    DataFrame
        The rows with consent.

    Examples
    --------
    >>> from crmlab.datasets import load_data
    >>> customers = load_data("customers")
    >>> bool(with_consent(customers, verbose=False)["marketing_consent"].all())
    True
    """
    if "marketing_consent" in frame.columns:
        consent = frame["marketing_consent"].astype("boolean")
    elif customers is not None:
        require_columns(frame.columns, ["customer_id"], table="frame")
        require_columns(customers.columns, ["customer_id", "marketing_consent"], table="customers")
        lookup = customers.set_index("customer_id")["marketing_consent"].astype("boolean")
        consent = frame["customer_id"].map(lookup).astype("boolean")
    else:
        raise CrmlabInputError("with_consent needs a 'marketing_consent' column, or a 'customer_id' column and "
                               "customers=load_data('customers') to look the consent up.")
    yes = consent.fillna(False).to_numpy(dtype=bool)
    out = frame[yes].copy()
    return report_set_aside(out, {"rows without marketing consent": (consent == False).sum(),  # noqa: E712
                                  "rows whose consent is unknown": consent.isna().sum()},
                            what="with_consent", verbose=verbose)


def _role(role: str, roles) -> dict:
    if role not in roles:
        close = difflib.get_close_matches(str(role), list(roles), n=1)
        hint = f" Did you mean '{close[0]}'?" if close else ""
        raise CrmlabInputError(f"unknown role {role!r}.{hint} Roles: {', '.join(roles)}.")
    spec = roles[role]
    bad = {f: lvl for f, lvl in spec.get("fields", {}).items() if lvl not in _LEVELS}
    if bad:
        raise CrmlabInputError(f"role {role!r}: access levels must be one of {_LEVELS}, not {bad}.")
    return spec


def view_for_role(frame: pd.DataFrame, role: str, *, customers: pd.DataFrame | None = None, roles=None,
                  columns=None, verbose: bool = True) -> pd.DataFrame:
    """The view of a table that one role may see (分级管理).

    Parameters
    ----------
    frame : DataFrame
        A customer table or silo.
    role : str
        A role of ``roles`` (default :data:`ROLES`): ``manager``, ``service``,
        ``marketing`` or ``analyst``.
    customers : DataFrame, optional
        For roles that see consented customers only, when ``frame`` has no
        ``marketing_consent`` column (see :func:`with_consent`).
    roles : dict, optional
        Your own policy, shaped like :data:`ROLES`.
    columns : dict, optional
        Column name → kind, default :data:`PII_COLUMNS`.
    verbose : bool, default True
        Report rows set aside for lack of consent.

    Returns
    -------
    DataFrame
        Personal columns shown in full, masked (:func:`masked_view`) or
        dropped, by the role's policy; other text columns masked by
        :func:`mask_text` unless the role sees everything in full.

    Examples
    --------
    >>> from crmlab.datasets import load_data
    >>> view_for_role(load_data("customers"), "analyst").columns[:4].tolist()
    ['customer_id', 'gender', 'birth_year', 'city']
    """
    roles = ROLES if roles is None else roles
    columns = PII_COLUMNS if columns is None else columns
    spec = _role(role, roles)
    out = with_consent(frame, customers=customers, verbose=verbose) if spec.get("consent_only") else frame
    levels = {col: spec["fields"].get(kind, "hidden") for col, kind in columns.items() if col in out.columns}
    if all(level == "full" for level in levels.values()):
        return out.copy()
    # masked: mask every known personal column and scan the free text; then put back what may be seen in full
    view = masked_view(out, columns=columns)
    for col, level in levels.items():
        if level == "full":
            view[col] = out[col]
    return view.drop(columns=[col for col, level in levels.items() if level == "hidden"])


def access_table(roles=None) -> pd.DataFrame:
    """The access policy as a table (分级管理权限表): role × kind of field → full / masked / hidden.

    Examples
    --------
    >>> access_table().loc["service", "phone"]
    'masked'
    """
    roles = ROLES if roles is None else roles
    rows = {role: {"zh": _role(role, roles)["zh"], **spec["fields"], "consent_only": spec.get("consent_only", False)}
            for role, spec in roles.items()}
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = "role"
    return table
