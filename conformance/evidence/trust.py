"""Trust lists: the certification bodies whose signatures a verifier or a registry recognises.

A trust list is YAML::

    jurisdiction: EU                 # where the list's owner stands (a registry marks bundles
                                     # signed by bodies of other jurisdictions as recognised)
    bodies:
      - name: Example Certification GmbH
        jurisdiction: EU
        public_key: |                # PEM from `conformance keys generate`, or the raw key in base64
          -----BEGIN PUBLIC KEY-----
          ...
        profiles: [eu-ai-act-high-risk, eeoc-four-fifths]   # what it may certify; ["*"] for any
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from conformance.errors import ConfigError
from conformance.evidence.signing import fingerprint


class BodyEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    jurisdiction: str = Field(min_length=1, max_length=64)
    public_key: str
    profiles: list[str] = Field(min_length=1)

    @field_validator("public_key")
    @classmethod
    def _key(cls, value: str) -> str:
        parse_public_key(value)
        return value


class TrustFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    jurisdiction: str | None = None
    bodies: list[BodyEntry] = Field(min_length=1)


def parse_public_key(text: str) -> Ed25519PublicKey:
    """An Ed25519 public key from PEM text or its raw 32 bytes in base64."""
    text = text.strip()
    try:
        if text.startswith("-----BEGIN"):
            key = serialization.load_pem_public_key(text.encode("ascii"))
        else:
            key = Ed25519PublicKey.from_public_bytes(base64.b64decode(text, validate=True))
    except (ValueError, binascii.Error, UnicodeEncodeError) as exc:
        raise ValueError("public_key is neither a PEM public key nor a base64 raw Ed25519 key") from exc
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("public_key is not an Ed25519 key (create one with 'conformance keys generate')")
    return key


@dataclass(frozen=True)
class Body:
    """A recognised certification body."""

    name: str
    jurisdiction: str
    fingerprint: str
    public_key: Ed25519PublicKey
    profiles: tuple[str, ...]

    def may_certify(self, profile_id: str) -> bool:
        return "*" in self.profiles or profile_id in self.profiles


@dataclass(frozen=True)
class TrustList:
    jurisdiction: str | None
    bodies: tuple[Body, ...]

    def by_fingerprint(self, fp: str) -> Body | None:
        return next((b for b in self.bodies if b.fingerprint == fp), None)

    def by_name(self, name: str) -> Body | None:
        return next((b for b in self.bodies if b.name == name), None)

    @property
    def keys(self) -> list[Ed25519PublicKey]:
        return [b.public_key for b in self.bodies]


def load_trust_list(path: Path) -> TrustList:
    """Read and strictly validate a trust list; a bad one stops with one line naming the problem (exit 2)."""
    from conformance.yamlfile import read_yaml

    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"trust list not found: {path}", "write one as docs/certification-bodies.md shows")
    _, data = read_yaml(path, "trust list", ConfigError)  # the one bounded reader of user YAML
    try:
        parsed = TrustFile.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "trust list"
        raise ConfigError(f"trust list {path}: {where}: {first['msg'].removeprefix('Value error, ')}",
                          "each body needs name, jurisdiction, public_key and profiles") from exc
    bodies = []
    for entry in parsed.bodies:
        key = parse_public_key(entry.public_key)
        bodies.append(Body(entry.name, entry.jurisdiction, fingerprint(key), key, tuple(entry.profiles)))
    seen: set[str] = set()
    for body in bodies:
        if body.fingerprint in seen or body.name in {b.name for b in bodies if b is not body}:
            raise ConfigError(f"trust list {path}: body '{body.name}' is listed twice (same name or key)")
        seen.add(body.fingerprint)
    return TrustList(parsed.jurisdiction, tuple(bodies))
