"""botocore as the oracle for SigV4 tests: sign with botocore's own signers, hand over what the wire would.

``sign`` uses ``botocore.auth.SigV4Auth`` (Authorization header), ``presign`` ``SigV4QueryAuth``; both at a
fixed instant by patching botocore's clock. ``to_wire`` turns the signed ``AWSRequest`` into the plain
``HttpRequest`` our wire layer builds, adding the ``Host`` header the HTTP client adds on the wire.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any
from unittest import mock
from urllib.parse import urlsplit

import botocore.auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from rolegate.auth.sigv4 import HttpRequest

T0 = dt.datetime(2026, 1, 1, 12, 0, 0, tzinfo=dt.timezone.utc)
KEY_ID = "AKIAIOSFODNN7EXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
FORM_CT = "application/x-www-form-urlencoded; charset=utf-8"


@contextmanager
def frozen_botocore(when: dt.datetime) -> Iterator[None]:
    """botocore's signers read the time from ``botocore.auth.get_current_datetime``."""
    with mock.patch.object(botocore.auth, "get_current_datetime", return_value=when):
        yield


def host_of(url: str) -> str:
    # What urllib3/http.client put in Host: botocore signs the same value (_host_from_url).
    return botocore.auth._host_from_url(url)


def to_wire(req: AWSRequest, *, body: bytes | None = None, host: bool = True) -> HttpRequest:
    parts = urlsplit(req.url)
    headers: list[tuple[str, str]] = [("Host", host_of(req.url))] if host else []
    headers += list(req.headers.items())  # HTTPHeaders keeps repeated headers, in order
    raw = req.body if body is None else body
    if isinstance(raw, str):
        raw = raw.encode("utf-8")
    return HttpRequest(req.method, parts.path or "/", parts.query, headers, raw or b"")


def sign(method: str, url: str, *, body: bytes | str = b"", headers: Iterable[tuple[str, str]] = (),
         region: str = "us-east-1", service: str = "iam", key: str = KEY_ID, secret: str = SECRET,
         token: str | None = None, when: dt.datetime = T0, context: Mapping[str, Any] | None = None,
         ) -> tuple[AWSRequest, HttpRequest]:
    req = AWSRequest(method, url, data=body)
    for name, value in headers:
        req.headers[name] = value  # appends: repeated names stay repeated
    if context:
        req.context.update(context)
    with frozen_botocore(when):
        botocore.auth.SigV4Auth(Credentials(key, secret, token), service, region).add_auth(req)
    return req, to_wire(req)


def presign(method: str, url: str, *, params: Mapping[str, str] | None = None,
            headers: Iterable[tuple[str, str]] = (), region: str = "us-east-1", service: str = "sts",
            key: str = KEY_ID, secret: str = SECRET, token: str | None = None, when: dt.datetime = T0,
            expires: int = 900) -> tuple[AWSRequest, HttpRequest]:
    req = AWSRequest(method, url, data=dict(params or {}))
    for name, value in headers:
        req.headers[name] = value
    with frozen_botocore(when):
        botocore.auth.SigV4QueryAuth(Credentials(key, secret, token), service, region, expires=expires).add_auth(req)
    return req, to_wire(req, body=b"")


def botocore_canonical_request(req: AWSRequest, region: str = "us-east-1", service: str = "iam") -> str:
    """botocore's canonical request for an already-signed request (same headers, same timestamp)."""
    signer = botocore.auth.SigV4Auth(Credentials(KEY_ID, SECRET), service, region)
    clone = AWSRequest(req.method, req.url, data=req.data)
    for name, value in req.headers.items():
        if name.lower() != "authorization":
            clone.headers[name] = value
    return signer.canonical_request(clone)
