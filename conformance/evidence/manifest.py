"""Hash inputs and record what a third party needs to reproduce the run."""

from __future__ import annotations

import hashlib
import platform
from importlib import metadata, resources
from pathlib import Path

from conformance.result import InputFile, Manifest

PACKAGES = (
    "conformance-audit", "numpy", "pandas", "pyarrow", "scikit-learn", "skops", "scipy", "pydantic",
    "shap", "onnxruntime", "xgboost", "lightgbm",  # recorded when installed: they shape explanations and predictions
)
CHUNK = 1 << 20


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


SHIPPED = "conformance.checklists"


def recorded_path(path: Path) -> str:
    """The path as the manifest records it: as given, except a file shipped with conformance, which is
    named by its package (``package:conformance.checklists/base.yaml``) so the report does not carry
    one machine's installation path and verifies on another (``verify --rerun`` finds it by role)."""
    try:
        shipped = Path(str(resources.files(SHIPPED))).resolve()
        relative = Path(path).resolve().relative_to(shipped)
    except (ModuleNotFoundError, TypeError, ValueError):
        return str(path)
    return f"package:{SHIPPED}/{relative.as_posix()}"


def hash_input(role: str, path: Path) -> InputFile:
    """SHA-256 of a file, or of every file of a folder (a partitioned dataset) in sorted order."""
    path = Path(path)
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    if len(files) == 1 and files[0] == path:
        return InputFile(role=role, path=recorded_path(path), sha256=sha256_file(path), bytes=path.stat().st_size)
    digest = hashlib.sha256()
    for file in files:
        digest.update(f"{file.relative_to(path)}\0{sha256_file(file)}\n".encode())
    return InputFile(role=role, path=str(path), sha256=digest.hexdigest(), bytes=sum(f.stat().st_size for f in files))


def package_versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions


def build_manifest(tool_version: str, seed: int, command: list[str], inputs: list[InputFile]) -> Manifest:
    return Manifest(tool_version=tool_version, seed=seed, command=command, inputs=inputs, packages=package_versions())
