"""The command line of ``rolegate agent`` and ``rolegate credential-process``: conflicting or missing flags are one
line on stderr and exit status 1, before anything is bound, read or joined."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from rolegate.cli.main import app


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stderr if hasattr(result, "stderr") else result.output


def test_credential_process_needs_the_certificate_flags_or_the_agent(tmp_path: Path) -> None:
    code, err = _run("credential-process", "--certificate", str(tmp_path / "leaf.pem"))
    assert code == 1 and "missing --private-key, --trust-anchor-arn, --profile-arn, --role-arn" in err


def test_credential_process_reads_the_agent_or_signs_not_both(tmp_path: Path) -> None:
    code, err = _run("credential-process", "--imds-address", "127.0.0.1:9", "--role-arn", "arn:aws:iam::1:role/r")
    assert code == 1 and "without the certificate options" in err


@pytest.mark.parametrize("args,message", [
    (["--imdsv1", "maybe"], "--imdsv1 must be on or off"),
    (["--container-address", "127.0.0.1:0"], "--container-address and --container-token-file go together"),
    (["--join-token-file", "t", "--certificate", "c.pem"], "either --join-token-file"),
    (["--certificate", "c.pem"], "certificate mode needs --private-key, --trust-anchor-arn"),
    ([], "--endpoint-url (the rolegate server) is required"),
    (["--endpoint-url", "http://127.0.0.1:9", "--imds-address", "nowhere"], "--imds-address: 'nowhere' is not HOST:PORT"),
])
def test_agent_flags_that_cannot_work_are_refused(tmp_path: Path, args: list[str], message: str) -> None:
    code, err = _run("agent", "--state-dir", str(tmp_path / "state"), *args)
    assert code == 1 and message in err


def test_an_agent_with_nothing_stored_and_no_token_says_so(tmp_path: Path) -> None:
    code, err = _run("agent", "--state-dir", str(tmp_path / "state"), "--endpoint-url", "http://127.0.0.1:9",
                     "--imds-address", "127.0.0.1:0")
    assert code == 1 and "no instance credential" in err and "no --join-token-file" in err
