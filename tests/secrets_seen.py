"""Every secret the suite's AWS clients sent or received, kept so one test can prove none reached a log or an
audit file (issue 15, item 1: "a test collects every secret the whole suite produced and fails if any log line
or audit file contains one").

``install`` wraps botocore's ``BaseClient._make_api_call``, the one call every boto3 and botocore client in this
process goes through, and keeps each value of a member the operation's model marks ``sensitive`` (secret access
keys, web-identity tokens, SAML assertions, passwords…) plus the members AWS does not mark but are secrets
all the same (session tokens, join tokens). The clients themselves are not changed: the call is passed through
untouched. The AWS CLI runs in subprocesses and is not seen; the secrets it handles were made by the same
server and are of the same kinds.
"""

from __future__ import annotations

import gzip
import re
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import botocore.client
from botocore.model import ListShape, MapShape, Shape, StructureShape

SEEN: set[str] = set()
# Secret members the models do not mark sensitive (STS's Credentials.SessionToken is a plain ``tokenType``).
_UNMARKED = frozenset({"SessionToken", "sessionToken", "JoinToken", "SecretAccessKey", "secretAccessKey"})
_MIN_CHARS = 8  # as rolegate.core.redaction: shorter values would match unrelated text
# The characters of every secret rolegate issues (keys and tokens): a secret of only these characters in a file
# appears as one whole run of them, so the scan can look runs up instead of searching for each secret.
# Base64 padding ends a run, so ``key=SECRET`` yields ``SECRET``; a run may still hold a secret inside it
# (``SECRET/…``), so each offset of a run is looked up by the first characters of every secret.
_RUN_TEXT = r"[A-Za-z0-9+/_\-]{8,}={0,2}"
_RUN = re.compile(_RUN_TEXT)
_ONLY_RUN = re.compile(_RUN_TEXT)


def install() -> None:
    """Start keeping the secrets of every AWS call this process makes (idempotent)."""
    original = botocore.client.BaseClient._make_api_call
    if getattr(original, "_keeps_secrets", False):
        return

    def _make_api_call(self: botocore.client.BaseClient, operation_name: str, api_params: Mapping[str, Any]) -> Any:
        operation = self.meta.service_model.operation_model(operation_name)
        _keep(operation.input_shape, api_params)
        result = original(self, operation_name, api_params)
        _keep(operation.output_shape, result)
        return result

    _make_api_call._keeps_secrets = True  # type: ignore[attr-defined]
    botocore.client.BaseClient._make_api_call = _make_api_call  # type: ignore[method-assign]


def _keep(shape: Shape | None, value: Any, name: str = "") -> None:
    if shape is None or value is None:
        return
    if isinstance(shape, StructureShape) and isinstance(value, Mapping):
        for member, member_shape in shape.members.items():
            _keep(member_shape, value.get(member), member)
    elif isinstance(shape, ListShape) and isinstance(value, list):
        for item in value:
            _keep(shape.member, item, name)
    elif isinstance(shape, MapShape) and isinstance(value, Mapping):
        for item in value.values():
            _keep(shape.value, item, name)
    elif (shape.metadata.get("sensitive") or name in _UNMARKED) and isinstance(value, (str, bytes)):
        text = value.decode("utf-8", "replace") if isinstance(value, bytes) else value
        # A word (a test's password "password") would match the same word in any log line or record key; what
        # rolegate issues is never a bare word, and a word-like test secret proves nothing either way.
        if len(text) >= _MIN_CHARS and not text.isalpha():
            SEEN.add(text)


def scanned_files(root: Path) -> Iterator[Path]:
    """The files a secret must never reach: every log and every audit file under ``root``."""
    for path in root.rglob("*"):
        if path.is_file() and (path.suffix == ".log" or "audit" in path.relative_to(root).parts[:-1]
                               or path.name.endswith((".jsonl", ".json.gz"))):
            yield path


def leaks_under(root: Path, secrets: Iterable[str], *, rounds: int = 10) -> tuple[list[Path], list[tuple[Path, str]]]:
    """The files scanned under ``root`` and the leaks in them. A server still running (the session's shared one)
    renames its audit files as it rotates them: a file gone between the listing and its reading is looked for
    again under its new name by listing once more, until a round loses none."""
    secrets = set(secrets)
    scanned: list[Path] = []
    found: list[tuple[Path, str]] = []
    for _ in range(rounds):
        seen = set(scanned)
        files = [p for p in scanned_files(root) if p not in seen]
        vanished: list[Path] = []
        found += leaks(files, secrets, vanished=vanished)
        scanned += [p for p in files if p not in vanished]
        if not vanished:
            return scanned, found
    raise AssertionError(f"files under {root} kept vanishing while being scanned")


def leaks(files: Iterable[Path], secrets: Iterable[str], *,
          vanished: list[Path] | None = None) -> list[tuple[Path, str]]:
    """(file, secret) for each secret found in a file; a file gone before it could be read is added to
    ``vanished`` (without that list, its absence is an error)."""
    runs = {s for s in secrets if _ONLY_RUN.fullmatch(s)}
    others = [s for s in secrets if s not in runs]
    prefixes: dict[str, list[str]] = {}
    for secret in runs:
        prefixes.setdefault(secret[:_MIN_CHARS], []).append(secret)
    found: list[tuple[Path, str]] = []
    for path in files:
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            if vanished is None:
                raise
            vanished.append(path)
            continue
        if path.suffix == ".gz":
            try:
                data = gzip.decompress(data)
            except (OSError, EOFError):  # a file a test damaged on purpose: its raw bytes are still looked at
                pass
        text = data.decode("utf-8", "replace")
        found += [(path, s) for s in sorted({hit for run in _RUN.findall(text) for hit in _within(run, prefixes)})]
        found += [(path, s) for s in others if s in text]
    return found


def _within(run: str, prefixes: Mapping[str, list[str]]) -> Iterator[str]:
    for start in range(len(run) - _MIN_CHARS + 1):
        for secret in prefixes.get(run[start:start + _MIN_CHARS], ()):
            if run.startswith(secret, start):
                yield secret
