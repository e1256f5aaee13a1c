"""The container credentials rules: who may ask (the token, compared in constant time), what a token file may
hold, and the JSON botocore's ContainerProvider reads (docs/reference/workload-credential-protocols.md §2)."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from rolegate.metadata.container import authorization_status, container_document, valid_token_file_content
from rolegate.metadata.imds import RoleCredentials

NOW = dt.datetime(2026, 11, 28, 0, 58, 11, tzinfo=dt.timezone.utc)


def test_the_right_token_is_let_in() -> None:
    assert authorization_status("tok-123456", "tok-123456") is None


def test_no_token_is_401_and_a_wrong_one_403() -> None:
    assert authorization_status(None, "tok-123456") == 401
    assert authorization_status("", "tok-123456") == 401
    assert authorization_status("tok-123457", "tok-123456") == 403
    assert authorization_status("Bearer tok-123456", "tok-123456") == 403  # botocore sends it verbatim


@pytest.mark.parametrize("content", ["", "token\n", "tok\r\nen"])
def test_a_token_file_botocore_could_not_send_is_refused(content: str) -> None:
    assert valid_token_file_content(content) is not None


def test_a_plain_token_file_is_accepted() -> None:
    assert valid_token_file_content("eyJhbGciOi.abc-def_ghi") is None


def test_the_document_carries_what_botocore_and_ecs_use() -> None:
    creds = RoleCredentials("ASIAEXAMPLE", "secret", "token", NOW + dt.timedelta(hours=1), NOW)
    doc = json.loads(container_document(creds, "123456789012", "arn:aws:iam::123456789012:role/web"))
    assert doc == {"RoleArn": "arn:aws:iam::123456789012:role/web", "AccessKeyId": "ASIAEXAMPLE",
                   "SecretAccessKey": "secret", "Token": "token", "Expiration": "2026-11-28T01:58:11Z",
                   "AccountId": "123456789012"}
