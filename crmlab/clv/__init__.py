"""Customer lifetime value (客户终生价值, CLV): formulas and probabilistic models.

Three ways to put a number on a customer, from the textbook to the research
literature: historical value (历史价值), the formula CLV (公式法), and the
probabilistic "buy till you die" models (概率模型). One module per job:

- :mod:`crmlab.clv.formulas` — the textbook formulas: :func:`historical_value`,
  :func:`retention_clv` from a retention rate (保留率) and a discount rate
  (贴现率), the annuity factor :func:`pvifa` (年金现值系数) and
  :func:`group_clv` (客户群体终生价值);
- :mod:`crmlab.clv.summaries` — :func:`summary` of a transaction log, one row
  per customer: repeat purchases x (``repeat_purchases``, 重复购买次数), span
  t_x from the first to the last purchase (``span_<unit>``, 首末购买间隔), age T
  (``T_<unit>``, 客户年龄) and mean repeat spend (``monetary_value``). The
  literature calls x and t_x frequency and recency; they are not RFM's
  (:mod:`crmlab.rfm`), which count all purchases and look back from the
  analysis date;
- :mod:`crmlab.clv.models` — :class:`BGNBD` and :class:`ParetoNBD` (future
  purchases, probability alive 客户存活概率) and :class:`GammaGamma` (spend per
  purchase, 客单价), on one base class;
- :mod:`crmlab.clv.fitting` — the maximum-likelihood machinery (最大似然估计)
  the models share;
- :mod:`crmlab.clv.discounted` — :func:`discounted_clv` (折现的客户终生价值)
  per customer from a purchases model and a spend model.

Time units are explicit everywhere: a summary carries its unit in its column
names (``span_weeks``, ``T_weeks``), a fitted model's rates are per that unit
(``model.time_unit_``), and discount rates are per period (formulas) or per
year (:func:`discounted_clv`). Every function and class named above is
importable from here: ``from crmlab.clv import summary, BGNBD``.
"""
from crmlab.clv.discounted import discounted_clv
from crmlab.clv.formulas import group_clv, historical_value, pvifa, retention_clv
from crmlab.clv.models import BGNBD, GammaGamma, ParetoNBD
from crmlab.clv.summaries import SUMMARY_UNITS, summary

__all__ = [
    "SUMMARY_UNITS", "historical_value", "retention_clv", "pvifa", "group_clv", "summary",
    "BGNBD", "ParetoNBD", "GammaGamma", "discounted_clv",
]
