"""SigV4 verification against botocore's own signers: what botocore signs we accept, anything else we refuse
with AWS's error codes and messages."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import botocore.session
import pytest
from botocore.awsrequest import AWSPreparedRequest

from rolegate.auth import canonical
from rolegate.auth.sigv4 import (
    MISSING_AUTHENTICATION_TOKEN,
    SIGNATURE_DOES_NOT_MATCH,
    HttpRequest,
    SigV4Credential,
    SigV4Verifier,
    derive_signing_key,
    parse_sigv4,
    require_service,
)
from rolegate.core.clock import FixedClock
from rolegate.core.errors import IncompleteSignature, SignatureDoesNotMatch

from .sigv4_oracle import FORM_CT, KEY_ID, SECRET, T0, botocore_canonical_request, frozen_botocore, presign, sign

URL = "https://iam.example.test/"
FORM = "Action=GetRole&RoleName=app-role&Version=2010-05-08"


def verifier(at: dt.datetime = T0, **kw: Any) -> SigV4Verifier:
    return SigV4Verifier(FixedClock(at), **kw)


def accept(req: HttpRequest, secret: str = SECRET, at: dt.datetime = T0, **kw: Any) -> SigV4Credential:
    cred = parse_sigv4(req)
    assert cred is not None
    verifier(at, **kw).verify(req, cred, secret)
    return cred


def reject(req: HttpRequest, secret: str = SECRET, at: dt.datetime = T0, **kw: Any) -> str:
    with pytest.raises(SignatureDoesNotMatch) as exc:
        accept(req, secret, at, **kw)
    assert exc.value.status == 403 and exc.value.code == "SignatureDoesNotMatch"
    return exc.value.message


def incomplete(req: HttpRequest, **kw: Any) -> str:
    with pytest.raises(IncompleteSignature) as exc:
        parse_sigv4(req, **kw)
    assert exc.value.status == 400 and exc.value.code == "IncompleteSignature"
    return exc.value.message


def replace_header(req: HttpRequest, name: str, value: str) -> HttpRequest:
    headers = [(k, value if k.lower() == name.lower() else v) for k, v in req.headers]
    return dataclasses.replace(req, headers=headers)


def drop_header(req: HttpRequest, name: str) -> HttpRequest:
    return dataclasses.replace(req, headers=[(k, v) for k, v in req.headers if k.lower() != name.lower()])


def auth_header(req: HttpRequest) -> str:
    return next(v for k, v in req.headers if k.lower() == "authorization")


# --- what botocore signs, we verify -----------------------------------------------------------------------


@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize("region", ["us-east-1", "eu-west-1", "ap-southeast-2", "cn-north-1"])
@pytest.mark.parametrize("service", ["iam", "sts"])
def test_header_signed_requests_verify_in_any_region_and_service(method: str, region: str, service: str) -> None:
    if method == "GET":
        _, req = sign("GET", URL + "?" + FORM, region=region, service=service)
    else:
        _, req = sign("POST", URL, body=FORM, headers=[("Content-Type", FORM_CT)], region=region, service=service)
    cred = accept(req)
    assert (cred.access_key_id, cred.region, cred.service, cred.date) == (KEY_ID, region, service, "20260101")
    assert cred.amz_date == T0 and not cred.presigned and cred.security_token is None
    assert cred.signed_headers[0] == "content-type" if method == "POST" else "host"


@pytest.mark.parametrize("body", [
    b"",
    FORM.encode(),
    "Action=CreateRole&Description=r%C3%B4le%20%E2%9C%93&Version=2010-05-08".encode(),
    "raw unicode body: ünïcödé ✓ 漢字".encode(),
    bytes(range(256)) * 4096,  # 1 MiB of every byte value
], ids=["empty", "form", "form-unicode", "raw-unicode", "large-binary"])
def test_bodies_verify(body: bytes) -> None:
    accept(sign("POST", URL, body=body, headers=[("Content-Type", FORM_CT)])[1])


@pytest.mark.parametrize("path", [
    "/", "/a/b", "/a%20b/c", "/a%2Fb", "/~user/x", "/a/./b/../c", "//double//slash/", "/%E2%9C%93/%C3%BC",
    "/a:b@c!$&'()*+,;=", "/trailing/", "/sessions",
])
def test_odd_paths_verify(path: str) -> None:
    req, wire = sign("POST", "https://rolesanywhere.example.test" + path, body=b"{}", service="rolesanywhere")
    assert wire.raw_path == path
    accept(wire)


def test_canonical_uri_encodes_the_wire_path_once_more_like_botocore() -> None:
    assert canonical.canonical_uri("/a%2Fb/c d") == "/a%252Fb/c%20d"
    assert canonical.canonical_uri("/a/./b/../c//d/") == "/a/c/d/"
    assert canonical.canonical_uri("") == "/"


def test_query_strings_with_repeated_unsorted_and_encoded_params_verify() -> None:
    from botocore.utils import percent_encode_sequence

    query = percent_encode_sequence([("b", "2"), ("a", "z"), ("a", "y"), ("A", "1"), ("sp ace", "v a+l/ue"),
                                     ("ünï", "✓"), ("empty", ""), ("tilde~", "~.-_")])
    _, req = sign("GET", URL + "?" + query + "&flag")
    accept(req)
    assert canonical.canonical_query(req.raw_query) == (
        # sorted by encoded name: "%" (0x25) sorts before letters
        "%C3%BCn%C3%AF=%E2%9C%93&A=1&a=y&a=z&b=2&empty=&flag=&sp%20ace=v%20a%2Bl%2Fue&tilde~=~.-_")


def test_canonical_query_follows_rfc3986_not_the_clients_spelling() -> None:
    # AWS: decode, re-encode the unreserved set as itself and everything else as %XX (upper-case).
    assert canonical.canonical_query("b=%7e&a=%2f&c=x%20y") == "a=%2F&b=~&c=x%20y"
    assert canonical.canonical_query("bad=%FF%zz") == "bad=%FF%25zz"  # invalid UTF-8 and escapes survive


def test_our_canonical_request_is_botocores() -> None:
    req, wire = sign("POST", URL + "?x=1&a=%2F", body=FORM, token="tok",
                     headers=[("Content-Type", FORM_CT), ("X-Amz-Meta-Note", "  two   spaces\tand tab ")])
    cred = parse_sigv4(wire)
    assert cred is not None
    assert verifier().canonical_request(wire, cred) == botocore_canonical_request(req)


def test_repeated_and_messy_headers_are_canonicalised_like_botocore() -> None:
    req, wire = sign("POST", URL, body=FORM, headers=[
        ("Content-Type", FORM_CT), ("X-Custom", " a   b "), ("X-Custom", "c\t\td"), ("x-other", "")])
    assert [v for k, v in wire.headers if k == "X-Custom"] == [" a   b ", "c\t\td"]
    accept(wire)
    assert "x-custom:a b,c d\n" in botocore_canonical_request(req)


def test_header_names_arrive_in_any_case() -> None:
    _, req = sign("POST", URL, body=FORM, headers=[("Content-Type", FORM_CT)])
    accept(dataclasses.replace(req, headers=[(k.upper(), v) for k, v in req.headers]))


def test_session_token_is_reported_and_signed() -> None:
    _, req = sign("POST", URL, body=FORM, token="FQoGZXIvYXdzEXAMPLE//token==", service="sts")
    cred = accept(req)
    assert cred.security_token == "FQoGZXIvYXdzEXAMPLE//token==" and "x-amz-security-token" in cred.signed_headers
    reject(replace_header(req, "X-Amz-Security-Token", "FQoGZXIvYXdzEXAMPLE//token=X"))


def test_a_token_added_after_signing_is_accepted_unsigned() -> None:
    # Some SDKs add X-Amz-Security-Token after signing; AWS accepts that, and the token is still reported.
    _, req = sign("POST", URL, body=FORM)
    cred = accept(dataclasses.replace(req, headers=[*req.headers, ("X-Amz-Security-Token", "late")]))
    assert cred.security_token == "late"


def test_date_header_instead_of_x_amz_date() -> None:
    # botocore signs with Date (and drops X-Amz-Date) when the request already has a Date header.
    _, req = sign("POST", URL, body=FORM, headers=[("Date", "whatever")])
    assert not any(k.lower() == "x-amz-date" for k, _ in req.headers)
    assert accept(req).amz_date == T0


def test_http2_authority_stands_in_for_host() -> None:
    _, req = sign("POST", URL, body=FORM)
    h2 = [(":authority" if k == "Host" else k, v) for k, v in req.headers]
    accept(dataclasses.replace(req, headers=h2))


def test_non_default_port_is_part_of_the_signed_host() -> None:
    _, req = sign("POST", "http://localhost:4566/", body=FORM)
    assert ("Host", "localhost:4566") in req.headers
    accept(req)
    reject(replace_header(req, "Host", "localhost"))


# --- real botocore clients, as boto3 sends with endpoint_url ---------------------------------------------


class _Captured(Exception):
    pass


def _capture(service: str, call: str, region: str, **params: Any) -> HttpRequest:
    session = botocore.session.get_session()
    client = session.create_client(service, region_name=region, endpoint_url="http://localhost:4566",
                                   aws_access_key_id=KEY_ID, aws_secret_access_key=SECRET,
                                   aws_session_token="session-token")
    seen: list[AWSPreparedRequest] = []

    def grab(request: AWSPreparedRequest, **_: Any) -> None:
        seen.append(request)
        raise _Captured

    client.meta.events.register("before-send", grab)
    with frozen_botocore(T0), pytest.raises(_Captured):
        getattr(client, call)(**params)
    sent = seen[0]
    from urllib.parse import urlsplit

    parts = urlsplit(sent.url)
    body = sent.body if isinstance(sent.body, bytes) else (sent.body or "").encode()
    # Prepared headers are bytes; the wire layer hands us latin-1-decoded str, as the server does.
    headers = [(k if isinstance(k, str) else k.decode("latin-1"), v if isinstance(v, str) else v.decode("latin-1"))
               for k, v in sent.headers.items()]
    return HttpRequest(sent.method, parts.path or "/", parts.query, [("Host", "localhost:4566"), *headers], body)


@pytest.mark.parametrize("region", ["us-east-1", "eu-west-1"])
def test_a_real_iam_client_with_endpoint_url_verifies_in_its_own_region(region: str) -> None:
    req = _capture("iam", "get_role", region, RoleName="app-role")
    cred = accept(req)
    assert (cred.service, cred.region, cred.security_token) == ("iam", region, "session-token")


def test_a_real_sts_client_verifies() -> None:
    req = _capture("sts", "get_caller_identity", "ap-southeast-2")
    assert accept(req).service == "sts"


def test_a_real_sts_presigned_get_caller_identity_url_verifies() -> None:
    from urllib.parse import urlsplit

    client = botocore.session.get_session().create_client(
        "sts", region_name="us-east-1", endpoint_url="https://sts.example.test",
        aws_access_key_id=KEY_ID, aws_secret_access_key=SECRET)
    with frozen_botocore(T0):
        url = client.generate_presigned_url("get_caller_identity", ExpiresIn=900)
    parts = urlsplit(url)
    # The default presign signs the operation's HTTP method (POST for query protocol).
    req = HttpRequest("POST", parts.path or "/", parts.query, [("Host", "sts.example.test")], b"")
    cred = accept(req)
    assert cred.presigned and cred.expires == 900 and cred.service == "sts"
    reject(dataclasses.replace(req, method="GET"))


# --- presigned URLs ----------------------------------------------------------------------------------------


def test_presigned_get_with_session_token_and_extra_signed_header_verifies() -> None:
    # The EKS / Vault pattern: a presigned sts:GetCallerIdentity GET with a signed x-k8s-aws-id header.
    _, req = presign("GET", "https://sts.example.test/", params={"Action": "GetCallerIdentity",
                                                                   "Version": "2011-06-15"},
                     headers=[("x-k8s-aws-id", "my-cluster")], token="tok/en+==", expires=60)
    cred = accept(req)
    assert cred.presigned and cred.security_token == "tok/en+==" and cred.expires == 60
    assert cred.signed_headers == ("host", "x-k8s-aws-id")
    reject(replace_header(req, "x-k8s-aws-id", "other-cluster"))


def test_presigned_query_tampering_is_refused() -> None:
    _, req = presign("GET", "https://sts.example.test/", params={"Action": "GetCallerIdentity"})
    reject(dataclasses.replace(req, raw_query=req.raw_query.replace("GetCallerIdentity", "GetSessionToken")))
    reject(dataclasses.replace(req, raw_query=req.raw_query + "&Extra=1"))


def test_presigned_url_expiry() -> None:
    _, req = presign("GET", "https://sts.example.test/", params={"Action": "GetCallerIdentity"}, expires=300)
    accept(req, at=T0 + dt.timedelta(seconds=300))
    msg = reject(req, at=T0 + dt.timedelta(seconds=301))
    assert msg == ("Signature expired: 20260101T120000Z is now earlier than 20260101T120001Z "
                   "(20260101T120501Z - 5 min.)")


def test_presigned_urls_live_at_most_the_skew_window_by_default_like_sts() -> None:
    # STS and IAM ignore X-Amz-Expires beyond their 15 minutes; only S3 honours up to a week.
    _, req = presign("GET", "https://sts.example.test/", params={"Action": "GetCallerIdentity"}, expires=3600)
    accept(req, at=T0 + dt.timedelta(minutes=15))
    assert "- 15 min." in reject(req, at=T0 + dt.timedelta(minutes=16))
    accept(req, at=T0 + dt.timedelta(minutes=59), presigned_max_age_seconds=604800)
    reject(req, at=T0 + dt.timedelta(minutes=61), presigned_max_age_seconds=604800)


def test_presigned_url_not_yet_valid() -> None:
    _, req = presign("GET", "https://sts.example.test/", params={"Action": "GetCallerIdentity"})
    assert reject(req, at=T0 - dt.timedelta(minutes=16)).startswith("Signature not yet current: 20260101T120000Z")


@pytest.mark.parametrize(("expires", "message"), [
    ("abc", "X-Amz-Expires should be a number."),
    ("-5", "X-Amz-Expires must be non-negative."),
    ("--5", "X-Amz-Expires should be a number."),
    ("604801", "X-Amz-Expires must be less than a week (in seconds) that is 604800."),
])
def test_presigned_expires_must_be_sane(expires: str, message: str) -> None:
    _, req = presign("GET", "https://sts.example.test/", params={"Action": "GetCallerIdentity"})
    assert incomplete(dataclasses.replace(req, raw_query=req.raw_query.replace("X-Amz-Expires=900",
                                                                                f"X-Amz-Expires={expires}"))) == message


def test_presigned_missing_parameters() -> None:
    req = HttpRequest("GET", "/", "Action=GetCallerIdentity&X-Amz-Algorithm=AWS4-HMAC-SHA256", [("Host", "h")], b"")
    assert incomplete(req) == (
        "AWS query-string parameters must include 'X-Amz-Credential'. AWS query-string parameters must include "
        "'X-Amz-Signature'. AWS query-string parameters must include 'X-Amz-SignedHeaders'. AWS query-string "
        "parameters must include 'X-Amz-Date'. Re-examine the query-string parameters.")


def test_presigned_wrong_algorithm_and_duplicates() -> None:
    _, req = presign("GET", "https://sts.example.test/", params={"Action": "GetCallerIdentity"})
    bad_alg = req.raw_query.replace("AWS4-HMAC-SHA256", "AWS4-HMAC-SHA512")
    msg = incomplete(dataclasses.replace(req, raw_query=bad_alg))
    assert msg == 'X-Amz-Algorithm only supports "AWS4-HMAC-SHA256".'
    dup = req.raw_query + "&X-Amz-Signature=" + "0" * 64
    assert "must appear only once" in incomplete(dataclasses.replace(req, raw_query=dup))


def test_header_and_query_auth_together_are_refused() -> None:
    _, req = sign("POST", URL, body=FORM)
    both = dataclasses.replace(req, raw_query="X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=00")
    assert incomplete(both).startswith("Only one auth mechanism allowed")


# --- clock skew ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("offset", [-899, -1, 0, 1, 899, 900, -900])
def test_within_fifteen_minutes_either_way_is_accepted(offset: int) -> None:
    accept(sign("POST", URL, body=FORM)[1], at=T0 + dt.timedelta(seconds=offset))


def test_too_old_is_signature_expired_with_stss_message() -> None:
    _, req = sign("POST", URL, body=FORM)
    msg = reject(req, at=T0 + dt.timedelta(minutes=20))
    assert msg == ("Signature expired: 20260101T120000Z is now earlier than 20260101T120500Z "
                   "(20260101T122000Z - 15 min.)")


def test_too_new_is_signature_not_yet_current() -> None:
    _, req = sign("POST", URL, body=FORM)
    msg = reject(req, at=T0 - dt.timedelta(minutes=20))
    assert msg == ("Signature not yet current: 20260101T120000Z is still later than 20260101T115500Z "
                   "(20260101T114000Z + 15 min.)")


def test_skew_is_configurable() -> None:
    _, req = sign("POST", URL, body=FORM)
    assert "- 5 min." in reject(req, at=T0 + dt.timedelta(minutes=6), max_skew_seconds=300)
    accept(req, at=T0 + dt.timedelta(minutes=4), max_skew_seconds=300)


# --- tampering and wrong keys -----------------------------------------------------------------------------


def test_wrong_secret_is_signature_does_not_match_with_awss_message() -> None:
    _, req = sign("POST", URL, body=FORM)
    assert reject(req, secret="x" * 40) == SIGNATURE_DOES_NOT_MATCH
    assert SIGNATURE_DOES_NOT_MATCH == (
        "The request signature we calculated does not match the signature you provided. Check your AWS Secret "
        "Access Key and signing method. Consult the service documentation for details.")


def test_tampered_body_header_signature_method_path_are_refused() -> None:
    _, req = sign("POST", URL, body=FORM, headers=[("Content-Type", FORM_CT)])
    reject(dataclasses.replace(req, body=FORM.replace("app-role", "admin-role").encode()))
    reject(replace_header(req, "Content-Type", "application/json"))
    sig = auth_header(req)
    flipped = sig[:-1] + ("0" if sig[-1] != "0" else "1")
    reject(replace_header(req, "Authorization", flipped))
    reject(dataclasses.replace(req, method="PUT"))
    reject(dataclasses.replace(req, raw_path="/x"))
    reject(dataclasses.replace(req, raw_query="a=1"))
    reject(replace_header(req, "X-Amz-Date", "20260101T120001Z"))
    reject(drop_header(req, "Content-Type"))  # a signed header that vanished


def test_scope_region_or_service_changed_is_refused() -> None:
    _, req = sign("POST", URL, body=FORM)
    reject(replace_header(req, "Authorization", auth_header(req).replace("/us-east-1/", "/eu-west-1/")))
    reject(replace_header(req, "Authorization", auth_header(req).replace("/iam/", "/sts/")))


def test_scope_date_must_be_the_request_date() -> None:
    _, req = sign("POST", URL, body=FORM)
    msg = reject(replace_header(req, "Authorization", auth_header(req).replace("/20260101/", "/20260102/")))
    assert msg == ("Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: "
                   "'20260102' != '20260101', from '20260101T120000Z'.")


def test_a_non_ascii_signature_is_a_mismatch_not_a_crash() -> None:
    _, req = sign("POST", URL, body=FORM)
    reject(replace_header(req, "Authorization", auth_header(req)[:-2] + "é✓"))


def test_unsigned_headers_may_change() -> None:
    _, req = sign("POST", URL, body=FORM, headers=[("User-Agent", "Boto3/1.35")])
    accept(replace_header(req, "User-Agent", "curl/8"))


# --- x-amz-content-sha256 -----------------------------------------------------------------------------------


def test_content_sha256_header_must_be_the_body_hash() -> None:
    import hashlib

    body = FORM.encode()
    _, req = sign("POST", URL, body=body, headers=[("X-Amz-Content-SHA256", hashlib.sha256(body).hexdigest())])
    accept(req)
    _, lying = sign("POST", URL, body=body, headers=[("X-Amz-Content-SHA256", hashlib.sha256(b"x").hexdigest())])
    assert reject(lying) == SIGNATURE_DOES_NOT_MATCH


def test_unsigned_payload_is_refused_unless_allowed() -> None:
    # botocore over https with payload signing disabled (S3 style) sends x-amz-content-sha256: UNSIGNED-PAYLOAD.
    _, req = sign("POST", URL, body=FORM, context={"payload_signing_enabled": False})
    assert ("X-Amz-Content-SHA256", "UNSIGNED-PAYLOAD") in req.headers
    reject(req)
    accept(req, allow_unsigned_payload=True)


# --- malformed authentication --------------------------------------------------------------------------------


def _with_auth(value: str, *, date: bool = True) -> HttpRequest:
    headers = [("Host", "h"), ("Authorization", value)]
    if date:
        headers.append(("X-Amz-Date", "20260101T120000Z"))
    return HttpRequest("POST", "/", "", headers, b"")


def test_unsigned_request_parses_to_none() -> None:
    assert parse_sigv4(HttpRequest("POST", "/", "", [("Host", "h")], FORM.encode())) is None
    assert MISSING_AUTHENTICATION_TOKEN == "Request is missing Authentication Token"


def test_missing_parameters_are_listed_like_aws() -> None:
    msg = incomplete(_with_auth("AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/iam/aws4_request"))
    assert msg.startswith("Authorization header requires 'Signature' parameter. Authorization header requires "
                          "'SignedHeaders' parameter. Authorization=AWS4-HMAC-SHA256 Credential=AKID")
    msg = incomplete(_with_auth("AWS4-HMAC-SHA256 ", date=False))
    assert msg.startswith(
        "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' "
        "parameter. Authorization header requires 'SignedHeaders' parameter. Authorization header requires "
        "existence of either a 'X-Amz-Date' or a 'Date' header.")


def test_other_schemes_are_refused_without_echoing_their_credentials() -> None:
    msg = incomplete(_with_auth("Bearer eyJhbGciOiJIUzI1NiJ9.secret.sig"))
    assert "Authorization header requires 'Credential' parameter." in msg and "eyJ" not in msg
    assert "Unsupported AWS 'algorithm'" in incomplete(_with_auth("AWS4-ECDSA-P256-SHA256 Credential=x"))
    incomplete(_with_auth("AWS AKIDEXAMPLE:c2lnbmF0dXJl"))  # SigV2 header form


@pytest.mark.parametrize(("credential", "message"), [
    ("AKID/20260101/us-east-1/iam", "Credential must have exactly 5 slash-delimited elements, e.g. "
                                    "keyid/date/region/service/term, got 'AKID/20260101/us-east-1/iam'"),
    ("AKID/20260101/us-east-1/iam/aws4_request/x", "Credential must have exactly 5 slash-delimited elements"),
    ("AKID/20260101/us-east-1/iam/aws5_request", "Credential should be scoped with a valid terminator: "
                                                 "'aws4_request', not 'aws5_request'."),
    ("AKID/20260101//iam/aws4_request", "Credential should be scoped to a valid region, not ''."),
    ("AKID/20260101/us-east-1//aws4_request", "Credential should be scoped to correct service: ''."),
])
def test_bad_credential_scopes(credential: str, message: str) -> None:
    msg = incomplete(_with_auth(f"AWS4-HMAC-SHA256 Credential={credential}, SignedHeaders=host, Signature=ab"))
    assert msg.startswith(message)


def test_host_must_be_signed() -> None:
    msg = incomplete(_with_auth("AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/iam/aws4_request, "
                                "SignedHeaders=x-amz-date, Signature=ab"))
    assert msg == "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."


def test_a_pair_without_equal_sign() -> None:
    msg = incomplete(_with_auth("AWS4-HMAC-SHA256 AKID/20260101/us-east-1/iam/aws4_request, SignedHeaders=host"))
    assert msg.startswith("'AKID/20260101/us-east-1/iam/aws4_request' not a valid key=value pair "
                          "(missing equal-sign) in Authorization header:")


@pytest.mark.parametrize("date", ["2026-01-01T12:00:00Z", "20260101T120000", "20261301T120000Z", "2026010xT120000Z",
                                  "２０２６0101T120000Z"])
def test_bad_x_amz_date(date: str) -> None:
    req = _with_auth("AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/iam/aws4_request, SignedHeaders=host, "
                     "Signature=ab", date=False)
    req = dataclasses.replace(req, headers=[*req.headers, ("X-Amz-Date", date)])
    assert incomplete(req).startswith("Date must be in ISO-8601 'basic format'.")


def test_repeated_single_valued_headers_are_refused() -> None:
    _, req = sign("POST", URL, body=FORM)
    assert "Only one 'X-Amz-Date'" in incomplete(dataclasses.replace(
        req, headers=[*req.headers, ("X-Amz-Date", "20260101T120000Z")]))
    assert "Only one Authorization" in incomplete(dataclasses.replace(
        req, headers=[*req.headers, ("Authorization", auth_header(req))]))


def test_auth_parameters_in_the_body_are_refused_clearly() -> None:
    req = HttpRequest("POST", "/", "", [("Host", "h")], b"X-Amz-Signature=00&Action=GetRole")
    assert "not in the request body" in incomplete(req, form={"X-Amz-Signature": "00", "Action": "GetRole"})
    assert parse_sigv4(req, form={"Action": "AssumeRoleWithWebIdentity"}) is None


def test_require_service() -> None:
    _, req = sign("POST", URL, body=FORM, service="sts")
    cred = accept(req)
    require_service(cred, {"sts", "iam"})
    with pytest.raises(IncompleteSignature, match="Credential should be scoped to correct service: 'iam'"):
        require_service(cred, {"iam"})


# --- signing key cache ----------------------------------------------------------------------------------------


def test_signing_key_derivation_matches_awss_published_example() -> None:
    # AWS General Reference, "Examples of how to derive a signing key for Signature Version 4".
    key = derive_signing_key("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20120215", "us-east-1", "iam")
    assert key.hex() == "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d"


def test_the_cache_is_keyed_by_the_secret_not_the_access_key() -> None:
    v = verifier()
    _, good = sign("POST", URL, body=FORM)
    _, other = sign("POST", URL, body=FORM, secret="another-secret")
    for req, secret in [(good, SECRET), (other, "another-secret")]:
        cred = parse_sigv4(req)
        assert cred is not None
        v.verify(req, cred, secret)
    cred = parse_sigv4(good)
    assert cred is not None
    with pytest.raises(SignatureDoesNotMatch):  # same key id, same scope, cached key for the old secret unused
        v.verify(good, cred, "another-secret")


def test_the_cache_is_bounded_and_holds_no_plain_secrets() -> None:
    v = verifier(key_cache_size=2)
    for i in range(5):
        secret = f"secret-number-{i}"
        _, req = sign("POST", URL, body=FORM, secret=secret)
        cred = parse_sigv4(req)
        assert cred is not None
        v.verify(req, cred, secret)
    keys = list(v._keys._keys)  # noqa: SLF001 - white-box check of what the cache retains
    assert len(keys) == 2
    assert not any(isinstance(part, str) and part.startswith("secret-number") for k in keys for part in k)
    assert not any(b"secret-number" in part for k in keys for part in k if isinstance(part, bytes))


def test_cold_and_cached_verifiers_agree() -> None:
    _, req = sign("POST", URL, body=FORM)
    accept(req, key_cache_size=0)
    reject(req, secret="nope", key_cache_size=0)


def test_a_credential_built_by_hand_needs_no_timestamp() -> None:
    _, req = sign("POST", URL, body=FORM)
    cred = parse_sigv4(req)
    assert cred is not None
    verifier().verify(req, cred._replace(timestamp=""), SECRET)


@pytest.mark.parametrize("layout", [
    "AWS4-HMAC-SHA256 Credential={c},SignedHeaders={h},Signature={s}",
    "AWS4-HMAC-SHA256  Credential={c} ,  SignedHeaders={h} , Signature={s} ",
    "AWS4-HMAC-SHA256 SignedHeaders={h}, Signature={s}, Credential={c}",
])
def test_other_authorization_layouts_parse_the_same(layout: str) -> None:
    _, req = sign("POST", URL, body=FORM)
    cred = parse_sigv4(req)
    assert cred is not None
    value = layout.format(c=f"{KEY_ID}/{cred.scope}", h=";".join(cred.signed_headers), s=cred.signature)
    assert accept(replace_header(req, "Authorization", value)) == cred
