"""What stays the same from one block of customers to the next: the planted parameters, the
calendar, and the company's own tables (cities, stores, products, campaigns)."""
from __future__ import annotations

import numpy as np
import pandas as pd

from crmlab.datasets.schema import CATEGORIES
from crmlab.generator._shared import CITIES, make_ids
from crmlab.generator.retail._calendar import Clock
from crmlab.generator.retail._campaign import campaigns_table
from crmlab.generator.retail._people import join_text

STORE_SUFFIX = ["中心店", "万达店", "东站店"]
CATALOGUE = {  # category: (Chinese name, sub-categories, price range CNY, gross margin)
    "apparel": ("服装", ["袜子", "衬衫", "连衣裙", "外套"], (19, 899), 0.60),
    "beauty": ("美妆", ["洗面奶", "口红", "面霜", "香水"], (19, 699), 0.65),
    "food": ("食品", ["零食", "牛奶", "茶叶", "坚果礼盒"], (9.9, 299), 0.35),
    "home": ("家居", ["收纳", "厨具", "床品", "灯具"], (9.9, 1999), 0.50),
    "electronics": ("数码", ["充电器", "耳机", "平板", "手机"], (19, 7999), 0.25),
    "baby": ("母婴", ["玩具", "纸尿裤", "童装", "奶粉"], (9.9, 999), 0.45),
}
BRANDS = ["悦享", "优品", "初心", "简约", "臻选", "乐活", "星河", "云朵", "青禾", "木棉", "晨光", "暖阳",
          "清风", "山谷", "海盐", "橙子", "小鹿", "森林", "月光", "拾光", "花语", "麦田", "蓝天", "白桦",
          "知了", "米粒", "竹语", "安然", "布丁", "果壳"]
TIERS = ["入门款", "经典款", "旗舰款"]  # by price within a category


class Company:
    """The planted parameters, the calendar and the fixed tables, which every step of a block reads."""

    def __init__(self, params, root):
        self.params = params
        self.clock = Clock()
        rng = np.random.default_rng(np.random.SeedSequence(root, spawn_key=(2,)))
        self.cities = pd.DataFrame(CITIES, columns=["city", "city_tier", "region", "n_stores", "weight"])
        self.cities["code"] = np.arange(1, len(CITIES) + 1)
        self.stores = _stores(self.cities, rng)
        self.products = _products(rng)
        self.campaigns = campaigns_table(params["campaign"])
        # Price-sorted catalogue per category, for choosing products by order value (stable: equal
        # prices keep catalogue order, whatever sorting routine this CPU runs).
        self.by_cat = {c: self.products[self.products["category"] == c].sort_values("list_price", kind="stable")
                       for c in CATEGORIES}


def _stores(cities, rng):
    stores = cities.loc[cities.index.repeat(cities["n_stores"])].reset_index(drop=True)
    suffix = np.array(STORE_SUFFIX)[stores.groupby("city", sort=False).cumcount().to_numpy()]
    stores["store_name"] = join_text(stores["city"].to_numpy().astype(str), suffix)
    stores.insert(0, "store_id", make_ids("S", np.arange(1, len(stores) + 1), 2))
    opened = np.datetime64("2012-01-01") + rng.integers(0, 3800, len(stores)).astype("timedelta64[D]")
    stores["opened_date"] = pd.to_datetime(opened)
    return stores[["store_id", "store_name", "city", "city_tier", "region", "opened_date"]]


def _products(rng):
    frames = []
    for cat, (zh, subs, (lo, hi), margin) in CATALOGUE.items():
        n = 30
        price = np.exp(np.linspace(np.log(lo), np.log(hi), n) + rng.normal(0, 0.08, n))
        price = np.maximum(np.round(price) - 0.1, 9.9)
        rank = np.arange(n)
        sub = np.array(subs)[np.minimum(rank * len(subs) // n + rng.integers(-1, 2, n), len(subs) - 1).clip(0)]
        name = join_text(np.array(BRANDS)[rng.permutation(len(BRANDS))[:n]], sub, "·",
                         np.array(TIERS)[rank * len(TIERS) // n])
        frames.append(pd.DataFrame({
            "category": cat, "category_zh": zh, "subcategory": sub,
            "product_name": name,
            "list_price": price,
            "unit_cost": np.round(price * (1 - margin * rng.uniform(0.85, 1.15, n)), 2),
            "margin": margin,
        }))
    products = pd.concat(frames, ignore_index=True)
    products.insert(0, "product_id", make_ids("P", np.arange(1, len(products) + 1), 4))
    return products[["product_id", "product_name", "category", "category_zh", "subcategory",
                     "list_price", "unit_cost", "margin"]]
