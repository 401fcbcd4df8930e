"""crmlab.lifecycle: stages and relationship classes by hand, transition matrices that add up,
and the stages checked against who truly left (the planted dropout)."""
import pandas as pd
import pytest

from crmlab import lifecycle
from crmlab.datasets import load_data
from crmlab.lifecycle import LifecycleRules
from crmlab.transactions import purchases as make_purchases
from crmlab.validation import CrmlabInputError

AS_OF = "2024-12-31"


def _small():
    customers = pd.DataFrame({
        "customer_id": list("ABCDEFGHIK"),
        "signup_ts": pd.to_datetime(["2025-01-10"] + ["2024-03-01"] * 2 + ["2024-01-01"] * 4 + ["2023-01-01"] * 3),
        "marketing_consent": [True, False, True, False, True, True, True, False, True, True],
    })
    bought = {
        "D": ["2024-12-01", "2025-01-05"],                           # the second is after as_of: not yet known
        "E": ["2024-02-01", "2024-08-01"],
        "F": ["2024-02-01", "2024-03-01", "2024-07-04"],             # last 180 days before as_of
        "G": ["2024-02-01", "2024-03-01", "2024-07-03"],             # last 181 days before
        "H": ["2024-01-05", "2024-03-01", "2024-06-01", "2024-12-30"],
        "I": ["2023-06-01", "2023-12-30"],                           # last 367 days before
        "K": ["2024-01-01 10:00"],                                   # last 365 days before
    }
    purchases = pd.DataFrame([(c, pd.Timestamp(t)) for c, ts in bought.items() for t in ts],
                             columns=["customer_id", "order_ts"])
    return customers, purchases


def test_hand_computed_stages_and_classes():
    customers, purchases = _small()
    stage = lifecycle.lifecycle_stage(customers, purchases, as_of=AS_OF, verbose=False).set_index("customer_id")
    cls = lifecycle.relationship_class(customers, purchases, as_of=AS_OF).set_index("customer_id")
    expected = {  # customer: (stage, relationship)
        "A": (None, "non-customer"),            # signs up after as_of
        "B": ("acquisition", "potential"),      # registered, never bought, no consent
        "C": ("acquisition", "target"),         # ... with marketing consent
        "D": ("growth", "first-time"),          # one purchase 30 days ago
        "E": ("growth", "repeat"),              # two purchases, last 152 days ago
        "F": ("maturity", "repeat"),            # three purchases, last exactly 180 days ago: still active
        "G": ("decline", "repeat"),             # ... 181 days ago: decline, not lost yet
        "H": ("maturity", "loyal"),             # four purchases within the last 365 days
        "I": ("termination", "lost"),           # last purchase 367 days ago
        "K": ("decline", "first-time"),         # one purchase exactly 365 days ago: not lost yet
    }
    for cid, (st, rel) in expected.items():
        assert (None if pd.isna(stage.loc[cid, "stage"]) else stage.loc[cid, "stage"]) == st, cid
        assert cls.loc[cid, "relationship"] == rel, cid
    assert cls.loc["D", "purchases"] == 1 and cls.loc["G", "days_since_last"] == 181
    assert stage.loc["I", "stage_zh"] == "终止期" and cls.loc["H", "relationship_zh"] == "忠实客户"


def test_the_rules_can_be_changed():
    customers, purchases = _small()
    rules = LifecycleRules(lost_days=300, mature_purchases=2, loyal_purchases=3)
    stage = lifecycle.lifecycle_stage(customers, purchases, as_of=AS_OF, rules=rules, verbose=False)
    cls = lifecycle.relationship_class(customers, purchases, as_of=AS_OF, rules=rules)
    stage, cls = stage.set_index("customer_id")["stage"], cls.set_index("customer_id")["relationship"]
    assert (stage["K"], cls["K"]) == ("termination", "lost")   # 365 days > 300
    assert stage["E"] == "maturity"                               # two purchases now make a mature customer
    assert cls["F"] == "loyal"                                     # three purchases in the year now suffice


def test_not_yet_registered_customers_and_unknown_buyers_are_counted(capsys):
    customers, purchases = _small()
    purchases = pd.concat([purchases, pd.DataFrame({"customer_id": ["Z"], "order_ts": [pd.Timestamp("2024-05-05")]})])
    stage = lifecycle.lifecycle_stage(customers, purchases, as_of=AS_OF)
    assert stage.attrs["set_aside"] == {"purchases by customers not in the customer table": 1,
                                        "customers not registered by as_of (no stage)": 1}
    assert "lifecycle_stage: set aside 1 purchases by customers not in the customer table, 1 customers not " \
           "registered by as_of (no stage)" in capsys.readouterr().out
    assert len(stage) == len(customers)


def test_hand_computed_transitions_between_two_dates():
    customers, purchases = _small()
    matrix = lifecycle.relationship_transitions(customers, purchases, start="2024-06-30", end=AS_OF, verbose=False)
    # worked by hand: (class on 2024-06-30, class on 2024-12-31)
    moves = {"A": ("non-customer", "non-customer"), "B": ("potential", "potential"), "C": ("target", "target"),
             "D": ("potential", "first-time"), "E": ("first-time", "repeat"), "F": ("repeat", "repeat"),
             "G": ("repeat", "repeat"), "H": ("repeat", "loyal"), "I": ("repeat", "lost"),
             "K": ("first-time", "first-time")}
    expected = pd.crosstab(pd.Categorical([b for b, _ in moves.values()], categories=list(lifecycle.RELATIONSHIP_CLASSES)),
                           pd.Categorical([a for _, a in moves.values()], categories=list(lifecycle.RELATIONSHIP_CLASSES)),
                           dropna=False)
    assert (matrix.to_numpy() == expected.to_numpy()).all()


@pytest.fixture(scope="module")
def shipped():
    return load_data("customers"), make_purchases(load_data("orders"), load_data("order_lines"), verbose=False)


def test_transition_rows_sum_to_the_class_counts(shipped):
    customers, purchases = shipped
    start, end = "2024-06-30", "2025-06-30"
    matrix = lifecycle.relationship_transitions(customers, purchases, start=start, end=end)
    before = lifecycle.relationship_class(customers, purchases, as_of=start)["relationship"].value_counts()
    after = lifecycle.relationship_class(customers, purchases, as_of=end)["relationship"].value_counts()
    assert matrix.sum(axis=1).to_dict() == before.reindex(matrix.index).to_dict()
    assert matrix.sum(axis=0).to_dict() == after.reindex(matrix.columns).to_dict()
    assert matrix.to_numpy().sum() == len(customers)
    # moves the rules make impossible
    assert matrix["non-customer"].drop("non-customer").sum() == 0                 # nobody unregisters
    buyers = ["first-time", "repeat", "loyal", "lost"]
    assert matrix.loc[buyers, ["potential", "target"]].to_numpy().sum() == 0       # a buyer never becomes a prospect
    assert matrix.loc[["repeat", "loyal", "lost"], "first-time"].sum() == 0       # purchases are never undone
    assert matrix.loc["first-time", "loyal"] > 0 and matrix.loc["lost", "repeat"] > 0   # growth and win-back happen


def test_lifecycle_stages_order_customers_by_whether_they_truly_left(shipped):
    # The generator planted who stopped buying for good (dropout_ts); measured at 2025-06-30:
    # truly gone among termination 69 %, decline 55 %, maturity 31 %, growth 26 %, acquisition 3 %.
    customers, purchases = shipped
    as_of = pd.Timestamp("2025-06-30")
    truth = load_data("customer_truth").set_index("customer_id")
    gone = truth["dropout_ts"].lt(as_of + pd.Timedelta(days=1)) | (truth["left_after_failure"] & truth["failure_ts"].lt(as_of))
    stage = lifecycle.lifecycle_stage(customers, purchases, as_of=as_of, verbose=False).set_index("customer_id")["stage"]
    share = gone.groupby(stage, observed=True).mean()
    assert share["termination"] > share["decline"] + 0.08
    assert share["decline"] > max(share["maturity"], share["growth"]) + 0.15
    assert share["acquisition"] < 0.05


def test_bad_input_is_named(shipped):
    customers, purchases = shipped
    with pytest.raises(CrmlabInputError, match="did you mean 'signup_time'"):
        lifecycle.lifecycle_stage(customers.rename(columns={"signup_ts": "signup_time"}), purchases, as_of=AS_OF)
    with pytest.raises(CrmlabInputError, match="customers is missing column\\(s\\) 'marketing_consent'"):
        lifecycle.relationship_class(customers.drop(columns="marketing_consent"), purchases, as_of=AS_OF)
    with pytest.raises(CrmlabInputError, match="as_of must be a date such as '2026-01-01', got 'end of 2024'"):
        lifecycle.lifecycle_stage(customers, purchases, as_of="end of 2024")
    with pytest.raises(CrmlabInputError, match="start .* must be before end"):
        lifecycle.relationship_transitions(customers, purchases, start="2025-01-01", end="2024-01-01")
    text_dates = customers.assign(signup_ts=customers["signup_ts"].astype(str).where(customers.index != 7, "2024-31-12"))
    with pytest.raises(CrmlabInputError, match="'signup_ts' has values that are not dates in row 7"):
        lifecycle.lifecycle_stage(text_dates, purchases, as_of=AS_OF)
    with pytest.raises(CrmlabInputError, match="customers is empty"):
        lifecycle.lifecycle_stage(customers.iloc[0:0], purchases, as_of=AS_OF)
    with pytest.raises(CrmlabInputError, match="customer_id is not unique"):
        lifecycle.lifecycle_stage(pd.concat([customers, customers.iloc[[0]]]), purchases, as_of=AS_OF)
    with pytest.raises(CrmlabInputError, match="active_days \\(400\\) must be smaller than lost_days"):
        LifecycleRules(active_days=400)
    with pytest.raises(CrmlabInputError, match="mature_purchases must be a whole number >= 1"):
        LifecycleRules(mature_purchases=0)
