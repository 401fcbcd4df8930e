"""Data mining for CRM (数据挖掘): churn prediction with an honest split in time, gains and lift, calibration.

A churn model (流失预测模型) answers "who will stop buying next?" from what
the company knew *before* the customers stopped. The one rule that makes it
honest is a **cut-off date** (截止日期):

- the **features** (特征) — recency, frequency, spend, tenure, complaints,
  survey answers — come only from records dated before the cut-off;
- the **label** (标签) — churned or not — is measured only *after* it: a
  customer active at the cut-off who makes no purchase in the
  ``horizon_days`` that follow has churned (:func:`churn_dataset`).

Nothing dated on or after the cut-off can reach the features (a test
changes every later record and compares the features byte for byte). The
churn rule is the kit's: "no purchase for ``inactive_days``" from
:func:`crmlab.retention.customer_lifetimes` (chapters 4 and 7), which also
says who is still active at the cut-off.

A model is then judged on a *later* period than the one it learned from:

- :func:`churn_model` fits a standardized logistic regression
  (scikit-learn) and :func:`predict_churn` scores customers with it;
- :func:`compare_auc` compares two scores (e.g. the model against recency
  alone) by the area under the ROC curve, with DeLong's interval for the
  difference (paired: same customers);
- :func:`calibration_table`: do the predicted probabilities match the
  observed churn rates (校准)?
- :func:`gains_table` (增益表/提升表) by decile and :func:`targeting_value`:
  what a retention campaign on the top deciles would earn, given a cost per
  contact, a save rate and the value of a saved customer — stated
  assumptions, because a churn score says who will leave, not who a contact
  can keep (that is uplift, chapter 5).

Examples
--------
>>> import pandas as pd
>>> p = pd.DataFrame({"customer_id": ["A", "A", "B", "C", "C"], "revenue": [100.0, 50.0, 80.0, 20.0, 30.0],
...                   "order_ts": pd.to_datetime(["2025-01-10", "2025-05-01", "2025-06-20", "2025-06-01",
...                                               "2025-08-01"])})
>>> churn_dataset(p, cutoff="2025-07-01", horizon_days=90, verbose=False)["churned"].tolist()
[True, True, False]
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from crmlab.validation import (CrmlabInputError, as_date, describe_rows, frame_check, purchases_before, require_columns,
                               shown)

__all__ = ["churn_dataset", "churn_model", "predict_churn", "model_coefficients", "compare_auc", "calibration_table",
           "gains_table", "targeting_value", "COMPLAINT_STATUSES", "response_scores", "response_uplift_by_decile",
           "cluster_segments", "segment_agreement", "rule_counts", "rules_holdout", "score_groups"]

#: What the company knows of a customer's latest complaint at the cut-off: no complaint, its outcome if it
#: was closed before the cut-off, else still open (an unresolved complaint never closes).
COMPLAINT_STATUSES = ["none", "resolved_satisfied", "resolved_unsatisfied", "open"]


# -- the data set: features before the cut-off, the label after it -----------------------------

def churn_dataset(purchases: pd.DataFrame, *, cutoff, horizon_days: int = 180, inactive_days: int = 180,
                  complaints: pd.DataFrame | None = None, survey: pd.DataFrame | None = None, survey_cols=None,
                  verbose: bool = True) -> pd.DataFrame:
    """Features known before ``cutoff`` and the churn label measured after it (流失预测数据集).

    Who is in it: every customer with a purchase before the cut-off who is
    still active at it by the kit's churn rule — the last purchase less than
    ``inactive_days`` before the cut-off
    (:func:`crmlab.retention.customer_lifetimes` at ``as_of=cutoff``).
    Customers already lost at the cut-off are not predicted: they have churned.

    The label: ``churned`` is True when the customer makes no purchase in
    [cutoff, cutoff + ``horizon_days``). The purchases must cover that window
    (for the sample company, whose data end on 2025-12-31, a cut-off of
    2025-07-01 with 180 days ends on 2025-12-27).

    Parameters
    ----------
    purchases : DataFrame
        From :func:`crmlab.transactions.purchases`: ``customer_id``,
        ``order_ts`` and ``revenue``.
    cutoff : str or Timestamp
        The cut-off date (截止日期): features use records strictly before it,
        the label records from it on.
    horizon_days : int, default 180
        Length of the window after the cut-off in which a purchase means
        "stayed". With ``horizon_days == inactive_days`` the label is the
        chapter 4/7 churn rule applied at the end of the window.
    inactive_days : int, default 180
        The churn rule at the cut-off: who still counts as active.
    complaints : DataFrame, optional
        The complaints table (``customer_id``, ``opened_ts``, ``closed_ts``,
        ``outcome``). Adds ``complaints`` (number opened before the cut-off)
        and ``complaint_status`` (the latest of them as the company knew it
        at the cut-off, one of :data:`COMPLAINT_STATUSES`: its outcome only if
        it was closed before the cut-off, else ``open``).
    survey : DataFrame, optional
        Survey answers with ``customer_id`` and ``survey_date``; the latest
        answer before the cut-off gives the ``survey_cols`` (missing for a
        customer without one).
    survey_cols : list of str, optional
        Columns of ``survey`` to add; required with ``survey``.
    verbose : bool, default True
        Print one line: customers, churned, the dates.

    Returns
    -------
    DataFrame
        Indexed by ``customer_id`` (sorted): ``recency_days`` (cut-off − last
        purchase), ``frequency`` (purchases before the cut-off), ``monetary``
        (mean revenue per purchase), ``tenure_days`` (cut-off − first
        purchase), the complaint and survey columns when asked for, and
        ``churned`` (bool). ``attrs`` records ``cutoff``, ``horizon_days``
        and ``inactive_days``.

    Examples
    --------
    A bought in January and May, B in June, C in June and August. At the
    cut-off of 1 July all three are active (last purchase < 180 days before);
    only C buys in the 90 days after it:

    >>> import pandas as pd
    >>> p = pd.DataFrame({"customer_id": ["A", "A", "B", "C", "C"], "revenue": [100.0, 50.0, 80.0, 20.0, 30.0],
    ...                   "order_ts": pd.to_datetime(["2025-01-10", "2025-05-01", "2025-06-20", "2025-06-01",
    ...                                               "2025-08-01"])})
    >>> churn_dataset(p, cutoff="2025-07-01", horizon_days=90)  # doctest: +NORMALIZE_WHITESPACE
    churn_dataset: 3 customers active on 2025-07-01, 2 churned (no purchase 2025-07-01 to 2025-09-28)
                 recency_days  frequency  monetary  tenure_days  churned
    customer_id
    A                    61.0          2      75.0        172.0     True
    B                    11.0          1      80.0         11.0     True
    C                    30.0          1      20.0         30.0    False
    """
    from crmlab.retention import customer_lifetimes

    cutoff = as_date(cutoff, name="cutoff")
    for name, days in (("horizon_days", horizon_days), ("inactive_days", inactive_days)):
        if not isinstance(days, (int, np.integer)) or isinstance(days, bool) or days < 1:
            raise CrmlabInputError(f"{name}={days!r} must be a whole number of days >= 1, e.g. 180.")
    before, _ = purchases_before(purchases, cutoff)  # checks the table; nothing on or after the cut-off is in it
    require_columns(purchases.columns, ["revenue"], table="purchases")
    if before.empty:
        raise CrmlabInputError(f"purchases: no purchase before cutoff {cutoff:%Y-%m-%d}; choose a later cut-off.")
    life = customer_lifetimes(before, as_of=cutoff, inactive_days=inactive_days, verbose=False)
    life = life[~life["churned"]]
    out = pd.DataFrame({
        "recency_days": life["recency_days"].round(6),
        "frequency": life["n_purchases"].astype("int64"),
        "monetary": (life["revenue"] / life["n_purchases"]).round(6),
        "tenure_days": ((cutoff - life["first_purchase"]).dt.total_seconds() / 86400).round(6),
    }, index=life.index)
    if complaints is not None:
        out = out.join(_complaint_features(complaints, cutoff, out.index))
    if survey is not None or survey_cols is not None:
        out = out.join(_survey_features(survey, survey_cols, cutoff, out.index))
    # The label: any purchase in [cutoff, cutoff + horizon).
    end = cutoff + pd.Timedelta(days=int(horizon_days))
    when = purchases["order_ts"]
    stayed = purchases.loc[(when >= cutoff) & (when < end), "customer_id"].unique()
    out["churned"] = ~out.index.isin(stayed)
    out.index.name = "customer_id"
    out.attrs.update(cutoff=cutoff, horizon_days=int(horizon_days), inactive_days=int(inactive_days))
    if verbose:
        print(f"churn_dataset: {len(out):,} customers active on {cutoff:%Y-%m-%d}, {int(out['churned'].sum()):,} churned "
              f"(no purchase {cutoff:%Y-%m-%d} to {end - pd.Timedelta(days=1):%Y-%m-%d})")
    return out


def _complaint_features(complaints, cutoff, customers):
    frame_check(complaints, "complaints")
    require_columns(complaints.columns, ["customer_id", "opened_ts", "closed_ts", "outcome"], table="complaints")
    for col in ("opened_ts", "closed_ts"):
        if not pd.api.types.is_datetime64_any_dtype(complaints[col]):
            raise CrmlabInputError(f"complaints: column '{col}' is not a date/time column; load the table with "
                                   "crmlab.datasets.load_data('complaints') or convert it with pd.to_datetime.")
    known = complaints[complaints["opened_ts"] < cutoff]
    closed = (known["closed_ts"] < cutoff).to_numpy()  # a missing closing time compares False: still open
    status = np.where(closed, known["outcome"].astype(str).to_numpy(), "open")
    bad = ~np.isin(status, COMPLAINT_STATUSES)
    if bad.any():
        raise CrmlabInputError(f"complaints: column 'outcome' has a value that is not one of {COMPLAINT_STATUSES[1:3]} "
                               f"or 'unresolved' in {describe_rows(known.index[bad])}, e.g. {shown(status[bad][0])}.")
    latest = (known.assign(status=status).sort_values(["customer_id", "opened_ts"], kind="stable")
              .groupby("customer_id", sort=True).agg(complaints=("status", "size"), complaint_status=("status", "last")))
    out = latest.reindex(customers)
    out["complaints"] = out["complaints"].fillna(0).astype("int64")
    out["complaint_status"] = pd.Categorical(out["complaint_status"].fillna("none"), categories=COMPLAINT_STATUSES)
    return out


def _survey_features(survey, survey_cols, cutoff, customers):
    if survey is None or survey_cols is None:
        raise CrmlabInputError("survey and survey_cols go together: pass the survey table and the columns to use, "
                               "e.g. survey=load_data('survey'), survey_cols=['satisfaction'].")
    frame_check(survey, "survey")
    survey_cols = [survey_cols] if isinstance(survey_cols, str) else list(survey_cols)
    require_columns(survey.columns, ["customer_id", "survey_date"] + survey_cols, table="survey")
    if not pd.api.types.is_datetime64_any_dtype(survey["survey_date"]):
        raise CrmlabInputError("survey: column 'survey_date' is not a date column; load the table with "
                               "crmlab.datasets.load_data('survey') or convert it with pd.to_datetime.")
    known = survey[survey["survey_date"] < cutoff].sort_values(["customer_id", "survey_date"], kind="stable")
    latest = known.groupby("customer_id", sort=True, observed=True)[survey_cols].last()
    return latest.reindex(customers)


# -- the model --------------------------------------------------------------------------------

def _log_columns(X, columns=()):
    X = X.astype(float)
    for col in columns:  # a few named columns
        X[col] = np.log1p(X[col].clip(lower=0))
    return X


def _design(frame, features, table):
    frame_check(frame, table)
    features = [features] if isinstance(features, str) else list(features)
    if not features:
        raise CrmlabInputError("features is empty; name at least one column, e.g. features=['recency_days'].")
    require_columns(frame.columns, features, table=table)
    X = frame[features]
    for col in features:
        if not pd.api.types.is_numeric_dtype(X[col]) or pd.api.types.is_bool_dtype(X[col]):
            if not pd.api.types.is_bool_dtype(X[col]):
                raise CrmlabInputError(f"{table}: feature '{col}' is not numeric; make it a number or True/False "
                                       f"(e.g. (frame['complaint_status'] == 'open')).")
    missing = X.isna().any(axis=1)
    if missing.any():
        raise CrmlabInputError(f"{table}: features are missing in {describe_rows(X.index[missing])}; keep the "
                               "customers who have them (e.g. frame.dropna(subset=features)) or fill them.")
    return X.astype(float)


def churn_model(train: pd.DataFrame, *, features, log_features=(), churned: str = "churned", penalty_c: float = 1.0,
                random_state: int = 0):
    """A churn model (流失预测模型): logistic regression on standardized features, fitted on ``train``.

    The pipeline takes ``log(1 + x)`` of ``log_features`` (counts and amounts
    with long right tails), standardizes every feature (mean 0, SD 1 on the
    training data) and fits scikit-learn's ``LogisticRegression`` (L2
    penalty ``C = penalty_c``), on one BLAS thread so that the fit is the
    same on every machine.

    Parameters
    ----------
    train : DataFrame
        One row per customer, e.g. from :func:`churn_dataset` at an earlier cut-off.
    features : list of str
        Numeric or True/False columns of ``train``, none missing.
    log_features : list of str, optional
        Features to take ``log(1 + x)`` of first.
    churned : str, default "churned"
        The label, True/False.
    penalty_c : float, default 1.0
        Inverse strength of the L2 penalty (large = almost none).
    random_state : int, default 0
        Passed to scikit-learn.

    Returns
    -------
    sklearn.pipeline.Pipeline
        Fitted; ``model.feature_names_in_`` are ``features``. Use
        :func:`predict_churn` and :func:`model_coefficients`.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> f = pd.DataFrame({"recency_days": rng.uniform(0, 180, 500)})
    >>> f["churned"] = rng.random(500) < f["recency_days"] / 180
    >>> model = churn_model(f, features=["recency_days"])
    >>> float(model_coefficients(model).loc["recency_days", "coefficient"]) > 0
    True
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer, StandardScaler

    from crmlab._threads import one_blas_thread

    X = _design(train, features, "train")
    log_features = [log_features] if isinstance(log_features, str) else list(log_features)
    unknown = [c for c in log_features if c not in X.columns]
    if unknown:
        raise CrmlabInputError(f"log_features {unknown} are not among the features {list(X.columns)}; add them to "
                               "features or leave them out.")
    require_columns(train.columns, [churned], table="train")
    y = _labels(train[churned], churned)
    model = make_pipeline(FunctionTransformer(_log_columns, kw_args={"columns": log_features},
                                              feature_names_out="one-to-one"),
                          StandardScaler(),
                          LogisticRegression(C=float(penalty_c), max_iter=1000, random_state=random_state))
    with one_blas_thread():
        model.fit(X, y)
    return model


def predict_churn(model, frame: pd.DataFrame) -> pd.Series:
    """The predicted probability of churn (流失概率) of each row of ``frame``.

    Parameters
    ----------
    model : Pipeline
        From :func:`churn_model`.
    frame : DataFrame
        With the model's features, none missing.

    Returns
    -------
    Series
        ``churn_probability``, indexed like ``frame``.

    Examples
    --------
    >>> import pandas as pd
    >>> train = pd.DataFrame({"recency_days": [10, 20, 150, 170, 30, 160], "churned": [0, 0, 1, 1, 1, 0]})
    >>> model = churn_model(train, features=["recency_days"])
    >>> p = predict_churn(model, pd.DataFrame({"recency_days": [5, 175]}, index=["new", "old"]))
    >>> bool(p["old"] > p["new"])
    True
    """
    from crmlab._threads import one_blas_thread

    X = _design(frame, list(model.feature_names_in_), "frame")
    with one_blas_thread():
        prob = model.predict_proba(X)[:, 1]
    return pd.Series(prob, index=frame.index, name="churn_probability")


def model_coefficients(model) -> pd.DataFrame:
    """The coefficients of a :func:`churn_model` per SD of each (logged) feature, largest effect first.

    Parameters
    ----------
    model : Pipeline
        From :func:`churn_model`.

    Returns
    -------
    DataFrame
        Indexed by ``feature``: ``coefficient`` (change in the log-odds of
        churn per SD), ``odds_ratio`` (exp of it). No intervals: the fit is
        penalized; for odds ratios with intervals use
        :func:`crmlab.retention.churn_drivers`.

    Examples
    --------
    >>> import pandas as pd
    >>> train = pd.DataFrame({"recency_days": [10, 20, 150, 170, 30, 160], "frequency": [6, 4, 1, 1, 2, 3],
    ...                       "churned": [0, 0, 1, 1, 1, 0]})
    >>> model_coefficients(churn_model(train, features=["recency_days", "frequency"])).round(2)  # doctest: +NORMALIZE_WHITESPACE
                  coefficient  odds_ratio
    feature
    frequency           -1.11        0.33
    recency_days         0.07        1.08
    """
    coef = model[-1].coef_[0]
    out = pd.DataFrame({"coefficient": coef, "odds_ratio": np.exp(coef)},
                       index=pd.Index(list(model.feature_names_in_), name="feature"))
    return out.iloc[np.argsort(-np.abs(coef), kind="stable")]


# -- judging a score -----------------------------------------------------------------------------

def _labels(values, name="y_true"):
    y = pd.Series(np.asarray(values)) if not isinstance(values, pd.Series) else values.reset_index(drop=True)
    if y.isna().any():
        raise CrmlabInputError(f"{name} is missing in {describe_rows(y.index[y.isna()])}; drop those customers first.")
    if not pd.api.types.is_bool_dtype(y):
        bad = ~y.isin([0, 1])
        if bad.any():
            raise CrmlabInputError(f"{name} must be True/False (or 1/0); it is not in {describe_rows(y.index[bad])}, "
                                   f"e.g. {shown(y[bad].iloc[0])}.")
    y = y.astype(bool).to_numpy()
    if y.all() or not y.any():
        raise CrmlabInputError(f"{name}: every customer has the same value; a score needs churners and stayers to judge.")
    return y


def _scores(values, n, name):
    s = np.asarray(values, dtype=float)
    if s.shape != (n,):
        raise CrmlabInputError(f"{name} has {s.size} values for {n} customers; give one score per customer, "
                               "in the order of y_true.")
    if not np.isfinite(s).all():
        raise CrmlabInputError(f"{name} is missing or infinite in {describe_rows(np.flatnonzero(~np.isfinite(s)))}.")
    return s


def compare_auc(y_true, score, baseline, *, confidence: float = 0.95) -> pd.DataFrame:
    """AUC of a score and of a baseline on the same customers, and their difference, with DeLong intervals.

    The AUC (ROC 曲线下面积) is the chance that a random churner gets a higher
    score than a random stayer (ties count one half): 0.5 is guessing, 1 a
    perfect ranking. Both scores are judged on the same customers, so their
    errors are correlated; DeLong's method (DeLong, DeLong & Clarke-Pearson
    1988) estimates the variance of each AUC and of the difference from the
    same per-customer components, giving a paired interval and a z-test of
    "no difference".

    Parameters
    ----------
    y_true : array-like of bool
        Churned (True) or not, e.g. the ``churned`` column of a later period.
    score, baseline : array-like of float
        Higher = more likely to churn, e.g. :func:`predict_churn` and ``recency_days``.
    confidence : float, default 0.95
        Level of the intervals.

    Returns
    -------
    DataFrame
        Rows ``score``, ``baseline``, ``difference`` (score − baseline);
        columns ``auc``, ``auc_low``, ``auc_high``, ``p_value`` (only for the
        difference).

    Examples
    --------
    A score that ranks every churner first has AUC 1; recency ranks 6 of the 9 churner–stayer pairs right:

    >>> y = [True, True, False, False, True, False]
    >>> compare_auc(y, [0.9, 0.8, 0.1, 0.2, 0.7, 0.3], [30, 90, 60, 10, 120, 100])["auc"].round(3).tolist()
    [1.0, 0.667, 0.333]
    """
    from scipy.stats import norm, rankdata

    from crmlab._intervals import z_value

    z = z_value(confidence)
    y = _labels(y_true)
    scores = np.vstack([_scores(score, len(y), "score"), _scores(baseline, len(y), "baseline")])
    pos, neg = np.flatnonzero(y), np.flatnonzero(~y)
    m, n = len(pos), len(neg)
    rank_all = rankdata(scores, axis=1)
    rank_pos = rankdata(scores[:, pos], axis=1)
    rank_neg = rankdata(scores[:, neg], axis=1)
    v10 = (rank_all[:, pos] - rank_pos) / n          # per churner: share of stayers scored below (ties 1/2)
    v01 = 1 - (rank_all[:, neg] - rank_neg) / m      # per stayer: share of churners scored above
    auc = v10.mean(axis=1)
    cov = (np.cov(v10) / m if m > 1 else np.zeros((2, 2))) + (np.cov(v01) / n if n > 1 else np.zeros((2, 2)))
    diff = auc[0] - auc[1]
    var = np.array([cov[0, 0], cov[1, 1], cov[0, 0] + cov[1, 1] - 2 * cov[0, 1]])
    se = np.sqrt(np.clip(var, 0, None))
    est = np.array([auc[0], auc[1], diff])
    with np.errstate(divide="ignore", invalid="ignore"):
        p = 2 * norm.sf(abs(diff) / se[2]) if se[2] > 0 else np.nan
    out = pd.DataFrame({"auc": est, "auc_low": est - z * se, "auc_high": est + z * se,
                        "p_value": [np.nan, np.nan, p]}, index=pd.Index(["score", "baseline", "difference"]))
    out.loc[["score", "baseline"], ["auc_low"]] = out.loc[["score", "baseline"], ["auc_low"]].clip(lower=0)
    out.loc[["score", "baseline"], ["auc_high"]] = out.loc[["score", "baseline"], ["auc_high"]].clip(upper=1)
    return out


def _groups(score, n_groups):
    """Equal groups by descending score (group 1 = highest); ties keep the input order."""
    if not isinstance(n_groups, (int, np.integer)) or isinstance(n_groups, bool) or n_groups < 2:
        raise CrmlabInputError(f"n_groups={n_groups!r} must be a whole number >= 2, e.g. 10 for deciles.")
    if n_groups > len(score):
        raise CrmlabInputError(f"n_groups={n_groups} is more than the {len(score)} customers; use fewer groups.")
    order = np.lexsort((np.arange(len(score)), -score))
    group = np.empty(len(score), dtype=int)
    group[order] = np.arange(len(score)) * n_groups // len(score) + 1
    return group


def calibration_table(y_true, probability, *, n_groups: int = 10, confidence: float = 0.95) -> pd.DataFrame:
    """Predicted against observed churn, by group of predicted probability (校准表).

    Customers are split into ``n_groups`` equal groups by predicted
    probability; a calibrated model's mean prediction in each group matches
    the churn rate observed in it. The observed rate is an estimate from the
    group's customers: it carries a Wilson interval; the mean prediction is
    the model's own number and carries none.

    Parameters
    ----------
    y_true : array-like of bool
        Churned or not.
    probability : array-like of float
        Predicted probabilities in [0, 1], e.g. from :func:`predict_churn`.
    n_groups : int, default 10
    confidence : float, default 0.95

    Returns
    -------
    DataFrame
        One row per group, lowest predictions first: ``group`` (1 =
        lowest), ``customers``, ``predicted`` (mean probability), ``observed``
        (churn rate), ``observed_low``, ``observed_high``.

    Examples
    --------
    >>> y = [0, 0, 1, 0, 1, 1]
    >>> calibration_table(y, [0.1, 0.2, 0.3, 0.6, 0.7, 0.9], n_groups=2)[["group", "predicted", "observed"]].round(3)
       group  predicted  observed
    0      1      0.200     0.333
    1      2      0.733     0.667
    """
    from crmlab._intervals import wilson_interval

    y = _labels(y_true)
    prob = _scores(probability, len(y), "probability")
    if (prob < 0).any() or (prob > 1).any():
        raise CrmlabInputError("probability must lie between 0 and 1; pass predicted probabilities, not scores.")
    group = n_groups + 1 - _groups(prob, n_groups)  # 1 = lowest predictions
    frame = pd.DataFrame({"group": group, "y": y, "p": prob})
    out = frame.groupby("group", sort=True).agg(customers=("y", "size"), churners=("y", "sum"), predicted=("p", "mean"))
    out["observed"] = out["churners"] / out["customers"]
    out["observed_low"], out["observed_high"] = wilson_interval(out["churners"], out["customers"], confidence=confidence)
    return out.drop(columns="churners").reset_index()


def gains_table(y_true, score, n_groups: int = 10) -> pd.DataFrame:
    """Gains and lift by group of score, highest scores first (增益表与提升度).

    Customers are sorted by score (ties keep their order) and cut into
    ``n_groups`` equal groups (deciles by default). For each group and for
    the top groups together: how many churners are in them, which share of
    all churners that is (the *gain*, 捕获率), and the *lift* (提升度) — the
    churn rate among them over the overall churn rate. A random list has
    lift 1 and captures x % of churners in its top x %.

    Parameters
    ----------
    y_true : array-like of bool
        Churned or not.
    score : array-like of float
        Higher = more likely to churn.
    n_groups : int, default 10

    Returns
    -------
    DataFrame
        One row per group: ``group`` (1 = highest scores), ``customers``,
        ``churners``, ``churn_rate``, ``lift``, ``cum_customers``,
        ``cum_share`` (share of all customers in groups 1..k),
        ``cum_churners``, ``gain`` (share of all churners in groups 1..k),
        ``cum_lift`` (gain / cum_share).

    Examples
    --------
    Ten customers, four churners; the score puts three of them in the top half:

    >>> y = [1, 1, 0, 1, 0, 0, 1, 0, 0, 0]
    >>> g = gains_table(y, [10, 9, 8, 7, 6, 5, 4, 3, 2, 1], n_groups=2)
    >>> g[["group", "churners", "churn_rate", "lift", "gain", "cum_lift"]]
       group  churners  churn_rate  lift  gain  cum_lift
    0      1         3         0.6   1.5  0.75       1.5
    1      2         1         0.2   0.5  1.00       1.0
    """
    y = _labels(y_true)
    s = _scores(score, len(y), "score")
    group = _groups(s, n_groups)
    out = (pd.DataFrame({"group": group, "y": y}).groupby("group", sort=True)
           .agg(customers=("y", "size"), churners=("y", "sum")).reset_index())
    overall = y.mean()
    out["churn_rate"] = out["churners"] / out["customers"]
    out["lift"] = out["churn_rate"] / overall
    out["cum_customers"] = out["customers"].cumsum()
    out["cum_share"] = out["cum_customers"] / len(y)
    out["cum_churners"] = out["churners"].cumsum()
    out["gain"] = out["cum_churners"] / y.sum()
    out["cum_lift"] = out["gain"] / out["cum_share"]
    return out


def targeting_value(gains: pd.DataFrame, *, value_saved: float, save_rate: float, cost: float) -> pd.DataFrame:
    """What a retention campaign on the top groups of a gains table would earn (目标客户选择的价值).

    Contacting groups 1..k costs ``cost`` per customer contacted and keeps
    ``save_rate`` of the churners reached, each worth ``value_saved``:
    ``net = cum_churners × save_rate × value_saved − cum_customers × cost``.
    ``net_random`` is the same campaign on as many customers picked at random
    (churners reached at the overall churn rate). The save rate and the value
    are assumptions to state: the churn score says who will leave, not whom a
    contact keeps (that needs an experiment, chapter 5), and it is taken to be
    the same for every churner and zero for stayers.

    Parameters
    ----------
    gains : DataFrame
        From :func:`gains_table`.
    value_saved : float
        Value of a churner kept (yuan), e.g. the margin of the next months.
    save_rate : float
        Share of the churners reached whom the contact keeps, between 0 and 1.
    cost : float
        Cost of one contact (yuan).

    Returns
    -------
    DataFrame
        One row per depth ``group`` (contact groups 1..k): ``cum_share``,
        ``contacted``, ``churners_reached``, ``saved``, ``benefit``,
        ``cost``, ``net``, ``net_random``.

    Examples
    --------
    >>> g = gains_table([1, 1, 0, 1, 0, 0, 1, 0, 0, 0], [10, 9, 8, 7, 6, 5, 4, 3, 2, 1], n_groups=2)
    >>> targeting_value(g, value_saved=100, save_rate=0.5, cost=20)[["group", "saved", "net", "net_random"]]
       group  saved   net  net_random
    0      1    1.5  50.0         0.0
    1      2    2.0   0.0         0.0
    """
    frame_check(gains, "gains")
    require_columns(gains.columns, ["group", "cum_share", "cum_customers", "cum_churners"], table="gains")
    for name, v in (("value_saved", value_saved), ("cost", cost)):
        if not np.isfinite(float(v)) or float(v) < 0:
            raise CrmlabInputError(f"{name}={v!r} must be an amount >= 0 in yuan.")
    if not 0 <= float(save_rate) <= 1:
        raise CrmlabInputError(f"save_rate={save_rate!r} must be a share between 0 and 1, e.g. 0.2.")
    total, churners = gains["cum_customers"].iloc[-1], gains["cum_churners"].iloc[-1]
    out = gains[["group", "cum_share"]].copy()
    out["contacted"] = gains["cum_customers"]
    out["churners_reached"] = gains["cum_churners"]
    out["saved"] = out["churners_reached"] * float(save_rate)
    out["benefit"] = out["saved"] * float(value_saved)
    out["cost"] = out["contacted"] * float(cost)
    out["net"] = out["benefit"] - out["cost"]
    out["net_random"] = out["contacted"] * (churners / total * float(save_rate) * float(value_saved) - float(cost))
    return out


# -- response modelling against uplift (响应模型与增量模型) ---------------------------------------------

def response_scores(assignment: pd.DataFrame, customers: pd.DataFrame, *, features, log_features=(),
                    campaign_id=None, folds: int = 5, random_state: int = 0) -> pd.DataFrame:
    """A response model (响应模型) fitted on the treated group, scored out of fold for every customer.

    The response model answers "who buys when we send the offer?": a
    logistic regression (:func:`churn_model`'s pipeline, label
    ``responded``) learned on the **treated** customers of a randomised
    campaign only. Each customer is scored by a model that did not see them:
    the customers (treated and control alike) are split at random into
    ``folds`` parts, and part *k* is scored by the model fitted on the treated
    customers of the other parts (cross-fitting, 交叉拟合). A treated
    customer's own response therefore never raises their own score, and both
    groups are scored the same way, so comparing them by score group is fair
    (:func:`response_uplift_by_decile`). Scores are rounded to 12 decimals,
    so that their order is the same on every machine.

    Parameters
    ----------
    assignment : DataFrame
        As in :func:`crmlab.campaigns.campaign_uplift`: ``customer_id``,
        ``group``, ``responded``, ``revenue`` (and ``campaign_id``).
    customers : DataFrame
        Indexed by ``customer_id``: the features, measured *before* the
        campaign (e.g. :func:`crmlab.rfm.rfm_from_orders` at its start date).
        A customer of the experiment missing here, or with a missing
        feature, gets no score.
    features : list of str
        Numeric columns of ``customers``.
    log_features : list of str, optional
        Features to take ``log(1 + x)`` of first.
    campaign_id : str, optional
        The campaign (needed when the table holds several).
    folds : int, default 5
        Parts of the cross-fitting, 2 to 20.
    random_state : int, default 0
        Seed of the split into parts and of scikit-learn.

    Returns
    -------
    DataFrame
        The campaign's rows, sorted by ``customer_id``: ``customer_id``,
        ``group``, ``responded``, ``revenue``, the features, ``fold`` (1 to
        ``folds``; 0 without a score) and ``response_score`` (predicted chance
        of responding when treated; missing without features).

    Examples
    --------
    Customers who bought more often before the campaign respond more:

    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(1)
    >>> ids = [f"C{i:03d}" for i in range(400)]
    >>> f = pd.DataFrame({"frequency": rng.integers(1, 10, 400)}, index=pd.Index(ids, name="customer_id"))
    >>> a = pd.DataFrame({"customer_id": ids, "group": np.where(rng.random(400) < 0.5, "treatment", "control"),
    ...                   "responded": rng.random(400) < f["frequency"].to_numpy() / 12, "revenue": 0.0})
    >>> s = response_scores(a, f, features=["frequency"])
    >>> s.groupby("frequency")["response_score"].mean().is_monotonic_increasing
    True
    """
    from crmlab.campaigns import GROUPS
    from crmlab.validation import boolean, require_labels, require_nonempty

    frame_check(customers, "customers")
    features = [features] if isinstance(features, str) else list(features)
    if not features:
        raise CrmlabInputError("features is empty; name at least one column, e.g. features=['frequency'].")
    require_columns(customers.columns, features, table="customers")
    if (not isinstance(folds, (int, np.integer)) or isinstance(folds, bool) or not 2 <= folds <= 20):
        raise CrmlabInputError(f"folds={folds!r} must be a whole number from 2 to 20, e.g. 5.")
    frame_check(assignment, "campaign_assignment")
    require_columns(assignment.columns, ["customer_id", "group", "responded", "revenue"], table="campaign_assignment")
    require_nonempty(assignment, table="campaign_assignment")
    rows = assignment
    if "campaign_id" in assignment.columns:
        present = sorted(assignment["campaign_id"].astype("string").dropna().unique())
        if campaign_id is None and len(present) > 1:
            raise CrmlabInputError(f"campaign_assignment holds {len(present)} campaigns {present}; choose one with "
                                   "campaign_id=..., since each experiment is scored on its own.")
        if campaign_id is not None:
            if campaign_id not in present:
                raise CrmlabInputError(f"campaign_id={campaign_id!r} is not in campaign_assignment; campaigns "
                                       f"present: {present}.")
            rows = assignment[assignment["campaign_id"].astype("string").eq(campaign_id).fillna(False).to_numpy(bool)]
    require_labels(rows["group"], GROUPS, column="group", table="campaign_assignment",
                   fix="Rename the labels to treatment (实验组) and control (对照组).")
    if rows["customer_id"].duplicated().any():
        dup = rows["customer_id"].duplicated(keep=False)
        raise CrmlabInputError(f"campaign_assignment: customer_id is not unique within the campaign in "
                               f"{describe_rows(rows.index[dup])}; each customer belongs to one group once.")
    responded = boolean(rows["responded"], "responded", "campaign_assignment")
    if responded.isna().any():
        raise CrmlabInputError(f"campaign_assignment: 'responded' is missing in "
                               f"{describe_rows(rows.index[responded.isna().to_numpy()])}; drop those rows first.")
    rows = pd.DataFrame({"customer_id": rows["customer_id"].astype(str).to_numpy(),
                         "group": rows["group"].astype(str).to_numpy(),
                         "responded": responded.astype(bool).to_numpy(), "revenue": rows["revenue"].to_numpy()})
    if customers.index.has_duplicates:
        dup = customers.index.duplicated(keep=False)
        raise CrmlabInputError(f"customers: the index (customer_id) repeats in {describe_rows(customers.index[dup])}; "
                               "give one row per customer.")
    rows = rows.sort_values("customer_id", kind="stable").reset_index(drop=True)
    X = customers[features].reindex(rows["customer_id"]).reset_index(drop=True)
    scorable = X.notna().all(axis=1).to_numpy()
    out = rows[["customer_id", "group", "responded", "revenue"]].join(X)
    rng = np.random.default_rng(random_state)
    fold = np.zeros(len(out), dtype=int)
    fold[scorable] = rng.permutation(int(scorable.sum())) % folds + 1
    treated = (out["group"] == "treatment").to_numpy()
    score = np.full(len(out), np.nan)
    for k in range(1, folds + 1):  # one model per part (a few fits, not a loop over rows)
        learn = scorable & treated & (fold != k)
        if out.loc[learn, "responded"].nunique() < 2:
            raise CrmlabInputError(f"response_scores: the treated customers outside part {k} all responded or none "
                                   "did; the model needs both. Use fewer folds or a larger campaign.")
        model = churn_model(out[learn], features=features, log_features=log_features, churned="responded",
                            random_state=random_state)
        score[fold == k] = predict_churn(model, out[fold == k]).to_numpy()
    out["fold"] = fold
    out["response_score"] = np.round(score, 12)
    return out


def response_uplift_by_decile(scored: pd.DataFrame, *, score: str = "response_score", n_groups: int = 10,
                              metric: str = "response_rate", confidence: float = 0.95,
                              verbose: bool = True) -> pd.DataFrame:
    """What the experiment says about uplift in each group of a response score (响应分组的增量效果).

    Treated and control customers together are sorted by ``score``
    (highest first, ties in the table's order) and cut into ``n_groups``
    equal groups (deciles by default). In each group the treatment and
    control means and the uplift with its interval come from
    :func:`crmlab.campaigns.campaign_uplift`: since the groups were assigned
    at random, the control customers of a group show what its treated
    customers would have done without the offer.

    ``attrs["trend"]`` asks one question of the whole table: does the uplift
    rise or fall with the group number? It is the slope of a weighted least
    squares line through the groups' uplifts (weights 1 / variance: for the
    response ``p1(1-p1)/n1 + p0(1-p0)/n0``, for revenue Welch's
    ``s1**2/n1 + s0**2/n0``), per group, with a normal interval and
    p-value. A positive slope means the uplift is larger further *down* the
    score list.

    Parameters
    ----------
    scored : DataFrame
        One row per customer of one campaign: ``group``, ``responded``,
        ``revenue`` and the score column, e.g. from :func:`response_scores`.
        Rows without a score are set aside and reported.
    score : str, default "response_score"
    n_groups : int, default 10
    metric : {"response_rate", "revenue_per_customer"}, default "response_rate"
    confidence : float, default 0.95
    verbose : bool, default True
        Print one line about the rows set aside (kept in ``attrs["set_aside"]``).

    Returns
    -------
    DataFrame
        One row per ``group`` (1 = highest scores): ``customers``,
        ``mean_score``, ``n_treatment``, ``n_control``, ``treatment``,
        ``control``, ``uplift``, ``ci_low``, ``ci_high``, ``p_value``;
        ``attrs["trend"]`` (``slope``, ``ci_low``, ``ci_high``, ``p_value``).

    Examples
    --------
    Eight customers, two groups; the high scorers buy with or without the
    offer, the low scorers only with it:

    >>> s = pd.DataFrame({"customer_id": list("abcdefgh"), "response_score": [.9, .8, .7, .6, .4, .3, .2, .1],
    ...                   "group": ["treatment", "control"] * 4,
    ...                   "responded": [True, True, True, True, True, False, False, False], "revenue": 0.0})
    >>> response_uplift_by_decile(s, n_groups=2)[["group", "treatment", "control", "uplift"]]
       group  treatment  control  uplift
    0      1        1.0      1.0     0.0
    1      2        0.5      0.0     0.5
    """
    from scipy.stats import norm

    from crmlab.campaigns import METRICS, campaign_uplift
    from crmlab.validation import require_option, report_set_aside

    frame_check(scored, "scored")
    require_columns(scored.columns, [score, "group", "responded", "revenue"], table="scored")
    require_option(metric, METRICS, name="metric")
    values = pd.to_numeric(scored[score], errors="coerce")
    if values.isna().all():
        raise CrmlabInputError(f"scored: column '{score}' has no numeric value; score the customers first, e.g. "
                               "with response_scores(...).")
    has = values.notna().to_numpy()
    rows = scored[has]
    group = score_groups(values[has], n_groups=n_groups).to_numpy()
    rows = rows.assign(_group=group, _score=values[has].to_numpy(float))
    uplift = campaign_uplift(rows, by="_group", confidence=confidence, verbose=False).xs(metric, level="metric")
    mean_score = rows.groupby("_group", sort=True)["_score"].agg(["size", "mean"])
    out = pd.DataFrame({"group": uplift.index.to_numpy(), "customers": mean_score["size"].to_numpy(),
                        "mean_score": mean_score["mean"].to_numpy()})
    for col in ("n_treatment", "n_control", "treatment", "control", "uplift", "ci_low", "ci_high", "p_value"):
        out[col] = uplift[col].to_numpy()
    treated = rows["group"].astype(str) == "treatment"
    if metric == "response_rate":
        pt, pc = out["treatment"], out["control"]
        variance = pt * (1 - pt) / out["n_treatment"] + pc * (1 - pc) / out["n_control"]
    else:
        var = rows.groupby([rows["_group"], treated], sort=True)["revenue"].var().unstack()
        variance = (var[True].to_numpy() / out["n_treatment"] + var[False].to_numpy() / out["n_control"])
    usable = (variance > 0) & out["uplift"].notna()
    w, x, d = 1 / variance[usable], out.loc[usable, "group"].astype(float), out.loc[usable, "uplift"]
    z = norm.ppf(0.5 + confidence / 2)
    if usable.sum() >= 3:
        centre = np.sum(w * x) / np.sum(w)
        spread = np.sum(w * (x - centre) ** 2)
        slope, se = float(np.sum(w * (x - centre) * d) / spread), float(np.sqrt(1 / spread))
        trend = {"slope": slope, "ci_low": slope - z * se, "ci_high": slope + z * se,
                 "p_value": float(2 * norm.sf(abs(slope) / se))}
    else:
        trend = {"slope": np.nan, "ci_low": np.nan, "ci_high": np.nan, "p_value": np.nan}
    out.attrs["trend"] = trend
    set_aside = {f"customers without a '{score}'": int((~has).sum())} if (~has).any() else {}
    return report_set_aside(out, set_aside, what="response_uplift_by_decile", verbose=verbose)


# -- clustering against RFM (聚类细分与RFM细分) ------------------------------------------------------

def cluster_segments(rfm: pd.DataFrame, *, k: int = 4, random_state: int = 0, n_init: int = 10) -> pd.DataFrame:
    """k-means clusters (K均值聚类) of customers on standardized log recency, frequency and monetary value.

    Each of R, F and M is taken as ``log(1 + x)`` (their long right tails
    would otherwise let a few big spenders make their own clusters) and
    standardized (mean 0, SD 1 over the customers), so that the three count
    alike; scikit-learn's ``KMeans`` then finds ``k`` clusters, with
    ``n_init`` starts and a fixed ``random_state``, on one thread, from
    inputs rounded to 10 decimals, so that the clusters are the same on every
    machine. Clusters are numbered by their centre, highest monetary value
    first (then highest frequency, then most recent): cluster 1 spends most.

    Parameters
    ----------
    rfm : DataFrame
        From :func:`crmlab.rfm.rfm_table` or :func:`crmlab.rfm.rfm_from_orders`:
        ``recency_<unit>``, ``frequency``, ``monetary``; one row per customer.
    k : int, default 4
        Number of clusters, 2 to 12.
    random_state : int, default 0
    n_init : int, default 10
        Number of k-means starts; the best (smallest within-cluster sum of squares) is kept.

    Returns
    -------
    DataFrame
        ``rfm`` with ``cluster`` (int, 1 to ``k``); ``attrs["clusters"]``
        holds ``centres`` (each cluster's centre back in the units of R, F, M:
        ``exp(mean of log(1 + x)) - 1``, a geometric-style mean) and
        ``inertia`` (the within-cluster sum of squares on the standardized scale).

    Examples
    --------
    Two obvious groups: recent, frequent big spenders and lapsed one-off small ones:

    >>> rfm = pd.DataFrame({"recency_days": [5, 8, 10, 300, 320, 350], "frequency": [12, 10, 15, 1, 1, 2],
    ...                     "monetary": [3000.0, 2500, 4000, 50, 80, 60]})
    >>> cluster_segments(rfm, k=2)["cluster"].tolist()
    [1, 1, 1, 2, 2, 2]
    """
    from sklearn.cluster import KMeans
    from threadpoolctl import threadpool_limits

    from crmlab._threads import one_blas_thread

    frame_check(rfm, "rfm")
    if not isinstance(k, (int, np.integer)) or isinstance(k, bool) or not 2 <= k <= 12:
        raise CrmlabInputError(f"k={k!r} must be a whole number of clusters from 2 to 12, e.g. 4.")
    if not isinstance(n_init, (int, np.integer)) or isinstance(n_init, bool) or n_init < 1:
        raise CrmlabInputError(f"n_init={n_init!r} must be a whole number of starts >= 1, e.g. 10.")
    recency = [c for c in rfm.columns if str(c).startswith("recency_")]
    if len(recency) != 1:
        raise CrmlabInputError(f"rfm needs one recency column (recency_days, recency_weeks or recency_months), found "
                               f"{recency or 'none'}; pass the result of crmlab.rfm.rfm_table or rfm_from_orders.")
    columns = [recency[0], "frequency", "monetary"]
    require_columns(rfm.columns, columns, table="rfm")
    values = rfm[columns].apply(pd.to_numeric, errors="coerce")
    bad = values.isna().any(axis=1) | (values < 0).any(axis=1)
    if bad.any():
        raise CrmlabInputError(f"rfm: recency, frequency or monetary is missing, not a number or negative in "
                               f"{describe_rows(rfm.index[bad])}; fix or drop those customers.")
    if len(rfm) < k:
        raise CrmlabInputError(f"rfm has {len(rfm)} customers, fewer than k={k} clusters; use a smaller k.")
    logged = np.log1p(values.to_numpy(float))
    sd = logged.std(axis=0)
    z = np.round((logged - logged.mean(axis=0)) / np.where(sd > 0, sd, 1.0), 10)
    with one_blas_thread(), threadpool_limits(limits=1, user_api="openmp"):
        fit = KMeans(n_clusters=int(k), n_init=int(n_init), random_state=random_state).fit(z)
    labels = fit.labels_
    centres = pd.DataFrame(logged).groupby(labels).mean()          # on the log scale, per raw label
    order = np.lexsort((np.round(centres[0].to_numpy(), 9),          # most recent (smallest recency) last key
                        -np.round(centres[1].to_numpy(), 9), -np.round(centres[2].to_numpy(), 9)))
    number = np.empty(len(order), dtype=int)
    number[centres.index.to_numpy()[order]] = np.arange(1, len(order) + 1)
    out = rfm.copy()
    out["cluster"] = number[labels]
    shown_centres = pd.DataFrame(np.expm1(centres.to_numpy()), columns=columns)
    shown_centres.index = pd.Index(number[centres.index.to_numpy()], name="cluster")
    out.attrs["clusters"] = {"centres": shown_centres.sort_index().round(6).to_dict("index"),
                             "inertia": float(np.round(fit.inertia_, 6)), "k": int(k)}
    return out


def segment_agreement(first, second, *, names=("first", "second")) -> pd.DataFrame:
    """How far two segmentations of the same customers agree (细分一致性): a crosstab and the adjusted Rand index.

    The table counts the customers in each pair of segments; it sums to the
    number of customers. The **adjusted Rand index** (调整兰德指数, ARI)
    looks at every pair of customers: do the two segmentations put them
    together (or apart) alike? It is 1 when they split the customers the same
    way (whatever the names of the segments), about 0 when they agree no more
    than two random splits with the same sizes, and can be below 0. It has
    no interval: it describes these customers, not a sample drawn from a
    larger population.

    Parameters
    ----------
    first, second : Series
        Segment labels indexed by customer; aligned on the index. A customer
        in only one of them, or with no label, is an error.
    names : tuple of two str, default ("first", "second")
        Names of the rows and columns of the table.

    Returns
    -------
    DataFrame
        Crosstab: rows the segments of ``first``, columns those of
        ``second`` (in their category order when categorical, else sorted);
        ``attrs["adjusted_rand"]`` and ``attrs["customers"]``.

    Examples
    --------
    >>> a = pd.Series(["x", "x", "y", "y"], index=[1, 2, 3, 4])
    >>> b = pd.Series(["p", "p", "q", "p"], index=[1, 2, 3, 4])
    >>> t = segment_agreement(a, b, names=("rfm", "cluster"))
    >>> t
    cluster  p  q
    rfm          
    x        2  0
    y        1  1
    >>> round(t.attrs["adjusted_rand"], 3), t.attrs["customers"]
    (0.0, 4)
    """
    from sklearn.metrics import adjusted_rand_score

    for label, s in (("first", first), ("second", second)):
        if not isinstance(s, pd.Series):
            raise CrmlabInputError(f"{label} must be a Series of segment labels indexed by customer, "
                                   f"e.g. classes['rfm_class']; got {type(s).__name__}.")
        if s.index.has_duplicates:
            raise CrmlabInputError(f"{label}: the index repeats in {describe_rows(s.index[s.index.duplicated(keep=False)])}; "
                                   "give one label per customer.")
        if s.isna().any():
            raise CrmlabInputError(f"{label}: no segment in {describe_rows(s.index[s.isna().to_numpy()])}; drop or "
                                   "label those customers.")
    if len(names) != 2:
        raise CrmlabInputError(f"names={names!r} must be two names, e.g. ('rfm_class', 'cluster').")
    only = first.index.symmetric_difference(second.index)
    if len(only):
        raise CrmlabInputError(f"first and second hold different customers: {describe_rows(only)} are in only one; "
                               "compare the same customers, e.g. second.reindex(first.index) after a join.")
    if first.empty:
        raise CrmlabInputError("first and second are empty; pass the segment labels of some customers.")
    second = second.reindex(first.index)
    table = pd.crosstab(pd.Series(first.to_numpy(), name=names[0]), pd.Series(second.to_numpy(), name=names[1]),
                        dropna=False)
    table.attrs["adjusted_rand"] = float(adjusted_rand_score(first.astype(str).to_numpy(),
                                                             second.astype(str).to_numpy()))
    table.attrs["customers"] = int(len(first))
    return table


# -- association rules on a later period (关联规则的时间外验证) -----------------------------------------

def rule_counts(rules: pd.DataFrame, *, min_support, min_confidence, min_lift: float = 1.0) -> pd.DataFrame:
    """How many rules pass each pair of thresholds (支持度/置信度门槛与规则数量).

    Parameters
    ----------
    rules : DataFrame
        From :func:`crmlab.recommend.association_rules` with no thresholds
        (``support``, ``confidence``, ``lift``).
    min_support, min_confidence : list of float
        The thresholds to try (rows and columns of the table).
    min_lift : float, default 1.0
        Count only rules with a lift at least this.

    Returns
    -------
    DataFrame
        Rows ``min_support``, columns ``min_confidence``: the number of rules
        at or above both (and ``min_lift``).

    Examples
    --------
    >>> r = pd.DataFrame({"support": [0.1, 0.05, 0.02], "confidence": [0.5, 0.3, 0.6], "lift": [1.5, 2.0, 0.9]})
    >>> rule_counts(r, min_support=[0.01, 0.05], min_confidence=[0.2, 0.4])
    min_confidence  0.2  0.4
    min_support             
    0.01              2    1
    0.05              2    1
    """
    frame_check(rules, "rules")
    require_columns(rules.columns, ["support", "confidence", "lift"], table="rules")
    supports = np.atleast_1d(np.asarray(min_support, dtype=float))
    confidences = np.atleast_1d(np.asarray(min_confidence, dtype=float))
    for name, v in (("min_support", supports), ("min_confidence", confidences)):
        if v.size == 0 or not ((v >= 0) & (v <= 1)).all():
            raise CrmlabInputError(f"{name} must be a list of shares between 0 and 1, e.g. [0.01, 0.02, 0.05].")
    kept = rules[rules["lift"] >= float(min_lift)]
    s, c = kept["support"].to_numpy(), kept["confidence"].to_numpy()
    counts = ((s[None, None, :] >= supports[:, None, None]) & (c[None, None, :] >= confidences[None, :, None])).sum(axis=2)
    return pd.DataFrame(counts, index=pd.Index(supports, name="min_support"),
                        columns=pd.Index(confidences, name="min_confidence"))


def rules_holdout(first: pd.DataFrame, second: pd.DataFrame, *, basket_col: str = "order_id",
                  item_col: str = "category", min_support: float = 0.0, min_confidence: float = 0.0,
                  min_lift: float = 1.0, min_count: int = 1, verbose: bool = True) -> pd.DataFrame:
    """Rules found in one period, checked on a later one (规则的时间外验证).

    The rules are mined on ``first`` with the thresholds; for each of them
    the support, confidence and lift are then computed again from ``second``
    alone (its own baskets, its own item shares). A rule *holds* in the
    later period when it passes the same thresholds there (``min_count``
    aside). A rule whose items never appear together in the later period
    has support 0 and lift 0 there (confidence and lift are missing if its
    antecedent was not bought at all).

    Parameters
    ----------
    first, second : DataFrame
        Basket lines of the two periods (e.g. :func:`crmlab.needs.purchase_lines`
        split at a date).
    basket_col, item_col : str
        As in :func:`crmlab.recommend.association_rules`.
    min_support, min_confidence, min_lift, min_count
        The thresholds of the first period (``min_lift`` 1 by default: only
        rules of items bought together more often than chance).
    verbose : bool, default True
        Print what was set aside in each period.

    Returns
    -------
    DataFrame
        One row per rule of the first period (its order: by lift):
        ``antecedent``, ``consequent``, ``baskets_1``, ``support_1``,
        ``confidence_1``, ``lift_1``, ``baskets_2``, ``support_2``,
        ``confidence_2``, ``lift_2``, ``holds``; ``attrs["baskets"]`` the
        baskets of each period.

    Examples
    --------
    Period 1: bread and milk go together; period 2: they no longer do.

    >>> p1 = pd.DataFrame({"order_id": [1, 1, 2, 2, 3], "category": ["milk", "bread", "milk", "bread", "eggs"]})
    >>> p2 = pd.DataFrame({"order_id": [4, 4, 5, 6], "category": ["milk", "eggs", "bread", "milk"]})
    >>> r = rules_holdout(p1, p2, verbose=False)
    >>> r[["antecedent", "consequent", "lift_1", "baskets_2", "lift_2", "holds"]]
      antecedent consequent  lift_1  baskets_2  lift_2  holds
    0      bread       milk     1.5          0     0.0  False
    1       milk      bread     1.5          0     0.0  False
    """
    from crmlab.recommend import association_rules

    rules = association_rules(first, basket_col=basket_col, item_col=item_col, min_support=min_support,
                              min_confidence=min_confidence, min_lift=min_lift, min_count=min_count, verbose=verbose)
    later = association_rules(second, basket_col=basket_col, item_col=item_col, verbose=verbose)
    n2 = later.attrs["baskets"]
    require_columns(second.columns, [basket_col, item_col], table="second")
    pairs = second[[basket_col, item_col]].dropna().drop_duplicates()
    item_share = pairs.groupby(item_col, sort=True).size() / n2
    out = rules[["antecedent", "consequent", "baskets", "support", "confidence", "lift"]].rename(
        columns={"baskets": "baskets_1", "support": "support_1", "confidence": "confidence_1", "lift": "lift_1"})
    both = later.set_index(["antecedent", "consequent"])
    key = pd.MultiIndex.from_frame(out[["antecedent", "consequent"]])
    found = both.reindex(key)
    a_share = item_share.reindex(out["antecedent"]).to_numpy()
    b_share = item_share.reindex(out["consequent"]).to_numpy()
    out["baskets_2"] = found["baskets"].fillna(0).astype(int).to_numpy()
    out["support_2"] = out["baskets_2"] / n2
    with np.errstate(invalid="ignore", divide="ignore"):
        out["confidence_2"] = out["support_2"] / a_share
        out["lift_2"] = out["confidence_2"] / b_share
    out["holds"] = ((out["support_2"] >= min_support) & (out["confidence_2"] >= min_confidence)
                    & (out["lift_2"] >= min_lift)).fillna(False).astype(bool)
    out.attrs["baskets"] = {"first": int(rules.attrs["baskets"]), "second": int(n2)}
    return out


def score_groups(score, *, n_groups: int = 10) -> pd.Series:
    """Equal groups by descending score (分组, deciles by default): 1 = the highest scores.

    The groups of :func:`gains_table` and :func:`response_uplift_by_decile`,
    one per row: rows are sorted by score, highest first (ties keep their
    order), and cut into ``n_groups`` groups as equal as the count allows.

    Parameters
    ----------
    score : Series
        Numbers, none missing.
    n_groups : int, default 10

    Returns
    -------
    Series
        ``group`` (int), indexed like ``score``.

    Examples
    --------
    >>> score_groups(pd.Series([0.1, 0.9, 0.5, 0.7], index=list("abcd")), n_groups=2).tolist()
    [2, 1, 2, 1]
    """
    if not isinstance(score, pd.Series):
        raise CrmlabInputError(f"score must be a Series of numbers, e.g. scored['response_score']; got "
                               f"{type(score).__name__}.")
    values = pd.to_numeric(score, errors="coerce")
    if values.isna().any():
        raise CrmlabInputError(f"score is missing or not a number in {describe_rows(score.index[values.isna().to_numpy()])}; "
                               "drop those rows first, e.g. scored.dropna(subset=['response_score']).")
    return pd.Series(_groups(values.to_numpy(float), n_groups), index=score.index, name="group")
