"""A light read of the shipped profiles' headers, for listing them without loading the checks.

``conformance profiles list`` needs each profile's id, title, version, citation and number of
requirements, not the validated models: this reads the YAML only (no pydantic, no check registry)
so the listing starts fast. Everything that judges or shows a profile in detail (``run``,
``profiles show``/``validate``) goes through the validating loader; a test keeps the counts here
equal to the loader's.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

SHIPPED_PACKAGE = "conformance.checklists"


@dataclass(frozen=True)
class ProfileHeader:
    id: str
    title: str
    title_zh: str | None
    version: str
    citation: str
    requirements: int


def shipped_profiles() -> dict[str, Path]:
    """Shipped profile ids and their files (files starting with ``_`` are not profiles)."""
    folder = resources.files(SHIPPED_PACKAGE)
    return {
        Path(entry.name).stem: Path(str(entry))
        for entry in folder.iterdir()
        if entry.name.endswith(".yaml") and not entry.name.startswith("_")
    }


def _read(path: Path) -> dict:
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load(path.read_text(encoding="utf-8"), Loader=loader) or {}


def _resolve(ref: str, shipped: dict[str, Path], base: Path | None = None) -> tuple[dict, dict[str, dict], list[str]]:
    """The profile's data, its requirements by id after extends and waivers, and its Annex III selection."""
    path = shipped.get(ref) or (base / ref if base is not None and not Path(ref).is_absolute() else Path(ref))
    data = _read(path)
    merged: dict[str, dict] = {}
    annex: list[str] = []
    parents = data.get("extends") or []
    for parent in [parents] if isinstance(parents, str) else parents:
        _, requirements, selected = _resolve(parent, shipped, path.parent)
        merged.update(requirements)
        annex.extend(selected)
    merged.update({r["id"]: r for r in data.get("requirements") or []})
    for waiver in data.get("waivers") or []:
        merged.pop(waiver.get("requirement"), None)
    return data, merged, [*annex, *(data.get("annex_iii") or [])]


INDEX = "_headers.json"


def _digest(shipped: dict[str, Path]) -> str:
    """One SHA-256 over every shipped profile's name and bytes: the index holds while it matches."""
    import hashlib

    digest = hashlib.sha256()
    for name in sorted(shipped):
        digest.update(name.encode() + b"\0" + shipped[name].read_bytes() + b"\0")
    return digest.hexdigest()


def shipped_headers() -> list[ProfileHeader]:
    """Every shipped profile's header, sorted by id: from the index shipped beside the profiles
    (``_headers.json``) when it was made from exactly these files, else read from the YAML."""
    import json

    shipped = shipped_profiles()
    index = Path(str(resources.files(SHIPPED_PACKAGE) / INDEX))
    if index.is_file():
        stored = json.loads(index.read_text(encoding="utf-8"))
        if stored.get("sha256") == _digest(shipped):
            return [ProfileHeader(**header) for header in stored["headers"]]
    return read_headers(shipped)


def header_index() -> str:
    """The index ``shipped_headers`` reads (``python -m conformance.profiles.headers`` writes it)."""
    import json
    from dataclasses import asdict

    shipped = shipped_profiles()
    index = {"sha256": _digest(shipped), "headers": [asdict(h) for h in read_headers(shipped)]}
    return json.dumps(index, ensure_ascii=False, indent=1) + "\n"


def read_headers(shipped: dict[str, Path]) -> list[ProfileHeader]:
    """Every shipped profile's header, read from the YAML files."""
    headers = []
    for ref in sorted(shipped):
        data, merged, annex = _resolve(ref, shipped)
        chosen = set(annex)
        count = sum(1 for r in merged.values() if not r.get("use_cases") or chosen & set(r["use_cases"]))
        source = data.get("source") or {}
        headers.append(ProfileHeader(id=str(data["id"]), title=str(data.get("title", "")), title_zh=data.get("title_zh"),
                                     version=str(data.get("version", "")), citation=str(source.get("citation", "")),
                                     requirements=count))
    return headers


if __name__ == "__main__":  # regenerate the index after editing a shipped profile
    target = Path(str(resources.files(SHIPPED_PACKAGE) / INDEX))
    target.write_text(header_index(), encoding="utf-8")
    print(f"wrote {target}")
