"""The capstone (作业一) notebook runs on every kind of company data, and its report is clean.

The notebook ``notebooks/13_capstone_assignment1.ipynb`` is executed from its settings cell (tagged
``parameters``) with each data source: the sample company, a student's variant, CDNOW (purchases only:
the parts that need a contact log, campaigns, complaints, order lines or a survey must say that they
are not available instead of failing) and a company's own export (the messy example file). Each run
must be free of errors and warnings, and ``crmlab course report`` must turn it into one HTML file
without code, with Chinese text and the kit's font inside. The command must refuse a notebook with an
error or warning output and name the cell.
"""
import json
import re

import nbformat
import pytest
from nbclient import NotebookClient

from _scripts import ROOT
from crmlab.capstone import Company, export_report, report_problems
from crmlab.cli import main

NOTEBOOK = ROOT / "notebooks" / "13_capstone_assignment1.ipynb"
SETTING = re.compile(r'^SOURCE = "sample"', re.MULTILINE)
CJK = re.compile(r"[\u4e00-\u9fff]")
NOT_AVAILABLE = "Not available in this dataset (本数据集中没有)"


def _settings_cell(nb):
    tagged = [cell for cell in nb.cells if "parameters" in cell.metadata.get("tags", [])]
    assert len(tagged) == 1, "the capstone notebook needs exactly one settings cell tagged 'parameters'"
    return tagged[0]


def _run(source: str, folder):
    """The capstone notebook executed with SOURCE = source, saved in folder."""
    nb = nbformat.read(NOTEBOOK, as_version=4)
    cell = _settings_cell(nb)
    assert SETTING.search(cell.source), "the settings cell should start from SOURCE = \"sample\""
    cell.source = SETTING.sub(f'SOURCE = "{source}"', cell.source)
    NotebookClient(nb, timeout=600, record_timing=False,
                   resources={"metadata": {"path": str(NOTEBOOK.parent)}}).execute()
    path = folder / f"capstone_{source}.ipynb"
    nbformat.write(nb, path)
    return nb, path


def _text(nb) -> str:
    """Every text and Markdown output of the notebook."""
    parts = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            parts.append("".join(out.get("text", "")))
            for kind in ("text/plain", "text/markdown"):
                parts.append("".join(out.get("data", {}).get(kind, "")))
    return "\n".join(parts)


@pytest.mark.notebooks
@pytest.mark.parametrize("source", ["sample", "variant", "cdnow", "export"])
def test_the_capstone_runs_on_each_source_and_exports_a_clean_report(source, tmp_path, monkeypatch):
    monkeypatch.setenv("CRMLAB_CACHE_DIR", str(tmp_path / "cache"))  # the variant is generated afresh
    nb, path = _run(source, tmp_path)
    assert report_problems(nb) == [], f"{source}: {report_problems(nb)}"
    text = _text(nb)
    if source in ("cdnow", "export"):
        # purchases only: these parts say what is missing instead of failing
        assert text.count(NOT_AVAILABLE) == 5, text
        assert "data to collect" in text
    else:
        assert NOT_AVAILABLE not in text
    if source == "variant":
        assert "variant of student 2025012345" in text
        sample = nbformat.read(NOTEBOOK, as_version=4)
        assert _text(sample) != text, "the variant gave the sample company's results"

    page = export_report(path, tmp_path / "report").read_text(encoding="utf-8")
    assert 'class="jp-CodeMirrorEditor' not in page and 'class="highlight' not in page, "code in the report"
    assert "load_company(" not in page and "crmlab.use_theme" not in page, "code in the report"
    assert "jp-RenderedImage" in page and "data:image/png;base64," in page, "figures not embedded"
    assert "Traceback" not in page and "Warning" not in page
    assert "客户区分" in page and "小组分析" in page
    assert "@font-face" in page and "font/otf;base64," in page, "the Chinese font is not embedded"
    fetched = re.findall(r"""<(?:script|link|img)[^>]*(?:src|href)=["']?(?:https?:)?//[^>]*>""", page)
    assert fetched == [], "the report loads from the internet"


def test_the_committed_notebook_is_clean_and_names_every_section():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    assert report_problems(nb) == []
    prose = "\n".join(cell.source for cell in nb.cells if cell.cell_type == "markdown")
    for heading in ["企业背景", "客户识别", "客户区分", "客户互动", "客户个性化", "客户满意与忠诚", "建议"]:
        assert re.search(rf"^## \d\. .*{heading}", prose, re.MULTILINE), heading
    prompts = [cell for cell in nb.cells if cell.cell_type == "markdown"
               and cell.source.startswith("**Your analysis (小组分析):**")]
    assert len(prompts) == 7, "one prompt for the group's own writing per section"


def _notebook_with(output, tmp_path):
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# 某企业的客户关系管理分析"),
        nbformat.v4.new_code_cell("rfm = rfm_table(bought)\nrfm", execution_count=1, outputs=[output])])
    path = tmp_path / "group3.ipynb"
    nbformat.write(nb, path)
    return path


@pytest.mark.parametrize("output, says", [
    (nbformat.v4.new_output("error", ename="KeyError", evalue="'monetary'", traceback=[]), "an error output (KeyError"),
    (nbformat.v4.new_output("stream", name="stderr", text="FutureWarning: the default will change\n"), "a warning"),
    (nbformat.v4.new_output("stream", name="stderr", text="something went to stderr\n"), "output on stderr")])
def test_the_report_command_refuses_a_notebook_with_an_error_or_warning(output, says, tmp_path, capsys):
    path = _notebook_with(output, tmp_path)
    assert main(["course", "report", str(path), "--out", str(tmp_path / "report")]) == 2
    message = capsys.readouterr().err
    assert "group3.ipynb cannot be exported" in message
    assert "cell 2 ('rfm = rfm_table(bought)')" in message and says in message
    assert not (tmp_path / "report").exists()


def test_the_report_command_writes_html_without_code_with_chinese_and_the_font(tmp_path, capsys):
    ok = nbformat.v4.new_output("display_data", data={"text/markdown": "重要价值客户 hold **50%** of revenue"})
    path = _notebook_with(ok, tmp_path)
    assert main(["course", "report", str(path), "--out", str(tmp_path / "report")]) == 0
    page = (tmp_path / "report" / "group3.html").read_text(encoding="utf-8")
    assert capsys.readouterr().out.strip().endswith("group3.html")
    assert "rfm_table" not in page, "code in the report"
    assert "重要价值客户" in page and "<title>某企业的客户关系管理分析</title>" in page
    assert len(CJK.findall(page)) >= 10
    font = re.search(r'@font-face \{ font-family: "([^"]+)"; src: url\(data:font/otf;base64,([A-Za-z0-9+/=]{1000,})\)', page)
    assert font, "the kit's Chinese font is not embedded as a base64 @font-face"
    stack = re.search(r"body, [^{]*\{ font-family: ([^;]+);", page).group(1)
    assert stack.index("Microsoft YaHei") < stack.index(font.group(1)), "the system's Chinese fonts come first"


def test_the_report_command_refuses_a_notebook_not_run(tmp_path, capsys):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("company = load_company()")])
    path = tmp_path / "fresh.ipynb"
    nbformat.write(nb, path)
    assert main(["course", "report", str(path)]) == 2
    assert "cell 1 ('company = load_company()') has not been run" in capsys.readouterr().err


def test_a_company_with_purchases_only_says_what_is_missing():
    shop = Company("cdnow", "CDNOW", None, None)
    parts = shop.parts()
    assert parts.loc[~parts["available"]].index.tolist() == ["channels", "campaign", "complaints", "needs",
                                                             "satisfaction"]
    assert "survey (满意度调查)" in shop.missing("satisfaction")
    assert json.dumps(shop.missing("rfm"), ensure_ascii=False).count("available") == 1
