"""Privacy checks that read the data: columns that look like personal data.

The report names a column and the kind of personal data it seems to hold, with how many of the
sampled values match; it never carries a value.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
from pydantic import Field

from conformance.checks.base import AuditContext, Check, CheckParams
from conformance.result import GroupValue, Measurement

# patterns of whole values (after trimming); each kind is one of these or a validated one below
VALUE_PATTERNS: dict[str, re.Pattern[str]] = {
    "email": re.compile(r"^[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$"),
    "phone": re.compile(
        r"^(?:(?:\+|00)\d{1,3}[\s.-]?)?(?:\(\d{1,4}\)[\s.-]?)?\d{2,4}(?:[\s.-]\d{2,6}){1,4}$"
        r"|^\+\d{8,15}$"
    ),
    "us_ssn": re.compile(r"^(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}$"),
    "ip_address": re.compile(r"^(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)$"),
}
_IBAN = re.compile(r"^[A-Z]{2}\d{2}[A-Z0-9]{11,30}$")
_CARD = re.compile(r"^\d{13,19}$")
_DIGITS = re.compile(r"\d")
_NOT_PHONE = re.compile(r"^\d{1,4}[-./]\d{1,2}[-./]\d{1,4}$|^\d+\.\d{1,2}$")  # dates, amounts

# column-name hints: normalised name (lower case, separators removed) contains one of these
NAME_HINTS: dict[str, tuple[str, ...]] = {
    "person_name": ("firstname", "lastname", "surname", "fullname", "givenname", "familyname", "forename",
                    "maidenname", "customername", "personname", "patientname", "applicantname"),
    "email": ("email", "emailaddress"),
    "phone": ("phone", "telephone", "mobile", "cellphone"),
    "national_id": ("ssn", "socialsecurity", "nationalid", "passport", "taxid", "nationalinsurance", "driverslicense", "driverlicense"),
    "address": ("streetaddress", "homeaddress", "postaladdress", "street", "zipcode", "postcode", "postalcode"),
    "date_of_birth": ("dateofbirth", "birthdate", "dob", "birthday"),
    "bank_account": ("iban", "accountnumber", "creditcard", "cardnumber"),
}
_EXACT_NAMES = {"name": "person_name", "first": "person_name", "last": "person_name", "zip": "address", "address": "address"}

FREE_TEXT_MIN_LENGTH = 30
FREE_TEXT_MIN_WORDS = 5


def _iban_valid(text: str) -> bool:
    """ISO 13616 check digits: the rearranged number, letters as 10–35, is 1 modulo 97."""
    compact = text.replace(" ", "").upper()
    if not _IBAN.match(compact):
        return False
    rearranged = compact[4:] + compact[:4]
    return int("".join(str(int(ch, 36)) for ch in rearranged)) % 97 == 1


def _luhn_valid(text: str) -> bool:
    compact = re.sub(r"[\s-]", "", text)
    if not _CARD.match(compact):
        return False
    total = 0
    for i, ch in enumerate(reversed(compact)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _value_kinds(texts: pd.Series) -> dict[str, np.ndarray]:
    """For each kind of personal data, which of the (string) values match it."""
    kinds = {kind: np.array(texts.str.match(pattern), dtype=bool) for kind, pattern in VALUE_PATTERNS.items()}
    # a phone number has at least 7 digits; dates and decimal amounts do not pass
    digits = np.array(texts.str.count(_DIGITS.pattern), dtype=np.int64)
    kinds["phone"] &= (digits >= 7) & ~np.array(texts.str.match(_NOT_PHONE), dtype=bool)
    kinds["phone"] &= ~kinds["us_ssn"] & ~kinds["ip_address"]
    kinds["iban"] = np.array([_iban_valid(t) for t in texts], dtype=bool)
    kinds["payment_card"] = np.array([_luhn_valid(t) for t in texts], dtype=bool)
    words = np.array(texts.str.split().str.len(), dtype=np.int64)
    kinds["free_text"] = (np.array(texts.str.len(), dtype=np.int64) >= FREE_TEXT_MIN_LENGTH) & (words >= FREE_TEXT_MIN_WORDS)
    return kinds


def _name_kind(column: str) -> str | None:
    normalised = re.sub(r"[^a-z0-9]", "", column.lower())
    if normalised in _EXACT_NAMES:
        return _EXACT_NAMES[normalised]
    for kind, hints in NAME_HINTS.items():
        if any(hint in normalised for hint in hints):
            return kind
    return None


class PiiParams(CheckParams):
    sample_size: int = Field(2_000, ge=10, le=1_000_000, description="Non-missing values sampled (seeded) per column.")
    min_share: float = Field(
        0.1, gt=0, le=1,
        description="A column holds a kind of personal data when at least this share of its sampled values match it.",
    )


def pii_columns(ctx: AuditContext, params: PiiParams) -> list[Measurement]:
    """Columns that look like personal data: e-mail addresses, phone numbers, national ids, bank and card numbers, IP addresses, names and free text.

    Text values are sampled (seeded) and matched against patterns: e-mail, phone number, US
    social security number, IBAN (with its check digits), payment card number (Luhn check),
    IPv4 address and free text (long values of several words, which often carry names). The
    column names are read for hints (``first_name``, ``dob``, ``ssn`` …). Each finding is a group
    ``"column: kind"`` with the number of matching sampled values and their share; a hint from
    the name alone is reported as ``"column: kind (column name)"``. Values are never reported.

    Why: personal data in an evaluation set must be necessary for the purpose and protected;
    direct identifiers rarely are necessary and are a liability in every copy of the data and
    of the report.
    """
    frame = ctx.data.frame
    rng = ctx.rng("privacy.pii_columns")
    groups: list[GroupValue] = []
    flagged: list[str] = []
    for column in frame.columns:
        name = str(column)
        found: list[str] = []
        values = frame[column].dropna()
        hint = _name_kind(name)
        if hint:
            found.append(hint)
            groups.append(
                GroupValue(group=f"{name}: {hint} (column name)", n=len(values), value=len(values) / len(frame))
            )
        is_text = pd.api.types.is_object_dtype(values) or pd.api.types.is_string_dtype(values)
        if is_text and len(values):
            if len(values) > params.sample_size:
                values = values.iloc[np.sort(rng.choice(len(values), params.sample_size, replace=False))]
            texts = values.astype(str).str.strip()
            for kind, matches in _value_kinds(texts).items():
                count = int(matches.sum())
                if count and count / len(texts) >= params.min_share:
                    found.append(kind)
                    groups.append(GroupValue(group=f"{name}: {kind}", n=count, value=count / len(texts)))
        if found:
            flagged.append(f"{name} ({', '.join(dict.fromkeys(found))})")
    note = f"text values sampled: at most {params.sample_size:,} per column"
    return [
        Measurement(
            check="privacy.pii_columns", metric="pii_columns", value=float(len(flagged)), groups=groups,
            driver=("columns: " + "; ".join(flagged)) if flagged else None, note=note,
        )
    ]


CHECKS = [
    Check(
        id="privacy.pii_columns",
        title="Columns that look like personal data",
        measure=pii_columns,
        params=PiiParams,
        metrics=("pii_columns",),
        tasks=frozenset({"binary", "regression"}),
        remediation=(
            "Drop direct identifiers that the purpose does not need, or pseudonymise them; "
            "record the legal basis and protection of any personal data you keep."
        ),
    ),
]
