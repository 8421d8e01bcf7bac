"""Verify a report: read it, check its integrity and signature, and re-run it from its manifest.

Each check yields a :class:`Finding`; a report verifies when every finding holds. Bad input (a
file that is not a report, a missing key or input file) raises :class:`InputError` (exit 2);
a verification that fails is a result, not an exception (the CLI exits 1).
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from conformance.errors import InputError
from conformance.evidence.manifest import sha256_file
from conformance.evidence.signing import embedded_key, fingerprint, load_public_key, signature_holds, stored_evidence_sha256
from conformance.locale import Words
from conformance.result import AuditResult, InputFile, evidence_sha256

# Options of `conformance run` that change where and how reports are written, not the evidence.
OUTPUT_OPTIONS = ("--output", "--format", "--sign-key", "--baseline", "--lang", "--fail-on")
# Options that grant trust to the model: a re-run never takes them from the report it checks.
TRUST_FLAG, TRUST_OPTION = "--trust-model", "--trust-type"
RERUN_TIMEOUT = 3600


@dataclass(frozen=True)
class Finding:
    """One thing verified, as a catalogue message (``verify.<key>``) so it reads in any language."""

    ok: bool
    key: str
    params: dict = field(default_factory=dict)

    def text(self, words: Words) -> str:
        return words(f"verify.{self.key}", **self.params)

    @property
    def message(self) -> str:
        """The finding in English."""
        return self.text(Words("en"))


@dataclass
class Verification:
    path: str
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.findings) and all(f.ok for f in self.findings)

    def add(self, ok: bool, what: str, /, **params: object) -> None:
        """Record a finding: ``what`` names its sentence (``verify.<what>`` in the catalogues)."""
        self.findings.append(Finding(ok, what, {name: str(value) for name, value in params.items()}))


def read_json(content: bytes, name: str) -> object:
    """JSON bytes from a user, refusing nesting deeper than a report's before it can exhaust the stack."""
    from conformance.limits import MAX_JSON_DEPTH

    deep = InputError(f"{name} is nested more than {MAX_JSON_DEPTH} levels deep", "a report never is: check the file")
    try:
        data = json.loads(content)
    except RecursionError as exc:
        raise deep from exc
    except (ValueError, UnicodeDecodeError) as exc:
        raise InputError(f"{name} is not a JSON report: {exc}", "give the report.json a run wrote (not .md or .html)") from exc
    level = [(data, 1)]
    while level:
        value, depth = level.pop()
        if depth > MAX_JSON_DEPTH:
            raise deep
        children = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
        level.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return data


def load_report(path: Path) -> AuditResult:
    """Read a JSON report; anything that is not one is bad input (exit 2), named in one line."""
    return load_stored(path)[0]


def load_stored(path: Path) -> tuple[AuditResult, dict]:
    """A report file as the result model and as the JSON object stored (what its signature covers)."""
    from conformance.paths import require_input

    path = require_input(Path(path), "report", hint="give the report.json a run wrote")
    return parse_report(path.read_bytes(), str(path))


def parse_report(content: bytes, name: str) -> tuple[AuditResult, dict]:
    """Report bytes as (result model, stored JSON object); bad input (exit 2) names ``name``."""
    data = read_json(content, name)
    if not isinstance(data, dict) or "evidence" not in data:
        raise InputError(f"{name} is not a conformance report: it has no 'evidence'", "give the report.json a run wrote")
    try:
        return AuditResult.model_validate(data), data
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise InputError(
            f"{name} is not a valid conformance report: {where}: {first['msg']}",
            "it was changed by hand, or written by an incompatible version",
        ) from exc


def verify_layout(path: Path, result: AuditResult, report: Verification, stored: dict | None = None,
                  content: bytes | None = None) -> None:
    """The file must be byte-identical to its content written the way ``conformance run`` writes it
    (the JSON renderer is the model's own serialisation), so even a changed space is caught.

    With ``stored`` (the object read from the file) the layout is that object's, written the same
    way: a field a newer version added to the result model is not expected in an older report.
    """
    if stored is not None:
        import pydantic_core

        written = pydantic_core.to_json(stored, indent=2) + b"\n"
    else:
        written = (result.model_dump_json(indent=2) + "\n").encode("utf-8")
    actual = Path(path).read_bytes() if content is None else content
    if actual == written:
        report.add(True, "layout_same")
    else:
        at = next((i for i, (a, b) in enumerate(zip(actual, written)) if a != b), min(len(actual), len(written)))
        report.add(False, "layout_edited", at=at)


def verify_integrity(result: AuditResult, report: Verification, public_key: Path | None = None, rerun: bool = False,
                     stored: dict | None = None) -> None:
    """Evidence hash and signature; with ``public_key``, the signer must hold that key.

    With ``stored`` (the JSON object read from the file) both are computed over it as stored, so
    a report signed before a field was added to the result model still verifies.
    An unsigned report fails, unless it is re-run: then the re-run alone vouches for its evidence.
    """
    pinned = load_public_key(public_key) if public_key is not None else None
    signature = result.signature
    if signature is None:
        if public_key is not None:
            report.add(False, "unsigned_pinned", key=public_key)
        elif rerun:
            report.add(True, "unsigned_rerun")
        else:
            report.add(False, "unsigned")
        return
    actual = stored_evidence_sha256(stored) if stored is not None else evidence_sha256(result.evidence)
    report.add(
        actual == signature.evidence_sha256,
        "evidence_same" if actual == signature.evidence_sha256 else "evidence_changed", actual=actual, signed=signature.evidence_sha256,
    )
    key = embedded_key(signature)
    if key is None or fingerprint(key) != signature.fingerprint:
        report.add(False, "key_malformed")
        return
    if pinned is not None and fingerprint(pinned) != signature.fingerprint:
        report.add(False, "other_key", fingerprint=signature.fingerprint, expected=fingerprint(pinned), key=public_key)
        return
    if signature_holds(result, key, stored):
        if pinned is not None:
            report.add(True, "signature_pinned", key=public_key, fingerprint=signature.fingerprint)
        else:
            report.add(True, "signature_embedded", fingerprint=signature.fingerprint)
    else:
        report.add(False, "signature_broken")


def verify_inputs(
    result: AuditResult,
    report: Verification,
    base: Path | None = None,
    locate: Callable[[InputFile], Path | None] | None = None,
) -> bool:
    """Every manifest input must exist (else exit 2) with the SHA-256 recorded; returns whether all matched.

    ``locate`` may find an input that is not at its recorded path (a shipped profile of another
    installation); the file found must still have the recorded SHA-256.
    """
    from conformance.evidence.manifest import hash_input

    base = Path.cwd() if base is None else Path(base)
    inputs = result.evidence.manifest.inputs
    if not inputs:
        raise InputError("the report's manifest lists no input files: it cannot be re-run", "re-run only reports of `conformance run` or `demo`")
    all_ok = True
    for item in inputs:
        path = Path(item.path) if Path(item.path).is_absolute() else base / item.path
        if not path.exists() and locate is not None:
            path = locate(item) or path
        if not path.exists():
            raise InputError(
                f"input '{item.role}' not found: {item.path}",
                "run verify --rerun from the folder the audit ran in, with the same input files",
            )
        found = sha256_file(path) if path.is_file() else hash_input(item.role, path).sha256
        if found == item.sha256:
            if str(path).endswith(item.path):
                report.add(True, "input_same", role=item.role, path=item.path)
            else:
                report.add(True, "input_found_at", role=item.role, path=item.path, found=path)
        else:
            all_ok = False
            report.add(False, "input_changed", role=item.role, path=item.path, found=found, recorded=item.sha256)
    return all_ok


def rerun_arguments(command: list[str], trust_model: bool = False, trust_types: Sequence[str] = ()) -> list[str]:
    """The recorded `conformance run …` arguments without the options that only shape the output.

    Trust is never inherited: the recorded ``--trust-model`` and ``--trust-type`` are dropped (a
    report can be written by anyone), and only the verifier's own ``trust_model`` and
    ``trust_types`` are passed to the re-run.
    """
    if len(command) < 2 or command[1] != "run":
        raise InputError(
            f"the report's command cannot be re-run: {' '.join(command) or 'none recorded'}",
            "only reports written by `conformance run` or `conformance demo` can be re-run",
        )
    if any(arg == "--config" or arg.startswith("--config=") for arg in command[2:]):
        raise InputError(
            "the report's command reads a run file (--config), which a re-run does not: it could grant trust",
            "a report written by `conformance run` records every option on its command line",
        )
    args, skip = [], False
    for arg in command[2:]:
        if skip:
            skip = False
            continue
        if arg in (*OUTPUT_OPTIONS, TRUST_OPTION):
            skip = True
            continue
        if arg == TRUST_FLAG or (arg.split("=", 1)[0] in (*OUTPUT_OPTIONS, TRUST_OPTION, TRUST_FLAG) and "=" in arg):
            continue
        args.append(arg)
    if trust_model:
        args.append(TRUST_FLAG)
    for name in trust_types:
        args += [TRUST_OPTION, name]
    return args


def recorded_trust(command: list[str]) -> list[str]:
    """The trust options a report's command recorded (``--trust-model``, ``--trust-type NAME``)."""
    found = []
    for i, arg in enumerate(command):
        if arg == TRUST_FLAG or arg.startswith(f"{TRUST_FLAG}="):
            found.append(TRUST_FLAG)
        elif arg == TRUST_OPTION and i + 1 < len(command):
            found.append(f"{TRUST_OPTION} {command[i + 1]}")
        elif arg.startswith(f"{TRUST_OPTION}="):
            found.append(f"{TRUST_OPTION} {arg.split('=', 1)[1]}")
    return found


def note_trust(command: list[str], trust_model: bool, trust_types: Sequence[str], report: Verification) -> None:
    """Say, in one line, that the re-run did not take the trust the report's command gave its model."""
    recorded = recorded_trust(command)
    if recorded and not trust_model and not trust_types:
        report.add(True, "trust_not_inherited", recorded=" ".join(recorded))


def _plain(result: AuditResult) -> dict:
    data = result.evidence.model_dump(mode="json")
    data["manifest"].pop("command", None)
    return data


def differences(expected: dict, actual: dict, path: str = "evidence", limit: int = 8) -> list[str]:
    """Where two JSON trees differ, as dotted paths with both values (at most ``limit``)."""
    found: list[str] = []

    def walk(a: object, b: object, where: str) -> None:
        if len(found) >= limit:
            return
        if isinstance(a, dict) and isinstance(b, dict):
            for key in sorted(set(a) | set(b)):
                walk(a.get(key, "<absent>"), b.get(key, "<absent>"), f"{where}.{key}")
        elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
            for i, (x, y) in enumerate(zip(a, b)):
                walk(x, y, f"{where}[{i}]")
        elif a != b:
            shown = [json.dumps(v, ensure_ascii=False) for v in (a, b)]
            shown = [s if len(s) <= 80 else s[:77] + "..." for s in shown]
            found.append(f"{where}: report {shown[0]}, re-run {shown[1]}")

    walk(expected, actual, path)
    return found


def rerun(result: AuditResult, args: list[str], report: Verification) -> AuditResult | None:
    """Re-execute ``conformance run ARGS`` in a fresh process and compare its evidence with the report's."""
    with tempfile.TemporaryDirectory(prefix="conformance-rerun-") as tmp:
        # `-c` puts the working folder first on sys.path: drop it, so the re-run is this installation of
        # conformance, never a folder named `conformance` that happens to sit where the verifier stands.
        command = [sys.executable, "-c", "import sys; del sys.path[0]; from conformance.cli import main; main()", "run", *args,
                   "--output", tmp, "--format", "json"]
        ran = subprocess.run(command, capture_output=True, text=True, timeout=RERUN_TIMEOUT, check=False)
        produced = Path(tmp) / "report.json"
        if ran.returncode not in (0, 1) or not produced.is_file():
            last = (ran.stderr.strip().splitlines() or ["no message"])[-1]
            report.add(False, "rerun_failed", code=ran.returncode, last=last)
            return None
        again = load_report(produced)
    diffs = differences(_plain(result), _plain(again))
    if diffs:
        report.add(False, "rerun_differs", differences="; ".join(diffs))
    else:
        manifest = again.evidence.manifest.model_copy(update={"command": result.evidence.manifest.command})
        same = again.evidence.model_copy(update={"manifest": manifest})
        report.add(evidence_sha256(same) == evidence_sha256(result.evidence), "rerun_same", sha=evidence_sha256(same))
    return again
