"""Every request is authenticated: bad, stale, unknown and missing signatures get AWS's codes."""

from __future__ import annotations

import datetime as dt
from typing import Any
from unittest import mock

import botocore.auth
import httpx
import pytest
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from tests.live import ROOT_KEY_ID, ROOT_SECRET, LiveServer

BODY = "Action=ListRoles&Version=2010-05-08"


def signed(server: LiveServer, *, key: str = ROOT_KEY_ID, secret: str = ROOT_SECRET,
           when: dt.datetime | None = None, region: str = "us-east-1", body: str = BODY) -> httpx.Response:
    req = AWSRequest("POST", server.url + "/", data=body,
                     headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
    signer = botocore.auth.SigV4Auth(Credentials(key, secret), "iam", region)
    if when is None:
        signer.add_auth(req)
    else:
        fake = mock.Mock(wraps=dt.datetime)
        fake.now.return_value = when
        fake.utcnow.return_value = when.replace(tzinfo=None)
        with mock.patch.object(botocore.auth.datetime, "datetime", fake):
            signer.add_auth(req)
    prepared = req.prepare()
    return httpx.post(prepared.url, content=prepared.body, headers=dict(prepared.headers))


def code(res: httpx.Response) -> str:
    return res.text.split("<Code>")[1].split("</Code>")[0]


def test_a_correctly_signed_request_is_answered(server: LiveServer) -> None:
    assert signed(server).status_code == 200


@pytest.mark.parametrize("region", ["us-east-1", "eu-west-1", "ap-southeast-2"])
def test_any_region_in_the_credential_scope_is_accepted(server: LiveServer, region: str) -> None:
    assert signed(server, region=region).status_code == 200


def test_a_wrong_secret_is_signature_does_not_match(server: LiveServer) -> None:
    res = signed(server, secret="x" * 40)
    assert res.status_code == 403 and code(res) == "SignatureDoesNotMatch"


def test_an_unknown_key_is_invalid_client_token_id(server: LiveServer) -> None:
    res = signed(server, key="AKIAUNKNOWNUNKNOWN00")
    assert res.status_code == 403 and code(res) == "InvalidClientTokenId"


def test_a_request_older_than_fifteen_minutes_is_refused(server: LiveServer) -> None:
    res = signed(server, when=dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=20))
    assert res.status_code in (400, 403) and code(res) in ("RequestExpired", "SignatureDoesNotMatch")
    assert "expired" in res.text.lower() or "earlier than" in res.text.lower()


def test_a_request_within_the_skew_window_is_accepted(server: LiveServer) -> None:
    assert signed(server, when=dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=10)).status_code == 200


def test_an_unsigned_request_is_missing_authentication_token(server: LiveServer) -> None:
    res = httpx.post(server.url + "/", content=BODY,
                     headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert res.status_code == 403 and code(res) == "MissingAuthenticationToken"


def test_a_garbled_authorization_header_is_incomplete_signature(server: LiveServer) -> None:
    res = httpx.post(server.url + "/", content=BODY, headers={
        "Content-Type": "application/x-www-form-urlencoded", "Authorization": "AWS4-HMAC-SHA256 Credential=AKIA",
        "X-Amz-Date": "20260101T000000Z"})
    assert res.status_code == 400 and code(res) == "IncompleteSignature"


def test_a_tampered_body_is_signature_does_not_match(server: LiveServer) -> None:
    req = AWSRequest("POST", server.url + "/", data=BODY,
                     headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
    botocore.auth.SigV4Auth(Credentials(ROOT_KEY_ID, ROOT_SECRET), "iam", "us-east-1").add_auth(req)
    prepared = req.prepare()
    res = httpx.post(prepared.url, content=BODY.replace("ListRoles", "ListUsers"), headers=dict(prepared.headers))
    assert res.status_code == 403 and code(res) == "SignatureDoesNotMatch"


def test_boto3_surfaces_a_bad_secret_as_signature_does_not_match(server: LiveServer) -> None:
    with pytest.raises(ClientError) as exc:
        server.client("iam", secret="y" * 40).list_roles()
    assert exc.value.response["Error"]["Code"] == "SignatureDoesNotMatch"


def test_get_caller_identity_names_the_root_user(sts: Any) -> None:
    ident = sts.get_caller_identity()
    assert ident["Account"] == "123456789012"
    assert ident["Arn"] == "arn:aws:iam::123456789012:root"
