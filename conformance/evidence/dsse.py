"""in-toto Statements in DSSE envelopes, signed with the Ed25519 keys of ``conformance keys generate``.

The envelope (``payloadType``, base64 ``payload``, ``signatures``) and its pre-authentication
encoding (PAE) come from securesystemslib, the reference Python implementation of DSSE; this
module adds the in-toto Statement v1 layer and maps our PEM keys onto it. A signature's ``keyid``
is the key's fingerprint (SHA-256 of the raw public key, as in signed reports). Verification tries
every trusted key against every signature over securesystemslib's PAE: its ``Envelope.verify``
selects keys by keyid, an unauthenticated hint the DSSE specification says must not decide.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from conformance.errors import InputError
from conformance.evidence.signing import fingerprint

PAYLOAD_TYPE = "application/vnd.in-toto+json"
STATEMENT_TYPE = "https://in-toto.io/Statement/v1"
PREDICATE_TYPE = "https://conformance.readthedocs.io/evidence-bundle/v1"


def _dsse():
    try:
        from securesystemslib.dsse import Envelope
        from securesystemslib.signer import CryptoSigner, SSlibKey
    except ImportError as exc:  # a core dependency: only a broken installation lands here
        raise InputError("securesystemslib is not installed", "pip install 'securesystemslib>=1.0'") from exc
    return Envelope, CryptoSigner, SSlibKey


def pae(payload_type: str, payload: bytes) -> bytes:
    """DSSE's pre-authentication encoding: ``DSSEv1 LEN(type) type LEN(body) body``."""
    envelope_cls, _, _ = _dsse()
    return envelope_cls(payload, payload_type, {}).pae()


def statement(subjects: list[tuple[str, str]], predicate: dict) -> dict:
    """An in-toto Statement v1 about ``subjects`` ((name, sha256) pairs) with our predicate."""
    if not subjects:
        raise ValueError("an in-toto statement needs at least one subject")
    return {
        "_type": STATEMENT_TYPE,
        "subject": [{"name": name, "digest": {"sha256": digest}} for name, digest in subjects],
        "predicateType": PREDICATE_TYPE,
        "predicate": predicate,
    }


def sign_statement(body: dict, key: Ed25519PrivateKey) -> dict:
    """The statement as a DSSE envelope (JSON object) signed by ``key``."""
    envelope_cls, signer_cls, key_cls = _dsse()
    payload = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    public = key_cls.from_crypto(key.public_key(), keyid=fingerprint(key.public_key()))
    envelope = envelope_cls(payload, PAYLOAD_TYPE, {})
    envelope.sign(signer_cls(key, public))
    return envelope.to_dict()


@dataclass(frozen=True)
class Opened:
    """A DSSE envelope whose signature held: the signer's key fingerprint and the statement."""

    fingerprint: str
    public_key: Ed25519PublicKey
    statement: dict


def _b64(text: object) -> bytes:
    if not isinstance(text, str):
        raise ValueError("not a base64 string")
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return base64.urlsafe_b64decode(text)  # DSSE verifiers must accept either encoding


def open_envelope(envelope: dict, keys: list[Ed25519PublicKey]) -> Opened | None:
    """The statement when one of ``keys`` signed the envelope (PAE over type and payload), else None.

    Raises ``ValueError`` when the envelope is malformed or is not an in-toto statement.
    """
    if not isinstance(envelope, dict) or not isinstance(envelope.get("signatures"), list):
        raise ValueError("not a DSSE envelope: no 'signatures' list")
    payload, payload_type = _b64(envelope.get("payload")), envelope.get("payloadType")
    if payload_type != PAYLOAD_TYPE:
        raise ValueError(f"payloadType is {payload_type!r}, expected {PAYLOAD_TYPE!r}")
    signed = pae(payload_type, payload)
    holder = None
    for entry in envelope["signatures"]:
        signature = _b64(entry.get("sig")) if isinstance(entry, dict) else b""
        for key in keys:
            try:
                key.verify(signature, signed)
            except InvalidSignature:
                continue
            holder = key
            break
        if holder is not None:
            break
    if holder is None:
        return None
    body = json.loads(payload)
    if not isinstance(body, dict) or body.get("_type") != STATEMENT_TYPE or body.get("predicateType") != PREDICATE_TYPE:
        raise ValueError("the payload is not a conformance evidence statement (in-toto Statement v1)")
    return Opened(fingerprint(holder), holder, body)


def signer_keys(envelope: dict) -> list[str]:
    """The keyids the envelope's signatures name (hints only: nothing is trusted from them)."""
    return [str(s.get("keyid", "")) for s in envelope.get("signatures", []) if isinstance(s, dict)]
