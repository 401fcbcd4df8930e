"""Chapter 6 exercises (客户个性化): needs profiles, association rules, next best offer, customisation.

The questions follow the chapter notebook (``notebooks/06_personalise.ipynb``):
the purchase lines (:func:`crmlab.needs.purchase_lines`), a needs profile per
customer (:func:`crmlab.needs.needs_profile`) and per segment, what is bought
together (:func:`crmlab.recommend.association_rules`: support, confidence,
lift), a next best offer (:class:`crmlab.recommend.CoPurchaseRecommender`),
a customisation type for a segment (:func:`crmlab.customisation.customisation_types`)
and the means–end chain. Each question is a :class:`crmlab.exercises.core.Question`:
its reference and its typical mistakes are computations on the student's own data.

Examples
--------
>>> [q.id for q in QUESTIONS]
['q1', 'q2', 'q3', 'q4', 'q5', 'q6', 'q7', 'q8']
"""
from __future__ import annotations

import pandas as pd

from crmlab.exercises.core import PERCENT_HINT as PERCENT
from crmlab.exercises.core import SHARED_HINT as SHARED
from crmlab.exercises.core import ExerciseData, Mistake, Question

CHAPTER = "ch06"
END = "2026-01-01"          # the analysis date: the day after the last day of the data
CHANNEL = "store"           # q1: the channel asked about
SEGMENT_BAND = "low"        # q7: the segment, by its preferred price band
MIN_SUPPORT = 0.06          # q4-q5: the named rule is the strongest (by lift) of the rules above it

# The 24 sub-categories of the catalogue (子品类) with an English name, for q6's answer.
SUBCATEGORIES = {
    "袜子": "socks", "衬衫": "shirts", "连衣裙": "dresses", "外套": "coats",
    "洗面奶": "face wash", "口红": "lipstick", "面霜": "face cream", "香水": "perfume",
    "零食": "snacks", "牛奶": "milk", "茶叶": "tea", "坚果礼盒": "nut gift boxes",
    "收纳": "storage", "厨具": "kitchenware", "床品": "bedding", "灯具": "lamps",
    "充电器": "chargers", "耳机": "earphones", "平板": "tablets", "手机": "phones",
    "玩具": "toys", "纸尿裤": "nappies", "童装": "children's clothes", "奶粉": "infant formula",
}

RETURNS = ("returned and cancelled orders are not purchases: start from crmlab.needs.purchase_lines(orders, "
           "order_lines, products), which sets them aside.")


# ------------------------------------------------------------------ the purchase lines and the profile

def _lines(data: ExerciseData, *, returns_removed: bool = True) -> pd.DataFrame:
    """The purchase lines; ``returns_removed=False`` is the mistake: every order counted as completed."""
    def compute():
        from crmlab.needs import purchase_lines
        orders = data.table("orders")
        if not returns_removed:
            orders = orders.assign(status="completed")
        return purchase_lines(orders, data.table("order_lines"), data.table("products"), verbose=False)
    return data.memo(("lines", returns_removed), compute)


def _profile(data: ExerciseData, *, returns_removed: bool = True) -> pd.DataFrame:
    def compute():
        from crmlab.needs import needs_profile
        return needs_profile(_lines(data, returns_removed=returns_removed), end=END, verbose=False)
    return data.memo(("profile", returns_removed), compute)


# ------------------------------------------------------------------ q1: preferred channel

def _channel_share(data, returns_removed=True, members=False):
    profile = _profile(data, returns_removed=returns_removed)
    customers = len(data.table("customers")) if members else len(profile)
    return float((profile["top_channel"] == CHANNEL).sum() / customers)


# ------------------------------------------------------------------ q2: one customer's needs profile

def _spend_table(data, paid=True, returns_removed=True) -> pd.DataFrame:
    """Customer x category: what was paid (net_amount) or, the mistake, quantity x unit_price."""
    def compute():
        lines = _lines(data, returns_removed=returns_removed)
        amount = lines["net_amount"] if paid else lines["quantity"] * lines["unit_price"]
        table = amount.groupby([lines["customer_id"], lines["category"]]).sum().unstack(fill_value=0.0)
        categories = sorted(data.table("products")["category"].unique())
        return table.reindex(columns=categories, fill_value=0.0).astype(float)
    return data.memo(("spend", paid, returns_removed), compute)


def profile_customer(data: ExerciseData) -> str:
    """The customer q2 asks about: the first (by id) who bought in all six categories and whose
    spending changes visibly when returns are kept or list prices are summed instead of what was paid.

    Examples
    --------
    >>> profile_customer(ExerciseData(None)).startswith("C")
    True
    """
    def compute():
        right = _spend_table(data)
        gross = _spend_table(data, paid=False).reindex(right.index)
        kept = _spend_table(data, returns_removed=False).reindex(right.index)
        apart = 2.0     # CNY, well beyond the tolerance, so each mistake is recognised
        ok = ((right > 0).all(axis=1)
              & ((right - kept).abs().max(axis=1) > apart)
              & ((right - gross).abs().max(axis=1) > apart)
              & ((kept - gross).abs().max(axis=1) > apart))
        return str(sorted(right.index[ok])[0])
    return data.memo("profile_customer", compute)


def _customer_spend(data, paid=True, returns_removed=True) -> pd.Series:
    row = _spend_table(data, paid, returns_removed).loc[profile_customer(data)]
    return row.rename(None).rename_axis(None)


# ------------------------------------------------------------------ q3: needs by segment

def _classes(data) -> pd.Series:
    def compute():
        from crmlab.rfm import rfm_classes, rfm_from_orders
        rfm = rfm_from_orders(data.table("orders"), data.table("order_lines"), as_of=END, verbose=False)
        return rfm_classes(rfm)["rfm_class"]
    return data.memo("classes", compute)


def _days_between(data, returns_removed=True, weeks=False) -> pd.Series:
    """How often (需求频率) each RFM class buys: needs_summary's mean days between purchases."""
    from crmlab.needs import needs_summary
    profile = _profile(data, returns_removed=returns_removed).join(_classes(data))
    days = needs_summary(profile, by="rfm_class", verbose=False)["days_between"]
    days = days.set_axis(days.index.astype(str)).astype(float)
    return days / 7 if weeks else days


# ------------------------------------------------------------------ q4-q5: one association rule

def _rules(data, basket="customer_id", returns_removed=True) -> pd.DataFrame:
    def compute():
        from crmlab.recommend import association_rules
        return association_rules(_lines(data, returns_removed=returns_removed), basket_col=basket,
                                 item_col="subcategory", verbose=False)
    return data.memo(("rules", basket, returns_removed), compute)


def named_rule(data: ExerciseData) -> tuple:
    """The rule q4-q5 ask about: among the rules between sub-categories with customers as baskets and a
    support of at least 0.06, the pair with the highest lift, read in the direction of the higher
    confidence.

    Examples
    --------
    >>> a, b = named_rule(ExerciseData(None))
    >>> a != b
    True
    """
    def compute():
        rules = _rules(data)
        strong = rules[rules["support"] >= MIN_SUPPORT]
        best = strong.sort_values(["lift", "confidence"], ascending=False, kind="stable").iloc[0]
        return str(best["antecedent"]), str(best["consequent"])
    return data.memo("named_rule", compute)


def _rule(data, measure, basket="customer_id", returns_removed=True, reverse=False) -> float:
    a, b = named_rule(data)
    if reverse:
        a, b = b, a
    rules = _rules(data, basket, returns_removed).set_index(["antecedent", "consequent"])
    return float(rules.loc[(a, b), measure])


def _rule_text(data) -> str:
    a, b = named_rule(data)
    return f"The rule: {a} ({SUBCATEGORIES.get(a, a)}) → {b} ({SUBCATEGORIES.get(b, b)})"


# ------------------------------------------------------------------ q6: next best offer

def _offers(data, model="co-purchase", exclude_bought=True) -> pd.Series:
    """The top sub-category offered to each customer, from a model fitted on all purchase lines."""
    def compute():
        from crmlab.recommend import CoPurchaseRecommender, PopularityRecommender
        lines = _lines(data)
        maker = CoPurchaseRecommender if model == "co-purchase" else PopularityRecommender
        fitted = maker(item_col="subcategory", verbose=False).fit(lines)
        offers = fitted.recommend(lines, k=1, exclude_bought=exclude_bought)
        return offers.set_index("customer_id")["subcategory"].astype(str)
    return data.memo(("offers", model, exclude_bought), compute)


def offer_customer(data: ExerciseData) -> str:
    """The customer q6 asks about: the first (by id) with at least 3 purchases for whom the next best
    offer, the best-scored item including those already bought and the most popular new item all differ.

    Examples
    --------
    >>> offer_customer(ExerciseData(None)).startswith("C")
    True
    """
    def compute():
        right, bought, popular = _offers(data), _offers(data, exclude_bought=False), _offers(data, "popularity")
        frequent = _profile(data).index[_profile(data)["purchases"] >= 3]
        table = pd.DataFrame({"right": right, "bought": bought, "popular": popular}).reindex(frequent).dropna()
        ok = ((table["right"] != table["bought"]) & (table["right"] != table["popular"])
              & (table["bought"] != table["popular"]))
        return str(sorted(table.index[ok])[0])
    return data.memo("offer_customer", compute)


def _offer(data, model="co-purchase", exclude_bought=True) -> str:
    return str(_offers(data, model, exclude_bought).loc[offer_customer(data)])


def _subcategory_choices() -> dict:
    out = {}
    for zh, en in SUBCATEGORIES.items():
        out.update({zh: zh, en: zh})
    return out


# ------------------------------------------------------------------ q7: decide the customisation type

def _customisation(data, centre="mean", swapped=False) -> str:
    from crmlab.customisation import customisation_types
    profile = _profile(data)
    segment = profile[profile["top_price_band"] == SEGMENT_BAND]
    point = (lambda s: s.mean()) if centre == "mean" else (lambda s: s.median())
    product = bool(segment["spend_per_purchase"].mean() >= point(profile["spend_per_purchase"]))
    presentation = bool(segment["purchases"].mean() < point(profile["purchases"]))
    if swapped:      # the mistake: the two questions of the comparison exchanged
        product, presentation = presentation, product
    types = customisation_types()
    found = types[(types["changes_product"] == product) & (types["changes_presentation"] == presentation)]
    return str(found.index[0])


def _type_choices() -> dict:
    from crmlab.customisation import CUSTOMISATION_TYPES
    out = {}
    for key, en, zh, *_ in CUSTOMISATION_TYPES:
        out.update({key: key, en: key, zh: key, zh + "定制": key})
    return out


# ------------------------------------------------------------------ the questions

BASKETS_ARE_CUSTOMERS = ("here a basket is all the purchases of one customer (basket_col='customer_id'), "
                         "not one order.")

QUESTIONS = (
    Question("q1", "number", 1,
             f"Needs profile (客户需求画像): build the purchase lines, `lines = purchase_lines(orders, order_lines, "
             f"products)` (crmlab.needs; it sets returned and cancelled orders aside), and the profile, "
             f"`profile = needs_profile(lines, end='{END}')`. Among the customers in the profile (everyone who "
             f"bought), what share has the store (门店, top_channel == '{CHANNEL}') as their preferred channel "
             f"(需求地点)? Give a fraction.",
             _channel_share, tolerance=0.0005,
             mistakes=(Mistake("percent", lambda d: 100 * _channel_share(d), PERCENT, tolerance=0.05),
                       Mistake("returns", lambda d: _channel_share(d, returns_removed=False), RETURNS),
                       Mistake("members", lambda d: _channel_share(d, members=True),
                               "count the share among the customers in the profile (those who bought), "
                               "not among all members of `customers`."),
                       Mistake("shared", lambda d: _channel_share(d.shared()), SHARED)),
             answer_hint="A fraction between 0 and 1, to 3 decimals (e.g. 0.123)."),
    Question("q2", "table", 2,
             "What (需求内容) does the customer named by `show('q2')` spend their money on? From the same purchase "
             "lines, give for each of the six categories (the `category` column: apparel, baby, beauty, "
             "electronics, food, home) the customer's revenue in CNY: the sum of `net_amount`, what the customer "
             "paid (0 for a category the customer never bought).",
             _customer_spend, tolerance=0.5, detail=lambda d: f"The customer: {profile_customer(d)}",
             mistakes=(Mistake("gross", lambda d: _customer_spend(d, paid=False),
                               "revenue is what the customer paid, net_amount (after the discount), not "
                               "quantity x unit_price."),
                       Mistake("returns", lambda d: _customer_spend(d, returns_removed=False), RETURNS)),
             partial=True, answer_hint="One row per category (its English key), the amount in CNY, e.g. "
                         "{'apparel': 123.4, ...}."),
    Question("q3", "table", 2,
             f"Needs by segment (细分群体的需求): how often (需求频率) does each RFM class buy? Take the classes of "
             f"chapter 4, `rfm_classes(rfm_from_orders(orders, order_lines, as_of='{END}'))` (split at the mean, "
             f"the default), join their `rfm_class` to q1's profile and run `needs_summary(..., by='rfm_class')`. "
             f"Give its `days_between` for each class: the mean number of days between purchases (over the "
             f"class's customers with at least two purchases).",
             _days_between, tolerance=0.5,
             mistakes=(Mistake("weeks", lambda d: _days_between(d, weeks=True),
                               "give the interval in days, not weeks."),
                       Mistake("returns", lambda d: _days_between(d, returns_removed=False), RETURNS),
                       Mistake("shared", lambda d: _days_between(d.shared()), SHARED)),
             partial=True, answer_hint="One row per class key (e.g. 'important_value'), the number of days to 1 decimal."),
    Question("q4", "number", 1,
             "What is bought together (关联规则)? Run `association_rules(lines, basket_col='customer_id', "
             "item_col='subcategory')` (crmlab.recommend): a basket is all the purchases of one customer, an item "
             "a sub-category (子品类). With N baskets, support (支持度) = baskets holding both / N, and confidence "
             "(置信度) of A → B = baskets holding both / baskets holding A. What is the confidence of the rule "
             "named by `show('q4')` (antecedent → consequent)? Give a fraction.",
             lambda d: _rule(d, "confidence"), tolerance=0.0005, detail=_rule_text,
             mistakes=(Mistake("direction", lambda d: _rule(d, "confidence", reverse=True),
                               "that is the confidence of the rule read the other way (consequent → "
                               "antecedent): confidence divides by the baskets holding the antecedent."),
                       Mistake("support", lambda d: _rule(d, "support"),
                               "that is the support (both / all baskets); confidence divides by the baskets "
                               "holding the antecedent."),
                       Mistake("percent", lambda d: 100 * _rule(d, "confidence"), PERCENT, tolerance=0.05),
                       Mistake("orders", lambda d: _rule(d, "confidence", basket="order_id"),
                               BASKETS_ARE_CUSTOMERS),
                       Mistake("returns", lambda d: _rule(d, "confidence", returns_removed=False), RETURNS),
                       Mistake("shared", lambda d: _rule(d.shared(), "confidence"), SHARED)),
             answer_hint="A fraction between 0 and 1, to 3 decimals (e.g. 0.123)."),
    Question("q5", "number", 1,
             "What is the lift (提升度) of the same rule (`show('q5')`), with the same baskets and items as in q4? "
             "Lift = confidence / the share of baskets holding the consequent.",
             lambda d: _rule(d, "lift"), tolerance=0.0005, detail=_rule_text,
             mistakes=(Mistake("orders", lambda d: _rule(d, "lift", basket="order_id"), BASKETS_ARE_CUSTOMERS),
                       Mistake("returns", lambda d: _rule(d, "lift", returns_removed=False), RETURNS),
                       Mistake("shared", lambda d: _rule(d.shared(), "lift"), SHARED)),
             answer_hint="A positive number, to 3 decimals (e.g. 1.234)."),
    Question("q6", "choice", 2,
             "Next best offer (下一个最佳推荐): fit `CoPurchaseRecommender(item_col='subcategory')` on all the "
             "purchase lines and ask it for one offer (`recommend(history, k=1)`, where history is the lines of "
             "the customer named by `show('q6')`). Which sub-category should the company offer this customer "
             "next?",
             _offer, choices=_subcategory_choices(), detail=lambda d: f"The customer: {offer_customer(d)}",
             mistakes=(Mistake("already_bought", lambda d: _offer(d, exclude_bought=False),
                               "the customer has bought that sub-category already: a next offer is something "
                               "new to them (exclude_bought=True, the default)."),
                       Mistake("popular", lambda d: _offer(d, "popularity"),
                               "that is the best-seller the customer has not bought (the popularity baseline); "
                               "the co-purchase model scores items by the rules from what this customer "
                               "bought.")),
             answer_hint="A sub-category as in the `subcategory` column of `products` (e.g. '口红'), or its "
                         "English name (e.g. 'lipstick')."),
    Question("q7", "choice", 2,
             f"Decide: the company wants to customise (定制) its offer for the customers whose preferred price band "
             f"is low (top_price_band == '{SEGMENT_BAND}' in q1's profile). Use Gilmore and Pine's comparison "
             f"(`customisation_types()`: does the product change, does its presentation change?) with this rule: "
             f"change the product (changes_product) if the segment is worth it — its customers' mean "
             f"spend_per_purchase is at or above the mean over all customers in the profile; change the "
             f"presentation (changes_presentation) if the company knows the segment too little to tailor from "
             f"behaviour alone — its customers' mean `purchases` (the profile's column: all their purchases, not "
             f"purchases_last_12m) is below the mean over all customers in "
             f"the profile. Which of the four types (规模定制方式) fits this segment?",
             _customisation, choices=_type_choices(),
             mistakes=(Mistake("swapped", lambda d: _customisation(d, swapped=True),
                               "check the two questions again: value decides whether the product changes, "
                               "too little history whether the presentation changes (customisation_types() "
                               "has one column for each)."),
                       Mistake("median", lambda d: _customisation(d, centre="median"),
                               "the rule compares the segment with the mean over all customers, not the "
                               "median.")),
             answer_hint="One of the four types: its key (e.g. 'adaptive'), English or Chinese name (适应性 ...)."),
    Question("q8", "text", 3,
             "Interpret: the needs profiles and the rule of q4–q5 all come from purchase lines. Using the "
             "means–end chain (目的手段链: attributes 属性和特征 → benefits 利益 → values 价值), say what these data "
             "can and cannot tell about why the customers of the rule buy both sub-categories, and how the company "
             "should find out before it builds a personalised offer on the rule. Answer in a few sentences.",
             None,
             rubric=("purchase lines record the attribute level only (what was bought: category, sub-category, "
                     "price band) and the circumstances (channel, time, payment), not benefits or values",
                     "the same purchases can serve different benefits and values for different customers, so "
                     "the rule says the two go together, not why (a product link or a customer link, e.g. big "
                     "spenders buy dear things everywhere)",
                     "benefits and values must be learned by market research (市场调查): interviews that ask "
                     "'why does that matter to you?' (laddering), focus groups, surveys; the survey's "
                     "main_reason is a reason to buy from the company, not a product benefit",
                     "then test the personalised offer (e.g. a bundle or next best offer) in an experiment "
                     "before rolling it out"),
             answer_hint="Write your answer as text in quotes."),
)
