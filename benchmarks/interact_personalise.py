"""Benchmark: the chapter 5-6 analyses (touchpoints, campaign, complaints, needs, rules, next best offer).

    python benchmarks/interact_personalise.py [--customers 200000] [--data FOLDER]

Generates the sample company with ``--customers`` members into a temporary
folder (or reads one written before, ``--data``), then times each analysis
of chapters 5 and 6 on it: ``channel_summary`` and ``contact_fatigue`` on
the contact log, ``campaign_uplift`` of the experiment, ``complaint_share``
and ``complaint_retention``, ``purchase_lines`` and ``needs_profile``,
``association_rules`` over orders and over customers (product level), and
``evaluate_recommenders`` (popularity and co-purchase, k = 5). Prints the
time of each step and the peak memory (resident set size) of the process.
"""
import argparse
import platform
import tempfile
import time

from _measure import peak_rss_mb  # benchmarks/_measure.py, beside this script
from crmlab.campaigns import campaign_uplift
from crmlab.complaints import complaint_retention, complaint_share
from crmlab.datasets import load_data
from crmlab.generator import generate
from crmlab.needs import needs_profile, purchase_lines
from crmlab.recommend import association_rules, evaluate_recommenders
from crmlab.touchpoints import channel_summary, contact_fatigue
from crmlab.transactions import purchases


def timed(label, func, *args, **kwargs):
    start = time.perf_counter()
    out = func(*args, **kwargs)
    print(f"{label:<44} {time.perf_counter() - start:7.2f} s   peak so far {peak_rss_mb():6.0f} MB")
    return out


def run(folder: str) -> None:
    load = {name: load_data(name, data_dir=folder) for name in
            ("orders", "order_lines", "products", "interactions", "campaigns", "campaign_assignment", "complaints",
             "customer_truth")}
    print(f"loaded: {len(load['orders']):,} orders, {len(load['order_lines']):,} lines, "
          f"{len(load['interactions']):,} contacts   peak so far {peak_rss_mb():.0f} MB")
    contacts, campaigns = load["interactions"], load["campaigns"]
    waves = contacts[contacts["campaign_id"].isin(campaigns.loc[~campaigns["is_experiment"], "campaign_id"])]
    timed("channel_summary (channel x initiator)", channel_summary, contacts, verbose=False)
    timed("contact_fatigue (by channel)", contact_fatigue, waves, verbose=False)
    timed("campaign_uplift (X2509)", campaign_uplift, load["campaign_assignment"], verbose=False)
    truth = load["customer_truth"]
    unhappy = truth.loc[truth["failure_ts"].notna(), ["customer_id", "failure_ts"]].rename(columns={"failure_ts": "since"})
    timed("complaint_share", complaint_share, load["complaints"], unhappy, verbose=False)
    bought = purchases(load["orders"], load["order_lines"], returns="zero", verbose=False)
    timed("complaint_retention", complaint_retention, load["complaints"], bought, unhappy=unhappy, verbose=False)
    lines = timed("purchase_lines", purchase_lines, load["orders"], load["order_lines"], load["products"], verbose=False)
    timed("needs_profile", needs_profile, lines, verbose=False)
    timed("association_rules (orders, product_id)", association_rules, lines, item_col="product_id", verbose=False)
    timed("association_rules (customers, product_id)", association_rules, lines, basket_col="customer_id",
          item_col="product_id", verbose=False)
    timed("evaluate_recommenders (k = 5)", evaluate_recommenders, lines, split="2025-07-01", verbose=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=200_000)
    parser.add_argument("--data", help="a folder written by crmlab.generator.generate (skips generating)")
    args = parser.parse_args()
    print(f"machine: {platform.machine()}, {platform.python_implementation()} {platform.python_version()}")
    if args.data:
        run(args.data)
        return
    with tempfile.TemporaryDirectory() as folder:
        start = time.perf_counter()
        generate(folder, n_customers=args.customers)
        print(f"generated {args.customers:,} customers in {time.perf_counter() - start:.1f} s")
        run(folder)
    print(f"peak memory: {peak_rss_mb():.0f} MB")


if __name__ == "__main__":
    main()
