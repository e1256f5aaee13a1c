"""The audit trail's files: CloudTrail's layout and gzip'd ``{"Records": [...]}``, rotation by size and by age, a
crashed process's open file closed at the next start with nothing lost, one fsync shared by writers, and a
failed write or fsync refused loudly."""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import json
import os
import re
import stat
import subprocess
import threading
import sys
from pathlib import Path
from typing import Any

import pytest

from rolegate.audit.digests import DIGEST_FIELDS, LOG_FILE_FIELDS, PUBLIC_KEYS_FILE, load_public_keys
from rolegate.audit.files import TrailWriter, read_trail
from rolegate.audit.sink import AuditUnavailable
from rolegate.core.clock import FixedClock
from rolegate.sts.tokens import RingKey

A, B = "111122223333", "444455556666"
START = dt.datetime(2026, 3, 4, 5, 6, 7, tzinfo=dt.timezone.utc)
LOG_NAME = re.compile(r"^AWSLogs/(\d{12})/CloudTrail/([a-z0-9-]+)/(\d{4})/(\d{2})/(\d{2})/"
                      r"\1_CloudTrail_\2_(\d{8}T\d{4}Z)_[A-Za-z0-9]{16}\.json\.gz$")


class Ring:
    """A key ring of one key (``KeyRing.primary``), rotated by hand."""

    def __init__(self) -> None:
        self.key = RingKey(os.urandom(4), os.urandom(32))

    def primary(self) -> RingKey:
        return self.key

    def rotate(self) -> None:
        self.key = RingKey(os.urandom(4), os.urandom(32))


def record(n: int, account: str = A, region: str = "us-east-1", **extra: Any) -> dict[str, Any]:
    return {"eventTime": f"2026-03-04T05:{n // 60 % 60:02d}:{n % 60:02d}Z", "eventName": f"Call{n}",
            "recipientAccountId": account, "awsRegion": region, **extra}


def writer(root: Path, clock: FixedClock, ring: Ring | None = None, **options: Any) -> TrailWriter:
    return TrailWriter(root, keys=ring or Ring(), clock=clock, default_account_id="123456789012",
                       tick_seconds=None, **options)


def closed_files(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in (root / "AWSLogs").glob("*/CloudTrail/*/*/*/*/*.json.gz"))


def test_a_closed_file_is_cloudtrails_gzipped_records_object_at_cloudtrails_path(tmp_path: Path) -> None:
    clock = FixedClock(START)
    trail = writer(tmp_path, clock)
    trail.durable(trail.append([record(1), record(2)]))
    trail.close()
    [name] = closed_files(tmp_path)
    match = LOG_NAME.match(name)
    assert match is not None
    assert match.groups() == (A, "us-east-1", "2026", "03", "04", "20260304T0506Z")
    content = json.loads(gzip.decompress((tmp_path / name).read_bytes()))
    assert list(content) == ["Records"]
    assert [r["eventName"] for r in content["Records"]] == ["Call1", "Call2"]
    assert list((tmp_path / "open").iterdir()) == []


def test_records_go_to_the_files_of_their_account_and_region(tmp_path: Path) -> None:
    trail = writer(tmp_path, FixedClock(START))
    trail.append([record(1, A), record(2, B, "eu-west-1"), record(3, A)])
    trail.close()
    by_place = {(m.group(1), m.group(2)): [r["eventName"] for r in
                                           json.loads(gzip.decompress((tmp_path / n).read_bytes()))["Records"]]
                for n in closed_files(tmp_path) if (m := LOG_NAME.match(n))}
    assert by_place == {(A, "us-east-1"): ["Call1", "Call3"], (B, "eu-west-1"): ["Call2"]}


def test_an_account_or_region_that_is_no_directory_name_goes_to_the_defaults(tmp_path: Path) -> None:
    trail = writer(tmp_path, FixedClock(START))
    trail.append([record(1, account="../../etc", region="../x"), record(2, account="", region="Nope")])
    trail.close()
    assert [LOG_NAME.match(n).groups()[:2] for n in closed_files(tmp_path)] == [  # type: ignore[union-attr]
        ("123456789012", "us-east-1")]


def test_a_region_name_aws_does_not_have_goes_to_the_default_regions_files(tmp_path: Path) -> None:
    # Requests may be signed for any region name: only known regions grow the tree, as the server configures it.
    trail = writer(tmp_path, FixedClock(START), known_regions=frozenset({"us-east-1", "eu-west-1"}))
    trail.append([record(1, region="eu-west-1"), record(2, region="zz-made-up-9"), record(3, region="xx-other-1")])
    trail.close()
    assert sorted(LOG_NAME.match(n).groups()[:2] for n in closed_files(tmp_path)) == [  # type: ignore[union-attr]
        ("111122223333", "eu-west-1"), ("111122223333", "us-east-1")]


def test_an_open_file_is_closed_once_it_reaches_the_size_limit(tmp_path: Path) -> None:
    trail = writer(tmp_path, FixedClock(START), rotate_bytes=1000)
    for n in range(30):  # ~100 bytes each
        trail.append([record(n, padding="x" * 40)])
    trail.tick()
    # Every closed file holds what fitted under the limit (plus the one append that crossed it).
    sizes = [len(gzip.decompress((tmp_path / n).read_bytes())) for n in closed_files(tmp_path)]
    assert len(sizes) >= 2 and all(s < 1200 for s in sizes)
    trail.close()
    assert [r["eventName"] for r in read_trail(tmp_path)] == [f"Call{n}" for n in range(30)]


def test_an_open_file_is_closed_once_it_is_old_enough_and_not_before(tmp_path: Path) -> None:
    clock = FixedClock(START)
    trail = writer(tmp_path, clock, rotate_seconds=300)
    trail.append([record(1)])
    clock.advance(299)
    trail.tick()
    assert closed_files(tmp_path) == []
    clock.advance(1)
    trail.tick()
    [name] = closed_files(tmp_path)
    assert "_20260304T0511Z_" in name  # named by its delivery, as CloudTrail names files
    trail.append([record(2)])  # a new file is opened for what comes next
    assert len(list((tmp_path / "open").iterdir())) == 1
    trail.close()


def test_reading_the_trail_sees_delivered_and_open_records_in_order(tmp_path: Path) -> None:
    clock = FixedClock(START)
    trail = writer(tmp_path, clock)
    trail.append([record(1)])
    clock.advance(400)
    trail.tick()
    trail.append([record(2)])
    assert [r["eventName"] for r in read_trail(tmp_path)] == ["Call1", "Call2"]
    trail.close()


_CRASH = """
import datetime as dt, os, sys
from pathlib import Path
from rolegate.audit.files import TrailWriter
from rolegate.core.clock import FixedClock
from rolegate.sts.tokens import RingKey
class Ring:
    def primary(self):
        return RingKey(b"abcd", b"k" * 32)
trail = TrailWriter(Path(sys.argv[1]), keys=Ring(), clock=FixedClock(), default_account_id="123456789012",
                    tick_seconds=None)
seq = trail.append([{"eventName": "Acknowledged", "eventID": "e-1", "eventTime": "2026-01-01T00:00:00Z",
                     "recipientAccountId": "111122223333", "awsRegion": "us-east-1"}])
trail.durable(seq)
os.write(1, b"durable\\n")
os.kill(os.getpid(), 9)
"""


def test_a_file_left_open_by_a_killed_process_is_closed_at_the_next_start_with_nothing_lost(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-c", _CRASH, str(tmp_path)], capture_output=True, timeout=60)
    assert proc.returncode == -9 and proc.stdout == b"durable\n", proc.stderr
    [left] = list((tmp_path / "open").iterdir())
    assert left.suffix == ".jsonl"
    trail = writer(tmp_path, FixedClock(START))  # starting closes it first
    assert list((tmp_path / "open").iterdir()) == []
    assert trail.written_before_start() == {"e-1"}  # what the drain must not hand on again
    [name] = closed_files(tmp_path)
    assert [r["eventName"] for r in json.loads(gzip.decompress((tmp_path / name).read_bytes()))["Records"]] == [
        "Acknowledged"]
    trail.close()


def test_a_line_torn_by_a_crash_is_dropped_and_the_lines_before_it_kept(tmp_path: Path) -> None:
    (tmp_path / "open").mkdir()
    left = tmp_path / "open" / f"{A}_CloudTrail_us-east-1_20260101T0000Z_{'a' * 16}.jsonl"
    left.write_bytes(json.dumps(record(1)).encode() + b"\n" + b'{"eventName": "Tor')
    trail = writer(tmp_path, FixedClock(START))
    assert [r["eventName"] for r in read_trail(tmp_path)] == ["Call1"]
    trail.close()


def test_a_file_another_live_writer_holds_is_not_taken(tmp_path: Path) -> None:
    clock = FixedClock(START)
    first = writer(tmp_path, clock)
    first.durable(first.append([record(1)]))
    second = writer(tmp_path, clock)  # another worker process starting beside it
    assert closed_files(tmp_path) == []
    assert len(list((tmp_path / "open").iterdir())) == 1
    first.close()
    second.close()
    assert len(closed_files(tmp_path)) == 1


def test_one_fsync_covers_every_append_before_it_and_every_file_written(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    trail = writer(tmp_path, FixedClock(START))
    synced: list[int] = []
    real = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (synced.append(fd), real(fd))[1])
    first = trail.append([record(1, A)])
    second = trail.append([record(2, B)])
    synced.clear()  # opening a file fsyncs its directory; what follows is the group's round
    trail.durable(second)
    trail.durable(first)  # already covered: no second round
    assert trail.stats.fsyncs == 1 and len(synced) == 2 and trail.stats.backlog == 0
    monkeypatch.undo()
    trail.close()


def test_a_failed_fsync_is_a_503_and_the_next_durable_tries_again(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    trail = writer(tmp_path, FixedClock(START))
    seq = trail.append([record(1)])

    def broken(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", broken)
    with pytest.raises(AuditUnavailable) as exc:
        trail.durable(seq)
    assert exc.value.status == 503 and exc.value.code == "ServiceUnavailable"
    assert trail.stats.failures == 1
    monkeypatch.undo()
    trail.durable(seq)  # space is back: the same records are made durable, not forgotten
    assert trail.stats.fsyncs == 1
    trail.close()


def test_a_failed_write_is_a_503_and_later_records_go_to_a_fresh_file(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    trail = writer(tmp_path, FixedClock(START))
    trail.append([record(1)])
    real = os.write

    def full(fd: int, data: bytes) -> int:
        return real(fd, data[:5])  # a full disk takes part of the line

    monkeypatch.setattr(os, "write", full)
    with pytest.raises(AuditUnavailable):
        trail.append([record(2)])
    monkeypatch.undo()
    trail.durable(trail.append([record(3)]))
    assert len(list((tmp_path / "open").iterdir())) == 2  # the torn file is not appended to again
    trail.close()
    assert [r["eventName"] for r in read_trail(tmp_path)] == ["Call1", "Call3"]


def test_a_closed_writer_refuses_appends(tmp_path: Path) -> None:
    trail = writer(tmp_path, FixedClock(START))
    trail.close()
    with pytest.raises(AuditUnavailable):
        trail.append([record(1)])


def digests(root: Path) -> list[dict[str, Any]]:
    paths = sorted((root / "AWSLogs").glob("*/CloudTrail-Digest/*/*/*/*/*.json.gz"), key=lambda p: p.name)
    return [json.loads(gzip.decompress(p.read_bytes())) for p in paths]


def test_a_digest_lists_each_delivered_file_with_the_hash_of_its_uncompressed_content(tmp_path: Path) -> None:
    clock = FixedClock(START)
    trail = writer(tmp_path, clock, rotate_seconds=300, digest_seconds=3600)
    trail.append([record(1), record(2)])
    clock.advance(300)
    trail.tick()
    assert digests(tmp_path) == []  # not due for an hour
    clock.advance(3600)
    trail.tick()
    [digest] = digests(tmp_path)
    [name] = closed_files(tmp_path)
    body = gzip.decompress((tmp_path / name).read_bytes())
    assert digest["logFiles"] == [{"s3Bucket": "rolegate", "s3Object": name,
                                   "hashValue": hashlib.sha256(body).hexdigest(), "hashAlgorithm": "SHA-256",
                                   "newestEventTime": "2026-03-04T05:00:02Z",
                                   "oldestEventTime": "2026-03-04T05:00:01Z"}]
    assert list(digest) == [name for name, _ in DIGEST_FIELDS]  # the fields docs/audit.md's table names, in order
    assert list(digest["logFiles"][0]) == [name for name, _ in LOG_FILE_FIELDS]
    assert digest["awsAccountId"] == A and digest["digestSignatureAlgorithm"] == "Ed25519"
    assert digest["digestS3Object"].startswith(f"AWSLogs/{A}/CloudTrail-Digest/us-east-1/2026/03/04/"
                                               f"{A}_CloudTrail-Digest_us-east-1_rolegate_us-east-1_")
    assert digest["previousDigestSignature"] is None and digest["previousDigestS3Object"] is None
    assert digest["digestPublicKeyFingerprint"] in load_public_keys(tmp_path / PUBLIC_KEYS_FILE)
    trail.close()


def test_each_digest_links_to_the_one_before_by_hash_and_signature(tmp_path: Path) -> None:
    clock = FixedClock(START)
    trail = writer(tmp_path, clock)
    for n in range(3):
        trail.append([record(n)])
        trail.tick(force=True)
        clock.advance(10)
    first, second, third = digests(tmp_path)
    for before, after in ((first, second), (second, third)):
        raw = gzip.decompress((tmp_path / before["digestS3Object"]).read_bytes())
        signature = json.loads((tmp_path / (before["digestS3Object"] + ".sig")).read_text())["signature"]
        assert after["previousDigestS3Object"] == before["digestS3Object"]
        assert after["previousDigestHashValue"] == hashlib.sha256(raw).hexdigest()
        assert after["previousDigestSignature"] == signature
        assert after["digestStartTime"] == before["digestEndTime"]
    trail.close()


def test_a_rotated_key_ring_key_is_exported_beside_the_old_one(tmp_path: Path) -> None:
    clock, ring = FixedClock(START), Ring()
    trail = writer(tmp_path, clock, ring)
    trail.append([record(1)])
    trail.tick(force=True)
    ring.rotate()
    clock.advance(10)
    trail.append([record(2)])
    trail.tick(force=True)
    old, new = digests(tmp_path)
    assert old["digestPublicKeyFingerprint"] != new["digestPublicKeyFingerprint"]
    assert {old["digestPublicKeyFingerprint"], new["digestPublicKeyFingerprint"]} == set(
        load_public_keys(tmp_path / PUBLIC_KEYS_FILE))
    trail.close()


def test_everything_the_trail_writes_is_its_owners_alone_whatever_the_umask(tmp_path: Path) -> None:
    old = os.umask(0o002)
    try:
        trail = writer(tmp_path / "audit", FixedClock(START))
        trail.append([record(1)])
        trail.close()
    finally:
        os.umask(old)
    paths = [tmp_path / "audit", *(tmp_path / "audit").rglob("*")]
    modes = {str(p.relative_to(tmp_path)): stat.S_IMODE(p.stat().st_mode) for p in paths}
    assert len(modes) > 15  # the layout's directories, a log file, a digest, its signature, the keys, the state
    assert {p: m for p, m in modes.items() if m != (0o700 if (tmp_path / p).is_dir() else 0o600)} == {}


def test_concurrent_writers_and_rotations_lose_and_repeat_no_record(tmp_path: Path) -> None:
    trail = writer(tmp_path, FixedClock(START), rotate_bytes=2000)
    stop = threading.Event()
    failures: list[BaseException] = []

    def write(worker: int) -> None:
        try:
            for n in range(150):
                trail.durable(trail.append([record(n, account=(A, B)[n % 2], eventID=f"{worker}-{n}")]))
        except BaseException as exc:  # pragma: no cover - what the assertion below reports
            failures.append(exc)

    def rotate() -> None:
        while not stop.is_set():
            trail.tick(force=True)

    rotator = threading.Thread(target=rotate)
    rotator.start()
    writers = [threading.Thread(target=write, args=(w,)) for w in range(6)]
    for t in writers:
        t.start()
    for t in writers:
        t.join()
    stop.set()
    rotator.join()
    trail.close()
    assert failures == []
    ids = [r["eventID"] for r in read_trail(tmp_path)]
    assert sorted(ids) == sorted(f"{w}-{n}" for w in range(6) for n in range(150))
    assert len(closed_files(tmp_path)) > 10


def test_a_file_created_but_never_named_by_a_crashed_process_is_removed_at_start_and_a_fresh_one_kept(tmp_path: Path) -> None:
    (tmp_path / "open").mkdir()
    never = tmp_path / "open" / f".{A}_CloudTrail_us-east-1_20260101T0000Z_{'b' * 16}.jsonl"
    never.write_bytes(b"")
    young = never.with_name(never.name.replace("b" * 16, "c" * 16))
    young.write_bytes(b"")  # a sibling process naming its new file this very moment
    os.utime(never, (0, 0))
    trail = writer(tmp_path, FixedClock(START))
    assert not never.exists() and young.exists()
    trail.close()
