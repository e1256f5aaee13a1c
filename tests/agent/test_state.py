"""The agent's state directory: private files written whole (never half of one), and the identity key made
once and reused, whose certificate verifies what it signs."""

from __future__ import annotations

import base64
import datetime as dt
import os
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from rolegate.agent.state import IDENTITY_CERTIFICATE, IDENTITY_KEY, IdentitySigner, StateDir

T0 = dt.datetime(2026, 12, 1, tzinfo=dt.timezone.utc)


def test_the_directory_is_made_0700_and_files_0600(tmp_path: Path) -> None:
    state = StateDir(tmp_path / "state")
    written = state.write_json("x.json", {"a": 1})
    assert (tmp_path / "state").stat().st_mode & 0o777 == 0o700
    assert written.stat().st_mode & 0o777 == 0o600 and state.read_json("x.json") == {"a": 1}


def test_a_write_that_fails_leaves_the_old_file_and_no_temporary(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    state = StateDir(tmp_path / "state")
    state.write_json("x.json", {"v": "old"})

    def no_rename(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", no_rename)
    with pytest.raises(OSError):
        state.write_json("x.json", {"v": "new"})
    assert state.read_json("x.json") == {"v": "old"}
    assert sorted(p.name for p in (tmp_path / "state").iterdir()) == ["x.json"]


def test_a_missing_file_reads_as_none_and_a_foreign_one_is_an_error(tmp_path: Path) -> None:
    state = StateDir(tmp_path / "state")
    assert state.read_json("absent.json") is None
    (tmp_path / "state" / "list.json").write_text("[1]")
    with pytest.raises(ValueError):
        state.read_json("list.json")


def test_the_identity_key_is_made_once_and_its_certificate_verifies_signatures(tmp_path: Path) -> None:
    state = StateDir(tmp_path / "state")
    first = IdentitySigner(state, "i-0123456789abcdef0", T0)
    key_before = (tmp_path / "state" / IDENTITY_KEY).read_bytes()
    second = IdentitySigner(state, "i-0123456789abcdef0", T0)
    assert (tmp_path / "state" / IDENTITY_KEY).read_bytes() == key_before
    assert (tmp_path / "state" / IDENTITY_KEY).stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "state" / IDENTITY_CERTIFICATE).stat().st_mode & 0o777 == 0o644  # public
    document = '{\n  "instanceId" : "i-0123456789abcdef0"\n}'
    assert first.sign(document) == second.sign(document)  # PKCS#1 v1.5: the same key signs the same bytes alike
    cert = x509.load_pem_x509_certificate((tmp_path / "state" / IDENTITY_CERTIFICATE).read_bytes())
    public = cert.public_key()
    assert isinstance(public, rsa.RSAPublicKey) and public.key_size == 2048
    public.verify(base64.b64decode(first.sign(document)), document.encode(), padding.PKCS1v15(), hashes.SHA256())
