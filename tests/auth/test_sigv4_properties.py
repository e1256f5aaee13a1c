"""Properties, with botocore as the oracle: any request botocore signs, we verify; any single-character change
to a signed component of it, we refuse (SignatureDoesNotMatch or IncompleteSignature, never anything else)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import string
from typing import Any
from urllib.parse import quote

from botocore.utils import percent_encode_sequence
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from rolegate.auth.sigv4 import HttpRequest, SigV4Verifier, parse_sigv4
from rolegate.core.clock import FixedClock
from rolegate.core.errors import IncompleteSignature, SignatureDoesNotMatch

from .sigv4_oracle import presign, sign

SETTINGS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
ALNUM = string.ascii_letters + string.digits

# Header values travel as latin-1 (http.client encodes them so); no CR, LF or NUL on the wire.
header_text = st.text(st.sampled_from([chr(c) for c in [9, *range(0x20, 0x7F), *range(0xA0, 0x100)]]),
                      max_size=40)
segment = st.text(st.characters(exclude_categories=["Cs"], exclude_characters="/"), min_size=1, max_size=12) \
    .filter(lambda s: s not in (".", ".."))
any_text = st.text(st.characters(exclude_categories=["Cs"]), max_size=16)
# X-Amz-* query names are the presigned-auth parameters: an operation never sends them.
param_name = any_text.filter(lambda n: not n.startswith("X-Amz-"))


@st.composite
def signed_requests(draw: st.DrawFn) -> tuple[HttpRequest, str, dt.datetime]:
    method = draw(st.sampled_from(["GET", "POST"]))
    region = draw(st.sampled_from(["us-east-1", "eu-west-1", "ap-southeast-2", "cn-north-1", "local-dev-1"]))
    service = draw(st.sampled_from(["iam", "sts", "rolesanywhere"]))
    secret = draw(st.text(st.sampled_from(ALNUM + "/+"), min_size=1, max_size=40))
    token = draw(st.none() | st.text(st.sampled_from(ALNUM + "/+="), min_size=1, max_size=60))
    when = draw(st.datetimes(min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2099, 12, 31),
                             timezones=st.just(dt.timezone.utc))).replace(microsecond=0)
    # Paths as botocore's rest serialisers produce them: each label percent-encoded.
    segs = draw(st.lists(segment, max_size=4))
    path = "/" + "/".join(quote(s, safe="") for s in segs) + draw(st.sampled_from(["", "/"])) if segs else "/"
    # Queries as botocore builds them (percent_encode_sequence): repeated and unsorted names allowed.
    query = percent_encode_sequence(draw(st.lists(st.tuples(param_name, any_text), max_size=5)))
    names = draw(st.lists(st.text(st.sampled_from(string.ascii_lowercase + "-"), min_size=1, max_size=8)
                          .map(lambda n: "x-test-" + n), max_size=3))
    headers = [(n, draw(header_text)) for n in names]
    body = draw(st.binary(max_size=512)) if method == "POST" else b""
    url = f"https://svc.example.test{path}" + (f"?{query}" if query else "")
    if draw(st.booleans()):
        _, req = sign(method, url, body=body, headers=headers, region=region, service=service, secret=secret,
                      token=token, when=when)
    else:
        _, req = presign(method, url, headers=headers, region=region, service=service, secret=secret, token=token,
                         when=when, expires=draw(st.integers(1, 604800)))
    return req, secret, when


def _verify(req: HttpRequest, secret: str, when: dt.datetime) -> None:
    cred = parse_sigv4(req)
    assert cred is not None
    SigV4Verifier(FixedClock(when), presigned_max_age_seconds=604800).verify(req, cred, secret)


@SETTINGS
@given(signed_requests())
def test_whatever_botocore_signs_we_verify(case: tuple[HttpRequest, str, dt.datetime]) -> None:
    _verify(*case)


def _swap(text: str, index: int, new: str) -> str:
    return text[:index] + new + text[index + 1:]


def _plain_positions(text: str, start: int = 0) -> list[int]:
    """Indexes of letters and digits that are not inside a %XX escape (changing the case of an escape's
    hex digit does not change what it encodes)."""
    out, i = [], start
    while i < len(text):
        if text[i] == "%":
            i += 3
            continue
        if text[i].isascii() and text[i].isalnum():
            out.append(i)
        i += 1
    return out


@st.composite
def mutations(draw: st.DrawFn, req: HttpRequest) -> HttpRequest:
    """One signed component of ``req`` with one character changed to a different letter or digit."""
    cred = parse_sigv4(req)
    assert cred is not None

    def other(ch: str) -> str:
        return draw(st.sampled_from([c for c in ALNUM if c != ch]))

    kinds = ["method", "signature", "scope", "path", "header"]
    if req.body:
        kinds.append("body")
    if _plain_positions(req.raw_query):
        kinds.append("query")
    kind = draw(st.sampled_from(kinds))
    if kind == "method":
        return dataclasses.replace(req, method="GET" if req.method == "POST" else "POST")
    if kind == "body":
        i = draw(st.integers(0, len(req.body) - 1))
        flipped = req.body[i] ^ draw(st.integers(1, 255))
        return dataclasses.replace(req, body=req.body[:i] + bytes([flipped]) + req.body[i + 1:])
    if kind == "path":
        i = draw(st.integers(0, len(req.raw_path)))
        if i == len(req.raw_path) or req.raw_path[i] == "%" or i == 0:
            return dataclasses.replace(req, raw_path=req.raw_path.rstrip("/") + "/" + other(""))
        return dataclasses.replace(req, raw_path=_swap(req.raw_path, i, other(req.raw_path[i])))
    if kind == "query":
        sig_at = req.raw_query.find("X-Amz-Signature=")
        spots = [i for i in _plain_positions(req.raw_query) if sig_at < 0 or i < sig_at]
        assume(spots)
        i = draw(st.sampled_from(spots))
        return dataclasses.replace(req, raw_query=_swap(req.raw_query, i, other(req.raw_query[i])))
    if kind == "signature":
        if cred.presigned:
            i = req.raw_query.index("X-Amz-Signature=") + len("X-Amz-Signature=") + draw(st.integers(0, 63))
            new = draw(st.sampled_from([c for c in "0123456789abcdef" if c != req.raw_query[i]]))
            return dataclasses.replace(req, raw_query=_swap(req.raw_query, i, new))
        return _edit_header(req, "authorization", lambda v: _swap(v, len(v) - 1 - draw(st.integers(0, 63)),
                                                                 draw(st.sampled_from("0123456789abcdef"
                                                                                      .replace(v[-1], "")))))
    if kind == "scope":
        part = draw(st.sampled_from([cred.date, cred.region, cred.service]))
        token = f"/{part}/"

        def change(v: str) -> str:
            at = v.index(token) + 1 + draw(st.integers(0, len(part) - 1))
            return _swap(v, at, other(v[at]))

        if cred.presigned:
            enc = req.raw_query.replace("%2F", "/")
            assume(token in enc)
            return dataclasses.replace(req, raw_query=change(enc).replace("/", "%2F"))
        return _edit_header(req, "authorization", change)
    name = draw(st.sampled_from(cred.signed_headers))
    return _edit_header(req, name, lambda v: _mutate_value(v, draw, other))


def _mutate_value(value: str, draw: st.DrawFn, other: Any) -> str:
    spots = [i for i, ch in enumerate(value) if not ch.isspace()]
    if not spots:  # empty or all-blank value: any visible character changes it
        return value + "x"
    i = draw(st.sampled_from(spots))
    return _swap(value, i, other(value[i]))


def _edit_header(req: HttpRequest, lname: str, edit: Any) -> HttpRequest:
    headers = list(req.headers)
    for i, (k, v) in enumerate(headers):
        if k.lower() == lname:
            headers[i] = (k, edit(v))
            break
    return dataclasses.replace(req, headers=headers)


@SETTINGS
@given(st.data())
def test_any_single_change_to_a_signed_component_is_refused(data: st.DataObject) -> None:
    req, secret, when = data.draw(signed_requests())
    tampered = data.draw(mutations(req))
    assume(tampered != req)
    try:
        _verify(tampered, secret, when)
    except (SignatureDoesNotMatch, IncompleteSignature):
        return
    raise AssertionError(f"accepted a tampered request:\n{req}\n{tampered}")


@SETTINGS
@given(signed_requests(), st.text(st.sampled_from(ALNUM), min_size=1, max_size=40))
def test_a_different_secret_is_refused(case: tuple[HttpRequest, str, dt.datetime], wrong: str) -> None:
    req, secret, when = case
    assume(wrong != secret)
    try:
        _verify(req, wrong, when)
    except SignatureDoesNotMatch:
        return
    raise AssertionError("accepted a wrong secret")


# Junk in every place a client controls: authentication either parses, or fails with IncompleteSignature /
# SignatureDoesNotMatch -- never an unexpected exception (which the wire layer would turn into a 500).
_AUTH_PIECES = ["AWS4-HMAC-SHA256", " ", ",", ", ", "=", "/", ";", "Credential=", "SignedHeaders=", "Signature=",
                "AKID", "20260101", "us-east-1", "iam", "aws4_request", "host", "x-amz-date", "ab12", "é", "\t"]
junk_auth = st.lists(st.sampled_from(_AUTH_PIECES) | st.text(max_size=4), max_size=14).map("".join)
junk_query = st.lists(st.sampled_from(["X-Amz-Algorithm=AWS4-HMAC-SHA256", "X-Amz-Credential=AKID%2F20260101%2Fus"
                                       "-east-1%2Fsts%2Faws4_request", "X-Amz-Date=20260101T120000Z",
                                       "X-Amz-Expires=", "X-Amz-SignedHeaders=host", "X-Amz-Signature=ab", "%",
                                       "%ZZ", "&", "=", "X-Amz-Security-Token=t"]) | st.text(max_size=6),
                      max_size=8).map("&".join)
junk_date = st.sampled_from(["20260101T120000Z", "Thu, 01 Jan 2026 12:00:00 GMT", "", "junk"]) | st.text(max_size=20)


@settings(max_examples=300, deadline=None)
@given(auth=st.none() | junk_auth, query=junk_query, amz_date=st.none() | junk_date, date=st.none() | junk_date,
       token=st.none() | st.text(max_size=5), body=st.binary(max_size=16))
def test_junk_never_escapes_as_an_unexpected_error(auth: str | None, query: str, amz_date: str | None,
                                                    date: str | None, token: str | None, body: bytes) -> None:
    headers = [("Host", "h")]
    for name, value in [("Authorization", auth), ("X-Amz-Date", amz_date), ("Date", date),
                        ("X-Amz-Security-Token", token)]:
        if value is not None:
            headers.append((name, value))
    req = HttpRequest("POST", "/", query, headers, body)
    try:
        cred = parse_sigv4(req, form={})
        if cred is not None:
            SigV4Verifier(FixedClock(dt.datetime(2026, 1, 1, 12, tzinfo=dt.timezone.utc))).verify(req, cred, "s")
    except (IncompleteSignature, SignatureDoesNotMatch):
        pass
