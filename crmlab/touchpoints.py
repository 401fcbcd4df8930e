"""Touchpoints and channels (接触点与互动渠道): what each contact channel costs and brings.

The contact log (``load_data("interactions")``) holds every contact between
the company and a customer: promotion messages the company sends (企业发起)
and enquiries, service calls, feedback and complaints the customer starts
(客户发起). This module answers the questions of an interaction designer:

- :func:`channel_summary`: volume, cost per contact, response rate (with a
  confidence interval) and cost per response by channel, by initiator, or by
  any segment column the caller joins in (e.g. ``rfm_class`` from
  :func:`crmlab.rfm.rfm_classes`);
- :func:`compare_response_rates`, :func:`compare_initiative`: whether the
  response rate, or the share of customer-initiated contacts, differs between
  channels or segments, and by how much each group leads the next;
- :func:`initiative_mix`: who starts the contacts — the share that customers
  initiate, per segment or channel;
- :func:`message_numbers`, :func:`response_by_message`, :func:`contact_fatigue`:
  contact fatigue (接触疲劳) — how the response to the 2nd, 3rd, ... message of
  a promotion wave falls, and the fitted decay per earlier message;
- :func:`frequency_response`: customers who got 1, 2, 3, ... messages in a
  wave — responders, cost per responder, and what one more message adds, to
  choose a contact frequency (接触频率); :func:`frequency_difference` tests
  the difference between two frequencies.

Segments come from the chapter 4 modules, never from here: join them in by
``customer_id`` and name the column in ``by``::

    classes = rfm_classes(rfm_from_orders(orders, order_lines, as_of="2025-01-01"))
    contacts = interactions.join(classes["rfm_class"], on="customer_id")
    channel_summary(contacts, by=["rfm_class", "channel"])

Contacts whose segment is missing (customers without purchases before the
analysis date) are set aside and counted, never dropped silently.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from crmlab.validation import (CrmlabInputError, amount_column, boolean, datetime_column, describe_rows,
                               report_set_aside, require_columns, require_labels, require_nonempty)
from crmlab._intervals import difference_of_shares, wilson_interval, z_value
from crmlab.datasets.schema import TABLES

#: The contact channels of the data dictionary (接触渠道).
CONTACT_CHANNELS = next(c.levels for c in TABLES["interactions"].columns if c.name == "channel")
#: Who started a contact: the company (企业发起) or the customer (客户发起).
INITIATORS = ("company", "customer")
#: Chinese names of the channels, for tables and figure labels.
CHANNEL_ZH = {"sms": "短信", "email": "电子邮件", "app_push": "App推送", "phone": "电话", "online_chat": "在线客服",
              "wechat": "微信", "store": "门店"}


def _as_list(by) -> list:
    if by is None:
        return []
    return [by] if isinstance(by, str) else list(by)


def _contacts(interactions: pd.DataFrame, *, need, by=(), channels=None, what: str,
              set_aside: dict) -> pd.DataFrame:
    """The checked columns of a contact log; rows without a value in ``by`` are counted in ``set_aside``."""
    by = _as_list(by)
    require_columns(interactions.columns, list(dict.fromkeys([*need, *by])), table="interactions")
    require_nonempty(interactions, table="interactions")
    out = pd.DataFrame(index=interactions.index)
    for column in dict.fromkeys([*need, *by]):
        out[column] = interactions[column]
    if "channel" in out:
        known = tuple(CONTACT_CHANNELS if channels is None else channels)
        require_labels(out["channel"], known, column="channel", table="interactions",
                       fix="Rename the labels to these, or pass channels=[...] with every channel your log uses.")
        out["channel"] = out["channel"].astype("string")
    if "initiated_by" in out:
        who = out["initiated_by"].astype("string")
        bad = who.isna() | ~who.isin(INITIATORS)
        if bad.any():
            raise CrmlabInputError(
                f"interactions: column 'initiated_by' must be 'company' (企业发起) or 'customer' (客户发起); it is not "
                f"in {describe_rows(out.index[bad])}, e.g. {who[bad].iloc[0]!r}.")
        out["initiated_by"] = who
    if "cost" in out:
        out["cost"] = amount_column(out["cost"], column="cost", table="interactions")
    if "interaction_ts" in out:
        out["interaction_ts"] = datetime_column(out["interaction_ts"], column="interaction_ts", table="interactions")
    if "responded" in out:
        out["responded"] = boolean(out["responded"], "responded", "interactions")
    for column in by:
        missing = out[column].isna()
        if missing.any():
            set_aside[f"contacts without a '{column}'"] = int(missing.sum())
            out = out[~missing]
    if out.empty:
        raise CrmlabInputError(f"{what}: no contact is left after setting aside {set_aside}; check the column(s) {by}.")
    return out


def channel_summary(interactions: pd.DataFrame, *, by=("channel", "initiated_by"), channels=None,
                    confidence: float = 0.95, verbose: bool = True) -> pd.DataFrame:
    """Volume, cost and response of each channel or group of contacts (渠道分析).

    Parameters
    ----------
    interactions : DataFrame
        The contact log, as ``load_data("interactions")``: columns
        ``customer_id``, ``channel``, ``initiated_by`` (company / customer),
        ``cost`` (CNY, >= 0), ``responded`` (for company-initiated contacts;
        empty for customer-initiated ones), and the columns named in ``by``.
    by : str or list of str, default ("channel", "initiated_by")
        The grouping: any columns of ``interactions``, e.g. ``"channel"``,
        ``["rfm_class", "channel"]`` after joining a segment column. Contacts
        with a missing value there are set aside and reported.
    channels : list of str, optional
        The channel labels allowed; default the data dictionary's
        (:data:`CONTACT_CHANNELS`). Unknown labels are an error, not a silent new group.
    confidence : float, default 0.95
        Level of the Wilson interval of the response rate.
    verbose : bool, default True
        Print one line about the rows set aside (kept in ``attrs["set_aside"]``).

    Returns
    -------
    DataFrame
        One row per group: ``contacts``, ``customers`` (distinct),
        ``share_of_contacts``, ``cost`` (total), ``cost_per_contact``,
        ``company_initiated`` (contacts the company started),
        ``share_customer_initiated``, ``responses``, ``response_rate``
        (responses / company-initiated contacts with a response record),
        ``response_low``, ``response_high`` and ``cost_per_response`` (cost of
        the company-initiated contacts / responses). Response columns are
        empty (NaN) for groups without company-initiated contacts.

    Examples
    --------
    >>> log = pd.DataFrame({"customer_id": ["a", "b", "a", "c"], "channel": ["sms", "sms", "phone", "sms"],
    ...                     "initiated_by": ["company", "company", "customer", "company"],
    ...                     "cost": [0.05, 0.05, 6.0, 0.05], "responded": [True, False, None, False]})
    >>> channel_summary(log, by="channel")[["contacts", "cost_per_contact", "response_rate"]].round(3)
    ... # doctest: +NORMALIZE_WHITESPACE
             contacts  cost_per_contact  response_rate
    channel
    phone           1              6.00            NaN
    sms             3              0.05          0.333
    """
    by = _as_list(by)
    if not by:
        raise CrmlabInputError("by must name at least one column, e.g. by='channel'.")
    set_aside: dict = {}
    log = _contacts(interactions, need=["customer_id", "channel", "initiated_by", "cost", "responded"], by=by,
                    channels=channels, what="channel_summary", set_aside=set_aside)
    company = log["initiated_by"] == "company"
    recorded = company & log["responded"].notna()
    unrecorded = int((company & ~recorded).sum())
    if unrecorded:
        set_aside["company-initiated contacts without a response record (left out of the response rate)"] = unrecorded
    log = log.assign(_company=company.astype(int), _recorded=recorded.astype(int),
                     _response=(recorded & log["responded"].fillna(False)).astype(int),
                     _company_cost=np.where(company, log["cost"], 0.0))
    groups = log.groupby(by, observed=True, sort=True)
    out = pd.DataFrame({
        "contacts": groups.size(),
        "customers": groups["customer_id"].nunique(),
    })
    out["share_of_contacts"] = out["contacts"] / out["contacts"].sum()
    out["cost"] = groups["cost"].sum()
    out["cost_per_contact"] = out["cost"] / out["contacts"]
    out["company_initiated"] = groups["_company"].sum()
    out["share_customer_initiated"] = 1 - out["company_initiated"] / out["contacts"]
    trials = groups["_recorded"].sum()
    out["responses"] = groups["_response"].sum()
    with np.errstate(invalid="ignore", divide="ignore"):
        out["response_rate"] = (out["responses"] / trials).where(trials > 0)
        low, high = wilson_interval(out["responses"], trials, confidence=confidence)
        out["response_low"], out["response_high"] = low, high
        out["cost_per_response"] = (groups["_company_cost"].sum() / out["responses"]).where(out["responses"] > 0)
    return report_set_aside(out, set_aside, what="channel_summary", verbose=verbose)


def compare_response_rates(interactions: pd.DataFrame, *, by="channel", channels=None, confidence: float = 0.95,
                           verbose: bool = True) -> pd.DataFrame:
    """Do response rates differ between channels or segments? (响应率差异检验)

    The groups of :func:`channel_summary` that have company-initiated
    contacts, ranked by response rate, each with the **gap to the next
    group** down the ranking (difference of the two shares, Newcombe's
    interval, two-proportion z-test), so that "A responds best" is read
    with a test of A against the runner-up. ``attrs["test"]`` holds the test
    of "the response rate is the same in every group" (chi-square test of
    the groups x responded table, without continuity correction).

    Each contact counts as one trial, as in :func:`channel_summary`. A
    customer's contacts are not independent (the same person answers or
    ignores several messages), so the p-values are somewhat too small and
    the intervals somewhat too narrow; read a p-value near the threshold
    as "not shown".

    Parameters
    ----------
    interactions, by, channels, confidence, verbose
        As in :func:`channel_summary` (``by`` one column or several).

    Returns
    -------
    DataFrame
        One row per group, best response first: ``contacts`` (with a
        response record), ``responses``, ``response_rate``, and the gap to
        the next row: ``gap``, ``gap_low``, ``gap_high``, ``gap_p_value``
        (empty on the last row).

    Examples
    --------
    >>> log = pd.DataFrame({"customer_id": list("abcdefgh"), "channel": ["sms"] * 4 + ["email"] * 4,
    ...                     "initiated_by": "company", "cost": 0.05,
    ...                     "responded": [True, True, True, False, True, False, False, False]})
    >>> out = compare_response_rates(log)
    >>> out[["response_rate", "gap"]]  # doctest: +NORMALIZE_WHITESPACE
             response_rate  gap
    channel
    sms               0.75  0.5
    email             0.25  NaN
    >>> round(out.attrs["test"]["statistic"], 3), out.attrs["test"]["df"]
    (2.0, 1)
    """
    summary = channel_summary(interactions, by=by, channels=channels, confidence=confidence, verbose=verbose)
    summary = summary[summary["response_rate"].notna()]
    trials = (summary["responses"] / summary["response_rate"]).round()
    out = _ranked_gaps(summary["responses"], trials, confidence=confidence,
                       names=("contacts", "responses", "response_rate"), test="equal response rates")
    out.attrs["set_aside"] = summary.attrs.get("set_aside", {})
    return out


def compare_initiative(interactions: pd.DataFrame, *, by="rfm_class", channels=None, confidence: float = 0.95,
                       verbose: bool = True) -> pd.DataFrame:
    """Does the share of customer-initiated contacts differ between segments? (客户发起比例差异检验)

    The groups of :func:`initiative_mix` ranked by ``share_customer_initiated``,
    each with the gap to the next group down (Newcombe's interval,
    two-proportion z-test), and in ``attrs["test"]`` the chi-square test of
    "the share is the same in every group". As in
    :func:`compare_response_rates`, each contact is one trial, so the
    p-values are somewhat too small.

    Parameters
    ----------
    interactions, by, channels, confidence, verbose
        As in :func:`initiative_mix`.

    Returns
    -------
    DataFrame
        One row per group, highest share first: ``contacts``,
        ``customer_initiated``, ``share_customer_initiated``, ``gap``,
        ``gap_low``, ``gap_high``, ``gap_p_value`` (empty on the last row).

    Examples
    --------
    >>> log = pd.DataFrame({"channel": ["phone", "phone", "sms", "sms"],
    ...                     "initiated_by": ["customer", "customer", "company", "customer"],
    ...                     "segment": ["a", "a", "b", "b"]})
    >>> compare_initiative(log, by="segment")["share_customer_initiated"].tolist()
    [1.0, 0.5]
    """
    mix = initiative_mix(interactions, by=by, channels=channels, confidence=confidence, verbose=verbose)
    out = _ranked_gaps(mix["customer_initiated"], mix["contacts"], confidence=confidence,
                       names=("contacts", "customer_initiated", "share_customer_initiated"), test="equal shares")
    out.attrs["set_aside"] = mix.attrs.get("set_aside", {})
    return out


def _ranked_gaps(successes: pd.Series, trials: pd.Series, *, confidence: float, names, test: str) -> pd.DataFrame:
    """Groups ranked by their share, the gap of each to the next one (Newcombe, z-test), and the chi-square
    test of equal shares in ``attrs["test"]``."""
    from scipy.stats import chi2

    x, n = successes.to_numpy(float), trials.to_numpy(float)
    order = np.argsort(-(x / n), kind="stable")
    x, n = x[order], n[order]
    out = pd.DataFrame({names[0]: n.astype(int), names[1]: x.astype(int), names[2]: x / n},
                       index=successes.index[order])
    gap, low, high, p = difference_of_shares(x[:-1], n[:-1], x[1:], n[1:], confidence=confidence)
    for name, values in (("gap", gap), ("gap_low", low), ("gap_high", high), ("gap_p_value", p)):
        out[name] = np.append(values, np.nan)
    if len(out) > 1:
        observed = np.column_stack([x, n - x])
        expected = np.outer(observed.sum(axis=1), observed.sum(axis=0)) / observed.sum()
        with np.errstate(invalid="ignore", divide="ignore"):
            statistic = float(np.nansum((observed - expected) ** 2 / expected))
        out.attrs["test"] = {"method": f"chi-square test of {test}", "statistic": statistic,
                             "df": len(out) - 1, "p_value": float(chi2.sf(statistic, len(out) - 1))}
    return out


def initiative_mix(interactions: pd.DataFrame, *, by="channel", channels=None, confidence: float = 0.95,
                   verbose: bool = True) -> pd.DataFrame:
    """Who starts the contacts (互动发起方): company- vs customer-initiated, per group.

    Customer-initiated contacts (enquiries, service, feedback, complaints)
    show where customers come to the company by themselves; a segment that
    never does so is reached only by the company's own messages.

    Parameters
    ----------
    interactions : DataFrame
        Columns ``channel``, ``initiated_by`` and those in ``by``.
    by : str or list of str, default "channel"
        The grouping, e.g. ``"rfm_class"`` after joining segments.
    channels, confidence, verbose
        As in :func:`channel_summary`.

    Returns
    -------
    DataFrame
        One row per group: ``contacts``, ``company_initiated``,
        ``customer_initiated``, ``share_customer_initiated`` with its Wilson
        interval ``share_low``, ``share_high``.

    Examples
    --------
    >>> log = pd.DataFrame({"channel": ["sms", "phone", "phone"], "initiated_by": ["company", "customer", "customer"]})
    >>> initiative_mix(log)["share_customer_initiated"].tolist()
    [1.0, 0.0]
    """
    by = _as_list(by)
    if not by:
        raise CrmlabInputError("by must name at least one column, e.g. by='channel'.")
    set_aside: dict = {}
    log = _contacts(interactions, need=["channel", "initiated_by"], by=by, channels=channels,
                    what="initiative_mix", set_aside=set_aside)
    customer = (log["initiated_by"] == "customer").astype(int)
    groups = customer.groupby([log[c] for c in by], observed=True, sort=True)
    out = pd.DataFrame({"contacts": groups.size(), "customer_initiated": groups.sum()})
    out.insert(1, "company_initiated", out["contacts"] - out["customer_initiated"])
    out["share_customer_initiated"] = out["customer_initiated"] / out["contacts"]
    out["share_low"], out["share_high"] = wilson_interval(out["customer_initiated"], out["contacts"],
                                                          confidence=confidence)
    return report_set_aside(out, set_aside, what="initiative_mix", verbose=verbose)


def message_numbers(interactions: pd.DataFrame, *, wave: str = "campaign_id", channels=None,
                    verbose: bool = True) -> pd.DataFrame:
    """Number the messages each customer got in each wave (第几条消息): 1, 2, 3, ...

    A promotion wave (营销波次) is one campaign; a customer may get several
    messages in it. Contact fatigue is read from the position of a message in
    that sequence.

    Parameters
    ----------
    interactions : DataFrame
        Columns ``customer_id``, ``interaction_ts``, ``channel``,
        ``initiated_by``, ``cost``, ``responded`` and ``wave``. Only
        company-initiated contacts with a wave id and a response record are
        kept; the others are set aside and counted. Leave the randomised
        experiment out: its ``responded`` means "bought in the window", not
        "opened the message".
    wave : str, default "campaign_id"
        The column that names the wave.
    channels, verbose
        As in :func:`channel_summary`.

    Returns
    -------
    DataFrame
        The kept contacts (same index) with ``message_no`` (1 = first message
        of the wave to that customer, by time) and ``messages_in_wave``.

    Examples
    --------
    >>> log = pd.DataFrame({"customer_id": ["a", "a", "b"], "campaign_id": ["W1", "W1", "W1"],
    ...                     "interaction_ts": pd.to_datetime(["2025-06-04", "2025-06-01", "2025-06-01"]),
    ...                     "channel": "sms", "initiated_by": "company", "cost": 0.05, "responded": False})
    >>> message_numbers(log)[["customer_id", "message_no", "messages_in_wave"]]
      customer_id  message_no  messages_in_wave
    0           a           2                 2
    1           a           1                 2
    2           b           1                 1
    """
    set_aside: dict = {}
    log = _contacts(interactions, need=["customer_id", "interaction_ts", "channel", "initiated_by", "cost", "responded"],
                    by=(), channels=channels, what="message_numbers", set_aside=set_aside)
    require_columns(interactions.columns, [wave], table="interactions")
    log[wave] = interactions.loc[log.index, wave].astype("string").replace("", pd.NA)
    customer = log["initiated_by"] == "customer"
    no_wave = ~customer & log[wave].isna()
    no_record = ~customer & ~no_wave & log["responded"].isna()
    set_aside.update({"customer-initiated contacts": customer.sum(),
                      f"company contacts without a '{wave}'": no_wave.sum(),
                      "company contacts without a response record": no_record.sum()})
    log = log[~(customer | no_wave | no_record)]
    if log.empty:
        raise CrmlabInputError(f"message_numbers: no company-initiated contact with a '{wave}' and a response record.")
    order = log.sort_values([wave, "customer_id", "interaction_ts"], kind="stable")
    keys = [order[wave], order["customer_id"]]
    order["message_no"] = order.groupby(keys, sort=False).cumcount() + 1
    order["messages_in_wave"] = order.groupby(keys, sort=False)["message_no"].transform("size")
    out = order.loc[log.index]
    out["responded"] = out["responded"].astype(bool)
    return report_set_aside(out, set_aside, what="message_numbers", verbose=verbose)


def response_by_message(interactions: pd.DataFrame, *, by="channel", wave: str = "campaign_id", channels=None,
                        confidence: float = 0.95, verbose: bool = True) -> pd.DataFrame:
    """Response rate of the 1st, 2nd, 3rd, ... message of a wave (接触疲劳的观察).

    Parameters
    ----------
    interactions : DataFrame
        As for :func:`message_numbers` (the experiment left out), plus the
        columns in ``by``.
    by : str or list of str or None, default "channel"
        Groups to show separately (None: all messages together).
    wave, channels, confidence, verbose
        As in :func:`message_numbers` and :func:`channel_summary`.

    Returns
    -------
    DataFrame
        One row per group and ``message_no``: ``messages``, ``responses``,
        ``response_rate``, ``response_low``, ``response_high`` and
        ``relative_to_first`` (rate / the group's rate of message 1).

    Examples
    --------
    >>> log = pd.DataFrame({"customer_id": ["a", "a", "b", "b"], "campaign_id": "W1",
    ...                     "interaction_ts": pd.to_datetime(["2025-06-01", "2025-06-04"] * 2),
    ...                     "channel": "sms", "initiated_by": "company", "cost": 0.05,
    ...                     "responded": [True, False, True, True]})
    >>> response_by_message(log, by=None)[["messages", "response_rate", "relative_to_first"]]
    ... # doctest: +NORMALIZE_WHITESPACE
                messages  response_rate  relative_to_first
    message_no
    1                  2            1.0                1.0
    2                  2            0.5                0.5
    """
    by = _as_list(by)
    numbered, set_aside = _numbered_by(interactions, by, wave=wave, channels=channels)
    keys = [*by, "message_no"]
    groups = numbered.groupby(keys, observed=True, sort=True)["responded"]
    out = pd.DataFrame({"messages": groups.size(), "responses": groups.sum().astype(int)})
    out["response_rate"] = out["responses"] / out["messages"]
    out["response_low"], out["response_high"] = wilson_interval(out["responses"], out["messages"], confidence=confidence)
    first = out["response_rate"].xs(1, level="message_no") if by else out.loc[1, "response_rate"]
    if by:
        base = first.reindex(out.index.droplevel("message_no")).to_numpy()
    else:
        base = first
    with np.errstate(invalid="ignore", divide="ignore"):
        out["relative_to_first"] = out["response_rate"] / base
    return report_set_aside(out, set_aside, what="response_by_message", verbose=verbose)


def contact_fatigue(interactions: pd.DataFrame, *, by="channel", wave: str = "campaign_id", channels=None,
                    confidence: float = 0.95, verbose: bool = True) -> pd.DataFrame:
    """Fit contact fatigue (接触疲劳): each earlier message in a wave multiplies the response by ``decay``.

    The model: the j-th message of a wave to a customer in group g is answered
    with probability ``first_response[g] * decay ** (j - 1)``; ``decay`` is
    common to all groups. It is fitted by maximum likelihood (binomial
    responses, log link) on the counts of :func:`response_by_message`; the
    intervals come from the Fisher information (on the log scale, so they
    stay positive). The number of messages a customer gets must not depend on
    how likely the customer is to respond — true in the sample company, where
    it was drawn at random (a frequency test, 频次测试); otherwise the decay
    mixes fatigue with selection.

    Parameters
    ----------
    interactions : DataFrame
        As for :func:`response_by_message`.
    by : str or list of str or None, default "channel"
        Groups with their own first-message response rate.
    wave, channels, confidence, verbose
        As in :func:`response_by_message`.

    Returns
    -------
    DataFrame
        Columns ``parameter`` (``"decay"`` or ``"first_response"``),
        ``group`` (``"all"`` for the decay, else the group label),
        ``estimate``, ``std_error``, ``ci_low``, ``ci_high``;
        ``attrs["messages"]`` holds the number of messages used.

    Examples
    --------
    >>> ids = [f"c{i}" for i in range(200)]
    >>> log = pd.DataFrame({"customer_id": ids * 2, "campaign_id": "W1",
    ...                     "interaction_ts": pd.to_datetime(["2025-06-01"] * 200 + ["2025-06-04"] * 200),
    ...                     "channel": "sms", "initiated_by": "company", "cost": 0.05,
    ...                     "responded": [i < 100 for i in range(200)] + [i < 50 for i in range(200)]})
    >>> contact_fatigue(log, by=None)[["parameter", "group", "estimate"]].round(3)  # 50 % answer message 1, 25 % message 2
            parameter group  estimate
    0           decay   all       0.5
    1  first_response   all       0.5
    """
    from scipy.optimize import minimize

    from crmlab._threads import one_blas_thread

    counts = response_by_message(interactions, by=by, wave=wave, channels=channels, confidence=confidence,
                                 verbose=False)
    set_aside = dict(counts.attrs.get("set_aside", {}))
    if counts.index.get_level_values("message_no").max() < 2:
        raise CrmlabInputError("contact_fatigue: every customer got one message per wave, so fatigue cannot be "
                               "measured; it needs waves in which some customers got 2 or more messages.")
    cells = counts.reset_index()
    by = _as_list(by)
    labels = cells[by].astype(str).agg(" / ".join, axis=1) if by else pd.Series("all", index=cells.index)
    group_codes, group_names = pd.factorize(labels, sort=True)
    n = cells["messages"].to_numpy(float)
    y = cells["responses"].to_numpy(float)
    step = cells["message_no"].to_numpy(float) - 1
    design = np.column_stack([np.eye(len(group_names))[group_codes], step])

    def negll(theta):
        eta = np.minimum(design @ theta, -1e-9)
        p = np.exp(eta)
        ll = y * eta + (n - y) * np.log1p(-p)
        grad_eta = y - (n - y) * p / (1 - p)
        return -ll.sum(), -(design.T @ grad_eta)

    # start from each group's first-message rate (smoothed, so that 0 responses still have a log)
    start_rates = np.full(len(group_names), 0.05)
    first = cells["message_no"].to_numpy() == 1
    start_rates[group_codes[first]] = ((y + 0.5) / (n + 1))[first]
    start = np.append(np.log(start_rates), np.log(0.7))
    with one_blas_thread():
        fit = minimize(negll, start, jac=True, method="BFGS")
    theta = fit.x
    p = np.exp(np.minimum(design @ theta, -1e-9))
    information = (design * (n * p / (1 - p))[:, None]).T @ design
    se = np.sqrt(np.diag(np.linalg.pinv(information)))
    z = z_value(confidence)
    out = pd.DataFrame({
        "parameter": ["first_response"] * len(group_names) + ["decay"],
        "group": [*map(str, group_names), "all"],
        "estimate": np.exp(theta),
        "std_error": np.exp(theta) * se,  # delta method: se of exp(t) = exp(t) * se(t)
        "ci_low": np.exp(theta - z * se),
        "ci_high": np.exp(theta + z * se),
    })
    out = pd.concat([out.iloc[[-1]], out.iloc[:-1]], ignore_index=True)
    out.attrs["messages"] = int(n.sum())
    return report_set_aside(out, set_aside, what="contact_fatigue", verbose=verbose)


def frequency_response(interactions: pd.DataFrame, *, by=None, wave: str = "campaign_id", channels=None,
                       confidence: float = 0.95, verbose: bool = True) -> pd.DataFrame:
    """Customers who got 1, 2, 3, ... messages in a wave: what the extra messages bought (接触频率).

    One row per customer and wave is grouped by how many messages the
    customer got. When that number was assigned at random (the sample
    company's frequency test), the groups are comparable and the differences
    between rows are the effect of one more message.

    Parameters
    ----------
    interactions : DataFrame
        As for :func:`message_numbers`, plus the columns in ``by``.
    by : str or list of str, optional
        Extra grouping, e.g. ``"channel"``.
    wave, channels, confidence, verbose
        As in :func:`message_numbers`.

    Returns
    -------
    DataFrame
        One row per group and ``messages_in_wave``: ``customer_waves``,
        ``responders`` (answered at least one message), ``responder_rate``
        with ``responder_low`` / ``responder_high``, ``responses_per_customer``,
        ``cost_per_customer``, ``cost_per_responder`` and
        ``extra_responders`` (responder rate minus that of one message fewer,
        within the group).

    Examples
    --------
    >>> log = pd.DataFrame({"customer_id": ["a", "b", "b"], "campaign_id": "W1",
    ...                     "interaction_ts": pd.to_datetime(["2025-06-01", "2025-06-01", "2025-06-04"]),
    ...                     "channel": "sms", "initiated_by": "company", "cost": 0.05,
    ...                     "responded": [False, False, True]})
    >>> out = frequency_response(log)       # a got one message and did not answer; b answered the second
    >>> out["responder_rate"].tolist(), out["cost_per_customer"].round(2).tolist()
    ([0.0, 1.0], [0.05, 0.1])
    """
    by = _as_list(by)
    numbered, set_aside = _numbered_by(interactions, by, wave=wave, channels=channels)
    per_customer = numbered.groupby([wave, "customer_id", "messages_in_wave", *by], observed=True, sort=False).agg(
        responses=("responded", "sum"), cost=("cost", "sum")).reset_index()
    per_customer["responder"] = per_customer["responses"] > 0
    groups = per_customer.groupby([*by, "messages_in_wave"], observed=True, sort=True)
    out = pd.DataFrame({"customer_waves": groups.size(), "responders": groups["responder"].sum().astype(int)})
    out["responder_rate"] = out["responders"] / out["customer_waves"]
    out["responder_low"], out["responder_high"] = wilson_interval(out["responders"], out["customer_waves"],
                                                                  confidence=confidence)
    out["responses_per_customer"] = groups["responses"].sum() / out["customer_waves"]
    out["cost_per_customer"] = groups["cost"].sum() / out["customer_waves"]
    with np.errstate(invalid="ignore", divide="ignore"):
        out["cost_per_responder"] = (groups["cost"].sum() / out["responders"]).where(out["responders"] > 0)
    previous = out["responder_rate"].groupby(level=by).shift(1) if by else out["responder_rate"].shift(1)
    out["extra_responders"] = out["responder_rate"] - previous
    return report_set_aside(out, set_aside, what="frequency_response", verbose=verbose)



def frequency_difference(frequency: pd.DataFrame, *, messages: int, versus: int, confidence: float = 0.95) -> pd.Series:
    """Responders with ``messages`` against ``versus`` messages in a wave (接触频率的效果), with a test.

    The difference of the two responder rates of :func:`frequency_response`
    (Newcombe's interval, two-proportion z-test). With the number of
    messages assigned at random, as in the sample company's frequency test,
    the difference is the effect of the extra messages.

    Parameters
    ----------
    frequency : DataFrame
        The result of :func:`frequency_response` without ``by`` (indexed by
        ``messages_in_wave``; columns ``customer_waves``, ``responders``).
    messages, versus : int
        The two numbers of messages compared, e.g. 4 and 1.
    confidence : float, default 0.95

    Returns
    -------
    Series
        ``rate`` (with ``messages``), ``versus_rate``, ``difference``,
        ``ci_low``, ``ci_high``, ``p_value``, and ``rate_ratio``.

    Examples
    --------
    >>> f = pd.DataFrame({"customer_waves": [1000, 1000], "responders": [70, 140]},
    ...                  index=pd.Index([1, 4], name="messages_in_wave"))
    >>> frequency_difference(f, messages=4, versus=1)[["difference", "rate_ratio"]].round(3).tolist()
    [0.07, 2.0]
    """
    require_columns(frequency.columns, ["customer_waves", "responders"], table="frequency")
    for name, value in (("messages", messages), ("versus", versus)):
        if value not in frequency.index:
            raise CrmlabInputError(f"{name}={value!r} is not a number of messages in the table; it has "
                                   f"{list(frequency.index)}. Pass a frequency_response table without by=.")
    a, b = frequency.loc[messages], frequency.loc[versus]
    diff, low, high, p = difference_of_shares(a["responders"], a["customer_waves"], b["responders"],
                                              b["customer_waves"], confidence=confidence)
    rate, versus_rate = a["responders"] / a["customer_waves"], b["responders"] / b["customer_waves"]
    return pd.Series({"rate": rate, "versus_rate": versus_rate, "difference": float(diff), "ci_low": float(low),
                      "ci_high": float(high), "p_value": float(p), "rate_ratio": rate / versus_rate},
                     name=f"{messages} vs {versus} messages")

def _numbered_by(interactions, by, *, wave, channels):
    """Numbered promotion messages with the ``by`` columns joined in; rows without a ``by``
    value are set aside. Returns the frame and the set-aside counts so far."""
    numbered = message_numbers(interactions, wave=wave, channels=channels, verbose=False)
    set_aside = dict(numbered.attrs.get("set_aside", {}))
    if by:
        require_columns(interactions.columns, by, table="interactions")
        for column in by:
            numbered[column] = interactions.loc[numbered.index, column]
        missing = numbered[by].isna().any(axis=1)
        if missing.any():
            set_aside[f"contacts without a value in {by}"] = int(missing.sum())
            numbered = numbered[~missing]
    return numbered, set_aside
