"""privacy.pii_columns: planted personal data is found by kind; ordinary columns are not; no value leaks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from conformance.checks import REGISTRY
from conformance.checks.base import AuditContext
from conformance.checks.privacy import _iban_valid, _luhn_valid
from conformance.io.dataset import prepare

IBANS = ["GB82 WEST 1234 5698 7654 32", "DE89370400440532013000", "FR1420041010050500013M02606", "NL91ABNA0417164300"]
CARDS = ["4111111111111111", "5500 0000 0000 0004", "3400-0000-0000-009"]
PHONES = ["+44 20 7946 0958", "(212) 555-0147", "0049 30 901820", "+15551234567", "555-123-4567"]


def _frame(n=200, seed=0):
    rng = np.random.default_rng(seed)
    pick = lambda values: [values[i % len(values)] for i in range(n)]  # noqa: E731
    return pd.DataFrame(
        {
            "contact": [f"user{i}@example.org" for i in range(n)],
            "tel": pick(PHONES),
            "ident": [f"{123 + i % 500:03d}-45-{6789 + i:04d}" for i in range(n)],
            "account": pick(IBANS),
            "card": pick(CARDS),
            "last_name": pick(["Smith", "Okafor", "Nguyen"]),
            "comments": pick(["Customer called twice about the delayed payment and asked for a manager",
                              "Prefers e-mail, moving to a new flat next month with her two children"]),
            "ip": [f"10.0.{i % 256}.{(i * 7) % 256}" for i in range(n)],
            # ordinary columns that must not be flagged
            "age": rng.integers(18, 90, n),
            "amount": [f"{x:.2f}" for x in rng.normal(1000, 300, n)],
            "when": [f"2023-{1 + i % 12:02d}-{1 + i % 28:02d}" for i in range(n)],
            "grade": pick(["A", "B", "C"]),
            "code": [f"{x:06d}" for x in rng.integers(0, 999_999, n)],
            "y": rng.integers(0, 2, n),
        }
    )


def _measure(frame, **params):
    data = prepare(frame, target="y", sensitive=[])
    ctx = AuditContext(data=data, y_pred=None, scores=None, seed=0)
    check = REGISTRY["privacy.pii_columns"]
    (measurement,) = check.measure(ctx, check.params(**params))
    return measurement


def test_planted_personal_data_is_found_by_kind():
    frame = _frame()
    m = _measure(frame)
    found = {g.group: g for g in m.groups}
    expected = {
        "contact: email", "tel: phone", "ident: us_ssn", "account: iban", "card: payment_card",
        "last_name: person_name (column name)", "comments: free_text", "ip: ip_address",
    }
    assert expected <= set(found), set(found)
    flagged_columns = {g.split(":")[0] for g in found}
    assert flagged_columns == {"contact", "tel", "ident", "account", "card", "last_name", "comments", "ip"}
    assert m.value == 8
    assert found["contact: email"].n == 200 and found["contact: email"].value == 1.0
    assert found["tel: phone"].value == 1.0
    assert found["account: iban"].value == 1.0 and found["card: payment_card"].value == 1.0


def test_no_value_of_the_data_reaches_the_measurement():
    frame = _frame()
    text = _measure(frame).model_dump_json()
    for column in ("contact", "tel", "ident", "account", "card", "last_name", "comments", "ip"):
        for value in frame[column].unique():
            assert str(value) not in text, column


def test_shares_are_of_the_sampled_values_and_min_share_applies():
    frame = _frame(n=3000)
    frame.loc[frame.index % 5 != 0, "contact"] = "n/a"  # one value in five is an e-mail
    m = _measure(frame, sample_size=1000)
    email = next(g for g in m.groups if g.group == "contact: email")
    assert email.value == pytest.approx(0.2, abs=0.04) and email.n == round(email.value * 1000)
    assert "1,000 per column" in m.note
    strict = _measure(frame, sample_size=1000, min_share=0.5)
    assert not any(g.group == "contact: email" for g in strict.groups)


def test_a_dataset_without_personal_data_has_none():
    frame = _frame()[["age", "amount", "when", "grade", "code", "y"]]
    m = _measure(frame)
    assert m.value == 0 and m.groups == [] and m.driver is None


def test_all_missing_and_numeric_columns():
    frame = pd.DataFrame({"email": [None] * 5, "phone_number": [5551234567] * 5, "y": [0, 1, 0, 1, 0]})
    m = _measure(frame)
    groups = {g.group: g for g in m.groups}
    assert groups["email: email (column name)"].n == 0
    assert "phone_number: phone (column name)" in groups
    assert m.value == 2


@pytest.mark.parametrize("text,valid", [("GB82 WEST 1234 5698 7654 32", True), ("GB82 WEST 1234 5698 7654 33", False), ("DE00", False)])
def test_iban_check_digits(text, valid):
    assert _iban_valid(text) is valid


@pytest.mark.parametrize("text,valid", [("4111111111111111", True), ("4111111111111112", False), ("1234", False)])
def test_luhn(text, valid):
    assert _luhn_valid(text) is valid


def test_amounts_dates_and_codes_are_not_phone_numbers():
    frame = pd.DataFrame({"v": ["12345.67", "2023-01-31", "31.12.2023", "1234567", "AB-1234"] * 10, "y": [0, 1] * 25})
    assert _measure(frame).groups == []
