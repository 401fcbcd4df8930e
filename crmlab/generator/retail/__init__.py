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

Each block of customers is simulated step by step, one private module per
step, in this order (the random draws depend on it): ``_customers``,
``_purchases`` (purchase occasions, service failures), ``_campaign`` (the
coupon experiment), ``_orders`` (orders and their lines), ``_complaints``,
``_interactions``, ``_survey``, ``_silos`` (the three identification
systems). ``_company`` holds what every block shares: the planted
parameters, the calendar (``_calendar``), stores, products and campaigns;
``_people`` makes the names, phone numbers and ID numbers.

Examples
--------
>>> from crmlab.generator import generate
>>> paths = generate("my_data", n_customers=2000, student_id="2025012345")  # doctest: +SKIP
"""
from __future__ import annotations

import copy
import json
from pathlib import Path

import numpy as np
import pandas as pd

from crmlab.datasets import schema
from crmlab.datasets.schema import TABLES
from crmlab.generator._shared import ParquetWriter, Writer, prepare_run, root_seed
from crmlab.generator.retail._calendar import END, START
from crmlab.generator.retail._campaign import EXPERIMENT_ID, assignment_table, run_experiment
from crmlab.generator.retail._company import Company
from crmlab.generator.retail._complaints import draw_complaints
from crmlab.generator.retail._customers import add_membership, customer_truth, draw_customers
from crmlab.generator.retail._estimands import combine, complaint_parts, servqual_parts, spend_parts
from crmlab.generator.retail._interactions import draw_interactions
from crmlab.generator.retail._orders import draw_orders
from crmlab.generator.retail._purchases import draw_occasions, plant_failures
from crmlab.generator.retail._silos import draw_silos
from crmlab.generator.retail._survey import draw_survey
from crmlab.validation import require_option

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


# ---------------------------------------------------------------- public API

def generate(out_dir, *, n_customers: int = DEFAULT_CUSTOMERS, seed: int = DEFAULT_SEED,
             student_id: str | None = None, file_format: str = "csv", tables=None,
             progress: bool = False) -> dict[str, Path]:
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
    file_format : {"csv", "parquet"}, default "csv"
        ``"parquet"`` writes each table as a folder of Parquet files, one
        per block of 50 000 customers (``retail/orders/part-00000.parquet``,
        ...), typed as the loaders type the CSV: the format for data larger
        than memory, which :mod:`crmlab.engines` reads in place. The rows are
        the CSV's, value for value.
    tables : list of str, optional
        Write only these tables (default: all). The simulation stops after
        the last step they need, so for ``["customers", "orders",
        "order_lines", "products", "stores"]`` it skips complaints, contacts,
        the survey and the silos (about half the time); the rows written are
        the same as in a full run. The truth file then holds the planted
        parameters and what these tables can show.
    progress : bool, default False
        Show a progress bar over the customers (a widget in Jupyter, text in
        a terminal); for large sizes.

    Returns
    -------
    dict of str to Path
        Path of every file (CSV) or folder (Parquet) written, by table name (and ``"truth"``).

    Examples
    --------
    >>> import tempfile
    >>> from crmlab.generator import generate
    >>> paths = generate(tempfile.mkdtemp(), n_customers=300, seed=1)
    >>> sorted(paths)[:3]
    ['callcentre_contacts', 'campaign_assignment', 'campaigns']
    >>> paths = generate(tempfile.mkdtemp(), n_customers=300, seed=1, file_format="parquet",
    ...                  tables=["customers", "orders", "order_lines"])
    >>> sorted(p.name for p in paths["orders"].iterdir())
    ['part-00000.parquet']
    """
    out = prepare_run(out_dir, ("retail", "retail_truth"), size=("n_customers", n_customers), seed=seed,
                      student_id=student_id, example="generate('my_data') or `crmlab data generate --out my_data`")

    from tqdm.auto import tqdm  # imported here: only a run draws a bar, and tqdm.auto pulls in the widgets

    require_option(file_format, ("csv", "parquet"), name="file_format")
    retail = [name for name, table in TABLES.items() if table.folder in ("retail", "retail_truth")]
    wanted = retail if tables is None else [tables] if isinstance(tables, str) else list(tables)
    for name in wanted:
        require_option(name, retail, name="table")
    params = _variant_parameters(seed, student_id)
    root = root_seed(seed, student_id)
    company = Company(params, root)
    writer = (Writer if file_format == "csv" else ParquetWriter)(out)
    bar = tqdm(total=n_customers, unit=" customers", disable=not progress, desc="generate")
    try:
        for name, frame in (("stores", company.stores), ("products", company.products.drop(columns=["margin"])),
                            ("campaigns", company.campaigns)):
            if name in wanted:
                writer.write(name, frame)
        counters = _Counters()
        experiment, estimands = [], []
        for start in range(0, n_customers, BLOCK):
            size = min(BLOCK, n_customers - start)
            rng = np.random.default_rng(np.random.SeedSequence(root, spawn_key=(1, start // BLOCK)))
            block, exp_truth, parts = _simulate_block(company, rng, start, size, counters, wanted)
            experiment.append(exp_truth)
            estimands.append(parts)
            for name, frame in block.items():
                if name in wanted:
                    writer.write(name, frame)
            bar.update(size)
    finally:
        writer.close()
        bar.close()
    truth = _truth_summary(params, seed, student_id, n_customers, experiment, combine(estimands))
    if tables is not None:
        truth["tables"] = wanted
    truth_path = out / "retail_truth" / "truth.json"
    truth_path.write_text(json.dumps(truth, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return {**writer.paths, "truth": truth_path}


def company_folder(*, n_customers: int, seed: int = DEFAULT_SEED, student_id: str | None = None,
                   file_format: str = "parquet", tables=None, progress: bool = False, cache_dir=None) -> Path:
    """A folder holding the generated company, written on the first call and found again on the next.

    Large sizes take minutes to write (100 million order lines: about ten), and the same
    arguments give the same files, so a notebook or a benchmark asks for the company here
    instead of writing it each time. The folder's name carries the arguments and a digest of
    the generator's code and data dictionary: a changed generator writes a new folder. A
    second process asking for the same company while the first writes it waits for it.

    Parameters
    ----------
    n_customers, seed, student_id, file_format, tables, progress
        As in :func:`generate`.
    cache_dir : str or Path, optional
        Where the folders are kept; default ``crmlab-cache`` in the system's temporary folder.

    Returns
    -------
    Path
        The folder to read (``data_dir=`` of the loaders, or of :mod:`crmlab.engines`).

    Examples
    --------
    >>> import tempfile
    >>> cache = tempfile.mkdtemp()
    >>> first = company_folder(n_customers=300, tables=["orders"], cache_dir=cache)
    >>> company_folder(n_customers=300, tables=["orders"], cache_dir=cache) == first   # found, not written again
    True
    >>> sorted(p.name for p in (first / "retail").iterdir())
    ['orders']
    """
    import hashlib
    import os
    import shutil
    import tempfile

    code = hashlib.sha256()
    for path in sorted([*Path(__file__).parent.parent.rglob("*.py"),
                        *Path(schema.__file__).with_name("dictionary").glob("*.csv")]):
        code.update(path.read_bytes())
    wanted = None if tables is None else sorted([tables] if isinstance(tables, str) else tables)
    key = hashlib.sha256(repr((n_customers, seed, student_id, file_format, wanted)).encode()).hexdigest()[:10]
    cache = Path(cache_dir) if cache_dir is not None else Path(tempfile.gettempdir()) / "crmlab-cache"
    folder = cache / f"retail-{file_format}-{n_customers}-{key}-{code.hexdigest()[:10]}"
    cache.mkdir(parents=True, exist_ok=True)
    with open(cache / f"{folder.name}.lock", "w") as lock:
        try:
            import fcntl

            fcntl.flock(lock, fcntl.LOCK_EX)  # another process writing the same company: wait for it
        except ImportError:  # Windows: no lock; a second writer's copy is simply not kept
            pass
        if not folder.exists():
            partial = Path(tempfile.mkdtemp(prefix=f"{folder.name}.", dir=cache))
            try:
                generate(partial, n_customers=n_customers, seed=seed, student_id=student_id,
                         file_format=file_format, tables=tables, progress=progress)
                os.replace(partial, folder)  # whole or not at all: an interrupted run leaves no folder
            finally:
                shutil.rmtree(partial, ignore_errors=True)
    return folder


# ---------------------------------------------------------------- one block, parameters, keys

# The tables the simulation writes once orders and lines are drawn; what follows them (complaints,
# contacts, survey, silos) draws after them, so stopping there changes none of their rows.
_ORDERS_STEP = ("customers", "orders", "order_lines", "customer_truth", "stores", "products", "campaigns")


def _simulate_block(company, rng, offset, n, counters, wanted):
    """Customers ``offset`` .. ``offset + n - 1`` and everything they did: the tables, and the
    experiment's potential outcomes for the truth file."""
    cust = draw_customers(company, rng, offset, n)
    occ = draw_occasions(company, rng, cust)
    occ, cust = plant_failures(company, rng, occ, cust)
    occ, exp_truth = run_experiment(company, rng, occ, cust)
    orders, lines = draw_orders(company, rng, occ, cust, counters)
    if set(wanted) <= set(_ORDERS_STEP):
        cust = add_membership(company, cust, orders, lines)
        tables = {"customers": cust[TABLES["customers"].column_names],
                  "orders": orders[TABLES["orders"].column_names],
                  "order_lines": lines[TABLES["order_lines"].column_names],
                  "customer_truth": customer_truth(cust)}
        return tables, exp_truth[["effect_response", "effect_revenue"]], spend_parts(cust, company.params["segments"])
    complaints = draw_complaints(company, rng, cust, orders, counters)
    assignment = assignment_table(company, exp_truth, orders, lines, cust["customer_id"].to_numpy())
    interactions = draw_interactions(company, rng, cust, occ, orders, complaints, assignment, counters)
    survey, level_shift = draw_survey(company, rng, cust, counters)
    silos, identity = draw_silos(company, rng, cust, orders, interactions, counters)
    cust = add_membership(company, cust, orders, lines)
    tables = {
        "customers": cust[TABLES["customers"].column_names],
        "orders": orders[TABLES["orders"].column_names],
        "order_lines": lines[TABLES["order_lines"].column_names],
        "interactions": interactions[TABLES["interactions"].column_names],
        "complaints": complaints[TABLES["complaints"].column_names],
        "survey": survey,
        "campaign_assignment": assignment[TABLES["campaign_assignment"].column_names],
        **silos,
        "customer_truth": customer_truth(cust),
        "identity_map": identity,
    }
    estimands = {**complaint_parts(company, cust, complaints, exp_truth),
                 **servqual_parts(company.params["survey"]["gap"], level_shift),
                 **spend_parts(cust, company.params["segments"])}
    return tables, exp_truth[["effect_response", "effect_revenue"]], estimands


def _variant_parameters(seed: int, student_id: str | None) -> dict:
    """The planted parameters; a student variant scales each number by a factor in [0.85, 1.15]."""
    params = copy.deepcopy(PARAMETERS)
    if student_id is None:
        return params
    rng = np.random.default_rng(np.random.SeedSequence(root_seed(seed, student_id), spawn_key=(0,)))

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


def _truth_summary(params, seed, student_id, n_customers, experiment, estimands) -> dict:
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
        # What the notebooks' analyses estimate, given the customers drawn (see _estimands.py):
        # the parameters above are the generator's inputs, these are what the data can show.
        "estimands": estimands,
    }


class _Counters:
    """Running numbers for keys, so that ids stay unique across blocks."""

    def __init__(self):
        self.n = {}

    def take(self, name, k):
        first = self.n.get(name, 0)
        self.n[name] = first + k
        return np.arange(first + 1, first + k + 1)

