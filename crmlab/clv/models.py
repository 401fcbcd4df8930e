"""The "buy till you die" models (概率模型) of a customer summary, on one base class.

- :class:`BGNBD` and :class:`ParetoNBD` model the number of purchases: from
  each customer's repeat purchases x, span t_x and age T (a
  :func:`~crmlab.clv.summary`) they predict future purchases and the
  probability that the customer is still active (客户存活概率);
- :class:`GammaGamma` models spend per purchase (预期客单价).

All three are fitted by maximum likelihood (:mod:`crmlab.clv.fitting`) and
share the fitted attributes ``params_``, ``standard_errors_``,
``log_likelihood_``, ``aic_``, ``n_customers_`` and the ``estimates_`` table.
A fitted count model's rates are per the summary's time unit (``time_unit_``).

References: Fader, Hardie & Lee (2005a), "Counting your customers" the easy
way, *Marketing Science* 24(2) (BG/NBD); Schmittlein, Morrison & Colombo
(1987), *Management Science* 33(1) (Pareto/NBD); Fader, Hardie & Lee (2005b),
RFM and CLV: using iso-value curves, *Journal of Marketing Research* 42(4)
(Gamma–Gamma); Fader & Hardie (2005), A note on deriving the Pareto/NBD model
and related expressions.

Examples
--------
>>> from crmlab.clv import summary
>>> from crmlab.datasets.cdnow import load_cdnow
>>> s = summary(load_cdnow("sample"), time_col="date", amount_col="amount",
...             calibration_end="1997-09-30", observation_end="1998-06-30")
>>> bg = BGNBD().fit(s)
>>> bg.params_.round(3).to_dict()
{'r': 0.243, 'alpha': 4.414, 'a': 0.793, 'b': 2.426}
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from crmlab.clv._arguments import scalar
from crmlab.clv.fitting import Column, compress, maximise, per_value
from crmlab.clv.summaries import summary_arrays, summary_unit
from crmlab.validation import CrmlabInputError, describe_ids, frame_check, require_columns, shown

__all__ = ["BGNBD", "ParetoNBD", "GammaGamma"]


class _Model:
    """What the three models share: maximum-likelihood estimates and how they are shown.

    A model gives ``_names`` (its parameters), ``_loglik`` (per customer),
    ``_read`` (a summary's arrays, checked) and ``_fit_note`` (the end of its repr).
    """

    _names: tuple[str, ...] = ()
    _gradient = False  # whether _loglik can return its gradient (grad=True)

    def __init__(self):
        self.params_ = None

    def _check_fitted(self):
        if self.params_ is None:
            raise CrmlabInputError(f"this {type(self).__name__} is not fitted yet; call .fit(summary) first.")

    def _estimate(self, data, weights, start):
        """Maximise the log-likelihood; set ``params_``, ``log_likelihood_``, ``standard_errors_``, ``aic_``."""
        self.params_, self.log_likelihood_, self.standard_errors_ = maximise(
            self._loglik, data, weights, start, names=list(self._names), gradient=self._gradient)
        self.aic_ = 2 * len(self.params_) - 2 * self.log_likelihood_

    @property
    def estimates_(self) -> pd.DataFrame:
        """Estimates and standard errors as one table."""
        self._check_fitted()
        return pd.DataFrame({"estimate": self.params_, "std_error": self.standard_errors_})

    def _data(self, summary):
        """The arrays of the customers fitted to (``summary`` None) or of ``summary``, checked."""
        self._check_fitted()
        return self._fitted if summary is None else self._read(summary)

    def __repr__(self):
        if self.params_ is None:
            return f"{type(self).__name__}()"
        est = ", ".join(f"{k}={v:.4g}" for k, v in self.params_.items())
        return f"{type(self).__name__}({est}; {self._fit_note()})"


class _CountModel(_Model):
    """Shared fit/predict machinery of the BG/NBD and Pareto/NBD models."""

    def fit(self, summary: pd.DataFrame):
        """Estimate the parameters by maximum likelihood (最大似然估计).

        Parameters
        ----------
        summary : DataFrame
            From :func:`~crmlab.clv.summary`: columns ``repeat_purchases``,
            ``span_<unit>``, ``T_<unit>``; one row per customer.

        Returns
        -------
        self
            With ``params_`` (Series), ``standard_errors_`` (from the Hessian
            of the log-likelihood), ``log_likelihood_`` (total), ``aic_``
            (= 2k - 2 LL), ``n_customers_`` and ``time_unit_`` (rates are per
            this unit).
        """
        unit = summary_unit(summary) if isinstance(summary, pd.DataFrame) else None
        index, x, tx, T = summary_arrays(summary)
        if len(x) < 10 or (x > 0).sum() < 2:
            raise CrmlabInputError(
                f"too little data to fit: {len(x)} customers, {(x > 0).sum()} with repeat purchases. "
                "The model needs many customers (hundreds) and some who bought again.")
        ux, utx, uT, w = compress(x, tx, T)
        # x takes few values (counts): its functions are computed once per value. Times repeat only
        # when measured in whole days, and then compress has merged the customers alike already.
        data = (Column(ux), utx, uT) if self._gradient else (ux, utx, uT)
        rate = max(x.mean(), 1e-3) / max(T.mean(), 1e-3)
        self._estimate(data, w, self._start(rate, T.mean()))
        self.n_customers_ = len(x)
        self.time_unit_ = unit
        self._fitted = (index, x, tx, T)
        return self

    def _read(self, summary):
        return summary_arrays(summary, unit=self.time_unit_)

    def loglik(self, summary: pd.DataFrame | None = None) -> pd.Series:
        """Log-likelihood of each customer's history at the fitted parameters."""
        index, x, tx, T = self._data(summary)
        return pd.Series(self._loglik(self.params_.to_numpy(), x, tx, T), index=index, name="log_likelihood")

    def probability_alive(self, summary: pd.DataFrame | None = None) -> pd.Series:
        """Probability that each customer is still active (客户存活概率) at the end of calibration.

        Parameters
        ----------
        summary : DataFrame, optional
            Customers to score; default the customers the model was fitted to.

        Returns
        -------
        Series
            P(alive | x, t_x, T), indexed by customer.
        """
        index, x, tx, T = self._data(summary)
        return pd.Series(self._p_alive(self.params_.to_numpy(), x, tx, T), index=index, name="probability_alive")

    def expected_purchases(self, t, summary: pd.DataFrame | None = None) -> pd.Series:
        """Expected number of purchases of each customer in the next ``t`` time units (预测购买次数).

        Conditional on the customer's history (x, t_x, T): the expectation
        E[Y(t) | x, t_x, T] for the period (T, T + t].

        Parameters
        ----------
        t : float or array
            Length of the forecast period, in the model's time unit
            (``time_unit_``); an array gives one length per customer (e.g.
            ``summary["duration_holdout_weeks"]``).
        summary : DataFrame, optional
            Customers to predict for; default the customers the model was fitted to.

        Returns
        -------
        Series
            Indexed by customer.
        """
        index, x, tx, T = self._data(summary)
        t = self._horizon(t, len(x))
        return pd.Series(self._conditional(self.params_.to_numpy(), t, x, tx, T), index=index,
                         name="expected_purchases")

    def expected_purchases_new_customer(self, t):
        """Expected repeat purchases E[X(t)] of a customer just acquired, in the first ``t`` time units.

        Parameters
        ----------
        t : float or array
            Time since the first purchase, in ``time_unit_``.

        Returns
        -------
        float or ndarray
        """
        self._check_fitted()
        t = np.asarray(t, dtype=float)
        if (t < 0).any() or np.isnan(t).any():
            raise CrmlabInputError("t must be a time >= 0.")
        zero = np.zeros_like(t)
        return scalar(self._conditional(self.params_.to_numpy(), t, zero, zero, zero))

    @staticmethod
    def _horizon(t, n):
        t = np.asarray(t, dtype=float)
        if np.isnan(t).any() or (t < 0).any():
            raise CrmlabInputError("t must be a time >= 0 (in the model's time unit).")
        if t.ndim and t.shape != (n,):
            raise CrmlabInputError(f"t has {t.size} values but the summary has {n} customers; give one t, "
                                   "or one per customer.")
        return np.broadcast_to(t, (n,))

    def _fit_note(self):
        return (f"{self.n_customers_} customers, time unit {self.time_unit_}, "
                f"LL={self.log_likelihood_:.1f}, AIC={self.aic_:.1f}")


class BGNBD(_CountModel):
    """The BG/NBD model of repeat buying (Fader, Hardie & Lee 2005).

    While active a customer buys as a Poisson process with rate λ ~ Gamma(r, α)
    (per time unit); after each repeat purchase the customer drops out for
    good with probability p ~ Beta(a, b).

    Attributes (after :meth:`fit`)
    -------------------------------
    params_ : Series
        ``r``, ``alpha`` (in the summary's time unit), ``a``, ``b``.
    standard_errors_, log_likelihood_, aic_, n_customers_, time_unit_
        As for :class:`BGNBD`.
        As the names say; ``time_unit_`` is the summary's.

    Examples
    --------
    Fitted to the first 39 weeks of the CDNOW sample, as in Fader, Hardie & Lee (2005), whose
    log-likelihood is -9582.4:

    >>> from crmlab.clv import summary
    >>> from crmlab.datasets.cdnow import load_cdnow
    >>> s = summary(load_cdnow("sample"), time_col="date", amount_col="amount", calibration_end="1997-09-30",
    ...             verbose=False)
    >>> model = BGNBD().fit(s)
    >>> round(model.log_likelihood_, 1)
    -9582.4
    >>> round(float(model.probability_alive().loc[4]), 3)   # x = 2, t_x = 30.43, T = 38.86 weeks
    0.727
    """

    _names = ("r", "alpha", "a", "b")
    _gradient = True

    @staticmethod
    def _start(rate, mean_T):
        return np.array([1.0, 1.0 / rate, 1.0, 3.0])

    @staticmethod
    def _loglik(params, x, tx, T, grad=False):
        from scipy.special import digamma, gammaln

        r, alpha, a, b = params
        rx = per_value(x, lambda v: r + v)
        # lnΓ(r+x) - lnΓ(r) + ln B(a, b+x) - ln B(a, b): depends on x only
        base = per_value(x, lambda v: gammaln(r + v) - gammaln(r) + gammaln(b + v) - gammaln(b)
                         + gammaln(a + b) - gammaln(a + b + v))
        log_T = per_value(T, lambda v: np.log(alpha + v))
        log_tx = per_value(tx, lambda v: np.log(alpha + v))
        # d: log of the odds 'dropped out right after the last purchase' : 'still active at T';
        # -inf without a repeat purchase, after which alone a customer can drop out.
        with np.errstate(divide="ignore"):
            log_odds = per_value(x, lambda v: np.where(v > 0, np.log(a) - np.log(np.maximum(b + v - 1, 0)), -np.inf))
        d = log_odds - rx * (log_tx - log_T)
        # log(e^alive + e^dead) = alive + log(1 + e^d) and the share of 'dead' 1 / (1 + e^-d), both from
        # one exp(-|d|), which cannot overflow: half the work of logaddexp and a second exp, per customer.
        e = np.exp(-np.abs(d))
        ll = r * np.log(alpha) + base - rx * log_T + np.maximum(d, 0) + np.log1p(e)
        if not grad:
            return ll
        w_dead = np.where(d >= 0, 1.0, e) / (1 + e)  # share of the likelihood from 'dropped out'
        inv_T = per_value(T, lambda v: 1 / (alpha + v))
        d_r = (per_value(x, lambda v: digamma(r + v) - digamma(r)) + np.log(alpha)
               - log_T + w_dead * (log_T - log_tx))
        d_alpha = r / alpha - rx * (inv_T - w_dead * (inv_T - per_value(tx, lambda v: 1 / (alpha + v))))
        d_a = per_value(x, lambda v: digamma(a + b) - digamma(a + b + v)) + w_dead / a
        d_b = (per_value(x, lambda v: digamma(b + v) - digamma(b) + digamma(a + b) - digamma(a + b + v))
               - w_dead * per_value(x, lambda v: np.where(v > 0, 1 / (b + v - 1), 0.0)))
        return ll, (d_r, d_alpha, d_a, d_b)

    @staticmethod
    def _p_alive(params, x, tx, T):
        r, alpha, a, b = params
        with np.errstate(divide="ignore", invalid="ignore"):
            log_odds_dead = np.where(x > 0, np.log(a) - np.log(np.maximum(b + x - 1, 1e-300))
                                     + (r + x) * (np.log(alpha + T) - np.log(alpha + tx)), -np.inf)
        return np.exp(-np.logaddexp(0.0, log_odds_dead))

    @classmethod
    def _conditional(cls, params, t, x, tx, T):
        from scipy.special import hyp2f1

        r, alpha, a, b = params
        z = t / (alpha + T + t)
        # ((α+T)/(α+T+t))^(r+x) 2F1(r+x, b+x; a+b+x-1; z) = (1-z)^(a-1) 2F1(a+b-1-r, a-1; a+b+x-1; z)
        # by Euler's transformation: no large powers, so no overflow for frequent buyers.
        g = (1 - z) ** (a - 1) * hyp2f1(a + b - 1 - r, a - 1, a + b + x - 1, z)
        return (a + b + x - 1) / (a - 1) * (1 - g) * cls._p_alive(params, x, tx, T)


def _hyp2f1_one(b, c, z):
    """Gauss hypergeometric 2F1(1, b; c; z) for c > b > 0 and 0 <= z < 1 (arrays).

    Up to z = 0.9 scipy's ``hyp2f1`` is accurate (checked against the series to
    1e-14); closer to 1 it can return NaN or lose digits (when c - b - 1 is
    near a whole number, or c is large). There Gauss's continued fraction
    for F(b, 1; c; z) = F(b, 1; c; z) / F(b, 0; c - 1; z) is used: its
    coefficients are positive and tend to 1/4, so the backward recurrence is
    stable, and it converges at the rate ((1 - sqrt(1-z)) / (1 + sqrt(1-z)))
    per level, far faster than the series.
    """
    from scipy.special import hyp2f1

    b, c, z = np.broadcast_arrays(np.asarray(b, float), np.asarray(c, float), np.asarray(z, float))
    out = np.asarray(hyp2f1(1.0, b, c, z), dtype=float).copy()
    near = z > 0.9
    if near.any():
        bn, cn, zn = b[near], c[near], z[near]
        root = np.sqrt(1 - zn)
        rate = np.max((1 - root) / (1 + root))
        depth = int(min(np.ceil(np.log(1e-17) / np.log(rate)) + 10, 200_000))
        tail = (1 + root) / 2  # the fixed point the continued fraction's tail tends to
        for i in range(depth - 1, -1, -1):  # levels of the fraction, vectorised over customers
            j = i // 2
            if i % 2 == 0:  # k_{2j+1}
                k = (bn + j) * (cn - 1 + j) / ((cn - 1 + 2 * j) * (cn + 2 * j))
            else:  # k_{2j+2}
                k = (j + 1) * (cn - bn + j) / ((cn + 2 * j) * (cn + 2 * j + 1))
            tail = 1 - k * zn / tail
        out[near] = 1 / tail
    return out


class ParetoNBD(_CountModel):
    """The Pareto/NBD model of repeat buying (Schmittlein, Morrison & Colombo 1987).

    While active a customer buys as a Poisson process with rate λ ~ Gamma(r, α);
    the lifetime is exponential with rate μ ~ Gamma(s, β) (both per time unit).

    The likelihood needs the Gauss hypergeometric function 2F1 in two
    branches (α >= β and α < β); it is evaluated after Euler's transformation
    as 2F1(1, ·; ·; z), a series of positive terms, and combined in logs
    (log-sum-exp), so it stays accurate for frequent buyers and for α close to β.

    Attributes (after :meth:`fit`)
    -------------------------------
    params_ : Series
        ``r``, ``alpha``, ``s``, ``beta`` (α and β in the summary's time unit).
    standard_errors_, log_likelihood_, aic_, n_customers_, time_unit_

    Examples
    --------
    The same 39 weeks of CDNOW as :class:`BGNBD`; the published log-likelihood is -9595.0
    (Fader, Hardie & Lee 2005), a little worse than BG/NBD's:

    >>> from crmlab.clv import summary
    >>> from crmlab.datasets.cdnow import load_cdnow
    >>> s = summary(load_cdnow("sample"), time_col="date", amount_col="amount", calibration_end="1997-09-30",
    ...             verbose=False)
    >>> round(ParetoNBD().fit(s).log_likelihood_, 1)
    -9595.0
    """

    _names = ("r", "alpha", "s", "beta")

    @staticmethod
    def _start(rate, mean_T):
        return np.array([1.0, 1.0 / rate, 1.0, mean_T])

    @staticmethod
    def _log_a0_term(params, x, t):
        """log of 2F1(r+s+x, b; r+s+x+1; z) / (max(α,β) + t)^(r+s+x), the two terms of A0."""
        r, alpha, s, beta = params
        big, small = max(alpha, beta), min(alpha, beta)
        # α >= β: b = s+1, z = (α-β)/(α+t);  α < β: b = r+x, z = (β-α)/(β+t).
        b = s + 1 if alpha >= beta else r + x
        z = (big - small) / (big + t)
        log1mz = np.log(small + t) - np.log(big + t)
        # Euler: 2F1(c-1, b; c; z) = (1-z)^(1-b) 2F1(1, c-b; c; z) with c = r+s+x+1.
        c = r + s + x + 1
        return (1 - b) * log1mz + np.log(_hyp2f1_one(c - b, c, z)) - (r + s + x) * np.log(big + t)

    @classmethod
    def _log_parts(cls, params, x, tx, T):
        """log of the 'alive at T' and 'died in (t_x, T]' parts of the likelihood (without constants)."""
        r, alpha, s, beta = params
        alive = -(r + x) * np.log(alpha + T) - s * np.log(beta + T)
        l1, l2 = cls._log_a0_term(params, x, tx), cls._log_a0_term(params, x, T)
        with np.errstate(divide="ignore", invalid="ignore"):
            log_a0 = l1 + np.log(-np.expm1(np.minimum(l2 - l1, 0.0)))  # log(e^l1 - e^l2), l1 >= l2
        dead = np.log(s) - np.log(r + s + x) + log_a0
        return alive, dead

    @classmethod
    def _loglik(cls, params, x, tx, T):
        from scipy.special import gammaln

        r, alpha, s, beta = params
        alive, dead = cls._log_parts(params, x, tx, T)
        return gammaln(r + x) - gammaln(r) + r * np.log(alpha) + s * np.log(beta) + np.logaddexp(alive, dead)

    @classmethod
    def _p_alive(cls, params, x, tx, T):
        alive, dead = cls._log_parts(params, x, tx, T)
        return np.exp(alive - np.logaddexp(alive, dead))

    @classmethod
    def _conditional(cls, params, t, x, tx, T):
        r, alpha, s, beta = params
        u = np.log1p(t / (beta + T))
        k = s - 1
        # (β+T)/(s-1) [1 - ((β+T)/(β+T+t))^(s-1)], written to stay exact as s -> 1.
        integral = (beta + T) * (u if abs(k) < 1e-10 else -np.expm1(-k * u) / k)
        return (r + x) / (alpha + T) * integral * cls._p_alive(params, x, tx, T)




class GammaGamma(_Model):
    """The Gamma–Gamma model of spend per transaction (Fader, Hardie & Lee 2005b).

    Each transaction's amount is Gamma(p, ν) with mean p/ν for the customer;
    ν ~ Gamma(q, γ) across customers. Fitted to each repeat customer's number
    of repeat transactions x and their mean amount z̄ (``monetary_value``);
    it assumes spend per transaction does not depend on how often one buys
    (check it: the correlation of ``repeat_purchases`` and ``monetary_value``).

    Attributes (after :meth:`fit`)
    -------------------------------
    params_ : Series
        ``p``, ``q``, ``gamma`` (γ, in the unit of the amounts).
    standard_errors_, log_likelihood_, aic_, n_customers_
        As for :class:`BGNBD`; ``n_customers_`` counts the repeat customers used.

    Examples
    --------
    The spend of the CDNOW sample's repeat buyers in those 39 weeks; Fader, Hardie & Lee (2005b)
    report p = 6.25, q = 3.74, γ = 15.44:

    >>> from crmlab.clv import summary
    >>> from crmlab.datasets.cdnow import load_cdnow
    >>> s = summary(load_cdnow("sample"), time_col="date", amount_col="amount", calibration_end="1997-09-30",
    ...             verbose=False)
    >>> GammaGamma().fit(s, verbose=False).params_.round(2).to_dict()
    {'p': 6.25, 'q': 3.74, 'gamma': 15.44}
    """

    _names = ("p", "q", "gamma")
    _gradient = True

    @staticmethod
    def _read(frame):
        """Check a summary and return (index, x, mean spend) as float arrays."""
        frame_check(frame, "summary", fix="Make it with crmlab.clv.summary(...).")
        require_columns(frame.columns, ["repeat_purchases", "monetary_value"], table="summary")
        x = pd.to_numeric(frame["repeat_purchases"], errors="coerce")
        bad = x.isna() | (x < 0) | (x % 1 != 0)
        if bad.any():
            raise CrmlabInputError(f"summary: column 'repeat_purchases' must be a whole number >= 0; it is not "
                                   f"{describe_ids(frame.index, bad)}.")
        m = pd.to_numeric(frame["monetary_value"], errors="coerce")
        repeat = (x > 0).to_numpy()
        if (repeat & m.isna()).any():
            raise CrmlabInputError(f"summary: column 'monetary_value' is missing or not a number "
                                   f"{describe_ids(frame.index, repeat & m.isna())}, who made repeat purchases.")
        low = repeat & (m <= 0).to_numpy()
        if low.any():
            raise CrmlabInputError(
                f"summary: 'monetary_value' must be > 0 for the Gamma-Gamma model; it is not "
                f"{describe_ids(frame.index, low)} (e.g. {shown(m[low].iloc[0])}). Spend per transaction is modelled "
                "as a positive amount: leave these customers out (summary[summary.monetary_value > 0]) and say so.")
        return frame.index, x.to_numpy(dtype=float), m.to_numpy(dtype=float)

    def fit(self, summary: pd.DataFrame, *, verbose: bool = True):
        """Estimate p, q, γ by maximum likelihood on the customers with at least one repeat purchase.

        Parameters
        ----------
        summary : DataFrame
            From :func:`~crmlab.clv.summary`: columns ``repeat_purchases`` and ``monetary_value``.
            Customers without repeat purchases carry no spend information and
            are set aside (counted in ``n_set_aside_``, printed when ``verbose``).
        verbose : bool, default True

        Returns
        -------
        self
        """
        index, x, m = self._read(summary)
        repeat = x > 0
        if repeat.sum() < 10:
            raise CrmlabInputError(f"too little data to fit: {repeat.sum()} customers with repeat purchases; "
                                   "the Gamma-Gamma model needs many (hundreds).")
        if np.ptp(m[repeat]) == 0:
            raise CrmlabInputError("all repeat customers have the same mean spend; there is nothing to fit.")
        xr, mr = x[repeat], m[repeat]
        mean, var = mr.mean(), mr.var()
        shape = max(mean ** 2 / var, 0.5)  # moment guess of p; q starts at 3
        start = np.array([shape + 1, 3.0, 2.0 * mean / shape])
        self._estimate((Column(xr), mr, np.log(mr)), np.ones(len(xr)), start)
        self.n_customers_ = int(repeat.sum())
        self.n_set_aside_ = int((~repeat).sum())
        if verbose and self.n_set_aside_:
            print(f"GammaGamma: set aside {self.n_set_aside_:,} customers without repeat purchases "
                  "(no spend information)".replace(",", " "))
        self._fitted = (index, x, m)
        return self

    @staticmethod
    def _loglik(params, x, m, log_m, grad=False):
        from scipy.special import digamma, gammaln

        p, q, g = params
        xv = per_value(x, lambda v: v)
        log_gxm = np.log(g + xv * m)
        ll = (per_value(x, lambda v: gammaln(p * v + q) - gammaln(p * v) + p * v * np.log(v))
              - gammaln(q) + q * np.log(g) + (p * xv - 1) * log_m - (p * xv + q) * log_gxm)
        if not grad:
            return ll
        d_p = xv * (per_value(x, lambda v: digamma(p * v + q) - digamma(p * v) + np.log(v)) + log_m - log_gxm)
        d_q = per_value(x, lambda v: digamma(p * v + q)) - digamma(q) + np.log(g) - log_gxm
        d_g = q / g - (p * xv + q) / (g + xv * m)
        return ll, (d_p, d_q, d_g)

    def population_mean_spend(self) -> float:
        """Mean spend per transaction across customers, p γ / (q - 1) (needs q > 1)."""
        self._check_fitted()
        p, q, g = self.params_.to_numpy()
        if q <= 1:
            raise CrmlabInputError(f"q = {q:.3g} <= 1: the Gamma-Gamma model has no finite mean spend for "
                                   "a new customer; the spend data are too heavy-tailed for this model.")
        return p * g / (q - 1)

    def expected_spend(self, summary: pd.DataFrame | None = None) -> pd.Series:
        """Expected amount of each customer's future transactions (预期客单价), E[M | x, z̄].

        A weighted average of the population mean p γ / (q - 1) and the
        customer's own mean z̄, with weight p x / (p x + q - 1) on z̄: the more
        repeat purchases, the more the customer's own mean counts. Customers
        without repeat purchases get the population mean.

        Parameters
        ----------
        summary : DataFrame, optional
            Default: the summary the model was fitted to (all its customers).

        Returns
        -------
        Series
            Indexed by customer, in the unit of the amounts.
        """
        index, x, m = self._data(summary)
        p, q, g = self.params_.to_numpy()
        pop = self.population_mean_spend()
        w = p * x / (p * x + q - 1)
        spend = np.where(x > 0, (1 - w) * pop + w * np.nan_to_num(m), pop)
        return pd.Series(spend, index=index, name="expected_spend")

    def _fit_note(self):
        return f"{self.n_customers_} repeat customers, LL={self.log_likelihood_:.1f}"

