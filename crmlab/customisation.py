"""The four types of customisation (规模定制方式), mapped to customer segments — a teaching table.

The course calls customisation marketing (定制营销) also one-to-one
marketing (一对一营销): every customer is treated as a potential segment of
one, and the product is designed, made and delivered to that customer's
request. It names four ways to customise at scale (规模定制方式), after
Gilmore and Pine (1997), in the course's own words:

- **adaptive** (适应性): 提供标准的产品，客户可以自己改变 — a standard product
  the customer changes; product changed by the company: no, presentation:
  no; the course's example: 衣服 (clothes);
- **cosmetic** (化妆式): 对不同客户提供不同产品 — a different-looking product
  for each customer; product: no, presentation: yes; the course's example:
  含名字产品 (products bearing the customer's name);
- **collaborative** (合作式): 与客户交谈确定需求 — talk with the customer to
  settle the need; product: yes, presentation: yes; no example in the course;
- **transparent** (透明式): 为每个客户提供定制产品或服务，不必告诉定制本身 —
  customised for each customer without telling them; product: yes,
  presentation: no; no example in the course.

The product / presentation answers are Gilmore and Pine's comparison (the course's
不同定制类型间的比较): does the company change the **product** itself, and
does it change how it is **presented** (packaging, name, message, terms)?

:func:`customisation_types` returns this table with an example for the
sample company; :func:`customisation_by_segment` suggests a type for each
segment of chapter 4 — the 8 RFM classes (:data:`crmlab.rfm.CLASSES`) or
the 11 RFM segments (:data:`crmlab.rfm.SEGMENTS`) — with the reason, and can
add the segment's typical needs from :func:`crmlab.needs.needs_summary` so
the suggestion names what to tailor. The mapping is a reasoned suggestion
for class discussion, not a law: the value of a segment decides how much
customisation it is worth, and its behaviour how the needs can be learned.
"""
from __future__ import annotations

import pandas as pd

from crmlab.rfm import CLASSES, SEGMENTS
from crmlab.validation import CrmlabInputError, require_option

#: key, English, Chinese, product changes, presentation changes, the course's definition (中文),
#: its meaning in English, the course's example (None: the course gives none), an example for the sample company.
CUSTOMISATION_TYPES = (
    ("adaptive", "Adaptive", "适应性", False, False, "提供标准的产品，客户可以自己改变",
     "one standard product that customers change themselves to suit each use", "衣服 clothes",
     "clothes with an adjustable fit; a baby-care subscription the customer re-plans in the app"),
    ("cosmetic", "Cosmetic", "化妆式", False, True, "对不同客户提供不同产品（含名字产品）",
     "the standard product presented differently to each customer: its name, packaging, message",
     "含名字产品 products bearing the customer's name",
     "the customer's name on the gift wrap; the offer sent in the preferred channel at the preferred hour"),
    ("collaborative", "Collaborative", "合作式", True, True, "与客户交谈确定需求",
     "talk with each customer to settle what they need, then make it for them", None,
     "a personal adviser (专属顾问) puts together gift sets and outfits with the customer"),
    ("transparent", "Transparent", "透明式", True, False, "为每个客户提供定制产品或服务，不必告诉定制本身",
     "a product or service customised for each customer, without telling them it is customised", None,
     "next-best-offer in the app and reminders timed to each customer's buying interval"),
)

# Suggested type per segment, with the reason (value decides the effort; behaviour the way to learn).
_BY_CLASS = {
    "important_value": ("collaborative", "top value, recent and frequent: worth a personal dialogue"),
    "important_develop": ("adaptive", "high spend but rare visits: let them fit the offer to more occasions"),
    "important_retain": ("transparent", "a long record of habits but fading: tailor quietly from the history"),
    "important_winback": ("collaborative", "high value gone quiet: ask in person what went wrong"),
    "general_value": ("transparent", "frequent routine buying: predictable from behaviour, cheap to automate"),
    "general_develop": ("cosmetic", "new or one-off, little known: personalise the presentation at low cost"),
    "general_retain": ("transparent", "regular small baskets: automated reminders and offers from the history"),
    "general_winback": ("cosmetic", "low value and lapsed: only the cheapest personal touch"),
}
_BY_SEGMENT = {
    "champions": ("collaborative", "best on all three: worth a personal dialogue"),
    "loyal": ("transparent", "steady habits: tailor quietly from the history"),
    "potential_loyalist": ("adaptive", "recent with average spend: tools to fit the offer to more occasions"),
    "new_customers": ("cosmetic", "too little history yet: a personal welcome and presentation"),
    "promising": ("adaptive", "fairly recent, little spend: let them shape a first bundle"),
    "need_attention": ("cosmetic", "average on all three: personal presentation of limited-time offers"),
    "about_to_sleep": ("transparent", "fading: reactivate with offers chosen from past purchases"),
    "at_risk": ("collaborative", "spent well, long ago: a personal call to learn why"),
    "cant_lose": ("collaborative", "once the best, now silent: win back in person"),
    "hibernating": ("cosmetic", "long ago and little: only a cheap personal touch"),
    "lost": ("cosmetic", "lowest on all: personalised wording at most, no costly effort"),
}
SCHEMES = {"rfm_classes": (CLASSES, _BY_CLASS), "rfm_segments": (SEGMENTS, _BY_SEGMENT)}
#: Columns of :func:`crmlab.needs.needs_summary` that say what to tailor.
NEEDS_COLUMNS = ("top_category", "top_price_band", "top_channel", "top_daypart", "top_payment", "days_between")


def customisation_types() -> pd.DataFrame:
    """The four customisation types (四种定制类型) as a table.

    Returns
    -------
    DataFrame
        Indexed by ``type``, in the course's order: ``type_en``, ``type_zh``,
        ``changes_product``, ``changes_presentation`` (Gilmore and Pine's
        comparison), ``course_zh`` (the course's definition), ``meaning``
        (in English), ``course_example`` (empty where the course gives none)
        and ``example`` (for the sample company).

    Examples
    --------
    >>> customisation_types()["type_zh"].tolist()
    ['适应性', '化妆式', '合作式', '透明式']
    >>> customisation_types().loc["transparent", "course_zh"]
    '为每个客户提供定制产品或服务，不必告诉定制本身'
    """
    return pd.DataFrame(CUSTOMISATION_TYPES, columns=["type", "type_en", "type_zh", "changes_product",
                                                      "changes_presentation", "course_zh", "meaning",
                                                      "course_example", "example"]).set_index("type")


def customisation_by_segment(*, scheme: str = "rfm_classes", needs: pd.DataFrame | None = None) -> pd.DataFrame:
    """A suggested customisation type for each segment of chapter 4, with the reason (定制类型与客户细分).

    Parameters
    ----------
    scheme : {"rfm_classes", "rfm_segments"}, default "rfm_classes"
        The segments: the 8 classes of :func:`crmlab.rfm.rfm_classes` or the
        11 segments of :func:`crmlab.rfm.rfm_segments`.
    needs : DataFrame, optional
        :func:`crmlab.needs.needs_summary` by the same segment column; its
        typical needs (:data:`NEEDS_COLUMNS`) and ``customers`` are added,
        so each row says what to tailor.

    Returns
    -------
    DataFrame
        Indexed by ``segment`` (the scheme's keys, best first):
        ``segment_en``, ``segment_zh``, ``type``, ``type_en``, ``type_zh``,
        ``why``, ``example`` (the type's example), and the needs columns when given.

    Examples
    --------
    >>> t = customisation_by_segment()
    >>> t.loc["important_value", ["segment_zh", "type_zh"]].tolist()
    ['重要价值客户', '合作式']
    """
    require_option(scheme, SCHEMES, name="scheme")
    labels, mapping = SCHEMES[scheme]
    types = customisation_types()
    rows = [(key, en, zh, mapping[key][0], mapping[key][1]) for key, en, zh, *_ in labels]
    out = pd.DataFrame(rows, columns=["segment", "segment_en", "segment_zh", "type", "why"]).set_index("segment")
    out.insert(3, "type_en", types.loc[out["type"], "type_en"].to_numpy())
    out.insert(4, "type_zh", types.loc[out["type"], "type_zh"].to_numpy())
    out["example"] = types.loc[out["type"], "example"].to_numpy()
    if needs is not None:
        if not isinstance(needs, pd.DataFrame):
            raise CrmlabInputError("needs must be the DataFrame of crmlab.needs.needs_summary(profile, by=...).")
        keys = pd.Index(needs.index.astype(str))
        unknown = sorted(set(keys) - set(out.index))
        if unknown:
            raise CrmlabInputError(f"needs has segments {unknown} that are not in scheme {scheme!r} "
                                   f"({list(out.index)}); summarise by the matching segment column.")
        present = [c for c in ("customers", *NEEDS_COLUMNS) if c in needs.columns]
        out = out.join(needs[present].set_axis(keys))
    return out
