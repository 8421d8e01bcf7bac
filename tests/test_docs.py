"""The docs match the code: the checks page is generated, profiles and README name what ships."""

from __future__ import annotations

from pathlib import Path

from conformance import api
from conformance.profiles.loader import shipped_profiles

ROOT = Path(__file__).resolve().parents[1]


def test_checks_page_is_generated_from_the_registry():
    page = (ROOT / "docs" / "checks.md").read_text(encoding="utf-8")
    assert page == api.checks_markdown(), "regenerate: conformance checks list --markdown > docs/checks.md"


def test_every_shipped_profile_is_documented():
    page = (ROOT / "docs" / "profiles.md").read_text(encoding="utf-8")
    for profile_id in shipped_profiles():
        assert f"`{profile_id}`" in page, f"docs/profiles.md does not describe {profile_id}"


def test_readme_starts_with_the_two_commands():
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    block = lines[lines.index("```bash") + 1 : lines.index("```bash") + 3]
    assert block == ["pip install '.[explain]' && conformance demo", "pip install '.[test]' && pytest"]
