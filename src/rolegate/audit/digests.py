"""Digest files: CloudTrail's hourly, signed list of delivered log files, chained each to the one before.

A digest names the log files delivered since the previous digest of its chain (one chain per account and
region, as CloudTrail keeps one per trail and region), each with the SHA-256 of its *uncompressed* content,
and carries the previous digest's hash and signature, so a removed, edited or reordered log file or digest
breaks a hash, a signature or the chain ("CloudTrail digest file structure",
https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-log-file-validation-digest-file-structure.html).

The signature covers CloudTrail's data-signing string, exactly as "Custom implementations of CloudTrail log
file integrity validation" defines it
(https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-log-file-custom-validation.html) and the
AWS CLI's ``validate-logs`` builds it: ``digestEndTime + "\\n" + bucket/object + "\\n" + hex(SHA-256(uncompressed
digest)) + "\\n" + previousDigestSignature`` (``null`` for a chain's first digest). CloudTrail keeps the
signature in the S3 object's metadata (``signature``, ``signature-algorithm``); rolegate has no S3, so the
same two keys sit in a sidecar file ``<digest>.json.gz.sig`` beside it.

The key is Ed25519, not CloudTrail's SHA256withRSA (docs/adr/0042-audit-log-files-and-digests.md): its private
half is derived (HKDF-SHA256) from a key of the session key ring, so it lives where rolegate keeps every signing
key, sealed by the master key, and rotates with it. The public halves are exported to ``public-keys.json`` in
the trail's root (the shape of CloudTrail's ``ListPublicKeys``) and kept there after the ring drops a key, so a
digest signed before a rotation still verifies.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from .atomic import write_atomically

__all__ = ["DIGEST_FIELDS", "HASH_ALGORITHM", "LOG_FILE_FIELDS", "PUBLIC_KEYS_FILE", "SIGNATURE_ALGORITHM", "TRAIL_BUCKET", "DigestKey", "RingKeySource",
           "SigningKey", "build_digest", "export_public_key", "fingerprint", "load_public_keys", "signing_key_from",
           "string_to_sign", "verify_signature", "Previous", "iso", "parse_iso"]

#: The ``hashAlgorithm`` CloudTrail writes for log files and previous digests.
HASH_ALGORITHM = "SHA-256"
#: rolegate's ``digestSignatureAlgorithm`` (CloudTrail's is ``SHA256withRSA``; ADR 0042 says why not here).
SIGNATURE_ALGORITHM = "Ed25519"
#: What stands for CloudTrail's S3 bucket in ``digestS3Bucket`` / ``s3Bucket`` and the signing string: the
#: trail's root directory has no name of its own (it may be copied elsewhere and still verify).
TRAIL_BUCKET = "rolegate"
#: The exported public keys, in the trail's root.
PUBLIC_KEYS_FILE = "public-keys.json"
_HKDF_INFO = b"rolegate audit digest signing v1"

#: (field, meaning) of a digest file, in the order rolegate writes them (``docs/audit.md`` is generated from it).
DIGEST_FIELDS: tuple[tuple[str, str], ...] = (
    ("awsAccountId", "the account whose log files the digest lists"),
    ("digestStartTime", "the start of the time the digest covers: the previous digest's end (UTC)"),
    ("digestEndTime", "its end: when the digest was written; also the time in its name"),
    ("digestS3Bucket", f"`{TRAIL_BUCKET}` (CloudTrail's bucket; the trail's root directory has no name of its own)"),
    ("digestS3Object", "the digest's own path under the root: a digest moved elsewhere is invalid"),
    ("digestPublicKeyFingerprint", "the fingerprint of the public key that verifies its signature "
                                   f"(in `{PUBLIC_KEYS_FILE}`)"),
    ("digestSignatureAlgorithm", f"`{SIGNATURE_ALGORITHM}`; the signature itself is in `<digest>.sig`"),
    ("newestEventTime", "the newest `eventTime` of the listed files' records (absent when none is listed)"),
    ("oldestEventTime", "the oldest one"),
    ("previousDigestS3Bucket", f"`{TRAIL_BUCKET}`, or `null` for a chain's first digest"),
    ("previousDigestS3Object", "the previous digest of the chain (`null` for the first)"),
    ("previousDigestHashValue", "the SHA-256 (hex) of the previous digest's uncompressed content"),
    ("previousDigestHashAlgorithm", f"`{HASH_ALGORITHM}`"),
    ("previousDigestSignature", "the previous digest's signature (hex), so the chain is signed link by link"),
    ("logFiles", "the log files delivered since the previous digest (table below)"),
)
#: (field, meaning) of each ``logFiles`` entry.
LOG_FILE_FIELDS: tuple[tuple[str, str], ...] = (
    ("s3Bucket", f"`{TRAIL_BUCKET}`"),
    ("s3Object", "the log file's path under the root"),
    ("hashValue", "the SHA-256 (hex) of the file's uncompressed content, as CloudTrail hashes it"),
    ("hashAlgorithm", f"`{HASH_ALGORITHM}`"),
    ("newestEventTime", "the newest `eventTime` in the file"),
    ("oldestEventTime", "the oldest"),
)


class DigestKey(Protocol):
    """A key of the session key ring, as ``rolegate.sts.tokens.RingKey`` is."""

    @property
    def key_id(self) -> bytes: ...
    @property
    def material(self) -> bytes: ...


class RingKeySource(Protocol):
    """The key ring's primary key (``rolegate.sts.keyring.KeyRing``)."""

    def primary(self) -> DigestKey: ...


@dataclass(frozen=True, slots=True)
class SigningKey:
    private: Ed25519PrivateKey
    public_raw: bytes  # the 32-byte public key
    fingerprint: str

    def sign(self, data: bytes) -> str:
        return self.private.sign(data).hex()


def signing_key_from(ring_key: DigestKey) -> SigningKey:
    """The digest-signing key derived from one key of the ring: the same ring key always yields the same key, and
    nothing of the ring key can be learned from it (HKDF with an info string of its own)."""
    seed = HKDF(algorithm=hashes.SHA256(), length=32, salt=ring_key.key_id, info=_HKDF_INFO).derive(ring_key.material)
    private = Ed25519PrivateKey.from_private_bytes(seed)
    public_raw = private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return SigningKey(private, public_raw, fingerprint(public_raw))


def fingerprint(public_raw: bytes) -> str:
    """A public key's fingerprint: 32 hex characters, the length of CloudTrail's ``digestPublicKeyFingerprint``."""
    return hashlib.sha256(public_raw).hexdigest()[:32]


def string_to_sign(digest_end_time: str, bucket: str, digest_object: str, digest_bytes: bytes,
                   previous_signature: str | None) -> bytes:
    """CloudTrail's data-signing string (custom validation, "Data signing string")."""
    return (f"{digest_end_time}\n{bucket}/{digest_object}\n{hashlib.sha256(digest_bytes).hexdigest()}\n"
            f"{previous_signature if previous_signature is not None else 'null'}").encode()


def verify_signature(public_raw: bytes, signature_hex: str, data: bytes) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(public_raw).verify(bytes.fromhex(signature_hex), data)
    except (InvalidSignature, ValueError):
        return False
    return True


@dataclass(frozen=True, slots=True)
class Previous:
    """The chain's head: the digest the next one links to."""

    digest_object: str
    hash_value: str  # SHA-256 hex of its uncompressed content
    signature: str
    end_time: dt.datetime


def build_digest(*, account_id: str, start: dt.datetime, end: dt.datetime, digest_object: str,
                 key_fingerprint: str, log_files: Sequence[Mapping[str, Any]],
                 previous: Previous | None) -> dict[str, Any]:
    """A digest's content, with CloudTrail's fields in CloudTrail's order (digest file structure)."""
    newest = max((f["newestEventTime"] for f in log_files if f.get("newestEventTime")), default=None)
    oldest = min((f["oldestEventTime"] for f in log_files if f.get("oldestEventTime")), default=None)
    digest: dict[str, Any] = {
        "awsAccountId": account_id,
        "digestStartTime": iso(start),
        "digestEndTime": iso(end),
        "digestS3Bucket": TRAIL_BUCKET,
        "digestS3Object": digest_object,
        "digestPublicKeyFingerprint": key_fingerprint,
        "digestSignatureAlgorithm": SIGNATURE_ALGORITHM,
    }
    if newest is not None:
        digest["newestEventTime"] = newest
        digest["oldestEventTime"] = oldest
    digest.update({
        "previousDigestS3Bucket": TRAIL_BUCKET if previous is not None else None,
        "previousDigestS3Object": previous.digest_object if previous is not None else None,
        "previousDigestHashValue": previous.hash_value if previous is not None else None,
        "previousDigestHashAlgorithm": HASH_ALGORITHM if previous is not None else None,
        "previousDigestSignature": previous.signature if previous is not None else None,
        "logFiles": [dict(f) for f in log_files],
    })
    return digest


def iso(when: dt.datetime) -> str:
    """CloudTrail's extended UTC format (``2015-05-08T07:19:37Z``)."""
    return when.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(text: str) -> dt.datetime:
    return dt.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.timezone.utc)


# --- exported public keys --------------------------------------------------------------------------------------

def load_public_keys(path: Path) -> dict[str, bytes]:
    """Fingerprint → raw public key, from an exported ``public-keys.json``. An entry whose fingerprint is not its
    key's is dropped: a key file edited to pair a fingerprint with another key verifies nothing."""
    try:
        entries = json.loads(path.read_text())["PublicKeyList"]
    except (OSError, ValueError, KeyError, TypeError):
        return {}
    found: dict[str, bytes] = {}
    for entry in entries if isinstance(entries, list) else []:
        try:
            raw = base64.b64decode(entry["Value"], validate=True)
        except (KeyError, TypeError, ValueError):
            continue
        if len(raw) == 32 and fingerprint(raw) == entry.get("Fingerprint"):
            found[fingerprint(raw)] = raw
    return found


def export_public_key(path: Path, key: SigningKey, since: dt.datetime) -> bool:
    """Add ``key``'s public half to ``path`` (the shape of CloudTrail's ``ListPublicKeys`` response) unless it is
    there; the caller holds the trail's lock. Written whole, to a temporary file renamed over the old one."""
    try:
        document = json.loads(path.read_text())
        entries = list(document["PublicKeyList"])
    except (OSError, ValueError, KeyError, TypeError):
        entries = []
    if any(isinstance(e, dict) and e.get("Fingerprint") == key.fingerprint for e in entries):
        return False
    entries.append({"Value": base64.b64encode(key.public_raw).decode("ascii"), "ValidityStartTime": iso(since),
                    "Fingerprint": key.fingerprint})
    write_atomically(path, json.dumps({"PublicKeyList": entries}, indent=2).encode() + b"\n")
    return True
