"""crmlab.privacy: masks by hand, no full phone, ID number or e-mail in any cell of a masked view,
consent honoured and counted, access by role."""

import pandas as pd
import pytest

from crmlab import fields, identify, privacy
from crmlab.datasets import load_data
from crmlab.validation import CrmlabInputError


def test_hand_written_masks():
    assert privacy.mask_phone(["19902982526", "+86 199 0298 2526", "１９９０２９８２５２６", "12345", None]).tolist() == \
        ["199****2526", "199****2526", "199****2526", "***", pd.NA]
    assert privacy.mask_phone(["19902982526"], keep_start=0, keep_end=2).tolist() == ["*********26"]
    assert privacy.mask_id_number(["11010519491231002x", "1101 0519 4912 3100 2X", "bad"]).tolist() == \
        ["110***********002X", "110***********002X", "***"]
    assert privacy.mask_email(["XULEI37@EXAMPLE.COM", "li@example.cn", "not an address"]).tolist() == \
        ["x***@example.com", "l***@example.cn", "***"]
    assert privacy.mask_name(["王丽娟", "張偉", None]).tolist() == ["王**", "張*", pd.NA]
    assert privacy.mask_login(["zhangwei88"]).tolist() == ["zh***"]
    with pytest.raises(CrmlabInputError, match="at most 7 of the 11 digits"):
        privacy.mask_phone(["19902982526"], keep_start=4, keep_end=4)


def test_numbers_and_addresses_hidden_in_free_text_are_masked():
    notes = ["call 199-0298-2526 after 6pm", "手机＋８６ １９９ ０２９８ ２５２６", "ID 1101 0519 4912 3100 2X ok",
             "mail Li.Ming@Example.CN please", "order 2023/1/10, 3 items", None]
    assert privacy.mask_text(notes).tolist() == ["call *** after 6pm", "手机***", "ID *** ok", "mail *** please",
                                                 "order 2023/1/10, 3 items", pd.NA]


# ------------------------------------------------------------------ no leak in any cell

@pytest.fixture(scope="module")
def tables():
    out = {name: load_data(name) for name in [*identify.SILOS, "customers"]}
    out["golden"] = identify.resolve_customers({n: out[n] for n in identify.SILOS}, verbose=False).golden
    return out


@pytest.fixture(scope="module")
def secrets(tables):
    """Every phone, ID number and e-mail in the data, in standard form."""
    phones, ids, emails = set(), set(), set()
    for frame in tables.values():
        for col in set(frame.columns) & {"phone", "id_number", "email"}:
            values = frame[col]
            phones |= set(fields.normalise_phone(values).dropna())
            ids |= set(fields.normalise_id_number(values).dropna())
            emails |= set(fields.normalise_email(values).dropna())
    assert len(phones) > 9000 and len(ids) > 2500 and len(emails) > 8000
    return phones, ids, emails


def _leaks(frame, secrets):
    """Cells of ``frame`` that still contain a full phone, ID number or e-mail, however written
    (full-width, with spaces or dashes, upper case, inside other text)."""
    phones, ids, emails = secrets
    found = []
    for col in frame.columns:
        if not (pd.api.types.is_string_dtype(frame[col]) or pd.api.types.is_object_dtype(frame[col])):
            continue   # numbers, dates, categories and flags cannot hold a phone number or an address
        text = frame[col].dropna().astype("string").str.normalize("NFKC")
        digits = text.str.replace(r"\D", "", regex=True)
        compact = text.str.upper().str.replace(r"[^0-9X]", "", regex=True)
        digits, compact = digits[digits.str.len() >= 11], compact[compact.str.len() >= 18]  # only these can hold one
        text = text[text.str.contains("@", regex=False)]
        candidates = pd.concat([
            digits.str.findall(r"(?=(\d{11}))").explode().isin(phones),          # every 11-digit window
            compact.str.findall(r"(?=(\d{17}[\dX]))").explode().isin(ids),       # every 18-character window
            text.str.lower().str.findall(r"[\w.%+\-]+@[\w.\-]+").explode().isin(emails),
        ])
        hit = candidates[candidates.astype(bool)].index.unique()
        found += [(col, cell) for cell in frame.loc[hit, col].astype(str)]
    return found


def test_masking_leaks_nothing_in_any_cell(tables, secrets):
    for name, frame in tables.items():
        assert _leaks(frame.head(300), secrets), f"the check finds the raw values in {name}"   # the scan works
        assert _leaks(privacy.masked_view(frame), secrets) == [], name


def test_no_role_but_the_manager_sees_a_full_identifier(tables, secrets):
    customers = tables["customers"]
    for name in ("customers", "web_accounts", "golden"):
        for role in ("service", "marketing", "analyst"):
            frame = tables[name]
            if role == "marketing" and "marketing_consent" not in frame:
                continue   # a silo carries no consent flag, so marketing cannot use it at all
            assert _leaks(privacy.view_for_role(frame, role, customers=customers, verbose=False), secrets) == [], \
                (name, role)
    assert _leaks(privacy.view_for_role(customers, "manager"), secrets) != []   # the manager does see them


def test_a_number_typed_into_another_column_is_masked_too(secrets):
    calls = load_data("callcentre_contacts").head(5).copy()
    calls["city"] = calls["city"].astype("string")
    calls.loc[0, "city"] = "回电 " + load_data("customers")["phone"].iloc[0]
    assert _leaks(calls, secrets) != []
    assert _leaks(privacy.masked_view(calls), secrets) == []


# ------------------------------------------------------------------ consent and roles

def test_the_consent_view_keeps_only_opted_in_customers_and_counts_the_rest(capsys):
    customers = load_data("customers")
    kept = privacy.with_consent(customers)
    assert kept["marketing_consent"].all()
    assert len(kept) == customers["marketing_consent"].sum()
    assert kept.attrs["set_aside"] == {"rows without marketing consent": int((~customers["marketing_consent"]).sum())}
    assert "with_consent: set aside" in capsys.readouterr().out
    # looked up through customer_id, and unknown customers count as no consent
    orders = load_data("orders").head(200).copy()
    orders.loc[0, "customer_id"] = "C9999999"
    kept = privacy.with_consent(orders, customers=customers, verbose=False)
    consent = orders["customer_id"].map(customers.set_index("customer_id")["marketing_consent"])
    assert len(kept) == int(consent.fillna(False).astype(bool).sum())
    assert kept.attrs["set_aside"]["rows whose consent is unknown"] == 1
    with pytest.raises(CrmlabInputError, match="needs a 'marketing_consent' column"):
        privacy.with_consent(orders)


def test_each_role_sees_its_own_view():
    customers = load_data("customers")
    service = privacy.view_for_role(customers, "service")
    assert service["name"].equals(customers["name"])                       # the agent greets the caller by name
    assert service["phone"].str.fullmatch(r"199\*{4}\d{4}").all()           # and checks the last four digits
    marketing = privacy.view_for_role(customers, "marketing", verbose=False)
    assert len(marketing) == customers["marketing_consent"].sum() and "id_number" not in marketing
    analyst = privacy.view_for_role(customers, "analyst")
    assert not {"name", "phone", "email", "id_number"} & set(analyst.columns)
    assert analyst["city"].equals(customers["city"])                        # what is not personal stays
    assert privacy.view_for_role(customers, "manager").equals(customers)
    table = privacy.access_table()
    assert table.loc["analyst", ["name", "phone", "email", "id_number"]].eq("hidden").all()
    with pytest.raises(CrmlabInputError, match="Did you mean 'marketing'"):
        privacy.view_for_role(customers, "marketer")
    with pytest.raises(CrmlabInputError, match="access levels must be one of"):
        privacy.view_for_role(customers, "x", roles={"x": {"zh": "x", "fields": {"phone": "partly"}}})
