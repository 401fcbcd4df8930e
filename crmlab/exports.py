"""A company's own export (企业导出数据): read a transaction log, a customer list or a
contact log as a shop back-end or Chinese Excel saves it, and say what was wrong with it.

The course's main assignment analyses a real company, and its files are rarely clean:
GBK encoding, Chinese column headers, semicolons, currency signs and thousands
separators, IDs that Excel turned into ``1.23457E+17``, stray spaces, a block exported
twice. ``pd.read_csv`` either fails on them or reads them wrongly without a word. The
readers here

- detect the encoding (UTF-8 with or without BOM, GBK/GB18030), the separator
  (``,`` ``;`` or tab) and the header row (title lines above it are set aside);
- map common Chinese and English headers to the kit's names (:data:`HEADER_NAMES`,
  e.g. 客户编号 / 会员ID -> ``customer_id``, 订单日期 -> ``order_ts``, 实付金额 ->
  ``revenue``), saying which mapping they applied; ``columns=`` overrides;
- parse amounts with currency signs and thousands separators (``¥1,234.50``),
  full-width digits, Chinese dates (``2024年1月5日``), day-first or month-first dates
  when the column itself settles the order, and Excel serial dates (``45296``) when
  the whole column is such numbers;
- **report every problem and never fix one silently**: the result carries a
  data-quality report (``result.attrs["report"]``, one row per kind of problem, with
  the file's line numbers, header = line 1) and prints a short summary.

What they refuse, naming the column, the lines and the fix (all problems in one message):
dates in no known layout, day/month-ambiguous dates (``05-01-2024`` in a column where
no day is above 12: pass ``dayfirst=``), time-zone offsets, amounts that are not numbers,
IDs in scientific notation (Excel turned a long number ID into ``1.23457E+17``: different
customers would merge) and IDs that lost their leading zeros (see :func:`read_transactions`).

The rows of the result are indexed by their line number in the file (index name
``line``), so the kit's later messages name lines of the file too.

Examples
--------
>>> import pathlib, tempfile
>>> text = "客户编号,订单日期,实付金额\\nC001,2024年1月5日,\\"￥1,234.50\\"\\n c001 ,2024-01-06,12\\n"
>>> with tempfile.TemporaryDirectory() as folder:
...     path = pathlib.Path(folder) / "orders.csv"
...     _ = path.write_bytes(text.encode("gbk"))
...     log = read_transactions(path, verbose=False)
>>> log
     customer_id   order_ts  revenue
line                                
2           C001 2024-01-05   1234.5
3           C001 2024-01-06     12.0
>>> log.attrs["encoding"], log.attrs["columns"]
('gb18030', {'客户编号': 'customer_id', '订单日期': 'order_ts', '实付金额': 'revenue'})
"""
from __future__ import annotations

import io
import re
import unicodedata
from pathlib import Path

import numpy as np
import pandas as pd

from crmlab.validation import DATETIME_FORMATS, ZONE_OFFSET, CrmlabInputError, describe_rows, require_option, shown

#: Header names met in exports, per kit column (compared after NFKC, case folding, and removing spaces,
#: ``_ - .`` and a bracketed unit such as ``(元)``). One table for the three readers; ``columns=`` overrides it.
HEADER_NAMES = {
    "customer_id": ("customer_id", "customer", "customer_no", "customer_number", "cust_id", "client_id",
                    "member_id", "member_no", "user_id", "buyer_id", "客户编号", "客户ID", "客户号", "客户代码",
                    "顾客编号", "顾客ID", "会员ID", "会员编号", "会员号", "会员卡号", "用户ID", "用户编号", "买家ID"),
    "order_id": ("order_id", "order_no", "order_number", "transaction_id", "invoice_no", "invoice", "订单编号", "订单号", "订单ID",
                 "交易编号", "交易号", "流水号"),
    "order_ts": ("order_ts", "order_date", "order_time", "purchase_date", "transaction_date", "date", "time",
                 "created_at", "timestamp", "datetime", "invoice_date", "transaction_time", "purchase_time", "订单日期", "订单时间", "下单时间", "下单日期", "交易时间", "交易日期", "购买日期",
                 "购买时间", "付款时间", "支付时间", "成交时间", "日期", "时间"),
    "revenue": ("revenue", "amount", "amount_paid", "order_amount", "total", "total_amount", "sales", "sales_amount",
                "monetary", "value", "paid", "paid_amount", "payment", "spend",
                "金额", "订单金额", "实付金额", "实付款", "实收金额", "支付金额", "付款金额", "消费金额",
                "交易金额", "销售额"),
    "name": ("name", "customer_name", "full_name", "姓名", "客户姓名", "客户名称", "会员姓名", "顾客姓名"),
    "phone": ("phone", "mobile", "telephone", "tel", "手机", "手机号", "手机号码", "电话", "联系电话"),
    "email": ("email", "e-mail", "mail", "邮箱", "电子邮箱"),
    "city": ("city", "城市", "所在城市"),
    "gender": ("gender", "sex", "性别"),
    "signup_ts": ("signup_ts", "signup_date", "join_date", "registration_date", "注册时间", "注册日期", "入会时间",
                  "入会日期", "开卡日期"),
    "interaction_ts": ("interaction_ts", "contact_date", "contact_time", "联系时间", "联系日期", "互动时间",
                       "接触时间", "沟通时间"),
    "channel": ("channel", "medium", "渠道", "接触渠道", "联系方式"),
    "purpose": ("purpose", "reason", "目的", "事由"),
}

#: What each reader needs and may map: (required, optional, date columns, amount columns).
TABLES = {
    "transactions": (("customer_id", "order_ts", "revenue"), ("order_id",), ("order_ts",), ("revenue",)),
    "customers": (("customer_id",), ("name", "phone", "email", "city", "gender", "signup_ts"), ("signup_ts",), ()),
    "contacts": (("customer_id", "interaction_ts"), ("channel", "purpose"), ("interaction_ts",), ()),
}
# A contact log's time is often just "日期"/"date".
_CONTACT_TIME = ("date", "time", "日期", "时间")

DUPLICATES = ("keep", "drop")
MANGLED_IDS = ("refuse", "set_aside")
SEPARATORS = (",", ";", "\t")
#: Excel serial dates accepted: 20000 (1954-10-03) to 80000 (2119-01-10), days since 1899-12-30.
EXCEL_SERIALS = (20000, 80000)

# The kit's own layouts, then what back-end exports add.
_ISO_FORMATS = DATETIME_FORMATS + ("%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S.%f", "%Y.%m.%d", "%Y%m%d")
_SCIENTIFIC = r"\d+(?:\.\d+)?E[+-]?\d+"
_DMY = r"(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})(?:[ T]+(\d{1,2}:\d{2}(?::\d{2})?))?"
_CHINESE = r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]?(?:\s*(\d{1,2})[:：时点](\d{1,2})(?:[:：分](\d{1,2}))?秒?)?"
_AMOUNT_CLUTTER = r"[¥$€£\s]|RMB|CNY|元"


def _key(name) -> str:
    text = unicodedata.normalize("NFKC", str(name)).casefold()
    text = re.sub(r"\([^)]*\)", "", text)
    return re.sub(r"[\s_\-.]", "", text)


_LOOKUP = {}
for _column, _names in HEADER_NAMES.items():
    for _name in _names:
        _LOOKUP.setdefault(_key(_name), _column)


def read_transactions(path, *, columns: dict | None = None, duplicates: str = "keep", dayfirst: bool | None = None,
                      mangled_ids: str = "refuse", normalise_ids: bool = True, sheet=None,
                      verbose: bool = True) -> pd.DataFrame:
    """A company's transaction log (交易记录) from a CSV or ``.xlsx`` export, checked, with a report.

    Parameters
    ----------
    path : str or Path
        A ``.csv`` (or ``.txt``) file in UTF-8 (with or without BOM) or GBK/GB18030,
        separated by ``,``, ``;`` or tabs; or an Excel ``.xlsx`` file.
    columns : dict, optional
        ``{header in the file: kit name}``, e.g. ``{"付款金额": "revenue"}``; overrides
        :data:`HEADER_NAMES` for those headers (unlisted headers are still looked up).
    duplicates : {"keep", "drop"}, default "keep"
        What to do with exact duplicate lines (the same text on two lines). Default
        "keep": the reader never removes a purchase on its own, and without an order id
        two identical lines can be two real purchases (two coffees on one day); the
        report counts and names them. Pass "drop" when they come from exporting a
        block twice (with an order id column they always do).
    dayfirst : bool, optional
        For dates such as ``05-01-2024``: True reads 5 January, False 1 May. By default
        the column decides: a first number above 12 anywhere means day-first for the
        whole column, a second number above 12 month-first; if neither occurs the
        dates are ambiguous and refused, naming the lines.
    mangled_ids : {"refuse", "set_aside"}, default "refuse"
        IDs in scientific notation (``1.23457E+17``: Excel kept 6 digits, so different
        customers now share one ID) are refused; "set_aside" sets their rows aside
        (reported) instead, when the file cannot be exported again.
    normalise_ids : bool, default True
        Compare IDs after NFKC (full-width to half-width), removing spaces and
        upper-casing: ``' c001 '`` and ``'C001'`` are one customer. Reported with
        the count and examples. False keeps them as written (only the ends trimmed).
    sheet : str or int, optional
        The sheet of an Excel file (default the first).
    verbose : bool, default True
        Print a short summary of the report.

    Returns
    -------
    DataFrame
        ``customer_id`` (text), ``order_ts`` (datetime64), ``revenue`` (float), then
        ``order_id`` if present and the file's other columns as text; indexed by the
        line number in the file (``line``; header = line 1, Excel: the sheet's row).
        ``attrs``: ``report`` (DataFrame: ``problem``, ``lines``, ``count``,
        ``example``, ``action``), ``columns`` (the header mapping applied),
        ``encoding``, ``separator``, ``header_line`` and ``lines`` (lines in the file).
        The rows kept plus the rows set aside (report rows whose action starts
        with "set aside" or "dropped") are all the lines after the header, plus the
        title lines before it.

    Rules for IDs
    -------------
    An ID column whose values are all digits and where some IDs start with ``0``
    (so the company pads its IDs with zeros) has lost leading zeros in every shorter
    ID: refused, naming the lines. IDs of differing lengths without any leading zero
    are kept with a note in the report (auto-numbered IDs look the same).

    Examples
    --------
    >>> import pathlib, tempfile
    >>> text = ("order_no;member ID;date;amount\\n"
    ...         "A1;c1;05/01/2024;¥12\\nA2;C2;25/01/2024;8,000\\nA2;C2;25/01/2024;8,000\\n")
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = pathlib.Path(folder) / "export.csv"
    ...     _ = path.write_text(text, encoding="utf-8-sig")
    ...     log = read_transactions(path, duplicates="drop")   # doctest: +NORMALIZE_WHITESPACE
    read_transactions: export.csv (utf-8-sig, ';'): 4 lines, header on line 1; kept 2 rows; dropped duplicate
    lines: 1 (line 4); normalised IDs: 1; dates read day first: 2; parsed amounts with currency signs or
    separators: 2. Details: result.attrs['report'].
    >>> log[["order_id", "customer_id", "order_ts", "revenue"]]
         order_id customer_id   order_ts  revenue
    line                                         
    2          A1          C1 2024-01-05     12.0
    3          A2          C2 2024-01-25   8000.0
    """
    return _read(path, "transactions", columns=columns, duplicates=duplicates, dayfirst=dayfirst,
                 mangled_ids=mangled_ids, normalise_ids=normalise_ids, sheet=sheet, verbose=verbose)


def read_customers(path, *, columns: dict | None = None, duplicates: str = "keep", dayfirst: bool | None = None,
                   mangled_ids: str = "refuse", normalise_ids: bool = True, sheet=None,
                   verbose: bool = True) -> pd.DataFrame:
    """A company's customer list (客户名单) from a CSV or ``.xlsx`` export, checked, with a report.

    As :func:`read_transactions`; needs a ``customer_id`` column and maps ``name``,
    ``phone``, ``email``, ``city``, ``gender`` and ``signup_ts`` (parsed as dates, blanks
    kept as ``NaT``) when present. Phone numbers and other columns stay text. A customer
    listed on two lines is reported (``customer_id repeated``), not merged.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = pathlib.Path(folder) / "members.csv"
    ...     _ = path.write_bytes("会员编号,姓名,手机号,注册日期\\nM01,张三,13900000001,2023/3/1\\n".encode("gbk"))
    ...     members = read_customers(path, verbose=False)
    >>> members.iloc[0].tolist()
    ['M01', '张三', '13900000001', Timestamp('2023-03-01 00:00:00')]
    """
    return _read(path, "customers", columns=columns, duplicates=duplicates, dayfirst=dayfirst,
                 mangled_ids=mangled_ids, normalise_ids=normalise_ids, sheet=sheet, verbose=verbose)


def read_contacts(path, *, columns: dict | None = None, duplicates: str = "keep", dayfirst: bool | None = None,
                  mangled_ids: str = "refuse", normalise_ids: bool = True, sheet=None,
                  verbose: bool = True) -> pd.DataFrame:
    """A company's contact log (客户接触记录: calls, messages, visits) from a CSV or ``.xlsx`` export.

    As :func:`read_transactions`; needs ``customer_id`` and ``interaction_ts`` (a header
    such as 联系时间, or plain 日期/date), maps ``channel`` and ``purpose`` when present.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = pathlib.Path(folder) / "calls.csv"
    ...     _ = path.write_text("客户编号\\t日期\\t渠道\\nC1\\t2024-02-03 10:00\\t电话\\n", encoding="utf-8")
    ...     calls = read_contacts(path, verbose=False)
    >>> calls.columns.tolist(), calls.attrs["separator"]
    (['customer_id', 'interaction_ts', 'channel'], '\\t')
    """
    return _read(path, "contacts", columns=columns, duplicates=duplicates, dayfirst=dayfirst,
                 mangled_ids=mangled_ids, normalise_ids=normalise_ids, sheet=sheet, verbose=verbose)


# ------------------------------------------------------------------ the shared core

class _Report:
    """Problems found while reading: report rows, set-aside rows, and refusals."""

    def __init__(self, lines: np.ndarray):
        self.lines = lines            # file line number of each parsed row
        self.rows = []
        self.fatal = []
        self.aside = np.zeros(len(lines), bool)

    def add(self, problem, mask, action, example="", set_aside=False):
        mask = np.asarray(mask, bool)
        if set_aside:
            mask = mask & ~self.aside
            self.aside |= mask
        if mask.any():
            self.rows.append({"problem": problem, "lines": self.lines[mask].tolist(), "count": int(mask.sum()),
                              "example": example, "action": action})

    def note(self, problem, lines, action, example=""):
        if len(lines):
            self.rows.append({"problem": problem, "lines": [int(n) for n in lines], "count": len(lines),
                              "example": example, "action": action})

    def table(self, keep):
        """The report; rows about values count only the lines kept (a dropped duplicate is not "parsed")."""
        kept = self.lines[keep]
        rows = []
        for row in self.rows:
            if not row["action"].startswith(("set aside", "dropped")):
                lines = np.asarray(row["lines"], dtype=np.int64)
                lines = lines[np.isin(lines, kept)]
                row = {**row, "lines": lines.tolist(), "count": len(lines)}
            if row["count"]:
                rows.append(row)
        return pd.DataFrame(rows, columns=["problem", "lines", "count", "example", "action"])

    def refuse(self, column, what, mask, examples, fix):
        where = describe_rows(self.lines[np.asarray(mask, bool)]).replace("row", "line", 1)
        self.fatal.append(f"- column '{column}': {what} on {where}, e.g. {examples}. Fix: {fix}")


def _read(path, kind, *, columns, duplicates, dayfirst, mangled_ids, normalise_ids, sheet, verbose):
    require_option(duplicates, DUPLICATES, name="duplicates",
                   fix="'keep' keeps exact duplicate lines (reported), 'drop' removes all but the first.")
    require_option(mangled_ids, MANGLED_IDS, name="mangled_ids")
    if columns is not None and not isinstance(columns, dict):
        raise CrmlabInputError("columns must be a dict {header in the file: kit name}, e.g. {'付款金额': 'revenue'}.")
    path = Path(path)
    if not path.is_file():
        raise CrmlabInputError(f"{path}: no such file. Check the folder and the name (Path.cwd() is where the "
                               "notebook looks for a relative path).")
    data = path.read_bytes()
    excel = data[:4] == b"PK\x03\x04"
    if path.suffix.lower() == ".xls" or data[:4] == b"\xd0\xcf\x11\xe0":
        raise CrmlabInputError(f"{path.name}: an old Excel .xls file. Open it in Excel and save it as .xlsx "
                               "(or as 'CSV UTF-8').")
    if excel:
        cells, lines, bad_fields, info = _excel_cells(path, sheet)
    else:
        cells, lines, bad_fields, info = _csv_cells(data, path, columns or {}, kind)
    return _finish(cells, lines, bad_fields, info, kind=kind, columns=columns or {}, duplicates=duplicates,
                   dayfirst=dayfirst, mangled_ids=mangled_ids, normalise_ids=normalise_ids, verbose=verbose,
                   name=path.name)


def _empty(name):
    return CrmlabInputError(f"{name}: the file is empty (no line with text). Export the table again, with its "
                            "header line (e.g. customer_id,order_date,amount).")


def _header_at(rows, columns):
    """Index of the header among the first rows: the first with 2+ known names (or a name of ``columns=``)."""
    own = {_key(k) for k in columns}
    for i, fields in enumerate(rows[:30]):
        keys = [_key(f) for f in fields]
        if sum(k in _LOOKUP or k in own for k in keys if k) >= min(2, len([k for k in keys if k])) and any(keys):
            return i
    return None


def _no_header(name, rows):
    first = next((r for r in rows if any(str(f).strip() for f in r)), [])
    return CrmlabInputError(
        f"{name}: found no header line naming the columns among the first 30 lines (the first line with text is "
        f"{[str(f) for f in first][:8]}). Add a header line such as customer_id,order_date,amount, or name the "
        "columns yourself with columns={'header in the file': 'customer_id', ...} (headers the reader knows: "
        "crmlab.exports.HEADER_NAMES).")


def _csv_cells(data: bytes, path, columns, kind):
    name = path.name
    if re.search(rb"[^\s\xef\xbb\xbf]", data[:65536] if len(data) > 65536 and data[:65536].strip() else data) is None:
        raise _empty(name)
    if data.startswith(b"\xef\xbb\xbf"):
        encoding = "utf-8-sig"
        text_head = data[3:200_000].decode("utf-8", errors="ignore")
    else:
        try:
            data.isascii() or data.decode("utf-8")
            encoding = "utf-8"
        except UnicodeDecodeError:
            try:
                data.decode("gb18030")
                encoding = "gb18030"
            except UnicodeDecodeError:
                raise CrmlabInputError(f"{name}: the file is neither UTF-8 nor GBK/GB18030 text. Open it in Excel and "
                                       "save it as 'CSV UTF-8' (File > Save As).") from None
        text_head = data[:200_000].decode(encoding, errors="ignore")
    import csv

    sample = [line.rstrip("\r") for line in text_head.split("\n")[:60]]
    best = None
    for sep in SEPARATORS:
        counts = pd.Series([len(r) for r in csv.reader(sample, delimiter=sep)])
        counts = counts[counts > 1]
        if len(counts):
            score = (counts == counts.mode().iloc[0]).sum()
            if best is None or score > best[0]:
                best = (score, sep)
    sep = best[1] if best else ","
    head_rows = list(csv.reader(sample, delimiter=sep))
    at = _header_at(head_rows, columns)
    if at is None:
        raise _no_header(name, head_rows)
    header = [h.strip() for h in head_rows[at]]
    n = len(header)
    mapping = _mapping(header, kind, columns, name)
    amount_at = [p for p, t in mapping.items() if t in TABLES[kind][3]]
    dtype = {p: str for p in range(n) if p not in amount_at}   # amounts: pandas reads clean ones as numbers
    try:
        frame = pd.read_csv(io.BytesIO(data), sep=sep, header=None, names=range(n), skiprows=at + 1,
                            dtype=dtype, keep_default_na=False, skip_blank_lines=False, on_bad_lines="skip",
                            encoding=encoding, index_col=False, quotechar='"', engine="c")
    except pd.errors.EmptyDataError:
        frame = pd.DataFrame({i: pd.Series([], dtype=str) for i in range(n)})
    # Which line of the file each row comes from. Fast path: no quotes, and the separators add up to
    # n fields on every line (no row was skipped for having more, so none can have fewer).
    records = data.count(b"\n") + (not data.endswith(b"\n"))
    plain = (n > 1 and b'"' not in data and len(frame) == records - at - 1
             and data.count(sep.encode()) == (n - 1) * records)
    if plain:
        starts_line = np.arange(1, records + 1)
        too_many_lines, bad_fields = [], np.zeros(len(frame), bool)
        lines = starts_line[at + 1:]
    else:
        records, starts_line, fields, blank = _scan(data, sep)
        body = slice(at + 1, None)
        too_many = fields[body] > n
        lines = starts_line[body][~too_many]
        too_many_lines = starts_line[body][too_many].tolist()
        bad_fields = ((fields[body] < n) & ~blank[body])[~too_many]
    if len(frame) != len(lines):
        raise CrmlabInputError(f"{name}: the reader could not align the rows with the lines of the file "
                               f"({len(frame)} rows, {len(lines)} lines); save the file again as 'CSV UTF-8' and "
                               "report this to the kit's authors.")
    info = {"encoding": encoding, "separator": sep, "header": header, "mapping": mapping,
            "header_line": int(starts_line[at]), "before": starts_line[:at].tolist(),
            "too_many": too_many_lines, "file_lines": int(records)}
    return frame, lines, bad_fields, info


def _scan(data: bytes, sep: str):
    """Records of a CSV file found on its bytes: count, first line number, number of fields, blank."""
    arr = np.frombuffer(data, np.uint8)
    quoted = b'"' in data
    newline = np.flatnonzero(arr == 10)
    seps = np.flatnonzero(arr == ord(sep))
    all_newlines = newline
    if quoted:   # a newline or separator is inside quotes when an odd number of quotes comes before it
        quotes = np.flatnonzero(arr == 34)
        newline = newline[np.searchsorted(quotes, newline) % 2 == 0]
        seps = seps[np.searchsorted(quotes, seps) % 2 == 0]
    starts = np.r_[0, newline + 1]
    ends = np.r_[newline, len(arr)]
    if starts[-1] >= len(arr):  # the file ends with a newline
        starts, ends = starts[:-1], ends[:-1]
    length = ends - starts
    if len(starts):
        length -= (arr[np.maximum(ends - 1, 0)] == 13) & (length > 0)   # \r\n
    if starts.size and data.startswith(b"\xef\xbb\xbf"):
        length[0] -= 3
    fields = np.bincount(np.searchsorted(newline, seps), minlength=len(starts))[:len(starts)] + 1
    first_line = (np.searchsorted(all_newlines, starts) + 1) if quoted else np.arange(1, len(starts) + 1)
    return len(starts), first_line, fields, length <= 0


def _excel_cells(path, sheet):
    from python_calamine import CalamineWorkbook

    try:
        book = CalamineWorkbook.from_path(str(path))
    except Exception as error:  # a damaged or password-protected file
        raise CrmlabInputError(f"{path.name}: cannot open it as an Excel file ({error}). Open it in Excel and save "
                               "it again as .xlsx or as 'CSV UTF-8'.") from None
    names = book.sheet_names
    if sheet is None:
        sheet = 0
    if isinstance(sheet, int):
        if not 0 <= sheet < len(names):
            raise CrmlabInputError(f"{path.name}: sheet={sheet} but the file has {len(names)} sheet(s): {names}.")
        sheet_obj = book.get_sheet_by_index(sheet)
    else:
        require_option(sheet, names, name="sheet")
        sheet_obj = book.get_sheet_by_name(sheet)
    rows = sheet_obj.to_python(skip_empty_area=False)
    if not rows or not any(str(c).strip() for r in rows[:1000] for c in r):
        raise _empty(path.name)
    raw = pd.DataFrame(rows, dtype=object)
    cells = pd.DataFrame({c: _excel_text(raw[c]) for c in raw.columns})
    info = {"encoding": "xlsx", "separator": None, "sheet": sheet_obj.name, "raw": None, "too_many": [],
            "file_lines": len(cells)}
    return cells, np.arange(1, len(cells) + 1), np.zeros(len(cells), bool), info


def _excel_text(values: pd.Series) -> pd.Series:
    """Excel cells as the text a CSV export would hold: whole numbers without '.0', dates as ISO."""
    numeric = pd.to_numeric(values.where(values.map(type).isin([int, float])), errors="coerce")
    text = values.astype(str)
    whole = numeric.notna() & (numeric == numeric.round()) & (numeric.abs() < 1e15)
    text[whole] = numeric[whole].astype("int64").astype(str)
    long = numeric.notna() & (numeric.abs() >= 1e15)
    text[long] = numeric[long].map("{:.5E}".format)   # what Excel shows: 1.23457E+17
    text[values.isna()] = ""
    return text.astype(str)


def _mapping(header, kind, columns, name):
    """{position in the header: kit name}, from ``columns=`` first, then :data:`HEADER_NAMES`."""
    required, optional, _, _ = TABLES[kind]
    allowed = set(required) | set(optional)
    unknown = {k: v for k, v in columns.items() if v not in allowed}
    if unknown:
        raise CrmlabInputError(f"columns={unknown}: a {kind} table has the columns {sorted(allowed)}; map each "
                               "header of the file to one of them.")
    missing_headers = [k for k in columns if k not in header]
    if missing_headers:
        raise CrmlabInputError(f"columns=: the file has no header {missing_headers}; its headers are {header}.")
    mapping, claimed = {}, {}
    for position, head in enumerate(header):
        target = columns.get(head)
        if target is None:
            target = _LOOKUP.get(_key(head))
            if kind == "contacts" and (target == "order_ts" or _key(head) in {_key(t) for t in _CONTACT_TIME}):
                target = "interaction_ts"
            if target not in allowed or target in columns.values():
                target = None
        if target is not None:
            claimed.setdefault(target, []).append(head)
            mapping[position] = target
    clash = {t: h for t, h in claimed.items() if len(h) > 1}
    if clash:
        target, heads = next(iter(clash.items()))
        raise CrmlabInputError(
            f"{name}: the headers {heads} could all be '{target}'. Say which one to use, e.g. "
            f"columns={{{heads[-1]!r}: {target!r}}} (the other is then kept as it is).")
    lacking = [c for c in required if c not in claimed]
    if lacking:
        raise CrmlabInputError(
            f"{name}: found no column for {lacking} among the headers {header}. Name it yourself, e.g. "
            f"columns={{{header[0]!r}: {lacking[0]!r}}} (headers the reader knows: crmlab.exports.HEADER_NAMES).")
    return mapping


def _joined(values: pd.Series) -> str:
    """All values of a text column in one string, one per line: one pass of ``in`` or of the regex engine
    over it answers "does any value ...?" much faster than a test per value."""
    return "\n".join(values.to_numpy(dtype=object))


def _any_blank(joined: str) -> bool:
    return joined == "" or "\n\n" in joined or joined[0] == "\n" or joined[-1] == "\n"


def _any_edge_space(joined: str) -> bool:
    if not any(space in joined for space in " \t\r\u3000\xa0"):
        return False
    edges = ("\n ", " \n", "\n\t", "\t\n", "\r", "\n\u3000", "\u3000\n", "\n\xa0", "\xa0\n")
    return joined[:1].isspace() or joined[-1:].isspace() or any(edge in joined for edge in edges)


def _stripped(values: pd.Series) -> pd.Series:
    text = values.astype(str)
    return text.str.strip() if len(text) and _any_edge_space(_joined(text)) else text


def _finish(cells, lines, bad_fields, info, *, kind, columns, duplicates, dayfirst, mangled_ids, normalise_ids,
            verbose, name):
    required, optional, date_cols, amount_cols = TABLES[kind]
    if info["encoding"] == "xlsx":   # find the header among the sheet's rows
        head = cells.head(30).to_numpy().tolist()
        at = _header_at(head, columns)
        if at is None:
            raise _no_header(name, head)
        header = [str(h).strip() for h in cells.iloc[at]]
        body = cells.iloc[at + 1:]
        keep_cols = [i for i, h in enumerate(header) if h or (body[i] != "").any()]   # data without a header too
        info.update(header=[header[i] for i in keep_cols], header_line=int(lines[at]),
                    before=lines[:at].tolist())
        cells = cells.iloc[at + 1:, keep_cols].reset_index(drop=True)
        cells.columns = range(len(keep_cols))
        lines, bad_fields = lines[at + 1:], bad_fields[at + 1:]
        info["mapping"] = _mapping(info["header"], kind, columns, name)
    header, mapping = info["header"], info["mapping"]
    if len(cells) == 0:
        raise CrmlabInputError(f"{name}: the file has a header (line {info['header_line']}) but no data lines after "
                               "it. Export the table again with its rows.")
    applied = {header[p]: t for p, t in mapping.items()}
    by_target = {t: p for p, t in mapping.items()}

    # ---- rows set aside before looking at values
    report = _Report(np.asarray(lines, dtype=np.int64))
    report.note("title lines before the header", info["before"], "set aside")
    id_cells = cells[by_target["customer_id"]].astype(str)
    joined = _joined(id_cells)
    if len(cells) and _any_blank(joined):    # an empty line has an empty id
        empty_row = np.ones(len(cells), bool)
        for c in cells.columns:
            empty_row &= (cells[c].astype(str).str.strip() == "").to_numpy() | cells[c].isna().to_numpy()
        report.add("empty lines", empty_row, "set aside", set_aside=True)
    report.note("lines with more fields than the header", info["too_many"],
                "set aside (an unquoted separator inside a value, e.g. ¥1,234.50: quote it or save without "
                "thousands separators)")
    report.add("lines with fewer fields than the header", bad_fields, "set aside", set_aside=True)
    structural = report.aside.copy()

    out = {"customer_id": _ids(id_cells, joined, report, normalise_ids=normalise_ids,
                                 mangled_ids=mangled_ids)}
    for target in required[1:] + optional:
        if target not in by_target:
            continue
        values = cells[by_target[target]]
        if target in date_cols:
            out[target] = _dates(values, target, report, dayfirst=dayfirst, required=target in required)
        elif target in amount_cols:
            out[target] = _amounts(values, target, report)
        else:
            out[target] = _stripped(values)
    for position, head in enumerate(header):
        if position not in mapping:
            label = head or f"column_{position + 1}"
            out[label if label not in out else f"{label}_{position + 1}"] = _stripped(cells[position])
    if report.fatal:
        raise CrmlabInputError(f"{name}: the file cannot be read as it is ({len(report.fatal)} problem"
                               f"{'s' if len(report.fatal) > 1 else ''}; lines of the file, header = line "
                               f"{info['header_line']}):\n" + "\n".join(report.fatal))

    # ---- exact duplicate lines: candidates share the parsed time and amount, then all cells are compared
    stamps = [out[c] for c in date_cols if c in out] + [out[c] for c in amount_cols if c in out]
    if stamps and len(cells):
        key = np.zeros(len(cells), np.int64)
        for values in stamps:
            key = key * 1_000_003 + values.to_numpy().view(np.int64)
        # rows whose key shares a bucket of 2**22 with another row, then the exact keys among those
        bucket = ((key ^ (key >> 29)) & (2 ** 22 - 1)).astype(np.intp)
        candidate = np.bincount(bucket, minlength=2 ** 22)[bucket] > 1
        rows = np.flatnonzero(candidate)
        candidate[rows] = pd.Series(key[rows]).duplicated(keep=False).to_numpy()
        candidate &= ~structural
    else:
        candidate = ~structural
    same = np.zeros(len(cells), bool)
    if candidate.any():
        rows = np.flatnonzero(candidate)
        same[rows] = cells.iloc[rows].astype(str).duplicated().to_numpy()
    same &= ~report.aside
    if same.any():
        example = f"line {report.lines[same][0]} repeats an earlier line"
        if duplicates == "drop":
            report.add("duplicate lines", same, "dropped (duplicates='drop')", example, set_aside=True)
        else:
            report.add("duplicate lines", same, "kept (pass duplicates='drop' if the block was exported twice)",
                       example)
    if kind == "customers":
        repeated = out["customer_id"].duplicated(keep=False).to_numpy() & ~report.aside
        if repeated.any():
            report.add("customer_id repeated", repeated, "kept (one customer on several lines: check and merge them)",
                       shown(out["customer_id"][repeated].iloc[0]))

    keep = ~report.aside
    order = [c for c in (*required, *optional) if c in out]
    frame = pd.DataFrame({c: out[c] for c in order + [c for c in out if c not in order]}, copy=False)
    if not keep.all():
        frame = frame[keep]
    frame.index = pd.Index(report.lines[keep], name="line")
    table = report.table(keep)
    frame.attrs.update(report=table, columns=applied, encoding=info["encoding"], separator=info["separator"],
                       header_line=info["header_line"], lines=info["file_lines"])
    if info.get("sheet") is not None:
        frame.attrs["sheet"] = info["sheet"]
    if verbose:
        print(_summary(frame, kind, name))
    return frame


def _ids(ids: pd.Series, joined: str, report: _Report, *, normalise_ids, mangled_ids) -> pd.Series:
    plain = (len(ids) > 0 and joined.isascii() and not _any_blank(joined)        # no blank, no full-width,
             and joined.upper() == joined                                       # no lower case,
             and not any(mark in joined for mark in " \t.+")                    # no space, no 1.2E+17,
             and re.search(r"[^\d\n]", joined) is not None                      # not digits only (widths),
             and ("E" not in joined or re.search(r"^\d+E\d+$", joined, re.MULTILINE) is None))
    if plain:
        return ids
    codes, found = pd.factorize(ids)
    written = pd.Series(np.asarray(found, dtype=object), dtype=str)
    uniques = written.str.strip()
    report.add("no customer_id", (uniques == "").to_numpy()[codes], "set aside", set_aside=True)
    if normalise_ids:
        clean = uniques.str.normalize("NFKC").str.replace(r"\s+", "", regex=True).str.upper()
        changed_u = (clean != written).to_numpy() & (clean != "").to_numpy()
        if changed_u.any():
            first = np.flatnonzero(changed_u)[:3]
            examples = ", ".join(f"{written.iloc[i]!r} -> {clean.iloc[i]!r}" for i in first)
            report.add("IDs normalised (spaces, case, full-width)", changed_u[codes] & ~report.aside,
                       "normalised (pass normalise_ids=False to keep them as written)", examples)
        uniques = clean
    values = pd.Series(uniques.to_numpy(dtype=object)[codes], dtype=str)
    text = uniques.reset_index(drop=True)
    science = text.str.fullmatch(_SCIENTIFIC, case=False).to_numpy()
    if science.any():
        rows = science[codes] & ~report.aside
        example = shown(text[science].iloc[0])
        if mangled_ids == "refuse":
            report.refuse("customer_id", "IDs in scientific notation (Excel shortened long numbers; different "
                          "customers now share one ID)", rows, example,
                          "format the column as text before saving (Excel: select the column, Format Cells > Text, "
                          "then export again from the source system), or pass mangled_ids='set_aside'")
        else:
            report.add("IDs in scientific notation (Excel-mangled)", rows, "set aside (mangled_ids='set_aside')",
                       example, set_aside=True)
    live = ~report.aside
    used = np.zeros(len(text), bool)
    used[np.unique(codes[live])] = True
    text_used = text[used]
    if len(text_used) and text_used.str.fullmatch(r"\d+").all():
        width = text_used.str.len()
        usual = int(width.mode().iloc[0])
        short_u = (text.str.len() < usual).to_numpy() & used
        if short_u.any():
            rows = short_u[codes] & live
            example = shown(text[short_u].iloc[0])
            if (text_used.str.len() == usual).where(text_used.str.startswith("0"), False).any():
                report.refuse("customer_id", f"IDs shorter than the usual {usual} digits while other IDs start "
                              "with 0 (Excel drops the leading zeros of numbers)", rows, example,
                              "format the column as text before saving and export it again")
            elif (width == usual).mean() >= 0.8:
                report.add(f"IDs shorter than the usual {usual} digits", rows,
                           "kept (if your IDs have leading zeros, Excel dropped them: format the column as text "
                           "before saving)", example)
    return values


def _dates(values: pd.Series, column: str, report: _Report, *, dayfirst, required) -> pd.Series:
    text = values.astype(str)
    out = _plain_times(text)
    if out is None:
        parsed = pd.to_datetime(text.to_numpy(dtype=object), format=_ISO_FORMATS[0], errors="coerce")
        out = np.array(parsed, dtype="datetime64[s]")
    todo = np.isnat(out) & ~report.aside
    if not todo.any():
        return pd.Series(out)
    at = np.flatnonzero(todo)
    rest = text.iloc[at].str.normalize("NFKC").str.strip().reset_index(drop=True)   # full-width digits too
    empty = (rest == "").to_numpy()
    if required:
        mask = np.zeros(len(text), bool)
        mask[at[empty]] = True
        report.add(f"no {column}", mask, "set aside", set_aside=True)
    at, rest = at[~empty], rest[~empty].reset_index(drop=True)
    done = np.zeros(len(rest), bool)

    def mask_of(sub):
        mask = np.zeros(len(text), bool)
        mask[at[sub]] = True
        return mask

    for fmt in _ISO_FORMATS:
        if done.all():
            break
        stamp = pd.to_datetime(rest.where(~done, ""), format=fmt, errors="coerce")
        ok = stamp.notna().to_numpy() & ~done
        out[at[ok]] = stamp[ok].to_numpy().astype("datetime64[s]")
        done |= ok
    chinese = rest.str.fullmatch(_CHINESE).to_numpy() & ~done
    if chinese.any():
        parts = rest[chinese].str.extract(_CHINESE).fillna("0").astype(int)
        stamp = pd.to_datetime(dict(year=parts[0], month=parts[1], day=parts[2], hour=parts[3], minute=parts[4],
                                    second=parts[5]), errors="coerce")
        chinese[np.flatnonzero(chinese)[stamp.isna().to_numpy()]] = False
        out[at[chinese]] = stamp.dropna().to_numpy().astype("datetime64[s]")
        report.add("Chinese dates (2024年1月5日)", mask_of(chinese), "parsed", shown(rest[chinese].iloc[0]))
        done |= chinese
    dmy = rest.str.fullmatch(_DMY).to_numpy() & ~done
    if dmy.any():
        parts = rest[dmy].str.extract(_DMY)
        a, b = parts[0].astype(int).to_numpy(), parts[1].astype(int).to_numpy()
        first = dayfirst
        if first is None and (a > 12).any() and (b > 12).any():
            report.refuse(column, "dates with the day first and dates with the month first", mask_of(dmy),
                          shown(rest[dmy].iloc[0]), "write all dates as YYYY-MM-DD in the source system")
        elif first is None and ((a > 12).any() or (b > 12).any()):
            first = bool((a > 12).any())
        elif first is None and (a != b).any():
            unclear = np.flatnonzero(dmy)[a != b]
            report.refuse(column, "dates that can be read day first or month first (no day above 12 in the column "
                          "settles it)", mask_of(unclear), shown(rest.iloc[unclear[0]]),
                          "pass dayfirst=True (05-01-2024 is 5 January) or dayfirst=False (1 May), or write the "
                          "dates as YYYY-MM-DD")
        day, month = (a, b) if first in (True, None) else (b, a)
        stamp = pd.to_datetime(dict(year=parts[2].astype(int), month=month, day=day), errors="coerce")
        clock = parts[3].fillna("0:00")
        stamp = stamp + pd.to_timedelta(clock.where(clock.str.count(":") == 2, clock + ":00"), errors="coerce")
        dmy[np.flatnonzero(dmy)[stamp.isna().to_numpy()]] = False
        out[at[dmy]] = stamp.dropna().to_numpy().astype("datetime64[s]")
        if first is not None:
            why = (f"dayfirst={dayfirst}" if dayfirst is not None else
                   f"the column has a {'day' if first else 'month'} above 12")
            report.add(f"dates read {'day' if first else 'month'} first", mask_of(dmy), f"parsed ({why})",
                       shown(rest[dmy].iloc[0]))
        done |= dmy
    serial = rest.str.fullmatch(r"\d{5}(?:\.\d+)?").to_numpy() & ~done
    if serial.any() and serial.all() and np.isnat(out[~report.aside]).all():   # the whole column: serial numbers
        number = pd.to_numeric(rest, errors="coerce")
        if number.between(*EXCEL_SERIALS).all():
            stamp = pd.Timestamp("1899-12-30") + pd.to_timedelta(number, unit="D").dt.round("s")
            out[at] = stamp.to_numpy().astype("datetime64[s]")
            report.add("Excel serial dates", mask_of(serial),
                       "parsed (days since 1899-12-30: the whole column is such numbers)", shown(rest.iloc[0]))
            done |= serial
    if not done.all():
        bad = np.flatnonzero(~done)
        zoned = rest.iloc[bad].str.contains(ZONE_OFFSET, regex=True).to_numpy(dtype=bool)
        if zoned.any():
            report.refuse(column, "times with a time-zone offset", mask_of(bad[zoned]), shown(rest.iloc[bad[zoned][0]]),
                          "remove the offsets (convert all times to China time first)")
        if (~zoned).any():
            report.refuse(column, "values that are not dates", mask_of(bad[~zoned]), shown(rest.iloc[bad[~zoned][0]]),
                          "write dates as YYYY-MM-DD or YYYY-MM-DD HH:MM:SS (2024年1月5日, 05/01/2024 and Excel "
                          "serial numbers are read too)")
    return pd.Series(out)


def _plain_times(text: pd.Series):
    """Fast path for a column where every value is ``YYYY-MM-DD HH:MM:SS``: numpy parses it, after checks
    that every value has that shape (19 characters, 2 dashes, 1 space, 2 colons); None otherwise."""
    n = len(text)
    joined = _joined(text)
    if not (n and joined.isascii() and len(joined) == 20 * n - 1 and joined.count("-") == 2 * n
            and joined.count(":") == 2 * n and joined.count(" ") == n):
        return None
    try:
        return text.to_numpy(dtype=object).astype("datetime64[s]")
    except ValueError:
        return None


def _amounts(values: pd.Series, column: str, report: _Report) -> pd.Series:
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        numbers = values.to_numpy(dtype=float, copy=True)       # pandas read them all as numbers
    else:
        numbers = np.full(len(values), np.nan)
    todo = np.isnan(numbers) & ~report.aside
    if todo.any():
        at = np.flatnonzero(todo)
        # each distinct text once (prices repeat), then back to the rows
        codes, distinct = pd.factorize(values.iloc[at].astype(str).where(values.iloc[at].notna(), ""))
        raw = pd.Series(np.asarray(distinct, dtype=object), dtype=str)
        clean = raw.str.normalize("NFKC").str.replace(_AMOUNT_CLUTTER, "", regex=True)
        empty_d = (clean == "").to_numpy() & (raw.str.strip() == "").to_numpy()
        fine_d = clean.str.fullmatch(r"[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?").to_numpy() & ~empty_d
        parsed_d = pd.to_numeric(clean.where(fine_d, "").str.replace(",", "", regex=False),
                                 errors="coerce").to_numpy(dtype=float)
        plain_d = fine_d & raw.str.fullmatch(r"[+-]?\d+(?:\.\d+)?").to_numpy()   # already a plain number
        empty, fine, plain = empty_d[codes], fine_d[codes], plain_d[codes]
        mask = np.zeros(len(values), bool)
        mask[at[empty]] = True
        report.add(f"no {column}", mask, "set aside", set_aside=True)
        numbers[at[fine]] = parsed_d[codes][fine]
        dressed = fine & ~plain
        if dressed.any():
            mask = np.zeros(len(values), bool)
            mask[at[dressed]] = True
            first = codes[dressed][0]
            report.add("amounts with currency signs or separators", mask, "parsed",
                       f"{shown(raw.iloc[first])} -> {shown(float(parsed_d[first]))}")
        wrong = ~fine & ~empty
        if wrong.any():
            mask = np.zeros(len(values), bool)
            mask[at[wrong]] = True
            report.refuse(column, "values that are not amounts", mask, shown(raw.iloc[codes[wrong][0]]),
                          "write amounts as numbers such as 1234.50 (¥, 元 and thousands separators as in 1,234.50 "
                          "are read; a decimal comma as in 12,50 is not)")
    infinite = np.isinf(numbers) & ~report.aside
    if infinite.any():
        report.refuse(column, "values that are not amounts", infinite, shown(str(values[infinite].iloc[0])),
                      "write amounts as numbers such as 1234.50")
    negative = (numbers < 0) & ~report.aside
    report.add(f"negative {column} (refunds?)", negative,
               "set aside (a refund is not a negative purchase: see crmlab.transactions.purchases)",
               shown(float(numbers[negative][0])) if negative.any() else "", set_aside=True)
    return pd.Series(numbers)


def _summary(frame, kind, name) -> str:
    table = frame.attrs["report"]
    sep = frame.attrs["separator"]
    how = frame.attrs["encoding"] if sep is None else f"{frame.attrs['encoding']}, {sep!r}"
    parts = [f"read_{kind}: {name} ({how}): {frame.attrs['lines']} lines, header on line "
             f"{frame.attrs['header_line']}; kept {len(frame)} rows"]
    first = table["action"].str.startswith(("set aside", "dropped"))
    for row in pd.concat([table[first], table[~first]]).itertuples():
        verb = row.action.split(" (")[0]
        lines = describe_rows(row.lines, limit=3).replace("row", "line", 1)
        # "what: count" reads right for one and for many
        if verb in ("set aside", "dropped", "kept"):
            parts.append(f"{verb} {row.problem}: {row.count} ({lines})")
        elif verb == "normalised":
            parts.append(f"normalised IDs: {row.count}")
        elif row.problem.startswith("dates read"):
            parts.append(f"{row.problem}: {row.count}")
        else:
            parts.append(f"{verb} {row.problem.split(' (')[0]}: {row.count}")
    return "; ".join(parts) + ". Details: result.attrs['report']."
