"""The sample company (样例企业): a seeded generator with planted truth.

``generate`` writes the tables of an omnichannel retailer in China (stores,
web shop, app, call centre; 2023-2025; CNY) as CSV files that open in Excel
on a Chinese Windows machine (UTF-8 with BOM), and, in a separate folder, the
truth it planted: each customer's purchase and dropout rates, who is a
duplicate of whom across the three identification silos, the true effect of
the campaign and of resolving complaints. The model is documented in
``datasets/README.md``; the planted parameters are in :data:`PARAMETERS`.

The same seed, size and student id give byte-identical files on any machine.
Customers are simulated in fixed blocks of 50 000 and streamed to disk, so a
million customers need no more memory than fifty thousand.

Examples
--------
>>> from crmlab.generator import generate
>>> paths = generate("my_data", n_customers=2000, student_id="2025012345")  # doctest: +SKIP
"""
from __future__ import annotations

import copy
import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd

from crmlab import _people
from crmlab._calendar import END, START, Clock, to_timestamps, with_hour
from crmlab.datasets.schema import (CATEGORIES, CHANNELS, LOYALTY_TYPES, OUTCOMES, SAT_LEVELS,
                                    SERVQUAL_DIMENSIONS, TABLES)
from crmlab.validation import CrmlabInputError

DEFAULT_SEED = 20240618
DEFAULT_CUSTOMERS = 10_000
BLOCK = 50_000  # customers simulated together; part of the model, so never tuned per machine

# Everything the generator plants. A student variant perturbs these numbers
# (see _variant_parameters) and the truth file records the values used.
PARAMETERS = {
    "prospect_share": 0.12,  # registered but never bought (潜在客户)
    "segments": {  # BG/NBD (r, alpha per week; a, b) and Gamma-Gamma (p, q, gamma in CNY)
        "vip": {"share": 0.10, "r": 2.4, "alpha": 12.0, "a": 0.8, "b": 12.0, "p": 6.0, "q": 4.0, "gamma": 320.0},
        "regular": {"share": 0.30, "r": 1.5, "alpha": 15.0, "a": 1.0, "b": 6.0, "p": 5.0, "q": 5.0, "gamma": 170.0},
        "occasional": {"share": 0.40, "r": 0.8, "alpha": 20.0, "a": 1.2, "b": 3.0, "p": 4.0, "q": 5.0, "gamma": 160.0},
        "bargain": {"share": 0.20, "r": 1.2, "alpha": 12.0, "a": 1.0, "b": 4.0, "p": 3.0, "q": 6.0, "gamma": 180.0},
    },
    # Low satisfaction raises dropout: p is multiplied by these factors.
    "satisfaction": {"share": {"dissatisfied": 0.20, "satisfied": 0.55, "highly_satisfied": 0.25},
                     "dropout_multiplier": {"dissatisfied": 1.8, "satisfied": 1.0, "highly_satisfied": 0.6}},
    "service_failure_rate": 0.10,  # per order
    # Of unhappy customers (first service failure) 1 in 27 complain (textbook); engaged,
    # frequent buyers are likelier to complain, so the chance grows with the purchase rate.
    "complaint_prob": 1 / 27,
    "outcome_probs": {"resolved_satisfied": 0.55, "resolved_unsatisfied": 0.25, "unresolved": 0.20},
    "stay_prob": {"resolved_satisfied": 0.88, "resolved_unsatisfied": 0.50, "unresolved": 0.25, "silent": 0.40},
    "return_rate": {"apparel": 0.14, "beauty": 0.04, "food": 0.01, "home": 0.05, "electronics": 0.08, "baby": 0.05},
    "cancel_rate": 0.05,  # an extra cancelled order before a purchase
    "promo_discount": 0.20,
    "campaign": {"start": "2025-09-01", "end": "2025-09-30", "coupon_discount": 0.15,
                 "uplift": {"vip": 0.03, "regular": 0.06, "occasional": 0.08, "bargain": 0.14}},
    "contacts": {"share_targeted": 0.35, "max_messages": 4, "fatigue_decay": 0.6,
                 "base_response": {"sms": 0.06, "email": 0.03, "app_push": 0.09}},
    "survey": {"rate": 0.3, "gap": {"tangibles": 0.3, "reliability": -0.9, "responsiveness": -0.6,
                                     "assurance": -0.2, "empathy": -0.4},
               "importance": {"tangibles": 11, "reliability": 32, "responsiveness": 22, "assurance": 19, "empathy": 16},
               "honest_reason": 0.75},
    "loyalty_mix": {"monopoly": 0.05, "inertia": 0.20, "convenience": 0.25, "price": 0.15, "incentive": 0.15, "value": 0.20},
}

CITIES = [  # name, tier, region, stores, weight, store suffixes
    ("北京", 1, "north", 3, 8), ("上海", 1, "east", 3, 9), ("广州", 1, "south", 2, 6), ("深圳", 1, "south", 2, 6),
    ("成都", 2, "west", 2, 5), ("杭州", 2, "east", 2, 5), ("武汉", 2, "central", 2, 4), ("南京", 2, "east", 1, 4),
    ("西安", 2, "west", 1, 3), ("长沙", 2, "central", 1, 3), ("苏州", 2, "east", 1, 3), ("郑州", 2, "central", 1, 3),
    ("哈尔滨", 2, "north", 1, 2), ("合肥", 3, "east", 1, 2), ("昆明", 3, "west", 1, 2), ("保定", 3, "north", 1, 1.5),
    ("南宁", 3, "south", 0, 2), ("洛阳", 3, "central", 0, 1.5), ("绵阳", 4, "west", 0, 1), ("柳州", 4, "south", 0, 1),
    ("赣州", 4, "east", 0, 1),
]
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
PROMO_WINDOWS = [("06-01", "06-18"), ("10-31", "11-11"), ("12-12", "12-12")]
WAVES = [("年货节", "2023-01-02"), ("618大促", "2023-06-01"), ("双11大促", "2023-10-31"),
         ("年货节", "2024-01-20"), ("618大促", "2024-06-01"), ("双11大促", "2024-10-31"),
         ("年货节", "2025-01-09"), ("618大促", "2025-06-01"), ("双11大促", "2025-10-31")]
CONTACT_COST = {"sms": 0.05, "email": 0.01, "app_push": 0.005, "phone": 6.0, "online_chat": 2.5,
                "wechat": 1.5, "store": 8.0}
EXPERIMENT_ID = "X2509"


# ---------------------------------------------------------------- public API

def generate(out_dir, *, n_customers: int = DEFAULT_CUSTOMERS, seed: int = DEFAULT_SEED,
             student_id: str | None = None) -> dict[str, Path]:
    """Generate the sample company and write it to ``out_dir``.

    Parameters
    ----------
    out_dir : str or Path
        Folder to write. Tables go to ``out_dir/retail/``, the planted truth
        to ``out_dir/retail_truth/`` (``truth.json`` and two CSV tables).
        Existing files of the same names are replaced.
    n_customers : int, default 10000
        Number of registered customers (客户数). Any positive size works;
        a million takes a few minutes and little memory.
    seed : int, default 20240618
        Seed of the random generator (随机种子). Same seed, size and
        ``student_id`` give byte-identical files.
    student_id : str, optional
        A student's own variant (学生个人数据): same structure, different
        planted numbers, so that answers differ between students. The
        instructor regenerates any student's data and truth from the id.

    Returns
    -------
    dict of str to Path
        Path of every file written, by table name (and ``"truth"``).

    Examples
    --------
    >>> import tempfile
    >>> from crmlab.generator import generate
    >>> paths = generate(tempfile.mkdtemp(), n_customers=300, seed=1)
    >>> sorted(paths)[:3]
    ['callcentre_contacts', 'campaign_assignment', 'campaigns']
    """
    out = prepare_run(out_dir, ("retail", "retail_truth"), size=("n_customers", n_customers), seed=seed,
                      student_id=student_id, example="generate('my_data') or `crmlab data generate --out my_data`")

    params = _variant_parameters(seed, student_id)
    root = _root_seed(seed, student_id)
    company = _Company(params, root)
    writer = _Writer(out)
    try:
        writer.write("stores", company.stores)
        writer.write("products", company.products.drop(columns=["margin"]))
        writer.write("campaigns", company.campaigns)
        counters = _Counters()
        experiment = []
        for start in range(0, n_customers, BLOCK):
            size = min(BLOCK, n_customers - start)
            rng = np.random.default_rng(np.random.SeedSequence(root, spawn_key=(1, start // BLOCK)))
            tables, exp_truth = company.simulate_block(rng, start, size, counters)
            experiment.append(exp_truth)
            for name, frame in tables.items():
                writer.write(name, frame)
    finally:
        writer.close()
    truth = _truth_summary(params, seed, student_id, n_customers, experiment)
    truth_path = out / "retail_truth" / "truth.json"
    truth_path.write_text(json.dumps(truth, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return {**writer.paths, "truth": truth_path}


# ---------------------------------------------------------------- parameters and seeds

def prepare_run(out_dir, folders, *, size, seed, student_id, example) -> Path:
    """Check a generator's arguments and make its output folders; shared by every generator.

    ``size`` is ``(argument name, value)``; ``example`` shows a call that works.
    Raises :class:`CrmlabInputError` naming the argument and the fix.
    """
    name, n = size
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise CrmlabInputError(f"{name} must be a positive whole number, got {n!r}; e.g. {name}=10000.")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise CrmlabInputError(f"seed must be a non-negative whole number, got {seed!r}; e.g. seed=1.")
    if student_id is not None and not str(student_id).strip():
        raise CrmlabInputError("student_id is empty; pass the student's id, e.g. student_id='2025012345'.")
    out = Path(out_dir)
    try:
        for folder in folders:
            (out / folder).mkdir(parents=True, exist_ok=True)
            probe = out / folder / ".crmlab-write-test"
            probe.write_text("")
            probe.unlink()
    except OSError as exc:
        raise CrmlabInputError(
            f"cannot write to {out}: {exc.strerror or exc}. Choose a folder you can write to, e.g. {example}.") from None
    return out


def _root_seed(seed: int, student_id: str | None) -> int:
    if student_id is None:
        return int(seed)
    digest = hashlib.sha256(f"{seed}:{str(student_id).strip()}".encode()).digest()
    return int.from_bytes(digest[:8], "little")


def _variant_parameters(seed: int, student_id: str | None) -> dict:
    """The planted parameters; a student variant scales each number by a factor in [0.85, 1.15]."""
    params = copy.deepcopy(PARAMETERS)
    if student_id is None:
        return params
    rng = np.random.default_rng(np.random.SeedSequence(_root_seed(seed, student_id), spawn_key=(0,)))

    def jitter(d, keys):
        for k in keys:
            d[k] = round(float(d[k] * rng.uniform(0.85, 1.15)), 4)

    for seg in params["segments"].values():
        jitter(seg, ["share", "r", "alpha", "b", "gamma"])
    total = sum(s["share"] for s in params["segments"].values())
    for seg in params["segments"].values():
        seg["share"] = round(seg["share"] / total, 4)
    jitter(params, ["service_failure_rate"])
    jitter(params["stay_prob"], list(params["stay_prob"]))
    jitter(params["campaign"]["uplift"], list(params["campaign"]["uplift"]))
    jitter(params["survey"]["gap"], list(params["survey"]["gap"]))
    return params


def _truth_summary(params, seed, student_id, n_customers, experiment) -> dict:
    exp = pd.concat(experiment, ignore_index=True)
    n = len(exp)
    return {
        "generator": "crmlab.generator.generate",
        "seed": int(seed), "student_id": student_id, "n_customers": int(n_customers),
        "period": {"start": str(START), "end_exclusive": str(END)},
        "time_unit_of_rates": "week of promotion-adjusted (operational) time; see datasets/README.md",
        "parameters": params,
        "experiment": {
            "campaign_id": EXPERIMENT_ID, "n_eligible": n,
            # Average treatment effects over the eligible customers, from both potential outcomes.
            "true_uplift_response": round(float(exp["effect_response"].mean()), 6) if n else None,
            "true_uplift_revenue": round(float(exp["effect_revenue"].mean()), 4) if n else None,
        },
    }


class _Counters:
    """Running numbers for keys, so that ids stay unique across blocks."""

    def __init__(self):
        self.n = {}

    def take(self, name, k):
        first = self.n.get(name, 0)
        self.n[name] = first + k
        return np.arange(first + 1, first + k + 1)


def _ids(prefix, numbers, width):
    if len(numbers) == 0:
        return np.array([], dtype=str)
    return np.char.add(prefix, np.char.zfill(np.asarray(numbers).astype(str), width))


def _pick(rng, probs):
    """One categorical draw per row of ``probs`` (rows sum to 1), vectorised."""
    cum = np.cumsum(probs, axis=1)
    u = rng.random(len(probs))[:, None] * cum[:, -1:]
    return np.minimum((u > cum).sum(axis=1), probs.shape[1] - 1)


def _in_windows(days, windows):
    """True where a calendar day (days since START) falls inside any MM-DD window of any year."""
    dates = START + np.floor(days).astype("timedelta64[D]")
    md = np.char.add(np.char.zfill((dates.astype("datetime64[M]").astype(int) % 12 + 1).astype(str), 2),
                     np.char.add("-", np.char.zfill(((dates - dates.astype("datetime64[M]")).astype(int) + 1).astype(str), 2)))
    out = np.zeros(len(dates), bool)
    for lo, hi in windows:
        out |= (md >= lo) & (md <= hi)
    return out


# ---------------------------------------------------------------- the company

class _Company:
    def __init__(self, params, root):
        self.p = params
        self.clock = Clock()
        rng = np.random.default_rng(np.random.SeedSequence(root, spawn_key=(2,)))
        self.cities = pd.DataFrame(CITIES, columns=["city", "city_tier", "region", "n_stores", "weight"])
        self.cities["code"] = np.arange(1, len(CITIES) + 1)
        self.stores = self._make_stores(rng)
        self.products = self._make_products(rng)
        self.campaigns = self._make_campaigns()
        # Price-sorted catalogue per category, for choosing products by order value (stable: equal
        # prices keep catalogue order, whatever sorting routine this CPU runs).
        self.by_cat = {c: self.products[self.products["category"] == c].sort_values("list_price", kind="stable")
                       for c in CATEGORIES}

    def _make_stores(self, rng):
        stores = self.cities.loc[self.cities.index.repeat(self.cities["n_stores"])].reset_index(drop=True)
        suffix = np.array(STORE_SUFFIX)[stores.groupby("city", sort=False).cumcount().to_numpy()]
        stores["store_name"] = _people.join_text(stores["city"].to_numpy().astype(str), suffix)
        stores.insert(0, "store_id", _ids("S", np.arange(1, len(stores) + 1), 2))
        opened = np.datetime64("2012-01-01") + rng.integers(0, 3800, len(stores)).astype("timedelta64[D]")
        stores["opened_date"] = pd.to_datetime(opened)
        return stores[["store_id", "store_name", "city", "city_tier", "region", "opened_date"]]

    def _make_products(self, rng):
        frames = []
        for cat, (zh, subs, (lo, hi), margin) in CATALOGUE.items():
            n = 30
            price = np.exp(np.linspace(np.log(lo), np.log(hi), n) + rng.normal(0, 0.08, n))
            price = np.maximum(np.round(price) - 0.1, 9.9)
            rank = np.arange(n)
            sub = np.array(subs)[np.minimum(rank * len(subs) // n + rng.integers(-1, 2, n), len(subs) - 1).clip(0)]
            name = _people.join_text(np.array(BRANDS)[rng.permutation(len(BRANDS))[:n]], sub, "·",
                             np.array(TIERS)[rank * len(TIERS) // n])
            frames.append(pd.DataFrame({
                "category": cat, "category_zh": zh, "subcategory": sub,
                "product_name": name,
                "list_price": price,
                "unit_cost": np.round(price * (1 - margin * rng.uniform(0.85, 1.15, n)), 2),
                "margin": margin,
            }))
        products = pd.concat(frames, ignore_index=True)
        products.insert(0, "product_id", _ids("P", np.arange(1, len(products) + 1), 4))
        return products[["product_id", "product_name", "category", "category_zh", "subcategory",
                         "list_price", "unit_cost", "margin"]]

    def _make_campaigns(self):
        rows = []
        for k, (name, start) in enumerate(WAVES, 1):
            s = np.datetime64(start)
            rows.append((f"W{k:02d}", f"{start[:4]}年{name}", s, s + 17, "sms/email/app_push",
                         "满减与折扣 (promotion prices)", 0.05, False))
        cp = self.p["campaign"]
        rows.append((EXPERIMENT_ID, "2025秋季回馈券实验", np.datetime64(cp["start"]), np.datetime64(cp["end"]),
                     "sms", f"{int(cp['coupon_discount'] * 100)}% 优惠券 (coupon)", 0.5, True))
        out = pd.DataFrame(rows, columns=TABLES["campaigns"].column_names)
        for c in ("start_date", "end_date"):
            out[c] = pd.to_datetime(out[c])
        return out

    # ------------------------------------------------------------ one block of customers
    def simulate_block(self, rng, offset, n, counters):
        cust = self._customers(rng, offset, n)
        occ = self._occasions(rng, cust)
        occ, cust = self._failures(rng, occ, cust)
        occ, exp_truth = self._experiment(rng, occ, cust)
        orders, lines = self._orders(rng, occ, cust, counters)
        complaints = self._complaints(rng, cust, orders, counters)
        assignment = self._assignment(exp_truth, orders, lines, cust["customer_id"].to_numpy())
        interactions = self._interactions(rng, cust, occ, orders, complaints, assignment, counters)
        survey = self._survey(rng, cust, counters)
        silos, identity = self._silos(rng, cust, orders, interactions, counters)
        cust = self._membership(cust, orders, lines)
        tables = {
            "customers": cust[TABLES["customers"].column_names],
            "orders": orders[TABLES["orders"].column_names],
            "order_lines": lines[TABLES["order_lines"].column_names],
            "interactions": interactions[TABLES["interactions"].column_names],
            "complaints": complaints[TABLES["complaints"].column_names],
            "survey": survey,
            "campaign_assignment": assignment[TABLES["campaign_assignment"].column_names],
            **silos,
            "customer_truth": self._customer_truth(cust),
            "identity_map": identity,
        }
        return tables, exp_truth[["effect_response", "effect_revenue"]]

    def _customers(self, rng, offset, n):
        P = self.p
        idx = np.arange(offset, offset + n)
        seg_names = list(P["segments"])
        shares = np.array([P["segments"][s]["share"] for s in seg_names])
        seg = rng.choice(len(seg_names), size=n, p=shares / shares.sum())
        sp = {k: np.array([P["segments"][s][k] for s in seg_names])[seg] for k in ("r", "alpha", "a", "b", "p", "q", "gamma")}
        sat_share = np.array([P["satisfaction"]["share"][s] for s in SAT_LEVELS])
        sat = rng.choice(3, size=n, p=sat_share / sat_share.sum())
        mult = np.array([P["satisfaction"]["dropout_multiplier"][s] for s in SAT_LEVELS])[sat]
        lam = rng.gamma(sp["r"], 1 / sp["alpha"])
        drop = np.minimum(rng.beta(sp["a"], sp["b"]) * mult, 0.95)
        nu = rng.gamma(sp["q"], 1 / sp["gamma"])
        # Loyalty type: bargain hunters are mostly price-loyal.
        mix = np.array([P["loyalty_mix"][t] for t in LOYALTY_TYPES])
        price_i = LOYALTY_TYPES.index("price")
        probs = np.tile(mix / mix.sum(), (n, 1))
        bargain = seg == seg_names.index("bargain")
        probs[bargain] *= 0.4
        probs[bargain, price_i] += 0.6
        loyalty = _pick(rng, probs)
        attitude = rng.random(n) < np.array([0.2, 0.5, 0.8])[sat]

        city = rng.choice(len(self.cities), size=n, p=(self.cities["weight"] / self.cities["weight"].sum()).to_numpy())
        # Sign-up follows demand (promotions bring members) with growth over time.
        w = self.clock.rate * np.linspace(0.7, 1.3, self.clock.n_days)
        signup_day = rng.choice(self.clock.n_days, size=n, p=w / w.sum())
        signup = with_hour(rng, signup_day.astype(float))
        has_store_city = self.cities["n_stores"].to_numpy()[city] > 0
        chan_p = np.array([0.35, 0.25, 0.33, 0.07])
        chan_probs = np.tile(chan_p, (n, 1))
        chan_probs[~has_store_city, 0] = 0
        signup_channel = _pick(rng, chan_probs)
        # Channel preference for orders leans on the sign-up channel.
        pref = rng.gamma(np.array([2.0, 2.0, 2.0, 0.15]), size=(n, 4))
        pref[np.arange(n), signup_channel] += rng.gamma(4.0, size=n)
        pref[~has_store_city, 0] = 0
        cat_pref = rng.gamma(0.6, size=(n, len(CATEGORIES)))

        store_city = self.stores["city"].to_numpy()
        home_store = np.full(n, "", dtype=object)
        for ci in np.unique(city[has_store_city]):  # at most 21 cities
            ids = self.stores["store_id"].to_numpy()[store_city == self.cities["city"].iat[ci]]
            members = city == ci
            home_store[members] = ids[rng.integers(0, len(ids), members.sum())]

        sur, g1, g2 = _people.draw_names(rng, n)
        male = rng.random(n) < 0.48
        birth_year = np.clip(np.round(rng.normal(1988, 10, n)), 1950, 2006).astype(int)
        handle = _people.pinyin_handle(sur, g1, g2, idx, rng)
        prospect = rng.random(n) < P["prospect_share"]
        delay = np.where(rng.random(n) < 0.7, rng.uniform(5, 60, n) / 1440, rng.exponential(10, n))
        first = signup + delay
        prospect |= first >= self.clock.n_days
        return pd.DataFrame({
            "idx": idx, "customer_id": _ids("C", idx + 1, 7),
            "sur": sur, "g1": g1, "g2": g2,
            "name": _people.render_name(sur, g1, g2),
            "gender": np.where(male, "M", "F"), "birth_year": birth_year,
            "id_number": _people.id_numbers(self.cities["code"].to_numpy()[city], birth_year, male, rng),
            "phone": _people.phone_numbers(idx),
            "handle": handle,
            "email": _people.emails(handle, rng),
            "city_i": city, "city": self.cities["city"].to_numpy()[city],
            "city_tier": self.cities["city_tier"].to_numpy()[city],
            "signup": signup, "signup_channel": np.array(CHANNELS)[signup_channel],
            "marketing_consent": rng.random(n) < 0.62,
            "segment": np.array(seg_names)[seg], "seg_i": seg,
            "sat_i": sat, "satisfaction_level": np.array(SAT_LEVELS)[sat],
            "loyalty_type": np.array(LOYALTY_TYPES)[loyalty], "attitude_high": attitude,
            "purchase_rate": lam, "dropout_prob": drop, "nu": nu, "gg_p": sp["p"],
            "mean_spend": sp["p"] / nu,
            "prospect": prospect, "first": np.where(prospect, np.nan, first),
            "home_store": home_store,
            **{f"pref_{c}": pref[:, k] for k, c in enumerate(CHANNELS)},
            **{f"cat_{c}": cat_pref[:, k] for k, c in enumerate(CATEGORIES)},
        })

    def _occasions(self, rng, cust):
        """Purchase occasions by the buy-till-you-die (BG/NBD) process in operational time."""
        clock = self.clock
        buyers = cust.index[~cust["prospect"]].to_numpy()
        first = cust["first"].to_numpy()[buyers]
        op0 = clock.to_op(first)
        horizon = clock.end_op - op0
        lam = cust["purchase_rate"].to_numpy()[buyers]
        n_rep = rng.poisson(lam * horizon)
        # Dropout after the J-th repeat purchase, J ~ Geometric(p): repeats beyond J never happen.
        j = rng.geometric(cust["dropout_prob"].to_numpy()[buyers])
        owner = np.repeat(np.arange(len(buyers)), n_rep)
        u = op0[owner] + rng.random(len(owner)) * horizon[owner]
        order = np.lexsort((u, owner))
        owner, u = owner[order], u[order]
        rank = np.arange(len(owner)) - np.repeat(np.cumsum(n_rep) - n_rep, n_rep)
        keep = rank < j[owner]
        owner, u = owner[keep], u[keep]
        # Time of day is drawn afresh, so a repeat never precedes the first purchase.
        t_rep = np.maximum(with_hour(rng, clock.from_op(u)), first[owner] + 1 / 1440)
        occ = pd.DataFrame({"row": np.concatenate([buyers, buyers[owner]]), "t": np.concatenate([first, t_rep])})
        occ = occ.sort_values(["row", "t"], kind="stable").reset_index(drop=True)
        occ["k"] = occ.groupby("row").cumcount().to_numpy()
        # Customers whose J-th repeat happened are inactive from their last purchase on.
        died = np.zeros(len(cust), bool)
        died[buyers[j <= n_rep]] = True
        last = occ.groupby("row")["t"].max()
        dropout = np.full(len(cust), np.nan)
        dropout[last.index] = last.to_numpy()
        cust["dropout"] = np.where(died, dropout, np.nan)
        occ["campaign"] = False
        return occ

    def _failures(self, rng, occ, cust):
        """First service failure per customer; complaint, outcome and whether the customer leaves."""
        P = self.p
        n = len(cust)
        first_fail = rng.geometric(P["service_failure_rate"], size=n) - 1  # occasion index
        n_occ = np.bincount(occ["row"], minlength=n)
        unhappy = (first_fail < n_occ) & ~cust["prospect"].to_numpy()
        lam = cust["purchase_rate"].to_numpy()
        weight = np.sqrt(lam / np.median(lam))
        chance = P["complaint_prob"] * weight / max(weight[unhappy].mean(), 1e-12) if unhappy.any() else 0
        complained = unhappy & (rng.random(n) < np.minimum(chance, 1))
        op = np.array([P["outcome_probs"][o] for o in OUTCOMES])
        outcome = np.where(complained, np.array(OUTCOMES)[rng.choice(3, size=n, p=op / op.sum())], "")
        stay_p = np.select([outcome == o for o in OUTCOMES], [P["stay_prob"][o] for o in OUTCOMES],
                           default=P["stay_prob"]["silent"])
        left = unhappy & (rng.random(n) >= stay_p)
        fail_row = occ["k"].to_numpy() == first_fail[occ["row"].to_numpy()]
        fail_t = np.full(n, np.nan)
        fail_t[occ["row"].to_numpy()[fail_row]] = occ["t"].to_numpy()[fail_row]
        cust["failure"] = np.where(unhappy, fail_t, np.nan)
        cust["complained"] = complained
        cust["outcome"] = outcome
        cust["left_after_failure"] = left
        drop_rows = left[occ["row"].to_numpy()] & (occ["k"].to_numpy() > first_fail[occ["row"].to_numpy()])
        occ = occ[~drop_rows].reset_index(drop=True)
        cust["dropout"] = np.where(left, fail_t, cust["dropout"])
        cust["failure_order_k"] = np.where(unhappy, first_fail, -1)
        return occ, cust

    def _experiment(self, rng, occ, cust):
        """The randomised coupon campaign: assignment and both potential outcomes."""
        cp = self.p["campaign"]
        s, e = self.clock.day_of(cp["start"]), self.clock.day_of(cp["end"]) + 1
        t, row = occ["t"].to_numpy(), occ["row"].to_numpy()
        recent = np.zeros(len(cust), bool)
        recent[row[(t < s) & (t >= s - 365)]] = True
        eligible = np.flatnonzero(recent & cust["marketing_consent"].to_numpy())
        treat = rng.random(len(eligible)) < 0.5
        natural = np.zeros(len(cust), bool)
        natural[row[(t >= s) & (t < e)]] = True
        uplift = np.array([cp["uplift"][seg] for seg in cust["segment"].to_numpy()[eligible]])
        extra = rng.random(len(eligible)) < uplift  # would buy because of the coupon
        extra_t = with_hour(rng, rng.uniform(s, e, len(eligible)))
        spend = rng.gamma(cust["gg_p"].to_numpy()[eligible], 1 / cust["nu"].to_numpy()[eligible])
        returned = rng.random(len(eligible)) < 0.06
        truth = pd.DataFrame({
            "row": eligible, "treatment": treat,
            "effect_response": extra & ~natural[eligible],
            "effect_revenue": np.where(extra & ~returned, np.round(spend, 2), 0.0),
        })
        new = pd.DataFrame({"row": eligible, "t": extra_t, "k": -1, "campaign": True,
                            "spend": spend, "returned": returned})[extra & treat]
        occ = pd.concat([occ, new], ignore_index=True).sort_values(["row", "t"], kind="stable")
        return occ.reset_index(drop=True), truth

    def _orders(self, rng, occ, cust, counters):
        P = self.p
        n_occ = len(occ)
        row = occ["row"].to_numpy()
        c = cust.iloc[row]
        # Spend per occasion: Gamma-Gamma; the campaign's orders carry their drawn spend.
        spend = rng.gamma(c["gg_p"].to_numpy(), 1 / c["nu"].to_numpy())
        spend = np.where(occ["campaign"].to_numpy(), occ["spend"].fillna(0).to_numpy(), spend)
        pref = c[[f"pref_{ch}" for ch in CHANNELS]].to_numpy()
        channel = np.array(CHANNELS)[_pick(rng, pref)]
        channel = np.where(occ["campaign"].to_numpy(), "app", channel)
        store_id = np.where(channel == "store", c["home_store"].to_numpy(), "")
        pay = self._payments(rng, channel)
        t = occ["t"].to_numpy()
        # Cancelled orders: placed and cancelled shortly before some purchases; extra records.
        cancel = rng.random(n_occ) < P["cancel_rate"]
        ct = t[cancel] - rng.uniform(0.05, 3, cancel.sum()) / 24
        all_t = np.concatenate([t, ct])
        rows = np.concatenate([row, row[cancel]])
        chan = np.concatenate([channel, channel[cancel]])
        value = np.concatenate([spend, spend[cancel] * rng.uniform(0.6, 1.4, cancel.sum())])
        status = np.concatenate([np.full(n_occ, "completed", dtype=object), np.full(cancel.sum(), "cancelled", dtype=object)])
        occ_ref = np.concatenate([np.arange(n_occ), np.full(cancel.sum(), -1)])
        orders = pd.DataFrame({
            "row": rows, "t": np.maximum(all_t, 0), "channel": chan,
            "store_id": np.concatenate([store_id, store_id[cancel]]),
            "payment_method": np.concatenate([pay, pay[cancel]]),
            "status": status, "value": value, "occ": occ_ref,
            "campaign": np.concatenate([occ["campaign"].to_numpy(), np.zeros(cancel.sum(), bool)]),
        }).sort_values(["t", "row"], kind="stable").reset_index(drop=True)
        orders["order_id"] = _ids("O", counters.take("order", len(orders)), 8)
        orders["customer_id"] = cust["customer_id"].to_numpy()[orders["row"].to_numpy()]
        orders["order_ts"] = to_timestamps(orders["t"].to_numpy())
        lines = self._lines(rng, orders, cust)
        # Returns: by the category of the order's first line; the campaign's draws are kept.
        first_cat = lines.groupby("order_pos", sort=True)["category"].first().reindex(orders.index).to_numpy()
        rr = np.array([P["return_rate"][cat] for cat in CATEGORIES])
        cat_i = pd.Categorical(first_cat, categories=CATEGORIES).codes
        ret = rng.random(len(orders)) < rr[cat_i]
        camp_ret = occ["returned"].fillna(False).to_numpy().astype(bool)
        ret = np.where(orders["campaign"].to_numpy(), camp_ret[np.maximum(orders["occ"].to_numpy(), 0)], ret)
        orders.loc[(orders["status"] == "completed").to_numpy() & ret, "status"] = "returned"
        # Order k of each customer, for linking the service failure.
        orders["k"] = np.where(orders["occ"] >= 0, occ["k"].to_numpy()[np.maximum(orders["occ"], 0)], -2)
        return orders, lines

    def _payments(self, rng, channel):
        store = channel == "store"
        pay = np.where(store, np.array(["alipay", "wechat_pay", "bank_card", "cash"])[
            rng.choice(4, len(channel), p=[0.35, 0.4, 0.15, 0.1])],
            np.array(["alipay", "wechat_pay", "bank_card", "cash_on_delivery"])[
            rng.choice(4, len(channel), p=[0.45, 0.4, 0.1, 0.05])])
        return pay

    def _lines(self, rng, orders, cust):
        n = len(orders)
        # Small orders have few lines, so that each line can be a real product.
        k = np.minimum(1 + np.minimum(rng.poisson(0.7, n), 5), np.maximum(orders["value"].to_numpy() // 50, 1)).astype(int)
        pos = np.repeat(np.arange(n), k)
        line_no = np.arange(len(pos)) - np.repeat(np.cumsum(k) - k, k) + 1
        w = rng.gamma(2.0, size=len(pos))
        w /= np.bincount(pos, weights=w)[pos]
        v = np.round(orders["value"].to_numpy()[pos] * w, 2)
        v = np.maximum(v, 1.0)
        cat_pref = cust[[f"cat_{c}" for c in CATEGORIES]].to_numpy()[orders["row"].to_numpy()[pos]]
        cat = _pick(rng, cat_pref)
        days = orders["t"].to_numpy()[pos]
        disc = rng.uniform(0, 0.1, len(pos))
        disc += np.where(_in_windows(days, PROMO_WINDOWS), self.p["promo_discount"], 0)
        disc += np.where(orders["campaign"].to_numpy()[pos], self.p["campaign"]["coupon_discount"], 0)
        target = v / (1 - disc)
        top_price = {c: t["list_price"].max() for c, t in self.by_cat.items()}
        # Mostly one unit; more when even the dearest product is below the target value.
        qty = np.maximum(np.where(rng.random(len(pos)) < 0.8, 1, 2),
                         np.ceil(target / np.array([top_price[c] for c in CATEGORIES])[cat])).astype(int)
        product = np.empty(len(pos), dtype=object)
        price = np.empty(len(pos))
        ucost = np.empty(len(pos))
        for ci, c in enumerate(CATEGORIES):  # six categories, vectorised within each
            m = cat == ci
            cat_table = self.by_cat[c]
            prices = cat_table["list_price"].to_numpy()
            # The product whose price is nearest (in ratio) to the target unit value.
            unit = target[m] / qty[m]
            hi = np.clip(np.searchsorted(prices, unit), 0, len(prices) - 1)
            lo = np.maximum(hi - 1, 0)
            j = np.where(np.abs(np.log(prices[lo] / unit)) < np.abs(np.log(prices[hi] / unit)), lo, hi)
            product[m] = cat_table["product_id"].to_numpy()[j]
            price[m] = prices[j]
            ucost[m] = cat_table["unit_cost"].to_numpy()[j]
        # The amount paid is list value less the discount, so it matches the drawn amount up to
        # the spacing of the price list (a few per cent either way).
        discount = np.round(disc, 4)
        net = np.round(qty * price * (1 - discount), 2)
        return pd.DataFrame({
            "order_pos": pos, "order_id": orders["order_id"].to_numpy()[pos], "line_no": line_no,
            "product_id": product, "category": np.array(CATEGORIES)[cat], "quantity": qty,
            "unit_price": price, "discount_rate": discount, "net_amount": net,
            "cost": np.round(qty * ucost, 2),
        })

    def _complaints(self, rng, cust, orders, counters):
        c = cust[cust["complained"]]
        o = orders[orders["k"] >= 0]
        key = pd.DataFrame({"row": c.index, "k": c["failure_order_k"].to_numpy()})
        o = key.merge(o[["row", "k", "order_id", "t"]], on=["row", "k"], how="left")
        n = len(o)
        remaining = self.clock.n_days - o["t"].to_numpy()
        opened = o["t"].to_numpy() + np.minimum(rng.exponential(3, n) + 0.1, remaining * 0.5)
        company = rng.random(n) < 0.75
        cat = np.where(company,
                       np.array(["product_quality", "delivery", "service_attitude", "billing"])[rng.choice(4, n, p=[0.4, 0.3, 0.2, 0.1])],
                       np.array(["misuse", "excessive_expectation"])[rng.integers(0, 2, n)])
        outcome = cust.loc[o["row"], "outcome"].to_numpy()
        severity = np.array(["low", "medium", "high"])[rng.choice(3, n, p=[0.45, 0.4, 0.15])]
        # Satisfied resolutions are the fast ones; unresolved complaints stay open.
        hours = rng.lognormal(np.log(np.select([outcome == "resolved_satisfied", outcome == "resolved_unsatisfied"], [20.0, 70.0], 1.0)), 0.7)
        closed = np.where(outcome == "unresolved", np.nan, np.minimum(opened + hours / 24, self.clock.n_days - 1e-3))
        comp = np.where(outcome == "unresolved", 0,
                        np.round(np.array([0, 20, 50, 100])[rng.choice(4, n, p=[0.45, 0.25, 0.2, 0.1])] *
                                 np.where(severity == "high", 2, 1), 2))
        out = pd.DataFrame({
            "row": o["row"].to_numpy(), "customer_id": cust.loc[o["row"], "customer_id"].to_numpy(),
            "order_id": o["order_id"].to_numpy(), "t": opened,
            "opened_ts": to_timestamps(opened),
            "closed_ts": pd.to_datetime(np.where(np.isnan(closed), np.datetime64("NaT"), to_timestamps(np.nan_to_num(closed)))),
            "channel": np.array(["phone", "online_chat", "wechat", "store", "email"])[rng.choice(5, n, p=[0.4, 0.25, 0.15, 0.15, 0.05])],
            "category": cat, "cause": np.where(company, "company", "customer"),
            "severity": severity, "outcome": outcome, "compensation": comp.astype(float),
        }).sort_values("t", kind="stable").reset_index(drop=True)
        out.insert(0, "complaint_id", _ids("Q", counters.take("complaint", len(out)), 6))
        return out

    def _assignment(self, exp_truth, orders, lines, customer_ids):
        cp = self.p["campaign"]
        s, e = self.clock.day_of(cp["start"]), self.clock.day_of(cp["end"]) + 1
        in_window = orders[(orders["t"] >= s) & (orders["t"] < e) & (orders["status"] != "cancelled")]
        line_sum = lines.groupby("order_pos")["net_amount"].sum()
        rev = in_window.assign(net=line_sum.reindex(in_window.index).to_numpy())
        rev["net"] = np.where(rev["status"] == "completed", rev["net"], 0.0)
        per_row = rev.groupby("row")["net"].sum()
        rows = exp_truth["row"].to_numpy()
        return pd.DataFrame({
            "campaign_id": EXPERIMENT_ID, "row": rows,
            "customer_id": customer_ids[rows],
            "group": np.where(exp_truth["treatment"], "treatment", "control"),
            "responded": np.isin(rows, in_window["row"].to_numpy()),
            "revenue": np.round(per_row.reindex(rows, fill_value=0.0).to_numpy(), 2),
        })

    def _interactions(self, rng, cust, occ, orders, complaints, assignment, counters):
        P = self.p
        cc = P["contacts"]
        frames = []
        row_all = occ["row"].to_numpy()
        t_all = occ["t"].to_numpy()
        consent = cust["marketing_consent"].to_numpy()
        channel_for = np.select([cust["pref_app"] >= cust[["pref_web", "pref_store"]].max(axis=1),
                                 cust["pref_web"] >= cust["pref_store"]], ["app_push", "email"], "sms")
        seg_mult = np.array([1.0, 1.1, 0.9, 1.3])[cust["seg_i"].to_numpy()]
        wave_ids = self.campaigns["campaign_id"].to_numpy()
        for w, start in zip(wave_ids[:-1], self.campaigns["start_date"].to_numpy()[:-1]):
            s = float((start.astype("datetime64[D]") - START).astype(int))
            active = np.zeros(len(cust), bool)
            active[row_all[(t_all < s) & (t_all >= s - 365)]] = True
            target = np.flatnonzero(active & consent & (rng.random(len(cust)) < cc["share_targeted"]))
            k = rng.integers(1, cc["max_messages"] + 1, len(target))
            who = np.repeat(target, k)
            j = np.arange(len(who)) - np.repeat(np.cumsum(k) - k, k)
            ch = channel_for[who]
            base = np.array([cc["base_response"][x] for x in ("sms", "email", "app_push")])
            p = base[np.select([ch == "sms", ch == "email"], [0, 1], 2)] * seg_mult[who] * cc["fatigue_decay"] ** j
            frames.append(pd.DataFrame({
                "row": who, "t": with_hour(rng, s + 3.0 * j), "channel": ch, "initiated_by": "company",
                "purpose": "promotion", "campaign_id": w, "responded": rng.random(len(who)) < p}))
        treated = assignment[assignment["group"] == "treatment"]
        s = self.clock.day_of(P["campaign"]["start"])
        frames.append(pd.DataFrame({
            "row": treated["row"].to_numpy(), "t": with_hour(rng, np.full(len(treated), float(s))),
            "channel": "sms", "initiated_by": "company", "purpose": "promotion",
            "campaign_id": EXPERIMENT_ID, "responded": treated["responded"].to_numpy()}))
        # Customer-initiated contacts around purchases.
        real = orders[orders["status"] != "cancelled"]
        for purpose, prob, lo, hi in (("enquiry", 0.08, -2.0, -0.02), ("service", 0.05, 1.0, 7.0), ("feedback", 0.02, 3.0, 14.0)):
            pick = real[rng.random(len(real)) < prob]
            frames.append(pd.DataFrame({
                "row": pick["row"].to_numpy(), "t": pick["t"].to_numpy() + rng.uniform(lo, hi, len(pick)),
                "channel": np.array(["phone", "online_chat", "wechat", "store"])[rng.choice(4, len(pick), p=[0.35, 0.35, 0.2, 0.1])],
                "initiated_by": "customer", "purpose": purpose, "campaign_id": "", "responded": None}))
        frames.append(pd.DataFrame({
            "row": complaints["row"].to_numpy(), "t": complaints["t"].to_numpy(), "channel": complaints["channel"].to_numpy(),
            "initiated_by": "customer", "purpose": "complaint", "campaign_id": "", "responded": None}))
        out = pd.concat(frames, ignore_index=True)
        out = out[(out["t"] >= 0) & (out["t"] < self.clock.n_days)]
        # Customers without a store in their city cannot walk in.
        no_store = cust["home_store"].to_numpy()[out["row"].to_numpy()] == ""
        out.loc[no_store & (out["channel"] == "store").to_numpy(), "channel"] = "phone"
        out = out.sort_values(["t", "row"], kind="stable").reset_index(drop=True)
        out["cost"] = out["channel"].map(CONTACT_COST)
        out.loc[out["campaign_id"] == EXPERIMENT_ID, "cost"] = self.campaigns["cost_per_contact"].iat[-1]
        out["interaction_id"] = _ids("I", counters.take("interaction", len(out)), 8)
        out["customer_id"] = cust["customer_id"].to_numpy()[out["row"].to_numpy()]
        out["interaction_ts"] = to_timestamps(out["t"].to_numpy())
        out["responded"] = out["responded"].astype("boolean")
        return out

    def _survey(self, rng, cust, counters):
        P = self.p["survey"]
        lo, hi = self.clock.day_of("2025-05-01"), self.clock.day_of("2025-07-01")
        eligible = (cust["first"].to_numpy() < lo) & (rng.random(len(cust)) < P["rate"])
        eligible &= ~(cust["dropout"].to_numpy() < lo)  # only customers still buying answer
        s = cust[eligible].reset_index(drop=True)
        n = len(s)
        day = rng.integers(lo, hi, n).astype(float)
        sat = s["sat_i"].to_numpy()
        unhappy = s["failure"].to_numpy() < day
        level_shift = np.array([-1.1, 0.0, 0.8])[sat] - 0.7 * unhappy
        person = rng.normal(0, 0.4, n)
        cols = {}
        for d, items in SERVQUAL_DIMENSIONS.items():
            e_dim = rng.normal(0, 0.35, n)
            p_dim = rng.normal(0, 0.35, n)
            for i in items:
                e = 5.7 + e_dim + rng.normal(0, 0.5, n)
                cols[f"exp_{i:02d}"] = e
                cols[f"per_{i:02d}"] = e + P["gap"][d] + level_shift + person + p_dim + rng.normal(0, 0.5, n)
        likert = {k: np.clip(np.round(v), 1, 7).astype(int) for k, v in cols.items()}
        imp = np.array([P["importance"][d] for d in SERVQUAL_DIMENSIONS], float)
        w = rng.dirichlet(imp / 3, n) * 100
        w_int = np.floor(w).astype(int)
        w_int[:, 1] += 100 - w_int.sum(axis=1)  # points add up to exactly 100
        a = np.clip(np.round(rng.normal(7.2, 1.0, n)), 3, 10)
        c = np.array([0.78, 1.0, 1.18])[sat] * np.exp(rng.normal(0, 0.08, n) - 0.08 * unhappy)
        b = np.clip(np.round(a * c), 1, 10)
        ratio = b / a
        satisfaction = np.clip(np.round(3 + 3.5 * (ratio - 1) * 2 + rng.normal(0, 0.5, n)), 1, 5)
        recommend = np.clip(np.round(rng.normal(np.array([4.5, 7.6, 9.2])[sat] - 1.0 * unhappy, 1.2)), 0, 10)
        att = s["attitude_high"].to_numpy()
        loyal_t = pd.Categorical(s["loyalty_type"], categories=LOYALTY_TYPES).codes
        honest = rng.random(n) < P["honest_reason"]
        reason = np.where(honest, loyal_t, rng.integers(0, len(LOYALTY_TYPES), n))
        switching = np.clip(np.round(rng.normal(np.where(np.isin(loyal_t, [0, 1]), 4.0, 2.4), 0.8)), 1, 5)
        out = pd.DataFrame({
            "customer_id": s["customer_id"].to_numpy(),
            "survey_date": pd.to_datetime(START + day.astype(int).astype("timedelta64[D]")),
            "overall_expectation": a.astype(int), "overall_perception": b.astype(int),
            "satisfaction": satisfaction.astype(int),
            **{f"exp_{i:02d}": likert[f"exp_{i:02d}"] for i in range(1, 23)},
            **{f"per_{i:02d}": likert[f"per_{i:02d}"] for i in range(1, 23)},
            **{f"imp_{d}": w_int[:, k] for k, d in enumerate(SERVQUAL_DIMENSIONS)},
            "recommend": recommend.astype(int),
            "repurchase_intention": np.clip(np.round(rng.normal(np.array([2.4, 3.8, 4.5])[sat], 0.7)), 1, 5).astype(int),
            "attitude_like": np.clip(np.round(rng.normal(np.where(att, 4.2, 2.5), 0.7)), 1, 5).astype(int),
            "attitude_prefer": np.clip(np.round(rng.normal(np.where(att, 4.0, 2.3), 0.8)), 1, 5).astype(int),
            "switching_cost": switching.astype(int),
            "main_reason": np.array(LOYALTY_TYPES)[reason],
        })
        out = out.sort_values("survey_date", kind="stable")
        out["response_id"] = _ids("R", counters.take("survey", n), 6)
        return out[TABLES["survey"].column_names]

    def _silos(self, rng, cust, orders, interactions, counters):
        n = len(cust)
        row_chan = orders[orders["status"] != "cancelled"]
        has = {ch: np.isin(np.arange(n), row_chan.loc[row_chan["channel"] == ch, "row"]) for ch in CHANNELS}
        phone_contact = np.isin(np.arange(n), interactions.loc[interactions["channel"] == "phone", "row"])
        signup = cust["signup_channel"].to_numpy()
        home = cust["home_store"].to_numpy() != ""
        moved = rng.random(n) < 0.08
        old_city = self.cities["city"].to_numpy()[rng.integers(0, len(self.cities), n)]
        changed_phone = rng.random(n) < 0.05
        old_phone = _people.phone_numbers(cust["idx"].to_numpy() + 5_000_000)
        spec = {
            "store_members": dict(present=home & ((signup == "store") | has["store"]), p=0.95, dup=0.04, trad=0.03, typo=0.04,
                                  styles=[0.5, 0.2, 0.15, 0.05, 0.05, 0.05], phone_missing=0.03, email=0.35, idn=0.3),
            "web_accounts": dict(present=np.isin(signup, ["web", "app"]) | has["web"] | has["app"], p=0.95, dup=0.03, trad=0.02,
                                 typo=0.02, styles=[0.6, 0.1, 0.1, 0.1, 0.1, 0.0], phone_missing=0.12, email=1.0, idn=0.0),
            "callcentre_contacts": dict(present=(signup == "callcentre") | phone_contact | (rng.random(n) < 0.05), p=0.9, dup=0.05,
                                        trad=0.10, typo=0.10, styles=[0.3, 0.25, 0.15, 0.15, 0.1, 0.05], phone_missing=0.0,
                                        email=0.15, idn=0.6),
        }
        out, ident = {}, []
        for src, sp in spec.items():
            base = np.flatnonzero(sp["present"] & (rng.random(n) < sp["p"]))
            dup = base[rng.random(len(base)) < sp["dup"]]
            r = np.concatenate([base, dup])
            m = len(r)
            if m == 0:  # a tiny generation may leave a silo empty
                out[src] = pd.DataFrame({col: pd.Series(dtype=str) for col in TABLES[src].column_names})
                continue
            c = cust.iloc[r]
            name = _people.render_name(c["sur"].to_numpy(), c["g1"].to_numpy(), c["g2"].to_numpy(),
                                       traditional=rng.random(m) < sp["trad"], typo=rng.random(m) < sp["typo"])
            phone_src = np.where(changed_phone[r] & (rng.random(m) < 0.6), old_phone[r], c["phone"].to_numpy())
            phone = _people.format_phones(phone_src, rng, sp["styles"])
            phone = np.where(rng.random(m) < sp["phone_missing"], "", phone)
            email = c["email"].to_numpy().astype(str)
            email = np.where(rng.random(m) < 0.25, np.char.upper(email), email)
            email = np.where(rng.random(m) < sp["email"], email, "")
            idn = c["id_number"].to_numpy().astype(str)
            typo_id = rng.random(m) < 0.03
            idn = np.where(typo_id, np.char.add(idn.astype("U17"), rng.integers(0, 10, m).astype(str)), idn)
            idn = np.where(rng.random(m) < sp["idn"], idn, "")
            city = np.where(moved[r] & (rng.random(m) < 0.7), old_city[r], c["city"].to_numpy())
            city = np.where(rng.random(m) < 0.05, "", city)
            # The record was created at sign-up, or later when the customer first used that channel.
            when = np.minimum(c["signup"].to_numpy() + np.where(signup[r] == {"store_members": "store", "web_accounts": "web",
                              "callcentre_contacts": "callcentre"}[src], 0, rng.exponential(60, m)), self.clock.n_days - 0.01)
            when = np.where(np.arange(m) >= len(base), np.minimum(when + rng.exponential(200, m), self.clock.n_days - 0.01), when)
            order = np.argsort(when, kind="stable")
            r, when, name, phone, email, idn, city = (x[order] for x in (r, when, name, phone, email, idn, city))
            ts = to_timestamps(when)
            if src == "store_members":
                ids = _ids("M", counters.take(src, m), 7)
                frame = pd.DataFrame({"member_id": ids, "store_id": cust["home_store"].to_numpy()[r], "name": name,
                                      "phone": phone, "id_number": idn, "email": email, "city": city,
                                      "joined_date": pd.to_datetime(ts.astype("datetime64[D]"))})
            elif src == "web_accounts":
                ids = _ids("W", counters.take(src, m), 7)
                real_name = np.where(rng.random(m) < 0.35, "", name)
                frame = pd.DataFrame({"account_id": ids, "username": cust["handle"].to_numpy()[r], "real_name": real_name,
                                      "email": np.where(email == "", cust["email"].to_numpy()[r], email), "phone": phone,
                                      "city": city, "created_ts": ts})
            else:
                ids = _ids("K", counters.take(src, m), 7)
                d = pd.DatetimeIndex(ts)
                # The call-centre system writes dates as YYYY/M/D.
                slash = _people.join_text(d.year.astype(str), "/", d.month.astype(str), "/", d.day.astype(str))
                frame = pd.DataFrame({"contact_id": ids, "caller_name": name, "phone": phone, "id_number": idn, "city": city,
                                      "first_call_date": slash})
            out[src] = frame[TABLES[src].column_names]
            ident.append(pd.DataFrame({"source": src, "record_id": ids, "customer_id": cust["customer_id"].to_numpy()[r]}))
        return out, pd.concat(ident, ignore_index=True)

    def _membership(self, cust, orders, lines):
        end = self.clock.n_days
        recent = orders[(orders["status"] == "completed") & (orders["t"] >= end - 365)]
        net = lines.groupby("order_pos")["net_amount"].sum().reindex(recent.index).to_numpy()
        spend = pd.Series(net).groupby(recent["row"].to_numpy()).sum().reindex(np.arange(len(cust)), fill_value=0).to_numpy()
        cust["membership_tier"] = np.select([spend >= 10000, spend >= 4000, spend >= 1500], ["diamond", "gold", "silver"], "standard")
        cust["signup_ts"] = to_timestamps(cust["signup"].to_numpy())
        return cust

    def _customer_truth(self, cust):
        def ts(col):
            v = cust[col].to_numpy()
            return pd.to_datetime(np.where(np.isnan(v), np.datetime64("NaT"), to_timestamps(np.nan_to_num(v))))
        return pd.DataFrame({
            "customer_id": cust["customer_id"], "segment": cust["segment"],
            "purchase_rate": cust["purchase_rate"].round(6), "dropout_prob": cust["dropout_prob"].round(6),
            "mean_spend": cust["mean_spend"].round(2), "satisfaction_level": cust["satisfaction_level"],
            "loyalty_type": cust["loyalty_type"], "attitude_high": cust["attitude_high"],
            "first_purchase_ts": ts("first"), "failure_ts": ts("failure"), "complained": cust["complained"],
            "left_after_failure": cust["left_after_failure"], "dropout_ts": ts("dropout"),
        })


# ---------------------------------------------------------------- writing

class _Writer:
    """Streams tables to UTF-8-with-BOM CSV files (Excel opens them correctly on Chinese Windows)."""

    def __init__(self, out: Path):
        self.out = out
        self.files = {}
        self.paths = {}

    def write(self, name, frame):
        table = TABLES[name]
        if name not in self.files:
            path = self.out / table.folder / f"{name}.csv"
            self.paths[name] = path
            self.files[name] = open(path, "w", encoding="utf-8-sig", newline="")
            header = True
        else:
            header = False
        _format(frame, table).to_csv(self.files[name], index=False, header=header, lineterminator="\n")

    def close(self):
        for f in self.files.values():
            f.close()


def _format(frame, table):
    """Render each column as text by its kind in the data dictionary, so bytes never depend on dtype quirks."""
    out = {}
    for col in table.columns:
        v = frame[col.name]
        if col.kind == "datetime":
            out[col.name] = pd.to_datetime(v).dt.strftime("%Y-%m-%d %H:%M:%S").fillna("")
        elif col.kind == "date":
            out[col.name] = pd.to_datetime(v).dt.strftime("%Y-%m-%d").fillna("") if v.dtype.kind == "M" else v
        elif col.kind == "bool":
            out[col.name] = v.astype("boolean").map({True: "True", False: "False"}).astype(object).fillna("")
        elif col.kind == "float":
            out[col.name] = v.astype(float).map(lambda x: "" if x != x else repr(x))  # NaN -> empty cell
        else:
            out[col.name] = v
    return pd.DataFrame(out)
