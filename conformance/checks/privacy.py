"""Privacy checks: columns that look like personal data, and what the model leaks about its training rows.

``privacy.pii_columns`` reads the data: the report names a column and the kind of personal data
it seems to hold, with how many of the sampled values match; it never carries a value.
``privacy.membership_inference`` runs the model on samples of the reference (training) and
evaluation data and measures how well its confidence tells them apart.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
from pydantic import Field

from conformance.checks.base import AuditContext, BootstrapParams, Check, CheckParams, NotApplicable
from conformance.checks.performance import probability_problem
from conformance.messages import parts, say
from conformance.result import GroupValue, Interval, Measurement
from conformance.stats.bootstrap import percentile_interval, resample_tables
from conformance.stats.scores import auc, label_histogram, score_bins

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
    note = say("note.privacy.pii_sampled", size=f"{params.sample_size:,}")
    return [
        Measurement(
            check="privacy.pii_columns", metric="pii_columns", value=float(len(flagged)), groups=groups,
            driver_parts=[say("note.privacy.pii_found", columns="; ".join(flagged))] if flagged else [], note_parts=[note],
        )
    ]


class MembershipParams(BootstrapParams):
    sample_size: int = Field(
        10_000, ge=100, le=10_000_000,
        description="Rows sampled (seeded) from each side: reference (members) and evaluation data (non-members).",
    )


def advantage(histogram: np.ndarray) -> np.ndarray:
    """Max over thresholds of TPR − FPR from ``(..., 2, bins)`` counts: non-members then members per confidence bin.

    A row is guessed a member when its confidence is at or above the threshold; thresholds run
    over the bin edges, including one above every row (TPR = FPR = 0), so the advantage is at
    least 0.
    """
    counts = histogram.astype(float)
    above = np.cumsum(counts[..., ::-1], axis=-1)[..., ::-1]  # rows at or above each bin
    totals = above[..., :1]
    with np.errstate(invalid="ignore", divide="ignore"):
        rates = above / totals
    gap = rates[..., 1, :] - rates[..., 0, :]
    return np.maximum(np.nanmax(gap, axis=-1, initial=0.0), 0.0)


def _side(n: int, size: int, rng: np.random.Generator) -> np.ndarray:
    return np.sort(rng.choice(n, size, replace=False)) if n > size else np.arange(n)


def membership_inference(ctx: AuditContext, params: MembershipParams) -> list[Measurement]:
    """Advantage of a confidence-threshold membership-inference attack: how well the model's confidence tells its training rows from unseen rows.

    Members are rows of the reference (training) data, non-members rows of the evaluation
    data (a sample of each, seeded). The attack scores each row by the model's probability of
    the row's true label and guesses "member" above a threshold. ``advantage`` is the largest
    TPR − FPR over all thresholds (0: no better than chance, 1: members fully exposed), with a
    bootstrap interval (members and non-members resampled separately); ``attack_auc`` is the
    attack's ROC AUC (0.5: chance). On finite samples a model that leaks nothing still shows a
    small advantage; the note gives the level chance alone reaches (95 %). The reference data
    must be the model's training data, and the evaluation data must not overlap it
    (``data.overlap``).

    Why: a model that is much more confident on the people it was trained on reveals who was
    in the training data, which can itself be personal data (a patient of a clinic, a client
    of a lender); the gap is also a direct measure of overfitting.
    """
    ctx.require_model()
    reference = ctx.require_reference()
    if ctx.data.task != "binary":
        raise NotApplicable(say("note.privacy.needs_binary"))
    rng = ctx.rng("privacy.membership_inference")
    members = _side(reference.rows, params.sample_size, rng)
    outsiders = _side(ctx.data.rows, params.sample_size, rng)
    _, member_scores = ctx.predict(reference.frame.iloc[members].reset_index(drop=True))
    if member_scores is None:
        raise NotApplicable(say("note.privacy.needs_predict_proba"))
    if ctx.scores is not None and len(ctx.scores) == ctx.data.rows:
        outsider_scores = ctx.scores[outsiders]
    else:
        _, outsider_scores = ctx.predict(ctx.data.frame.iloc[outsiders].reset_index(drop=True))
    problem = probability_problem(np.concatenate([member_scores, outsider_scores]))
    if problem:
        raise NotApplicable(say("note.privacy.not_probabilities", problem=problem))
    member_y, outsider_y = reference.y_true[members], ctx.data.y_true[outsiders]
    confidence = np.concatenate(
        [np.where(member_y == 1, member_scores, 1 - member_scores), np.where(outsider_y == 1, outsider_scores, 1 - outsider_scores)]
    )
    is_member = np.concatenate([np.ones(len(members), dtype=np.int8), np.zeros(len(outsiders), dtype=np.int8)])
    bins, n_bins, exact = score_bins(confidence)
    histogram = label_histogram(bins, n_bins, is_member)[0]
    value = float(advantage(histogram))
    attack_auc = float(auc(histogram))
    adv_ci = auc_ci = None
    if params.n_boot:
        resampled = np.stack(
            [resample_tables(histogram[0], params.n_boot, rng), resample_tables(histogram[1], params.n_boot, rng)], axis=1
        )
        low, high = percentile_interval(advantage(resampled), params.ci_level)
        adv_ci = Interval(low=low, high=high, level=params.ci_level)
        low, high = percentile_interval(auc(resampled), params.ci_level)
        auc_ci = Interval(low=low, high=high, level=params.ci_level)
    m, k = len(members), len(outsiders)
    chance = 1.358 * np.sqrt(1 / m + 1 / k)  # 95 % point of the Kolmogorov–Smirnov distance of two samples
    note = parts(
        say("note.privacy.membership_samples", members=f"{m:,}", reference=f"{reference.rows:,}", outsiders=f"{k:,}",
            rows=f"{ctx.data.rows:,}", chance=f"{chance:.3f}"),
        None if exact else say("note.privacy.quantile_bins", bins=str(n_bins)),
    )
    rates = np.cumsum(histogram[:, ::-1], axis=-1)[:, ::-1] / histogram.sum(axis=-1, keepdims=True)
    best = int(np.argmax(rates[1] - rates[0]))
    edge = float(confidence[bins >= best].min()) if value > 0 else None
    driver = (
        [say("note.privacy.best_guess", edge=f"{edge:.3f}", members=f"{rates[1, best]:.1%}", outsiders=f"{rates[0, best]:.1%}")]
        if edge is not None else []
    )
    check = "privacy.membership_inference"
    return [
        Measurement(check=check, metric="advantage", value=value, ci=adv_ci, driver_parts=driver, note_parts=note),
        Measurement(check=check, metric="attack_auc", value=attack_auc, ci=auc_ci, note_parts=note),
    ]


CHECKS = [
    Check(
        id="privacy.membership_inference",
        title="Membership inference (confidence attack)",
        measure=membership_inference,
        params=MembershipParams,
        metrics=("advantage", "attack_auc"),
        remediation=(
            "Regularise (depth limits, early stopping, fewer parameters), train on more data, or train "
            "with differential privacy; release labels rather than confidences where the purpose allows."
        ),
    ),
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
