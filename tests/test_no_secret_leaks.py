"""No secret the suite sent or received reached a log line or an audit file (issue 15, item 1).

This test runs after every other test of the session (``tests/conftest.py`` moves it last), so the secrets it
checks are the whole run's: every access key secret, session token, password, web-identity token and SAML
assertion a boto3 client handled (``tests.secrets_seen``). It first makes a few of its own against the shared
server with the audit trail on, so that run alone it still has something to find.
"""

from __future__ import annotations

import gzip
import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import secrets_seen
from tests.live import LiveServer


@pytest.fixture(scope="module")
def audited(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    srv = LiveServer(tmp_path_factory.mktemp("leaks"), env={"ROLEGATE_AUDIT": "true"})
    srv.start()
    yield srv
    srv.stop()


def _make_secrets(server: LiveServer) -> None:
    iam = server.client("iam")
    name = f"leak-{uuid.uuid4().hex[:8]}"
    iam.create_user(UserName=name)
    iam.create_login_profile(UserName=name, Password="Correct-Horse-" + uuid.uuid4().hex)
    key = iam.create_access_key(UserName=name)["AccessKey"]
    user_sts = server.client("sts", key_id=key["AccessKeyId"], secret=key["SecretAccessKey"])
    session = user_sts.get_session_token()["Credentials"]
    session_sts = server.client("sts", key_id=session["AccessKeyId"], secret=session["SecretAccessKey"],
                                token=session["SessionToken"])
    session_sts.get_caller_identity()


def test_no_secret_reached_a_log_or_an_audit_file(audited: LiveServer,
                                                   tmp_path_factory: pytest.TempPathFactory) -> None:
    _make_secrets(audited)
    audited.stop()  # every line flushed, every audit file closed
    secrets = set(secrets_seen.SEEN)
    assert len(secrets) >= 3, "the suite's clients are not being watched: tests.secrets_seen.install did not run"
    root = tmp_path_factory.getbasetemp()
    files, found = secrets_seen.leaks_under(root, secrets)
    assert any(p.is_relative_to(audited.data_dir) and "audit" in p.parts for p in files), \
        "the audited server wrote no audit file to scan"
    assert not found, "secrets written to disk:\n" + "\n".join(
        f"{path.relative_to(root)}: {secret[:4]}… ({len(secret)} chars)" for path, secret in found)


def test_a_file_renamed_while_the_scan_runs_is_read_under_its_new_name(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    # A running server's trail renames an open file as it rotates it, between the scan's listing and its read.
    key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYLEAKEDKEY"
    (tmp_path / "audit" / "open").mkdir(parents=True)
    opened = tmp_path / "audit" / "open" / "x.jsonl"
    opened.write_text(json.dumps({"k": key}) + "\n")
    listing = secrets_seen.scanned_files

    def rotate_after_listing(root: Path) -> Iterator[Path]:
        files = list(listing(root))
        if opened.exists():
            opened.rename(opened.with_name("x.jsonl.closing"))
        return iter(files)

    monkeypatch.setattr(secrets_seen, "scanned_files", rotate_after_listing)
    files, found = secrets_seen.leaks_under(tmp_path, {key})
    assert [(p.name, s) for p, s in found] == [("x.jsonl.closing", key)]


def test_the_scan_finds_a_secret_in_a_log_line_and_in_a_gzipped_audit_file(tmp_path: Path) -> None:
    root = tmp_path
    key, password = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYLEAKEDKEY", "p@ss w0rd!-not-a-run"
    (root / "server-1.log").write_text(json.dumps({"event": "oops", "detail": f"key={key}"}) + "\n")
    (root / "audit").mkdir()
    (root / "audit" / "trail.json.gz").write_bytes(gzip.compress(json.dumps({"p": password}).encode()))
    (root / "notes.txt").write_text(key)  # neither a log nor an audit file: not scanned

    found = secrets_seen.leaks(secrets_seen.scanned_files(root), {key, password, "never-written-anywhere"})

    assert sorted((p.name, s) for p, s in found) == [("server-1.log", key), ("trail.json.gz", password)]
