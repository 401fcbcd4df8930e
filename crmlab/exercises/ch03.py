"""Chapter 3 exercises (识别客户): data quality, the single customer view, lifecycle stages, privacy.

The questions follow the identification process of the chapter notebook:
integrate (completeness, validity, the merge of the store, web and
call-centre silos into one customer view), update (stale records), the
lifecycle stage and relationship class of every member from behaviour, a
decision on which field of the store form to fix first, and an
interpretation on privacy and graded access (分级管理).

Each question is a :class:`crmlab.exercises.core.Question`: its reference and
its typical mistakes are computations on the student's own data. The answer
key of the generator (``retail_truth/``, who is who) is not in a student's
data, so no question grades the merge against it.

Examples
--------
>>> [q.id for q in QUESTIONS]
['q1', 'q2', 'q3', 'q4', 'q5', 'q6', 'q7', 'q8', 'q9']
"""
from __future__ import annotations

import pandas as pd

from crmlab.exercises.core import PERCENT_HINT as PERCENT
from crmlab.exercises.core import RETURNS_HINT as RETURNS
from crmlab.exercises.core import SHARED_HINT as SHARED
from crmlab.exercises.core import ExerciseData, Mistake, Question, bought

CHAPTER = "ch03"
ANALYSIS_DATE = "2025-12-31"       # the last day of the data; as_of counts the whole day (as in the chapter notebook)
DAY_AFTER = "2026-01-01"           # the wrong date: chapter 4's exclusive convention carried over
YEAR_BEFORE = "2024-12-31"         # the start of the year the transitions cover
DAY_AFTER_YEAR_BEFORE = "2025-01-01"
STALE_DAYS = 730                   # a record older than two years is stale (quality_report's default)
FORM_FIELDS = ("name", "phone", "email", "id_number", "city")   # the identifying fields of the store form


# ------------------------------------------------------------------ shared computations, once per data set

def _silos(data: ExerciseData) -> dict:
    from crmlab.identify import SILOS
    return data.memo("silos", lambda: {name: data.table(name) for name in SILOS})


def _report(data: ExerciseData, stale_after_days: int = STALE_DAYS, as_of: str = ANALYSIS_DATE) -> pd.DataFrame:
    def compute():
        from crmlab.quality import quality_report
        return quality_report(_silos(data), as_of=as_of, stale_after_days=stale_after_days)
    return data.memo(("quality_report", stale_after_days, as_of), compute)


def _view(data: ExerciseData):
    def compute():
        from crmlab.identify import resolve_customers
        return resolve_customers(_silos(data), verbose=False)
    return data.memo("view", compute)


# ------------------------------------------------------------------ q1: completeness

def _city_filled(data):
    return float(_report(data).loc[("store_members", "city"), "filled"])


# ------------------------------------------------------------------ q2: validity of the ID numbers

def _bad_ids(data):
    from crmlab.quality import invalid_values
    return data.memo("bad_ids", lambda: int((invalid_values(_silos(data))["field"] == "id_number").sum()))


def _id_count(data, measure):
    """ID numbers over the silos that collect them: filled, or filled and occurring on two records of a silo."""
    ids = _report(data).xs("id_number", level="field")
    filled = ids["filled"] * ids["records"]
    return int(round(float((filled * (ids["duplicated"] if measure == "duplicated" else 1)).sum())))


# ------------------------------------------------------------------ q3, q4: the single customer view

def _persons(data):
    return len(_view(data).golden)


def _silos_seen(data) -> pd.Series:
    """In how many silos each customer of the view has records (1, 2 or 3)."""
    return _view(data).golden["sources"].str.count(r"\+") + 1


# ------------------------------------------------------------------ q5: stale records

def _stale_records(data, stale_after_days=STALE_DAYS, as_of=ANALYSIS_DATE):
    dates = _report(data, stale_after_days, as_of).xs("recorded_at", level="field")
    return int(round(float((dates["stale"] * dates["filled"] * dates["records"]).sum())))


# ------------------------------------------------------------------ q6, q7: lifecycle and relationship classes

def _stages(data, *, returns_removed=True, as_of=ANALYSIS_DATE) -> pd.Series:
    def compute():
        from crmlab.lifecycle import lifecycle_stage
        stages = lifecycle_stage(data.table("customers"), bought(data, returns_removed=returns_removed),
                                 as_of=as_of, verbose=False)
        counts = stages["stage"].value_counts(sort=False)
        return pd.Series(counts.to_numpy(dtype=float), index=[str(s) for s in counts.index])
    return data.memo(("stages", returns_removed, as_of), compute)


def _moves(data, *, returns_removed=True, start=YEAR_BEFORE, end=ANALYSIS_DATE) -> pd.DataFrame:
    def compute():
        from crmlab.lifecycle import relationship_transitions
        return relationship_transitions(data.table("customers"), bought(data, returns_removed=returns_removed),
                                        start=start, end=end, verbose=False)
    return data.memo(("moves", returns_removed, start, end), compute)


def _repeat_lost(data, **how):
    return int(_moves(data, **how).loc["repeat", "lost"])


# ------------------------------------------------------------------ q8: decide which field of the store form to fix

def _field_to_fix(data, measure="attention"):
    store = _report(data).xs("store_members", level="source").loc[list(FORM_FIELDS)]
    need = {"attention": 1 - store["filled"] * store["standard"],   # missing, or filled but not standard
            "missing": 1 - store["filled"],
            "format": 1 - store["standard"]}[measure]
    return str(need.idxmax())


CHOICES = {"name": "name", "姓名": "name",
           "phone": "phone", "phone number": "phone", "手机号": "phone", "电话": "phone",
           "email": "email", "e-mail": "email", "电子邮箱": "email", "邮箱": "email",
           "id_number": "id_number", "id number": "id_number", "身份证号": "id_number",
           "city": "city", "城市": "city"}

SILO_SETUP = ("`silos` = the three record silos as the setup cell loads them "
              "(`{name: load_data(name, data_dir=DATA_DIR) for name in identify.SILOS}`)")
WRONG_DATE = (f"lifecycle's as_of counts the whole day: the analysis date is {ANALYSIS_DATE}, the last day of the "
              f"data, not {DAY_AFTER} (chapter 4's exclusive date for rfm_table).")
PURCHASES = ("purchases = crmlab.transactions.purchases(orders, order_lines) with its defaults (returned and "
             "cancelled orders set aside)")

QUESTIONS = (
    Question("q1", "number", 1,
             f"Completeness (完整性): what share of the store members' records (`store_members`) have the city "
             f"filled in? Use the `filled` column of crmlab.quality.quality_report(silos, as_of=\"{ANALYSIS_DATE}\"), "
             f"with {SILO_SETUP}. Give a fraction.",
             _city_filled, tolerance=0.0005,
             mistakes=(Mistake("percent", lambda d: 100 * _city_filled(d), PERCENT, tolerance=0.05),
                       Mistake("missing", lambda d: 1 - _city_filled(d),
                               "that is the share of records *without* a city; completeness is the share "
                               "with a value."),
                       Mistake("shared", lambda d: _city_filled(d.shared()), SHARED)),
             answer_hint="A fraction between 0 and 1, to 3 decimals (e.g. 0.123)."),
    Question("q2", "integer", 1,
             "Validity (有效性): how many resident ID numbers (身份证号) in the three silos together fail their "
             "check (wrong check character 校验码 or an impossible birth date)? Count the rows of "
             "crmlab.quality.invalid_values(silos) whose `field` is \"id_number\".",
             _bad_ids, tolerance=0,
             mistakes=(Mistake("duplicates", lambda d: _id_count(d, "duplicated"),
                               "that counts the ID numbers that occur on more than one record (duplicates 重复); "
                               "the question asks for those that fail the validity check."),
                       Mistake("filled", lambda d: _id_count(d, "filled"),
                               "that is the number of ID numbers filled in; count only those that fail the check."),
                       Mistake("shared", lambda d: _bad_ids(d.shared()), SHARED)),
             answer_hint="A whole number of ID numbers."),
    Question("q3", "integer", 1,
             "Integrate (整合): merge the store, web and call-centre records into a single customer view "
             "(统一客户视图) with crmlab.identify.resolve_customers(silos) at its default threshold 0. How many "
             "distinct persons (golden records 黄金记录) does the matching find?",
             _persons, tolerance=0,
             mistakes=(Mistake("records", lambda d: len(_view(d).records),
                               "that is the number of source records before the merge: count the golden "
                               "records (view.golden), one per person."),
                       Mistake("customers", lambda d: len(d.table("customers")),
                               "that is the member list (`customers`); the question asks how many persons the "
                               "matching finds in the three silos."),
                       Mistake("shared", lambda d: _persons(d.shared()), SHARED)),
             answer_hint="A whole number of persons."),
    Question("q4", "integer", 1,
             "How many of the persons found in q3 have records in at least two of the three silos (the "
             "`sources` column of the golden record names the silos, joined by '+')? They are the customers "
             "the silos (信息孤岛) would have counted more than once.",
             lambda d: int((_silos_seen(d) >= 2).sum()), tolerance=0,
             mistakes=(Mistake("all_three", lambda d: int((_silos_seen(d) == 3).sum()),
                               "count the persons in two *or* three silos, not only those in all three."),
                       Mistake("exactly_two", lambda d: int((_silos_seen(d) == 2).sum()),
                               "at least two silos includes the persons seen in all three."),
                       Mistake("shared", lambda d: int((_silos_seen(d.shared()) >= 2).sum()), SHARED)),
             answer_hint="A whole number of persons."),
    Question("q5", "integer", 1,
             f"Update (更新信息): how many records of the three silos together are stale (时效性), i.e. made more "
             f"than {STALE_DAYS} days (two years) before the check date {ANALYSIS_DATE}? Use the `stale` share of "
             f"the field `recorded_at` in quality_report(silos, as_of=\"{ANALYSIS_DATE}\") (its default "
             f"stale_after_days={STALE_DAYS}) and turn the shares into numbers of records.",
             _stale_records, tolerance=0,
             mistakes=(Mistake("one_year", lambda d: _stale_records(d, 365),
                               f"stale means older than {STALE_DAYS} days (two years), not one year."),
                       Mistake("date", lambda d: _stale_records(d, as_of=DAY_AFTER),
                               f"the check date is {ANALYSIS_DATE} (as_of counts the whole day), not {DAY_AFTER}."),
                       Mistake("shared", lambda d: _stale_records(d.shared()), SHARED)),
             answer_hint="A whole number of records."),
    Question("q6", "table", 2,
             f"Lifecycle (客户生命周期): with {PURCHASES}, place every member in a lifecycle stage with "
             f"crmlab.lifecycle.lifecycle_stage(customers, purchases, as_of=\"{ANALYSIS_DATE}\") (default rules). "
             "Give the number of members in each stage as a table, one row per stage, labelled by the stage keys "
             "acquisition, growth, maturity, decline, termination.",
             _stages, tolerance=0,
             mistakes=(Mistake("returns", lambda d: _stages(d, returns_removed=False), RETURNS),
                       Mistake("date", lambda d: _stages(d, as_of=DAY_AFTER), WRONG_DATE),
                       Mistake("shared", lambda d: _stages(d.shared()), SHARED)),
             partial=True, answer_hint="A table (Series or dict) of whole numbers: stage key -> members, e.g. "
                         "stages['stage'].value_counts()."),
    Question("q7", "integer", 1,
             f"Relationship classes (客户关系类型): with the purchases of q6, compute "
             f"crmlab.lifecycle.relationship_transitions(customers, purchases, start=\"{YEAR_BEFORE}\", "
             f"end=\"{ANALYSIS_DATE}\"). How many members who were repeat buyers (重复购买者) on {YEAR_BEFORE} "
             f"were lost customers (流失客户) on {ANALYSIS_DATE}?",
             _repeat_lost, tolerance=0,
             mistakes=(Mistake("transposed", lambda d: int(_moves(d).loc["lost", "repeat"]),
                               "rows are the class at the start, columns the class at the end: read the row "
                               "'repeat', column 'lost'."),
                       Mistake("date", lambda d: _repeat_lost(d, start=DAY_AFTER_YEAR_BEFORE, end=DAY_AFTER),
                               f"as_of dates count the whole day: start {YEAR_BEFORE} and end {ANALYSIS_DATE}, "
                               "not the day after each."),
                       Mistake("returns", lambda d: _repeat_lost(d, returns_removed=False), RETURNS),
                       Mistake("shared", lambda d: _repeat_lost(d.shared()), SHARED)),
             answer_hint="A whole number of members."),
    Question("q8", "choice", 2,
             "Decide: the store clerks will be retrained on one field of the membership form (门店会员登记, silo "
             "`store_members`). Choose the field, among name, phone, email, id_number and city, for which the "
             "largest share of the store records needs a clerk's attention: the value is missing, or filled "
             f"in but not in the standard form. In quality_report(silos, as_of=\"{ANALYSIS_DATE}\") that share "
             "is 1 - filled x standard.",
             _field_to_fix, choices=CHOICES,
             mistakes=(Mistake("missing_only", lambda d: _field_to_fix(d, "missing"),
                               "that field is the one most often missing; count also the values that are filled "
                               "in but not in the standard form (1 - filled x standard)."),
                       Mistake("format_only", lambda d: _field_to_fix(d, "format"),
                               "`standard` is a share of the *filled* values only; a missing value needs the "
                               "clerk too (1 - filled x standard).")),
             answer_hint="One of the fields: its key (e.g. 'city'), English or Chinese name (e.g. 城市)."),
    Question("q9", "text", 3,
             "Interpret: the store form asks for the resident ID number and the web shop for a real name, yet many "
             "customers leave them out. How can the company collect customer information fully without violating "
             "the customers' privacy (在不侵犯隐私的前提下全面收集客户信息)? Say which fields you would keep, "
             "drop or make optional, and how graded access (分级管理) and consent should work for the roles in "
             "crmlab.privacy.access_table(). Answer in a few sentences.",
             None,
             rubric=("necessity (检查信息的必要性): collect a field only for a stated purpose; e.g. the merge works "
                     "without the ID number (phone, e-mail, name and city), so it can be dropped or made optional",
                     "transparency and consent: tell customers what is collected and why, ask for marketing "
                     "consent (营销许可) separately and honour it (only consenting members are contacted)",
                     "graded access (分级管理): each role sees only what its task needs - full, masked or hidden "
                     "(service: masked phone to verify a caller; marketing: consenting members, no ID; analysts: "
                     "no identifiers)",
                     "security measures: masking (脱敏) in views and exports, access logs, deleting stale data, "
                     "the law (个人信息保护法, PIPL)",
                     "give customers a reason and a way to share and update their data (benefits of membership, "
                     "self-service profile), which makes the data fuller and more accurate"),
             answer_hint="Write your answer as text in quotes."),
)
