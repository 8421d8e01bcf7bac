"""docs/profiles.md lists, per profile, the clauses automated, the clauses asked, and the numbers
taken from the source, generated from the profiles (UPDATE_GOLDEN=1 rewrites the section)."""

from __future__ import annotations

import os
from pathlib import Path

from conformance.profiles.loader import load_profile

PAGE = Path(__file__).resolve().parents[2] / "docs" / "profiles.md"
HEADING = "### Per profile: automated clauses, questions, numbers from the source\n\n"
PROFILES = ["base", "eu-ai-act-high-risk", "nist-ai-rmf", "iso-iec-42001", "iso-iec-24027", "iso-iec-25059",
            "ieee-7003", "nyc-ll144", "eeoc-four-fifths", "ai-verify", "cn-pipl-art24"]


def section() -> str:
    lines = []
    for profile_id in PROFILES:
        automated, asked, sourced = [], [], []
        for r in load_profile(profile_id).candidates:
            if r.kind == "automated":
                automated += [] if r.clause in automated else [r.clause]
                if r.threshold.origin in ("standard", "regulation"):
                    bound = r.threshold.min if r.threshold.min is not None else r.threshold.max
                    scope = ", ".join(r.threshold.scope_attributes) or "every attribute"
                    sourced.append(f"`{r.id}`: {bound} ({r.threshold.origin}; {scope})")
            else:
                asked += [] if r.clause in asked else [r.clause]
        lines += [
            f"#### `{profile_id}`", "",
            "- automated: " + (" · ".join(automated) or "none"),
            "- questions: " + (" · ".join(asked) or "none"),
            "- numbers from the source: "
            + ("; ".join(sourced) if sourced else "none (every threshold is `tool-default` or `provider-declared`)"),
            "",
        ]
    return "\n".join(lines) + "\n"


def test_profiles_page_lists_each_profiles_clauses_and_source_numbers():
    text = PAGE.read_text(encoding="utf-8")
    start = text.index(HEADING) + len(HEADING)
    end = text.index("## Schema", start)
    if os.environ.get("UPDATE_GOLDEN") == "1":
        PAGE.write_text(text[:start] + section() + text[end:], encoding="utf-8")
        return
    assert text[start:end] == section(), "regenerate: UPDATE_GOLDEN=1 pytest tests/profiles/test_profile_docs.py"
