"""Write datasets/examples/messy_orders.csv: the sample company's orders as a shop back-end and
Chinese Excel would export them, with the problems students meet in their own data planted.

    python tools/make_messy_export.py [--out datasets/examples]

Deterministic (no random numbers): the first 800 completed orders of datasets/retail/orders.csv,
with the sum of their order lines as the amount paid, written

- in GBK with Windows line ends and a title line above the header;
- with Chinese headers 订单编号, 会员ID, 下单时间, 实付金额;
- amounts as ``"￥1,234.50"`` (currency sign, thousands separator, quoted as Excel does);
- dates as Excel writes them on Chinese Windows (``2023/1/5 12:22``), some as ``2023年1月5日``;

and planted: IDs with stray spaces or in lower case, one ID that Excel turned into
``1.23457E+17``, one date written day first (``05-01-2023``, ambiguous), one amount not
quoted (its line has a field too many), and a block of 12 lines exported twice.
tests/test_exports.py checks that this script rewrites the shipped file byte for byte.
"""
import argparse
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
N_ORDERS = 800


def build() -> bytes:
    orders = pd.read_csv(ROOT / "datasets" / "retail" / "orders.csv", dtype=str, encoding="utf-8-sig")
    lines = pd.read_csv(ROOT / "datasets" / "retail" / "order_lines.csv", dtype=str, encoding="utf-8-sig")
    orders = orders[orders["status"] == "completed"].head(N_ORDERS).reset_index(drop=True)
    paid = lines.assign(net=lines["net_amount"].astype(float)).groupby("order_id")["net"].sum().round(2)
    orders["paid"] = orders["order_id"].map(paid)
    stamp = pd.to_datetime(orders["order_ts"])
    dates = stamp.dt.year.astype(str) + "/" + stamp.dt.month.astype(str) + "/" + stamp.dt.day.astype(str) + " " \
        + stamp.dt.strftime("%H:%M")
    chinese = stamp.dt.year.astype(str) + "年" + stamp.dt.month.astype(str) + "月" + stamp.dt.day.astype(str) + "日"
    dates = dates.where(orders.index % 25 != 3, chinese)
    amounts = orders["paid"].map(lambda v: f"￥{v:,.2f}")
    amounts = amounts.where(~amounts.str.contains(","), '"' + amounts + '"')
    ids = orders["customer_id"].copy()
    ids[10] = " " + ids[10]                       # stray spaces
    ids[40] = ids[40] + "  "
    ids[70] = ids[70].lower()                     # lower case
    ids[120] = "1.23457E+17"                      # a long number id, shortened by Excel
    late = (orders.index >= 150) & (stamp.dt.day <= 12) & (stamp.dt.day != stamp.dt.month)
    ambiguous = orders.index[late][0]
    dates[ambiguous] = f"{stamp[ambiguous]:%d-%m-%Y}"   # day first, day <= 12: ambiguous
    big = orders.index[orders["paid"] >= 1000][0]
    amounts[big] = amounts[big].strip('"')        # an unquoted 1,234.50: one field too many
    rows = (orders["order_id"] + "," + ids + "," + dates + "," + amounts).tolist()
    rows = rows + rows[300:312]                   # a block exported twice
    text = "会员订单导出（示例店铺）\r\n订单编号,会员ID,下单时间,实付金额\r\n" + "\r\n".join(rows) + "\r\n"
    return text.encode("gbk")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "datasets" / "examples")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / "messy_orders.csv"
    path.write_bytes(build())
    print(f"wrote {path} ({path.stat().st_size:,} bytes)")


if __name__ == "__main__":
    main()
