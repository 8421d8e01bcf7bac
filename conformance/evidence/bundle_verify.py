"""Verify a bundle: every member's digest, the DSSE signature over the in-toto statement, the
report inside (its own signature, over the stored bytes), the signer against a trust list, and,
with ``--rerun`` and bundled inputs, that the audit reproduces.

Unsafe or malformed bundles raise :class:`BundleError` (exit 2); a bundle that fails a check is a
result (:class:`BundleCheck` with ``ok`` False, exit 1).
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from conformance.evidence import dsse
from conformance.evidence.bundle import ATTESTATION, REPORT, Bundle, Limits, open_bundle, extract
from conformance.evidence.signing import stored_evidence_sha256
from conformance.evidence.trust import Body, TrustList, parse_public_key
from conformance.evidence.verify import Verification, verify_integrity, verify_layout
from conformance.result import AuditResult


@dataclass
class BundleCheck:
    """What verifying a bundle established; ``verification.ok`` says whether it holds."""

    verification: Verification
    digest: str
    result: AuditResult | None = None
    stored: dict | None = None
    signer: str | None = None  # fingerprint of the key whose DSSE signature held
    body: Body | None = None  # the trusted body holding that key

    @property
    def ok(self) -> bool:
        return self.verification.ok


def check_members(bundle: Bundle, report: Verification) -> bool:
    ok = True
    for member in bundle.members.values():
        found = bundle.digest_of(member.name)
        if found != member.sha256:
            ok = False
            report.add(False, "member_changed", name=member.name, found=found, recorded=member.sha256)
    if ok:
        report.add(True, "members_same", count=len(bundle.members))
    return ok


def check_statement(bundle: Bundle, statement: dict, stored: dict, result: AuditResult, report: Verification) -> None:
    """The signed statement must describe exactly this bundle: its members, evidence and subjects."""
    predicate = statement.get("predicate") or {}
    signed = predicate.get("members") or {}
    listed = {m.name: {"role": m.role, "sha256": m.sha256, "bytes": m.bytes} for m in bundle.members.values()}
    if signed != listed:
        changed = sorted(set(signed) ^ set(listed)) or sorted(n for n in listed if listed[n] != signed.get(n))
        report.add(False, "members_unsigned", names=", ".join(changed[:5]))
    else:
        report.add(True, "members_signed")
    actual = stored_evidence_sha256(stored)
    same = predicate.get("evidence_sha256") == actual
    report.add(same, "statement_evidence_same" if same else "statement_evidence_changed", actual=actual, signed=predicate.get("evidence_sha256"))
    inputs = {(f"{i.role}:{PurePosixPath(i.path).name}", i.sha256) for i in result.evidence.manifest.inputs
              if i.role in ("model", "data")} or {("evidence", actual)}
    subjects = {(s.get("name"), (s.get("digest") or {}).get("sha256")) for s in statement.get("subject", [])}
    report.add(subjects == inputs, "subjects_same" if subjects == inputs else "subjects_changed")


def _tree_sha256(names: list[str], members: dict) -> str:
    """The manifest's hash of a folder input (``hash_input``) from its bundled members' digests."""
    import hashlib

    root = PurePosixPath(names[0]).parts[:3] if names[0].startswith("inputs/") else PurePosixPath(names[0]).parts[:2]
    digest = hashlib.sha256()
    for name in sorted(names, key=lambda n: PurePosixPath(n).parts):
        relative = "/".join(PurePosixPath(name).parts[len(root):])
        digest.update(f"{relative}\0{members[name].sha256}\n".encode())
    return digest.hexdigest()


def check_inputs(bundle: Bundle, result: AuditResult, report: Verification) -> None:
    """Each bundled input (profiles, answers, evidence, model card, journal, inputs) is the file the
    report's manifest hashed: the same SHA-256 (for a folder, the same tree hash)."""
    by_role: dict[str, list[str]] = {}
    for member in bundle.members.values():
        by_role.setdefault(member.role, []).append(member.name)
    for item in result.evidence.manifest.inputs:
        names = by_role.get(item.role, [])
        if not names:
            continue
        single = len(names) == 1 and bundle.members[names[0]].sha256 == item.sha256
        found = item.sha256 if single else _tree_sha256(names, bundle.members)
        report.add(found == item.sha256, "bundled_same" if found == item.sha256 else "bundled_changed",
                   role=item.role, found=found, recorded=item.sha256)


def open_signature(bundle: Bundle, trust: TrustList | None, report: Verification) -> tuple[str | None, Body | None, dict | None]:
    """The DSSE signature: against the trust list's keys when given, else against the key the index names."""
    if bundle.envelope is None:
        report.add(False, "bundle_unsigned", attestation=ATTESTATION)
        return None, None, None
    if trust is not None:
        keys = trust.keys
    else:
        signer = bundle.index.get("signer") or {}
        try:
            keys = [parse_public_key(str(signer.get("public_key", "")))]
        except ValueError:
            keys = []
    try:
        opened = dsse.open_envelope(bundle.envelope, keys)
    except ValueError as exc:
        report.add(False, "attestation_malformed", detail=exc)
        return None, None, None
    if opened is None:
        if trust is not None:
            names = ", ".join(dsse.signer_keys(bundle.envelope)) or "none"
            report.add(False, "signer_untrusted", keyids=names)
        else:
            report.add(False, "dsse_broken")
        return None, None, None
    body = trust.by_fingerprint(opened.fingerprint) if trust is not None else None
    if body is not None:
        report.add(True, "dsse_trusted", name=body.name, jurisdiction=body.jurisdiction, fingerprint=opened.fingerprint)
    else:
        report.add(True, "dsse_unpinned", fingerprint=opened.fingerprint)
    return opened.fingerprint, body, opened.statement


# Options of `conformance run` whose value is a file, and the manifest role of that file.
FILE_OPTIONS = {"--model": "model", "--data": "data", "--reference": "reference", "--model-card": "model_card",
                "--checklist": "checklist"}


def rerun_from(result: AuditResult, folder: Path, members: list, report: Verification,
               trust_model: bool = False, trust_types: Sequence[str] = ()) -> None:
    """Re-run a bundle's audit on its extracted members: the recorded command with each file option
    (and each profile given by path) pointing at the bundled file; the evidence must come out the
    same, the files' paths aside."""
    from conformance.evidence.verify import note_trust, rerun, rerun_arguments

    where: dict[str, Path] = {}
    for member in members:
        if member.role in FILE_OPTIONS.values() or member.role.startswith("profile:"):
            depth = 3 if member.name.startswith("inputs/") else 2
            where.setdefault(member.role, folder.joinpath(*PurePosixPath(member.name).parts[:depth]))
    recorded = {item.path: item.role for item in result.evidence.manifest.inputs}
    args = rerun_arguments(list(result.evidence.manifest.command), trust_model, trust_types)
    note_trust(list(result.evidence.manifest.command), trust_model, trust_types, report)
    moved = list(args)
    for i, arg in enumerate(args[:-1]):
        role = FILE_OPTIONS.get(arg) or (recorded.get(args[i + 1]) if arg == "--profile" else None)
        if role is not None and role in where:
            moved[i + 1] = str(where[role])
    inputs = [x.model_copy(update={"path": str(where[x.role])}) if x.role in where and x.role in FILE_OPTIONS.values() else x
              for x in result.evidence.manifest.inputs]
    manifest = result.evidence.manifest.model_copy(update={"inputs": inputs})
    rerun(result.model_copy(update={"evidence": result.evidence.model_copy(update={"manifest": manifest})}), moved, report)


def verify_bundle(source: Path | bytes, trust: TrustList | None = None, rerun: bool = False,
                  limits: Limits | None = None, name: str | None = None,
                  trust_model: bool = False, trust_types: Sequence[str] = ()) -> BundleCheck:
    """Check a bundle end to end (with ``rerun``, re-run its audit from the bundled inputs)."""
    bundle = open_bundle(source, limits, name or str(source))
    try:
        report = Verification(str(name or source))
        check = BundleCheck(report, bundle.digest)
        members_ok = check_members(bundle, report)
        result, stored, content = bundle.report()
        check.result, check.stored = result, stored
        check.signer, check.body, statement = open_signature(bundle, trust, report)
        if statement is not None:
            check_statement(bundle, statement, stored, result, report)
        if result.signature is not None:
            verify_layout(Path(REPORT), result, report, stored, content)
            verify_integrity(result, report, stored=stored)
        if members_ok:
            check_inputs(bundle, result, report)
        if check.body is not None:
            for profile in result.evidence.profiles:
                allowed = check.body.may_certify(profile.id)
                report.add(allowed, "body_recognised" if allowed else "body_not_recognised", name=check.body.name, profile=profile.id)
        if rerun:
            if not bundle.index.get("members") or not any(m.role == "data" for m in bundle.members.values()):
                report.add(False, "bundle_no_inputs")
            elif report.ok:
                with tempfile.TemporaryDirectory(prefix="conformance-rerun-bundle-") as tmp:
                    rerun_from(result, extract(bundle, Path(tmp)), list(bundle.members.values()), report,
                               trust_model, trust_types)
        return check
    finally:
        bundle.close()
