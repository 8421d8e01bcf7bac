"""The check registry: stable dotted ids, families registered from an explicit list."""

from __future__ import annotations

from conformance.checks import data_quality, fairness, fairness_scores, performance, privacy, reliability, robustness
from conformance.checks import documentation, explainability, genai, genai_corpus, proxies
from conformance.checks.base import ID_PATTERN, Check

FAMILIES = (performance, fairness, fairness_scores, data_quality, privacy, reliability, robustness, explainability, proxies, documentation, genai, genai_corpus)


def _build() -> dict[str, Check]:
    registry: dict[str, Check] = {}
    for family in FAMILIES:
        for check in family.CHECKS:
            if not ID_PATTERN.match(check.id):
                raise RuntimeError(f"check id {check.id!r} does not match {ID_PATTERN.pattern}")
            if check.id in registry:
                raise RuntimeError(f"check id {check.id!r} is registered twice")
            registry[check.id] = check
    return registry


REGISTRY: dict[str, Check] = _build()
