"""Evidence bundles: an audit's evidence packed to travel, signed as an in-toto statement in DSSE.

A bundle is a zip file written deterministically (sorted members, fixed times and modes):

- ``bundle.json``: the index, each member with its role, SHA-256 and size, and the signer's key
- ``attestation.dsse.json``: a DSSE envelope over an in-toto Statement v1 whose subjects are the
  model's and data's digests and whose predicate holds the evidence summary and every member's
  digest (absent in an unsigned bundle)
- ``report.json`` (byte for byte as written), ``renderings/`` (the other formats, when present),
  ``profiles/ID.yaml`` (the exact profile files used), ``checklist/`` (the answers and their
  evidence files, at the same relative places), ``model_card/``, ``journal/`` and, with
  ``--include-inputs``, ``inputs/ROLE/`` (model, data, reference)

Reading is defensive: the file and member sizes, the member count and each member's compression
ratio are bounded; names must be relative, without ``..``, backslashes or drive letters; links and
duplicate names are refused. Nothing is written outside the folder a bundle is extracted into.
The **bundle digest** (what a registry keys certificates on) is the SHA-256 of the canonical DSSE
envelope: the same evidence signed by the same key always gives the same digest.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import stat
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from importlib import resources
from pathlib import Path, PurePosixPath

from conformance.errors import InputError
from conformance.evidence import dsse
from conformance.evidence.manifest import SHIPPED, hash_input, sha256_file
from conformance.evidence.signing import canonical_json, fingerprint, load_private_key, stored_evidence_sha256
from conformance.evidence.verify import parse_report
from conformance.result import AuditResult, InputFile

FORMAT = "conformance-bundle/1"
INDEX = "bundle.json"
ATTESTATION = "attestation.dsse.json"
REPORT = "report.json"
RENDERINGS = ("report.md", "report.html", "report.pdf", "report.junit.xml", "junit.xml")
INPUT_ROLES = ("model", "data", "reference")  # packed only with --include-inputs
SUBJECT_ROLES = ("model", "data")
_EPOCH = (1980, 1, 1, 0, 0, 0)
_CHUNK = 1 << 20


@dataclass(frozen=True)
class Limits:
    """Bounds on what a bundle may hold; a registry sets tighter ones than a local verifier."""

    file_bytes: int = 8 << 30
    total_bytes: int = 16 << 30
    members: int = 10_000
    ratio: float = 200.0  # uncompressed / compressed, for members over 1 MiB
    json_bytes: int = 64 << 20


class BundleError(InputError):
    """A bundle that cannot be read safely or is not a bundle (malformed, traversal, oversized)."""


@dataclass(frozen=True)
class Member:
    name: str
    role: str
    sha256: str
    bytes: int
    recorded_path: str | None = None


@dataclass
class Bundle:
    """An opened bundle: its checked member list; content is read on demand within the limits."""

    path: Path
    archive: zipfile.ZipFile
    index: dict
    members: dict[str, Member]
    envelope: dict | None
    limits: Limits

    def read(self, name: str, limit: int | None = None) -> bytes:
        return _read_member(self.archive, self.archive.getinfo(name), limit or self.limits.json_bytes)

    def digest_of(self, name: str) -> str:
        digest = hashlib.sha256()
        for block in _blocks(self.archive, name):
            digest.update(block)
        return digest.hexdigest()

    @property
    def digest(self) -> str:
        """SHA-256 of the canonical DSSE envelope (of the index, when unsigned)."""
        return hashlib.sha256(canonical_json(self.envelope if self.envelope is not None else self.index)).hexdigest()

    def report(self) -> tuple[AuditResult, dict, bytes]:
        content = self.read(REPORT)
        result, stored = parse_report(content, f"{self.path}:{REPORT}")
        return result, stored, content

    def close(self) -> None:
        self.archive.close()


@dataclass
class Built:
    path: Path
    digest: str
    members: list[Member] = field(default_factory=list)
    signed_by: str | None = None


# --- writing ----------------------------------------------------------------------------------------


def _locate(item: InputFile, base: Path, report_dir: Path) -> Path:
    if item.path.startswith(f"package:{SHIPPED}/"):
        found = Path(str(resources.files(SHIPPED))) / item.path.split("/", 1)[1]
    else:
        recorded = Path(item.path)
        found = recorded if recorded.is_absolute() else base / recorded
        for folder in (report_dir, report_dir.parent):  # a relative path: the run's folder is often the report's parent
            if not found.exists() and not recorded.is_absolute():
                found = folder / recorded
    if not found.exists():
        raise InputError(f"input '{item.role}' of the report not found: {item.path}",
                         "run 'conformance bundle' from the folder the audit ran in")
    found_hash = sha256_file(found) if found.is_file() else hash_input(item.role, found).sha256
    if found_hash != item.sha256:
        raise InputError(f"input '{item.role}' changed since the audit: {found} has SHA-256 {found_hash}, "
                         f"the report records {item.sha256}", "bundle the files the audit read")
    return found


def _safe_relative(path: Path, folder: Path) -> str | None:
    try:
        relative = Path(os.path.relpath(path, folder)).as_posix()
    except ValueError:
        return None
    return None if relative.startswith("../") or relative == ".." else relative


def _files_of(role: str, path: Path, prefix: str, recorded: str) -> list[tuple[str, str, Path, str]]:
    if path.is_file():
        return [(f"{prefix}/{path.name}", role, path, recorded)]
    files = sorted(p for p in path.rglob("*") if p.is_file())
    return [(f"{prefix}/{path.name}/{p.relative_to(path).as_posix()}", role, p, recorded) for p in files]


def _plan_members(result: AuditResult, report_dir: Path, include_inputs: bool, base: Path) -> list[tuple[str, str, Path, str | None]]:
    """(member name, role, file, recorded path) for everything the bundle holds."""
    planned: list[tuple[str, str, Path, str | None]] = [(REPORT, "report", report_dir / REPORT, None)]
    planned += [(f"renderings/{n}", "rendering", report_dir / n, None) for n in RENDERINGS if (report_dir / n).is_file()]
    inputs = result.evidence.manifest.inputs
    checklist_dir = None
    for item in inputs:
        if item.role == "checklist":
            checklist_dir = _locate(item, base, report_dir).parent
    for item in inputs:
        role = item.role
        if role in INPUT_ROLES or (role not in ("checklist", "model_card", "journal")
                                   and not role.startswith(("profile:", "evidence:"))):
            if include_inputs:
                planned += _files_of(role, _locate(item, base, report_dir), f"inputs/{role}", item.path)
            continue
        found = _locate(item, base, report_dir)
        if role.startswith("profile:"):
            planned.append((f"profiles/{role.removeprefix('profile:')}.yaml", role, found, item.path))
        elif role == "checklist":
            planned.append((f"checklist/{found.name}", role, found, item.path))
        elif role.startswith("evidence:"):
            relative = _safe_relative(found, checklist_dir) if checklist_dir is not None else None
            if relative is not None and found.is_file():
                planned.append((f"checklist/{relative}", role, found, item.path))
            else:
                planned += _files_of(role, found, f"evidence/{role.removeprefix('evidence:')}", item.path)
        else:
            planned += _files_of(role, found, role, item.path)
    names = [p[0] for p in planned]
    duplicate = next((n for n in names if names.count(n) > 1), None)
    if duplicate is not None:
        raise InputError(f"two files of the report would share the bundle name {duplicate}", "rename one of the inputs")
    return planned


def _subjects(result: AuditResult, stored: dict) -> list[tuple[str, str]]:
    subjects = [(f"{i.role}:{PurePosixPath(i.path).name}", i.sha256) for i in result.evidence.manifest.inputs
                if i.role in SUBJECT_ROLES]
    return subjects or [("evidence", stored_evidence_sha256(stored))]


def predicate_of(result: AuditResult, stored: dict, members: list[Member], includes_inputs: bool) -> dict:
    """What the bundle attests: the evidence summary and every member's digest."""
    ev = result.evidence
    return {
        "evidence_sha256": stored_evidence_sha256(stored),
        "outcome": ev.outcome,
        "subject": {"model": ev.subject.model, "task": ev.subject.task, "rows": ev.subject.rows},
        "profiles": [{"id": p.id, "version": p.version, "title": p.title, "verdicts": dict(p.verdicts)} for p in ev.profiles],
        "tool_version": ev.manifest.tool_version,
        "report_signature": None if result.signature is None else
        {"fingerprint": result.signature.fingerprint, "evidence_sha256": result.signature.evidence_sha256},
        "includes_inputs": includes_inputs,
        "members": {m.name: {"role": m.role, "sha256": m.sha256, "bytes": m.bytes} for m in members},
    }


def _zip_info(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=_EPOCH)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = (stat.S_IFREG | 0o644) << 16
    return info


def build_bundle(report_dir: Path, output: Path, include_inputs: bool = False, sign_key: Path | None = None,
                 base: Path | None = None) -> Built:
    """Pack a report folder (or a report.json) into ``output``, written atomically."""
    from conformance.evidence.verify import load_stored

    report_dir = Path(report_dir)
    if report_dir.is_file():
        if report_dir.name != REPORT:
            raise InputError(f"{report_dir} is not a report folder", f"give the folder holding {REPORT}")
        report_dir = report_dir.parent
    if not (report_dir / REPORT).is_file():
        raise InputError(f"no {REPORT} in {report_dir}", "give the --output folder of a run that wrote the json format")
    key = load_private_key(sign_key) if sign_key is not None else None
    result, stored = load_stored(report_dir / REPORT)
    planned = _plan_members(result, report_dir, include_inputs, Path.cwd() if base is None else Path(base))
    members = [Member(name, role, sha256_file(path), path.stat().st_size, recorded) for name, role, path, recorded in planned]
    statement = dsse.statement(_subjects(result, stored), predicate_of(result, stored, members, include_inputs))
    envelope = dsse.sign_statement(statement, key) if key is not None else None
    index = {
        "format": FORMAT,
        "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "signer": None if key is None else {"fingerprint": fingerprint(key.public_key()),
                                            "public_key": _raw_b64(key.public_key())},
        "members": [m.__dict__ for m in members],
    }
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(prefix=f".{output.name}.", dir=output.parent)
    try:
        with os.fdopen(fd, "wb") as handle, zipfile.ZipFile(handle, "w") as archive:
            archive.writestr(_zip_info(INDEX), json.dumps(index, indent=2, ensure_ascii=False) + "\n")
            if envelope is not None:
                archive.writestr(_zip_info(ATTESTATION), json.dumps(envelope, indent=2) + "\n")
            for (name, _, path, _), _member in sorted(zip(planned, members), key=lambda pm: pm[0][0]):
                with open(path, "rb") as source, archive.open(_zip_info(name), "w", force_zip64=True) as target:
                    for block in iter(lambda: source.read(_CHUNK), b""):
                        target.write(block)
        os.replace(temporary, output)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    digest = hashlib.sha256(canonical_json(envelope if envelope is not None else index)).hexdigest()
    return Built(output, digest, members, None if key is None else fingerprint(key.public_key()))


def _raw_b64(public) -> str:
    import base64

    from cryptography.hazmat.primitives import serialization

    return base64.b64encode(public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)).decode("ascii")


# --- reading ----------------------------------------------------------------------------------------


def safe_name(name: str) -> bool:
    """A member name that stays inside the folder it is extracted to."""
    if not name or len(name) > 1024 or "\\" in name or "\0" in name or name.startswith("/") or ":" in name.split("/")[0]:
        return False
    parts = name.split("/")
    return all(part not in ("", ".", "..") for part in parts)


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int) -> bytes:
    if info.file_size > limit:
        raise BundleError(f"bundle member {info.filename} is {info.file_size} bytes, over the limit of {limit}",
                          "the bundle is not one conformance writes")
    with archive.open(info) as handle:
        content = handle.read(limit + 1)
    if len(content) > limit or len(content) != info.file_size:
        raise BundleError(f"bundle member {info.filename} does not have the size its header says", "the bundle is corrupt")
    return content


def _load_json(archive: zipfile.ZipFile, name: str, limits: Limits, path: Path) -> dict:
    try:
        data = json.loads(_read_member(archive, archive.getinfo(name), limits.json_bytes))
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:  # RecursionError: nested too deep
        raise BundleError(f"{path}: {name} is not valid JSON", "the bundle is corrupt") from exc
    if not isinstance(data, dict):
        raise BundleError(f"{path}: {name} is not a JSON object", "the bundle is corrupt")
    return data


def _check_index(index: dict, path: Path) -> dict[str, Member]:
    if index.get("format") != FORMAT or not isinstance(index.get("members"), list):
        raise BundleError(f"{path} is not a conformance bundle (format {index.get('format')!r})",
                          f"make one with 'conformance bundle' ({FORMAT})")
    members: dict[str, Member] = {}
    for entry in index["members"]:
        try:
            member = Member(**{k: entry[k] for k in ("name", "role", "sha256", "bytes")},
                            recorded_path=entry.get("recorded_path"))
        except (KeyError, TypeError) as exc:
            raise BundleError(f"{path}: a member entry of {INDEX} is malformed", "the bundle is corrupt") from exc
        if not isinstance(member.name, str) or not safe_name(member.name) or member.name in members:
            raise BundleError(f"{path}: unsafe or repeated member name in {INDEX}: {member.name!r}", "the bundle is corrupt")
        members[member.name] = member
    return members


def open_bundle(source: Path | bytes, limits: Limits | None = None, name: str = "the bundle") -> Bundle:
    """Open a bundle file (or its bytes, e.g. an upload, named ``name``), refusing anything unsafe or
    malformed with a :class:`BundleError` (exit 2) that says why."""
    limits = limits or Limits()
    if isinstance(source, bytes):
        path, size, opened = Path(name), len(source), io.BytesIO(source)
    else:
        path = Path(source)
        if not path.is_file():
            raise InputError(f"bundle not found: {path}", "make one with 'conformance bundle REPORT_DIR --output NAME.bundle'")
        size, opened = path.stat().st_size, path
    if size > limits.file_bytes:
        raise BundleError(f"{path} is {size} bytes, over the limit of {limits.file_bytes}", "bundle fewer files (leave out --include-inputs)")
    try:
        archive = zipfile.ZipFile(opened)
    except (zipfile.BadZipFile, OSError) as exc:
        raise BundleError(f"{path} is not a bundle: not a zip file", "make one with 'conformance bundle'") from exc
    try:
        infos = archive.infolist()
        if len(infos) > limits.members:
            raise BundleError(f"{path} has {len(infos)} members, over the limit of {limits.members}", "the bundle is not one conformance writes")
        seen: set[str] = set()
        total = 0
        for info in infos:
            name = info.filename
            if not safe_name(name):
                raise BundleError(f"{path}: unsafe member name {name!r} (absolute, '..', or not a plain relative path)",
                                  "refusing a bundle that could write outside its folder")
            if name in seen:
                raise BundleError(f"{path}: member {name!r} appears twice", "the bundle is not one conformance writes")
            seen.add(name)
            mode = info.external_attr >> 16
            if info.is_dir() or (stat.S_IFMT(mode) and not stat.S_ISREG(mode)):
                raise BundleError(f"{path}: member {name!r} is a link, folder or device, not a plain file",
                                  "refusing a bundle that is not one conformance writes")
            total += info.file_size
            if total > limits.total_bytes:
                raise BundleError(f"{path} unpacks to more than {limits.total_bytes} bytes", "the bundle is too large")
            if info.file_size > (1 << 20) and info.file_size > limits.ratio * max(info.compress_size, 1):
                raise BundleError(f"{path}: member {name!r} expands {info.file_size / max(info.compress_size, 1):.0f} times",
                                  "refusing a compression bomb")
        if INDEX not in seen or REPORT not in seen:
            raise BundleError(f"{path} is not a conformance bundle: no {INDEX if INDEX not in seen else REPORT}",
                              "make one with 'conformance bundle'")
        index = _load_json(archive, INDEX, limits, path)
        members = _check_index(index, path)
        envelope = _load_json(archive, ATTESTATION, limits, path) if ATTESTATION in seen else None
        extra = seen - set(members) - {INDEX, ATTESTATION}
        if extra:
            raise BundleError(f"{path}: member {sorted(extra)[0]!r} is not listed in {INDEX}", "the bundle was changed")
        absent = set(members) - seen
        if absent:
            raise BundleError(f"{path}: member {sorted(absent)[0]!r} listed in {INDEX} is missing", "the bundle was changed")
    except BaseException:
        archive.close()
        raise
    return Bundle(path, archive, index, members, envelope, limits)


def extract(bundle: Bundle, folder: Path) -> Path:
    """Write the bundle's members under ``folder`` (names were checked on opening; files are created,
    never followed or overwritten). Returns ``folder``."""
    folder = Path(folder).resolve()
    for name in bundle.members:
        target = (folder / name).resolve()
        if folder not in target.parents:
            raise BundleError(f"bundle member {name!r} would be written outside {folder}", "refusing the bundle")
        target.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o644)
        with os.fdopen(fd, "wb") as out:
            for block in _blocks(bundle.archive, name):
                out.write(block)
    return folder


def _blocks(archive: zipfile.ZipFile, name: str) -> Iterator[bytes]:
    """A member's bytes in blocks, never more than its header declares (a lying header is refused)."""
    info = archive.getinfo(name)
    with archive.open(info) as handle:
        seen = 0
        for block in iter(lambda: handle.read(_CHUNK), b""):
            seen += len(block)
            if seen > info.file_size:
                raise BundleError(f"bundle member {name} is larger than its header says", "the bundle is corrupt")
            yield block
