"""The group assignment (作业一): analyse one company's CRM (某企业的客户关系管理分析).

The capstone notebook walks a group through the assignment's sections — company background
(企业背景), customer identification (客户识别), differentiation (客户区分), interaction (客户互动),
personalisation (客户个性化), satisfaction and loyalty (客户满意与忠诚) and recommendations (建议) — on
any company data the kit can read. This module holds what differs between the data sets, so that
the notebook stays the same for all of them:

- :func:`load_company` reads one of four sources — ``"sample"`` (the shipped sample company),
  ``"variant"`` (a student's own variant, by student id), ``"cdnow"`` (real CDNOW transactions) or
  ``"export"`` (a company's own CSV / Excel export, through :func:`crmlab.exports.read_transactions`)
  — into a :class:`Company`: the purchases in the kit's columns, the analysis date and whatever other
  tables the source has;
- :meth:`Company.has` says whether a part of the analysis is possible on these data, and
  :meth:`Company.missing` says in one sentence why not (CDNOW holds only purchases: no contact log, no
  survey, no campaigns), so the notebook prints that instead of failing;
- :func:`overview` and :func:`monthly_revenue` describe the company for the background section;
- :func:`report_problems` and :func:`export_report` turn the finished notebook into the report:
  one HTML file without code, with the figures and the kit's Chinese font embedded
  (``crmlab course report NOTEBOOK --out DIR``).

The analysis itself is done by the chapter modules (``rfm``, ``pareto``, ``lifecycle``,
``touchpoints``, ``campaigns``, ``complaints``, ``needs``, ``recommend``, ``customisation``,
``satisfaction``, ``loyalty``, ``retention``); this module never repeats their arithmetic.
"""
from __future__ import annotations

import base64
import html
import re
import logging
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from crmlab.validation import CrmlabInputError

__all__ = ["SOURCES", "PARTS", "Company", "load_company", "overview", "monthly_revenue", "report_problems",
           "export_report"]

#: The data sources :func:`load_company` reads.
SOURCES = ("sample", "variant", "cdnow", "export")

#: The tables of the sample company (and of a student's variant) the capstone uses.
_RETAIL_TABLES = ("customers", "orders", "order_lines", "products", "interactions", "complaints", "survey",
                  "campaigns", "campaign_assignment")

#: The parts of the analysis: the assignment's section each belongs to, what it shows and the
#: tables it needs besides the purchases (``()``: the purchases alone suffice).
PARTS = pd.DataFrame(
    [("overview", "background", "企业背景", "customers, purchases and revenue over time", ()),
     ("lifecycle", "identification", "客户识别", "lifecycle stage of every customer (客户生命周期)", ()),
     ("pareto", "differentiation", "客户区分", "80/20, Lorenz curve and ABC classes (二八法则, ABC 分析)", ()),
     ("rfm", "differentiation", "客户区分", "RFM classes (RFM 客户分类)", ()),
     ("channels", "interaction", "客户互动", "contacts, cost and response by channel (接触点)", ("interactions",)),
     ("campaign", "interaction", "客户互动", "a campaign measured against a control group (营销活动实验)",
      ("campaign_assignment",)),
     ("complaints", "interaction", "客户互动", "what customers complain about (客户投诉)", ("complaints",)),
     ("needs", "personalisation", "客户个性化", "what is bought together (关联规则)", ("order_lines", "products")),
     ("customisation", "personalisation", "客户个性化", "a customisation type per RFM class (定制类型)", ()),
     ("satisfaction", "satisfaction_loyalty", "客户满意与忠诚", "satisfaction survey, SERVQUAL and NPS (满意度调查)",
      ("survey",)),
     ("loyalty", "satisfaction_loyalty", "客户满意与忠诚", "repeat buyers (重复购买)", ()),
     ("retention", "satisfaction_loyalty", "客户满意与忠诚", "cohort retention and survival (客户保持)", ())],
    columns=["part", "section", "section_zh", "what", "needs"]).set_index("part")

_TABLE_ZH = {"interactions": "客户互动记录", "campaign_assignment": "活动分组", "complaints": "客户投诉",
             "order_lines": "订单明细", "products": "商品", "survey": "满意度调查"}


@dataclass
class Company:
    """One company's data for the capstone (作业一的企业数据).

    Attributes
    ----------
    source : str
        One of :data:`SOURCES`.
    name : str
        How the report names the company.
    purchases : DataFrame
        One row per purchase: ``customer_id``, ``order_id``, ``order_ts``, ``revenue`` (and, for the
        sample company, ``channel``, ``returned``, ``cost``, ``margin``), as the chapter functions read it.
    as_of : Timestamp
        The analysis date (分析日期): the day after the last purchase.
    tables : dict
        The other tables the source has (``customers``, ``interactions``, ``survey`` ...).
    notes : list of str
        What was read and how, for the background section.

    Examples
    --------
    >>> import pandas as pd
    >>> log = pd.DataFrame({"customer_id": ["a", "b"], "order_id": ["1", "2"],
    ...                     "order_ts": pd.to_datetime(["2025-01-05", "2025-02-01"]), "revenue": [10.0, 20.0]})
    >>> shop = Company("export", "a shop", log, pd.Timestamp("2025-02-02"))
    >>> shop.has("rfm"), shop.has("satisfaction")
    (True, False)
    >>> shop.customers["signup_ts"].tolist()   # no member table: the first purchase stands for sign-up
    [Timestamp('2025-01-05 00:00:00'), Timestamp('2025-02-01 00:00:00')]
    """

    source: str
    name: str
    purchases: pd.DataFrame
    as_of: pd.Timestamp
    tables: dict = field(default_factory=dict)
    notes: list = field(default_factory=list)

    def has(self, part: str) -> bool:
        """True when the data hold what the part of the analysis needs.

        >>> Company("cdnow", "CDNOW", pd.DataFrame(), pd.Timestamp("1998-07-01")).has("campaign")
        False
        """
        if part not in PARTS.index:
            raise CrmlabInputError(f"unknown part {part!r}; the parts are " + ", ".join(PARTS.index) + ".")
        return all(name in self.tables for name in PARTS.loc[part, "needs"])

    def missing(self, part: str) -> str:
        """One sentence (Markdown) for the notebook where a part cannot be done on these data.

        >>> print(Company("cdnow", "CDNOW", pd.DataFrame(), pd.Timestamp("1998-07-01")).missing("campaign"))
        *Not available in this dataset (本数据集中没有):* a campaign measured against a control group (营销活动实验) needs the table campaign_assignment (活动分组), and CDNOW has only purchases. Say in the report what data the company would need to collect for it.
        """
        if self.has(part):
            return f"*{PARTS.loc[part, 'what']}: available in this dataset.*"
        lacking = [name for name in PARTS.loc[part, "needs"] if name not in self.tables]
        tables = ", ".join(f"{name} ({_TABLE_ZH.get(name, name)})" for name in lacking)
        return (f"*Not available in this dataset (本数据集中没有):* {PARTS.loc[part, 'what']} needs the table"
                f"{'s' if len(lacking) > 1 else ''} {tables}, and {self.name} has only purchases. Say in the report "
                "what data the company would need to collect for it.")

    def parts(self) -> pd.DataFrame:
        """Which parts of the analysis these data allow: ``section``, ``section_zh``, ``what``, ``available``.

        >>> Company("cdnow", "CDNOW", pd.DataFrame(), pd.Timestamp("1998-07-01")).parts()["available"].tolist().count(True)
        7
        """
        table = PARTS[["section", "section_zh", "what"]].copy()
        table["available"] = [self.has(part) for part in PARTS.index]
        return table

    @property
    def customers(self) -> pd.DataFrame:
        """The customer (member) table; without one, every buyer with the first purchase as sign-up date.

        >>> log = pd.DataFrame({"customer_id": ["a", "a"], "order_ts": pd.to_datetime(["2025-03-01", "2025-01-01"])})
        >>> Company("export", "x", log, pd.Timestamp("2025-03-02")).customers
          customer_id  signup_ts
        0           a 2025-01-01
        """
        if "customers" in self.tables:
            return self.tables["customers"]
        first = self.purchases.groupby("customer_id", sort=True)["order_ts"].min()
        return pd.DataFrame({"customer_id": first.index, "signup_ts": first.to_numpy()})


def _as_of(purchases: pd.DataFrame) -> pd.Timestamp:
    return purchases["order_ts"].max().normalize() + pd.Timedelta(days=1)


def load_company(source: str = "sample", *, student_id=None, path=None, read_options: dict | None = None,
                 name: str | None = None, cdnow_kind: str = "sample", verbose: bool = False) -> Company:
    """Read one company's data for the capstone (读取企业数据).

    Parameters
    ----------
    source : {"sample", "variant", "cdnow", "export"}, default "sample"
        ``"sample"``: the sample company shipped with the kit (样例企业); ``"variant"``: a student's own
        variant of it, generated from ``student_id`` as the exercises do (cached after the first run);
        ``"cdnow"``: the real CDNOW transactions (only purchases); ``"export"``: the company's own
        transaction export at ``path`` (CSV or ``.xlsx``), read by
        :func:`crmlab.exports.read_transactions`.
    student_id : str, optional
        For ``"variant"``: the student id whose data to use.
    path : str or Path, optional
        For ``"export"``: the file.
    read_options : dict, optional
        For ``"export"``: keyword arguments of :func:`crmlab.exports.read_transactions`, e.g.
        ``{"dayfirst": True, "duplicates": "drop"}`` when its report asks for them.
    name : str, optional
        How the report names the company (default: by source).
    cdnow_kind : {"sample", "full"}, default "sample"
        For ``"cdnow"``: the 1/10 sample or the full panel (:func:`crmlab.datasets.cdnow.load_cdnow`).
    verbose : bool, default False
        Let the readers print what they set aside.

    Returns
    -------
    Company

    Examples
    --------
    >>> company = load_company("cdnow")
    >>> company.name, len(company.purchases), str(company.as_of.date())
    ('CDNOW', 6919, '1998-07-01')
    >>> company.has("rfm"), company.has("channels")
    (True, False)
    >>> load_company("sample").has("campaign")
    True
    """
    if source not in SOURCES:
        raise CrmlabInputError(f"source {source!r} is not one of " + ", ".join(map(repr, SOURCES)) + ".")
    if source in ("sample", "variant"):
        from crmlab.datasets import load_data
        from crmlab.transactions import purchases

        if source == "variant":
            if student_id is None or not str(student_id).strip():
                raise CrmlabInputError('source "variant" needs a student id: STUDENT_ID = "2025012345".')
            from crmlab.exercises.core import student_data

            data_dir = student_data(str(student_id).strip()).data_dir
            label = f"the sample company, variant of student {str(student_id).strip()}"
        else:
            from crmlab.datasets import DATA_DIR as data_dir

            label = "the sample company (样例企业)"
        tables = {table: load_data(table, data_dir=data_dir) for table in _RETAIL_TABLES}
        bought = purchases(tables["orders"], tables["order_lines"], verbose=verbose)
        notes = [f"Data: {label}, an omnichannel retailer; purchases from orders by "
                 "crmlab.transactions.purchases (cancelled and returned orders set aside)."]
        return Company(source, name or "the sample company", bought, _as_of(bought), tables, notes)
    if source == "cdnow":
        from crmlab.datasets.cdnow import load_cdnow

        log = load_cdnow(cdnow_kind)
        bought = pd.DataFrame({"customer_id": log["customer_id"].astype(str),
                               "order_id": log.index.astype(str), "order_ts": log["date"],
                               "revenue": log["amount"].astype(float)})
        notes = [f"Data: CDNOW ({cdnow_kind}), real transactions of an online CD retailer, 1997-1998, in US "
                 "dollars; every row of the file is one purchase."]
        return Company(source, name or "CDNOW", bought, _as_of(bought), {}, notes)
    if path is None:
        raise CrmlabInputError('source "export" needs the file: EXPORT_PATH = "our_orders.csv".')
    from crmlab.exports import read_transactions

    log = read_transactions(path, verbose=verbose, **(read_options or {}))
    bought = log[["customer_id", "order_ts", "revenue"]].copy()
    bought.insert(1, "order_id", log["order_id"].astype(str) if "order_id" in log else log.index.astype(str))
    bought = bought.sort_values(["customer_id", "order_ts"], kind="stable").reset_index(drop=True)
    notes = [f"Data: the export {Path(path).name}, read by crmlab.exports.read_transactions "
             f"({len(log.attrs.get('report', ()))} kinds of problems reported, none repaired silently)."]
    return Company(source, name or Path(path).stem, bought, _as_of(bought), {}, notes)


def overview(company: Company) -> pd.DataFrame:
    """The company in a few numbers, for the background section (企业概况).

    Returns
    -------
    DataFrame
        One row per measure: ``measure``, ``measure_zh``, ``value``.

    Examples
    --------
    >>> overview(load_company("cdnow")).set_index("measure").loc[["buyers", "purchases"], "value"].tolist()
    [2357, 6919]
    """
    p = company.purchases
    buyers = p["customer_id"].nunique()
    per_buyer = p.groupby("customer_id", sort=False).size()
    rows = [("first purchase", "首次购买日期", str(p["order_ts"].min().date())),
            ("last purchase", "最后购买日期", str(p["order_ts"].max().date())),
            ("analysis date (as_of)", "分析日期", str(company.as_of.date()))]
    if "customers" in company.tables:
        rows.append(("registered customers", "注册客户", len(company.tables["customers"])))
    rows += [("buyers", "购买客户", buyers), ("purchases", "购买次数", len(p)),
             ("revenue", "销售额", round(float(p["revenue"].sum()), 2)),
             ("revenue per buyer", "客均销售额", round(float(p["revenue"].sum()) / buyers, 2)),
             ("purchases per buyer", "客均购买次数", round(len(p) / buyers, 2)),
             ("buyers with one purchase only", "仅购买一次的客户", int((per_buyer == 1).sum()))]
    return pd.DataFrame(rows, columns=["measure", "measure_zh", "value"])


def monthly_revenue(company: Company) -> pd.DataFrame:
    """Revenue, purchases and buyers per calendar month (月度销售), for the background chart.

    Examples
    --------
    >>> monthly_revenue(load_company("cdnow"))["purchases"].head(3).tolist()
    [885, 1178, 1204]
    """
    p = company.purchases
    month = p["order_ts"].dt.to_period("M").rename("month")
    return p.groupby(month, sort=True).agg(revenue=("revenue", "sum"), purchases=("order_id", "size"),
                                          buyers=("customer_id", "nunique"))


# --- the report -----------------------------------------------------------------------------------------

_NO_ALT = 'alt="No description has been provided for this image"'
_FONT = Path(__file__).resolve().parent / "fonts" / "NotoSansSC-crmlab.otf"
_FONT_FAMILY = "crmlab Noto Sans SC"
_STACK = ('system-ui, -apple-system, "Segoe UI", "PingFang SC", "Hiragino Sans GB", "Microsoft YaHei", '
          f'"Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Micro Hei", "{_FONT_FAMILY}", sans-serif')


def _cell_name(number: int, cell) -> str:
    first = next((line.strip() for line in cell.get("source", "").splitlines() if line.strip()), "")
    return f"cell {number} ({first[:60]!r})" if first else f"cell {number}"


def report_problems(notebook) -> list[str]:
    """What keeps a notebook from being a clean report: code not run, errors, warnings, other stderr.

    Parameters
    ----------
    notebook : nbformat.NotebookNode

    Returns
    -------
    list of str
        One sentence per problem, naming the cell (numbered from 1 over all cells, as JupyterLab shows
        them top to bottom) and its first line; empty when the notebook can be exported.

    Examples
    --------
    >>> import nbformat
    >>> nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# 报告"),
    ...     nbformat.v4.new_code_cell("1 / 0", execution_count=1, outputs=[nbformat.v4.new_output(
    ...         "error", ename="ZeroDivisionError", evalue="division by zero", traceback=[])])])
    >>> report_problems(nb)
    ["cell 2 ('1 / 0') has an error output (ZeroDivisionError: division by zero)"]
    """
    problems = []
    for number, cell in enumerate(notebook.cells, start=1):
        if cell.cell_type != "code":
            continue
        where = _cell_name(number, cell)
        if cell.get("source", "").strip() and cell.get("execution_count") is None:
            problems.append(f"{where} has not been run")
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                problems.append(f"{where} has an error output ({out.get('ename')}: {out.get('evalue', '')[:80]})")
            elif out.get("output_type") == "stream" and out.get("name") == "stderr":
                text = "".join(out.get("text", "")).strip().splitlines() or [""]
                kind = "a warning" if "warning" in text[0].lower() else "output on stderr"
                problems.append(f"{where} has {kind} ({text[0][:80]})")
    return problems


def _font_css() -> str:
    data = base64.b64encode(_FONT.read_bytes()).decode("ascii")
    return ("<style id=\"crmlab-report-font\">\n"
            f"@font-face {{ font-family: \"{_FONT_FAMILY}\"; src: url(data:font/otf;base64,{data}) "
            "format(\"opentype\"); font-display: swap; }\n"
            f":root {{ --jp-ui-font-family: {_STACK}; --jp-content-font-family: {_STACK}; }}\n"
            f"body, .jp-RenderedHTMLCommon, .jp-RenderedMarkdown, .jp-OutputArea-output, table {{ font-family: {_STACK}; }}\n"
            "</style>\n")


def _figure_descriptions(nb) -> list[str]:
    # Alternative text for each figure, in page order (for screen readers): its number and the
    # section heading above it. nbconvert's lab template has no alt text of its own.
    heading, found = "", []
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            heading = next((line.lstrip("#").strip() for line in cell.source.splitlines()
                            if line.startswith("#")), heading)
            continue
        for out in cell.get("outputs", []):
            if {"image/png", "image/jpeg"} & set(out.get("data", {})):
                found.append(f"Figure {len(found) + 1} (图 {len(found) + 1}): {heading}")
    return found


def export_report(notebook, out=".", *, title: str | None = None) -> Path:
    """Export a finished capstone notebook as one HTML report without code (导出报告).

    The report keeps the Markdown, the tables and the figures (embedded, so the single file can be
    mailed or uploaded) and leaves out every code cell. The kit's Chinese font
    (``crmlab/fonts/NotoSansSC-crmlab.otf``, the characters of the kit) is embedded as a web font
    after the reader's own Chinese fonts, so the report reads on a computer without one; characters
    of the group's own text outside the kit's set need a Chinese font on the reader's computer.

    Parameters
    ----------
    notebook : str or Path
        The executed notebook (``.ipynb``).
    out : str or Path, default "."
        The folder to write ``<notebook name>.html`` into (made if missing).
    title : str, optional
        The page title; default the notebook's first heading.

    Returns
    -------
    Path
        The HTML file.

    Raises
    ------
    CrmlabInputError
        When the notebook has a cell not run, an error output or any output on stderr (warnings
        included): the message names each cell. Fix them, run the notebook again, then export.

    Examples
    --------
    >>> import nbformat, tempfile
    >>> nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# 客户关系管理分析"),
    ...     nbformat.v4.new_code_cell("secret = 42", execution_count=1)])
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = Path(folder) / "report.ipynb"
    ...     nbformat.write(nb, path)
    ...     page = export_report(path, Path(folder) / "out").read_text(encoding="utf-8")
    >>> "客户关系管理分析" in page, "secret" in page, "font/otf;base64," in page
    (True, False, True)
    """
    import nbformat
    from nbconvert import HTMLExporter

    path = Path(notebook)
    if not path.is_file():
        raise CrmlabInputError(f"{path} is not a file: give the notebook (.ipynb) to export.")
    nb = nbformat.read(path, as_version=4)
    problems = report_problems(nb)
    if problems:
        raise CrmlabInputError(f"{path.name} cannot be exported as a report yet ({len(problems)} problem"
                               f"{'s' if len(problems) > 1 else ''}); fix them and run the notebook again "
                               "(Run > Restart Kernel and Run All Cells):\n- " + "\n- ".join(problems))
    if title is None:
        title = next((line.lstrip("#").strip() for cell in nb.cells if cell.cell_type == "markdown"
                      for line in cell.source.splitlines() if line.startswith("#")), path.stem)
    nb.metadata["title"] = title
    quiet = logging.getLogger("crmlab.capstone.report")  # nbconvert's notice about alt text, added below
    quiet.setLevel(logging.ERROR)
    exporter = HTMLExporter(template_name="lab", exclude_input=True, exclude_input_prompt=True,
                            exclude_output_prompt=True, embed_images=True, log=quiet)
    body, _ = exporter.from_notebook_node(nb)
    for text in _figure_descriptions(nb):
        body = body.replace(_NO_ALT, f'alt="{html.escape(text)}"', 1)
    body = body.replace("</head>", _font_css() + "</head>", 1)
    # nbconvert's page loads require.js and MathJax from a CDN; a report has no widgets, and reads offline.
    body = re.sub(r"<script[^>]*\bsrc=[\"']?(?:https?:)?//[^>]*>\s*</script>", "", body)
    target = Path(out)
    target.mkdir(parents=True, exist_ok=True)
    page = target / f"{path.stem}.html"
    page.write_text(body, encoding="utf-8")
    return page
