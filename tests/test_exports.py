"""crmlab.exports: a company's own export read as a student meets it (issue 15).

Every test writes its own small file (GBK and BOM bytes, .xlsx written with xlsxwriter) and
asserts the exact outcome: the parsed values, or the error naming the column, the lines and
the fix; and the report's counts adding up to the lines of the file.
"""
import datetime
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from crmlab.exports import read_contacts, read_customers, read_transactions
from crmlab.validation import CrmlabInputError, amount_column, number_column, parse_datetimes

ROOT = Path(__file__).resolve().parents[1]


def _write(tmp_path, text, *, encoding="utf-8", name="export.csv"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding) if isinstance(text, str) else text)
    return path


def _report(frame):
    return frame.attrs["report"].set_index("problem")


def _accounted(frame):
    """Rows kept + rows set aside + the header = every line of the file."""
    table = frame.attrs["report"]
    aside = table.loc[table["action"].str.startswith(("set aside", "dropped")), "count"].sum()
    return len(frame) + aside + 1


# ---------------------------------------------------------------- encodings, separators, header

def test_gbk_file_with_chinese_headers_is_read_and_the_mapping_is_said(tmp_path, capsys):
    text = "客户编号,订单日期,实付金额\nC001,2024-01-05 10:30:00,12.5\nC002,2024/1/6,8\n"
    log = read_transactions(_write(tmp_path, text, encoding="gbk"))
    assert log.attrs["encoding"] == "gb18030" and log.attrs["separator"] == ","
    assert log.attrs["columns"] == {"客户编号": "customer_id", "订单日期": "order_ts", "实付金额": "revenue"}
    assert log["customer_id"].tolist() == ["C001", "C002"]
    assert log["order_ts"].tolist() == [pd.Timestamp("2024-01-05 10:30"), pd.Timestamp("2024-01-06")]
    assert log["revenue"].tolist() == [12.5, 8.0] and log["revenue"].dtype == float
    assert log.index.tolist() == [2, 3] and log.index.name == "line"
    assert capsys.readouterr().out.startswith("read_transactions: export.csv (gb18030, ','): 3 lines, header on line 1")


def test_utf8_bom_semicolons_and_member_id_header(tmp_path):
    path = _write(tmp_path, "会员ID;下单时间;金额\r\nM1;2024-03-01;100\r\n", encoding="utf-8-sig")
    log = read_transactions(path, verbose=False)
    assert (log.attrs["encoding"], log.attrs["separator"]) == ("utf-8-sig", ";")
    assert log.iloc[0].tolist() == ["M1", pd.Timestamp("2024-03-01"), 100.0]


def test_tab_separated_contacts_and_a_customer_list(tmp_path):
    calls = read_contacts(_write(tmp_path, "客户编号\t联系时间\t渠道\nC1\t2024-02-03 10:00\t电话\n"), verbose=False)
    assert calls.attrs["separator"] == "\t"
    assert calls.iloc[0].tolist() == ["C1", pd.Timestamp("2024-02-03 10:00"), "电话"]
    members = read_customers(_write(tmp_path, "会员编号,姓名,城市,注册日期\nM1,张三,上海,\nM1,张三,上海,2023-01-02\n",
                                    name="m.csv"), verbose=False)
    assert members["signup_ts"].isna().tolist() == [True, False]     # an optional date may be blank
    assert _report(members).loc["customer_id repeated", "lines"] == [2, 3]


@pytest.mark.parametrize("content", [b"", b"\r\n  \n", b"\xef\xbb\xbf"])
def test_an_empty_file_is_refused_with_a_plain_message(tmp_path, content):
    with pytest.raises(CrmlabInputError, match=r"export.csv: the file is empty .* header line"):
        read_transactions(_write(tmp_path, content))


def test_a_file_that_is_neither_utf8_nor_gbk(tmp_path):
    with pytest.raises(CrmlabInputError, match="neither UTF-8 nor GBK"):
        read_transactions(_write(tmp_path, b"customer_id,order_date,amount\n\xff\xfe\xff,2024-01-01,1\n"))


def test_title_lines_above_the_header_are_set_aside_and_counted(tmp_path):
    text = "订单导出 2024年\n\n客户编号,订单日期,金额\nC1,2024-01-05,1\nC2,2024-01-06,2\n"
    log = read_transactions(_write(tmp_path, text), verbose=False)
    assert log.attrs["header_line"] == 3 and log.index.tolist() == [4, 5]
    assert _report(log).loc["title lines before the header", "lines"] == [1, 2]
    assert log.attrs["lines"] == 5 and _accounted(log) == 5   # the title lines are counted as set aside


def test_no_header_and_missing_columns_are_explained(tmp_path):
    with pytest.raises(CrmlabInputError, match=r"no header line .* columns=\{'header in the file'"):
        read_transactions(_write(tmp_path, "C1,2024-01-05,1\nC2,2024-01-06,2\n"))
    with pytest.raises(CrmlabInputError, match=r"found no column for \['revenue'\] .* columns=\{'客户编号': 'revenue'\}"):
        read_transactions(_write(tmp_path, "客户编号,订单日期,备注\nC1,2024-01-05,x\n"))


def test_columns_argument_overrides_and_settles_a_clash(tmp_path):
    path = _write(tmp_path, "客户编号,订单日期,订单金额,实付金额\nC1,2024-01-05,100,90\n")
    with pytest.raises(CrmlabInputError, match=r"\['订单金额', '实付金额'\] could all be 'revenue'.*columns=\{'实付金额': 'revenue'\}"):
        read_transactions(path)
    log = read_transactions(path, columns={"实付金额": "revenue"}, verbose=False)
    assert log.columns.tolist() == ["customer_id", "order_ts", "revenue", "订单金额"]
    assert log.iloc[0].tolist() == ["C1", pd.Timestamp("2024-01-05"), 90.0, "100"]
    own = read_transactions(_write(tmp_path, "who,when,paid\nC1,2024-01-05,3\n", name="own.csv"),
                            columns={"who": "customer_id", "when": "order_ts", "paid": "revenue"}, verbose=False)
    assert own.attrs["columns"] == {"who": "customer_id", "when": "order_ts", "paid": "revenue"}


# ---------------------------------------------------------------- amounts and dates

def test_amounts_with_currency_signs_separators_and_full_width_digits(tmp_path):
    text = ("customer_id,order_date,amount\nC1,2024-01-05,\"¥1,234.50\"\nC2,2024-01-05,￥８８\n"
            "C3,2024-01-05,12元\nC4,2024-01-05,RMB 3\nC5,2024-01-05,7\n")
    log = read_transactions(_write(tmp_path, text), verbose=False)
    assert log["revenue"].tolist() == [1234.5, 88.0, 12.0, 3.0, 7.0]
    row = _report(log).loc["amounts with currency signs or separators"]
    assert row["lines"] == [2, 3, 4, 5] and row["example"] == "'¥1,234.50' -> 1234.5"


def test_amounts_that_are_not_numbers_are_refused_naming_lines_and_fix(tmp_path):
    text = "customer_id,order_date,amount\nC1,2024-01-05,1\nC2,2024-01-05,12,50\nC3,2024-01-05,abc\n"
    with pytest.raises(CrmlabInputError) as error:
        read_transactions(_write(tmp_path, text), verbose=False)
    # line 3 has a field too many (12,50 unquoted) and is set aside; line 4 is refused
    assert "column 'revenue': values that are not amounts on line 4, e.g. 'abc'. Fix: write amounts as numbers" \
        in str(error.value)


def test_chinese_full_width_and_excel_serial_dates(tmp_path):
    text = "客户编号,日期,金额\nC1,2024年1月5日,1\nC2,２０２４-０１-０６,1\nC3,2024年1月7日 14:30,1\n"
    log = read_transactions(_write(tmp_path, text), verbose=False)
    assert log["order_ts"].tolist() == [pd.Timestamp("2024-01-05"), pd.Timestamp("2024-01-06"),
                                        pd.Timestamp("2024-01-07 14:30")]
    assert _report(log).loc["Chinese dates (2024年1月5日)", "lines"] == [2, 4]
    serial = read_transactions(_write(tmp_path, "客户编号,日期,金额\nC1,45296,1\nC2,45297.5,1\n", name="s.csv"),
                               verbose=False)
    assert serial["order_ts"].tolist() == [pd.Timestamp("2024-01-05"), pd.Timestamp("2024-01-06 12:00")]
    with pytest.raises(CrmlabInputError, match=r"'order_ts': values that are not dates on line 3, e.g. '45297'"):
        read_transactions(_write(tmp_path, "客户编号,日期,金额\nC1,2024-01-05,1\nC2,45297,1\n", name="m.csv"))


def test_day_month_ambiguous_dates_are_refused_naming_the_lines(tmp_path):
    text = "customer_id,order_date,amount\nC1,05-01-2024,1\nC2,2024-01-09,1\nC3,03/02/2024,1\nC4,07-07-2024,1\n"
    path = _write(tmp_path, text)
    with pytest.raises(CrmlabInputError) as error:
        read_transactions(path)
    message = str(error.value)
    assert "column 'order_ts': dates that can be read day first or month first" in message
    assert "on lines 2, 4, e.g. '05-01-2024'" in message and "pass dayfirst=True" in message
    assert "time-zone" not in message
    log = read_transactions(path, dayfirst=True, verbose=False)
    assert log["order_ts"].dt.strftime("%Y-%m-%d").tolist() == ["2024-01-05", "2024-01-09", "2024-02-03", "2024-07-07"]
    us = read_transactions(path, dayfirst=False, verbose=False)
    assert us["order_ts"].dt.strftime("%Y-%m-%d").tolist() == ["2024-05-01", "2024-01-09", "2024-03-02", "2024-07-07"]


def test_a_day_above_12_settles_the_order_for_the_column(tmp_path):
    log = read_transactions(_write(tmp_path, "customer_id,date,amount\nC1,05/01/2024,1\nC2,25/01/2024 10:30,1\n"),
                            verbose=False)
    assert log["order_ts"].tolist() == [pd.Timestamp("2024-01-05"), pd.Timestamp("2024-01-25 10:30")]
    assert _report(log).loc["dates read day first", "action"] == "parsed (the column has a day above 12)"
    with pytest.raises(CrmlabInputError, match="dates with the day first and dates with the month first on lines 2, 3"):
        read_transactions(_write(tmp_path, "customer_id,date,amount\nC1,25/01/2024,1\nC2,01/25/2024,1\n", name="b.csv"))


def test_time_zone_hint_only_for_real_offsets(tmp_path):
    text = "customer_id,order_date,amount\nC1,2024-01-05 10:00:00+08:00,1\nC2,2024-01-05,1\n"
    with pytest.raises(CrmlabInputError, match=r"times with a time-zone offset on line 2.*remove the offsets"):
        read_transactions(_write(tmp_path, text))


# ---------------------------------------------------------------- ids

def test_ids_differing_by_spaces_case_or_width_are_one_customer_and_reported(tmp_path):
    text = "customer_id,order_date,amount\nC001,2024-01-05,1\n c001 ,2024-01-06,2\nＣ００１,2024-01-07,3\nC002,2024-01-07,3\n"
    path = _write(tmp_path, text)
    log = read_transactions(path, verbose=False)
    assert log["customer_id"].tolist() == ["C001", "C001", "C001", "C002"]
    row = _report(log).loc["IDs normalised (spaces, case, full-width)"]
    assert row["lines"] == [3, 4] and row["count"] == 2
    assert row["example"] == "' c001 ' -> 'C001', 'Ｃ００１' -> 'C001'"
    kept = read_transactions(path, normalise_ids=False, verbose=False)
    assert kept["customer_id"].tolist() == ["C001", "c001", "Ｃ００１", "C002"]


def test_ids_in_scientific_notation_are_refused_with_the_fix(tmp_path):
    text = "customer_id,order_date,amount\n123456789012345678,2024-01-05,1\n1.23457E+17,2024-01-06,2\n1.23457E+17,2024-01-07,3\n"
    path = _write(tmp_path, text)
    with pytest.raises(CrmlabInputError) as error:
        read_transactions(path)
    message = str(error.value)
    assert "column 'customer_id': IDs in scientific notation" in message
    assert "on lines 3, 4, e.g. '1.23457E+17'" in message
    assert "format the column as text before saving" in message
    log = read_transactions(path, mangled_ids="set_aside", verbose=False)
    assert log.index.tolist() == [2] and _report(log).loc["IDs in scientific notation (Excel-mangled)", "count"] == 2


def test_lost_leading_zeros_are_refused_and_differing_widths_noted(tmp_path):
    text = "customer_id,order_date,amount\n0012345,2024-01-05,1\n0012346,2024-01-05,1\n12345,2024-01-06,1\n"
    with pytest.raises(CrmlabInputError, match=r"IDs shorter than the usual 7 digits while other IDs start with 0 .*"
                                               r"on line 4, e.g. '12345'.*format the column as text before saving"):
        read_transactions(_write(tmp_path, text))
    numbered = "customer_id,order_date,amount\n" + "".join(f"{n},2024-01-05,1\n" for n in [7, *range(100, 109)])
    log = read_transactions(_write(tmp_path, numbered, name="n.csv"), verbose=False)
    assert len(log) == 10 and _report(log).loc["IDs shorter than the usual 3 digits", "lines"] == [2]


# ---------------------------------------------------------------- lines: duplicates, fields, blanks

def test_exact_duplicate_lines_are_flagged_kept_by_default_dropped_on_request(tmp_path):
    text = ("order_id,customer_id,order_date,amount\nO1,C1,2024-01-05,10\nO2,C1,2024-01-05,10\n"
            "O1,C1,2024-01-05,10\nO2,C1,2024-01-05,10\n")
    path = _write(tmp_path, text)
    kept = read_transactions(path, verbose=False)
    assert len(kept) == 4
    assert _report(kept).loc["duplicate lines", "lines"] == [4, 5]
    assert _report(kept).loc["duplicate lines", "action"].startswith("kept (pass duplicates='drop'")
    dropped = read_transactions(path, duplicates="drop", verbose=False)
    assert dropped["order_id"].tolist() == ["O1", "O2"] and dropped.index.tolist() == [2, 3]
    assert _accounted(dropped) == 5
    with pytest.raises(CrmlabInputError, match=r"duplicates='dop' is not one of \['keep', 'drop'\]"):
        read_transactions(path, duplicates="dop")


def test_lines_with_the_wrong_number_of_fields_are_named(tmp_path):
    text = ("customer_id,order_date,amount\nC1,2024-01-05,12\nC2,2024-01-05,¥1,234.50\nC3,2024-01-06\n\n"
            "C4,2024-01-07,3\n,,\n")
    log = read_transactions(_write(tmp_path, text), verbose=False)
    report = _report(log)
    assert log.index.tolist() == [2, 6]
    assert report.loc["lines with more fields than the header", "lines"] == [3]
    assert "quote it or save without thousands separators" in report.loc["lines with more fields than the header", "action"]
    assert report.loc["lines with fewer fields than the header", "lines"] == [4]
    assert report.loc["empty lines", "lines"] == [5, 7]
    assert log.attrs["lines"] == 7 and _accounted(log) == 7


def test_rows_without_a_value_and_negative_amounts_are_set_aside_by_reason(tmp_path):
    text = ("客户编号,订单日期,金额\nC1,2024-01-05,1\n,2024-01-05,1\nC2,,1\nC3,2024-01-05,\nC4,2024-01-05,-5\n"
            "C5,2024-01-05,2\n")
    log = read_transactions(_write(tmp_path, text), verbose=False)
    report = _report(log)
    assert log.index.tolist() == [2, 7]
    assert [report.loc[p, "lines"] for p in ["no customer_id", "no order_ts", "no revenue", "negative revenue (refunds?)"]] \
        == [[3], [4], [5], [6]]
    assert _accounted(log) == log.attrs["lines"] == 7


def test_quoted_fields_with_separators_and_newlines_keep_the_line_numbers(tmp_path):
    text = 'customer_id,order_date,amount,note\nC1,2024-01-05,"1,000","two\nlines"\nC2,2024-01-06,5,x\nC3,2024-01-06\n'
    log = read_transactions(_write(tmp_path, text), verbose=False)
    assert log.index.tolist() == [2, 4] and log["revenue"].tolist() == [1000.0, 5.0]
    assert _report(log).loc["lines with fewer fields than the header", "lines"] == [5]


# ---------------------------------------------------------------- Excel

def test_excel_file_with_title_rows_dates_numbers_and_a_mangled_id(tmp_path):
    import xlsxwriter

    path = tmp_path / "orders.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("订单")
    day = book.add_format({"num_format": "yyyy-mm-dd"})
    sheet.write(0, 0, "2024年订单导出")
    for col, head in enumerate(["会员编号", "下单时间", "实付金额"]):
        sheet.write(2, col, head)
    sheet.write(3, 0, 20001)                                   # a number cell: read as '20001'
    sheet.write_datetime(3, 1, datetime.datetime(2024, 1, 5, 9, 30), day)
    sheet.write(3, 2, 1234.5)
    sheet.write(4, 0, " m7 ")
    sheet.write(4, 1, "2024年1月6日")
    sheet.write(4, 2, "¥88")
    book.close()
    log = read_transactions(path, verbose=False)
    assert log.attrs["encoding"] == "xlsx" and log.attrs["sheet"] == "订单" and log.attrs["header_line"] == 3
    assert log.index.tolist() == [4, 5]
    assert log.iloc[0].tolist() == ["20001", pd.Timestamp("2024-01-05 09:30"), 1234.5]
    assert log.iloc[1].tolist() == ["M7", pd.Timestamp("2024-01-06"), 88.0]
    assert _report(log).loc["title lines before the header", "lines"] == [1, 2]

    mangled = tmp_path / "long.xlsx"
    book = xlsxwriter.Workbook(str(mangled))
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, ["customer_id", "order_date", "amount"])
    sheet.write_row(1, 0, [123456789012345678, "2024-01-05", 1])
    book.close()
    with pytest.raises(CrmlabInputError, match=r"IDs in scientific notation .* on line 2, e.g. '1.23457E\+17'"):
        read_transactions(mangled)


def test_an_old_xls_file_is_refused_with_the_fix(tmp_path):
    with pytest.raises(CrmlabInputError, match=r"old Excel .xls file.*save it as .xlsx"):
        read_transactions(_write(tmp_path, b"\xd0\xcf\x11\xe0rest", name="old.xls"))


# ---------------------------------------------------------------- into the kit's analyses

@pytest.mark.filterwarnings("ignore:the Hessian")  # 60 made-up customers: the fit, not its precision, is tested
def test_a_messy_export_goes_through_rfm_summary_and_bgnbd(tmp_path):
    from crmlab.clv import BGNBD, summary
    from crmlab.rfm import rfm_table

    rng = np.random.default_rng(3)
    n = 400
    ids = rng.integers(1, 61, n)
    days = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 360, n), unit="D")
    lines = [f"{' ' if i % 7 == 0 else ''}c{c:03d},{d:%Y年%m月%d日},\"￥{a:,.2f}\"" for i, (c, d, a) in
             enumerate(zip(ids, days, rng.gamma(2, 600, n)))]
    path = _write(tmp_path, "会员ID,订单日期,实付金额\n" + "\n".join(lines + lines[:5]) + "\n", encoding="gbk")
    log = read_transactions(path, duplicates="drop", verbose=False)
    assert len(log) == n and _report(log).loc["duplicate lines", "lines"] == list(range(n + 2, n + 7))
    rfm = rfm_table(log, as_of="2025-01-01", verbose=False)
    assert rfm["frequency"].sum() == n and rfm.index.str.fullmatch(r"C\d{3}").all()
    model = BGNBD()
    model.fit(summary(log, calibration_end="2024-09-30", verbose=False))
    assert np.isfinite(model.params_.to_numpy()).all()


# ---------------------------------------------------------------- the kit's own messages (validation.py)

def test_validation_messages_name_positions_not_index_labels_and_print_plain_values():
    shifted = pd.Series(["1", "234.50"], index=pd.Index(["C001", "C002"]))
    with pytest.raises(CrmlabInputError) as error:
        parse_datetimes(shifted, column="order_date", table="transactions")
    message = str(error.value)
    assert "in rows 0, 1 (counted from 0; index labels 'C001', 'C002'; if pd.read_csv made the first column" in message
    assert "time-zone" not in message
    with pytest.raises(CrmlabInputError, match=r"not dates in row 1, e\.g\. '05-01-2024'\. Fix: write dates as YYYY-MM-DD"):
        parse_datetimes(["2024-01-01", "05-01-2024"], column="order_ts")
    with pytest.raises(CrmlabInputError, match=r"time-zone offsets"):
        parse_datetimes(["2024-01-01", "2024-01-01 10:00+08:00"], column="order_ts")
    with pytest.raises(CrmlabInputError, match=r"in row 1, e\.g\. a missing value\. Fill"):
        number_column(pd.Series([1.0, np.nan]), column="margin")
    with pytest.raises(CrmlabInputError, match=r"must be >= 0; it is not in line 9 of the file, e\.g\. -3\.0\."):
        amount_column(pd.Series([1.0, -3.0], index=pd.Index([8, 9], name="line")), column="revenue")


# ---------------------------------------------------------------- the example file of the kit

def test_the_example_export_is_regenerated_byte_for_byte(tmp_path):
    shipped = ROOT / "datasets" / "examples" / "messy_orders.csv"
    subprocess.run([sys.executable, str(ROOT / "tools" / "make_messy_export.py"), "--out", str(tmp_path)],
                   check=True, capture_output=True)
    assert (tmp_path / "messy_orders.csv").read_bytes() == shipped.read_bytes()
    assert shipped.stat().st_size < 100_000


def test_the_example_export_needs_its_fixes_and_accounts_for_every_line():
    path = ROOT / "datasets" / "examples" / "messy_orders.csv"
    with pytest.raises(CrmlabInputError) as error:
        read_transactions(path)
    message = str(error.value)
    assert "IDs in scientific notation" in message and "dates that can be read day first or month first" in message
    log = read_transactions(path, dayfirst=True, mangled_ids="set_aside", duplicates="drop", verbose=False)
    assert log.attrs["encoding"] == "gb18030" and _accounted(log) == log.attrs["lines"]
    report = _report(log)
    assert {"duplicate lines", "IDs normalised (spaces, case, full-width)", "amounts with currency signs or separators",
            "IDs in scientific notation (Excel-mangled)", "lines with more fields than the header"} <= set(report.index)


def test_columns_without_a_header_or_with_a_repeated_one_are_kept(tmp_path):
    import xlsxwriter

    path = tmp_path / "extra.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, ["customer_id", "order_date", "amount"])
    sheet.write_row(1, 0, ["C1", "2024-01-05", 3, "note"])
    book.close()
    log = read_transactions(path, verbose=False)
    assert log.columns.tolist() == ["customer_id", "order_ts", "revenue", "column_4"]
    assert log["column_4"].tolist() == ["note"]
    twice = read_transactions(_write(tmp_path, "客户编号,日期,金额,备注,备注\nC1,2024-01-05,1,a,b\n"), verbose=False)
    assert twice.columns.tolist() == ["customer_id", "order_ts", "revenue", "备注", "备注_5"]
    assert twice.iloc[0, 3:].tolist() == ["a", "b"]


def test_a_header_without_data_and_english_variants(tmp_path):
    with pytest.raises(CrmlabInputError, match=r"header \(line 1\) but no data lines"):
        read_transactions(_write(tmp_path, "customer_id,order_date,amount\n"))
    log = read_transactions(_write(tmp_path, "CustomerID,InvoiceDate,Amount\nC1,20240105,3\nC2,2024.01.06,4\n",
                                   name="e.csv"), verbose=False)
    assert log.attrs["columns"] == {"CustomerID": "customer_id", "InvoiceDate": "order_ts", "Amount": "revenue"}
    assert log["order_ts"].tolist() == [pd.Timestamp("2024-01-05"), pd.Timestamp("2024-01-06")]
