"""Verifying a trail: an intact trail passes; one byte changed in a closed file, a file removed, a digest removed,
renamed, replaced or slipped in, or a key not trusted, each fails with the file named and the reason, in the
AWS CLI's ``validate-logs`` wording."""

from __future__ import annotations

import datetime as dt
import gzip
import json
import shutil
from pathlib import Path

import pytest
from awscli.customizations.cloudtrail.validation import Sha256RSADigestValidator

from rolegate.audit.digests import PUBLIC_KEYS_FILE, load_public_keys, string_to_sign
from rolegate.audit.files import TrailWriter
from rolegate.audit.verify import Report, verify_trail
from rolegate.core.clock import FixedClock
from rolegate.store.sql import SqlStore
from rolegate.sts.keyring import MAX_SESSION_SECONDS, KeyRing
from tests.audit.test_files import START, Ring, closed_files, record
from tests.iam.conftest import store  # noqa: F401  (a real SQLite store, migrated)

FAR_PAST = dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc)
FAR_FUTURE = dt.datetime(2100, 1, 1, tzinfo=dt.timezone.utc)


def make_trail(root: Path, ring: Ring, event: str = "Call") -> Path:
    """Three digests in one chain, each listing one log file, and a second chain of one for another account."""
    clock = FixedClock(START)
    writer = TrailWriter(root, keys=ring, clock=clock, default_account_id="123456789012", tick_seconds=None)
    for n in range(3):
        writer.append([record(n, eventSource=event)])
        writer.tick(force=True)
        clock.advance(3600)
    writer.append([record(9, account="444455556666")])
    writer.close()
    return root


@pytest.fixture
def ring() -> Ring:
    return Ring()


@pytest.fixture
def trail(tmp_path: Path, ring: Ring) -> Path:
    return make_trail(tmp_path, ring)


def digest_paths(root: Path, account: str = "111122223333") -> list[Path]:
    return sorted((root / "AWSLogs" / account / "CloudTrail-Digest").glob("*/*/*/*/*.json.gz"), key=lambda p: p.name)


def verify(root: Path, keys: dict[str, bytes] | None = None) -> Report:
    return verify_trail(root, load_public_keys(root / PUBLIC_KEYS_FILE) if keys is None else keys,
                        FAR_PAST, FAR_FUTURE)


def test_an_intact_trail_is_valid_whole(trail: Path) -> None:
    report = verify(trail)
    assert report.ok, report.problems
    assert (report.digests_valid, report.logs_valid, report.problems) == (4, 4, [])
    summary = report.summary()
    assert "4/4 digest files valid" in summary and "4/4 log files valid" in summary
    assert "Results requested for 2000-01-01T00:00:00Z to 2100-01-01T00:00:00Z" in summary


def test_one_byte_changed_in_a_closed_log_file_is_found(trail: Path) -> None:
    name = closed_files(trail)[1]
    body = bytearray(gzip.decompress((trail / name).read_bytes()))
    body[body.index(b"Call")] ^= 0x01  # "Call" -> "Ball": the file still reads as JSON
    (trail / name).write_bytes(gzip.compress(bytes(body)))
    report = verify(trail)
    assert not report.ok
    assert report.problems == [f"Log file\t{name}\tINVALID: hash value doesn't match"]
    assert "3/4 log files valid, 1/4 log files INVALID" in report.summary()


def test_one_byte_changed_in_the_compressed_bytes_is_found(trail: Path) -> None:
    name = closed_files(trail)[0]
    raw = bytearray((trail / name).read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    (trail / name).write_bytes(bytes(raw))
    [problem] = verify(trail).problems
    assert problem.startswith(f"Log file\t{name}\tINVALID: ")
    (trail / name).unlink()  # the suite's last test scans every audit file left: it reads gzip, not damage


def test_a_removed_log_file_is_found(trail: Path) -> None:
    name = closed_files(trail)[2]
    (trail / name).unlink()
    assert verify(trail).problems == [f"Log file\t{name}\tINVALID: not found"]


def test_a_removed_digest_is_found_and_the_rest_of_the_chain_still_checked(trail: Path) -> None:
    first, middle, last = digest_paths(trail)
    middle.unlink()
    report = verify(trail)
    key = str(middle.relative_to(trail))
    assert report.problems == [f"Digest file\t{key}\tINVALID: not found"]
    assert report.digests_valid == 3 and report.digests_invalid == 1


def test_a_digest_renamed_into_another_place_in_the_chain_is_found(trail: Path) -> None:
    first, middle, last = digest_paths(trail)
    # The middle digest is dropped and the first takes its name (with its signature): a reordered chain.
    for suffix in ("", ".sig"):
        shutil.move(str(first) + suffix, str(middle) + suffix)
    problems = verify(trail).problems
    assert f"Digest file\t{middle.relative_to(trail)}\tINVALID: has been moved from its original location" in problems


def test_a_digest_edited_to_forget_a_log_file_fails_its_signature(trail: Path) -> None:
    first, middle, last = digest_paths(trail)
    content = json.loads(gzip.decompress(middle.read_bytes()))
    content["logFiles"] = []  # the middle hour's file forgotten
    middle.write_bytes(gzip.compress(json.dumps(content).encode()))
    problems = verify(trail).problems
    assert problems == [f"Digest file\t{middle.relative_to(trail)}\tINVALID: signature verification failed"]


def test_a_digest_swapped_for_another_validly_signed_one_breaks_the_chain(trail: Path, ring: Ring,
                                                                         tmp_path_factory: pytest.TempPathFactory) -> None:
    # Another trail signed by the same key, at the same times: its middle digest has our middle one's name and a
    # valid signature, but is not the digest our last one recorded as its predecessor.
    other = make_trail(tmp_path_factory.mktemp("other"), ring, event="Other")
    middle = digest_paths(trail)[1]
    theirs = other / middle.relative_to(trail)
    for suffix in ("", ".sig"):
        shutil.copy(str(theirs) + suffix, str(middle) + suffix)
    problems = verify(trail).problems
    assert problems == [f"Digest file\t{middle.relative_to(trail)}\tINVALID: is not the digest its successor names "
                        "(hash or signature differs)"]


def test_a_digest_slipped_into_a_chain_is_named(trail: Path) -> None:
    first, middle, last = digest_paths(trail)
    stray = middle.with_name(middle.name[:-len("07Z.json.gz")] + "59Z.json.gz")  # a minute later, same hour
    assert stray.name != middle.name
    shutil.copy(middle, stray)
    shutil.copy(str(middle) + ".sig", str(stray) + ".sig")
    problems = verify(trail).problems
    assert any(p.startswith(f"Digest file\t{stray.relative_to(trail)}\tINVALID: ") for p in problems), problems


def test_a_missing_signature_fails_the_digest(trail: Path) -> None:
    last = digest_paths(trail)[-1]
    Path(str(last) + ".sig").unlink()
    assert verify(trail).problems == [f"Digest file\t{last.relative_to(trail)}\tINVALID: signature verification failed"]


def test_digests_signed_with_a_key_not_trusted_fail(trail: Path) -> None:
    other = Ring()
    from rolegate.audit.digests import signing_key_from

    wrong = signing_key_from(other.primary())
    report = verify(trail, {wrong.fingerprint: wrong.public_raw})
    assert report.digests_valid == 0 and report.digests_invalid == 4
    assert all("INVALID: public key not found for fingerprint" in p for p in report.problems)


def test_a_key_file_pairing_a_fingerprint_with_another_key_trusts_nothing(trail: Path) -> None:
    keys_file = trail / PUBLIC_KEYS_FILE
    document = json.loads(keys_file.read_text())
    from rolegate.audit.digests import signing_key_from
    import base64

    document["PublicKeyList"][0]["Value"] = base64.b64encode(signing_key_from(Ring().primary()).public_raw).decode()
    keys_file.write_text(json.dumps(document))
    assert load_public_keys(keys_file) == {}
    assert not verify(trail).ok


def test_a_time_range_checks_only_the_digests_in_it(trail: Path) -> None:
    first, middle, last = digest_paths(trail)
    first.unlink()  # outside the range asked for
    report = verify_trail(trail, load_public_keys(trail / PUBLIC_KEYS_FILE),
                          START + dt.timedelta(hours=1, minutes=30), FAR_FUTURE)
    assert report.ok, report.problems


def test_the_signing_string_is_the_aws_clis(trail: Path) -> None:
    last = digest_paths(trail)[-1]
    raw = gzip.decompress(last.read_bytes())
    digest = json.loads(raw)
    ours = string_to_sign(digest["digestEndTime"], digest["digestS3Bucket"], digest["digestS3Object"], raw,
                          digest["previousDigestSignature"])
    assert ours == Sha256RSADigestValidator()._create_string_to_sign(digest, raw)
    first = json.loads(gzip.decompress(digest_paths(trail)[0].read_bytes()))
    assert first["previousDigestSignature"] is None
    assert string_to_sign(first["digestEndTime"], "rolegate", first["digestS3Object"], b"", None).endswith(b"\nnull")


def test_digests_signed_before_the_key_ring_dropped_their_key_still_verify(tmp_path: Path, store: SqlStore) -> None:
    clock = FixedClock(START)
    ring = KeyRing(store, clock)  # the real key ring, its keys sealed in the real store
    writer = TrailWriter(tmp_path / "audit", keys=ring, clock=clock, default_account_id="123456789012",
                         tick_seconds=None)
    writer.append([record(1)])
    writer.tick(force=True)
    first_key = ring.primary().key_id_hex
    ring.rotate()
    clock.advance(MAX_SESSION_SECONDS + 3600)  # past the grace of the superseded key...
    ring.rotate()  # ...which this rotation deletes from the ring
    assert first_key not in {r.key_id for r in ring.records()}
    writer.append([record(2)])
    writer.tick(force=True)
    writer.close()
    report = verify_trail(tmp_path / "audit", load_public_keys(tmp_path / "audit" / PUBLIC_KEYS_FILE), FAR_PAST,
                          FAR_FUTURE)
    assert report.ok and report.digests_valid == 2, report.problems
    fingerprints = {json.loads(gzip.decompress(p.read_bytes()))["digestPublicKeyFingerprint"]
                    for p in digest_paths(tmp_path / "audit")}
    assert len(fingerprints) == 2  # signed by two keys, the first no longer in the ring
