"""Risk taxonomies shipped as package data (``conformance/genai/taxonomies/<id>.yaml``).

A taxonomy names the risk categories a question bank's ``category`` field may use, with stable
codes (``A.1.1``), Chinese and English names, the class each belongs to and named groups of
classes (TC260-003's ``A.1-A.2``: the 17 risks the keyword library and the should-refuse bank
must cover). Profiles name theirs with a top-level ``taxonomy:`` key.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

from pydantic import BaseModel, ConfigDict, Field, model_validator

from conformance.errors import ProfileError, did_you_mean

CODE_PATTERN = r"^[A-Z][A-Za-z0-9]*(\.[0-9]+)+$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Risk(_Strict):
    code: str = Field(pattern=CODE_PATTERN)
    letter: str | None = Field(default=None, description="How the source numbers it, e.g. 'a)'.")
    zh: str
    en: str


class RiskClass(_Strict):
    code: str = Field(pattern=CODE_PATTERN)
    zh: str
    en: str
    risks: list[Risk] = Field(min_length=1)


class Group(_Strict):
    zh: str
    en: str
    classes: list[str] = Field(min_length=1)


class Taxonomy(_Strict):
    """A risk taxonomy: classes of risks, each risk with a stable code."""

    id: str
    title: str
    title_zh: str | None = None
    source: str
    groups: dict[str, Group] = Field(default_factory=dict)
    classes: list[RiskClass] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> Taxonomy:
        codes = [r.code for c in self.classes for r in c.risks]
        if len(set(codes)) != len(codes):
            raise ValueError("a risk code appears twice")
        for c in self.classes:
            for r in c.risks:
                if not r.code.startswith(c.code + "."):
                    raise ValueError(f"risk {r.code} is listed under class {c.code}")
        known = {c.code for c in self.classes}
        for name, group in self.groups.items():
            unknown = set(group.classes) - known
            if unknown:
                raise ValueError(f"group {name} names unknown classes {sorted(unknown)}")
        return self

    @property
    def risks(self) -> list[Risk]:
        return [r for c in self.classes for r in c.risks]

    @property
    def codes(self) -> frozenset[str]:
        """Every risk code: what a bank item's ``category`` may be."""
        return frozenset(r.code for r in self.risks)

    def name(self, code: str, lang: str = "en") -> str:
        """The name of a risk or a class in ``zh`` or ``en``."""
        for c in self.classes:
            if c.code == code:
                return c.zh if lang == "zh" else c.en
            for r in c.risks:
                if r.code == code:
                    return r.zh if lang == "zh" else r.en
        raise KeyError(code)

    def class_of(self, code: str) -> str:
        return next(c.code for c in self.classes if any(r.code == code for r in c.risks))

    def group(self, name: str) -> list[str]:
        """The risk codes of a named group (e.g. ``A.1-A.2``), in the source's order."""
        chosen = set(self.groups[name].classes)
        return [r.code for c in self.classes if c.code in chosen for r in c.risks]


def shipped_taxonomies() -> list[str]:
    folder = resources.files("conformance.genai") / "taxonomies"
    return sorted(p.name[: -len(".yaml")] for p in folder.iterdir() if p.name.endswith(".yaml"))


@lru_cache(maxsize=None)
def load_taxonomy(taxonomy_id: str) -> Taxonomy:
    """The shipped taxonomy of that id; an unknown id is a ProfileError naming the closest one."""
    import yaml

    known = shipped_taxonomies()
    if taxonomy_id not in known:
        raise ProfileError(f"unknown taxonomy '{taxonomy_id}'", did_you_mean(taxonomy_id, known))
    text = (resources.files("conformance.genai") / "taxonomies" / f"{taxonomy_id}.yaml").read_text(encoding="utf-8")
    return Taxonomy.model_validate(yaml.safe_load(text))
