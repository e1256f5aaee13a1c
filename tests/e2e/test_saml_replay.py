"""SAML replay records under load and across a crash: redemptions that arrive together share one write
(``rolegate.core.coalescing``), yet each is durable before its answer — an assertion whose redemption was
answered is refused after ``kill -9`` and a restart — and one assertion sent by many clients at once is
accepted exactly once (SAML 2.0 profiles §4.1.4.5; docs/spec/federation.md, "SAML")."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import boto3
import botocore.config
import pytest
from botocore import UNSIGNED
from botocore.exceptions import ClientError

from tests.federation.pysaml2_idp import SIGNIN, SamlIdp, aws_attributes
from tests.live import LiveServer

pytestmark = pytest.mark.live


def _set_up(server: LiveServer, idp: SamlIdp) -> tuple[str, str]:
    iam = server.client("iam")
    provider = iam.create_saml_provider(Name="replay-idp", SAMLMetadataDocument=idp.metadata())["SAMLProviderArn"]
    trust = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Federated": provider}, "Action": "sts:AssumeRoleWithSAML",
        "Condition": {"StringEquals": {"saml:aud": SIGNIN}}}]}
    role = iam.create_role(RoleName="replay-role", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    return role, provider


def _redeem(server: LiveServer, role: str, provider: str) -> Callable[[str], str]:
    """A function redeeming one assertion through an unsigned boto3 client: "ok" or the error code."""
    def redeem(assertion: str) -> str:
        sts = boto3.session.Session().client(
            "sts", endpoint_url=server.url, region_name="us-east-1",
            config=botocore.config.Config(signature_version=UNSIGNED, retries={"max_attempts": 1}))
        try:
            sts.assume_role_with_saml(RoleArn=role, PrincipalArn=provider, SAMLAssertion=assertion)
        except ClientError as exc:
            return str(exc.response["Error"]["Code"])
        return "ok"
    return redeem


def _all_at_once(redeem: Callable[[str], str], assertions: Sequence[str]) -> list[str]:
    """Each assertion redeemed from a thread of its own, released together."""
    answers: list[Any] = [None] * len(assertions)
    start = threading.Barrier(len(assertions))

    def run(i: int) -> None:
        start.wait()
        answers[i] = redeem(assertions[i])

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(assertions))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return answers


def test_concurrent_redemptions_answered_stay_used_after_kill_dash_nine_and_a_restart(tmp_path: Path) -> None:
    (tmp_path / "idp").mkdir()
    (tmp_path / "srv").mkdir()
    idp = SamlIdp(tmp_path / "idp")
    server = LiveServer(tmp_path / "srv")
    server.start()
    try:
        role, provider = _set_up(server, idp)
        assertions = [idp.response(aws_attributes(role, provider, f"user{i}")) for i in range(12)]
        assert _all_at_once(_redeem(server, role, provider), assertions) == ["ok"] * 12
        server.kill()  # no shutdown: only what was durable when each answer went out survives
        server.start()
        redeem = _redeem(server, role, provider)
        assert [redeem(a) for a in assertions] == ["InvalidIdentityToken"] * 12
        assert redeem(idp.response(aws_attributes(role, provider, "fresh"))) == "ok"  # the store still takes new ones
    finally:
        server.stop()


def test_one_assertion_sent_by_many_clients_at_once_is_accepted_once(tmp_path: Path) -> None:
    (tmp_path / "idp").mkdir()
    (tmp_path / "srv").mkdir()
    idp = SamlIdp(tmp_path / "idp")
    server = LiveServer(tmp_path / "srv", extra_args=["--workers", "2"])
    server.start()
    try:
        role, provider = _set_up(server, idp)
        assertion = idp.response(aws_attributes(role, provider))
        answers = _all_at_once(_redeem(server, role, provider), [assertion] * 10)
        assert sorted(answers) == ["InvalidIdentityToken"] * 9 + ["ok"]
    finally:
        server.stop()
