"""Ed25519 keys and signatures over a report's canonical bytes.

What is signed: the canonical bytes (sorted-key compact JSON, UTF-8) of the whole result with
the signature's own bytes left empty — the evidence, the run facts (time, duration) and the
signature's metadata (signer key, fingerprint, time of signing) — so no byte of the report's
content can change unnoticed. The signature also records the SHA-256 of the canonical
evidence alone: the hash a certificate shows and a re-run reproduces.

Verification hashes the report AS STORED: the canonical bytes of the JSON object read from the
file, not of the result model re-dumped. A newer version that adds a field (with a default) to
the result model would otherwise put that field into the bytes of an old report and break its
signature; the stored object is exactly what was signed.

Keys are PEM files: the private key PKCS#8 (unencrypted, written readable by its owner only,
0600), the public key SubjectPublicKeyInfo. A key's fingerprint is the SHA-256 of its raw
32 bytes, in hex.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import os
from datetime import datetime, timezone
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from conformance.errors import InputError
from conformance.result import AuditResult, Signature, canonical_bytes, evidence_sha256

PRIVATE_NAME = "conformance-signing.key"
PUBLIC_NAME = "conformance-signing.pub"


def signed_bytes(result: AuditResult) -> bytes:
    """The bytes a signature covers: the canonical result with the signature value left empty."""
    blank = None if result.signature is None else result.signature.model_copy(update={"signature": ""})
    return canonical_bytes(result.model_copy(update={"signature": blank}))


def canonical_json(data: object) -> bytes:
    """Canonical bytes of a JSON value: sorted keys, compact separators, UTF-8 (as ``canonical_bytes``)."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode("utf-8")


def stored_evidence_sha256(stored: dict) -> str:
    """SHA-256 of the canonical bytes of the ``evidence`` object as stored in a report file."""
    return hashlib.sha256(canonical_json(stored["evidence"])).hexdigest()


def stored_signed_bytes(stored: dict) -> bytes:
    """The bytes a stored report's signature covers: the stored object with the signature value left empty."""
    blank = copy.deepcopy(stored)
    if isinstance(blank.get("signature"), dict):
        blank["signature"]["signature"] = ""
    return canonical_json(blank)


def _raw(public: Ed25519PublicKey) -> bytes:
    return public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def fingerprint(public: Ed25519PublicKey) -> str:
    return hashlib.sha256(_raw(public)).hexdigest()


def generate_keys(folder: Path, force: bool = False) -> tuple[Path, Path]:
    """Write a new key pair into ``folder``; the private key file is created 0600. Refuses to overwrite."""
    folder = Path(folder)
    private_path, public_path = folder / PRIVATE_NAME, folder / PUBLIC_NAME
    if not force:
        for path in (private_path, public_path):
            if path.exists():
                raise InputError(f"{path} exists: refusing to overwrite a key", "choose another --output, or pass --force")
    folder.mkdir(parents=True, exist_ok=True)
    key = Ed25519PrivateKey.generate()
    private_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    public_pem = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    private_path.unlink(missing_ok=True)
    fd = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(private_pem)
    os.chmod(private_path, 0o600)
    public_path.write_bytes(public_pem)
    return private_path, public_path


def _read(path: Path, what: str) -> bytes:
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{what} not found: {path}", "check the path, or create keys with 'conformance keys generate'")
    return path.read_bytes()


def load_private_key(path: Path) -> Ed25519PrivateKey:
    data = _read(path, "signing key")
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as exc:
        raise InputError(f"{path} is not an unencrypted PEM private key", "give the .key file from 'conformance keys generate'") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise InputError(f"{path} is not an Ed25519 key", "create one with 'conformance keys generate'")
    return key


def load_public_key(path: Path) -> Ed25519PublicKey:
    data = _read(path, "public key")
    try:
        key = serialization.load_pem_public_key(data)
    except ValueError:
        try:
            key = serialization.load_pem_private_key(data, password=None).public_key()
        except (ValueError, TypeError) as exc:
            raise InputError(f"{path} is not a PEM public key", "give the .pub file from 'conformance keys generate'") from exc
    if not isinstance(key, Ed25519PublicKey):
        raise InputError(f"{path} is not an Ed25519 public key", "give the .pub file from 'conformance keys generate'")
    return key


def sign(result: AuditResult, key_path: Path) -> AuditResult:
    """The result with its signature (any previous signature replaced)."""
    key = load_private_key(key_path)
    blank = Signature(
        evidence_sha256=evidence_sha256(result.evidence),
        public_key=base64.b64encode(_raw(key.public_key())).decode("ascii"),
        fingerprint=fingerprint(key.public_key()),
        signature="",
        signed_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
    )
    pending = result.model_copy(update={"signature": blank})
    value = base64.b64encode(key.sign(signed_bytes(pending))).decode("ascii")
    return pending.model_copy(update={"signature": blank.model_copy(update={"signature": value})})


def embedded_key(signature: Signature) -> Ed25519PublicKey | None:
    try:
        return Ed25519PublicKey.from_public_bytes(base64.b64decode(signature.public_key, validate=True))
    except ValueError:
        return None


def signature_holds(result: AuditResult, public: Ed25519PublicKey, stored: dict | None = None) -> bool:
    """True when the result's signature was made by ``public``'s key over the result's content
    (over ``stored``, the object read from the file, when given: see the module's docstring)."""
    assert result.signature is not None
    content = stored_signed_bytes(stored) if stored is not None else signed_bytes(result)
    try:
        public.verify(base64.b64decode(result.signature.signature, validate=True), content)
    except (InvalidSignature, ValueError):
        return False
    return True
