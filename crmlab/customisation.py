"""The four types of customisation (定制的四种类型), mapped to customer segments — a teaching table.

Gilmore and Pine (1997) sort customisation by two questions: does the
company change the **product** itself, and does it change how the product is
**presented** (its representation: packaging, message, terms)?

==============  =================  ==================  ==========================================
type            product changes?   presentation?       how the company learns the needs
==============  =================  ==================  ==========================================
collaborative   yes                yes                 a dialogue: the customer cannot easily say
合作式                                                  what they want, so both work it out
adaptive        no (customer       no                  the customer adjusts a standard product
适应性           adjusts it)                            to each occasion
cosmetic        no                 yes                 the same product, shown differently to
化妆式                                                  each customer
transparent     yes                no                  observed behaviour: tailored quietly,
透明式                                                  without asking or telling
==============  =================  ==================  ==========================================

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

#: key, English, Chinese, product changes, presentation changes, how needs are learned, example.
CUSTOMISATION_TYPES = (
    ("collaborative", "Collaborative", "合作式", True, True, "dialogue with each customer, who cannot easily say what they want", "a personal adviser (专属顾问) puts together gift sets and outfits with the customer"),
    ("adaptive", "Adaptive", "适应性", False, False, "the customer adjusts one standard offer to each occasion", "build-your-own bundles and a configurable baby-care subscription in the app"),
    ("cosmetic", "Cosmetic", "化妆式", False, True, "the same product, presented differently to each customer", "the customer's name on the gift wrap, messages in the preferred channel and at the preferred hour"),
    ("transparent", "Transparent", "透明式", True, False, "observed behaviour; the customer is neither asked nor told", "next-best-offer in the app and reminders timed to each customer's buying interval"),
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
        Indexed by ``type``: ``type_en``, ``type_zh``, ``changes_product``,
        ``changes_presentation``, ``how_needs_are_learned``, ``example``.

    Examples
    --------
    >>> customisation_types()["type_zh"].tolist()
    ['合作式', '适应性', '化妆式', '透明式']
    """
    return pd.DataFrame(CUSTOMISATION_TYPES, columns=["type", "type_en", "type_zh", "changes_product",
                                                      "changes_presentation", "how_needs_are_learned",
                                                      "example"]).set_index("type")


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
