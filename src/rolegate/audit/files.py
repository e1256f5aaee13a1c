"""The audit trail's files: CloudTrail's log-file layout, an open JSON-lines file per account and region made
durable by one fsync shared by concurrent writers, rotated into CloudTrail's gzip'd ``{"Records": [...]}``, and
listed in signed digest files.

Layout under the trail's root (``data_dir/audit``), CloudTrail's own
("CloudTrail log file examples", "CloudTrail log file name format",
https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-log-file-examples.html, and the digest
file location of
https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-log-file-validation-digest-file-structure.html)::

    AWSLogs/ACCOUNT/CloudTrail/REGION/YYYY/MM/DD/ACCOUNT_CloudTrail_REGION_YYYYMMDDTHHmmZ_UNIQUE.json.gz
    AWSLogs/ACCOUNT/CloudTrail-Digest/REGION/YYYY/MM/DD/
        ACCOUNT_CloudTrail-Digest_REGION_rolegate_REGION_YYYYMMDDTHHMMSSZ.json.gz (+ .sig, the signature)
    public-keys.json    the digest keys' public halves
    open/               the files being written: ACCOUNT_CloudTrail_REGION_OPENED_UNIQUE.jsonl
    state/              per chain: the delivered files not yet in a digest, and the chain's lock

A record goes to the files of its ``recipientAccountId`` and ``awsRegion``, as CloudTrail splits a trail by
account and region. ``append`` writes a request's records (into the OS: a kill -9 loses none) and returns a
sequence number; ``durable(seq)`` returns once an fsync covers it, shared with the writers waiting meanwhile
(the group commit of ADR 0018). A failed write or fsync raises ``AuditUnavailable``.

A file is closed when it reaches ``rotate_bytes`` or is ``rotate_seconds`` old (five minutes by default, CloudTrail
delivering a trail's files several times an hour): renamed ``….closing`` (its delivery time in the name), written compressed to its place in the
layout (temporary file, fsync, rename, directory fsync), listed as pending for its chain's next digest, and only
then removed. Each process holds an exclusive ``flock`` on the files it writes, so a file nobody holds was left
by a crash: the next writer to start closes it first, nothing lost (a line torn by a power loss, never
acknowledged, is dropped). Several worker processes share the root; a chain's digest is written under that
chain's lock by whichever worker finds it due (``rolegate.audit.digests``).
"""

from __future__ import annotations

import datetime as dt
import fcntl
import gzip
import hashlib
import json
import logging
import os
import re
import secrets
import string
import threading
import time
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from rolegate.core.clock import Clock

from . import record_json
from .atomic import fsync_dir, make_private_dir, write_atomically
from .digests import (HASH_ALGORITHM, PUBLIC_KEYS_FILE, SIGNATURE_ALGORITHM, TRAIL_BUCKET, Previous, RingKeySource,
                      build_digest, export_public_key, iso, parse_iso, signing_key_from, string_to_sign)
from .sink import AuditStats, AuditUnavailable

__all__ = ["DEFAULT_ROTATE_BYTES", "DEFAULT_ROTATE_SECONDS", "DEFAULT_DIGEST_SECONDS", "TRAIL_NAME", "TrailWriter",
           "digest_object", "follow_trail", "log_object", "read_log_file", "read_trail"]

log = logging.getLogger(__name__)

DEFAULT_ROTATE_BYTES = 16 * 1024 * 1024
DEFAULT_ROTATE_SECONDS = 300.0  # CloudTrail delivers a trail's log files several times an hour (issue 15: ~5 min)
DEFAULT_DIGEST_SECONDS = 3600.0  # a digest "for the last hour" (CloudTrail digest file structure)
#: The trail's name in digest file names (CloudTrail's ``…_CloudTrail-Digest_REGION_TRAILNAME_REGION_…``).
TRAIL_NAME = "rolegate"
OPEN_DIR = "open"
STATE_DIR = "state"
_UNIQUE_ALPHABET = string.ascii_letters + string.digits
_ACCOUNT = re.compile(r"^\d{12}$")
# A region name as AWS spells them (us-east-1, cn-north-1, us-iso-east-1, …), bounded: it becomes a directory.
_REGION = re.compile(r"^[a-z]{2}(-[a-z0-9]{1,16}){1,4}$")
_FALLBACK_REGION = "us-east-1"
_OPEN_NAME = re.compile(r"^(?P<account>\d{12})_CloudTrail_(?P<region>[a-z0-9-]+)_(?P<opened>\d{8}T\d{4}Z)_"
                        r"(?P<unique>[A-Za-z0-9]{16})\.jsonl(\.(?P<delivered>\d{8}T\d{4}Z)\.closing)?$")
_PENDING = re.compile(r"^(?P<account>\d{12})_(?P<region>[a-z0-9-]+)\.pending$")
_DIGEST_STAMP = re.compile(r"_(\d{8}T\d{6}Z)\.json\.gz$")


def log_object(account: str, region: str, delivered: dt.datetime, unique: str) -> str:
    """A log file's key under the root: CloudTrail's ``AccountID_CloudTrail_RegionName_YYYYMMDDTHHmmZ_UniqueString
    .json.gz`` in ``AWSLogs/ACCOUNT/CloudTrail/REGION/YYYY/MM/DD``."""
    return (f"AWSLogs/{account}/CloudTrail/{region}/{delivered:%Y/%m/%d}/"
            f"{account}_CloudTrail_{region}_{delivered:%Y%m%dT%H%MZ}_{unique}.json.gz")


def digest_object(account: str, region: str, end: dt.datetime) -> str:
    """A digest's key under the root, named by its end time as CloudTrail names it."""
    return (f"AWSLogs/{account}/CloudTrail-Digest/{region}/{end:%Y/%m/%d}/"
            f"{account}_CloudTrail-Digest_{region}_{TRAIL_NAME}_{region}_{end:%Y%m%dT%H%M%SZ}.json.gz")


@dataclass(eq=False)
class _OpenFile:
    account: str
    region: str
    path: Path
    fd: int
    opened: dt.datetime
    size: int = 0
    last_seq: int = 0


class TrailWriter:
    """The audit log as the recorder sees it (``append``, ``durable``, ``close``), written as CloudTrail's trail."""

    def __init__(self, root: Path, *, keys: RingKeySource, clock: Clock, default_account_id: str,
                 rotate_bytes: int = DEFAULT_ROTATE_BYTES, rotate_seconds: float = DEFAULT_ROTATE_SECONDS,
                 digest_seconds: float = DEFAULT_DIGEST_SECONDS, max_open_files: int = 64,
                 tick_seconds: float | None = 1.0, known_regions: frozenset[str] | None = None) -> None:
        self.root = root
        self._open_dir = root / OPEN_DIR
        self._state_dir = root / STATE_DIR
        for d in (root, self._open_dir, self._state_dir):
            make_private_dir(d)
        self._keys = keys
        self._clock = clock
        self._default_account = default_account_id
        # The regions that get directories of their own (None: any region-shaped name). A request may be signed
        # for any region name; without a bound, callers could grow the trail's tree one directory per name.
        self._known_regions = known_regions
        self._rotate_bytes = rotate_bytes
        self._rotate_after = dt.timedelta(seconds=rotate_seconds)
        self._digest_after = dt.timedelta(seconds=digest_seconds)
        self._max_open = max_open_files
        self._lock = threading.Lock()  # guards the open files, their positions and the counters
        self._sync_lock = threading.Lock()  # one fsync round at a time; waiters share the next; closes files
        self._tick_lock = threading.Lock()  # one rotation / digest round at a time in this process
        self._files: dict[tuple[str, str], _OpenFile] = {}
        self._retiring: list[_OpenFile] = []  # full, old or failed: no more appends, closed by the next tick
        self._dirty: set[_OpenFile] = set()  # appended to since their last fsync
        self._closing: list[_OpenFile] = []  # renamed ``….closing``, still locked, not yet delivered
        self._due: dict[tuple[str, str], dt.datetime] = {}  # per chain: no digest is due before this time
        self._written = 0
        self._synced = 0
        self._closed = False
        self.stats = AuditStats()
        self._recovered: set[str] = set()  # event ids in the files a stopped process left open
        self.recover()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        if tick_seconds is not None:
            self._thread = threading.Thread(target=self._run, args=(tick_seconds,), name="audit-trail", daemon=True)
            self._thread.start()

    # --- the sink's interface -------------------------------------------------------------------------------

    def append(self, records: Iterable[dict[str, Any]], *, encoded: Sequence[str] | None = None) -> int:
        grouped: dict[tuple[str, str], list[bytes]] = {}
        for n, record in enumerate(records):
            text = encoded[n] if encoded is not None else record_json.dumps(record)
            line = text.encode() + b"\n"
            grouped.setdefault(self._file_key(record), []).append(line)
        with self._lock:
            if self._closed:
                raise AuditUnavailable("the audit log is closed")
            seq = self._written + 1
            for key, lines in grouped.items():
                data = b"".join(lines)
                target = None
                try:
                    target = self._file_for(key)
                    written = os.write(target.fd, data)  # into the OS: a kill -9 of this process no longer loses it
                    if written != len(data):
                        raise OSError(28, f"short write ({written} of {len(data)} bytes)")
                except OSError as err:
                    self.stats.failures += 1
                    if target is not None:  # a torn line: nothing more is appended after it
                        self._retire(target)
                    raise AuditUnavailable(f"audit log write failed: {err}") from err
                target.size += len(data)
                target.last_seq = seq
                self._dirty.add(target)
                self.stats.records_written += len(lines)
            self._written = seq
            self.stats.backlog = self._written - self._synced
            return seq

    def durable(self, seq: int) -> None:
        """Return once the records of ``seq`` are on disk (fsync'd), sharing an fsync with other writers."""
        if self._synced >= seq:
            return
        with self._sync_lock:
            if self._synced >= seq:
                return  # the fsync we waited behind covered us
            with self._lock:
                target = self._written
                dirty = list(self._dirty)
                self._dirty.clear()
            started = time.perf_counter()
            try:
                for f in dirty:
                    os.fsync(f.fd)
            except OSError as err:
                with self._lock:
                    self.stats.failures += 1
                    self._dirty.update(dirty)
                raise AuditUnavailable(f"audit log fsync failed: {err}") from err
            spent = time.perf_counter() - started
            with self._lock:
                self._synced = max(self._synced, target)
                self.stats.fsyncs += 1
                self.stats.last_fsync_seconds = spent
                self.stats.total_fsync_seconds += spent
                self.stats.backlog = self._written - self._synced

    def close(self) -> None:
        """Close every open file into the layout and write the digests still owed, so a stopped server's trail
        verifies whole."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
        self.tick(force=True)

    # --- rotation and digests ---------------------------------------------------------------------------------

    def tick(self, *, force: bool = False) -> None:
        """One round of the background work: close files full or old enough (all of them with ``force``), deliver
        them, and write the digests that are due (every chain with pending files, with ``force``)."""
        with self._tick_lock:
            try:
                self._close_due(force)
                self._deliver_own()
                self._write_digests(force)
            except Exception:
                # The open files stay where they are and the next round tries again; nothing acknowledged is lost.
                log.warning("audit trail rotation failed; retrying", exc_info=True)

    def recover(self) -> None:
        """Close the files a crashed process left open (nobody holds their lock) into the layout."""
        for path in sorted(self._open_dir.iterdir()):
            match = _OPEN_NAME.match(path.name)
            if match is None:
                if path.name.startswith(".") and _OPEN_NAME.match(path.name[1:]) and _abandoned(path):
                    path.unlink(missing_ok=True)  # created, never named, never written: a crash in ``_file_for``
                continue
            try:
                fd = os.open(path, os.O_RDONLY)
            except FileNotFoundError:
                continue  # its owner closed it meanwhile
            try:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    continue  # a live process writes it
                if not path.exists():
                    continue
                if match.group("delivered") is None:
                    path = self._mark_closing(path, self._clock.now())
                self._recovered.update(self._deliver(path))
                log.info("audit trail: closed a log file left open by a stopped process", extra={"file": path.name})
            finally:
                os.close(fd)

    def _run(self, every: float) -> None:
        while not self._stop.wait(every):
            self.tick()

    def _file_key(self, record: dict[str, Any]) -> tuple[str, str]:
        account = record.get("recipientAccountId")
        region = record.get("awsRegion")
        # Both become directory names: anything but an account id and a region's shape goes to the default's.
        if not (isinstance(region, str) and _REGION.match(region)) or (
                self._known_regions is not None and region not in self._known_regions):
            region = _FALLBACK_REGION
        return (account if isinstance(account, str) and _ACCOUNT.match(account) else self._default_account, region)

    def _file_for(self, key: tuple[str, str]) -> _OpenFile:
        current = self._files.get(key)
        if current is not None and current.size < self._rotate_bytes:
            return current
        if current is not None:
            self._retire(current)
        elif len(self._files) >= self._max_open:  # bounded descriptors: the least recently written goes first
            self._retire(min(self._files.values(), key=lambda f: f.last_seq))
        now = self._clock.now()
        unique = "".join(secrets.choice(_UNIQUE_ALPHABET) for _ in range(16))
        path = self._open_dir / f"{key[0]}_CloudTrail_{key[1]}_{now:%Y%m%dT%H%MZ}_{unique}.jsonl"
        # Locked under a name recovery ignores, then given its name: no other process's recovery can take it
        # between its creation and its lock.
        hidden = path.with_name("." + path.name)
        fd = os.open(hidden, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)  # ours while it exists (waits out a recovery's probe, never long)
            os.rename(hidden, path)
            fsync_dir(self._open_dir)  # the new name itself survives a power loss
        except OSError:
            os.close(fd)
            hidden.unlink(missing_ok=True)
            path.unlink(missing_ok=True)
            raise
        opened = _OpenFile(key[0], key[1], path, fd, now)
        self._files[key] = opened
        return opened

    def _retire(self, f: _OpenFile) -> None:
        if self._files.get((f.account, f.region)) is f:
            del self._files[(f.account, f.region)]
        self._retiring.append(f)

    def _close_due(self, force: bool) -> None:
        """Take the files due out of the writers' way, fsync them and rename them ``….closing``."""
        with self._sync_lock:  # no fsync round holds their descriptors meanwhile
            with self._lock:
                now = self._clock.now()
                for f in list(self._files.values()):
                    if force or now - f.opened >= self._rotate_after:
                        self._retire(f)
                batch = list(self._retiring)
            for f in batch:
                os.fsync(f.fd)  # an error leaves it retiring and dirty: its waiters see the failure
                f.path = self._mark_closing(f.path, now)
                with self._lock:
                    self._retiring.remove(f)
                    self._dirty.discard(f)
                    self._closing.append(f)

    def _deliver_own(self) -> None:
        while self._closing:
            f = self._closing[0]
            self._deliver(f.path)
            self._closing.pop(0)
            os.close(f.fd)  # the lock goes with the descriptor, after the file is gone

    def _mark_closing(self, path: Path, delivered: dt.datetime) -> Path:
        closing = path.with_name(f"{path.name}.{delivered:%Y%m%dT%H%MZ}.closing")
        os.rename(path, closing)
        fsync_dir(self._open_dir)
        return closing

    def written_before_start(self) -> frozenset[str]:
        """The ``eventID``s of the records in files a stopped process had left open and this writer closed when it
        started: what that process made durable, whether or not its drain's mark said so before it stopped."""
        return frozenset(self._recovered)

    def _deliver(self, closing: Path) -> list[str]:
        """Write a ``….closing`` file to its place in the layout and list it for its chain's next digest; the event
        ids it held. Repeating it after a crash writes the same file to the same place."""
        match = _OPEN_NAME.match(closing.name)
        assert match is not None and match.group("delivered") is not None
        account, region, unique = match.group("account"), match.group("region"), match.group("unique")
        delivered = dt.datetime.strptime(match.group("delivered"), "%Y%m%dT%H%MZ").replace(tzinfo=dt.timezone.utc)
        lines: list[bytes] = []
        times: list[str] = []
        ids: list[str] = []
        for line in closing.read_bytes().splitlines():
            try:
                record = json.loads(line)
            except ValueError:
                log.warning("audit trail: dropped a torn line (never acknowledged)", extra={"file": closing.name})
                continue
            lines.append(line)
            if isinstance(record, dict) and isinstance(record.get("eventTime"), str):
                times.append(record["eventTime"])
            if isinstance(record, dict) and isinstance(record.get("eventID"), str):
                ids.append(record["eventID"])
        if lines:
            body = b'{"Records":[' + b",".join(lines) + b"]}"
            obj = log_object(account, region, delivered, unique)
            write_atomically(self.root / obj, gzip.compress(body, mtime=0))
            entry: dict[str, Any] = {"s3Bucket": TRAIL_BUCKET, "s3Object": obj,
                                     "hashValue": hashlib.sha256(body).hexdigest(), "hashAlgorithm": HASH_ALGORITHM}
            if times:
                entry["newestEventTime"], entry["oldestEventTime"] = max(times), min(times)
            self._add_pending(account, region, entry)
        closing.unlink()
        fsync_dir(self._open_dir)
        return ids

    # --- chains ------------------------------------------------------------------------------------------------

    def _chain_lock(self, account: str, region: str) -> AbstractContextManager[None]:
        return self._flock(f"{account}_{region}.lock")

    @contextmanager
    def _flock(self, name: str) -> Iterator[None]:
        fd = os.open(self._state_dir / name, os.O_WRONLY | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)  # across the worker processes sharing the root
            yield
        finally:
            os.close(fd)

    def _add_pending(self, account: str, region: str, entry: dict[str, Any]) -> None:
        entry = dict(entry, _added=iso(self._clock.now()))
        with self._chain_lock(account, region):
            path = self._state_dir / f"{account}_{region}.pending"
            fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(fd, json.dumps(entry, separators=(",", ":")).encode() + b"\n")
                os.fsync(fd)
            finally:
                os.close(fd)

    def _write_digests(self, force: bool) -> None:
        for path in sorted(self._state_dir.glob("*.pending")):
            match = _PENDING.match(path.name)
            if match is not None:
                self._write_digest(match.group("account"), match.group("region"), force)

    def _write_digest(self, account: str, region: str, force: bool) -> None:
        pending_path = self._state_dir / f"{account}_{region}.pending"
        due = self._due.get((account, region))
        if not force and due is not None and self._clock.now() < due:
            return  # known not due: no lock taken, no digest read, until then
        with self._chain_lock(account, region):
            entries = _read_pending(pending_path)
            if not entries:
                return  # nothing delivered since the last digest: no digest (the next one still links to it)
            head = chain_head(self.root, account, region)
            if head is not None:  # a crash after the digest, before the pending list was emptied
                entries = [e for e in entries if e["s3Object"] not in head[1]]
            if not entries:
                if pending_path.stat().st_size:
                    write_atomically(pending_path, b"")
                return
            now = self._clock.now().replace(microsecond=0)
            first_added = min(parse_iso(e["_added"]) for e in entries)
            since = head[0].end_time if head is not None else first_added
            if not force and now - since < self._digest_after:
                self._due[(account, region)] = since + self._digest_after
                return
            self._due.pop((account, region), None)
            end = now if head is None or now > head[0].end_time else head[0].end_time + dt.timedelta(seconds=1)
            key = signing_key_from(self._keys.primary())
            with self._flock("public-keys.lock"):  # one file for every chain: read, add, write under one lock
                export_public_key(self.root / PUBLIC_KEYS_FILE, key, now)
            obj = digest_object(account, region, end)
            files = [{k: v for k, v in e.items() if not k.startswith("_")} for e in entries]
            previous = head[0] if head is not None else None
            digest = build_digest(account_id=account, start=min(since, first_added), end=end, digest_object=obj,
                                  key_fingerprint=key.fingerprint, log_files=files, previous=previous)
            data = json.dumps(digest, separators=(",", ":")).encode()
            signature = key.sign(string_to_sign(iso(end), TRAIL_BUCKET, obj, data,
                                                previous.signature if previous is not None else None))
            # The signature first: a digest found on disk always has its signature beside it.
            write_atomically(self.root / (obj + ".sig"), json.dumps(
                {"signature": signature, "signature-algorithm": SIGNATURE_ALGORITHM}).encode())
            write_atomically(self.root / obj, gzip.compress(data, mtime=0))
            write_atomically(pending_path, b"")


def _abandoned(path: Path) -> bool:
    """Whether ``path`` is a minute old and no process holds its lock (a sibling naming its new file takes
    microseconds, and waits for this probe's lock rather than failing)."""
    try:
        if time.time() - path.stat().st_mtime < 60:
            return False
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False
    finally:
        os.close(fd)


def _read_pending(path: Path) -> list[dict[str, Any]]:
    try:
        text = path.read_bytes()
    except FileNotFoundError:
        return []
    found: dict[str, dict[str, Any]] = {}
    for line in text.splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue  # torn by a crash before its fsync: the file is re-listed when its delivery is repeated
        if isinstance(entry, dict) and isinstance(entry.get("s3Object"), str):
            found[entry["s3Object"]] = entry
    return list(found.values())


def chain_head(root: Path, account: str, region: str) -> tuple[Previous, frozenset[str]] | None:
    """The newest digest of a chain that has its signature, and the log files it lists."""
    base = root / "AWSLogs" / account / "CloudTrail-Digest" / region
    for path in sorted(base.glob("*/*/*/*.json.gz"), key=lambda p: p.name, reverse=True):
        stamp = _DIGEST_STAMP.search(path.name)
        sig = path.with_name(path.name + ".sig")
        if stamp is None or not sig.exists():
            continue
        try:
            data = gzip.decompress(path.read_bytes())
            digest = json.loads(data)
            signature = json.loads(sig.read_text())["signature"]
            previous = Previous(digest_object=str(path.relative_to(root)), hash_value=hashlib.sha256(data).hexdigest(),
                                signature=signature, end_time=parse_iso(digest["digestEndTime"]))
            return previous, frozenset(f["s3Object"] for f in digest.get("logFiles", []))
        except (OSError, ValueError, KeyError, TypeError, EOFError, zlib.error):
            # Damaged: the chain goes on from the newest intact digest; verify names the damaged one.
            log.warning("audit trail: a damaged digest is not the chain's head", extra={"file": path.name})
    return None


# --- reading ---------------------------------------------------------------------------------------------------

def read_log_file(path: Path) -> list[dict[str, Any]]:
    """The records of one log file: a closed one (``{"Records": [...]}``, gzip'd) or an open one (JSON lines)."""
    if path.name.endswith(".json.gz"):
        records: list[dict[str, Any]] = json.loads(gzip.decompress(path.read_bytes()))["Records"]
        return records
    found = []
    for line in path.read_bytes().splitlines():
        try:
            found.append(json.loads(line))
        except ValueError:
            continue  # the line being written, or torn
    return found


def read_trail(root: Path, *, include_open: bool = True) -> Iterator[dict[str, Any]]:
    """Every record of the trail under ``root``: the delivered files in delivery order, then the open ones."""
    # By delivery minute (the name's), then by when each was written within that minute.
    closed = sorted((root / "AWSLogs").glob("*/CloudTrail/*/*/*/*/*.json.gz"),
                    key=lambda p: (p.name.rsplit("_", 2)[-2], p.stat().st_mtime_ns))
    for path in closed:
        yield from read_log_file(path)
    open_dir = root / OPEN_DIR
    if include_open and open_dir.is_dir():
        for path in sorted(open_dir.iterdir()):
            if _OPEN_NAME.match(path.name):
                try:
                    yield from read_log_file(path)
                except FileNotFoundError:
                    continue  # delivered meanwhile: read above or on the next call


def follow_trail(root: Path, *, stop: Callable[[], bool], poll_seconds: float = 0.2) -> Iterator[dict[str, Any]]:
    """The records of the open files from their start, then each record as it is appended, until ``stop()``.

    Each file is followed by its inode, so a rotation (rename to ``….closing``, then removal) loses nothing: the
    writer appends no more once it renames a file, and what was written before is read to the end."""
    open_dir = root / OPEN_DIR
    followed: dict[int, tuple[BinaryIO, bytearray]] = {}
    try:
        while True:
            present: set[int] = set()
            for path in sorted(open_dir.iterdir()) if open_dir.is_dir() else []:
                if not _OPEN_NAME.match(path.name):
                    continue
                try:
                    inode = path.stat().st_ino
                    if inode not in followed:
                        followed[inode] = (path.open("rb"), bytearray())
                except FileNotFoundError:
                    continue  # delivered between the listing and the open
                present.add(inode)
            for inode, (handle, pending) in list(followed.items()):
                pending += handle.read()
                *lines, rest = bytes(pending).split(b"\n")
                pending[:] = rest
                for line in lines:
                    try:
                        yield json.loads(line)
                    except ValueError:
                        continue
                if inode not in present:
                    handle.close()
                    del followed[inode]
            if stop():
                return
            time.sleep(poll_seconds)
    finally:
        for handle, _ in followed.values():
            handle.close()
