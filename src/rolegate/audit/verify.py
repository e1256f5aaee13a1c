"""``rolegate audit verify``: walk a trail's digest chains and log files and say what is intact, as ``aws cloudtrail
validate-logs`` does for CloudTrail.

The walk follows the AWS CLI's (``awscli/customizations/cloudtrail/validation.py``; "Validating CloudTrail log
file integrity with the AWS CLI",
https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-log-file-validation-cli.html): start at a
chain's newest digest in the requested range, check its signature over CloudTrail's data-signing string with the
public key its fingerprint names, check each log file it lists against its SHA-256 (of the uncompressed
content), then follow ``previousDigestS3Object`` back until a digest starts before the range. A digest that is
missing or invalid is named and the walk goes on from the next older one found on disk. Beyond the CLI, a
digest's predecessor must hash and sign to what its successor recorded (``previousDigestHashValue``,
``previousDigestSignature``), and a digest in the range the chain does not reach is named: so a digest replaced,
reordered or slipped in is found too. The messages are the CLI's (``Digest file\\tPATH\\tINVALID: reason``).
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import json
import re
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .digests import parse_iso, string_to_sign, verify_signature

__all__ = ["Report", "verify_trail"]

_DIGEST_STAMP = re.compile(r"_(\d{8}T\d{6}Z)\.json\.gz$")
_LOG_STAMP = re.compile(r"_(\d{8}T\d{4}Z)_[A-Za-z0-9]{16}\.json\.gz$")
# The AWS CLI refuses a digest without these before reading anything else of it (DigestTraverser).
_REQUIRED = ("digestPublicKeyFingerprint", "digestS3Bucket", "digestS3Object", "previousDigestSignature",
             "digestEndTime", "digestStartTime")


@dataclass
class Report:
    start: dt.datetime
    end: dt.datetime
    found_start: dt.datetime | None = None
    found_end: dt.datetime | None = None
    digests_valid: int = 0
    digests_invalid: int = 0
    logs_valid: int = 0
    logs_invalid: int = 0
    not_yet_digested: int = 0
    problems: list[str] = field(default_factory=list)  # one line each, the CLI's wording
    valid: list[str] = field(default_factory=list)  # what ``--verbose`` prints

    @property
    def ok(self) -> bool:
        return not self.digests_invalid and not self.logs_invalid

    def summary(self) -> str:
        """The CLI's closing lines: the range asked, the range found, the counts."""
        lines = [f"Results requested for {_display(self.start)} to {_display(self.end)}"]
        if not self.digests_valid and not self.digests_invalid:
            lines.append("No digests found")
        else:
            if self.found_start is None or self.found_end is None:
                lines.append("No valid digests found in range")
            else:
                lines.append(f"Results found for {_display(self.found_start)} to {_display(self.found_end)}:")
            lines.append("")
            lines.append(_ratio(self.digests_valid, self.digests_invalid, "digest"))
            if self.logs_valid or self.logs_invalid:
                lines.append(_ratio(self.logs_valid, self.logs_invalid, "log"))
        if self.not_yet_digested:
            lines.append(f"{self.not_yet_digested} log files delivered since the last digest (not yet verifiable)")
        return "\n".join(lines) + "\n"


def verify_trail(root: Path, public_keys: Mapping[str, bytes], start: dt.datetime, end: dt.datetime) -> Report:
    report = Report(start=start, end=end)
    listed: set[str] = set()
    for chain in sorted((root / "AWSLogs").glob("*/CloudTrail-Digest/*")):
        _Chain(root, public_keys, report, listed).walk(sorted(
            (str(p.relative_to(root)) for p in chain.glob("*/*/*/*.json.gz") if _DIGEST_STAMP.search(p.name)),
            key=_digest_time), start, end)
    for path in (root / "AWSLogs").glob("*/CloudTrail/*/*/*/*/*.json.gz"):
        stamp = _LOG_STAMP.search(path.name)
        key = str(path.relative_to(root))
        if stamp is not None and key not in listed and start <= _log_time(stamp.group(1)) <= end:
            report.not_yet_digested += 1
    return report


class _Chain:
    def __init__(self, root: Path, keys: Mapping[str, bytes], report: Report, listed: set[str]) -> None:
        self.root = root
        self.keys = keys
        self.report = report
        self.listed = listed

    def walk(self, digests: list[str], start: dt.datetime, end: dt.datetime) -> None:
        in_range = [k for k in digests if _digest_time(k) <= end and _digest_time(k) >= start]
        older = [k for k in digests if _digest_time(k) < start]
        remaining = list(in_range)
        visited: set[str] = set()
        key: str | None = remaining.pop() if remaining else None
        expected: tuple[str, str] | None = None  # (hash, signature) the successor recorded for ``key``
        while key is not None:
            visited.add(key)
            digest = self._check_digest(key, expected)
            if digest is None:
                key, expected = self._next_on_disk(remaining, key), None
                continue
            self._check_logs(digest)
            began = parse_iso(digest["digestStartTime"])
            previous = digest.get("previousDigestS3Object")
            if began < start:
                break
            if not isinstance(previous, str):
                key, expected = self._next_on_disk(remaining, key), None
                continue
            expected = (str(digest.get("previousDigestHashValue")), str(digest["previousDigestSignature"]))
            if previous in remaining:
                remaining.remove(previous)
            elif previous in older:
                older.remove(previous)
            key = previous
        for stray in remaining:
            if stray not in visited:
                self._invalid("Digest file", stray, "not in the digest chain (no later digest names it)")

    def _next_on_disk(self, remaining: list[str], after: str) -> str | None:
        """The newest digest on disk older than ``after``: where the CLI goes on after a missing or invalid one."""
        older = [k for k in remaining if _digest_time(k) < _digest_time(after)]
        if not older:
            return None
        remaining.remove(older[-1])  # the newer ones stay, to be named if the chain never reaches them
        return older[-1]

    def _check_digest(self, key: str, expected: tuple[str, str] | None) -> dict[str, Any] | None:
        path = self.root / key
        try:
            raw = gzip.decompress(path.read_bytes())
        except FileNotFoundError:
            self._invalid("Digest file", key, "not found")
            return None
        except (OSError, EOFError, zlib.error):
            self._invalid("Digest file", key, "invalid format")
            return None
        try:
            digest = json.loads(raw)
            if not isinstance(digest, dict) or any(k not in digest for k in _REQUIRED):
                raise ValueError
        except ValueError:
            self._invalid("Digest file", key, "invalid format")
            return None
        if digest["digestS3Object"] != key:
            self._invalid("Digest file", key, "has been moved from its original location")
            return None
        try:
            metadata = json.loads((self.root / (key + ".sig")).read_text())
            signature = str(metadata["signature"])
        except (OSError, ValueError, KeyError, TypeError):
            self._invalid("Digest file", key, "signature verification failed")
            return None
        fingerprint = digest["digestPublicKeyFingerprint"]
        public = self.keys.get(fingerprint) if isinstance(fingerprint, str) else None
        if public is None:
            self._invalid("Digest file", key, f"public key not found for fingerprint {fingerprint}")
            return None
        to_sign = string_to_sign(str(digest["digestEndTime"]), str(digest["digestS3Bucket"]), key, raw,
                                 digest["previousDigestSignature"])
        if not verify_signature(public, signature, to_sign):
            self._invalid("Digest file", key, "signature verification failed")
            return None
        if expected is not None and (hashlib.sha256(raw).hexdigest(), signature) != expected:
            self._invalid("Digest file", key, "is not the digest its successor names (hash or signature differs)")
            return None
        report = self.report
        report.digests_valid += 1
        report.valid.append(f"Digest file\t{key}\tvalid")
        began = max(parse_iso(digest["digestStartTime"]), report.start)
        ended = min(parse_iso(digest["digestEndTime"]), report.end)
        report.found_start = began if report.found_start is None else min(report.found_start, began)
        report.found_end = ended if report.found_end is None else max(report.found_end, ended)
        return digest

    def _check_logs(self, digest: dict[str, Any]) -> None:
        for entry in digest.get("logFiles") or []:
            key = str(entry.get("s3Object"))
            self.listed.add(key)
            try:
                body = gzip.decompress((self.root / key).read_bytes())
            except FileNotFoundError:
                self._invalid("Log file", key, "not found")
                continue
            except (OSError, EOFError, zlib.error):
                self._invalid("Log file", key, "invalid format")
                continue
            if hashlib.sha256(body).hexdigest() != entry.get("hashValue"):
                self._invalid("Log file", key, "hash value doesn't match")
                continue
            self.report.logs_valid += 1
            self.report.valid.append(f"Log file\t{key}\tvalid")

    def _invalid(self, kind: str, key: str, reason: str) -> None:
        if kind == "Digest file":
            self.report.digests_invalid += 1
        else:
            self.report.logs_invalid += 1
        self.report.problems.append(f"{kind}\t{key}\tINVALID: {reason}")


def _digest_time(key: str) -> dt.datetime:
    match = _DIGEST_STAMP.search(key)
    assert match is not None
    return dt.datetime.strptime(match.group(1), "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.timezone.utc)


def _log_time(stamp: str) -> dt.datetime:
    return dt.datetime.strptime(stamp, "%Y%m%dT%H%MZ").replace(tzinfo=dt.timezone.utc)


def _display(when: dt.datetime) -> str:
    return when.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _ratio(valid: int, invalid: int, name: str) -> str:
    total = valid + invalid
    text = f"{valid}/{total} {name} files valid"
    return text + (f", {invalid}/{total} {name} files INVALID" if invalid else "")
